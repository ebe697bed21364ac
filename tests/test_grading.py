"""End to end: `python -m grader grade` on the kit's own notebooks and on broken,
crashing and cheating submissions built here from notebook 01."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT, SOLUTIONS
from grader.checking import CORRECT, run_public_check
from grader.exercises import assignments, exercises_for, get_exercise

NB01 = "01_perceptron_or_xor"
# Small limits so the misbehaving submissions are cut short quickly.
FAST_LIMITS = ["--cell-timeout", "60", "--notebook-timeout", "300", "--exercise-timeout", "15",
               "--memory-mb", "4096"]

pytestmark = pytest.mark.slow


def grade(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, args)],
                            capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def read_gradebook(outdir):
    with open(outdir / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {(row["student"], row["assignment"]): row for row in csv.DictReader(handle)}


def cell_index(notebook, cell_id):
    return next(i for i, cell in enumerate(notebook.cells) if cell.get("id") == cell_id)


def code_cell(source):
    return nbformat.v4.new_code_cell(source)


# ---------------------------------------------------------------- the kit's own notebooks

def test_solutions_get_full_marks_and_untouched_notebooks_get_zero(tmp_path):
    outdir = tmp_path / "out"
    result = grade(SOLUTIONS, NOTEBOOKS, "--out", outdir, "--jobs", "2")  # default limits, as instructors run it
    book = read_gradebook(outdir)
    for assignment in [path.stem for path in SOLUTIONS.glob("*.ipynb")]:
        solved, untouched = book[("solutions", assignment)], book[("notebooks", assignment)]
        assert solved["status"] == "graded" and solved["score"] == solved["max_score"], solved
        assert untouched["status"] == "graded" and untouched["score"] == "0", untouched
        assert int(untouched["max_score"]) == sum(e.points for e in exercises_for(assignment))
        feedback = (outdir / "feedback" / f"notebooks__{assignment}.md").read_text(encoding="utf-8")
        assert feedback.count("| sin hacer |") == len(exercises_for(assignment))
    assert "median" in result.stderr and (outdir / "summary.png").stat().st_size > 0


# ---------------------------------------------------------------- misbehaving submissions

def solution01():
    return nbformat.read(SOLUTIONS / f"{NB01}.ipynb", as_version=4)


def student01():
    return nbformat.read(NOTEBOOKS / f"{NB01}.ipynb", as_version=4)


def with_cell_after(notebook, cell_id, source):
    notebook.cells.insert(cell_index(notebook, cell_id) + 1, code_cell(source))
    return notebook


def replace_in_cell(notebook, cell_id, old, new):
    cell = notebook.cells[cell_index(notebook, cell_id)]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return notebook


HARD_CODED_STEP = '''
def step(z):
    """Answers copied from the public check's inputs; anything else gets zeros."""
    z = np.asarray(z)
    known = {(5,): [0.0, 0.0, 1.0, 1.0, 1.0], (2, 2): [[1.0, 0.0], [1.0, 1.0]]}
    if z.shape in known:
        return np.array(known[z.shape])
    if z.shape == (3, 4):
        return (z >= 0).astype(float)
    return np.zeros(z.shape)
'''

FORGERY = '''
import numpy as np

def check(exercise_id):
    print(f"✅ Ejercicio {exercise_id}: ¡correcto!")

for exercise_id in ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9"]:
    check(exercise_id)
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
'''

PATCHING_STEP = '''
def step(z):
    import numpy
    numpy.allclose = lambda *args, **kwargs: True   # tries to blind the checker
    numpy.isclose = lambda *args, **kwargs: True
    numpy.heaviside = lambda x, h: x
    return z
'''

LAMBDA_MODEL = '''
import keras
xor_model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: keras.ops.abs(x[:, :1] - x[:, 1:]))])
xor_model.save("xor_model.keras")
'''


def build_submissions(folder):
    """Each student folder holds one notebook 01; returns {student: (expected status, expected score)}."""
    expected = {}

    def save(student, notebook, status, score, filename=f"{NB01}.ipynb"):
        (folder / student).mkdir()
        nbformat.write(notebook, folder / student / filename)
        expected[student] = (status, score)

    save("infinite_loop", with_cell_after(solution01(), "setup", "while True:\n    pass"), "timeout", 9)
    save("huge_allocation", with_cell_after(solution01(), "setup",
                                            "import numpy as np\nbig = np.ones(30 * 2**30 // 8)"), "memory-limit", 9)
    save("exits_kernel", with_cell_after(solution01(), "collapse-demo", "import os\nos._exit(1)"),
         "kernel-died", 7)
    save("syntax_error", with_cell_after(solution01(), "setup", "def broken(:\n    pass"), "syntax-error", 9)

    deleted = solution01()
    del deleted.cells[cell_index(deleted, "ex-1-7")]
    save("deleted_cell", deleted, "graded", 8)

    shuffled = solution01()
    moved = shuffled.cells.pop(cell_index(shuffled, "ex-1-7"))
    shuffled.cells.append(moved)
    shuffled.cells.insert(cell_index(shuffled, "ex-1-1"), nbformat.from_dict(
        {**shuffled.cells[cell_index(shuffled, "ex-1-1")], "id": "copy-of-1-1"}))
    save("moved_and_duplicated", shuffled, "graded", 9)

    save("renamed_function", replace_in_cell(solution01(), "ex-1-7", "def collapse_linear_layers(",
                                             "def collapse_layers("), "graded", 8)
    save("forges_checks", with_cell_after(student01(), "setup", FORGERY), "graded", 0)
    save("patches_numpy_in_function", with_cell_after(student01(), "ex-1-1", PATCHING_STEP), "graded", 0)
    save("hard_codes_public_answers", with_cell_after(student01(), "ex-1-1", HARD_CODED_STEP), "graded", 0)
    save("unsafe_model", with_cell_after(student01(), "setup", LAMBDA_MODEL), "graded", 0)
    save("crashes_in_function", replace_in_cell(solution01(), "ex-1-7", '"""Devuelve',
                                                'import os\n    os._exit(3)\n    """Devuelve'), "kernel-died", 6)
    save("loops_in_function", replace_in_cell(solution01(), "ex-1-7", '"""Devuelve',
                                              'while True:\n        pass\n    """Devuelve'), "timeout", 8)

    for name, content in [("empty", b""), ("garbage", b"\x89PNG not a notebook"),
                          ("truncated", (SOLUTIONS / f"{NB01}.ipynb").read_bytes()[:500])]:
        (folder / name).mkdir()
        (folder / name / f"{NB01}.ipynb").write_bytes(content)
        expected[name] = ("invalid-notebook", 0)
    return expected


def test_broken_and_malicious_submissions_get_fair_scores(tmp_path):
    submissions, outdir = tmp_path / "entregas", tmp_path / "out"
    submissions.mkdir()
    expected = build_submissions(submissions)
    grade(submissions, "--out", outdir, "--jobs", "2", "--format", "gradescope,moodle", *FAST_LIMITS)
    book = read_gradebook(outdir)
    got = {student: (row["status"], int(row["score"])) for (student, _), row in book.items()}
    assert got == expected

    def reason(student, exercise_id):
        result = json.loads((outdir / "results" / f"{student}__{NB01}.json").read_text(encoding="utf-8"))
        return next(e for e in result["exercises"] if e["id"] == exercise_id)["es"]

    assert "no encuentro la función `collapse_linear_layers`" in reason("renamed_function", "1.7")
    assert "prueba oculta" in reason("hard_codes_public_answers", "1.1")
    assert "modo seguro" in reason("unsafe_model", "1.9")
    assert "terminó de forma inesperada" in reason("crashes_in_function", "1.7")
    assert "no terminó a tiempo" in reason("loops_in_function", "1.7")
    assert book[("exits_kernel", NB01)]["1.8"] == "0" and book[("exits_kernel", NB01)]["1.7"] == "1"

    feedback = (outdir / "feedback" / f"hard_codes_public_answers__{NB01}.html").read_text(encoding="utf-8")
    assert "prueba oculta" in feedback and "9001" not in feedback and "HIDDEN_CASES" not in feedback
    gradescope = json.loads((outdir / "gradescope" / f"infinite_loop__{NB01}" / "results.json").read_text())
    assert gradescope["score"] == 9 and len(gradescope["tests"]) == 9
    moodle = (outdir / "moodle_grades.csv").read_text().splitlines()
    assert moodle[0] == f"username,{NB01}" and "deleted_cell,8" in moodle


def test_hard_coded_answers_fool_the_public_check_but_not_the_grader():
    # The same function that earned 0 above passes the in-notebook check: only hidden cases catch it.
    import numpy as np
    namespace = {"np": np}
    exec(HARD_CODED_STEP, namespace)
    assert run_public_check(get_exercise("1.1"), namespace).status == CORRECT


# ---------------------------------------------------------------- resuming and usage

def test_interrupted_batch_resumes_without_losing_or_duplicating(tmp_path):
    submissions, outdir = tmp_path / "entregas", tmp_path / "out"
    for student in ("ana", "ben", "eva"):
        (submissions / student).mkdir(parents=True)
        nbformat.write(student01(), submissions / student / f"{NB01}.ipynb")
    (submissions / "zoe.ipynb").write_text("{}")  # invalid: graded instantly

    command = [sys.executable, "-m", "grader", "grade", str(submissions), "--out", str(outdir)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list((outdir / "results").glob("*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the grader and every child it started
    process.wait()
    first = {path.name: path.stat().st_mtime_ns for path in (outdir / "results").glob("*.json")}
    assert 2 <= len(first) < 4, "the batch should have been interrupted half way"

    rerun = grade(submissions, "--out", outdir)
    assert f"{len(first)} submission(s) already graded" in rerun.stderr
    after = {path.name: path.stat().st_mtime_ns for path in (outdir / "results").glob("*.json")}
    assert len(after) == 4 and all(after[name] == mtime for name, mtime in first.items())
    rows = (outdir / "gradebook.csv").read_text().splitlines()
    assert len(rows) == 5 and len(set(rows)) == 5
    assert any(row.startswith("zoe,zoe,0,0,invalid-notebook") for row in rows)

    grade(submissions, "--out", outdir, "--force")
    forced = {path.name: path.stat().st_mtime_ns for path in (outdir / "results").glob("*.json")}
    assert all(forced[name] != mtime for name, mtime in after.items())


@pytest.mark.parametrize("args, message", [
    (["does/not/exist", "--out", "x"], "no such file or folder"),
    (["notebooks", "--out", "x", "--jobs", "0"], "--jobs must be at least 1"),
    (["notebooks", "--out", "x", "--format", "excel"], "unknown --format excel"),
    (["notebooks"], "--out"),
])
def test_usage_errors_exit_non_zero(args, message):
    result = grade(*args, check=False)
    assert result.returncode == 2 and message in result.stderr


# ---------------------------------------------------------------- release

def test_release_bundle_has_no_solutions_and_no_hidden_cases(tmp_path):
    bundle = tmp_path / "bundle"
    result = subprocess.run([sys.executable, "-m", "grader", "release", "--out", str(bundle)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    files = [path for path in bundle.rglob("*") if path.is_file()]
    assert not (bundle / "solutions").exists() and not (bundle / "grader" / "hidden").exists()
    assert {path.name for path in (bundle / "notebooks").glob("*.ipynb")} == \
           {path.name for path in NOTEBOOKS.glob("*.ipynb")}

    # The package is the repository's own, minus hidden/: nothing else rides along.
    for path in (bundle / "grader").rglob("*.py"):
        assert path.read_bytes() == (ROOT / path.relative_to(bundle)).read_bytes()

    # No solution region in what students read, nor in the exercise checks they get (hints included):
    # a region counts as leaked when most of its lines are found in one file, even inside a string.
    def found_in(line, text):
        code = line.removeprefix("return ").split("  #")[0].strip()
        return len(code) >= 25 and code in text

    from test_build import solution_regions
    regions = [region for p in SOLUTIONS.glob("*.ipynb") for region in solution_regions(nbformat.read(p, as_version=4))]
    hidden_sources = [p.read_text(encoding="utf-8") for p in (ROOT / "grader" / "hidden").glob("nb*.py")]
    readable = [path for path in files if path.suffix in (".ipynb", ".md", ".csv", ".txt")
                or path.parent.name == "exercises"]
    assert len(readable) > len(list(NOTEBOOKS.glob("*.ipynb")))
    for path in readable:
        text = path.read_text(encoding="utf-8", errors="ignore")
        for region in regions:
            found = [line for line in region if found_in(line, text)]
            assert len(found) * 2 <= len(region) or not found, f"{path} contains solution code: {region}"
    for path in files:
        text = path.read_text(encoding="utf-8", errors="ignore")
        assert not any(source in text for source in hidden_sources), f"{path} contains hidden cases"

    # The bundled package works and knows no hidden case.
    probe = ("import sys\n"
             # this checkout's own editable install would otherwise answer for grader.* modules
             "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '')]\n"
             "import grader\n"
             "from grader.exercises import all_exercises\n"
             "assert grader.__file__.startswith(sys.argv[1]), grader.__file__\n"
             "print(sum(len(e.hidden_cases()) for e in all_exercises().values()), len(all_exercises()))")
    output = subprocess.run([sys.executable, "-c", probe, str(bundle)], capture_output=True, text=True, cwd=bundle,
                            env={**os.environ, "PYTHONPATH": str(bundle)})
    hidden_count, exercise_count = output.stdout.split()
    assert hidden_count == "0" and int(exercise_count) == sum(len(exercises_for(a)) for a in assignments())

    again = subprocess.run([sys.executable, "-m", "grader", "release", "--out", str(bundle)],
                           capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 2 and "not empty" in again.stderr
