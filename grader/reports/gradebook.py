"""gradebook.csv: one row per submission, one column per exercise."""
import csv
import io
from pathlib import Path

from grader.core import SubmissionResult
from grader.grading.files import write_atomically


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else value


def exercise_order(exercise_id: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in exercise_id.split("."))


def gradebook_csv(results: list[SubmissionResult]) -> str:
    exercise_ids = sorted({e.id for r in results for e in r.exercises}, key=exercise_order)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", "score", "max_score", "status", *exercise_ids])
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        points = {e.id: e.points for e in r.exercises}
        writer.writerow([cell(r.student), cell(r.assignment), r.score, r.max_score, r.status,
                         *[points.get(eid, "") for eid in exercise_ids]])
    return buffer.getvalue()


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    write_atomically(outdir / "gradebook.csv", gradebook_csv(results))
