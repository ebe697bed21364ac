"""`python -m grader release`: the student bundle has no solution and no hidden case, and works."""
import os
import subprocess
import sys

import nbformat

from grader.exercises.registry import all_exercises
from helpers import NOTEBOOKS, ROOT, SOLUTIONS, solution_regions


def test_release_bundle_has_no_solutions_and_no_hidden_cases(tmp_path):
    bundle = tmp_path / "bundle"
    result = subprocess.run([sys.executable, "-m", "grader", "release", "--out", str(bundle)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    files = [path for path in bundle.rglob("*") if path.is_file()]
    assert not (bundle / "solutions").exists()
    assert {path.name for path in (bundle / "grader").iterdir()} == {
        "__init__.py", "i18n.py", "runner.py", "compare.py", "data.py", "core.py", "notebook.py", "exercises",
        "resources"}, "the student-facing package: no hidden cases, references, grader or instructor tools"
    assert {path.name for path in (bundle / "notebooks").glob("*.ipynb")} == \
           {path.name for path in NOTEBOOKS.glob("*.ipynb")}

    # The package is the repository's own, minus the instructor-only parts: nothing else rides along.
    for path in (bundle / "grader").rglob("*.py"):
        assert path.read_bytes() == (ROOT / path.relative_to(bundle)).read_bytes()

    # No solution region in what students read, nor in the exercise checks they get (hints included):
    # a region counts as leaked when most of its lines are found in one file, even inside a string.
    def found_in(line, text):
        code = line.removeprefix("return ").split("  #")[0].strip()
        return len(code) >= 25 and code in text

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

    # The bundled package works: every exercise is there, and no hidden case can be imported.
    probe = ("import sys\n"
             # this checkout's own editable install would otherwise answer for grader.* modules
             "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '')]\n"
             "import grader\n"
             "from grader.exercises.registry import all_exercises\n"
             "assert grader.__file__.startswith(sys.argv[1]), grader.__file__\n"
             "try:\n"
             "    import grader.hidden\n"
             "    print('hidden importable')\n"
             "except ImportError:\n"
             "    print(len(all_exercises()))\n")
    output = subprocess.run([sys.executable, "-c", probe, str(bundle)], capture_output=True, text=True, cwd=bundle,
                            env={**os.environ, "PYTHONPATH": str(bundle)})
    assert output.stdout.split() == [str(len(all_exercises()))], output.stdout + output.stderr

    again = subprocess.run([sys.executable, "-m", "grader", "release", "--out", str(bundle)],
                           capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_no_hint_tier_contains_a_solution_line():
    # Stricter than the bundle scan above: one solution line in one tier is already a leak. Lines are compared
    # without spaces, so a hint that reformats the code is caught too; short lines ("return z") say nothing.
    def squeezed(text):
        return "".join(text.split())

    lines = {squeezed(line.split("  #")[0]) for p in SOLUTIONS.glob("*.ipynb")
             for region in solution_regions(nbformat.read(p, as_version=4)) for line in region}
    lines = {line for line in lines if len(line) >= 16}
    assert len(lines) > 100, "the solutions' lines were not found"
    for exercise in all_exercises().values():
        assert len(exercise.hints) >= 2, f"{exercise.id} has a single hint tier"
        for tier, hint in enumerate(exercise.hints, 1):
            for text in (hint.es, hint.en):
                leaked = [line for line in lines if line in squeezed(text)]
                assert not leaked, f"hint {tier} of {exercise.id} contains solution code: {leaked}"
