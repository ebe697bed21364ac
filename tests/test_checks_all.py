"""For every notebook: the solution passes every check, public and hidden, and the
untouched student notebook is "not attempted" everywhere. Wrong answers, which
differ by exercise, are tested in test_checks_nbNN.py."""
import nbformat
import pytest

from conftest import NOTEBOOKS, SOLUTIONS, definitions_of, verdict
from grader.checking import CORRECT, NOT_ATTEMPTED, WRONG, call_cases, judge
from grader.exercises import exercises_for

ASSIGNMENTS = sorted(path.stem for path in SOLUTIONS.glob("*.ipynb"))
FUNCTION_EXERCISES = [(a, e) for a in ASSIGNMENTS for e in exercises_for(a) if e.kind == "function"]
IDS = [exercise.id for _, exercise in FUNCTION_EXERCISES]


def test_every_assignment_has_exercises():
    assert ASSIGNMENTS and all(exercises_for(assignment) for assignment in ASSIGNMENTS)


@pytest.mark.parametrize("assignment, exercise", FUNCTION_EXERCISES, ids=IDS)
def test_solution_passes_public_and_hidden_cases(assignment, exercise):
    namespace = definitions_of(SOLUTIONS / f"{assignment}.ipynb")
    hidden = exercise.hidden_cases()
    assert hidden and all(case.hidden for case in hidden), "every function exercise needs hidden cases"
    result = judge(exercise, call_cases(exercise, namespace, exercise.cases() + hidden))
    assert result.status == CORRECT, str(result.message)


@pytest.mark.parametrize("assignment, exercise", FUNCTION_EXERCISES, ids=IDS)
def test_untouched_student_code_is_not_attempted(assignment, exercise):
    namespace = definitions_of(NOTEBOOKS / f"{assignment}.ipynb")
    result = judge(exercise, call_cases(exercise, namespace, exercise.cases()))
    assert result.status == NOT_ATTEMPTED and "NotImplementedError" in result.message.es


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stored_solution_outputs_show_every_check_correct(assignment):
    # nbval re-executes these cells and compares them with the stored output,
    # so this also holds for a fresh run.
    notebook = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    checks = [cell for cell in notebook.cells if cell.cell_type == "code"
              and "\ncheck(" in "\n" + cell.source and "def check" not in cell.source]
    assert sorted(cell.source.split('check("')[1].split('"')[0] for cell in checks) == \
           sorted(exercise.id for exercise in exercises_for(assignment))
    for cell in checks:
        assert "# NBVAL_CHECK_OUTPUT" in cell.source, cell.source
        assert cell.outputs and cell.outputs[0]["text"].startswith("✅"), cell.outputs


def _wrong_answers():
    """Each notebook's test_checks_nbNN.WRONG_ANSWERS: (exercise, name, wrong function, expected reason)."""
    import importlib
    return [(assignment, *row) for assignment in ASSIGNMENTS
            for row in importlib.import_module(f"test_checks_nb{assignment[:2]}").WRONG_ANSWERS]


WRONG_ANSWERS = _wrong_answers()


@pytest.mark.parametrize("assignment, exercise_id, name, wrong, reason", WRONG_ANSWERS,
                         ids=[f"{row[1]}-{row[3].__name__}" for row in WRONG_ANSWERS])
def test_wrong_answer_fails_with_specific_reason(assignment, exercise_id, name, wrong, reason):
    result = verdict(exercise_id, definitions_of(SOLUTIONS / f"{assignment}.ipynb"), **{name: wrong})
    assert result.status == WRONG
    assert reason in result.message.es, result.message.es


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_function_exercise_has_a_wrong_answer_test(assignment):
    covered = {row[1] for row in WRONG_ANSWERS if row[0] == assignment}
    assert covered == {e.id for e in exercises_for(assignment) if e.kind == "function"}
