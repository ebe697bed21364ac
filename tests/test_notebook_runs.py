"""What the kernel printed when the session's batch ran each notebook: the solution notebooks run without errors
and reproduce their checked outputs (the cells marked # NBVAL_CHECK_OUTPUT, compared after nbval's own
sanitizing), and untouched student notebooks say "not attempted" at every check.

Nothing here executes a notebook: nbval's comparison is applied to the batch's runs, each solution's by its
control (kept in OUTDIR/executed/control/) and each untouched notebook's (OUTDIR/executed/); see
tests/conftest.py, and docs/testing.md for the few tests that run a whole solution again."""
import configparser
import re

import nbformat
import pytest
from nbval.plugin import coalesce_streams

from grader.exercises.registry import exercises_for
from helpers import ASSIGNMENTS, NOTEBOOKS, ROOT, SOLUTIONS

pytestmark = pytest.mark.slow


def sanitizers():
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(config[section]["regex"]), config[section]["replace"]) for section in config.sections()]


def stream_text(cell) -> str:
    """What a cell printed, and the text of the value it returned, sanitized as nbval does. Not compared:
    stderr (TensorFlow's log noise varies by machine) and figures (the grader's kernel draws with Agg,
    so plt.show() displays nothing there)."""
    parts = []
    for output in coalesce_streams(cell.outputs):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append(output["text"])
        elif output.get("output_type") == "execute_result":
            parts.append(output.get("data", {}).get("text/plain", ""))
    text = "\n".join(parts)
    for pattern, replacement in sanitizers():
        text = pattern.sub(replacement, text)
    return text


def executed(batch, student, assignment):
    return nbformat.read(batch.outdir / "executed" / f"{student}__{assignment}.ipynb", as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_without_errors_and_reproduces_its_checked_outputs(graded_batch, assignment):
    stored = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    run = graded_batch.reference(assignment)
    assert [cell.source for cell in run.cells] == [cell.source for cell in stored.cells]
    for index, (ran, expected) in enumerate(zip(run.cells, stored.cells)):
        if ran.cell_type != "code":
            continue
        errors = [o for o in ran.outputs if o.output_type == "error"]
        assert not errors, f"cell {index} raised {errors[0].ename}: {errors[0].evalue}"
        if "# NBVAL_CHECK_OUTPUT" in ran.source:
            assert stream_text(ran) == stream_text(expected), f"cell {index} printed something else"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_notebook_is_not_attempted_at_every_check(graded_batch, assignment):
    run = executed(graded_batch, "notebooks", assignment)
    checks = [cell for cell in run.cells if cell.cell_type == "code" and cell.source.lstrip().startswith("check(")]
    assert len(checks) == len(exercises_for(assignment))
    for cell in checks:
        assert {output.output_type for output in cell.outputs} == {"stream"}, f"{cell.source!r}: {cell.outputs}"
        text = stream_text(cell)
        assert text.startswith("⏳") and text.count("\n") == 1, text
    assert len(nbformat.read(NOTEBOOKS / f"{assignment}.ipynb", as_version=4).cells) == len(run.cells)
