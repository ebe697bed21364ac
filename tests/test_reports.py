"""grader.reports: every exporter, from results built here (no grading needed)."""
import csv
import json

from grader import reports
from grader.core import ExerciseResult, Incident, Note, Status, SubmissionResult
from grader.i18n import Msg
from grader.reports import feedback, gradebook, gradescope, moodle, summary


def result(student, points, notes=(), assignment="01_a"):
    exercises = [ExerciseResult("1.1", Msg("Escalón", "Step"), 1, points[0],
                                Status.CORRECT if points[0] else Status.WRONG, Msg("bien | o mal", "right | or wrong")),
                 ExerciseResult("1.10", Msg("Otro", "Other"), 2, points[1],
                                Status.CORRECT if points[1] else Status.NOT_ATTEMPTED, Msg("sin hacer", "not done"))]
    return SubmissionResult(student, assignment, f"{student}.ipynb", list(notes), exercises, "h",
                            f"{student}__{assignment}")


RESULTS = [result("ana", (1, 2)), result("ben", (0, 0), [Note(Incident.TIMEOUT, Msg("lento", "slow"))])]


def test_feedback_in_each_language(tmp_path):
    feedback.export(RESULTS, tmp_path, "es")
    text = (tmp_path / "feedback" / "ben__01_a.md").read_text(encoding="utf-8")
    assert "| 1.1 Escalón | 0/1 | incorrecto | bien \\| o mal |" in text and "## Incidencias" in text
    assert "hubo límites de tiempo superados" in text
    page = feedback.page(RESULTS[1], "en")
    assert "<td>1.10 Other</td>" in page and "slow" in page and 'lang="en"' in page


def test_gradebook_orders_exercises_numerically(tmp_path):
    gradebook.export(RESULTS, tmp_path, "es")
    rows = list(csv.reader((tmp_path / "gradebook.csv").open(encoding="utf-8")))
    assert rows[0] == ["student", "assignment", "score", "max_score", "status", "1.1", "1.10"]
    assert rows[1] == ["ana", "01_a", "3", "3", "graded", "1", "2"]
    assert rows[2] == ["ben", "01_a", "0", "3", "timeout", "0", "0"]


def test_gradescope_results_json(tmp_path):
    gradescope.export(RESULTS, tmp_path, "en")
    document = json.loads((tmp_path / "gradescope" / "ana__01_a" / "results.json").read_text())
    assert document["score"] == 3 and document["tests"][1] == {
        "name": "1.10 Other", "score": 2, "max_score": 2, "output": "not done", "status": "passed",
        "visibility": "visible"}
    assert document["stdout_visibility"] == "hidden"


def test_moodle_csv_has_one_row_per_student_and_one_column_per_assignment():
    text = moodle.moodle_csv(RESULTS + [result("ana", (1, 0), assignment="02_b")])
    assert text.splitlines() == ["username,01_a,02_b", "ana,3,1", "ben,0,"]


def test_summary_text_and_plot_follow_the_language(tmp_path):
    assert "2 entregas: media 50.0 %, mediana 50.0 %" in summary.text(RESULTS, "es")
    assert "2 submissions" in summary.text(RESULTS, "en") and "graded 1, timeout 1" in summary.text(RESULTS, "en")
    summary.export(RESULTS, tmp_path, "en")
    assert (tmp_path / "summary.png").stat().st_size > 0
    for lang, words in (("es", ("puntuación (%)", "entregas", "2 entregas, mediana 50 %")),
                        ("en", ("score (%)", "submissions", "2 submissions, median 50 %"))):
        ax = summary.figure(RESULTS, lang).axes[0]
        assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == words
    assert summary.text([], "es") == "No se calificó ninguna entrega."


def test_export_all_writes_the_always_on_reports_and_the_requested_formats(tmp_path):
    reports.export_all(RESULTS, tmp_path, "es", ("moodle",))
    assert {path.name for path in tmp_path.iterdir()} == {"feedback", "gradebook.csv", "summary.png",
                                                          "class_report.html", "moodle_grades.csv"}


HOSTILE = ["<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1", "\tx"]


def test_student_derived_text_is_escaped_and_truncated_in_feedback():
    hostile = result(HOSTILE[0], (0, 0))
    hostile.exercises[0].message = Msg("[clic](javascript:alert(1)) " + "x" * 5000, "en")
    page, text = feedback.page(hostile, "es"), feedback.markdown(hostile, "es")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in text.replace("\\<img", "") and "](javascript" not in text
    assert "x" * 400 not in page and "x" * 400 not in text


def test_spreadsheet_formulas_are_neutralised_in_csv_exports():
    rows = [result(name, (1, 1)) for name in HOSTILE]
    for text in (gradebook.gradebook_csv(rows), moodle.moodle_csv(rows)):
        for row in csv.reader(text.splitlines()[1:]):
            assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert "'=HYPERLINK" in text
