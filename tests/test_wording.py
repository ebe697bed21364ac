"""Wording of what the grader tells people (issue 18): counts agree in number, and English feedback holds no
Spanish. Results are built here; nothing is graded."""
import html

from grader.core import ExerciseResult, Status, SubmissionResult
from grader.i18n import Msg
from grader.reports import class_report, summary


def one_submission(student="ana", assignment="01_a"):
    exercise = ExerciseResult("1.1", Msg("Escalón", "Step"), 1, 1, Status.CORRECT, Msg("bien", "fine"))
    return SubmissionResult(student, assignment, "", [], [exercise], "h", f"{student}__{assignment}", {})


def test_counts_of_one_are_singular_and_others_plural():
    page = html.unescape(class_report.page([one_submission()], "es"))
    assert "1 entrega de 1 estudiante en 1 práctica." in page
    assert "1 submission from 1 student in 1 assignment." in html.unescape(class_report.page([one_submission()], "en"))
    two = [one_submission("ana"), one_submission("ben", "02_b")]
    assert "2 entregas de 2 estudiantes en 2 prácticas." in html.unescape(class_report.page(two, "es"))
    assert summary.text([one_submission()], "es").startswith("1 entrega: media 100.0 %")
    assert summary.text(two, "en").startswith("2 submissions: mean 100.0 %")


def test_a_syntax_error_is_located_in_the_feedback_language():
    import nbformat

    from grader.grading.extract import extract_definitions
    from grader.grading.submission import SYNTAX_ERROR

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("def f(:\n    pass")]
    [(index, text)] = extract_definitions(book)[1]
    message = SYNTAX_ERROR.format(index=index, text=text)
    assert index == 1 and "(line 1)" in message.en and "línea" not in message.en
    assert "(línea 1)" in message.es


def test_a_returned_value_the_grader_cannot_read_is_explained_in_the_feedback_language(tmp_path):
    # The runner's path outside the jail: write the sandbox's inputs, run the runner, judge what it wrote.
    from grader import runner
    from grader.exercises.registry import get_exercise
    from grader.grading.sandbox import judge_output, write_inputs

    exercise = get_exercise("4.4")
    write_inputs(tmp_path, ["def output_size(n, k, p, s):\n    return {'size': 1}"], [exercise])
    runner.run(tmp_path, [exercise.id])
    verdict = judge_output(exercise, tmp_path)
    assert verdict.status == Status.WRONG
    assert "returned a value of type dict, which the grader cannot read" in verdict.message.en
    assert "devolvió un valor de tipo dict" in verdict.message.es
    assert not any(word in verdict.message.en for word in ("tipo", "salida", "lanzó"))
