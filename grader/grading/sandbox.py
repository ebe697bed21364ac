"""Run a submission's exercise functions in a throwaway process that sees data only.

The sandbox folder receives the student's definitions (from the notebook source),
every case's inputs, public and hidden, and the reference versions of the functions
an exercise uses from earlier exercises, as files, plus a copy of grader/runner.py:
nothing else of the grader. The runner writes back plain data (arrays read without
pickle, Keras models reloaded in safe mode). This process regenerates the cases and
the reference's answers itself, pairs them with what came back, and the exercise
judges the outcomes.
"""
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from grader import runner
from grader.core import Case, Outcome, Status, Verdict
from grader.exercises.base import FunctionExercise
from grader.grading import jail
from grader.grading.files import UnsafeFile, check_archive, read_capped
from grader.grading.limits import MAX_ARTIFACT_BYTES, MAX_SANDBOX_JSON_BYTES, Limits
from grader.hidden import hidden_cases, reference_sources, with_expected
from grader.i18n import Msg

TIMED_OUT = Msg("la función no terminó a tiempo (límite de {seconds:.0f} s por ejercicio)",
                "the function did not finish in time ({seconds:.0f} s limit per exercise)")
CRASHED = Msg("el proceso terminó de forma inesperada al ejecutar tu función",
              "the process ended unexpectedly while running your function")
INCOMPLETE = Msg("la salida del entorno aislado está incompleta", "the sandbox output is incomplete")
UNREADABLE = Msg("la salida de tu función no se pudo leer: es demasiado grande o no es válida ({error})",
                 "your function's output could not be read: it is too large or not valid ({error})")
WITH_REFERENCE = {
    False: Msg("({id} se evaluó con la {names} de referencia porque la tuya falla en {dependency})",
               "({id} was graded with the reference {names} because yours fails {dependency})"),
    True: Msg("({id} se evaluó con las versiones de referencia de {names} porque las tuyas fallan en {dependency})",
              "({id} was graded with the reference versions of {names} because yours fail {dependency})")}


def all_cases(exercise: FunctionExercise) -> list[Case]:
    """Public and hidden cases, each with the reference's answer."""
    return with_expected(exercise.id, exercise.cases() + hidden_cases(exercise.id))


def write_inputs(folder: Path, definitions: list[str], exercises: list[FunctionExercise]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(runner.__file__, folder / "runner.py")
    (folder / "definitions.json").write_text(json.dumps(definitions))
    arrays, plan = {}, {}
    for exercise in exercises:
        calls = [(case.function, runner.encode(case.args, arrays, folder, f"in{exercise.id}_{number}"))
                 for number, case in enumerate(exercise.cases() + hidden_cases(exercise.id))]
        plan[exercise.id] = {"calls": calls, "overrides": reference_sources(exercise.uses)}
    (folder / "cases.json").write_text(json.dumps(plan))
    np.savez(folder / "cases.npz", **arrays)


def run_function_exercises(definitions: list[str], exercises: list[FunctionExercise], folder: Path,
                           limits: Limits, environment: jail.Environment) -> tuple[dict[str, Verdict], list]:
    """Run every exercise's cases in the sandbox and judge them. Returns one verdict per exercise, and the
    sandbox's runs (their CPU time and peak memory)."""
    write_inputs(folder, definitions, exercises)
    home = environment.home(folder)
    verdicts, pending, runs = {}, [e.id for e in exercises], []
    while pending:
        (folder / runner.PROGRESS_FILE).unlink(missing_ok=True)
        budget = jail.JailLimits(limits.exercise_seconds * len(pending) + 30,  # + importing the libraries
                                 limits.memory_mb, limits.processes, disk_mb=limits.disk_mb,
                                 wall_factor=limits.wall_factor)
        run = environment.run([sys.executable, f"{home}/runner.py", home, *pending], folder, budget,
                              folder.parent / "sandbox.log", ExerciseClock(folder, limits.exercise_seconds))
        runs.append(run)
        pending = [eid for eid in pending if not (folder / f"{eid}.json").exists()]
        if pending:  # the sandbox died or hung: charge the exercise it was running, go on with the rest
            running = ExerciseClock(folder, 0).running()
            culprit = running if running in pending else pending[0]
            verdicts[culprit] = (Verdict(Status.TIMEOUT, TIMED_OUT.format(seconds=limits.exercise_seconds))
                                 if run.limit in ("exercise", "cpu", "wall") else Verdict(Status.CRASHED, CRASHED))
            pending.remove(culprit)
    for exercise in exercises:
        if exercise.id not in verdicts:
            verdicts[exercise.id] = judge_output(exercise, folder)
    for exercise in exercises:
        for dependency, names in exercise.dependencies().items():
            if dependency in verdicts and not verdicts[dependency].correct:
                note = WITH_REFERENCE[len(names) > 1].format(
                    id=exercise.id, names=", ".join(f"`{name}`" for name in names), dependency=dependency)
                verdict = verdicts[exercise.id]
                verdicts[exercise.id] = dataclasses.replace(verdict, message=Msg.same("{message} {note}").format(
                    message=verdict.message, note=note))
    return verdicts, runs


class ExerciseClock:
    """Stops the sandbox when the exercise it says it is running has used more than its CPU time."""

    def __init__(self, folder: Path, seconds: float):
        self.folder, self.seconds, self.current, self.since = folder, seconds, None, 0.0

    def running(self) -> str | None:
        try:  # written inside the jail: a small plain file, or nothing
            return read_capped(self.folder / runner.PROGRESS_FILE, 64).decode("utf-8", "replace")
        except (OSError, UnsafeFile):
            return None

    def __call__(self, cpu_seconds: float) -> str | None:
        running = self.running()
        if running != self.current:
            self.current, self.since = running, cpu_seconds
        return "exercise" if running is not None and cpu_seconds - self.since > self.seconds else None


def judge_output(exercise: FunctionExercise, folder: Path) -> Verdict:
    try:  # written inside the jail: sizes are checked from the files' headers before anything is loaded
        records = json.loads(read_capped(folder / f"{exercise.id}.json", MAX_SANDBOX_JSON_BYTES))
        check_archive(folder / f"{exercise.id}.npz", MAX_ARTIFACT_BYTES)
        with np.load(folder / f"{exercise.id}.npz", allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
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
            outcomes.append(Outcome(case, error_type="ValueError",
                                    error_text=f"salida ilegible ({type(error).__name__})"))
    return exercise.judge(outcomes)
