"""Grading-only material, one module per notebook; none of it ships to students or enters a jail.

Each module defines
  HIDDEN_CASES:        {exercise id: function returning the hidden cases};
  REFERENCES:          {exercise id: function(case) -> the reference's answer to that case, as data};
  REFERENCE_FUNCTIONS: {function name: its reference source}, run in the sandbox for the exercises that
                       use an earlier exercise's function (Exercise.uses), so one bug costs one exercise.
"""
import dataclasses

from grader.core import Case
from grader.hidden import nb01, nb02, nb03, nb04, nb05

MODULES = (nb01, nb02, nb03, nb04, nb05)
HIDDEN_CASES = {key: value for module in MODULES for key, value in module.HIDDEN_CASES.items()}
REFERENCES = {key: value for module in MODULES for key, value in module.REFERENCES.items()}
REFERENCE_FUNCTIONS = {key: value for module in MODULES for key, value in module.REFERENCE_FUNCTIONS.items()}


def hidden_cases(exercise_id: str) -> list[Case]:
    """The hidden cases of one exercise (none for model exercises)."""
    return HIDDEN_CASES[exercise_id]() if exercise_id in HIDDEN_CASES else []


def with_expected(exercise_id: str, cases: list[Case]) -> list[Case]:
    """The cases with the reference's answers (unchanged where the exercise's judge needs none)."""
    reference = REFERENCES.get(exercise_id)
    if reference is None:
        return cases
    return [dataclasses.replace(case, expected=reference(case)) for case in cases]


def reference_sources(names) -> list[str]:
    return [REFERENCE_FUNCTIONS[name] for name in names if name in REFERENCE_FUNCTIONS]
