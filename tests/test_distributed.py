"""Grading on Dask: a real scheduler and real workers on 127.0.0.1 give the local gradebook, survive a worker
killed mid-batch, a client killed mid-batch, a task that kills every worker it runs on, and a worker without
the datasets. Every process a test starts is stopped by its PID."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.grading import task
from grader.grading.dispatch import pack
from grader.grading.task import WorkerUnfit, check_worker, grader_fingerprint
from grader.grading.discovery import Submission
from grader.grading.store import ResultStore
from helpers import NB01, ROOT, SOLUTIONS, grade, grading_processes, needs_jail, read, read_gradebook, tiny_notebook
from submissions import COLLAPSE, STEP

DASK = str(Path(sys.executable).with_name("dask"))
NB03 = "03_mlp_mnist"
# Outside the jail (--isolation none), student code can reach its worker: it kills the process that runs the
# grading process it sees among its ancestors, as a crash of the worker would.
KILLS_ITS_WORKER = """import os, psutil
for process in psutil.Process().parents():
    if any("grader.grading.submission" in part for part in process.cmdline()):
        os.kill(process.parent().pid, 9)
"""


def write(folder: Path, books: dict) -> Path:
    for (student, assignment), book in books.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(book, folder / student / f"{assignment}.ipynb")
    return folder


def mixed_batch(folder: Path) -> Path:
    """Tiny notebooks (the routes are the point, not the notebook): two exercises done, nothing done, a cell
    that does not parse before one that scores, and a file that is not a notebook."""
    write(folder, {("ana", NB01): tiny_notebook(STEP, COLLAPSE), ("ben", NB01): tiny_notebook("import numpy as np"),
                   ("eva", NB01): tiny_notebook("def broken(:\n    pass", COLLAPSE)})
    (folder / "zoe").mkdir()
    (folder / "zoe" / f"{NB01}.ipynb").write_bytes(b"{truncated")
    return folder


# Runs whose stored results are compared pin the time limits: otherwise each run's control sizes them from its own
# measurement of the reference, which varies a little, and the limits are part of every result's hash.
PINNED_LIMITS = ("--cell-timeout", "600", "--notebook-timeout", "1800", "--exercise-timeout", "60")


def results_without_usage(outdir: Path) -> dict:
    """Every stored result, less what differs from run to run (CPU time, memory, the key's MAC)."""
    return {path.name: {k: v for k, v in json.loads(path.read_text()).items() if k not in ("usage", "mac")}
            for path in sorted((outdir / "results").glob("*.json"))}


def stop(process: subprocess.Popen) -> None:
    """Stop a process we started, and whatever it started, by PID."""
    try:
        family = [process.pid] + [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    except psutil.Error:
        family = [process.pid]
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in family[1:]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Cluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, each with its own log file."""

    def __init__(self, folder: Path):
        self.folder, self.processes, self.workers = folder, [], {}
        self.file = folder / "scheduler.json"
        env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2"}
        self.start("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                 "--scheduler-file", str(self.file)], env)
        deadline = time.monotonic() + 120
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")
        process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
        self.processes.append(process)
        return process

    def worker(self, name: str, datasets: str | None = os.environ.get("COURSE_DATASETS_DIR"),
               keras_home: str | None = None) -> None:
        env = {**os.environ}
        env.pop("COURSE_DATASETS_DIR", None)
        env.update({"COURSE_DATASETS_DIR": datasets} if datasets else {})
        env.update({"KERAS_HOME": keras_home} if keras_home else {})
        self.workers[name] = self.start(name, [DASK, "worker", "--scheduler-file", str(self.file), "--name", name,
                                               "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                                               "--no-dashboard", "--memory-limit", "0"], env)

    def wait_for_workers(self, count: int) -> None:
        import distributed
        with distributed.Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=180)

    def close(self) -> None:
        for process in reversed(self.processes):
            stop(process)


@pytest.fixture
def cluster(tmp_path):
    started = Cluster(tmp_path)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """One cluster of two workers for the tests that compare with the local gradebook: its scheduler's address
    is part of the control's key, so the control of 01 runs once on it, not once per test."""
    started = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        started.worker("w1")
        started.worker("w2")
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def local_gradebook(tmp_path_factory):
    """The mixed batch graded on this machine with --jobs 2: what every distributed run must give."""
    folder = tmp_path_factory.mktemp("local")
    grade(mixed_batch(folder / "entregas"), "--out", folder / "out", "--jobs", "2", *PINNED_LIMITS)
    return folder / "entregas", folder / "out"


# ---------------------------------------------------------------- fast: what a task receives, and checks

def test_a_task_receives_bytes_and_the_folders_regular_files_never_paths(tmp_path):
    folder = tmp_path / "ana"
    folder.mkdir()
    nbformat.write(read(SOLUTIONS), folder / f"{NB01}.ipynb")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    (folder / "passwd").symlink_to("/etc/passwd")
    (folder / "model.keras").write_bytes(b"not produced by the run")
    (folder / "other.ipynb").write_text("{}")
    work = pack(Submission(folder / f"{NB01}.ipynb", "ana", NB01, "ana__x", folder=folder))
    assert work.files == {"data.csv": b"a,b\n1,2\n"}
    assert work.notebook == (folder / f"{NB01}.ipynb").read_bytes()
    assert str(tmp_path) not in repr({k: v for k, v in vars(work).items() if k != "notebook"})


def test_a_worker_without_the_datasets_or_with_another_grader_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATASETS_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    check_worker(NB01, grader_fingerprint())            # notebook 01 needs no dataset
    with pytest.raises(WorkerUnfit) as raised:
        check_worker(NB03, grader_fingerprint())
    assert raised.value.missing == ("mnist",) and "COURSE_DATASETS_DIR" in str(raised.value)
    assert str(tmp_path) in str(raised.value) and "host" in str(raised.value)
    with pytest.raises(WorkerUnfit) as raised:
        check_worker(NB01, "another grader")
    assert raised.value.missing == ("grader",)
    monkeypatch.setattr(task, "jail_problem", lambda: "bubblewrap (bwrap) is not installed")
    with pytest.raises(WorkerUnfit) as raised:
        check_worker(NB01, grader_fingerprint(), isolated=True)
    assert raised.value.missing == ("jail",) and "bwrap" in str(raised.value)
    check_worker(NB01, grader_fingerprint(), isolated=False)


@pytest.mark.slow   # waits out a connect timeout
def test_an_unreachable_scheduler_is_one_clear_line(tmp_path):
    import socket
    with socket.socket() as probe:   # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "notebooks" / f"{NB01}.ipynb"),
                             "--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}"],
                            capture_output=True, text=True, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- slow: real clusters

# The two tests that share the two workers and the local gradebook run on one pytest-xdist worker.
@pytest.mark.slow
@pytest.mark.xdist_group("two_workers")
@needs_jail
def test_a_dask_cluster_gives_the_local_gradebook(two_workers, local_gradebook, tmp_path):
    entregas, local = local_gradebook
    cluster = two_workers
    cluster.wait_for_workers(2)   # if the killing test ran first, the nanny has restarted the worker it killed
    result = grade(entregas, "--out", tmp_path / "out", "--scheduler", cluster.address, *PINNED_LIMITS)
    assert "2 Dask worker(s)" in result.stderr and cluster.address in result.stderr
    assert (tmp_path / "out" / "gradebook.csv").read_text() == (local / "gradebook.csv").read_text()
    assert results_without_usage(tmp_path / "out") == results_without_usage(local)
    baseline = read_gradebook(local)                                  # the baseline is itself right
    assert (baseline[("ana", NB01)]["1.1"], baseline[("ana", NB01)]["1.8"]) == ("1", "1")
    assert baseline[("ben", NB01)]["score"] == "0" and baseline[("eva", NB01)]["1.8"] == "1"
    assert baseline[("zoe", NB01)]["status"] == "invalid-notebook"


@pytest.mark.slow
@pytest.mark.xdist_group("two_workers")
@needs_jail
def test_a_worker_killed_mid_batch_costs_nothing(two_workers, local_gradebook, tmp_path):
    entregas, local = local_gradebook
    cluster = two_workers
    cluster.wait_for_workers(2)
    command = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(entregas), "--out", str(tmp_path / "out"),
                                "--scheduler", cluster.address, *PINNED_LIMITS], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        deadline, running = time.monotonic() + 300, []
        while not running and time.monotonic() < deadline and command.poll() is None:
            running = grading_processes(cluster.workers["w1"].pid) + grading_processes(cluster.workers["w2"].pid)
            time.sleep(0.2)
        assert running, "no submission started grading"
        grading = running[0]
        worker = grading.parent()       # the worker process (its nanny starts a new one)
        worker.send_signal(signal.SIGKILL)
        grading.wait(30)                # the grading process and its jail die with their worker
        out, err = command.communicate(timeout=900)
    finally:
        stop(command)
    assert command.returncode == 0, err[-3000:]
    assert (tmp_path / "out" / "gradebook.csv").read_text() == (local / "gradebook.csv").read_text()
    assert results_without_usage(tmp_path / "out") == results_without_usage(local)


@pytest.mark.slow
@needs_jail
def test_a_cluster_without_the_datasets_is_named_and_does_not_zero_the_class(cluster, tmp_path):
    """The control of 03 finds no worker with MNIST: nobody is graded (rather than a class of zeros), one line
    names the worker and the dataset, and once a worker has the data the class is graded. Only 03 is graded:
    on a new scheduler each assignment runs its own control, and test_a_dask_cluster_gives_the_local_gradebook
    grades 01 on a cluster."""
    empty = tmp_path / "empty"
    empty.mkdir()
    entregas = write(tmp_path / "entregas", {("ana", NB03): tiny_notebook("import numpy as np", assignment=NB03)})
    cluster.worker("nodata", datasets=str(empty), keras_home=str(empty))
    cluster.wait_for_workers(1)
    first = grade(entregas, "--out", tmp_path / "out", "--scheduler", cluster.address, check=False)
    assert first.returncode == 2, first.stderr[-3000:]
    line = first.stderr.strip().splitlines()[-1]
    assert line.startswith("control: la solución de referencia de 03_mlp_mnist") and "grader-error" in line
    assert "mnist" in line and "tcp://127.0.0.1:" in line and str(empty) in line, line
    assert not (tmp_path / "out" / "results").exists()
    named = [line for line in first.stderr.splitlines() if line.startswith("warning:") and "cannot grade" in line]
    assert len(named) == 1 and "tcp://127.0.0.1:" in named[0] and str(empty) in named[0], first.stderr

    # With a worker that has the data, the same command grades the class, on the worker that can.
    cluster.worker("withdata")
    cluster.wait_for_workers(2)
    grade(entregas, "--out", tmp_path / "out", "--scheduler", cluster.address)
    rows = read_gradebook(tmp_path / "out")
    assert list(rows) == [("ana", NB03)] and rows[("ana", NB03)]["status"] == "graded"


@pytest.mark.slow
@needs_jail
def test_a_task_that_kills_every_worker_gets_its_own_row_and_cannot_in_the_jail(tmp_path):
    entregas = write(tmp_path / "entregas", {("killer", NB01): tiny_notebook(KILLS_ITS_WORKER, STEP),
                                             ("honest", NB01): tiny_notebook(STEP)})
    result = grade(entregas, "--out", tmp_path / "none", "--jobs", "2", "--isolation", "none")
    rows = read_gradebook(tmp_path / "none")
    assert rows[("honest", NB01)]["status"] == "graded" and rows[("honest", NB01)]["1.1"] == "1"
    assert rows[("killer", NB01)]["status"] == "grader-error", result.stderr[-2000:]
    reason = json.loads((tmp_path / "none" / "results" / f"killer__{NB01}.json").read_text())["notes"][0]
    assert "the worker grading this submission died 3 times" in reason["en"] and "murió 3 veces" in reason["es"]
    # In the jail the worker is out of sight: the same notebook is graded like any other.
    grade(entregas / "killer", "--out", tmp_path / "jail", "--jobs", "1")
    assert read_gradebook(tmp_path / "jail")[("killer", NB01)]["status"] == "graded"


@pytest.mark.slow
@needs_jail
def test_killing_the_client_mid_batch_and_rerunning_gives_every_row_once(tmp_path):
    books = {(f"student_{n}", NB01): tiny_notebook(STEP) for n in range(5)}
    entregas = write(tmp_path / "entregas", books)
    outdir = tmp_path / "out"
    command = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(entregas), "--out", str(outdir),
                                "--jobs", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not list((outdir / "results").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        family = psutil.Process(command.pid).children(recursive=True)
        command.send_signal(signal.SIGKILL)
        command.wait()
    finally:
        stop(command)
    graded_before = len(ResultStore(outdir).load_all())
    assert 1 <= graded_before < len(books), "the client was not killed mid-batch"
    gone, alive = psutil.wait_procs(family, timeout=60)   # its workers and their grading processes end with it
    assert not alive, [p.cmdline() for p in alive]
    result = grade(entregas, "--out", outdir, "--jobs", "2")
    assert f"{graded_before} submission(s) already graded" in result.stderr
    rows = (outdir / "gradebook.csv").read_text().splitlines()[1:]
    assert sorted(row.split(",")[0] for row in rows) == sorted(student for student, _ in books)
    assert all(",graded," in row for row in rows)
