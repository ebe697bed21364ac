"""A realistic class of notebook-01 results, built without grading: every verdict comes from the exercises'
own judges, run on the solution's functions, on typical wrong versions, or on unfinished ones.

Used by the class-report tests and to render the example report (a seeded random mix of students).
"""
import os
import random
import tempfile

import numpy as np

from grader.core import ExerciseResult, Incident, Note, SubmissionResult
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for
from grader.i18n import Msg
from helpers import NB01, graded_verdict, solution_namespace
from submissions import HARD_CODED_STEP


def not_done(*args, **kwargs):
    raise NotImplementedError("Ejercicio: completa la función")


def hard_coded_step():
    namespace = {"np": np}
    exec(HARD_CODED_STEP, namespace)
    return namespace["step"]


# Typical mistakes: {exercise id: [(function name, wrong version)]}
MISTAKES = {
    "1.1": [("step", lambda z: np.where(np.asarray(z) > 0, 1.0, 0.0))],
    "1.2": [("sigmoid", lambda z: 1 / (1 + np.exp(np.clip(z, -500, 500)))),   # forgot the minus sign
            ("relu", lambda z: np.maximum(z, 1e-3))],
    "1.3": [("sigmoid_derivative", lambda z: 1 / (1 + np.exp(-np.clip(z, -500, 500))))],   # the sigmoid itself
    "1.4": [("perceptron_forward", lambda X, w, b: np.where(np.asarray(X) @ w > 0, 1.0, 0.0))],
    "1.5": [("perceptron_update", lambda x, t, w, b, lr: (w + lr * (t - float(x @ w + b >= 0)) * x, b))],
    "1.8": [("collapse_linear_layers", lambda W1, b1, W2, b2: (W1 @ W2, b1 + b2))],
    "1.9": [("optimizer_updates", lambda n, batch, epochs: epochs * (n // batch))],
}
HIDDEN_ONLY = {"1.1": [("step", hard_coded_step())]}


def verdicts(namespace: dict, rng: random.Random, skill: float) -> list[ExerciseResult]:
    """One student's results: each exercise right, wrong in a typical way, or not attempted."""
    results = []
    for exercise in exercises_for(NB01):
        roll = rng.random()
        if not isinstance(exercise, FunctionExercise):
            previous = os.getcwd()
            with tempfile.TemporaryDirectory() as empty:
                os.chdir(empty)
                try:  # no saved file: "not attempted", or "exists but not saved" when the model is there
                    verdict = exercise.check({exercise.names[0]: object()} if roll < skill else {})
                finally:
                    os.chdir(previous)
            results.append(ExerciseResult.of(exercise, verdict))
            continue
        overrides = {}
        if roll > skill + 0.25:
            overrides = {name: not_done for name in exercise.names}
        elif roll > skill and exercise.id in MISTAKES:
            overrides = dict([rng.choice(MISTAKES[exercise.id])])
        elif roll > skill - 0.1 and exercise.id in HIDDEN_ONLY:
            overrides = dict([rng.choice(HIDDEN_ONLY[exercise.id])])
        results.append(ExerciseResult.of(exercise, graded_verdict(exercise.id, namespace, **overrides)))
    return results


INCIDENTS = [(Incident.TIMEOUT, Msg("la celda 14 superó su límite de 600 s de CPU",
                                    "cell 14 exceeded its limit of 600 CPU seconds")),
             (Incident.MEMORY_LIMIT, Msg("la ejecución superó el límite de memoria (6144 MB)",
                                         "the run exceeded the memory limit (6144 MB)")),
             (Incident.KERNEL_DIED, Msg("el kernel murió en la celda 9", "the kernel died in cell 9"))]


# How a class tends to predict before seeing the answer: {question: {letter: weight}}; some never predict.
PREDICTION_WEIGHTS = {"1.9": {"a": 3, "b": 7}, "1.12": {"a": 1, "b": 3, "c": 5, "d": 1}}


def predictions(rng: random.Random) -> dict[str, str]:
    made = {}
    for question, weights in PREDICTION_WEIGHTS.items():
        if rng.random() < 0.8:
            made[question] = rng.choices(list(weights), list(weights.values()))[0]
    return made


def make_class(count: int = 30, seed: int = 12) -> list[SubmissionResult]:
    rng = random.Random(seed)
    predicting = random.Random(seed + 1)  # its own stream: the verdicts stay as they were
    namespace = solution_namespace(NB01)
    results = []
    for index in range(count):
        student = f"estudiante_{index + 1:02d}"
        notes = [Note(*INCIDENTS[index // 7 % len(INCIDENTS)])] if index % 7 == 4 else []
        usage = {"kernel_cpu_seconds": rng.uniform(14, 30) * (3 if notes else 1), "kernel_peak_mb": rng.uniform(600, 900),
                 "sandbox_cpu_seconds": rng.uniform(2, 6), "sandbox_peak_mb": rng.uniform(150, 250),
                 "judge_peak_mb": rng.uniform(300, 400)}
        results.append(SubmissionResult(student, NB01, "", notes, verdicts(namespace, rng, rng.uniform(0.3, 1.0)),
                                        key=f"{student}__{NB01}", usage=usage, predictions=predictions(predicting)))
    return results


if __name__ == "__main__":  # python tests/class_data.py OUTDIR [es|en]: the example report, from 30 students
    import sys
    from pathlib import Path

    from grader.reports import class_report
    from similar import build_similar

    outdir = Path(sys.argv[1])
    results = make_class(30)
    for result, (student, path) in zip(results, build_similar(outdir / "entregas").items()):
        result.student, result.path = student, str(path)
    class_report.export(results, outdir, sys.argv[2] if len(sys.argv) > 2 else "es")
    print(outdir / class_report.FILE)
