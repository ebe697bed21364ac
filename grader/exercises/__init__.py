"""Registry of every exercise in the course, one module per notebook (nbNN.py).

Hidden test cases live in grader/hidden/nbNN.py (same exercise ids); that
folder is not part of the student release, so it is optional here.
"""
import importlib
import pkgutil
from functools import cache

from grader.checking import Exercise


@cache
def all_exercises() -> dict[str, Exercise]:
    exercises = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        try:
            hidden = importlib.import_module(f"grader.hidden.{module_info.name}").HIDDEN_CASES
        except ModuleNotFoundError:
            hidden = {}
        for exercise in module.EXERCISES:
            if exercise.id in hidden:
                exercise.hidden_cases = hidden[exercise.id]
            exercises[exercise.id] = exercise
    return exercises


def get_exercise(exercise_id: str) -> Exercise:
    exercises = all_exercises()
    if exercise_id not in exercises:
        known = ", ".join(exercises)
        raise KeyError(f"No existe el ejercicio '{exercise_id}'. Ejercicios disponibles: {known}")
    return exercises[exercise_id]


def exercises_for(assignment: str) -> list[Exercise]:
    return [e for e in all_exercises().values() if e.assignment == assignment]


def assignments() -> list[str]:
    return sorted({e.assignment for e in all_exercises().values()})
