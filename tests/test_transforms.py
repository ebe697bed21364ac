"""Each transform of the student pipeline (grader.authoring.build.STUDENT_PIPELINE) does its one job."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.authoring import build


def notebook(*cells, **metadata):
    return new_notebook(cells=list(cells), metadata=metadata)


def test_drop_hidden_cells():
    kept, hidden = new_code_cell("x = 1"), new_code_cell("secret = 2", metadata={"tags": ["hidden"]})
    result = build.drop_hidden_cells(notebook(kept, hidden), "nb")
    assert [cell.source for cell in result.cells] == ["x = 1"]


def test_keep_kit_metadata():
    cell = new_code_cell("x", metadata={"grader": {"exercise": "1.1"}, "tags": ["a"], "collapsed": True})
    result = build.keep_kit_metadata(notebook(cell, grader={"assignment": "a"}, widgets={"w": 1}), "nb")
    assert set(result.metadata) == {"grader"} and set(result.cells[0].metadata) == {"grader", "tags"}


def test_stub_solutions():
    cell = new_code_cell('def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION',
                         metadata={"grader": {"exercise": "2.3"}})
    result = build.stub_solutions(notebook(cell), "nb")
    assert "return x" not in result.cells[0].source
    assert 'raise NotImplementedError("Ejercicio 2.3: completa la función f")' in result.cells[0].source


def test_strip_nbval_markers():
    result = build.strip_nbval_markers(notebook(new_code_cell("# NBVAL_CHECK_OUTPUT\ncheck('1.1')")), "nb")
    assert result.cells[0].source == "check('1.1')"


def test_clear_outputs():
    cell = new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")], execution_count=3)
    result = build.clear_outputs(notebook(cell), "nb")
    assert result.cells[0].outputs == [] and result.cells[0].execution_count is None


def test_point_links_at_notebooks():
    badge = new_markdown_cell("[Colab](https://colab.research.google.com/github/o/r/blob/main/solutions/01.ipynb)")
    result = build.point_links_at_notebooks(notebook(badge), "nb")
    assert "/notebooks/01.ipynb" in result.cells[0].source and "/solutions/" not in result.cells[0].source


def test_the_pipeline_is_the_student_version():
    solution = notebook(new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)", outputs=[new_output("stream", text="1")]),
                        new_code_cell("s", metadata={"tags": ["hidden"]}))
    student = build.student_version(solution, "nb")
    assert [cell.source for cell in student.cells] == ["print(1)"] and student.cells[0].outputs == []
    assert solution.cells[0].outputs, "the solution itself is left untouched"
    nbformat.validate(student)
