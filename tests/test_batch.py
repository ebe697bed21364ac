"""grader.grading.batch: who and what each file is, and what counts as already graded."""
import json
import os

import nbformat

from grader.core import Incident, SubmissionResult
from grader.grading.task import content_hash
from grader.grading.discovery import discover
from grader.grading.store import ResultStore
from grader.reports.outdir import Outdir
from grader.grading.limits import Limits
from grader.i18n import Msg
from helpers import NB01, NOTEBOOKS, read


def write(path, notebook=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook or read(NOTEBOOKS), path)
    return path


def test_students_and_assignments_come_from_folders_metadata_and_file_names(tmp_path):
    write(tmp_path / "entregas" / "ana" / f"{NB01}.ipynb")
    renamed = write(tmp_path / "entregas" / "ana" / "sub" / "renamed.ipynb")   # metadata names the assignment
    os.utime(renamed, ns=(0, 0))   # the older of ana's two: the newest counts, the row names the other
    write(tmp_path / "entregas" / "ben.ipynb")
    (tmp_path / "entregas" / "eva.ipynb").write_text("{broken")
    unknown = nbformat.v4.new_notebook()
    write(tmp_path / "entregas" / "zoe.ipynb", unknown)
    submissions = discover([tmp_path / "entregas"])
    found = {(s.student, s.assignment, s.key, s.incident) for s in submissions}
    assert found == {("ana", NB01, f"ana__{NB01}", None), ("ben", NB01, f"ben__{NB01}", None),
                     ("eva", None, "eva__eva", Incident.INVALID_NOTEBOOK),
                     ("zoe", None, "zoe__zoe", Incident.UNKNOWN_ASSIGNMENT)}
    ana = next(s for s in submissions if s.student == "ana")
    assert ana.path.name == f"{NB01}.ipynb" and [n.incident for n in ana.notes] == [Incident.EXTRA_NOTEBOOKS]
    assert "sub/renamed.ipynb" in ana.notes[0].message.es
    assert len(discover([tmp_path / "entregas"], max_notebooks=2)) == 5


def test_a_folder_of_one_students_notebooks_is_that_student(tmp_path):
    write(tmp_path / "ana" / f"{NB01}.ipynb")
    assert [(s.student, s.assignment) for s in discover([tmp_path / "ana"])] == [("ana", NB01)]


def test_only_a_stored_result_with_the_same_hash_counts_as_graded(tmp_path):
    path = write(tmp_path / "ana" / f"{NB01}.ipynb")
    digest = content_hash(path, "grader", Limits())
    assert digest != content_hash(path, "grader", Limits(cell_seconds=1)) != content_hash(path, "other", Limits())
    store = ResultStore(tmp_path / "out")
    store.save(SubmissionResult("ana", NB01, str(path), hash=digest, key="ana"))
    (tmp_path / "out" / "results" / "bad.json").write_text("[1, 2]")
    outdir = Outdir(tmp_path / "out", "es")   # reads results/ once
    assert outdir.is_graded("ana", digest) and not outdir.is_graded("ana", "x") and not outdir.is_graded("bad", digest)
    assert [r.student for r in store.load_all()] == ["ana"]


def test_a_result_file_not_signed_by_this_grader_is_never_trusted(tmp_path):
    store = ResultStore(tmp_path / "out")
    store.save(SubmissionResult("ana", NB01, "x", hash="h", key="ana"))
    data = json.loads(store.path("ana").read_text())
    data["exercises"] = [{"id": "1.1", "title_es": "t", "title_en": "t", "max_points": 9, "points": 9,
                          "status": "correct", "es": "", "en": ""}]
    store.path("ana").write_text(json.dumps(data))                      # edited: the MAC no longer matches
    forged = SubmissionResult("ben", NB01, "x", hash="h", key="ben").to_json()
    store.path("ben").write_text(json.dumps({**forged, "mac": "0" * 64}))  # forged from scratch
    moved = {**json.loads(json.dumps(forged)), "key": "../../x"}
    store.path("eva").write_text(json.dumps({**moved, "mac": store.mac(moved)}))  # valid MAC, key is not its name
    outdir = Outdir(tmp_path / "out", "es")
    assert store.load_all() == [] and not outdir.is_graded("ana", "h") and not outdir.is_graded("ben", "h")
    assert oct((tmp_path / "out" / ".grader-key").stat().st_mode)[-3:] == "600"


def test_a_submitted_folder_is_copied_as_regular_files_only(tmp_path):
    import shutil
    import subprocess

    from grader.grading.files import copy_regular_files
    source = tmp_path / "ana"
    (source / "data").mkdir(parents=True)
    (source / "data" / "table.csv").write_text("a,b\n1,2\n")
    (source / "loop").symlink_to(".")
    (source / "loop2").symlink_to("../ana")
    (source / "zero").symlink_to("/dev/zero")
    (source / "secret.ipynb").symlink_to(NOTEBOOKS / f"{NB01}.ipynb")
    (source / "big.bin").write_bytes(bytes(3 * 2**20))
    target = tmp_path / "copy"
    target.mkdir()
    capped = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(target)]).returncode == 0
    try:  # inside an 8 MB filesystem where it can: a copy that followed the links would fill it at once
        left_out = copy_regular_files(source, target, max_bytes=2 * 2**20, max_files=10,
                                      skip=shutil.ignore_patterns("*.ipynb"))
        copied = sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())
    finally:
        if capped:
            subprocess.run(["umount", str(target)], check=True)
    assert copied == ["data/table.csv"]
    assert any("zero: not a regular file" in line for line in left_out)
    assert any("big.bin: over the size limit" in line for line in left_out)


def test_a_grader_error_is_graded_again_on_a_rerun(tmp_path):
    """A grader error (a worker that died, or lacked the data) is the grader's failure, never the student's."""
    store = ResultStore(tmp_path / "out")
    failed = SubmissionResult.ungraded("ana", NB01, "x", Incident.GRADER_ERROR, Msg.same("worker died"), [])
    failed.hash, failed.key = "h", "ana"
    store.save(failed)
    graded = SubmissionResult("ben", NB01, "x", hash="h", key="ben")
    store.save(graded)
    outdir = Outdir(tmp_path / "out", "es")
    assert not outdir.is_graded("ana", "h") and outdir.is_graded("ben", "h")


def test_a_student_folder_travels_without_notebooks_models_or_jupyter_copies(tmp_path):
    from grader.grading.files import read_regular_files
    for name in ["data.csv", "other.ipynb", "old_model.keras", ".ipynb_checkpoints/x.csv", "__pycache__/m.pyc",
                 "sub/table.csv"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("1")
    files, left_out = read_regular_files(tmp_path, max_bytes=2**20, max_files=10)
    assert sorted(files) == ["data.csv", "sub/table.csv"] and left_out == []
