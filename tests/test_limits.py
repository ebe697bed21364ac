"""Time limits cost the exercises they touch, never the batch: proven with CPU-bound loops
in a small notebook, graded with small limits."""
import json

import nbformat
import pytest

from helpers import NB01, grade, read_gradebook

pytestmark = pytest.mark.slow

SMALL_LIMITS = ["--cell-timeout", "10", "--notebook-timeout", "120", "--exercise-timeout", "10"]


def looping_notebook():
    notebook = nbformat.v4.new_notebook(metadata={"grader": {"assignment": NB01}})
    notebook.cells = [
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell("def step(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)"),
        nbformat.v4.new_code_cell("while True:\n    pass"),  # a cell that never ends
        nbformat.v4.new_code_cell("def collapse_linear_layers(W1, b1, W2, b2):\n    while True:\n        pass"),
    ]
    return notebook


def test_endless_cell_and_endless_function_time_out_and_cost_only_their_exercise(tmp_path):
    (tmp_path / "entregas" / "loops").mkdir(parents=True)
    nbformat.write(looping_notebook(), tmp_path / "entregas" / "loops" / f"{NB01}.ipynb")
    grade(tmp_path / "entregas", "--out", tmp_path / "out", *SMALL_LIMITS)
    row = read_gradebook(tmp_path / "out")[("loops", NB01)]
    assert row["status"] == "timeout" and row["1.1"] == "1" and row["1.7"] == "0"
    result = json.loads((tmp_path / "out" / "results" / f"loops__{NB01}.json").read_text(encoding="utf-8"))
    reasons = {e["id"]: e["es"] for e in result["exercises"]}
    assert "no terminó a tiempo" in reasons["1.7"]
    assert any("celda 2 superó el límite" in note["es"] for note in result["problems"])
