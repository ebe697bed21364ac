"""Fixtures shared by the tests, and nbval settings. Helpers are in helpers.py."""
import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from grader.data import DATASET_FILES, DATASETS_ENV, dataset_places, missing_datasets  # noqa: E402
from grader.grading import control  # noqa: E402  (after the environment is set)
from grader.grading.task import content_hash, grader_fingerprint  # noqa: E402
from grader.grading.store import submission_key  # noqa: E402
from helpers import (JAIL_PROBLEM, NB01, NOTEBOOKS, ROOT, SOLUTIONS, grade_watching_memory, read_gradebook,  # noqa: E402
                     run_control)
from hostile import build_hostile  # noqa: E402
from submissions import build_submissions, save_trained_or_model  # noqa: E402


CONTROL_CACHE = pytest.StashKey[str]()


def pytest_configure(config):
    """One control cache for the whole run (unless GRADER_CONTROL_CACHE names one already), made before
    pytest-xdist starts its workers (`-n 2`): they and every `grade` subprocess inherit the variable, so each
    reference solution is graded once per run, by the first test that grades its assignment.

    Without the datasets, collection would fail on the hidden cases of 03 (they read MNIST) with a traceback:
    one line says what to set instead. Nothing may download during the tests."""
    missing = missing_datasets(DATASET_FILES)
    if missing:
        pytest.exit(f"the tests need {', '.join(missing)} offline and found none in {dataset_places()}: set "
                    f"{DATASETS_ENV} to the course's datasets folder (README, command (b))", returncode=4)
    if not hasattr(config, "workerinput") and not os.environ.get(control.CACHE_ENV):
        config.stash[CONTROL_CACHE] = os.environ[control.CACHE_ENV] = tempfile.mkdtemp(prefix="grader-control-")


def pytest_unconfigure(config):
    if CONTROL_CACHE in config.stash:
        shutil.rmtree(config.stash[CONTROL_CACHE], ignore_errors=True)


UNGROUPED = pytest.StashKey[set]()


def pytest_collection_finish(session):
    """Under `-n 2 --dist loadgroup`, a worker suffixes the node id of each grouped test with its group, and the
    controller schedules by that suffix. pytest 9.2 broke this silently (pytest-xdist issue 1386): each worker
    graded a batch of its own. Such tests fail at setup instead (pytest_runtest_setup), before any fixture."""
    if getattr(session.config, "workerinput", None) is not None and session.config.getvalue("loadgroup"):
        session.config.stash[UNGROUPED] = {item.nodeid for item in session.items
                                           if item.get_closest_marker("xdist_group") and "@" not in item.nodeid}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.nodeid in item.config.stash.get(UNGROUPED, set()):
        pytest.fail("pytest-xdist did not keep this test's xdist_group on one worker: install the pytest and "
                    "pytest-xdist versions of requirements.txt", pytrace=False)


# tryfirst: pytest-xdist's own hook (registered after this conftest, so called before it) reads the xdist_group
# marks to group the tests; without it the marks below came too late and each worker graded its own batch.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "graded_batch" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)   # the session's batch is the slow lane's: never in the fast lane
            # with -n 2 (--dist loadgroup), one worker takes every test of the batch: it is graded once per run
            item.add_marker(pytest.mark.xdist_group("graded_batch"))
        elif item.path.name == "test_gradescope.py":
            item.add_marker(pytest.mark.xdist_group("gradescope"))   # they add and remove system users
        # TensorFlow writes log noise to stderr that varies by machine: never compare it.
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
    expected: dict         # {student: (status, score)} for the broken and hostile submissions
    gradebook: dict        # {(student, assignment): row}
    grader_peak_mb: float  # the grading command's own peak memory
    package_before: str    # a hash of the grader's own files before the batch, and after it
    package_after: str
    connections: list = field(default_factory=list)   # what reached the test's server on 127.0.0.1

    def executed_output(self, student: str, assignment: str = NB01) -> str:
        notebook = nbformat.read(self.outdir / "executed" / f"{submission_key(student, assignment)}.ipynb", as_version=4)
        return "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))

    def reference(self, assignment: str):
        """The reference solution as the control ran it (OUTDIR/executed/control/, kept by --keep-executed)."""
        return nbformat.read(self.outdir / "executed" / "control" / f"{assignment}.ipynb", as_version=4)

    def result(self, student: str, assignment: str = NB01) -> dict:
        return json.loads((self.outdir / "results" / f"{submission_key(student, assignment)}.json").read_text())


def package_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "grader").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def graded_batch(tmp_path_factory) -> Batch:
    """The session's one grading run, with the default limits, as an instructor runs it: the untouched student
    notebooks, broken submissions and hostile ones, in one batch. Before grading anyone, the control grades each
    reference solution down the students' route and stops the batch unless it gets full marks: that is the
    run's one run of each solution (the run's control cache keeps it, so a test that ran a control earlier
    paid for it), and --keep-executed copies what it printed to OUTDIR/executed/control/. Solution 01 is also
    a student ("solution"), graded under the limits its control sized. Each untouched notebook is executed here
    once (OUTDIR/executed/); the broken and hostile submissions are tiny notebooks (tests/submissions.py,
    tests/hostile.py)."""
    if JAIL_PROBLEM:
        pytest.skip(f"grading needs the jail: {JAIL_PROBLEM}")
    root = tmp_path_factory.mktemp("batch")
    outdir = root / "out"
    server = socket.create_server(("127.0.0.1", 0))
    connections = []
    threading.Thread(target=lambda: connections.append(server.accept()), daemon=True).start()
    trained = save_trained_or_model(root)
    expected = build_submissions(root / "entregas", trained)
    expected.update(build_hostile(root / "entregas", outdir, server.getsockname()[1], trained))
    # One whole reference as a student row: graded under the limits its control sized, not the control's own
    (root / "entregas" / "solution").mkdir()
    shutil.copy(SOLUTIONS / f"{NB01}.ipynb", root / "entregas" / "solution" / f"{NB01}.ipynb")
    # A result forged for an honest student before the batch, with the right hash (made with the limits the
    # control sizes, cached by running it first) and no valid MAC: the grader must grade that student rather
    # than trust the file.
    honest = root / "entregas" / "honest_ana" / f"{NB01}.ipynb"
    key = submission_key("honest_ana", NB01)
    run_control(NB01)
    limits = control.cached_limits(NB01, grader_fingerprint())
    (outdir / "results").mkdir(parents=True)
    (outdir / "results" / f"{key}.json").write_text(json.dumps({
        "student": "honest_ana", "assignment": NB01, "path": str(honest), "status": "graded", "notes": [],
        "exercises": [], "hash": content_hash(honest, grader_fingerprint(), limits), "key": key, "mac": "0" * 64}))
    before = package_hash()
    result, peak = grade_watching_memory(NOTEBOOKS, root / "entregas", "--out", outdir, "--jobs", "2",
                                         "--format", "gradescope,moodle", "--keep-executed")
    server.close()
    return Batch(outdir, result.stderr, expected, read_gradebook(outdir), peak, before, package_hash(), connections)
