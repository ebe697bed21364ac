"""Grade a batch of submissions: discovery, parallel workers, resumable results.

Each submission is graded by ``python -m grader.grading.submission`` in its own
process; its result is written atomically to OUTDIR/results/<student>__<assignment>.json
together with a hash of the notebook, of the grader and of the limits, so an
interrupted batch resumes where it stopped and a re-run skips what is already graded.
"""
import hashlib
import json
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
from grader.grading.files import write_atomically
from grader.grading.limits import Limits
from grader.i18n import Msg

PACKAGE_DIR = Path(__file__).resolve().parents[1]
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


# ---------------------------------------------------------------- discovery

def find_submissions(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(file, root it was found under) for every .ipynb under folders, and every file given directly."""
    found = []
    for root in paths:
        if root.is_dir():
            found += [(file, root) for file in sorted(root.rglob("*.ipynb"))
                      if ".ipynb_checkpoints" not in file.parts]
        else:
            found.append((root, root.parent))
    return found


def identify(file: Path, root: Path, known: list[str]) -> Submission:
    incident, reason, assignment = None, None, None
    try:
        notebook = nbformat.read(file, as_version=4)
        nbformat.validate(notebook)
        assignment = notebook.metadata.get("grader", {}).get("assignment")
    except Exception as error:  # empty, truncated, not JSON, not a notebook...
        first_line = str(error).splitlines()[0][:160] if str(error) else ""
        incident, reason = Incident.INVALID_NOTEBOOK, INVALID_NOTEBOOK.format(
            error=f"{type(error).__name__}: {first_line}")
    if assignment not in known:
        assignment = file.stem if file.stem in known else None
        if assignment is None and incident is None:
            incident, reason = Incident.UNKNOWN_ASSIGNMENT, UNKNOWN_ASSIGNMENT
    relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
    if len(relative.parts) > 1:
        student = relative.parts[0]         # entregas/ana_perez/03_mlp_mnist.ipynb → ana_perez
    elif file.stem in known:
        student = file.parent.name or file.stem   # a folder of one student's notebooks
    else:
        student = file.stem                  # entregas/ana_perez.ipynb → ana_perez
    return Submission(file, student, assignment, f"{student}__{assignment or file.stem}", incident, reason)


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
    digest = hashlib.sha256(path.read_bytes() if path.is_file() else b"")
    digest.update(fingerprint.encode())
    digest.update(json.dumps(limits.to_json(), sort_keys=True).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- grading one

def grade_one(submission: Submission, limits: Limits, executed: Path | None = None) -> SubmissionResult:
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
                                    "executed": str(Path(folder) / "executed.ipynb") if executed else None}))
        budget = limits.notebook_seconds + limits.exercise_seconds * (len(exercises) + 2) + 300
        try:
            completed = subprocess.run([sys.executable, "-m", "grader.grading.submission", str(spec), str(result)],
                                       capture_output=True, text=True, timeout=budget, stdin=subprocess.DEVNULL)
            error = completed.stderr.strip().splitlines()[-1:] if completed.returncode else []
        except subprocess.TimeoutExpired:
            error = [f"grading took longer than {budget:.0f} s"]
        if result.exists() and not error:
            graded = SubmissionResult.from_json(json.loads(result.read_text()))
            graded.path = str(submission.path)
            if executed:
                write_atomically(executed, (Path(folder) / "executed.ipynb").read_text(encoding="utf-8"))
            return graded
    return SubmissionResult.ungraded(submission.student, assignment, str(submission.path), Incident.GRADER_ERROR,
                                     GRADER_FAILED.format(error=error[0] if error else "unknown error"), exercises)


# ---------------------------------------------------------------- the results folder

def result_path(outdir: Path, key: str) -> Path:
    return outdir / "results" / f"{key}.json"


def load_results(outdir: Path) -> list[SubmissionResult]:
    results = []
    for path in sorted((outdir / "results").glob("*.json")):
        try:
            results.append(SubmissionResult.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a foreign or damaged file: it will be regraded when its submission is seen
    return results


def is_graded(outdir: Path, key: str, digest: str) -> bool:
    try:
        return json.loads(result_path(outdir, key).read_text(encoding="utf-8")).get("hash") == digest
    except (OSError, ValueError, AttributeError):
        return False


def grade_batch(paths: list[Path], outdir: Path, jobs: int = 1, force: bool = False, limits: Limits | None = None,
                keep_executed: bool = False,
                on_result: Callable[[SubmissionResult], None] = lambda result: None) -> list[SubmissionResult]:
    """Grade what is not graded yet, ``jobs`` at a time; ``on_result`` sees each new result once it is stored.
    With ``keep_executed``, OUTDIR/executed/<key>.ipynb keeps each notebook as the kernel ran it."""

    limits = limits or Limits()
    submissions = discover(paths)
    fingerprint = grader_fingerprint()
    todo = []
    for submission in submissions:
        digest = content_hash(submission.path, fingerprint, limits)
        if force or not is_graded(outdir, submission.key, digest):
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
                               outdir / "executed" / f"{submission.key}.ipynb" if keep_executed else None):
                   (submission, digest) for submission, digest in todo}
        for future in as_completed(futures):
            submission, digest = futures[future]
            result = future.result()
            result.hash, result.key = digest, submission.key
            write_atomically(result_path(outdir, submission.key),
                             json.dumps(result.to_json(), ensure_ascii=False, indent=1))
            on_result(result)
            progress.update(task, advance=1, last=f"{result.student} {result.assignment}: {result.status} "
                                                   f"{result.score}/{result.max_score}")
    return load_results(outdir)
