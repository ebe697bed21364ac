"""Every exercise of the course, one module per notebook."""
from functools import cache

from grader.exercises import nb01, nb02, nb03, nb04, nb05
from grader.exercises.base import Exercise

NOTEBOOKS = (nb01, nb02, nb03, nb04, nb05)


@cache
def all_exercises() -> dict[str, Exercise]:
    return {exercise.id: exercise for module in NOTEBOOKS for exercise in module.EXERCISES}


def get_exercise(exercise_id: str) -> Exercise:
    exercises = all_exercises()
    if exercise_id not in exercises:
        raise KeyError(f"No existe el ejercicio '{exercise_id}'. Ejercicios disponibles: {', '.join(exercises)}")
    return exercises[exercise_id]


def exercises_for(assignment: str) -> list[Exercise]:
    return [e for e in all_exercises().values() if e.assignment == assignment]


def assignments() -> list[str]:
    return sorted({e.assignment for e in all_exercises().values()})


def datasets_for(assignment: str) -> tuple[str, ...]:
    """The datasets (grader.data.DATASET_FILES names) grading ``assignment`` reads."""
    return next((module.DATASETS for module in NOTEBOOKS
                 if any(e.assignment == assignment for e in module.EXERCISES)), ())
