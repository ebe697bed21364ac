"""Limits cost the exercises they touch, never the batch, and count CPU time, so a busy machine gives
the same grades: proven with CPU-bound loops in small notebooks graded with the limits the control sizes
from the reference solution (a few times its cost: the smallest limits it passes with a margin)."""
import json
import subprocess
import sys

import nbformat
import pytest

from grader.grading import control
from grader.grading.task import grader_fingerprint
from helpers import NB01, grade, needs_jail, read_gradebook, tiny_notebook
from submissions import STEP

pytestmark = [pytest.mark.slow, needs_jail]



SMALL_BATCH = {
    "loops": tiny_notebook(STEP, "while True:\n    pass",  # a cell that never ends, and a function that never returns
                      "def collapse_linear_layers(W1, b1, W2, b2):\n    while True:\n        pass"),
    "honest": tiny_notebook(STEP, "def collapse_linear_layers(W1, b1, W2, b2):\n    return W1 @ W2, b1 @ W2 + b2"),
    "busy_but_in_time": tiny_notebook(STEP + "\nimport time\ndef perceptron_forward(X, w, b):\n"
                                 "    end = time.process_time() + 0.3\n    while time.process_time() < end:\n"
                                 "        pass\n    return step(X @ w + b)", "sum(range(10**7))"),
}   # a sleeping cell and sleeping functions: test_budgets (the wall-clock backstops)


def write_batch(folder):
    for student, book in SMALL_BATCH.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(book, folder / student / f"{NB01}.ipynb")


def test_limits_cost_only_what_they_touch_and_a_busy_machine_gives_the_same_gradebook(tmp_path):
    write_batch(tmp_path / "entregas")
    idle = grade(tmp_path / "entregas", "--out", tmp_path / "idle", "--jobs", "2")
    sized = control.cached_limits(NB01, grader_fingerprint())     # what the control of this batch sized
    assert f"limits: {sized.cell_seconds:g} s of CPU per cell" in idle.stderr
    book = read_gradebook(tmp_path / "idle")
    row = book[("loops", NB01)]
    assert row["status"] == "timeout" and row["1.1"] == "1" and row["1.8"] == "0"
    result = json.loads((tmp_path / "idle" / "results" / f"loops__{NB01}.json").read_text(encoding="utf-8"))
    reasons = {e["id"]: e["es"] for e in result["exercises"]}
    assert "no terminó a tiempo" in reasons["1.8"]
    assert any(f"celda 1 superó el límite de {sized.cell_seconds:.0f} s de CPU" in note["es"]
               for note in result["notes"])
    assert sized.cell_seconds < 600   # the default limit before the control sized it
    assert book[("honest", NB01)]["status"] == "graded" and book[("honest", NB01)]["1.8"] == "1"
    assert book[("busy_but_in_time", NB01)]["status"] == "graded" and book[("busy_but_in_time", NB01)]["1.4"] == "1"

    # The same batch with four jobs on two cores and two CPU hogs: CPU-time limits give the same grades.
    hogs = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass"]) for _ in range(2)]
    try:
        busy = grade(tmp_path / "entregas", "--out", tmp_path / "busy", "--jobs", "4")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert "(cached" in busy.stderr   # the same control, so the same limits
    assert (tmp_path / "idle" / "gradebook.csv").read_text() == (tmp_path / "busy" / "gradebook.csv").read_text()
