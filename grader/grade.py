"""Grade a batch of submissions: discovery, parallel workers, resumable results, gradebook.

Each submission is graded by ``python -m grader.submission`` in its own process;
its result is written atomically to OUTDIR/results/<student>__<assignment>.json
together with a hash of the notebook and of the grader, so an interrupted batch
resumes where it stopped and a re-run skips what is already graded.
"""
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from grader.submission import Limits

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class Submission:
    path: Path
    student: str
    assignment: str | None
    key: str
    problem: str | None = None  # why it cannot be graded at all


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.") as handle:
        handle.write(text)
    os.replace(handle.name, path)


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
    problem, assignment = None, None
    try:
        notebook = nbformat.read(file, as_version=4)
        nbformat.validate(notebook)
        assignment = notebook.metadata.get("grader", {}).get("assignment")
    except Exception as error:  # empty, truncated, not JSON, not a notebook...
        problem = f"invalid-notebook: {type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"
    if assignment not in known:
        assignment = file.stem if file.stem in known else None
        if assignment is None and problem is None:
            problem = "unknown-assignment: the notebook metadata and file name name no known assignment"
    relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
    if len(relative.parts) > 1:
        student = relative.parts[0]         # entregas/ana_perez/03_mlp_mnist.ipynb → ana_perez
    elif file.stem in known:
        student = file.parent.name or file.stem   # a folder of one student's notebooks
    else:
        student = file.stem                  # entregas/ana_perez.ipynb → ana_perez
    key = f"{student}__{assignment or file.stem}"
    return Submission(file, student, assignment, key, problem)


def grader_fingerprint() -> str:
    digest = hashlib.sha256()
    for source in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def content_hash(path: Path, fingerprint: str, limits: Limits) -> str:
    digest = hashlib.sha256(path.read_bytes() if path.is_file() else b"")
    digest.update(fingerprint.encode())
    digest.update(json.dumps(asdict(limits), sort_keys=True).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- grading one

def grade_one(submission: Submission, limits: Limits) -> dict:
    from grader.exercises import exercises_for

    base = {"student": submission.student, "assignment": submission.assignment or submission.path.stem,
            "path": str(submission.path)}
    exercises = exercises_for(submission.assignment) if submission.assignment else []
    if submission.problem:
        status, _, reason = submission.problem.partition(": ")
        return {**base, "status": status, "problems": [{"status": status, "es": reason, "en": reason}],
                "exercises": [{"id": e.id, "title_es": e.title.es, "title_en": e.title.en, "max_points": e.points,
                               "points": 0, "status": status, "es": "no se pudo calificar", "en": "not graded"}
                              for e in exercises]}
    with tempfile.TemporaryDirectory(prefix="grader-spec-") as folder:
        spec, result = Path(folder) / "spec.json", Path(folder) / "result.json"
        spec.write_text(json.dumps({"path": str(submission.path.resolve()), "assignment": submission.assignment,
                                    "limits": asdict(limits)}))
        budget = limits.notebook_seconds + limits.exercise_seconds * (len(exercises) + 2) + 300
        try:
            completed = subprocess.run([sys.executable, "-m", "grader.submission", str(spec), str(result)],
                                       capture_output=True, text=True, timeout=budget, stdin=subprocess.DEVNULL)
            error = completed.stderr.strip().splitlines()[-1:] if completed.returncode else []
        except subprocess.TimeoutExpired:
            error = [f"grading took longer than {budget:.0f} s"]
        if result.exists() and not error:
            return {**base, **json.loads(result.read_text())}
    reason = f"the grader failed on this submission: {error[0] if error else 'unknown error'}"
    return {**base, "status": "grader-error", "problems": [{"status": "grader-error", "es": reason, "en": reason}],
            "exercises": [{"id": e.id, "title_es": e.title.es, "title_en": e.title.en, "max_points": e.points,
                           "points": 0, "status": "grader-error", "es": reason, "en": reason} for e in exercises]}


# ---------------------------------------------------------------- batch

def load_results(outdir: Path) -> list[dict]:
    results = []
    for path in sorted((outdir / "results").glob("*.json")):
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a foreign or damaged file: it will be regraded when its submission is seen
    return results


def gradebook_csv(results: list[dict]) -> str:
    exercise_ids = sorted({e["id"] for r in results for e in r["exercises"]},
                          key=lambda eid: tuple(int(p) if p.isdigit() else p for p in eid.split(".")))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", "score", "max_score", "status", *exercise_ids])
    for r in sorted(results, key=lambda r: (r["student"], r["assignment"])):
        points = {e["id"]: e["points"] for e in r["exercises"]}
        writer.writerow([r["student"], r["assignment"], score(r), max_score(r), r["status"],
                         *[points.get(eid, "") for eid in exercise_ids]])
    return buffer.getvalue()


def score(result: dict) -> int:
    return sum(e["points"] for e in result["exercises"])


def max_score(result: dict) -> int:
    return sum(e["max_points"] for e in result["exercises"])


def _progress(done: int, total: int, started: float, line: str) -> None:
    elapsed = time.monotonic() - started
    eta = elapsed / done * (total - done) if done else 0
    bar = "#" * int(20 * done / total) + "-" * (20 - int(20 * done / total))
    print(f"[{bar}] {done}/{total} ETA {int(eta) // 60:02d}:{int(eta) % 60:02d}  {line}", file=sys.stderr, flush=True)


def grade_batch(paths: list[Path], outdir: Path, jobs: int = 1, force: bool = False,
                limits: Limits | None = None, formats: tuple[str, ...] = (), lang: str = "es") -> list[dict]:
    from grader import reports
    from grader.exercises import assignments

    limits = limits or Limits()
    known = assignments()
    submissions, seen = [], {}
    for file, root in find_submissions(paths):
        submission = identify(file, root, known)
        count = seen.get(submission.key, 0) + 1
        seen[submission.key] = count
        if count > 1:  # two files for the same student and assignment: keep both rows
            submission.key += f"__{count}"
        submissions.append(submission)
    fingerprint = grader_fingerprint()
    todo = []
    for submission in submissions:
        digest = content_hash(submission.path, fingerprint, limits)
        stored = outdir / "results" / f"{submission.key}.json"
        if not force and stored.exists():
            try:
                if json.loads(stored.read_text(encoding="utf-8")).get("hash") == digest:
                    continue
            except ValueError:
                pass
        todo.append((submission, digest))
    skipped = len(submissions) - len(todo)
    if skipped:
        print(f"{skipped} submission(s) already graded with the same content: skipped (use --force to regrade)",
              file=sys.stderr)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, submission, limits): (submission, digest) for submission, digest in todo}
        for done, future in enumerate(as_completed(futures), start=1):
            submission, digest = futures[future]
            result = {**future.result(), "hash": digest, "key": submission.key}
            write_atomically(outdir / "results" / f"{submission.key}.json",
                             json.dumps(result, ensure_ascii=False, indent=1))
            reports.write_feedback(result, outdir / "feedback", lang)
            write_atomically(outdir / "gradebook.csv", gradebook_csv(load_results(outdir)))
            _progress(done, len(todo), started, f"{submission.student} {result['assignment']}: "
                                                f"{result['status']} {score(result)}/{max_score(result)}")
    results = load_results(outdir)
    for result in results:  # feedback of skipped submissions may be missing after a crash
        if not (outdir / "feedback" / f"{result['key']}.html").exists():
            reports.write_feedback(result, outdir / "feedback", lang)
    write_atomically(outdir / "gradebook.csv", gradebook_csv(results))
    if "gradescope" in formats:
        reports.write_gradescope(results, outdir / "gradescope", lang)
    if "moodle" in formats:
        write_atomically(outdir / "moodle_grades.csv", reports.moodle_csv(results))
    print(reports.summary(results, outdir / "summary.png"), file=sys.stderr)
    return results
