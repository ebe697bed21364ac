"""The reference's answers to the public cases, written as package data (grader/resources/expected/).

The in-notebook checks compare with these answers, so the student-facing package
needs no reference code; the references themselves stay in grader/hidden/.
"""
import json
from pathlib import Path

import numpy as np

from grader import runner
from grader.data import EXPECTED_DIR, expected_path, read_answers
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import assignments, exercises_for
from grader.hidden import REFERENCES, with_expected


def answers(assignment: str) -> dict[str, list]:
    """{exercise id: [reference answer of each public case]}, for the exercises that have a reference."""
    return {exercise.id: [case.expected for case in with_expected(exercise.id, exercise.cases())]
            for exercise in exercises_for(assignment)
            if isinstance(exercise, FunctionExercise) and exercise.id in REFERENCES}


def encoded(assignment: str, folder: Path) -> tuple[str, dict]:
    arrays = {}
    data = {exercise_id: [runner.encode(answer, arrays, folder, f"x{exercise_id}_{number}")
                          for number, answer in enumerate(items)]
            for exercise_id, items in answers(assignment).items()}
    return json.dumps(data, indent=1, sort_keys=True) + "\n", arrays


def same(a, b) -> bool:
    """Equal data, with float arrays equal to rounding (references may run on another machine)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-10, equal_nan=True)
    return a == b


def write_or_check(folder: Path = EXPECTED_DIR, check: bool = False) -> list[str]:
    """Write every assignment's answers (or, with check=True, name the ones that differ)."""
    messages = []
    for assignment in assignments():
        path = expected_path(assignment, folder)
        if not check:
            text, arrays = encoded(assignment, folder)   # computed here only: a check computes them once, below
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            np.savez(path.with_suffix(".npz"), **arrays)
            continue
        if not path.is_file():
            messages.append(f"{path}: missing (run `python -m grader build`)")
            continue
        stored = read_answers(path)
        fresh = answers(assignment)
        messages += [f"{path}: the answers of exercise {exercise_id} differ from its reference"
                     for exercise_id in sorted(set(stored) | set(fresh))
                     if not same(stored.get(exercise_id), fresh.get(exercise_id))]
    return messages
