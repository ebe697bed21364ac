"""Budgets per submission (issue 16, findings 6 and 7): clocks per exercise that re-runs do not reset, and a
judge that evaluates student models in a jail under CPU and memory limits. What a submission spends of its
own is its timeout, never a grader-error."""
import math

import nbformat
import pytest

from grader.core import Status
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for, get_exercise
from grader.grading.task import Work, grade_one
from grader.grading.limits import Limits
from grader.grading.submission import judge_models
from helpers import NB01, needs_jail, sandbox_environment

pytestmark = needs_jail


@pytest.mark.slow
def test_functions_that_sleep_are_stopped_by_their_own_clocks_and_cost_a_timeout(tmp_path):
    # Every function of notebook 01 sleeps: no CPU, so only the per-exercise wall clocks stop them. So does a
    # cell: the wall-clock backstop (wall_factor × the cell's CPU limit) stops it, and the notebook goes on.
    functions = [e for e in exercises_for(NB01) if isinstance(e, FunctionExercise)]
    sleepers = "\n".join(f"def {name}(*args):\n    time.sleep(3600)\n" for e in functions for name in e.names)
    book = nbformat.v4.new_notebook(metadata={"grader": {"assignment": NB01}})
    book.cells = [nbformat.v4.new_code_cell("import time\n" + sleepers), nbformat.v4.new_code_cell("time.sleep(3600)")]
    # Graded as a worker grades a task (task.grade_one): the control would rightly refuse limits this small
    # for the reference solution, and the control is not what this test is about.
    graded, _ = grade_one(Work("sleeper", NB01, nbformat.writes(book).encode()),
                          Limits(cell_seconds=5, notebook_seconds=20, exercise_seconds=1))
    result = graded.to_json()
    assert result["status"] == "timeout"
    assert any("la celda 1 superó el límite de 5 s de CPU" in note["es"] for note in result["notes"]), result["notes"]
    statuses = {e["id"]: e["status"] for e in result["exercises"]}
    assert all(statuses[e.id] == Status.TIMEOUT.value for e in functions), statuses
    # each exercise's clock stopped it: asleep, it used next to no CPU
    assert set(result["usage"]["exercise_cpu_seconds"]) == {e.id for e in functions}
    assert all(seconds < 1 for seconds in result["usage"]["exercise_cpu_seconds"].values())


@pytest.mark.slow   # a model judged in its jail until its CPU limit
def test_a_model_cheap_to_build_but_slow_to_run_costs_its_exercise_within_its_cpu_limit(tmp_path):
    import keras
    from keras import layers
    exercise = get_exercise("1.11")
    workdir = tmp_path / "work"
    workdir.mkdir()
    keras.Sequential([keras.Input((2,)), layers.Dense(4, activation="relu"), layers.RepeatVector(10**6),
                      layers.SimpleRNN(4), layers.Dense(1, activation="sigmoid")]).save(workdir / exercise.model_file)
    limits = Limits(exercise_seconds=3)
    verdicts, runs, cpu = judge_models([exercise, get_exercise("1.10")], workdir, tmp_path / "judge", limits,
                                       sandbox_environment(tmp_path / "kit"), math.inf)
    assert verdicts["1.11"].status == Status.TIMEOUT, verdicts["1.11"].message.es
    assert verdicts["1.10"].status == Status.NOT_ATTEMPTED   # no file: said without a jail
    assert cpu["1.11"] < limits.exercise_seconds + 2 and len(runs) == 1   # its own clock stopped it
