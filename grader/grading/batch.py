"""Grade a batch of submissions: discovery, parallel workers, resumable results.

Each submission is graded by ``python -m grader.grading.submission`` in its own
process; its result is written atomically to OUTDIR/results/<student>__<assignment>.json
(grading.store) together with a hash of the notebook, of the grader and of the limits,
so an interrupted batch resumes where it stopped and a re-run skips what is already graded.
Discovery never follows a link and never reads a file before checking its size.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.core import Incident, SubmissionResult
from grader.exercises.registry import assignments, exercises_for
from grader.grading import jail
from grader.grading.files import UnsafeFile, read_capped, regular_file_size, write_atomically
from grader.grading.limits import MAX_NOTEBOOK_BYTES, Limits
from grader.grading.store import ResultStore, submission_key
from grader.i18n import Msg

PACKAGE_DIR = Path(__file__).resolve().parents[1]
UNSAFE_FILE = Msg("no se leyó: es un enlace simbólico o un archivo especial ({error})",
                  "not read: it is a symbolic link or a special file ({error})")
TOO_LARGE = Msg("no se leyó: ocupa más de {limit} MB", "not read: it is larger than {limit} MB")
INVALID_NOTEBOOK = Msg("el archivo no es un cuaderno válido ({error})", "the file is not a valid notebook ({error})")
UNKNOWN_ASSIGNMENT = Msg("ni los metadatos del cuaderno ni el nombre del archivo nombran una práctica conocida",
                         "neither the notebook metadata nor the file name name a known assignment")
GRADER_FAILED = Msg("el corrector falló con esta entrega: {error}", "the grader failed on this submission: {error}")


@dataclass
class Submission:
    path: Path
    student: str
    assignment: str | None
    key: str
    incident: Incident | None = None   # why it cannot be graded at all
    reason: Msg | None = None
    folder: Path | None = None         # the student's own folder, whose data files the notebook may read


# ---------------------------------------------------------------- discovery

def find_submissions(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(file, root it was found under) for every .ipynb under folders, and every file given directly.
    Links inside the folders are listed (to be refused), never followed."""
    found = []
    for root in paths:
        if not root.is_dir():
            found.append((root, root.parent))
            continue
        for folder, directories, files in os.walk(root, followlinks=False):
            directories[:] = sorted(d for d in directories if d != ".ipynb_checkpoints")
            found += [(Path(folder) / name, root) for name in sorted(files) if name.endswith(".ipynb")]
            found += [(Path(folder) / name, root) for name in directories
                      if name.endswith(".ipynb") and os.path.islink(Path(folder) / name)]
    return found


def read_notebook(file: Path):
    """The notebook in ``file``, or (incident, reason): links, special and oversized files are not read."""
    try:
        size = regular_file_size(file)
    except (UnsafeFile, OSError) as error:
        return Incident.UNSAFE_FILE, UNSAFE_FILE.format(error=type(error).__name__)
    if size > MAX_NOTEBOOK_BYTES:
        return Incident.TOO_LARGE, TOO_LARGE.format(limit=MAX_NOTEBOOK_BYTES // 2**20)
    try:
        notebook = nbformat.reads(read_capped(file, MAX_NOTEBOOK_BYTES).decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
        return notebook
    except Exception as error:  # empty, truncated, not JSON, not a notebook...
        first_line = str(error).splitlines()[0][:160] if str(error) else ""
        return Incident.INVALID_NOTEBOOK, INVALID_NOTEBOOK.format(error=f"{type(error).__name__}: {first_line}")


def identify(file: Path, root: Path, known: list[str]) -> Submission:
    incident, reason, assignment = None, None, None
    notebook = read_notebook(file)
    if isinstance(notebook, tuple):
        incident, reason = notebook
    else:
        assignment = notebook.metadata.get("grader", {}).get("assignment")
    if assignment not in known:
        assignment = file.stem if file.stem in known else None
        if assignment is None and incident is None:
            incident, reason = Incident.UNKNOWN_ASSIGNMENT, UNKNOWN_ASSIGNMENT
    relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
    folder = file.parent
    if len(relative.parts) > 1:
        student = relative.parts[0]         # entregas/ana_perez/03_mlp_mnist.ipynb → ana_perez
    elif file.stem in known:
        student = file.parent.name or file.stem   # a folder of one student's notebooks
    else:
        student, folder = file.stem, None    # entregas/ana_perez.ipynb → ana_perez; the folder is everyone's
    return Submission(file, student, assignment, submission_key(student, assignment or file.stem), incident, reason,
                      folder)


def discover(paths: list[Path]) -> list[Submission]:
    """Every submission under ``paths``; two files for the same student and assignment keep both rows."""
    known, submissions, seen = assignments(), [], {}
    for file, root in find_submissions(paths):
        submission = identify(file, root, known)
        seen[submission.key] = seen.get(submission.key, 0) + 1
        if seen[submission.key] > 1:
            submission.key += f"__{seen[submission.key]}"
        submissions.append(submission)
    return submissions


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


# ---------------------------------------------------------------- grading one

def grade_one(submission: Submission, limits: Limits, executed: Path | None = None,
              isolated: bool = True) -> SubmissionResult:
    """Grade one submission in its own process; a failure of that process costs this row only.
    With ``executed``, the notebook as the kernel ran it is saved there."""
    assignment = submission.assignment or submission.path.stem
    exercises = exercises_for(submission.assignment) if submission.assignment else []
    if submission.incident:
        return SubmissionResult.ungraded(submission.student, assignment, str(submission.path), submission.incident,
                                         submission.reason, exercises)
    with tempfile.TemporaryDirectory(prefix="grader-spec-") as folder:
        spec, result = Path(folder) / "spec.json", Path(folder) / "result.json"
        spec.write_text(json.dumps({"path": str(submission.path.resolve()), "student": submission.student,
                                    "assignment": submission.assignment, "limits": limits.to_json(),
                                    "folder": str(submission.folder.resolve()) if submission.folder else None,
                                    "executed": str(Path(folder) / "executed.ipynb") if executed else None,
                                    "isolated": isolated}))
        # a backstop only: the jails stop themselves at their own CPU limits and wall-clock backstops
        budget = limits.wall_factor * (limits.notebook_seconds + limits.exercise_seconds * (len(exercises) + 1)) + 600
        try:
            completed = subprocess.run([sys.executable, "-m", "grader.grading.submission", str(spec), str(result)],
                                       capture_output=True, text=True, timeout=budget, stdin=subprocess.DEVNULL)
            error = completed.stderr.strip().splitlines()[-1:] if completed.returncode else []
        except subprocess.TimeoutExpired:
            error = [f"grading took longer than {budget:.0f} s"]
        if result.exists() and not error:
            graded = SubmissionResult.from_json(json.loads(result.read_text()))
            graded.path = str(submission.path)
            if executed and (Path(folder) / "executed.ipynb").is_file():  # a run that died leaves none
                write_atomically(executed, (Path(folder) / "executed.ipynb").read_text(encoding="utf-8"))
            return graded
    return SubmissionResult.ungraded(submission.student, assignment, str(submission.path), Incident.GRADER_ERROR,
                                     GRADER_FAILED.format(error=error[0] if error else "unknown error"), exercises)


def grade_batch(paths: list[Path], outdir: Path, jobs: int = 1, force: bool = False, limits: Limits | None = None,
                keep_executed: bool = False, isolated: bool = True,
                on_result: Callable[[SubmissionResult], None] = lambda result: None) -> list[SubmissionResult]:
    """Grade what is not graded yet, ``jobs`` at a time; ``on_result`` sees each new result once it is stored.
    With ``keep_executed``, OUTDIR/executed/<key>.ipynb keeps each notebook as the kernel ran it."""

    limits = limits or Limits()
    if isolated:
        jail.remove_stale_cgroups()
    store = ResultStore(outdir)
    submissions = discover(paths)
    fingerprint = grader_fingerprint()
    todo = []
    for submission in submissions:
        digest = content_hash(submission.path, fingerprint, limits)
        if force or not store.is_graded(submission.key, digest):
            todo.append((submission, digest))
    skipped = len(submissions) - len(todo)
    if skipped:
        print(f"{skipped} submission(s) already graded with the same content: skipped (use --force to regrade)",
              file=sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[last]}"))
    with Progress(*columns, console=Console(stderr=True)) as progress, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        task = progress.add_task("grading", total=len(todo), last="")
        futures = {pool.submit(grade_one, submission, limits,
                               outdir / "executed" / f"{submission.key}.ipynb" if keep_executed else None, isolated):
                   (submission, digest) for submission, digest in todo}
        for future in as_completed(futures):
            submission, digest = futures[future]
            try:
                result = future.result()
            except Exception as error:  # a bug of ours with one submission costs that row, never the batch
                result = SubmissionResult.ungraded(
                    submission.student, submission.assignment or submission.path.stem, str(submission.path),
                    Incident.GRADER_ERROR, GRADER_FAILED.format(error=f"{type(error).__name__}: {error}"[:200]),
                    exercises_for(submission.assignment) if submission.assignment else [])
            result.hash, result.key = digest, submission.key
            store.save(result)
            on_result(result)
            progress.update(task, advance=1, last=f"{result.student} {result.assignment}: {result.status} "
                                                   f"{result.score}/{result.max_score}")
    return store.load_all()
