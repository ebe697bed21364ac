"""Gradescope's results.json: one per submission after a batch (``grade --format gradescope``), and the one
Gradescope itself reads, written inside its container by the autograder.zip's run_autograder
(``main`` below; the zip comes from ``python -m grader gradescope``)."""
import argparse
import json
import os
import sys
from pathlib import Path

from grader.core import Status, SubmissionResult
from grader.grading import jail
from grader.grading.batch import grade_batch
from grader.grading.files import write_atomically
from grader.i18n import Msg, language
from grader.reports.feedback import rows

# The feedback never shows a hidden case's inputs, so students may see every test's line at once.
VISIBILITY = "visible"
NO_NOTEBOOK = Msg("No encontré el cuaderno {assignment}.ipynb entre los archivos entregados ({files}). "
                  "Sube el .ipynb de esta práctica.",
                  "The notebook {assignment}.ipynb is not among the submitted files ({files}). "
                  "Upload this assignment's .ipynb.")
ISOLATION_ENV = "GRADER_ISOLATION"   # bwrap, none, or unset: the jail when the container allows it


def results_json(result: SubmissionResult, lang: str) -> dict:
    return {
        "score": result.score,
        "output": result.status_label.text(lang),
        "stdout_visibility": "hidden",   # the grader's log, not feedback
        "tests": [{"name": name, "score": e.points, "max_score": e.max_points, "output": reason,
                   "status": "passed" if e.status == Status.CORRECT else "failed", "visibility": VISIBILITY}
                  for e, (name, _, _, reason) in zip(result.exercises, rows(result, lang))],
    }


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    for result in results:
        write_atomically(outdir / "gradescope" / result.key / "results.json",
                         json.dumps(results_json(result, lang), ensure_ascii=False, indent=1))


def isolation() -> bool:
    """Whether to jail student code. Gradescope runs each submission in its own throwaway container, as root;
    where that container lets bubblewrap create namespaces, the jail keeps the hidden cases and this script out
    of the student's reach. Where it does not, the container is the only sandbox (see the README)."""
    choice = os.environ.get(ISOLATION_ENV, "").strip()
    problem = jail.unavailable()
    if choice == "bwrap" and problem:
        raise SystemExit(f"{ISOLATION_ENV}=bwrap, but {problem}")
    isolated = choice != "none" and problem is None
    print(f"isolation: {'bubblewrap jail' if isolated else 'none (the container is the sandbox)'}"
          + (f" — {problem}" if problem and choice != "none" else ""), file=sys.stderr)
    return isolated


def autograde(assignment: str, submission: Path, results: Path, work: Path, lang: str) -> dict:
    """Grade the submitted notebooks of ``assignment`` and write Gradescope's results.json; returns it."""
    notebooks = sorted(submission.glob("*.ipynb")) or sorted(submission.rglob("*.ipynb"))
    graded = [r for r in grade_batch(notebooks, work, isolated=isolation()) if r.assignment == assignment] \
        if notebooks else []
    if graded:
        payload = results_json(max(graded, key=lambda r: r.score), lang)
    else:
        names = ", ".join(path.name for path in sorted(submission.rglob("*")) if path.is_file())[:300] or "—"
        payload = {"score": 0, "output": NO_NOTEBOOK.format(assignment=assignment, files=names).text(lang),
                   "stdout_visibility": "hidden", "tests": []}
    write_atomically(results, json.dumps(payload, ensure_ascii=False, indent=1))
    return payload


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="run_autograder",
                                     description="run_autograder's grading step (inside Gradescope's container)")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--submission", type=Path, default=Path("/autograder/submission"))
    parser.add_argument("--results", type=Path, default=Path("/autograder/results/results.json"))
    parser.add_argument("--work", type=Path, default=Path("/autograder/work"))
    args = parser.parse_args(argv)
    payload = autograde(args.assignment, args.submission, args.results, args.work, language())
    print(f"score {payload['score']}: {args.results}")
    return 0
