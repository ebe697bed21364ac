"""grader.notebook: what students call. check() prints one line; hint() gives tiers that never hold code."""
import numpy as np

from grader import notebook
from grader.core import Status
from grader.exercises.registry import all_exercises, get_exercise
from helpers import model_verdict

WRONG_STEP = {"np": np, "step": lambda z: np.where(np.asarray(z) > 0, 1.0, 0.0)}


def test_check_prints_one_line_with_an_icon(capsys):
    namespace = {"np": np, "step": lambda z: np.where(np.asarray(z) >= 0, 1.0, 0.0)}
    exec("check('1.1')", {"check": notebook.check, **namespace})
    assert capsys.readouterr().out == "✅ Ejercicio 1.1: ¡correcto!\n"


def test_an_exercise_names_the_earlier_exercise_to_fix_first():
    forward = {"perceptron_forward": lambda X, w, b: WRONG_STEP["step"](X @ w + b)}
    verdict = notebook.verdict_in_notebook(get_exercise("1.4"), {**WRONG_STEP, **forward})
    assert verdict.status == Status.WRONG
    assert "usa tu `step`, que aún no pasa el ejercicio 1.1" in verdict.message.es


def test_hints_come_in_tiers(capsys):
    exercise = next(e for e in all_exercises().values() if len(e.hints) >= 1)
    notebook.hint(exercise.id)
    first = capsys.readouterr().out
    assert first.startswith(f"💡 Pista 1 de {len(exercise.hints)} para el ejercicio {exercise.id}: ")
    notebook.hint(exercise.id, len(exercise.hints) + 1)
    assert f"tiene {len(exercise.hints)} pistas" in capsys.readouterr().out


def test_a_model_in_memory_but_not_saved_is_wrong_with_the_reason():
    import keras
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    verdict = model_verdict("1.10", model, save=False)
    assert verdict.status == Status.WRONG and "no está guardado en or_model.keras" in verdict.message.es
    assert model_verdict("1.10", None).status == Status.NOT_ATTEMPTED


def test_a_wrong_verdict_carries_the_mistakes_template_and_whether_a_hidden_case_found_it():
    from grader.grading.sandbox import all_cases
    exercise = get_exercise("1.1")
    strict = {"step": lambda z: np.where(np.asarray(z) > 0, 1.0, 0.0)}
    public = exercise.check(strict)
    assert public.reason == "step(0) debe ser 1: el umbral es z ≥ 0" and not public.hidden
    assert public.reason_en == "step(0) must be 1: the threshold is z ≥ 0"
    hidden_only = [case for case in all_cases(exercise) if case.hidden]
    zeros = {"step": lambda z: np.zeros_like(np.asarray(z, dtype=float))}
    assert exercise.judge(exercise.run(zeros, hidden_only)).hidden
