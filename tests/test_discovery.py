"""No submission can abort the batch, and none can steer discovery (issue 16, findings 8 to 10).

Discovery runs without grading; one end-to-end `grade` run grades three tiny notebooks (one named in Latin-1,
one whose code nests 1,500 folders in its work folder) beside a folder 1,500 levels deep; one run kills a
grading process mid-way and checks nothing is left.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata

import nbformat
import pytest

from grader.core import Incident, SubmissionResult
from grader.grading.dispatch import pack, ungraded
from grader.grading.task import TASK_PREFIX, remove_stale_task_folders
from grader.grading.discovery import discover
from grader.grading.files import MAX_DEPTH, remove_tree, walk
from grader.grading.store import ResultStore, submission_key
from grader.i18n import Msg
from grader.reports import class_report, export_all
from helpers import NB01, ROOT, grading_processes, needs_jail, read_gradebook, run_control, tiny_notebook
from submissions import STEP

LATIN1_NAME = "José".encode("latin-1")   # b"Jos\xe9": what an old zip tool writes; not valid UTF-8
NESTS = "import os\nfor _ in range(1500):\n    os.mkdir('a')\n    os.chdir('a')"   # student code, in its work folder


def write(path, book=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book or tiny_notebook(STEP), path)
    return path


def deep_folder(top, levels=1500):
    """``levels`` nested folders "a", with a notebook at the bottom. Made one level at a time, relative to the
    level above, as student code can (os.makedirs recurses, and a path this deep may be too long to name)."""
    top.mkdir(parents=True)
    folder = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        os.mkdir("a", dir_fd=folder)
        folder, above = os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder), folder
        os.close(above)
    notebook = os.open(f"{NB01}.ipynb", os.O_WRONLY | os.O_CREAT, dir_fd=folder)
    os.write(notebook, nbformat.writes(tiny_notebook(STEP)).encode())
    os.close(notebook)
    os.close(folder)
    return top


@pytest.fixture
def deep():
    """deep_folder, and their removal afterwards: pytest's own clean-up of old temporary folders recurses."""
    made = []
    yield lambda top, levels=1500: made.append(top) or deep_folder(top, levels)
    for top in made:
        remove_tree(top)


def latin1_notebook(folder):
    """entregas/José.ipynb with the name in Latin-1 bytes."""
    path = os.fsencode(folder) + b"/" + LATIN1_NAME + b".ipynb"
    with open(path, "wb") as handle:
        handle.write(nbformat.writes(tiny_notebook(STEP)).encode())
    return os.fsdecode(path)


# ---------------------------------------------------------------- finding 8: nothing aborts the batch

def test_a_deep_folder_and_a_latin1_name_are_rows_or_warnings_never_an_abort(tmp_path, capsys, deep):
    entregas = tmp_path / "entregas"
    write(entregas / "ana" / f"{NB01}.ipynb")
    deep(entregas / "ana" / "datos")         # in ana's own folder: her data files are read capped
    (entregas / "ana" / "datos" / "a" / "tabla.csv").write_text("1,2\n")
    deep(entregas / "hondo")                 # a notebook far below the depth cap
    latin1_notebook(entregas)
    submissions = {s.student: s for s in discover([entregas])}
    assert sorted(submissions) == ["José", "ana"]   # shown readably; the deep notebook is not searched
    assert "not searched" in capsys.readouterr().err
    work = pack(submissions["ana"])
    assert "datos/a/tabla.csv" in work.files and all(len(path.split("/")) <= MAX_DEPTH + 1 for path in work.files)

    # the name's row can be stored, loaded back (the path as on disk) and shown everywhere
    jose = submissions["José"]
    store, outdir = ResultStore(tmp_path / "out"), tmp_path / "out"
    results = []
    for submission in submissions.values():
        result = ungraded(submission, Incident.GRADER_ERROR, Msg.same("x"))
        result.key = submission.key
        store.save(result)
        results.append(result)
    loaded = {r.student: r for r in store.load_all()}
    assert os.path.exists(loaded["José"].path) and loaded["José"].path == str(jose.path)
    export_all(results, outdir, "es")
    assert "José" in (outdir / "gradebook.csv").read_text(encoding="utf-8")
    assert "José" in (outdir / "class_report.html").read_text(encoding="utf-8")
    assert "José" in (outdir / "feedback" / f"{jose.key}.html").read_text(encoding="utf-8")


def test_removing_a_folder_works_at_any_depth_and_mode(tmp_path, deep):
    top = deep(tmp_path / "work", levels=2500)   # deeper than PATH_MAX (4096 characters) allows to name
    os.chmod(top / "a", 0o500)                           # made read-only by the student
    (top / "link").symlink_to(tmp_path)                  # removed, never followed
    remove_tree(top)
    assert list(tmp_path.iterdir()) == []
    assert sum(1 for _ in walk(tmp_path)) == 1


# ---------------------------------------------------------------- finding 9: discovery cannot be steered

def test_grade_entregas_star_keeps_every_notebook_of_a_folder_with_its_student(tmp_path, capsys):
    entregas = tmp_path / "entregas"
    write(entregas / "ana" / f"{NB01}.ipynb")
    write(entregas / "ana" / "bob" / f"{NB01}.ipynb")   # ana's copy for bob: ana's, never a bob row
    write(entregas / "bob" / "mi_practica.ipynb")        # bob's own (metadata names the assignment)
    write(entregas / "eva" / "eva" / f"{NB01}.ipynb")    # nothing directly in eva's folder:
    write(entregas / "eva" / "zoe" / f"{NB01}.ipynb")    # still all eva's, because folders beside it are given
    by_root = lambda *roots: sorted((s.student, s.path.relative_to(entregas).as_posix())   # noqa: E731
                                    for s in discover(list(roots), max_notebooks=5))
    assert by_root(*sorted(entregas.iterdir())) == [
        ("ana", f"ana/{NB01}.ipynb"), ("ana", f"ana/bob/{NB01}.ipynb"), ("bob", "bob/mi_practica.ipynb"),
        ("eva", f"eva/eva/{NB01}.ipynb"), ("eva", f"eva/zoe/{NB01}.ipynb")]
    assert "eva is graded as one student (eva)" in capsys.readouterr().err   # the instructor is told
    assert [s for s, _ in by_root(entregas / "ana")] == ["ana", "ana"]   # one folder, holding a notebook
    assert [s for s, _ in by_root(entregas / "ana", entregas / "ana")] == ["ana", "ana"]   # given twice: once

    # the documented layouts: a class folder of student folders, loose per-student files, files given directly
    write(tmp_path / "clase" / "ana" / "sub" / f"{NB01}.ipynb")
    write(tmp_path / "clase" / "ana_perez.ipynb")
    write(tmp_path / "clase" / "ben" / f"{NB01}.ipynb")
    write(tmp_path / "clase" / "ben" / ".ipynb_checkpoints" / f"{NB01}-checkpoint.ipynb")   # Jupyter's: never read
    assert sorted((s.student, s.notes) for s in discover([tmp_path / "clase"])) == [
        ("ana", []), ("ana_perez", []), ("ben", [])]
    assert [s.student for s in discover([tmp_path / "clase" / "ana_perez.ipynb",
                                         tmp_path / "clase" / "ben" / f"{NB01}.ipynb"])] == ["ana_perez", "ben"]


def test_one_row_per_student_and_assignment_the_newest_and_the_others_named(tmp_path):
    folder = tmp_path / "entregas" / "ana"
    for variant in range(300):
        path = write(folder / f"v{variant:03d}.ipynb", tiny_notebook(f"x = {variant}"))
        os.utime(path, ns=(0, (variant % 7) * 10**9))   # the newest: variants 6, 13, …, 293; by name, v293
    rows = discover([tmp_path / "entregas"])
    assert [(row.student, row.path.name, row.key) for row in rows] == [("ana", "v293.ipynb", f"ana__{NB01}")]
    note = rows[0].notes[0]
    assert note.incident == Incident.EXTRA_NOTEBOOKS and "300" in note.message.es and "v286.ipynb" in note.message.es
    three = discover([tmp_path / "entregas"], max_notebooks=3)
    assert [row.path.name for row in three] == ["v293.ipynb", "v286.ipynb", "v279.ipynb"]
    assert len({row.key for row in three}) == 3 and three[0].key == f"ana__{NB01}"


def test_a_gradescope_upload_is_one_student_whatever_its_files_are_called(tmp_path):
    upload = tmp_path / "submission"
    for variant, name in enumerate(["mi_entrega.ipynb", "copia.ipynb", "otra/version_final.ipynb"]):
        os.utime(write(upload / name, tiny_notebook(f"x = {variant}")), ns=(0, variant * 10**9))
    assert len(discover([upload])) == 3   # as a class folder: two loose files and a student folder
    rows = discover([upload], one_student=True)   # how run_autograder reads it: no variant gets its own row
    assert [(row.student, row.path.name) for row in rows] == [("submission", "version_final.ipynb")]
    assert "mi_entrega.ipynb" in rows[0].notes[0].message.es


def test_keys_never_collide(tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    latin1 = os.fsdecode(LATIN1_NAME)
    identities = [("a__b", "c"), ("a", "b__c"), ("a_", "_b"), ("a", "_b"), ("a_b", "c"), ("a b", "c"),
                  ("a-b", "c"), (nfc, "x"), (nfd, "x"), (latin1, "x"), ("Jose", "x"), ("ana", NB01),
                  ("ana", f"{NB01}-{'0' * 12}"), ("x" * 81, "y"), ("x" * 80, "y")]
    identities += [("ana", NB01, variant) for variant in ("", "2", f"sub/{NB01}.ipynb", "sub/renamed.ipynb")]
    keys = [submission_key(*identity) for identity in identities]
    assert len(set(keys)) == len(identities) - 1   # ("ana", NB01) is listed twice: with and without ""
    assert all(key.isascii() and "/" not in key and not key.startswith(".") for key in keys)
    assert submission_key("ana_perez", NB01) == f"ana_perez__{NB01}"   # plain names keep plain keys

    # today a second file of a student became …__2, the key of a file named …__2
    write(tmp_path / "ana" / f"{NB01}.ipynb")
    write(tmp_path / "ana" / "sub" / "renamed.ipynb")
    (tmp_path / "ana" / f"{NB01}__2.ipynb").write_text("{broken")
    (tmp_path / "ana" / "José.ipynb").write_text("{broken")
    (tmp_path / "ana" / unicodedata.normalize("NFD", "José.ipynb")).write_text("{broken")
    rows = discover([tmp_path], max_notebooks=10)
    assert len(rows) == 5 and len({row.key for row in rows}) == 5


def test_names_that_differ_only_by_normalisation_are_flagged_and_graded_apart(tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    for name in (nfc, nfd, "ana"):
        write(tmp_path / "entregas" / name / f"{NB01}.ipynb")
    rows = discover([tmp_path / "entregas"])
    assert sorted(row.student for row in rows) == sorted([nfc, nfd, "ana"]) and len({row.key for row in rows}) == 3
    results = [SubmissionResult(row.student, NB01, str(row.path), key=row.key) for row in rows]
    page = class_report.page(results, "es")
    assert "solo se distinguen por la normalización Unicode" in page
    assert "Jose\\u0301" in page and "Jos\\xe9" in page
    assert "normalización Unicode" not in class_report.page(results[-1:], "es")


# ---------------------------------------------------------------- finding 10: leftovers

def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_task_folders_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    stale, live, other = (tmp_path / f"{TASK_PREFIX}{dead_pid()}-x", tmp_path / f"{TASK_PREFIX}{os.getpid()}-y",
                          tmp_path / "grade-untouched")
    for folder in (stale, live, other):
        (folder / "tmp").mkdir(parents=True)
        (folder / "tmp" / "cases.json").write_text("{}")
    assert remove_stale_task_folders(tmp_path) == [stale]
    assert sorted(tmp_path.iterdir()) == sorted([live, other])


@pytest.mark.slow
@needs_jail
def test_a_deep_folder_and_a_latin1_name_beside_honest_students_who_get_their_grades(tmp_path, deep):
    entregas = tmp_path / "entregas"
    write(entregas / "ana" / f"{NB01}.ipynb")
    deep(entregas / "ana" / "datos")
    deep(entregas / "hondo")
    latin1_notebook(entregas)
    write(entregas / "nidos" / f"{NB01}.ipynb", tiny_notebook(STEP, NESTS))
    # the default limits: the session's control of 01 is cached for them (other limits would run it again)
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(entregas), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    book = read_gradebook(tmp_path / "out")
    assert set(book) == {("ana", NB01), ("José", NB01), ("nidos", NB01)}
    for student in ("ana", "José", "nidos"):
        row = book[(student, NB01)]
        assert row["status"] == "graded" and row["1.1"] == "1", row
    assert "not searched" in run.stderr


@pytest.mark.slow
@needs_jail
def test_a_grading_process_killed_midway_leaves_nothing_behind(tmp_path):
    temporary, entregas = tmp_path / "tmp", tmp_path / "entregas"
    stale, live = temporary / f"{TASK_PREFIX}{dead_pid()}-x", temporary / f"{TASK_PREFIX}{os.getpid()}-y"
    for folder in (stale, live):
        (folder / "tmp").mkdir(parents=True)
    write(entregas / "ana" / f"{NB01}.ipynb", tiny_notebook(STEP, "import time\ntime.sleep(600)"))
    run_control(NB01)   # cached before `grade` starts: the only grading process to find is ana's, not the control's
    grader = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(entregas), "--out", str(tmp_path / "out")],
                              cwd=ROOT, env={**os.environ, "TMPDIR": str(temporary)}, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not (list(temporary.glob(f"{TASK_PREFIX}*/tmp/grade-*/work"))
                                                   or list(temporary.glob("grade-*/work"))):
            time.sleep(0.2)   # the grading process has made its own temporary folder: it is mid-way
        assert not stale.exists() and live.exists()   # the first task removed the dead process's folder only
        grading = grading_processes(grader.pid)
        assert len(grading) == 1
        grading[0].send_signal(signal.SIGKILL)
        assert grader.wait(timeout=300) == 0
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
    result = json.loads((tmp_path / "out" / "results" / f"ana__{NB01}.json").read_text())
    assert result["status"] == "grader-error"
    left = [path.name for path in temporary.rglob("*") if path.name.startswith(("grade", TASK_PREFIX))]
    assert left == [live.name]
