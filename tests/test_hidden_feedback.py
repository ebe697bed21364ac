"""Hidden cases reveal nothing (issue 16, finding 4): a failed hidden case names the function and, at most, a
built-in exception's type, in the verdict, the result's JSON and the feedback; public cases keep their diagnoses.

Every function exercise of the course is tried with a hard-coder: it returns the public answers, then on the
hidden cases raises its inputs' text, raises an exception type named after them, or returns a wrong answer (whose
judge message would name the expected value, or print a mismatching array)."""
import copy
import json
import re

import pytest

from grader.core import ExerciseResult, Status, SubmissionResult
from grader.exercises.base import HIDDEN_FAILURE
from grader.exercises.registry import all_exercises
from grader.grading.sandbox import all_cases
from grader.hidden import HIDDEN_CASES
from grader.reports.feedback import rows
from helpers import solution_namespace

# Listed by id: making the cases at collection would cost every pytest worker MNIST's loading
WITH_HIDDEN = [e for e in all_exercises().values() if e.id in HIDDEN_CASES]
TEMPLATE = re.compile(r"[a-z_0-9]+\(…\) falla en una prueba oculta( \(lanza (ValueError|Exception)\))?: pruébala "
                      r"con otras entradas, incluidos casos límite\.?( Hay \d+ pistas: .*)?")


def raises_inputs(args, last_answer):
    raise ValueError(f"LEAK {args!r}")


def invents_a_type(args, last_answer):
    raise type("Leak" + "".join(c for c in repr(args) if c.isalnum())[:30], (Exception,), {})()


def returns_an_earlier_answer(args, last_answer):
    return last_answer


def hard_coder(solution: dict, public_calls: int, on_hidden, names) -> dict:
    """The solution's functions on the first ``public_calls`` calls (the public cases), then ``on_hidden``."""
    state = {"calls": 0, "last": None}

    def wrap(name):
        def function(*args):
            state["calls"] += 1
            if state["calls"] > public_calls:
                return on_hidden(args, copy.deepcopy(state["last"]))
            state["last"] = solution[name](*args)
            return state["last"]
        return function
    return {name: wrap(name) for name in names}


@pytest.mark.parametrize("exercise", WITH_HIDDEN, ids=lambda e: e.id)
def test_a_failed_hidden_case_says_which_function_failed_and_nothing_else(exercise):
    cases = all_cases(exercise)
    solution = solution_namespace(exercise.assignment)
    public = sum(not case.hidden for case in cases)
    assert public < len(cases), "no hidden case to fail"
    functions = {case.function for case in cases}
    for on_hidden in (raises_inputs, invents_a_type, returns_an_earlier_answer):
        namespace = {**solution, **hard_coder(solution, public, on_hidden, functions)}
        verdict = exercise.judge(exercise.run(namespace, cases))
        if verdict.correct:   # an earlier answer that also answers the hidden case: nothing to show
            continue
        assert verdict.hidden, verdict.message.es   # the public answers pass: only hidden cases fail
        result = SubmissionResult("ana", exercise.assignment, "x.ipynb",
                                  exercises=[ExerciseResult.of(exercise, verdict)])
        stored = result.to_json()["exercises"][0]
        assert stored["reason"] == HIDDEN_FAILURE.es and stored["reason_en"] == HIDDEN_FAILURE.en
        for text in (stored["es"], rows(result, "es")[0][3]):
            assert TEMPLATE.fullmatch(text), text
        assert "LEAK" not in json.dumps(result.to_json()) and "Leak" not in json.dumps(result.to_json())
        if on_hidden is invents_a_type:
            assert "(lanza Exception)" in stored["es"] and "(it raises Exception)" in stored["en"]


def test_public_cases_keep_their_diagnosis():
    exercise = all_exercises()["1.8"]
    cases = [case for case in all_cases(exercise) if not case.hidden]
    outcomes = exercise.run({"collapse_linear_layers": lambda *args: raises_inputs(args, [])}, cases)
    verdict = exercise.judge(outcomes)
    assert verdict.status == Status.WRONG and not verdict.hidden and "LEAK" in verdict.message.es
