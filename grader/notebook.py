"""What students call in the notebooks: ``check("3.2")`` and ``hint("3.2")``."""
import inspect
import sys

from grader.core import Status
from grader.exercises.registry import get_exercise
from grader.i18n import Msg

ICONS = {Status.CORRECT: "✅", Status.WRONG: "❌", Status.NOT_ATTEMPTED: "⏳"}


def _notebook_namespace() -> dict:
    # The globals of whoever called check(): the notebook, where the student's functions live.
    return inspect.currentframe().f_back.f_back.f_globals


def check(exercise_id: str) -> None:
    """Check exercise ``exercise_id`` against what the notebook has defined, and print one line."""
    verdict = get_exercise(exercise_id).check(_notebook_namespace())
    print(f"{ICONS[verdict.status]} {verdict.message}")
    sys.stdout.flush()


def hint(exercise_id: str) -> None:
    exercise = get_exercise(exercise_id)
    print(f"💡 {Msg('Pista', 'Hint')} {exercise.id}: {exercise.hint}")
