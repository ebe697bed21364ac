"""Hidden test cases, one module per notebook: instructors only, never shipped to students.

Each module's HIDDEN_CASES maps an exercise id to a function returning its hidden cases.
"""
from grader.hidden import nb01, nb02, nb03, nb04, nb05

HIDDEN_CASES = {exercise_id: cases for module in (nb01, nb02, nb03, nb04, nb05)
                for exercise_id, cases in module.HIDDEN_CASES.items()}


def hidden_cases(exercise_id: str) -> list:
    """The hidden cases of one exercise (none for model exercises)."""
    return HIDDEN_CASES[exercise_id]() if exercise_id in HIDDEN_CASES else []
