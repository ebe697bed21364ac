"""Grade a batch of submissions on Dask: discovery, grading on workers, resumable results.

The client (this process) discovers the submissions, reads each notebook and the data files of the
student's folder (regular files only, size-capped) and sends their bytes to a Dask task. The task, on
any worker, checks that this worker can grade the assignment (same grader, datasets present), writes
the bytes to a temporary folder and grades them with ``python -m grader.grading.submission`` in its own
process, which runs student code in the jail; it returns the result as JSON. Workers never see OUTDIR:
the client alone writes OUTDIR/results/<student>__<assignment>.json (grading.store), signed and with a
hash of the notebook, of the grader and of the limits, so an interrupted batch resumes where it stopped.

Before anyone is graded, the control (grading.control) grades the reference solution of each assignment in
the batch down the same path (same client, Dispatcher, workers, jail, datasets): if one does not get full
marks, grade_batch raises ControlFailed and writes no row. What the reference used sizes each assignment's
time limits (grading.limits.sized_by_control), so each submission is graded, and hashed, with its
assignment's limits.

``--jobs N`` starts a LocalCluster of N single-threaded worker processes; ``--scheduler`` (or
DASK_SCHEDULER_ADDRESS) uses a running cluster. A worker that dies is replaced by its nanny and its
task retried elsewhere (Dask's allowed-failures); a task that kills every worker it runs on ends as that
submission's grader-error row. Discovery never follows a link and never reads a file before checking its size.
"""
import contextlib
import ctypes
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable

import dask
import distributed
import psutil
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn)
from rich.text import Text

from grader.core import Incident, Note, SubmissionResult
from grader.data import DATASETS_ENV, dataset_places, missing_datasets
from grader.exercises.registry import datasets_for, exercises_for
from grader.grading import control, jail
from grader.grading.discovery import UNSAFE_FILE, Submission, discover
from grader.grading.files import (UnsafeFile, read_capped, read_regular_files, readable, remove_tree,
                                  write_atomically, write_files)
from grader.grading.limits import (MAX_EXECUTED_BYTES, MAX_FOLDER_BYTES, MAX_FOLDER_FILES, MAX_NOTEBOOK_BYTES, Limits,
                                   describe, sized_by_control)
from grader.grading.store import ResultStore
from grader.grading.submission import OUT_OF_TIME, submission_seconds
from grader.i18n import Msg

PACKAGE_DIR = Path(__file__).resolve().parents[1]
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
ALLOWED_FAILURES = 2        # a task whose worker dies is retried on 2 more workers, then it is KilledWorker
MAX_REROUTES = 20           # resubmissions after "this worker cannot grade this": ends even if workers come and go
GRADER_FAILED = Msg("el corrector falló con esta entrega: {error}", "the grader failed on this submission: {error}")
WORKER_DIED = Msg("el proceso de corrección (worker de Dask) que calificaba esta entrega murió {times} veces, una por "
                  "intento, así que no se calificó; no es una nota: quien imparte el curso debe revisarla",
                  "the worker grading this submission died {times} times, once per attempt, so it was not graded; "
                  "this is not a grade: the instructor must look at it")
NO_WORKER = Msg("ningún proceso de corrección (worker de Dask) del clúster puede calificar esta entrega: {problems}",
                "no worker in the cluster can grade this submission: {problems}")
FOLDER_SKIP = ("*.ipynb", "*.keras", ".ipynb_checkpoints", "__pycache__")   # no notebooks or models the run did not produce
TASK_PREFIX = "grader-task-"   # grader-task-<pid of the process that owns it>-<random>, in the temporary folder


@cache  # a worker checks it before every task: once per process
def grader_fingerprint() -> str:
    digest = hashlib.sha256()
    for source in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def content_hash(path: Path, fingerprint: str, limits: Limits) -> str:
    try:
        digest = hashlib.sha256(read_capped(path, MAX_NOTEBOOK_BYTES))
    except (UnsafeFile, OSError):
        digest = hashlib.sha256(b"")
    digest.update(fingerprint.encode())
    digest.update(json.dumps(limits.to_json(), sort_keys=True).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- on a worker

@dataclass
class Work:
    """What a worker receives for one submission: bytes, never a path on the client's machine."""
    student: str
    assignment: str
    notebook: bytes
    files: dict[str, bytes] = field(default_factory=dict)   # the student's folder: regular files, size-capped
    notes: list[Note] = field(default_factory=list)         # discovery's notes for the row (other notebooks)


class WorkerUnfit(RuntimeError):
    """This worker cannot grade this assignment (another grader version, datasets missing): try another one.
    ``missing`` names what it lacks: dataset names, "grader" or "jail"."""

    def __init__(self, address: str, host: str, problem: str, missing: tuple[str, ...]):
        super().__init__(address, host, problem, missing)
        self.address, self.host, self.problem, self.missing = address, host, problem, missing

    def __str__(self) -> str:
        return f"worker {self.address} (host {self.host}) cannot grade: {self.problem}"


@cache  # a bwrap probe: once per worker process
def jail_problem() -> str | None:
    return jail.unavailable()


def check_worker(assignment: str, fingerprint: str, isolated: bool = True) -> None:
    """Raise WorkerUnfit, naming this worker, if it would grade ``assignment`` differently from the client."""
    try:
        where = (distributed.get_worker().address, socket.gethostname())
    except ValueError:  # not in a worker (called directly)
        where = ("this process", socket.gethostname())
    if grader_fingerprint() != fingerprint:
        raise WorkerUnfit(*where, "its grader package differs from the client's: install the same version of the "
                                  "kit on every worker", ("grader",))
    if isolated and (problem := jail_problem()):
        raise WorkerUnfit(*where, f"it cannot run the jail: {problem}", ("jail",))
    missing = missing_datasets(datasets_for(assignment))
    if missing:
        raise WorkerUnfit(*where, f"no {', '.join(missing)} dataset, needed for {assignment}, under "
                                  f"{dataset_places()}: set {DATASETS_ENV} on this worker to a copy of the course's "
                                  f"datasets folder", tuple(missing))


def _die_with_parent():
    # between fork and exec: if the worker dies, its grading process (and, with it, the jail) dies too
    ctypes.CDLL(None).prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL)


def remove_stale_task_folders(parent: Path | None = None) -> list[Path]:
    """Remove the task folders (cases, references, students' files) of grading processes that were killed
    before they could: only this user's, and only when the process named in the folder's name is gone."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{TASK_PREFIX}*"):
        owner = folder.name[len(TASK_PREFIX):].split("-")[0]
        try:
            mine = folder.lstat().st_uid == os.geteuid() and folder.is_dir() and not folder.is_symlink()
        except OSError:
            continue
        if mine and owner.isdigit() and not psutil.pid_exists(int(owner)):
            remove_tree(folder)
            removed.append(folder)
    return removed


@cache  # once per worker process: its first task cleans up after workers killed before it
def remove_stale_task_folders_once() -> None:
    remove_stale_task_folders()


@contextlib.contextmanager
def task_folder():
    """A private folder for one task, removed on every path. Its name carries this process's PID, so that
    if this process is killed first, the next one to start removes it (remove_stale_task_folders)."""
    remove_stale_task_folders_once()
    folder = Path(tempfile.mkdtemp(prefix=f"{TASK_PREFIX}{os.getpid()}-"))
    try:
        yield folder
    finally:
        remove_tree(folder)


def grade_one(work: Work, limits: Limits, isolated: bool = True,
              keep_executed: bool = False) -> tuple[SubmissionResult, str | None]:
    """Grade one submission in its own process; a failure of that process costs this row only.
    Returns the result and, with ``keep_executed``, the notebook as the kernel ran it. The grading process
    writes only in the task folder, its temporary files too (TMPDIR), so a killed one leaves nothing behind."""
    exercises = exercises_for(work.assignment)
    with task_folder() as folder:
        notebook, student_folder = folder / "notebook.ipynb", folder / "student"
        notebook.write_bytes(work.notebook)
        student_folder.mkdir()
        write_files(work.files, student_folder)
        spec, result, executed = folder / "spec.json", folder / "result.json", folder / "executed.ipynb"
        spec.write_text(json.dumps({"path": str(notebook), "student": work.student, "assignment": work.assignment,
                                    "limits": limits.to_json(), "folder": str(student_folder),
                                    "executed": str(executed) if keep_executed else None, "isolated": isolated}))
        (folder / "tmp").mkdir()
        if os.environ.get(jail.RUN_AS_ENV):   # without the jail, the unprivileged user must reach its work folder,
            os.chmod(folder, 0o711)           # below: traversable, never listable (jail._hand_over does the rest)
        # a backstop only: the submission's jails stop at its own wall-clock budget; + the grading process's own work
        budget = submission_seconds(limits, exercises) + 300
        try:
            completed = subprocess.run([sys.executable, "-m", "grader.grading.submission", str(spec), str(result)],
                                       capture_output=True, text=True, timeout=budget, stdin=subprocess.DEVNULL,
                                       preexec_fn=_die_with_parent, env={**os.environ, "TMPDIR": str(folder / "tmp")})
            error = completed.stderr.strip().splitlines()[-1:] if completed.returncode else []
        except subprocess.TimeoutExpired:   # the submission's own budget ran out: its status, not a grader fault
            return SubmissionResult.ungraded(work.student, work.assignment, "", Incident.TIMEOUT,
                                             OUT_OF_TIME.format(seconds=budget), exercises), None
        if result.exists() and not error:
            graded = SubmissionResult.from_json(json.loads(result.read_text()))
            graded.notes += work.notes
            text = None
            if keep_executed and executed.is_file():  # a run that died leaves none
                text = read_capped(executed, MAX_EXECUTED_BYTES).decode("utf-8")
            return graded, text
    failed = SubmissionResult.ungraded(work.student, work.assignment, "", Incident.GRADER_ERROR,
                                       GRADER_FAILED.format(error=error[0] if error else "unknown error"), exercises)
    failed.notes += work.notes
    return failed, None


def grade_task(work: Work, limits: Limits, isolated: bool, keep_executed: bool,
               fingerprint: str) -> tuple[dict, str | None]:
    """The Dask task: check this worker, grade, and return plain data (the result's JSON, the executed notebook)."""
    check_worker(work.assignment, fingerprint, isolated)
    started = time.monotonic()
    result, executed = grade_one(work, limits, isolated, keep_executed)
    result.usage["grading_wall_seconds"] = time.monotonic() - started   # on the worker, queueing left out
    return result.to_json(), executed


# ---------------------------------------------------------------- on the client

def pack(submission: Submission) -> Work:
    """The bytes a worker needs: the notebook, and the data files of the student's own folder."""
    files = {}
    if submission.folder is not None:
        files, _ = read_regular_files(submission.folder, MAX_FOLDER_BYTES, MAX_FOLDER_FILES,
                                      skip=shutil.ignore_patterns(*FOLDER_SKIP))
    return Work(submission.student, submission.assignment, read_capped(submission.path, MAX_NOTEBOOK_BYTES), files,
                list(submission.notes))


@contextlib.contextmanager
def open_client(jobs: int, scheduler: str | None):
    """A Dask client: on the cluster at ``scheduler``, or on a LocalCluster of ``jobs`` single-threaded
    worker processes (memory is limited per jail, not per worker). Dask's own logging is kept to errors (a local
    worker's to critical ones: "Compute Failed" for a worker that says it cannot grade is not news)."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler:
        try:
            client = distributed.Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {scheduler} ({type(error).__name__}: "
                                       f"{str(error).splitlines()[0][:200] if str(error) else ''}); start it with "
                                       f"`dask scheduler`, or leave out --scheduler and {SCHEDULER_ENV} to grade "
                                       f"on this machine") from error
        with client:
            yield client
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}), \
            distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, memory_limit=0,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                     silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield client


class SchedulerUnreachable(RuntimeError):
    pass


class Throughput(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed * 60:.1f}/min" if speed else "–/min")


def ungraded(submission: Submission, incident: Incident, reason: Msg) -> SubmissionResult:
    result = SubmissionResult.ungraded(submission.student, submission.assignment or readable(submission.path.stem),
                                       str(submission.path), incident, reason,
                                       exercises_for(submission.assignment) if submission.assignment else [])
    result.notes += submission.notes
    return result


class LazyClient:
    """The batch's Dask client, opened on first use: a batch whose controls are all cached and that has nothing
    left to grade never starts a cluster."""

    def __init__(self, stack: contextlib.ExitStack, jobs: int, scheduler: str | None):
        self.stack, self.jobs, self.scheduler, self.client = stack, jobs, scheduler, None

    def __call__(self):
        if self.client is None:
            self.client = self.stack.enter_context(open_client(self.jobs, self.scheduler))
        return self.client


def run_controls(assignments: list[str], limits: Limits, fixed: frozenset, isolated: bool, fingerprint: str,
                 scheduler: str | None, solutions: Path | None, client: Callable, console) -> dict[str, Limits]:
    """Grade the reference solution of each assignment (grading.control) down the students' path, unless a
    pass with the same environment key is cached. Raises ControlFailed as soon as a reference fails (the
    tasks still running are dropped with the client); otherwise returns each assignment's limits, sized by
    what its reference used."""
    folder = control.solutions_folder(solutions)
    keys, controls, todo = {}, {}, []
    for assignment in assignments:
        path, keys[assignment] = control.key_of(assignment, folder, limits, isolated, fingerprint, scheduler)
        controls[assignment] = control.cached(keys[assignment], assignment)
        if controls[assignment] is None:
            todo.append((Submission(path, control.STUDENT, assignment, f"{control.STUDENT}-{assignment}"), ""))
    wall = 0.0
    if todo:
        def collect(submission, digest, result, executed=None):
            if (why := control.failure(result)) is not None:   # stop at once: nobody will be graded
                raise control.ControlFailed(why)
            controls[submission.assignment] = control.Control(submission.assignment, result.score,
                                                              result.max_score, result.usage)
            control.remember(keys[submission.assignment], controls[submission.assignment])

        started = time.monotonic()
        Dispatcher(client(), console, dict.fromkeys(assignments, limits), isolated, False, fingerprint,
                   collect).run(todo, what="reference solution(s) (the control)")
        wall = time.monotonic() - started
    sized = {}
    for assignment in assignments:
        measured = controls[assignment]
        sized[assignment] = sized_by_control(limits, measured.usage, fixed)
        console.print(f"control {assignment}: the reference scored {measured.score}/{measured.max_score} "
                      f"({'cached' if measured.cached else 'graded now'}: {measured.cpu_seconds:.1f} s of CPU, "
                      f"{measured.wall_seconds:.1f} s of wall time{' when measured' if measured.cached else ''}); "
                      f"limits: {describe(sized[assignment])}", highlight=False, soft_wrap=True)
    if assignments:
        paid = [controls[assignment] for assignment in assignments if not controls[assignment].cached]
        console.print(f"control: {len(assignments)} reference(s), {len(assignments) - len(paid)} cached; this run "
                      f"paid {sum(c.cpu_seconds for c in paid):.1f} s of CPU"
                      + (f" in {wall:.1f} s of wall time" if paid else ""), highlight=False, soft_wrap=True)
    return sized


def grade_batch(paths: list[Path], outdir: Path, jobs: int = 1, force: bool = False, limits: Limits | None = None,
                keep_executed: bool = False, isolated: bool = True,
                on_result: Callable[[SubmissionResult], None] = lambda result: None,
                scheduler: str | None = None, max_notebooks: int = 1, one_student: bool = False,
                fixed: frozenset = frozenset(), solutions: Path | None = None) -> list[SubmissionResult]:
    """Grade what is not graded yet on Dask; ``on_result`` sees each new result once it is stored.
    With ``keep_executed``, OUTDIR/executed/<key>.ipynb keeps each notebook as the kernel ran it.
    The control runs first, under ``limits``; the time limits named in ``fixed`` are kept, the others are
    sized per assignment by the control. Raises ControlFailed, having written nothing, if a reference fails."""
    limits = limits or Limits()
    if isolated:
        jail.remove_stale_cgroups()
    store = ResultStore(outdir)
    submissions = discover(paths, max_notebooks, one_student)
    fingerprint = grader_fingerprint()
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV)
    console = Console(stderr=True)
    with contextlib.ExitStack() as stack:
        client = LazyClient(stack, jobs, scheduler)
        assignments = sorted({s.assignment for s in submissions if not s.incident})
        limits_for = run_controls(assignments, limits, fixed, isolated, fingerprint, scheduler, solutions, client,
                                  console)
        todo = []
        for submission in submissions:
            digest = content_hash(submission.path, fingerprint, limits_for.get(submission.assignment, limits))
            if force or not store.is_graded(submission.key, digest):
                todo.append((submission, digest))
        skipped = len(submissions) - len(todo)
        if skipped:
            print(f"{skipped} submission(s) already graded with the same content: skipped (use --force to regrade)",
                  file=sys.stderr)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   Throughput(), TextColumn("grader errors: {task.fields[failures]}  {task.fields[last]}"))

        def store_result(submission, digest, result, executed=None):
            result.hash, result.key = digest, submission.key
            store.save(result)
            if executed is not None:
                write_atomically(outdir / "executed" / f"{submission.key}.ipynb", executed)
            on_result(result)
            failures[0] += result.status == Incident.GRADER_ERROR.value
            progress.update(task, advance=1, failures=failures[0], last=f"{result.student} {result.assignment}: "
                                                                         f"{result.status} {result.score}/{result.max_score}")

        # Submissions that cannot be graded at all never reach a worker.
        gradable = [(s, d) for s, d in todo if not s.incident]
        failures = [0]
        with Progress(*columns, console=console, speed_estimate_period=3600) as progress:
            task = progress.add_task("grading", total=len(todo), failures=0, last="")
            for submission, digest in todo:
                if submission.incident:
                    store_result(submission, digest, ungraded(submission, submission.incident, submission.reason))
            if gradable:
                Dispatcher(client(), console, limits_for, isolated, keep_executed, fingerprint,
                           store_result).run(gradable)
    return store.load_all()


class Dispatcher:
    """Keeps a few tasks per worker thread in flight (the client reads each notebook just before sending it),
    and turns each finished task into a stored row."""

    def __init__(self, client, console, limits_for: dict[str, Limits], isolated, keep_executed, fingerprint,
                 store_result):
        self.client, self.console, self.store_result = client, console, store_result
        self.limits_for = limits_for              # assignment → its limits
        self.arguments = (isolated, keep_executed, fingerprint)
        self.unfit: dict[str, set[str]] = {}      # worker address → what it lacks
        self.reroutes: dict[str, int] = {}
        self.running: dict[distributed.Future, tuple[Submission, str]] = {}
        self.finished = distributed.as_completed(loop=client.loop)
        self.problems: dict[str, str] = {}        # worker address → why it cannot grade, as said on the terminal
        self.parked: list[tuple[Submission, str]] = []   # bounced off a worker known unfit: resent when a task ends

    def workers_for(self, submission: Submission) -> list[str] | None:
        """The workers to send ``submission`` to: None for any, [] for none."""
        needs = set(datasets_for(submission.assignment)) | {"grader"} | ({"jail"} if self.arguments[0] else set())
        avoid = {address for address, missing in self.unfit.items() if missing & needs}
        return [address for address in self.client.nthreads() if address not in avoid] if avoid else None

    def submit(self, submission: Submission, digest: str) -> None:
        workers = self.workers_for(submission)
        if workers == []:
            problems = "; ".join(sorted({problem for problem in self.problems.values()}))
            self.store_result(submission, digest, ungraded(submission, Incident.GRADER_ERROR,
                                                           NO_WORKER.format(problems=problems[:400])))
            return
        try:
            work = pack(submission)
        except (UnsafeFile, OSError) as error:  # changed on disk since discovery
            self.store_result(submission, digest, ungraded(submission, Incident.UNSAFE_FILE,
                                                           UNSAFE_FILE.format(error=type(error).__name__)))
            return
        # the key names the submission on the dashboard; loose restrictions: if none of those workers is left,
        # any worker may take it (and say again whether it can)
        future = self.client.submit(grade_task, work, self.limits_for[submission.assignment], *self.arguments,
                                    pure=False,
                                    key=f"grade-{submission.key}-{uuid.uuid4().hex[:8]}", workers=workers,
                                    allow_other_workers=workers is not None)
        self.running[future] = (submission, digest)
        self.finished.add(future)

    def run(self, todo: list[tuple[Submission, str]], what: str = "submission(s)") -> None:
        waiting = deque(todo)
        threads = sum(self.client.nthreads().values()) or 1
        # a local cluster's dashboard pages need bokeh; a remote scheduler may run without a dashboard
        served = "dashboard" in self.client.scheduler_info().get("services", {})
        link = (self.client.dashboard_link if served and (self.client.cluster is None or importlib.util.find_spec("bokeh"))
                else "none (its pages need pip install 'bokeh>=3.1')")
        self.console.print(f"grading {len(todo)} {what} on {len(self.client.nthreads())} Dask worker(s) "
                           f"(scheduler {self.client.scheduler.address}); Dask dashboard: {link}", highlight=False,
                           soft_wrap=True)
        while waiting and len(self.running) < 2 * threads:
            self.submit(*waiting.popleft())
        for future in self.finished:
            submission, digest = self.running.pop(future)
            parked = len(self.parked)
            self.collect(future, submission, digest, waiting)
            if len(self.parked) == parked:   # a task ended for real: a worker that can may be free now
                waiting.extendleft(reversed(self.parked))
                self.parked.clear()
            threads = sum(self.client.nthreads().values()) or 1
            while waiting and len(self.running) < 2 * threads:
                self.submit(*waiting.popleft())
            if not self.running and (waiting or self.parked):   # everything left was settled without a task
                waiting.extendleft(reversed(self.parked))
                self.parked.clear()
                self.submit(*waiting.popleft())

    def collect(self, future, submission: Submission, digest: str, waiting: deque) -> None:
        if future.status == "finished":
            data, executed = future.result()
            result = SubmissionResult.from_json(data)
            result.path = str(submission.path)   # the client's name for it: the worker only had bytes
            self.store_result(submission, digest, result, executed)
            return
        error = future.exception() if future.status == "error" else RuntimeError("the scheduler cancelled the task")
        if isinstance(error, WorkerUnfit):
            if set(error.missing) <= self.unfit.get(error.address, set()) and self.running:
                # Dask's work stealing moved it to an idle worker already known unfit (its restriction is loose,
                # so that it never waits for workers that left): wait for another task to end, then resend it
                self.parked.append((submission, digest))
                return
            if error.address not in self.problems:   # once per worker
                self.console.print(f"[bold]warning:[/bold] {error}. Its submissions go to other workers.",
                                   highlight=False, soft_wrap=True)
            self.problems[error.address] = str(error)
            self.unfit.setdefault(error.address, set()).update(error.missing)
            self.reroutes[submission.key] = self.reroutes.get(submission.key, 0) + 1
            if self.reroutes[submission.key] <= MAX_REROUTES:
                waiting.appendleft((submission, digest))
                return
            result = ungraded(submission, Incident.GRADER_ERROR, NO_WORKER.format(problems=str(error)[:400]))
        elif isinstance(error, distributed.KilledWorker):
            result = ungraded(submission, Incident.GRADER_ERROR, WORKER_DIED.format(times=error.allowed_failures + 1))
        else:  # a bug of ours with one submission costs that row, never the batch
            result = ungraded(submission, Incident.GRADER_ERROR,
                              GRADER_FAILED.format(error=f"{type(error).__name__}: {error}"[:200]))
        self.store_result(submission, digest, result)
