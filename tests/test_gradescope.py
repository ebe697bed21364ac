"""`python -m grader gradescope`: the autograder.zip, run as Gradescope runs it, in a folder laid out like
/autograder (AUTOGRADER_ROOT), with this venv's Python (AUTOGRADER_PYTHON) and no pip (GRADER_SKIP_PIP)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.authoring.build import exercise_id, strip_solutions
from grader.exercises.registry import exercises_for
from helpers import NB01, ROOT, SOLUTIONS

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def make_zip(tmp_path, *extra) -> Path:
    out = tmp_path / "autograder.zip"
    result = subprocess.run([sys.executable, "-m", "grader", "gradescope", "--assignment", NB01, "--out", str(out),
                             *extra], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return out


def test_zip_has_what_gradescope_asks_for_and_no_datasets(tmp_path):
    with zipfile.ZipFile(make_zip(tmp_path)) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "grader/__init__.py",
            "grader/hidden/nb01.py", "grader/resources/fruit.csv"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not any(name.startswith("datasets/") or name.endswith((".npz", ".gz", ".pyc")) and "expected" not in name
                   for name in names), "datasets only when the instructor passes a folder"
    assert "requirements.txt" in setup and "bubblewrap" in setup and '"[]"' not in setup
    assert f'--assignment "{NB01}"' in run and "/results/results.json" in run


def test_unknown_assignment_and_incomplete_datasets_folder_are_refused(tmp_path):
    for extra in (["--assignment", "06_nothing"], ["--assignment", "03_mlp_mnist", "--datasets", str(tmp_path)]):
        result = subprocess.run([sys.executable, "-m", "grader", "gradescope", *extra, "--out",
                                 str(tmp_path / "a.zip")], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert not (tmp_path / "a.zip").exists()


def broken_solution() -> nbformat.NotebookNode:
    """The solution with exercise 1.1 left unfinished (its stub raises NotImplementedError)."""
    notebook = nbformat.read(SOLUTIONS / f"{NB01}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and exercise_id(cell) == "1.1":
            cell.source = strip_solutions(cell.source, "1.1", "test")
    return notebook


@pytest.mark.slow
def test_autograder_zip_runs_like_gradescope(tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(make_zip(tmp_path)) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")   # as Gradescope does
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, "GRADER_SKIP_PIP": "1",
           "PYTHONPATH": ""}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=env)
    assert setup.returncode == 0, setup.stderr
    assert f"grader ready: {root / 'source' / 'grader' / 'data.py'}" in setup.stdout   # the zip's package

    def run(notebook: nbformat.NotebookNode, name: str) -> dict:
        shutil.rmtree(root / "submission", ignore_errors=True)
        shutil.rmtree(root / "work", ignore_errors=True)
        (root / "submission").mkdir()
        (root / "results").mkdir(exist_ok=True)
        nbformat.write(notebook, root / "submission" / name)
        completed = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, env=env)
        assert completed.returncode == 0, completed.stderr[-3000:]
        return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))

    maximum = sum(e.points for e in exercises_for(NB01))
    ids = [e.id for e in exercises_for(NB01)]

    def valid(results: dict) -> dict:
        assert isinstance(results["score"], (int, float)) and results["stdout_visibility"] in VISIBILITIES
        for test in results["tests"]:
            assert isinstance(test["name"], str) and isinstance(test["output"], str)
            assert 0 <= test["score"] <= test["max_score"] and test["visibility"] in VISIBILITIES
        assert sum(test["max_score"] for test in results["tests"]) == maximum
        assert results["score"] == sum(test["score"] for test in results["tests"])
        return {identifier: test for identifier, test in zip(ids, results["tests"])}

    solved = valid(run(nbformat.read(SOLUTIONS / f"{NB01}.ipynb", as_version=4), f"{NB01}.ipynb"))
    assert all(test["score"] == test["max_score"] for test in solved.values())
    assert all(identifier in test["name"] for identifier, test in solved.items())

    # The file name a student happened to use does not matter: the notebook metadata names the assignment.
    broken = run(broken_solution(), "mi_entrega (1).ipynb")
    tests = valid(broken)
    assert tests["1.1"]["score"] == 0 and tests["1.1"]["output"]
    assert 0 < broken["score"] < maximum

    nothing = run(nbformat.v4.new_notebook(), "otra_cosa.txt.ipynb")
    assert nothing["score"] == 0 and nothing["tests"] == [] and f"{NB01}.ipynb" in nothing["output"]
