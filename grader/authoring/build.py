"""Build student notebooks from solutions/ (the source of truth).

As in nbgrader's preprocessors, the student version is the solution notebook
passed through a list of small transforms, each with one job (STUDENT_PIPELINE).
In solution notebooks, code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
is replaced by a stub that raises a Spanish NotImplementedError, so the student
file is valid Python and a half-done notebook runs up to the first unfinished
exercise. The JSON is written canonically (nbformat's sorted keys, one-space indent).
"""
import copy
import re
from pathlib import Path
from typing import Callable

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_TAG = "hidden"
NBVAL_MARKER = "# NBVAL_"
KEPT_NOTEBOOK_METADATA = ("grader", "kernelspec", "language_info", "colab")
KEPT_CELL_METADATA = ("grader", "tags")
DEF_LINE = re.compile(r"^(\s*)def\s+(\w+)\s*\(")
# The kit's own address is never written in a notebook: these tokens stand for it, and `release` fills them
# ({{GITHUB_REPO}} is owner/name, for the Colab badges). Notebooks built here keep the tokens.
TOKEN = re.compile(r"\{\{([A-Z_]+)\}\}")
TOKENS = ("REPO_URL", "BRANCH", "GITHUB_REPO")


class BuildError(ValueError):
    """A solution notebook is malformed (unbalanced markers, region without exercise id...)."""


def exercise_id(cell) -> str | None:
    return cell.get("metadata", {}).get("grader", {}).get("exercise")


# ---------------------------------------------------------------- transforms: (notebook, name) -> notebook

def drop_hidden_cells(notebook, name):
    """Cells tagged ``hidden`` never reach students."""
    notebook.cells = [cell for cell in notebook.cells if HIDDEN_TAG not in cell.get("metadata", {}).get("tags", [])]
    return notebook


def keep_kit_metadata(notebook, name):
    """Only the metadata the kit needs: widget state, execution times and the like are dropped."""
    notebook.metadata = {k: v for k, v in notebook.metadata.items() if k in KEPT_NOTEBOOK_METADATA}
    for cell in notebook.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA}
    return notebook


def stub_solutions(notebook, name):
    """Replace every solution region of every code cell by a stub that raises NotImplementedError."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, exercise_id(cell), f"{name} cell {index} ({cell.get('id')})")
    return notebook


def strip_nbval_markers(notebook, name):
    """nbval markers only make sense next to the solutions' stored outputs."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = "\n".join(line for line in cell.source.split("\n") if not line.startswith(NBVAL_MARKER))
    return notebook


def clear_outputs(notebook, name=None):
    """No outputs or execution counts: what the student gets, and what the grader runs."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def point_links_at_notebooks(notebook, name):
    """The Colab badge of a student notebook opens the student file, not the solution."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("/solutions/", "/notebooks/")
    return notebook


Transform = Callable[[nbformat.NotebookNode, str], nbformat.NotebookNode]
STUDENT_PIPELINE: list[Transform] = [drop_hidden_cells, keep_kit_metadata, stub_solutions, strip_nbval_markers,
                                     clear_outputs, point_links_at_notebooks]


def stub_line(indent: str, exercise: str, function: str | None) -> list[str]:
    what = f"completa la función {function}" if function else "completa esta celda"
    return [f"{indent}# TU CÓDIGO AQUÍ",
            f'{indent}raise NotImplementedError("Ejercicio {exercise}: {what}")']


def strip_solutions(source: str, exercise: str | None, where: str) -> str:
    """Replace every solution region in one cell's source by a stub."""
    lines, output, inside = source.split("\n"), [], False
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise BuildError(f"{where}, line {number}: '{BEGIN}' inside another solution region")
            if exercise is None:
                raise BuildError(f"{where}: solution region in a cell without metadata grader.exercise")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            function = next((m.group(2) for previous in reversed(output)
                             if (m := DEF_LINE.match(previous)) and len(m.group(1)) < len(indent)), None)
            output += stub_line(indent, exercise, function)
        elif marker == END:
            if not inside:
                raise BuildError(f"{where}, line {number}: '{END}' without a matching '{BEGIN}'")
            inside = False
        elif not inside:
            output.append(line)
    if inside:
        raise BuildError(f"{where}: '{BEGIN}' is never closed with '{END}'")
    return "\n".join(output)


def student_version(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(solution)
    for transform in STUDENT_PIPELINE:
        notebook = transform(notebook, name)
    return notebook


def canonical_json(notebook: nbformat.NotebookNode) -> str:
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def _cell_key(cell):
    return cell.get("id"), cell.cell_type, cell.source


def drift(expected: nbformat.NotebookNode, actual_text: str) -> list[str]:
    """Name the cells that differ between the freshly built and the committed notebook."""
    try:
        actual = nbformat.reads(actual_text, as_version=4)
    except Exception as error:
        return [f"not a readable notebook ({error})"]
    problems = []
    actual_by_id = {cell.get("id"): cell for cell in actual.cells}
    for index, cell in enumerate(expected.cells):
        other = actual_by_id.get(cell.get("id"))
        if other is None:
            problems.append(f"cell {index} (id {cell.get('id')}) is missing")
        elif _cell_key(other) != _cell_key(cell) or other.get("metadata") != cell.get("metadata"):
            problems.append(f"cell {index} (id {cell.get('id')}) differs")
    expected_ids = {cell.get("id") for cell in expected.cells}
    problems += [f"cell id {cid} should not be there" for cid in actual_by_id if cid not in expected_ids]
    if not problems:
        problems.append("cell order, outputs or notebook metadata differ")
    return problems


def build(solutions_dir: Path, notebooks_dir: Path, check: bool = False) -> list[str]:
    """Write (or with check=True, compare) every student notebook. Returns drift messages."""
    solutions = sorted(Path(solutions_dir).glob("*.ipynb"))
    if not solutions:
        raise BuildError(f"No solution notebooks found in {solutions_dir}/")
    messages = []
    if not check:
        Path(notebooks_dir).mkdir(parents=True, exist_ok=True)
    for path in solutions:
        try:
            solution = nbformat.read(path, as_version=4)
        except Exception as error:
            raise BuildError(f"{path}: not a readable notebook ({error})") from error
        if unknown := {name for cell in solution.cells for name in TOKEN.findall(cell.source)} - set(TOKENS):
            raise BuildError(f"{path}: unknown address token(s) {', '.join(sorted(unknown))}; "
                             f"use {', '.join('{{' + name + '}}' for name in TOKENS)}")
        text = canonical_json(student_version(solution, path.name))
        target = Path(notebooks_dir) / path.name
        if check:
            if not target.exists():
                messages.append(f"{target}: missing (run `python -m grader build`)")
            elif target.read_text(encoding="utf-8") != text:
                for problem in drift(nbformat.reads(text, as_version=4), target.read_text(encoding="utf-8")):
                    messages.append(f"{target}: {problem}")
        else:
            target.write_text(text, encoding="utf-8")
    built = {path.name for path in solutions}
    messages += [f"{extra}: has no source in {solutions_dir}/" for extra in sorted(Path(notebooks_dir).glob("*.ipynb"))
                 if extra.name not in built]
    return messages
