"""Shared fixtures and nbval settings for the kit's tests."""
import functools
import os
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"


def pytest_collection_modifyitems(items):
    # TensorFlow writes log noise to stderr that varies by machine: never compare it.
    for item in items:
        parent = getattr(item, "parent", None)
        if parent is not None and hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
            parent.skip_compare = parent.skip_compare + ("stderr",)


def exec_notebook_cells(path: Path, predicate) -> dict:
    """Run the selected code cells of a notebook in one namespace, in order, and return it."""
    namespace = {"__name__": "__notebook__"}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and predicate(cell):
            exec(compile(cell.source, f"{path.name}:{cell.get('id')}", "exec"), namespace)
    return namespace


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("GRADER_LANG", "en")


@functools.cache
def definitions_of(path: Path) -> dict:
    """The notebook's functions as the autograder sees them: its imports, defs and literal
    constants, run in a fresh namespace (see grader.sandbox.extract_definitions)."""
    from grader.sandbox import extract_definitions, load_definitions
    return load_definitions(extract_definitions(nbformat.read(path, as_version=4))[0])


def verdict(exercise_id: str, namespace: dict, **overrides):
    """Public-check verdict, optionally with some functions replaced by (wrong) versions."""
    from grader.checking import run_public_check
    from grader.exercises import get_exercise
    return run_public_check(get_exercise(exercise_id), {**namespace, **overrides})
