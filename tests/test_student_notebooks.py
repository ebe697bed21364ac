"""Untouched student notebooks run top to bottom (errors allowed) and every check
says "not attempted": never a traceback from the checking code itself."""
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import NOTEBOOKS
from grader.exercises import exercises_for

NAMES = [path.name for path in sorted(NOTEBOOKS.glob("*.ipynb"))]


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith("check(")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_untouched_notebook_is_not_attempted_everywhere(name, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = [cell for cell in notebook.cells if is_check_cell(cell)]
    assert len(checks) == len(exercises_for(name.removesuffix(".ipynb")))
    for cell in checks:
        assert {output.output_type for output in cell.outputs} == {"stream"}, \
            f"{cell.source!r} produced {cell.outputs}"
        text = "".join(output.text for output in cell.outputs)  # a line may arrive in pieces
        assert text.startswith("⏳") and text.count("\n") == 1, text
