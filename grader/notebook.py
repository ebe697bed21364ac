"""What students call in the notebooks: ``check("3.2")`` and ``hint("3.2")`` (or ``hint("3.2", 2)``)."""
import inspect
import sys

from grader.core import Status, Verdict
from grader.exercises.base import Exercise
from grader.exercises.registry import get_exercise
from grader.i18n import Msg

ICONS = {Status.CORRECT: "✅", Status.WRONG: "❌", Status.NOT_ATTEMPTED: "⏳"}
HINT = Msg("Pista {tier} de {count} para el ejercicio {id}", "Hint {tier} of {count} for exercise {id}")
NEXT_HINT = Msg("Si no basta: hint(\"{id}\", {tier}).", "If that is not enough: hint(\"{id}\", {tier}).")
NO_SUCH_HINT = Msg("El ejercicio {id} tiene {count} pistas: pide hint(\"{id}\") a hint(\"{id}\", {count}).",
                   "Exercise {id} has {count} hints: ask for hint(\"{id}\") to hint(\"{id}\", {count}).")


def _notebook_namespace() -> dict:
    # The globals of whoever called check(): the notebook, where the student's functions live.
    return inspect.currentframe().f_back.f_back.f_globals


def verdict_in_notebook(exercise: Exercise, namespace: dict) -> Verdict:
    """The exercise's verdict, after the exercises whose functions it uses: one bug is reported once."""
    for dependency_id in exercise.dependencies():
        dependency = verdict_in_notebook(get_exercise(dependency_id), namespace)
        if not dependency.correct:
            return exercise.dependency_first(dependency_id, dependency)
    return exercise.check(namespace)


def check(exercise_id: str) -> None:
    """Check exercise ``exercise_id`` against what the notebook has defined, and print one line."""
    verdict = verdict_in_notebook(get_exercise(exercise_id), _notebook_namespace())
    print(f"{ICONS[verdict.status]} {verdict.message}")
    sys.stdout.flush()


def hint(exercise_id: str, tier: int = 1) -> None:
    """Print hint number ``tier`` (1 = the concept; later ones get closer to the formula, never to code)."""
    exercise = get_exercise(exercise_id)
    count = len(exercise.hints)
    if not 1 <= tier <= count:
        print(f"💡 {NO_SUCH_HINT.format(id=exercise.id, count=count)}")
        return
    lines = [f"💡 {HINT.format(tier=tier, count=count, id=exercise.id)}: {exercise.hints[tier - 1]}"]
    if tier < count:
        lines.append(f"   {NEXT_HINT.format(id=exercise.id, tier=tier + 1)}")
    print("\n".join(lines))
