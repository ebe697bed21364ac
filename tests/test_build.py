"""grader.authoring.build: student notebooks are generated faithfully and drift is caught."""
import shutil

import nbformat
import numpy as np
import pytest

from grader.authoring import build
from grader.exercises.registry import exercises_for
from helpers import NB01, NOTEBOOKS, SOLUTIONS, run_cli, solution_regions

SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))
NAMES = [path.name for path in SOLUTION_FILES]


def solution_region_lines(notebook) -> set[str]:
    return {line for region in solution_regions(notebook) for line in region}


def test_there_are_solution_notebooks_for_every_assignment():
    assert "01_perceptron_or_xor.ipynb" in NAMES
    for path in SOLUTION_FILES:
        assignment = nbformat.read(path, as_version=4).metadata["grader"]["assignment"]
        assert path.stem == assignment, "the notebook metadata must name its own assignment"


def test_committed_notebooks_are_up_to_date():
    assert build.build(SOLUTIONS, NOTEBOOKS, check=True) == []


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_text_reaches_students(name):
    secret = solution_region_lines(nbformat.read(SOLUTIONS / name, as_version=4))
    assert secret, "a solution notebook without solution regions has nothing to hide"
    student = nbformat.read(NOTEBOOKS / name, as_version=4)
    student_lines = {line.strip() for cell in student.cells for line in cell.source.split("\n")}
    leaked = secret & student_lines
    assert not leaked, f"solution lines found in the student notebook: {sorted(leaked)[:5]}"


@pytest.mark.parametrize("name", NAMES)
def test_student_notebooks_are_clean_and_canonical(name):
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    student = nbformat.reads(text, as_version=4)
    assert text == nbformat.writes(student) + "\n", "not in canonical JSON form"
    assert student.metadata["grader"]["assignment"] == name.removesuffix(".ipynb")
    assert "/notebooks/" + name in student.cells[0].source, "the Colab badge must point at this file"
    for cell in student.cells:
        assert "hidden" not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "NBVAL" not in cell.source


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_exactly_one_cell_with_its_id(name):
    student = nbformat.read(NOTEBOOKS / name, as_version=4)
    ids = [build.exercise_id(cell) for cell in student.cells if build.exercise_id(cell)]
    expected = [exercise.id for exercise in exercises_for(name.removesuffix(".ipynb"))]
    assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize("name", NAMES)
def test_stubs_raise_the_spanish_error(name):
    namespace = {}
    setup, *cells = [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells if c.cell_type == "code"]
    exec(setup.source, namespace)
    stubs = 0
    for cell in cells:
        exercise = build.exercise_id(cell)
        if not exercise:
            continue
        before = set(namespace)
        try:
            exec(cell.source, namespace)
        except NotImplementedError as error:  # a top-level stub (e.g. a model cell)
            assert str(error) == f"Ejercicio {exercise}: completa esta celda"
            stubs += 1
            continue
        for function_name in sorted(set(namespace) - before):
            with pytest.raises(NotImplementedError, match=rf"^Ejercicio {exercise}: completa la función "
                                                          rf"{function_name}$"):
                namespace[function_name](*[None] * namespace[function_name].__code__.co_argcount)
            stubs += 1
    assert stubs >= len(exercises_for(name.removesuffix(".ipynb")))


def test_check_names_the_drifted_cell(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()   # one notebook is enough to drift
    shutil.copy(SOLUTIONS / NAMES[0], solutions / NAMES[0])
    assert build.build(solutions, notebooks) == []
    assert build.build(solutions, notebooks, check=True) == []

    path = solutions / NAMES[0]
    notebook = nbformat.read(path, as_version=4)
    edited = next(cell for cell in notebook.cells if build.exercise_id(cell))
    edited.source = edited.source.replace('"""', '"""Docstring edited by the author.\n', 1)
    nbformat.write(notebook, path)

    result = run_cli("build", "--check", "--solutions", solutions, "--notebooks", notebooks)
    assert result.returncode == 1
    assert f"(id {edited.id}) differs" in result.stdout
    assert "drifted" in result.stderr

    (notebooks / NAMES[0]).unlink()
    assert any("missing" in message for message in build.build(solutions, notebooks, check=True))


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
])
def test_malformed_solution_regions_are_rejected(source, problem):
    with pytest.raises(build.BuildError, match=problem):
        build.strip_solutions(source, "9.9", "test cell")


def test_region_without_exercise_id_is_rejected():
    with pytest.raises(build.BuildError, match="without metadata grader.exercise"):
        build.strip_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", None, "test cell")


def test_stub_keeps_signature_docstring_and_indentation():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    stripped = build.strip_solutions(source, "2.3", "cell")
    assert stripped.startswith('def f(x):\n    """Doc."""\n    # TU CÓDIGO AQUÍ\n')
    assert '    raise NotImplementedError("Ejercicio 2.3: completa la función f")' in stripped
    compile(stripped, "stub", "exec")


def test_corrupt_solution_notebook_is_a_clear_error(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    result = run_cli("build", "--solutions", tmp_path, "--notebooks", tmp_path / "out")
    assert result.returncode == 2
    assert "broken.ipynb: not a readable notebook" in result.stderr


def test_check_finds_public_answers_that_differ_from_the_reference(tmp_path, monkeypatch):
    from grader.authoring import expected
    # One assignment is enough to drift (and saves computing all five three times): the kit's own stored
    # answers are checked against every reference by `build --check` in test_check_names_the_drifted_cell.
    monkeypatch.setattr(expected, "assignments", lambda: [NB01])
    assert expected.write_or_check(tmp_path) == [] and expected.write_or_check(tmp_path, check=True) == []
    stored = next(path for path in sorted(tmp_path.glob("*.npz")) if len(np.load(path).files))
    arrays = dict(np.load(stored))
    first = sorted(arrays)[0]
    arrays[first] = arrays[first] + 1
    np.savez(stored, **arrays)
    messages = expected.write_or_check(tmp_path, check=True)
    assert messages and "differ from its reference" in messages[0]
