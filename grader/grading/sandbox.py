"""Run a submission's exercise functions in a throwaway process that sees data only.

The sandbox folder receives the student's definitions (from the notebook source),
every case's inputs, public and hidden, and the reference versions of the functions
an exercise uses from earlier exercises, as files, plus a copy of grader/runner.py:
nothing else of the grader. The runner writes back plain data (arrays read without
pickle, Keras models reloaded in safe mode). This process regenerates the cases and
the reference's answers itself, pairs them with what came back, and the exercise
judges the outcomes.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from grader import runner
from grader.core import Case, Outcome, Status, Verdict
from grader.exercises.base import FunctionExercise
from grader.grading.limits import Limits, child_environment, limit_memory
from grader.hidden import hidden_cases, reference_sources, with_expected
from grader.i18n import Msg

TIMED_OUT = Msg("la función no terminó a tiempo (límite de {seconds:.0f} s por ejercicio)",
                "the function did not finish in time ({seconds:.0f} s limit per exercise)")
CRASHED = Msg("el proceso terminó de forma inesperada al ejecutar tu función",
              "the process ended unexpectedly while running your function")
INCOMPLETE = Msg("la salida del entorno aislado está incompleta", "the sandbox output is incomplete")
WITH_REFERENCE = Msg("({id} se evaluó con la `{name}` de referencia porque la tuya falla en {dependency})",
                     "({id} was graded with the reference `{name}` because yours fails {dependency})")


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
                           limits: Limits) -> dict[str, Verdict]:
    """Run every exercise's cases in the sandbox and judge them; one verdict per exercise."""
    write_inputs(folder, definitions, exercises)
    verdicts, pending = {}, [e.id for e in exercises]
    while pending:
        (folder / runner.PROGRESS_FILE).unlink(missing_ok=True)
        budget = limits.exercise_seconds * len(pending) + 30  # + time to import the libraries
        with open(folder / "output.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "runner.py", str(folder), *pending], cwd=folder, stdout=log, stderr=log,
                stdin=subprocess.DEVNULL, env=child_environment(), preexec_fn=limit_memory(limits.memory_mb),
                start_new_session=True)
            timed_out = _wait(process, folder, limits.exercise_seconds, budget)
        pending = [eid for eid in pending if not (folder / f"{eid}.json").exists()]
        if pending:  # the sandbox died or hung: charge the exercise it was running, go on with the rest
            progress = folder / runner.PROGRESS_FILE
            running = progress.read_text() if progress.exists() else None
            culprit = running if running in pending else pending[0]
            verdicts[culprit] = (Verdict(Status.TIMEOUT, TIMED_OUT.format(seconds=limits.exercise_seconds))
                                 if timed_out else Verdict(Status.CRASHED, CRASHED))
            pending.remove(culprit)
    for exercise in exercises:
        if exercise.id not in verdicts:
            verdicts[exercise.id] = judge_output(exercise, folder)
    for exercise in exercises:
        for name, dependency in exercise.uses.items():
            if dependency in verdicts and not verdicts[dependency].correct:
                note = WITH_REFERENCE.format(id=exercise.id, name=name, dependency=dependency)
                verdict = verdicts[exercise.id]
                verdicts[exercise.id] = Verdict(verdict.status, Msg.same("{message} {note}").format(
                    message=verdict.message, note=note))
    return verdicts


def judge_output(exercise: FunctionExercise, folder: Path) -> Verdict:
    records = json.loads((folder / f"{exercise.id}.json").read_text())
    with np.load(folder / f"{exercise.id}.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    cases = all_cases(exercise)  # regenerated here, never read back
    if len(records) != len(cases):
        return Verdict(Status.WRONG, INCOMPLETE)

    def load_model(name):
        import keras  # deferred: only exercises that return models need Keras here
        return keras.saving.load_model(folder / name, safe_mode=True)

    outcomes = []
    for case, record in zip(cases, records):
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


def _wait(process, folder: Path, exercise_seconds: float, budget: float) -> bool:
    """Wait for the sandbox; kill it when one exercise runs too long. Returns True on timeout."""
    started = time.monotonic()
    current, current_since = None, time.monotonic()
    progress = folder / runner.PROGRESS_FILE
    while process.poll() is None:
        time.sleep(0.1)
        now_running = progress.read_text() if progress.exists() else None
        if now_running != current:
            current, current_since = now_running, time.monotonic()
        too_slow = current is not None and time.monotonic() - current_since > exercise_seconds
        if too_slow or time.monotonic() - started > budget:
            os.killpg(process.pid, 9)
            process.wait()
            return True
    return False
