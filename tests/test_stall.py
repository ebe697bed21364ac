"""A stalled exchange with the kernel is the grader's fault: caught fast, retried once in a fresh kernel, and,
if it stalls again, a grader-error row (no grade, graded again on the next run), never a student's timeout.

The stall is simulated from inside the kernel: a cell makes the kernel drop its own execute_reply, so the kernel
finishes the cell, reports itself idle and never answers, as in the hang seen with ipykernel 7.4 and nbclient 0.11.
"""
import nbformat
import pytest

from grader.core import Incident
from grader.grading.kernel import execute_notebook
from grader.grading.limits import Limits
from grader.grading.submission import grade_submission
from helpers import NB01, needs_jail, sandbox_environment, tiny_notebook

pytestmark = [needs_jail, pytest.mark.slow]   # each stall waits STALL_SECONDS of wall time (no CPU)

# Drops the next execute_reply (this cell's own); with ONCE, only in the first kernel (a marker file survives it).
DROP_REPLY = '''
from pathlib import Path
if {always} or not Path("stalled-once").exists():
    Path("stalled-once").write_text("x")
    kernel = get_ipython().kernel
    send = kernel.session.send
    def drop_next_reply(stream, message, *args, **kwargs):
        if message == "execute_reply":
            kernel.session.send = send
            return {{"content": {{"status": "ok"}}}}
        return send(stream, message, *args, **kwargs)
    kernel.session.send = drop_next_reply
'''
LIMITS = Limits(cell_seconds=30, notebook_seconds=120, exercise_seconds=10)


def run(tmp_path, book):
    workdir = tmp_path / "work"
    workdir.mkdir()
    return execute_notebook(book, workdir, LIMITS, sandbox_environment(tmp_path / "kit"), tmp_path / "kernel.log")


def test_a_stall_is_retried_in_a_fresh_kernel_and_costs_the_student_nothing(tmp_path):
    book = tiny_notebook("x = 1", DROP_REPLY.format(always=False), "print('after', x + 1)")
    kernel = run(tmp_path, book)
    assert kernel.notes == []   # no timeout, no dead kernel
    assert "after 2" in "".join(o.get("text", "") for o in kernel.executed.cells[2].outputs)
    # the whole stall costs well under a cell's CPU limit: detection does not wait for the limit
    assert kernel.jail.cpu_seconds < LIMITS.cell_seconds


def test_a_second_stall_is_a_grader_error_and_no_grade(tmp_path):
    path = tmp_path / f"{NB01}.ipynb"
    nbformat.write(tiny_notebook("import numpy as np\ndef step(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)",
                            DROP_REPLY.format(always=True)), path)
    result = grade_submission(path, "ana", NB01, LIMITS)
    assert result.status == Incident.GRADER_ERROR.value and result.score == 0   # not a timeout, and no points
    assert {e.status.value for e in result.exercises} == {"not-graded"}
    assert "atascó dos veces" in result.notes[0].message.es
