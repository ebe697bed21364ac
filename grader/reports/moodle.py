"""moodle_grades.csv for Moodle's "Import grades from CSV": one row per student, one column per assignment.

Map the `username` column to the Moodle username and each assignment column to
its grade item when importing.
"""
import csv
import io
from pathlib import Path

from grader.core import SubmissionResult
from grader.grading.files import write_atomically
from grader.reports.gradebook import cell


def moodle_csv(results: list[SubmissionResult]) -> str:
    assignments = sorted({r.assignment for r in results})
    by_student = {}
    for r in results:
        by_student.setdefault(r.student, {})[r.assignment] = r.score
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", *[cell(a) for a in assignments]])
    for student in sorted(by_student):
        writer.writerow([cell(student), *[by_student[student].get(a, "") for a in assignments]])
    return buffer.getvalue()


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    write_atomically(outdir / "moodle_grades.csv", moodle_csv(results))
