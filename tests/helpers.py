"""Helpers shared by the test modules (fixtures live in conftest.py)."""
import contextlib
import csv
import functools
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader.authoring import build
from grader.core import Status
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for, get_exercise
from grader.authoring.release import student_package
from grader.grading import jail
from grader.grading.extract import extract_definitions
from grader.grading.sandbox import all_cases
from grader.hidden import hidden_cases, with_expected
from grader.grading.submission import environment
from grader.runner import load_definitions

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
ASSIGNMENTS = sorted(path.stem for path in SOLUTIONS.glob("*.ipynb"))
NB01 = "01_perceptron_or_xor"


# ---------------------------------------------------------------- notebooks and their functions

@functools.cache
def definitions_of(path: Path) -> dict:
    """The notebook's functions as the autograder sees them: its imports, defs and literal
    constants, run in a fresh namespace (grader.grading.extract + grader.runner)."""
    return load_definitions(extract_definitions(nbformat.read(path, as_version=4))[0])


def solution_namespace(assignment: str) -> dict:
    return definitions_of(SOLUTIONS / f"{assignment}.ipynb")


def exec_notebook_cells(path: Path, predicate) -> dict:
    """Run the selected code cells of a notebook in one namespace, in order, and return it."""
    namespace = {"__name__": "__notebook__"}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and predicate(cell):
            exec(compile(cell.source, f"{path.name}:{cell.get('id')}", "exec"), namespace)
    return namespace


def verdict(exercise_id: str, namespace: dict, **overrides):
    """Public-check verdict, optionally with some functions replaced by (wrong) versions."""
    return get_exercise(exercise_id).check({**namespace, **overrides})


def model_verdict(exercise_id: str, model, save: bool = True):
    """The in-notebook verdict of a model exercise, in a fresh folder where ``model`` is saved (if ``save``)."""
    exercise = get_exercise(exercise_id)
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            if model is not None and save:
                model.save(exercise.model_file)
            return exercise.check({} if model is None else {exercise.names[0]: model})
        finally:
            os.chdir(previous)


def graded_verdict(exercise_id: str, namespace: dict, hidden_only: bool = False, **overrides):
    """The verdict the grader gives: public and hidden cases (or hidden only), with the references' answers."""
    exercise = get_exercise(exercise_id)
    cases = with_expected(exercise_id, hidden_cases(exercise_id)) if hidden_only else all_cases(exercise)
    return exercise.judge(exercise.run({**namespace, **overrides}, cases))


def function_exercises(assignment: str) -> list[FunctionExercise]:
    return [e for e in exercises_for(assignment) if isinstance(e, FunctionExercise)]


def assert_wrong_answer(exercise_id: str, namespace: dict, name: str, wrong, reason: str) -> None:
    """A plausible wrong answer fails the public check, with a reason that names the mistake."""
    result = verdict(exercise_id, namespace, **{name: wrong})
    assert result.status == Status.WRONG, str(result.message)
    assert reason in result.message.es, result.message.es


def wrong_answer_ids(wrong_answers) -> list[str]:
    return [f"{row[0]}-{row[2].__name__}" for row in wrong_answers]


def solution_regions(notebook) -> list[list[str]]:
    """The code lines (stripped, no comments or blanks) of every solution region."""
    regions, current = [], None
    for cell in notebook.cells:
        for line in cell.source.split("\n"):
            if line.strip() == build.BEGIN:
                current = []
            elif line.strip() == build.END:
                regions.append(current)
                current = None
            elif current is not None and line.strip() and not line.strip().startswith("#"):
                current.append(line.strip())
    return [region for region in regions if region]


JAIL_PROBLEM = jail.unavailable()
needs_jail = __import__("pytest").mark.skipif(JAIL_PROBLEM is not None, reason=f"no jail: {JAIL_PROBLEM}")


def sandbox_environment(folder: Path):
    """Where the tests run student code: the jail when this machine has bubblewrap, else directly."""
    student_package(folder)
    return environment(folder, isolated=JAIL_PROBLEM is None)


# ---------------------------------------------------------------- building submissions

def cell_index(notebook, cell_id):
    return next(i for i, cell in enumerate(notebook.cells) if cell.get("id") == cell_id)


def read(folder: Path, assignment: str = NB01):
    return nbformat.read(folder / f"{assignment}.ipynb", as_version=4)


def tiny_notebook(*sources, assignment: str = NB01):
    """A notebook of just these code cells: what a test needs when the rest of the notebook is not the point
    (no TensorFlow to import, nothing to train)."""
    book = nbformat.v4.new_notebook(metadata={"grader": {"assignment": assignment}})
    book.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return book


def with_cell_after(notebook, cell_id, source):
    notebook.cells.insert(cell_index(notebook, cell_id) + 1, nbformat.v4.new_code_cell(source))
    return notebook


def replace_in_cell(notebook, cell_id, old, new):
    cell = notebook.cells[cell_index(notebook, cell_id)]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return notebook


# ---------------------------------------------------------------- the command line

HANG_SECONDS = 3600   # a backstop against a hung run (it fails one test instead of stalling CI), never a speed check


def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` run in this process (grader.cli.main), as a subprocess would see it: from the
    repository, with ``env`` added to the environment, stdout and stderr captured, and the exit code returned
    (argparse's SystemExit included). It saves a Python start-up and the grader's imports per call; an
    exception escapes into the test instead of becoming a traceback on stderr.
    test_release keeps one run of the real entry point, `python -m grader`, in a subprocess."""
    from grader import cli
    stdout, stderr, saved, previous = io.StringIO(), io.StringIO(), dict(os.environ), os.getcwd()
    os.environ.update({name: str(value) for name, value in (env or {}).items()})
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli.main([str(arg) for arg in args])
            except SystemExit as exit_:
                code = exit_.code
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["grader", *map(str, args)], code, stdout.getvalue(), stderr.getvalue())


def grade(*args, check=True):
    """`python -m grader grade ARGS` in a subprocess: for runs that are killed, watched or must not share
    this process (the Dask cluster, signal handlers); `run_cli("grade", ...)` runs it in-process."""
    result = subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, args)],
                            capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=HANG_SECONDS)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def run_control(*assignments, check=True, env=None):
    """`python -m grader control` for ``assignments``, as Gradescope's setup.sh runs it."""
    result = subprocess.run([sys.executable, "-m", "grader", "control",
                             *(part for assignment in assignments for part in ("--assignment", assignment))],
                            capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, env=env)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def grade_watching_memory(*args):
    """Run `grade` and sample the grading command's own memory (not the jails') until it ends.
    Returns (the completed process, its peak RSS in MB)."""
    import psutil
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", *map(str, args)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    peak, watched = 0.0, psutil.Process(process.pid)
    output = {}
    reader = __import__("threading").Thread(target=lambda: output.update(zip(("out", "err"), process.communicate())))
    reader.start()
    deadline = time.monotonic() + HANG_SECONDS
    while reader.is_alive():
        if time.monotonic() > deadline:
            process.kill()
        try:
            peak = max(peak, watched.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        reader.join(0.1)
    completed = subprocess.CompletedProcess(process.args, process.returncode, output["out"], output["err"])
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed, peak


def read_gradebook(outdir: Path) -> dict:
    with open(outdir / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {(row["student"], row["assignment"]): row for row in csv.DictReader(handle)}


def grading_processes(root_pid: int) -> list:
    """The grading processes (`python -m grader.grading.submission`) under ``root_pid``. A fork on its way to
    exec bwrap still carries its parent's command line for a moment: it is not counted."""
    import psutil

    def grades(process) -> bool:
        try:
            return "grader.grading.submission" in " ".join(process.cmdline())
        except psutil.Error:
            return False
    try:
        family = psutil.Process(root_pid).children(recursive=True)
    except psutil.Error:
        return []
    return [process for process in family if grades(process) and not grades(process.parent())]
