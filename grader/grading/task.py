"""The grading spine: ``grade_one`` grades one submission, and every route calls it.

A route hands it the submission as bytes (``Work``: the notebook and the regular files of the student's
folder, never a path on the client's machine). It writes them to a private task folder and grades them with
``python -m grader.grading.submission`` in a process of its own (the judge), which runs student code in the
jails; a failure of that process costs this row only. The routes (grading.dispatch): this process, for a
batch of one machine's single job and for Gradescope's run_autograder; a Dask worker (``grade_task``), which
first checks that it can grade the assignment as the client would. The result comes back as the dataclass
and travels unchanged to the owner of OUTDIR (reports.outdir), which signs and stores it.
"""
import contextlib
import ctypes
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import psutil

from grader.core import Incident, Note, SubmissionResult
from grader.data import DATASETS_ENV, dataset_places, missing_datasets
from grader.exercises.registry import datasets_for, exercises_for
from grader.grading import jail
from grader.grading.control import grader_fingerprint
from grader.grading.files import UnsafeFile, read_capped, remove_tree, write_files
from grader.grading.limits import MAX_EXECUTED_BYTES, MAX_NOTEBOOK_BYTES, Limits
from grader.grading.submission import OUT_OF_TIME, submission_seconds
from grader.i18n import Msg

GRADER_FAILED = Msg("el corrector falló con esta entrega: {error}", "the grader failed on this submission: {error}")
TASK_PREFIX = "grader-task-"   # grader-task-<pid of the process that owns it>-<random>, in the temporary folder


def content_hash(path: Path, fingerprint: str, limits: Limits) -> str:
    try:
        digest = hashlib.sha256(read_capped(path, MAX_NOTEBOOK_BYTES))
    except (UnsafeFile, OSError):
        digest = hashlib.sha256(b"")
    digest.update(fingerprint.encode())
    digest.update(json.dumps(limits.to_json(), sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class Work:
    """What the spine receives for one submission: bytes, never a path on the client's machine."""
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


def check_worker(assignment: str, fingerprint: str, isolated: bool = True, address: str = "this process") -> None:
    """Raise WorkerUnfit, naming this worker, if it would grade ``assignment`` differently from the client."""
    where = (address, socket.gethostname())
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


@cache  # once per process: its first task cleans up after workers killed before it
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
    started = time.monotonic()
    result, executed = _graded(work, limits, isolated, keep_executed)
    result.notes += work.notes
    result.usage["grading_wall_seconds"] = time.monotonic() - started   # where it ran, queueing left out
    return result, executed


def _graded(work: Work, limits: Limits, isolated: bool, keep_executed: bool) -> tuple[SubmissionResult, str | None]:
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
            # the one crossing of a process boundary as JSON: from here on the dataclass travels unchanged
            graded = SubmissionResult.from_json(json.loads(result.read_text()))
            text = None
            if keep_executed and executed.is_file():  # a run that died leaves none
                text = read_capped(executed, MAX_EXECUTED_BYTES).decode("utf-8")
            return graded, text
    return SubmissionResult.ungraded(work.student, work.assignment, "", Incident.GRADER_ERROR,
                                     GRADER_FAILED.format(error=error[0] if error else "unknown error"),
                                     exercises), None


def grade_task(work: Work, limits: Limits, isolated: bool, keep_executed: bool,
               fingerprint: str) -> tuple[SubmissionResult, str | None]:
    """The Dask task: check this worker, then the spine. Dask pickles the result as it is."""
    import distributed   # loaded already in a worker
    check_worker(work.assignment, fingerprint, isolated, distributed.get_worker().address)
    return grade_one(work, limits, isolated, keep_executed)
