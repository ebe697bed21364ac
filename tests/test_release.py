"""`python -m grader release`: the student bundle has no solution and no hidden case, and works."""
import os
import re
import subprocess
import sys

import nbformat
import pytest

from grader import cli
from grader.authoring import build as authoring_build
from grader.exercises.registry import all_exercises
from grader.authoring.build import TOKEN
from grader.authoring.release import STUDENT_README, release
from grader.boundary import STUDENT_FACING
from helpers import NOTEBOOKS, ROOT, SOLUTIONS, run_cli, solution_regions

REPO_URL = "https://github.com/una-profesora/redes-2027"
# The kit never owned this address; it is spelled in two parts so this file does not contain it.
OLD_ADDRESS = "curso-redes-neuronales" + "/kit-keras"


def test_release_bundle_has_no_solutions_and_no_hidden_cases(tmp_path):
    bundle = tmp_path / "bundle"
    result = run_cli("release", "--out", bundle, "--repo-url", REPO_URL)
    assert result.returncode == 0, result.stderr
    files = [path for path in bundle.rglob("*") if path.is_file()]
    assert not (bundle / "solutions").exists()
    assert {path.name.removesuffix(".py") for path in (bundle / "grader").iterdir()} == set(STUDENT_FACING), \
        "the student-facing package (grader.boundary): no hidden cases, references, grader or instructor tools"
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

    again = run_cli("release", "--out", bundle, "--repo-url", REPO_URL)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_no_placeholder_address_anywhere_in_the_repository():
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True, cwd=ROOT)
    assert listed.returncode == 0, listed.stderr
    files = [ROOT / name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]
    assert any(path.suffix == ".ipynb" for path in files)
    offenders = [str(path) for path in files if OLD_ADDRESS.encode() in path.read_bytes()]
    assert not offenders, f"the placeholder address is still in {offenders}"


def test_release_fills_every_address_token(tmp_path):
    release(tmp_path / "gh", REPO_URL, "curso-2027")
    for path in [*(tmp_path / "gh" / "notebooks").glob("*.ipynb"), tmp_path / "gh" / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert not TOKEN.search(text), f"{path}: a token was left unfilled"
    first = nbformat.read(tmp_path / "gh" / "notebooks" / "02_apples_vs_oranges.ipynb", as_version=4).cells
    assert ("https://colab.research.google.com/github/una-profesora/redes-2027/blob/curso-2027/"
            "notebooks/02_apples_vs_oranges.ipynb") in first[0].source
    assert f'"git+{REPO_URL}@curso-2027"' in next(cell for cell in first if cell.cell_type == "code").source
    readme = (tmp_path / "gh" / "README.md").read_text(encoding="utf-8")
    assert readme == (ROOT / STUDENT_README).read_text(encoding="utf-8").replace("{{REPO_URL}}", REPO_URL) \
        .replace("{{BRANCH}}", "curso-2027")
    assert "pytest" not in readme and "solutions/" not in readme, "the students' README, not the instructor's"

    # Colab opens notebooks from GitHub only: elsewhere the badge goes and the install cell stays.
    release(tmp_path / "local", "file:///srv/git/redes.git")
    cells = nbformat.read(tmp_path / "local" / "notebooks" / "01_perceptron_or_xor.ipynb", as_version=4).cells
    assert "colab.research.google.com" not in cells[0].source and cells[0].source.startswith("# ")
    assert '"git+file:///srv/git/redes.git@main"' in next(cell for cell in cells if cell.cell_type == "code").source


def test_release_refuses_addresses_pip_cannot_use(tmp_path, capsys):
    # The suite's one run of the real entry point, `python -m grader`, in a subprocess (exit code, no traceback);
    # every other test calls grader.cli.main in-process (helpers.run_cli), as the other addresses do here.
    result = subprocess.run([sys.executable, "-m", "grader", "release", "--out", str(tmp_path / "x"),
                             "--repo-url", "github.com/a/b"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "x").exists()
    for url, branch in [('https://x.org/a" ; rm -rf ~', "main"), ("https://github.com/a/b@dev", "main"),
                        ("https://github.com/a/b", "main; echo")]:
        status = cli.main(["release", "--out", str(tmp_path / "x"), "--repo-url", url, "--branch", branch])
        assert status == 2 and "error:" in capsys.readouterr().err, (url, branch)
        assert not (tmp_path / "x").exists()


def test_build_refuses_an_unknown_token(tmp_path):
    from grader.authoring.build import BuildError, build
    notebook = nbformat.read(SOLUTIONS / "01_perceptron_or_xor.ipynb", as_version=4)
    notebook.cells[0].source += "\n[datos]({{DATA_URL}}/fruit.csv)"
    (tmp_path / "solutions").mkdir()
    nbformat.write(notebook, tmp_path / "solutions" / "01_perceptron_or_xor.ipynb")
    with pytest.raises(BuildError, match="DATA_URL"):
        build(tmp_path / "solutions", tmp_path / "notebooks", check=True)


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


# A formula written in a hint and the same expression in the solution, as one token sequence: math symbols read
# as Python operators (σ as sigmoid, ⊙ and · as *, − as -), module prefixes dropped, implicit products made
# explicit ("2p", ")(") and commas ignored.
MATH_AS_PYTHON = str.maketrans({"−": "-", "·": "*", "⊙": "*", "×": "*", "²": "^2", "⌊": "", "⌋": "",
                                "σ": "sigmoid", "ᵀ": "^T"})
FORMULA_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d+)?(?:e-?\d+)?|\*\*|//|[-+*/@()^]")
MODULES = {"np", "numpy", "math", "keras", "ops", "tf"}
FORMULA_LENGTH = 7   # tokens: "A2 * ( 1 - A2 )" is a formula; "n + 2 * p" is a statement's sub-expression


def formula_tokens(text):
    tokens = []
    for token in FORMULA_TOKEN.findall(text.translate(MATH_AS_PYTHON)):
        if token in MODULES:
            continue
        token = {"**": "^", "//": "/", "@": "*"}.get(token, token)
        if tokens and (tokens[-1] == ")" and (token == "(" or token[0].isalnum())
                       or tokens[-1][0].isdigit() and token[0].isalpha()):
            tokens.append("*")
        tokens.append(token)
    return tokens


def exercise_solution_lines():
    lines = {}
    for path in SOLUTIONS.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            exercise, inside = cell.metadata.get("grader", {}).get("exercise"), False
            for line in cell.source.split("\n"):
                if line.strip() in (authoring_build.BEGIN, authoring_build.END):
                    inside = line.strip() == authoring_build.BEGIN
                elif inside and exercise:
                    lines.setdefault(exercise, []).append(line.split("#")[0])
    return lines


def test_no_hint_tier_states_its_solution_formula():
    # A hint may name the concept, the method and the steps, never the expression the exercise asks to derive:
    # no run of FORMULA_LENGTH tokens (with an operator) of an exercise's solution may appear in its hints.
    solutions = exercise_solution_lines()
    assert len(solutions) > 30, "the solution regions were not found"
    for exercise in all_exercises().values():
        formulas = set()
        for line in solutions.get(exercise.id, []):
            tokens = formula_tokens(line)
            formulas |= {tuple(tokens[i:i + FORMULA_LENGTH]) for i in range(len(tokens) - FORMULA_LENGTH + 1)
                         if set(tokens[i:i + FORMULA_LENGTH]) & set("+-*/^")}
        for tier, hint in enumerate(exercise.hints, 1):
            for text in (hint.es, hint.en):
                tokens = formula_tokens(text)
                stated = {" ".join(tokens[i:i + FORMULA_LENGTH]) for i in range(len(tokens) - FORMULA_LENGTH + 1)
                          if tuple(tokens[i:i + FORMULA_LENGTH]) in formulas}
                assert not stated, f"hint {tier} of {exercise.id} states its solution's formula: {stated}"


def test_formula_tokens_read_a_hint_as_the_code_it_spells():
    assert formula_tokens("σ′(Z2) = A2 ⊙ (1 − A2)") == formula_tokens("sigmoid(Z2) = A2 * (1 - A2)")
    assert formula_tokens("⌊(n + 2p − k) / s⌋ + 1") == formula_tokens("(n + 2 * p - k) // s + 1")
    assert formula_tokens("np.clip(p, 1e-7, 1 - 1e-7)") == ["clip", "(", "p", "1e-7", "1", "-", "1e-7", ")"]


def test_each_model_goal_states_the_threshold_its_check_applies():
    # "No text may state a rule that the check does not apply": the statement of each model exercise (the
    # markdown cell before its code cell) gives, in bold, the accuracy its check demands.
    from grader.exercises import nb02, nb03, nb05
    thresholds = {"2.6": nb02.KERAS_TEST_ACCURACY, "3.5": nb03.KERAS_TEST_ACCURACY,
                  "5.4": nb05.LENET_MIN_ACCURACY, "5.7": nb05.VGG_MIN_ACCURACY}
    statements = {}
    for path in SOLUTIONS.glob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        for before, cell in zip(cells, cells[1:]):
            exercise = cell.metadata.get("grader", {}).get("exercise")
            if exercise in thresholds:
                statements[exercise] = before.source
    assert statements.keys() == thresholds.keys()
    for exercise, threshold in thresholds.items():
        stated = f"**{round(threshold * 100, 2):g} %**"
        assert stated in statements[exercise], f"the statement of {exercise} does not say {stated}"
