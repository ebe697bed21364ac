"""`python -m grader gradescope`: the autograder.zip, run as Gradescope runs it, in a folder laid out like
/autograder (AUTOGRADER_ROOT), with this venv's Python (AUTOGRADER_PYTHON) and no pip (GRADER_SKIP_PIP)."""
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.authoring import gradescope as authoring
from grader.exercises.registry import exercises_for
from grader.grading import jail
from grader.reports import gradescope
from helpers import NB01, ROOT, SOLUTIONS, tiny_notebook
from submissions import COLLAPSE, STEP

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TEST_USER = f"grader-t{os.getpid()}"   # the fallback user these tests create (setup.sh) and remove


def make_zip(tmp_path, *extra) -> Path:
    out = tmp_path / "autograder.zip"
    result = subprocess.run([sys.executable, "-m", "grader", "gradescope", "--assignment", NB01, "--out", str(out),
                             *extra], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return out


def test_zip_has_what_gradescope_asks_for_and_no_datasets(tmp_path):
    with zipfile.ZipFile(make_zip(tmp_path)) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "grader/__init__.py",
            "grader/hidden/nb01.py", "grader/resources/fruit.csv", f"solutions/{NB01}.ipynb"} <= set(names)
    assert not any(name.startswith("solutions/") and name != f"solutions/{NB01}.ipynb" for name in names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not any(name.startswith("datasets/") or name.endswith((".npz", ".gz", ".pyc")) and "expected" not in name
                   for name in names), "datasets only when the instructor passes a folder"
    assert "requirements.txt" in setup and "bubblewrap" in setup and '"[]"' not in setup
    assert f'--assignment "{NB01}" \\\n        --control' in setup and "useradd" in setup
    assert 'pip install --no-cache-dir "$SOURCE"' not in setup, "no second copy of the package in site-packages"
    assert f'--assignment "{NB01}"' in run and "/results/results.json" in run


def test_unknown_assignment_and_incomplete_datasets_folder_are_refused(tmp_path):
    for extra in (["--assignment", "06_nothing"], ["--assignment", "03_mlp_mnist", "--datasets", str(tmp_path)]):
        result = subprocess.run([sys.executable, "-m", "grader", "gradescope", *extra, "--out",
                                 str(tmp_path / "a.zip")], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert not (tmp_path / "a.zip").exists()


def test_the_container_check_names_the_size_the_assignment_needs(monkeypatch, capsys):
    need = authoring.needs(NB01)
    monkeypatch.setenv("GRADER_CONTAINER_MB", "768")
    monkeypatch.setenv("GRADER_CONTAINER_CPUS", "0.5")   # Gradescope's default
    assert authoring.check_container(NB01) == 1
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and f"{need.memory_mb / 1024:g} GB" in error and "768 MB" in error, error
    monkeypatch.setenv("GRADER_CONTAINER_MB", str(need.memory_mb))
    monkeypatch.setenv("GRADER_CONTAINER_CPUS", str(need.cpus))
    assert authoring.check_container(NB01) == 0
    memory, cpus = authoring.container_size()
    assert 0 < memory <= psutil.virtual_memory().total >> 20 and 0 < cpus <= os.cpu_count()
    assert set(authoring.MEASURED) == {path.stem for path in SOLUTIONS.glob("*.ipynb")}
    assert all(value > 0 for figures in authoring.MEASURED.values() for value in figures)


def test_the_docs_state_the_container_each_assignment_needs():
    readme = (ROOT / "docs" / "lms-exports.md").read_text(encoding="utf-8")
    table = readme[readme.index("| assignment | container (at least) |"):]
    for assignment in authoring.MEASURED:
        need = authoring.needs(assignment)
        row = next(line for line in table.splitlines() if line.startswith(f"| {assignment[:2]} "))
        assert f"{need.cpus:g} vCPU, {need.memory_mb / 1024:g} GB" in row, (assignment, row)


def test_container_size_reads_cgroup_limits(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "meminfo").write_text("MemTotal:       16000000 kB\n")
    (tmp_path / "proc" / "self").mkdir()
    (tmp_path / "proc" / "self" / "cgroup").write_text("0::/\n")
    (tmp_path / "sys" / "fs" / "cgroup").mkdir(parents=True)
    (tmp_path / "sys" / "fs" / "cgroup" / "memory.max").write_text(str(768 << 20))
    (tmp_path / "sys" / "fs" / "cgroup" / "cpu.max").write_text("50000 100000")
    assert authoring.container_size(tmp_path) == (768, 0.5)


@pytest.fixture
def autograder(tmp_path):
    """The zip unpacked in a folder laid out like /autograder and set up by its setup.sh, as root; the fallback
    user setup.sh creates is removed afterwards. Returns (root, the environment for run_autograder)."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(make_zip(tmp_path)) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")   # as Gradescope does
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, "GRADER_SKIP_PIP": "1",
           "PYTHONPATH": "", "GRADER_SKIP_CONTROL": "1", "GRADER_FALLBACK_USER": TEST_USER}
    try:
        setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=env)
        assert setup.returncode == 0, setup.stderr
        assert f"grader ready: {root / 'source' / 'grader' / 'data.py'}" in setup.stdout   # the zip's package
        yield root, env
    finally:
        with_user = subprocess.run(["id", "-u", TEST_USER], capture_output=True)
        if with_user.returncode == 0:
            jail.kill_user(TEST_USER)
            subprocess.run(["userdel", TEST_USER], check=True)


@pytest.mark.slow
def test_autograder_zip_runs_like_gradescope(autograder):
    root, env = autograder

    def run(notebook: nbformat.NotebookNode, name: str) -> dict:
        shutil.rmtree(root / "submission", ignore_errors=True)
        shutil.rmtree(root / "work", ignore_errors=True)
        (root / "submission").mkdir()
        (root / "results").mkdir(exist_ok=True)
        nbformat.write(notebook, root / "submission" / name)
        completed = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, env=env)
        assert completed.returncode == 0, completed.stderr[-3000:]
        return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))

    maximum = sum(e.points for e in exercises_for(NB01))
    ids = [e.id for e in exercises_for(NB01)]

    def valid(results: dict) -> dict:
        assert isinstance(results["score"], (int, float)) and results["stdout_visibility"] in VISIBILITIES
        for test in results["tests"]:
            assert isinstance(test["name"], str) and isinstance(test["output"], str)
            assert 0 <= test["score"] <= test["max_score"] and test["visibility"] in VISIBILITIES
        assert sum(test["max_score"] for test in results["tests"]) == maximum
        assert results["score"] == sum(test["score"] for test in results["tests"])
        return {identifier: test for identifier, test in zip(ids, results["tests"])}

    solved = valid(run(nbformat.read(SOLUTIONS / f"{NB01}.ipynb", as_version=4), f"{NB01}.ipynb"))
    assert all(test["score"] == test["max_score"] for test in solved.values())
    assert all(identifier in test["name"] for identifier, test in solved.items())

    # The file name a student happened to use does not matter: the notebook metadata names the assignment.
    # A partial submission (a tiny notebook: only 1.8 written, and 1.1's `step` returns the wrong values).
    wrong_step = STEP.replace(">= 0", "> 0")
    partial = run(tiny_notebook(wrong_step, COLLAPSE), "mi_entrega (1).ipynb")
    tests = valid(partial)
    assert tests["1.1"]["score"] == 0 and tests["1.1"]["output"] and tests["1.8"]["score"] == tests["1.8"]["max_score"]
    assert 0 < partial["score"] < maximum

    nothing = run(nbformat.v4.new_notebook(), "otra_cosa.txt.ipynb")
    assert nothing["score"] == 0 and nothing["tests"] == [] and f"{NB01}.ipynb" in nothing["output"]


# ---------------------------------------------------------------- without bubblewrap: the unprivileged user

def test_without_the_jail_run_autograder_falls_back_to_the_user_or_refuses(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(jail, "unavailable", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.delenv(gradescope.ISOLATION_ENV, raising=False)
    monkeypatch.setattr(gradescope, "user_problem", lambda user, protected: None)
    assert gradescope.isolation([]) == (False, gradescope.FALLBACK_USER)
    assert "isolation: unprivileged user" in capsys.readouterr().err
    monkeypatch.setattr(gradescope, "user_problem", lambda user, protected: f"no user {user!r}")
    with pytest.raises(SystemExit) as refused:
        gradescope.isolation([])
    assert "refusing to grade" in str(refused.value) and "\n" not in str(refused.value)
    monkeypatch.setenv(gradescope.ISOLATION_ENV, "bwrap")
    with pytest.raises(SystemExit):
        gradescope.isolation([])
    monkeypatch.setenv(gradescope.ISOLATION_ENV, "none")
    assert gradescope.isolation([]) == (False, None) and "can rewrite its own grade" in capsys.readouterr().err


@pytest.fixture
def fallback_user():
    if os.geteuid() != 0:
        pytest.skip("needs root, to create a user")
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER], check=True)
    try:
        yield pwd.getpwnam(TEST_USER)
    finally:
        jail.kill_user(TEST_USER)
        subprocess.run(["userdel", TEST_USER], check=True)


def test_kill_user_kills_every_process_of_the_user_and_only_those(fallback_user):
    mine = subprocess.Popen(["sleep", "600.5151"])
    for _ in range(3):   # daemons: each in its own session, its parent gone
        subprocess.run(["setsid", "-f", "sleep", "600.5252"], user=fallback_user.pw_uid, group=fallback_user.pw_gid,
                       extra_groups=[], check=True)
    assert jail.kill_user(TEST_USER) >= 3
    assert not [p for p in psutil.process_iter(["uids"]) if fallback_user.pw_uid in p.info["uids"]]
    assert mine.poll() is None
    mine.kill()


ATTACK = """
import json, os, subprocess, sys
root = {root!r}
sys.stdout = open({report!r}, "w", buffering=1)   # what the attack achieved, for the test to read
forged = json.dumps({{"score": 12, "output": "forged", "tests": []}})
forger = ("import sys, time\\nfor _ in range(300):\\n    try:\\n        open(sys.argv[1], 'w').write(sys.argv[2])\\n"
          "    except OSError:\\n        pass\\n    time.sleep(0.1)\\n")
subprocess.Popen([sys.executable, "-c", forger, root + "/results/results.json", forged], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:   # a daemon: out of the session, its parent gone
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "600.4242"])
    os._exit(0)
for path in [root + "/source/grader/reports/gradescope.py", root + "/source/grader/hidden/nb01.py",
             root + "/source/solutions/{nb01}.ipynb", root + "/source/grader/grading/jail.py"]:
    for mode in "ar":
        try:
            with open(path, mode) as handle:
                handle.write("\\nscore = 12\\n") if mode == "a" else print(handle.read()[:2000])
            print("ATTACK WORKED", mode, path)
        except OSError as error:
            print("refused", mode, path, type(error).__name__)
sys.path.insert(0, root + "/source")
for module in [name for name in sys.modules if name.startswith("grader")]:
    del sys.modules[module]
try:
    import grader.hidden.nb01
    print("ATTACK WORKED import")
except ImportError:
    print("refused import")
"""


def _namespace_preamble(root: Path) -> str:
    """Shell lines for a private mount namespace in which the fallback user can run this Python (whose
    installation may sit under root's closed home) and in which this machine's own checkouts of the package
    are out of sight: what a Gradescope container looks like, with nothing changed outside the namespace."""
    lines = ["set -e"]
    home = Path.home()
    if Path(sys.base_prefix).is_relative_to(home) and not home.stat().st_mode & 0o001:
        keep = home / Path(sys.base_prefix).relative_to(home).parts[0]
        lines += [f"mkdir -p {root}/.keep", f"mount --bind {keep} {root}/.keep",
                  f"mount -t tmpfs -o mode=755 tmpfs {home}", f"mkdir {keep}", f"mount --move {root}/.keep {keep}"]
    lines += [f"mount -t tmpfs -o mode=700 tmpfs {copy}" for copy in jail.installed_copies()
              if not Path(copy).is_relative_to(root)]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_the_fallback_user_cannot_forge_the_results_edit_the_grader_or_leave_a_daemon(autograder):
    root, env = autograder
    uid = pwd.getpwnam(TEST_USER).pw_uid
    (root / "submission").mkdir()
    (root / "results").mkdir()
    book = nbformat.v4.new_notebook(metadata={"grader": {"assignment": NB01}})
    report = Path(f"/tmp/{TEST_USER}-attack.txt")   # /tmp: the one place the user can write and the test read
    report.unlink(missing_ok=True)
    attack = ATTACK.format(root=str(root), nb01=NB01, report=str(report))
    book.cells = [nbformat.v4.new_code_cell(STEP), nbformat.v4.new_code_cell(attack)]
    nbformat.write(book, root / "submission" / f"{NB01}.ipynb")

    def digest():
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for folder in ("grader", "solutions")
                for p in (root / "source" / folder).rglob("*") if p.is_file()}

    before = digest()
    completed = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c",
                                _namespace_preamble(root) + f"exec bash {root / 'run_autograder'}"],
                               capture_output=True, text=True, timeout=900,
                               env={**env, gradescope.ISOLATION_ENV: "user"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert f"isolation: unprivileged user '{TEST_USER}'" in completed.stderr, completed.stderr[-3000:]
    assert not [p.info["cmdline"] for p in psutil.process_iter(["uids", "cmdline"]) if uid in p.info["uids"]], \
        "a student process outlived grading"
    time.sleep(1)   # the forger, had it survived, rewrites the results every 0.1 s
    text = (root / "results" / "results.json").read_text(encoding="utf-8")
    results = json.loads(text)
    tests = {e.id: test for e, test in zip(exercises_for(NB01), results["tests"])}
    assert results["score"] == sum(test["score"] for test in results["tests"]) == tests["1.1"]["max_score"], text
    assert f"score {results['score']}" in completed.stdout
    assert digest() == before, "a grader file changed"
    attempts = report.read_text()
    report.unlink()
    assert attempts.count("refused") == 9 and "ATTACK WORKED" not in attempts, attempts
    hidden = [line.strip() for line in (ROOT / "grader" / "hidden" / "nb01.py").read_text().splitlines()
              if len(line.strip()) >= 25]
    assert not [line for line in hidden if line in text], "the hidden cases' source reached the results"


def test_a_grader_fault_prints_no_source_line(monkeypatch, tmp_path, capsys):
    # Gradescope may show a failed autograder's output: a traceback would print the grader's source lines
    def fail(*args, **kwargs):
        secret = "a line of a hidden case"   # noqa: F841 - what a traceback would show
        raise ValueError("expected [0.25, 0.75]")

    monkeypatch.setattr(gradescope, "autograde", fail)
    assert gradescope.main(["--assignment", NB01, "--submission", str(tmp_path), "--results",
                            str(tmp_path / "r.json"), "--work", str(tmp_path / "w")]) == 1
    error = capsys.readouterr().err
    assert "ValueError at" in error and "test_gradescope.py" in error, error
    assert "hidden case" not in error and "0.25" not in error and error.count("\n") == 1, error


# ---------------------------------------------------------------- one spine, no cluster

@pytest.mark.slow
def test_run_autograder_grades_in_its_own_process_without_a_cluster(monkeypatch, tmp_path):
    """Gradescope grades one submission: through the same batch and spine as `grade`, with no Dask at all."""
    from grader.grading import batch, dispatch
    from grader.grading.limits import Limits

    def no_cluster(*args):
        raise AssertionError("run_autograder started a Dask cluster")

    monkeypatch.setattr(dispatch, "open_client", no_cluster)
    # the control's pass, as setup.sh would have cached it (its own tests are in test_control.py)
    monkeypatch.setattr(batch, "run_controls", lambda assignments, *rest: dict.fromkeys(assignments, Limits()))
    monkeypatch.setenv(gradescope.ISOLATION_ENV, "none")
    book = nbformat.v4.new_notebook(metadata={"grader": {"assignment": NB01}})
    book.cells = [nbformat.v4.new_code_cell(STEP)]
    (tmp_path / "submission").mkdir()
    nbformat.write(book, tmp_path / "submission" / "entrega.ipynb")
    payload = gradescope.autograde(NB01, tmp_path / "submission", tmp_path / "results" / "results.json",
                                   tmp_path / "work", "en")
    tests = {test["name"].split()[0]: test for test in payload["tests"]}
    assert tests["1.1"]["score"] == tests["1.1"]["max_score"] > 0 and payload["score"] == tests["1.1"]["score"]
    assert json.loads((tmp_path / "results" / "results.json").read_text()) == payload
