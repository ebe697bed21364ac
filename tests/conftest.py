"""Fixtures shared by the tests, and nbval settings. Helpers are in helpers.py."""
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from helpers import NOTEBOOKS, SOLUTIONS, grade, read_gradebook  # noqa: E402  (after the environment is set)
from submissions import build_submissions  # noqa: E402


def pytest_collection_modifyitems(items):
    # TensorFlow writes log noise to stderr that varies by machine: never compare it.
    for item in items:
        parent = getattr(item, "parent", None)
        if parent is not None and hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
            parent.skip_compare = parent.skip_compare + ("stderr",)


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("GRADER_LANG", "en")


@dataclass
class Batch:
    outdir: Path
    stderr: str
    expected: dict    # {student: (status, score)} for the broken submissions
    gradebook: dict   # {(student, assignment): row}


@pytest.fixture(scope="session")
def graded_batch(tmp_path_factory) -> Batch:
    """The session's one grading run: the solutions, the untouched student notebooks and the broken
    submissions in one batch, with the default limits, as an instructor runs it. Every notebook the
    tests need executed is executed here, once (OUTDIR/executed/ keeps what the kernel printed)."""
    root = tmp_path_factory.mktemp("batch")
    expected = build_submissions(root / "entregas")
    outdir = root / "out"
    result = grade(SOLUTIONS, NOTEBOOKS, root / "entregas", "--out", outdir, "--jobs", "2",
                   "--format", "gradescope,moodle", "--keep-executed")
    return Batch(outdir, result.stderr, expected, read_gradebook(outdir))
