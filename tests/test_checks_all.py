"""For every notebook: the solution passes every check, public and hidden, and the untouched student
notebook is "not attempted" everywhere. Wrong answers, which differ by exercise, are in test_checks_nbNN.py."""
import nbformat
import pytest

from grader.core import Status
from grader.exercises.registry import exercises_for
from grader.hidden import hidden_cases
from helpers import ASSIGNMENTS, NOTEBOOKS, SOLUTIONS, definitions_of, function_exercises, graded_verdict

FUNCTION_EXERCISES = [(a, e) for a in ASSIGNMENTS for e in function_exercises(a)]
IDS = [exercise.id for _, exercise in FUNCTION_EXERCISES]


def test_every_assignment_has_exercises():
    assert ASSIGNMENTS and all(exercises_for(assignment) for assignment in ASSIGNMENTS)


@pytest.mark.parametrize("assignment, exercise", FUNCTION_EXERCISES, ids=IDS)
def test_solution_passes_public_and_hidden_cases(assignment, exercise):
    namespace = definitions_of(SOLUTIONS / f"{assignment}.ipynb")
    hidden = hidden_cases(exercise.id)
    assert hidden and all(case.hidden for case in hidden), "every function exercise needs hidden cases"
    result = graded_verdict(exercise.id, namespace)
    assert result.status == Status.CORRECT, str(result.message)


@pytest.mark.parametrize("assignment, exercise", FUNCTION_EXERCISES, ids=IDS)
def test_untouched_student_code_is_not_attempted(assignment, exercise):
    result = exercise.check(definitions_of(NOTEBOOKS / f"{assignment}.ipynb"))
    assert result.status == Status.NOT_ATTEMPTED and "NotImplementedError" in result.message.es


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stored_solution_outputs_show_every_check_correct(assignment):
    # test_notebook_runs.py compares these cells with the grader's own run of the notebook.
    notebook = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    checks = [cell for cell in notebook.cells if cell.cell_type == "code"
              and "\ncheck(" in "\n" + cell.source and "def check" not in cell.source]
    assert sorted(cell.source.split('check("')[1].split('"')[0] for cell in checks) == \
           sorted(exercise.id for exercise in exercises_for(assignment))
    for cell in checks:
        assert "# NBVAL_CHECK_OUTPUT" in cell.source, cell.source
        assert cell.outputs and cell.outputs[0]["text"].startswith("✅"), cell.outputs
