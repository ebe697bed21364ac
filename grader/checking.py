"""Exercise definitions and the one-line checks students call in the notebooks.

An exercise is checked in two steps so that the same logic serves the notebook
and the autograder:
  * ``call_cases`` runs the student's code on inputs (in the notebook's own
    process, or in a sandbox during grading) and collects outputs;
  * ``judge`` decides correct / wrong / not attempted from those outputs only.
The autograder runs the first step in an isolated process and the second in
its own clean process, so student code never decides its own score.
"""
import inspect
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from grader.i18n import Msg

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "wrong", "not-attempted"


@dataclass
class Case:
    """Call ``function(*args)``; ``hidden`` cases only run in the autograder."""
    function: str
    args: tuple
    hidden: bool = False

    def describe(self) -> str:
        if self.hidden:  # say which function failed, never the hidden inputs
            return f"{self.function}(…)"
        return f"{self.function}({', '.join(short_repr(arg) for arg in self.args)})"


@dataclass
class Outcome:
    """What running one case produced: a value, or the exception it raised."""
    case: Case
    value: Any = None
    error_type: str | None = None
    error_text: str = ""


@dataclass
class Result:
    status: str
    message: Msg

    @property
    def correct(self) -> bool:
        return self.status == CORRECT


@dataclass
class Exercise:
    """One checked exercise.

    kind "function": ``cases()`` lists the calls to make, ``judge_case(case, value)``
    returns a Msg describing what is wrong, or None when the value is right.
    kind "model": ``names[0]`` is a trained Keras model saved as ``model_file``;
    ``judge_model(model)`` returns a Msg or None.
    """
    id: str
    assignment: str
    title: Msg
    names: tuple[str, ...]
    hint: Msg
    kind: str = "function"
    points: int = 1
    cases: Callable[[], list[Case]] = lambda: []
    judge_case: Callable[[Case, Any], Msg | None] | None = None
    model_file: str | None = None
    judge_model: Callable[[Any], Msg | None] | None = None
    hidden_cases: Callable[[], list[Case]] = field(default=lambda: [])


# ---------------------------------------------------------------- formatting

def short_repr(value, limit: int = 60) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, separator=", ", threshold=8, edgeitems=2)
        text = " ".join(text.split())
        if value.size > 8:
            text += f" (forma {value.shape})"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def array_problem(value, expected, rtol=1e-6, atol=1e-8) -> Msg | None:
    """Compare an answer with the expected array (shape, finiteness, values); None when it matches."""
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    if value.shape != expected.shape:
        return Msg(f"la forma debería ser {expected.shape} y es {value.shape}",
                   f"the shape should be {expected.shape} but is {value.shape}")
    if not np.all(np.isfinite(value)):
        return Msg(f"devolvió valores no finitos (nan/inf): {short_repr(value)}",
                   f"returned non-finite values (nan/inf): {short_repr(value)}")
    if not np.allclose(value, expected, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(value - expected)), expected.shape)
        where = Msg(" en la posición [" + ", ".join(str(int(i)) for i in worst) + "]",
                    " at position [" + ", ".join(str(int(i)) for i in worst) + "]") if worst else Msg("", "")
        return Msg(f"se esperaba{where.es} {expected[worst]:.6g} y se obtuvo {value[worst]:.6g}",
                   f"expected{where.en} {expected[worst]:.6g} but got {value[worst]:.6g}")
    return None


# ---------------------------------------------------------------- running

def classification_accuracy(model, images, labels) -> float:
    """Share of images whose most probable class, as the Keras model predicts it, is the label."""
    probabilities = np.asarray(model.predict(images, batch_size=1000, verbose=0))
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def call_cases(exercise: Exercise, namespace: dict, cases: list[Case]) -> list[Outcome]:
    """Run each case against the functions found in ``namespace``.

    Arguments are copied so a function that modifies its inputs in place cannot
    change what the judge sees.
    """
    outcomes = []
    for case in cases:
        function = namespace.get(case.function)
        if not callable(function):
            outcomes.append(Outcome(case, error_type="NameError", error_text=case.function))
            continue
        args = tuple(np.array(arg, copy=True) if isinstance(arg, np.ndarray) else arg for arg in case.args)
        try:
            outcomes.append(Outcome(case, value=function(*args)))
        except Exception as error:  # student code may raise anything
            outcomes.append(Outcome(case, error_type=type(error).__name__, error_text=str(error)[:200]))
    return outcomes


def judge(exercise: Exercise, outcomes: list[Outcome]) -> Result:
    """Turn outcomes into one verdict; the first problem found is reported."""
    if any(o.error_type == "NotImplementedError" for o in outcomes):
        return Result(NOT_ATTEMPTED, Msg(
            f"Ejercicio {exercise.id}: aún sin hacer (la función lanza NotImplementedError).",
            f"Exercise {exercise.id}: not attempted yet (the function raises NotImplementedError)."))
    for outcome in outcomes:
        where = Msg("", "")
        if outcome.case.hidden:
            where = Msg(" (en una prueba oculta)", " (in a hidden test)")
        if outcome.error_type == "NameError" and outcome.error_text == outcome.case.function:
            return Result(NOT_ATTEMPTED, Msg(
                f"Ejercicio {exercise.id}: no encuentro la función `{outcome.case.function}`. "
                f"Ejecuta la celda donde la defines (y no cambies su nombre).",
                f"Exercise {exercise.id}: function `{outcome.case.function}` not found. "
                f"Run the cell that defines it (and keep its name)."))
        if outcome.error_type is not None:
            return Result(WRONG, Msg(
                f"{outcome.case.describe()} lanzó {outcome.error_type}: {outcome.error_text}{where.es}",
                f"{outcome.case.describe()} raised {outcome.error_type}: {outcome.error_text}{where.en}"))
        try:
            problem = exercise.judge_case(outcome.case, outcome.value)
        except Exception as error:  # a value of an unexpected type must not crash the checker
            problem = Msg(f"devolvió un valor que no se puede comprobar ({type(error).__name__}: {error})",
                          f"returned a value that cannot be checked ({type(error).__name__}: {error})")
        if problem is not None:
            return Result(WRONG, Msg(
                f"{outcome.case.describe()}: {problem.es}{where.es}",
                f"{outcome.case.describe()}: {problem.en}{where.en}"))
    return Result(CORRECT, Msg(f"Ejercicio {exercise.id}: ¡correcto!", f"Exercise {exercise.id}: correct!"))


def judge_model_object(exercise: Exercise, model) -> Result:
    if model is None:
        return Result(NOT_ATTEMPTED, Msg(
            f"Ejercicio {exercise.id}: aún no existe `{exercise.names[0]}`. Crea, entrena y guarda el modelo.",
            f"Exercise {exercise.id}: `{exercise.names[0]}` does not exist yet. Build, train and save the model."))
    try:
        problem = exercise.judge_model(model)
    except Exception as error:
        problem = Msg(f"no se pudo evaluar el modelo ({type(error).__name__}: {error})",
                      f"the model could not be evaluated ({type(error).__name__}: {error})")
    if problem is not None:
        return Result(WRONG, Msg(f"`{exercise.names[0]}`: {problem.es}", f"`{exercise.names[0]}`: {problem.en}"))
    return Result(CORRECT, Msg(f"Ejercicio {exercise.id}: ¡correcto!", f"Exercise {exercise.id}: correct!"))


def run_public_check(exercise: Exercise, namespace: dict) -> Result:
    if exercise.kind == "model":
        return judge_model_object(exercise, namespace.get(exercise.names[0]))
    return judge(exercise, call_cases(exercise, namespace, exercise.cases()))


# ---------------------------------------------------------------- notebook API

ICONS = {CORRECT: "✅", WRONG: "❌", NOT_ATTEMPTED: "⏳"}


def _caller_namespace() -> dict:
    # The notebook's globals: where the student's functions live.
    frame = inspect.currentframe().f_back.f_back
    return frame.f_globals


def check(exercise_id: str) -> None:
    """Check exercise ``exercise_id`` against the functions defined in the notebook."""
    from grader.exercises import get_exercise
    exercise = get_exercise(exercise_id)
    result = run_public_check(exercise, _caller_namespace())
    print(f"{ICONS[result.status]} {result.message}")
    sys.stdout.flush()


def hint(exercise_id: str) -> None:
    from grader.exercises import get_exercise
    exercise = get_exercise(exercise_id)
    label = Msg("Pista", "Hint")
    print(f"💡 {label} {exercise.id}: {exercise.hint}")
