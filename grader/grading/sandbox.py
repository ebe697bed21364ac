"""Run a submission's exercise functions in throwaway jailed processes that see data only.

Exercises are graded in dependency order, in layers: layer 0 holds the exercises that use no earlier
exercise's function (Exercise.uses), layer k those whose dependencies are all in earlier layers. Each
layer runs in its own jail, on a fresh folder holding the student's definitions (from the notebook
source), that layer's case inputs (public and hidden), the reference sources of the functions its
exercises use, all of exercises already final, and a copy of grader/runner.py: nothing else of the
grader. So no run can read, call or keep a reference that solves an exercise still being graded: a
reference stashed in a global, the folder or /tmp dies with its run. After every run the finished
exercises' outputs (plain data: arrays read without pickle, Keras models reloaded in safe mode) move
out of the jail's reach. This process regenerates the cases and the reference's answers itself, pairs
them with what came back, and the exercise judges the outcomes.

Clocks are per exercise and per submission (ExerciseClock): a run's CPU and wall time go to the
exercise the runner says it is working on, and a re-run after a crash or a limit, with the layer's
remaining exercises, does not reset them. A sleeping function is stopped by its own wall limit.
"""
import contextlib
import dataclasses
import glob
import json
import math
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from grader import runner
from grader.core import Case, Outcome, Status, Verdict
from grader.exercises.base import FunctionExercise
from grader.grading import jail
from grader.grading.files import UnsafeFile, check_archive, read_capped, read_json_capped
from grader.grading.limits import MAX_ARTIFACT_BYTES, MAX_SANDBOX_JSON_BYTES, Limits
from grader.grading.answers import with_answers
from grader.hidden import hidden_cases, reference_sources
from grader.i18n import Msg

TIMED_OUT = Msg("la función no terminó a tiempo (límite de {seconds:.0f} s por ejercicio)",
                "the function did not finish in time ({seconds:.0f} s limit per exercise)")
CRASHED = Msg("el proceso terminó de forma inesperada al ejecutar tu función",
              "the process ended unexpectedly while running your function")
TIME_LIMITS = ("exercise", "cpu", "wall")
STARTING = ""        # a run's start: importing the libraries, loading the definitions
START_SECONDS = 30   # CPU seconds a run may spend starting, per run
INCOMPLETE = Msg("la salida del entorno aislado está incompleta", "the sandbox output is incomplete")
UNREADABLE = Msg("la salida de tu función no se pudo leer: es demasiado grande o no es válida ({error})",
                 "your function's output could not be read: it is too large or not valid ({error})")
WITH_REFERENCE = {
    False: Msg("({id} se evaluó con la {names} de referencia porque la tuya falla en {dependency})",
               "({id} was graded with the reference {names} because yours fails {dependency})"),
    True: Msg("({id} se evaluó con las versiones de referencia de {names} porque las tuyas fallan en {dependency})",
              "({id} was graded with the reference versions of {names} because yours fail {dependency})")}


def all_cases(exercise: FunctionExercise) -> list[Case]:
    """Public and hidden cases, each with the reference's answer (cached on this machine: grading.answers)."""
    return with_answers(exercise.id, exercise.cases() + hidden_cases(exercise.id))


def layers(exercises: list[FunctionExercise]) -> list[list[FunctionExercise]]:
    """The exercises in dependency order: each layer uses only functions of exercises in earlier layers
    (or of exercises not being graded here)."""
    ids, final, remaining, result = {e.id for e in exercises}, set(), list(exercises), []
    while remaining:
        layer = [e for e in remaining if all(d in final or d not in ids for d in e.uses.values())]
        if not layer:   # a cycle: one run would hold references of exercises it still grades
            raise ValueError(f"exercises {', '.join(e.id for e in remaining)} use each other's functions")
        result.append(layer)
        final |= {e.id for e in layer}
        remaining = [e for e in remaining if e.id not in final]
    return result


def write_inputs(folder: Path, definitions: list[str], exercises: list[FunctionExercise]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(runner.__file__, folder / "runner.py")
    (folder / "definitions.json").write_text(json.dumps(definitions))
    arrays, plan = {}, {}
    for exercise in exercises:
        calls = [(case.function, runner.encode(case.args, arrays, folder, f"in{exercise.id}_{number}"))
                 for number, case in enumerate(exercise.cases() + hidden_cases(exercise.id))]
        plan[exercise.id] = {"calls": calls, "overrides": reference_sources(exercise.uses)
                                 + [snippet for snippets in exercise.harness.values() for snippet in snippets]}
    (folder / "cases.json").write_text(json.dumps(plan))
    np.savez(folder / "cases.npz", **arrays)


def run_function_exercises(definitions: list[str], exercises: list[FunctionExercise], folder: Path,
                           limits: Limits, environment: jail.Environment,
                           deadline: float = math.inf) -> tuple[dict[str, Verdict], list, dict[str, float]]:
    """Run every exercise's cases in the sandbox, layer by layer, and judge them. Returns one verdict per
    exercise, the sandbox's runs (their CPU time and peak memory), and each exercise's CPU seconds.
    ``deadline``: the submission's (time.monotonic()); no run goes past it."""
    outputs, clock, runs, stopped = folder / "outputs", ExerciseClock(limits), [], {}
    outputs.mkdir(parents=True)
    for number, layer in enumerate(layers(exercises)):
        work = folder / f"layer{number}"
        write_inputs(work, definitions, layer)
        home = environment.home(work)
        layer_stopped, layer_runs = run_in_turns(
            environment, [sys.executable, f"{home}/runner.py", home], work, outputs, [e.id for e in layer],
            limits, clock, folder / "sandbox.log", deadline)
        stopped.update(layer_stopped)
        runs += layer_runs
        shutil.rmtree(work, ignore_errors=True)
    verdicts = {eid: (Verdict(Status.TIMEOUT, TIMED_OUT.format(seconds=limits.exercise_seconds))
                      if limit in TIME_LIMITS else Verdict(Status.CRASHED, CRASHED))
                for eid, limit in stopped.items()}
    for exercise in exercises:
        if exercise.id not in verdicts:
            verdicts[exercise.id] = judge_output(exercise, outputs)
    for exercise in exercises:
        for dependency, names in exercise.dependencies().items():
            if dependency in verdicts and not verdicts[dependency].correct:
                note = WITH_REFERENCE[len(names) > 1].format(
                    id=exercise.id, names=", ".join(f"`{name}`" for name in names), dependency=dependency)
                verdict = verdicts[exercise.id]
                verdicts[exercise.id] = dataclasses.replace(verdict, message=Msg.same("{message} {note}").format(
                    message=verdict.message, note=note))
    return verdicts, runs, clock.exercise_cpu()


def run_in_turns(environment: jail.Environment, argv: list[str], work: Path, outputs: Path, pending: list[str],
                 limits: Limits, clock: "ExerciseClock", log: Path, deadline: float = math.inf):
    """Run ``argv`` + the pending exercise ids in the jail until each exercise has written ``<id>.json``
    or has been stopped; move each finished exercise's files (``<id>.*``, ``e<id>_c*``) to ``outputs``,
    out of the jail's reach, after every run. A run that dies or hits a limit costs the exercise it was
    working on (every pending one, if it had not started any), and the rest run again.
    Returns ({stopped exercise: the limit that stopped it, or "" for a crash}, the runs)."""
    stopped, runs = {}, []
    while pending:
        (work / runner.PROGRESS_FILE).unlink(missing_ok=True)
        budget = clock.start(work, pending)
        wall = min(budget.wall_seconds, deadline - time.monotonic())
        if wall <= 0:
            stopped.update((eid, "wall") for eid in pending)
            break
        run = environment.run([*argv, *pending], work, limits.jail(budget.cpu_seconds, wall), log, clock)
        runs.append(run)
        clock(run.cpu_seconds)   # the run's last moments, and the exercise it was working on when it ended
        for eid in pending:
            if (work / f"{eid}.json").exists():
                for path in [*work.glob(f"{glob.escape(eid)}.*"), *work.glob(f"e{glob.escape(eid)}_c*")]:
                    with contextlib.suppress(OSError):   # whatever it is, it is read only as a regular file
                        os.replace(path, outputs / path.name)
        pending = [eid for eid in pending if not (outputs / f"{eid}.json").exists()]
        if pending:  # the run died or hit a limit
            culprits = [clock.current] if clock.current in pending else list(pending)
            stopped.update((eid, run.limit) for eid in culprits)
            pending = [eid for eid in pending if eid not in culprits]
    return stopped, runs


class ExerciseClock:
    """Charges every moment of a run to the exercise the runner says it is working on (the file
    ``progress``, written inside the jail), or to the run's start (imports, loading the definitions)
    while it names none of the run's exercises. An exercise's totals are kept across runs; the start's
    allowance is per run. Called by the jail with the run's CPU seconds; says "exercise" to stop it."""

    def __init__(self, limits: Limits):
        self.limits, self.cpu, self.wall = limits, defaultdict(float), defaultdict(float)
        self.folder, self.pending, self.current, self.last = None, [], STARTING, (0.0, 0.0)

    def allowance(self, key: str) -> tuple[float, float]:
        """(CPU, wall) seconds that ``key`` may use."""
        cpu = START_SECONDS if key == STARTING else self.limits.exercise_seconds
        return cpu, cpu * self.limits.wall_factor

    def start(self, folder: Path, pending: list[str]) -> jail.JailLimits:
        """A new run: its backstop is what is left of the pending exercises' allowances, plus a start."""
        self.folder, self.pending, self.current, self.last = folder, list(pending), STARTING, (0.0, time.monotonic())
        self.cpu[STARTING] = self.wall[STARTING] = 0.0
        left = [(self.allowance(key)[0] - self.cpu[key], self.allowance(key)[1] - self.wall[key])
                for key in [STARTING, *pending]]
        return jail.JailLimits(sum(max(cpu, 0) for cpu, _ in left), 0,
                               wall_seconds=sum(max(wall, 0) for _, wall in left))

    def running(self) -> str | None:
        try:  # written inside the jail: a small plain file, or nothing
            return read_capped(self.folder / runner.PROGRESS_FILE, 64).decode("utf-8", "replace")
        except (OSError, UnsafeFile):
            return None

    def __call__(self, cpu_seconds: float) -> str | None:
        now = time.monotonic()
        self.cpu[self.current] += max(cpu_seconds - self.last[0], 0.0)
        self.wall[self.current] += now - self.last[1]
        self.last = (cpu_seconds, now)
        cpu_allowed, wall_allowed = self.allowance(self.current)
        if self.cpu[self.current] > cpu_allowed or self.wall[self.current] > wall_allowed:
            return "exercise"
        running = self.running()
        self.current = running if running in self.pending else STARTING
        return None

    def exercise_cpu(self) -> dict[str, float]:
        return {key: round(seconds, 2) for key, seconds in self.cpu.items() if key != STARTING}


def judge_output(exercise: FunctionExercise, folder: Path) -> Verdict:
    try:  # written inside the jail: sizes are checked from the files' headers before anything is loaded
        records = read_json_capped(folder / f"{exercise.id}.json", MAX_SANDBOX_JSON_BYTES)
        check_archive(folder / f"{exercise.id}.npz", MAX_ARTIFACT_BYTES)
        arrays = runner.load_arrays(folder / f"{exercise.id}.npz")
    except (OSError, ValueError, UnsafeFile) as error:
        return Verdict(Status.WRONG, UNREADABLE.format(error=str(error)[:120]))
    cases = all_cases(exercise)  # regenerated here, never read back

    def load_model(name):
        import keras  # deferred: only exercises that return models need Keras here
        check_archive(folder / name, MAX_ARTIFACT_BYTES)
        return keras.saving.load_model(folder / name, safe_mode=True)

    if not isinstance(records, list) or len(records) != len(cases):
        return Verdict(Status.WRONG, INCOMPLETE)
    outcomes = []
    for case, record in zip(cases, records):
        if not isinstance(record, dict):
            return Verdict(Status.WRONG, INCOMPLETE)
        if record.get("error_type"):
            outcomes.append(Outcome(case, error_type=str(record["error_type"])[:runner.ERROR_TYPE_LIMIT],
                                    error_text=str(record.get("error_text", ""))[:runner.ERROR_TEXT_LIMIT]))
            continue
        try:
            outcomes.append(Outcome(case, value=runner.decode(record["value"], arrays, load_model)))
        except Exception as error:
            outcomes.append(Outcome(case, error_type=runner.UNREADABLE_OUTPUT, error_text=type(error).__name__))
    return exercise.judge(outcomes)
