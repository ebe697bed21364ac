"""What instructors and students read. Every export is one module with ``export(results, outdir, lang)``;
EXPORTERS is the registry, and the optional ones are the choices of ``grade --format``."""
from pathlib import Path

from grader.core import SubmissionResult
from grader.reports import class_report, feedback, gradebook, gradescope, moodle, summary

EXPORTERS = {
    "feedback": feedback.export,     # feedback/<student>__<assignment>.html and .md
    "gradebook": gradebook.export,   # gradebook.csv
    "summary": summary.export,       # summary.png
    "class_report": class_report.export,  # class_report.html: where the class struggles, for instructors
    "gradescope": gradescope.export,  # gradescope/<student>__<assignment>/results.json
    "moodle": moodle.export,         # moodle_grades.csv
}
ALWAYS = ("feedback", "gradebook", "summary", "class_report")
OPTIONAL = tuple(name for name in EXPORTERS if name not in ALWAYS)


def after_each(result: SubmissionResult, results: list[SubmissionResult] | None, outdir: Path, lang: str) -> None:
    """As each submission is graded: its feedback, and a gradebook of ``results`` (which include it), unless None."""
    feedback.write(result, outdir, lang)
    if results is not None:
        gradebook.export(results, outdir, lang)


def export_all(results: list[SubmissionResult], outdir: Path, lang: str, formats: tuple[str, ...] = (),
               **options: dict) -> None:
    """``options`` maps an exporter's name to its extra arguments (moodle={"roster": ..., "maximum": ...})."""
    for name in (*ALWAYS, *formats):
        EXPORTERS[name](results, outdir, lang, **options.get(name, {}))
