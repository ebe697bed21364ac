"""moodle_grades.csv for Moodle's "Import grades from CSV": one row per student, one column per assignment.

Moodle's import stops on a user it does not know, so with a roster (``grade --roster roster.csv``) the file
holds only the students the roster maps: its ``folder`` column names the submission folder, and its one
identifier column (``username``, ``email`` or ``idnumber``) becomes the file's first column. Map that column
to the same Moodle field, and each assignment column to its grade item, when importing. Values are raw points,
or, with ``--moodle-max``, points scaled to the grade item's maximum. Students without a roster row, and roster
rows without a submission, go to the terminal and to OUTDIR/roster_check.json, never silently away.
"""
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import SubmissionResult
from grader.grading.files import write_atomically
from grader.i18n import Msg
from grader.reports.gradebook import FORMULA_START, cell

IDENTIFIERS = ("username", "email", "idnumber")
MAX_ROSTER_BYTES = 5 * 2**20
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UNKNOWN = Msg("Sin fila en el roster (no están en moodle_grades.csv): {names}",
              "Not in the roster (left out of moodle_grades.csv): {names}")
ABSENT = Msg("En el roster pero sin entrega: {names}", "In the roster but with no submission: {names}")
ALL_MAPPED = Msg("Roster: los {count} estudiantes con entrega tienen su fila, y cada fila su entrega.",
                 "Roster: all {count} students who submitted have a row, and every row has a submission.")


class RosterError(ValueError):
    """The roster cannot be used as it is; the message says why and where."""


@dataclass
class Roster:
    identifier: str                                          # username, email or idnumber
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)   # folder.casefold() -> (folder, identifier)

    def lookup(self, student: str) -> str | None:
        row = self.rows.get(student.casefold())
        return row[1] if row else None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")         # UTF-8, with Excel's BOM or without
    except UnicodeDecodeError:
        return data.decode("cp1252")            # Excel's "CSV (comma delimited)" on Windows


def read_roster(path: Path) -> Roster:
    """Read a roster exported from Excel, LibreOffice or Moodle (comma, semicolon or tab separated)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size > MAX_ROSTER_BYTES:
        raise RosterError(f"{path}: not a file of at most {MAX_ROSTER_BYTES // 2**20} MB")
    text = _decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [name.strip().lower() for name in next(reader, [])]
    identifiers = [name for name in IDENTIFIERS if name in header]
    if "folder" not in header or len(identifiers) != 1:
        raise RosterError(f"{path}: the first row must name a 'folder' column and exactly one of "
                          f"{', '.join(IDENTIFIERS)} (found: {', '.join(header) or 'nothing'})")
    roster = Roster(identifiers[0])
    folder_at, identifier_at, seen = header.index("folder"), header.index(identifiers[0]), {}
    for line, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        values += [""] * (len(header) - len(values))
        folder, identifier = values[folder_at].strip(), values[identifier_at].strip()
        for value in (folder, identifier):
            if not value or value.startswith(FORMULA_START) or CONTROL.search(value):
                raise RosterError(f"{path}, line {line}: {value!r} is empty or looks like a spreadsheet formula; "
                                  f"fix the cell (a {roster.identifier} never starts with = + - @)")
        if roster.identifier == "username":
            identifier = identifier.lower()     # Moodle keeps usernames in lower case
        if folder.casefold() in roster.rows:
            raise RosterError(f"{path}, line {line}: folder {folder!r} is already on line {seen[folder.casefold()]}")
        if identifier in {known for _, known in roster.rows.values()}:
            raise RosterError(f"{path}, line {line}: {roster.identifier} {identifier!r} appears twice")
        roster.rows[folder.casefold()], seen[folder.casefold()] = (folder, identifier), line
    return roster


def grade_value(result: SubmissionResult, maximum: float | None):
    if maximum is None:
        return result.score
    return round(maximum * result.score / result.max_score, 2) if result.max_score else 0


def moodle_csv(results: list[SubmissionResult], roster: Roster | None = None, maximum: float | None = None) -> str:
    by_student = {}
    for r in results:
        identifier = roster.lookup(r.student) if roster else r.student
        if identifier is None:
            continue                            # listed by roster_check instead: Moodle would refuse the row
        best = by_student.setdefault(identifier, {}).get(r.assignment)
        if best is None or r.score > best.score:   # two files for one assignment: the better one counts
            by_student[identifier][r.assignment] = r
    assignments = sorted({a for graded in by_student.values() for a in graded})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([roster.identifier if roster else "username", *[cell(a) for a in assignments]])
    for student in sorted(by_student):
        graded = by_student[student]
        writer.writerow([cell(student), *[grade_value(graded[a], maximum) if a in graded else "" for a in assignments]])
    return buffer.getvalue()


def roster_check(results: list[SubmissionResult], roster: Roster) -> dict:
    """Who has a submission but no roster row, and who has a roster row but no submission."""
    students = {r.student for r in results}
    submitted = {student.casefold() for student in students}
    return {"identifier": roster.identifier,
            "mapped": sorted(student for student in students if roster.lookup(student) is not None),
            "not_in_roster": sorted(student for student in students if roster.lookup(student) is None),
            "without_submission": [{"folder": folder, roster.identifier: identifier}
                                   for key, (folder, identifier) in sorted(roster.rows.items())
                                   if key not in submitted]}


def roster_report(check: dict, lang: str) -> str:
    lines = []
    if check["not_in_roster"]:
        lines.append(UNKNOWN.format(names=", ".join(check["not_in_roster"])).text(lang))
    if check["without_submission"]:
        lines.append(ABSENT.format(names=", ".join(row["folder"] for row in check["without_submission"])).text(lang))
    return "\n".join(lines) or ALL_MAPPED.format(count=len(check["mapped"])).text(lang)


def export(results: list[SubmissionResult], outdir: Path, lang: str, roster: Roster | None = None,
           maximum: float | None = None) -> None:
    write_atomically(outdir / "moodle_grades.csv", moodle_csv(results, roster, maximum))
    if roster is not None:
        write_atomically(outdir / "roster_check.json",
                         json.dumps(roster_check(results, roster), ensure_ascii=False, indent=1))
