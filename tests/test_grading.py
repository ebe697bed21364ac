"""End to end: `python -m grader grade` on the kit's own notebooks and on broken, crashing and
cheating submissions, all graded once in the session's batch (conftest.graded_batch; every test that uses
it is marked slow there)."""
import json
from pathlib import Path

import pytest

from grader.core import Status
from grader.exercises.registry import exercises_for, get_exercise
from grader.grading import control
from grader.grading.limits import Limits
from grader.grading.task import content_hash, grader_fingerprint
from helpers import ASSIGNMENTS, NB01, needs_jail, run_cli
from submissions import HARD_CODED_STEP

def result_of(batch, student, assignment=NB01):
    return json.loads((batch.outdir / "results" / f"{student}__{assignment}.json").read_text(encoding="utf-8"))


def reason(batch, student, exercise_id):
    return next(e for e in result_of(batch, student)["exercises"] if e["id"] == exercise_id)["es"]


# ---------------------------------------------------------------- the kit's own notebooks

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_get_full_marks(graded_batch, assignment):
    # the control graded the reference down the students' route (short of full marks, it stops the batch);
    # test_notebook_runs checks that its run printed the ✅ stored at every check
    full = sum(e.points for e in exercises_for(assignment))
    assert f"control {assignment}: the reference scored {full}/{full} (" in graded_batch.stderr


def test_a_solution_gets_full_marks_under_the_limits_its_control_sized(graded_batch):
    solved = graded_batch.gradebook[("solution", NB01)]
    assert solved["status"] == "graded" and solved["score"] == solved["max_score"] != "0", solved
    sized = control.cached_limits(NB01, grader_fingerprint())    # what its control sized, not Limits()
    result = graded_batch.result("solution")
    assert sized != Limits() and result["hash"] == content_hash(Path(result["path"]), grader_fingerprint(), sized)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_notebooks_get_zero_as_not_attempted(graded_batch, assignment):
    untouched = graded_batch.gradebook[("notebooks", assignment)]
    assert untouched["status"] == "graded" and untouched["score"] == "0", untouched
    assert int(untouched["max_score"]) == sum(e.points for e in exercises_for(assignment))
    feedback = (graded_batch.outdir / "feedback" / f"notebooks__{assignment}.md").read_text(encoding="utf-8")
    assert feedback.count("| sin hacer |") == len(exercises_for(assignment))


def test_batch_summary_and_plot(graded_batch):
    assert "mediana" in graded_batch.stderr and (graded_batch.outdir / "summary.png").stat().st_size > 0


# ---------------------------------------------------------------- misbehaving submissions

def test_broken_and_malicious_submissions_get_fair_scores(graded_batch):
    # the gradebook shows a name that would start a formula with a leading apostrophe (test_hostile checks it)
    got = {student.removeprefix("'"): (row["status"], int(row["score"]))
           for (student, _), row in graded_batch.gradebook.items() if student.removeprefix("'") in graded_batch.expected}
    assert got == graded_batch.expected


def test_reasons_name_what_went_wrong(graded_batch):
    assert "no encuentro la función `collapse_linear_layers`" in reason(graded_batch, "renamed_function", "1.8")
    assert "prueba oculta" in reason(graded_batch, "hard_codes_public_answers", "1.1")
    assert "modo seguro" in reason(graded_batch, "unsafe_model", "1.11")
    assert "terminó de forma inesperada" in reason(graded_batch, "crashes_in_function", "1.8")
    row = graded_batch.gradebook[("exits_kernel", NB01)]
    assert row["1.10"] == "0" and row["1.8"] == "1"
    invalid = result_of(graded_batch, "garbage")
    assert invalid["status"] == "invalid-notebook" and {e["status"] for e in invalid["exercises"]} == {"not-graded"}
    assert "no es un cuaderno válido" in invalid["notes"][0]["es"]
    assert "not a valid notebook" in invalid["notes"][0]["en"]


def test_hidden_case_feedback_never_shows_hidden_inputs(graded_batch):
    feedback = (graded_batch.outdir / "feedback" / f"hard_codes_public_answers__{NB01}.html").read_text(
        encoding="utf-8")
    assert "prueba oculta" in feedback and "9001" not in feedback and "HIDDEN_CASES" not in feedback


def test_hard_coded_answers_fool_the_public_check_but_not_the_grader():
    # The same function that earned 0 in the batch passes the in-notebook check: only hidden cases catch it.
    import numpy as np
    namespace = {"np": np}
    exec(HARD_CODED_STEP, namespace)
    assert get_exercise("1.1").check(namespace).status == Status.CORRECT


def test_lms_exports(graded_batch):
    gradescope = json.loads((graded_batch.outdir / "gradescope" / f"huge_allocation__{NB01}" / "results.json")
                            .read_text())
    assert gradescope["score"] == graded_batch.expected["huge_allocation"][1]
    assert len(gradescope["tests"]) == len(exercises_for(NB01))
    moodle = (graded_batch.outdir / "moodle_grades.csv").read_text().splitlines()
    deleted_cell = f"deleted_cell,{graded_batch.expected['deleted_cell'][1]},"
    assert moodle[0] == "username," + ",".join(ASSIGNMENTS) and any(line.startswith(deleted_cell) for line in moodle)


# ---------------------------------------------------------------- re-running a batch

@needs_jail
def test_a_rerun_rewrites_no_finished_result_and_force_grades_everything_again(tmp_path):
    """Resuming an interrupted batch (the client killed mid-batch; the re-run gives every row once) is
    test_distributed's test_killing_the_client_mid_batch_and_rerunning_gives_every_row_once. What a re-run does to
    finished results is proven here, in-process and without a kernel: invalid notebooks are graded at once."""
    submissions, outdir = tmp_path / "entregas", tmp_path / "out"
    for student in ("ana", "ben"):
        (submissions / student).mkdir(parents=True)
        (submissions / student / f"{NB01}.ipynb").write_text("{}")
    (submissions / "zoe.ipynb").write_text("{}")

    def stored():   # a rewritten result is a new file (written atomically) with a new mtime
        return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns)
                for path in (outdir / "results").glob("*.json")}

    assert run_cli("grade", submissions, "--out", outdir).returncode == 0
    first = stored()
    assert len(first) == 3
    rerun = run_cli("grade", submissions, "--out", outdir)
    assert rerun.returncode == 0 and "3 submission(s) already graded" in rerun.stderr
    assert stored() == first
    rows = (outdir / "gradebook.csv").read_text().splitlines()
    assert len(rows) == 4 and len(set(rows)) == 4
    assert any(row.startswith("zoe,zoe,0,0,invalid-notebook") for row in rows)

    assert run_cli("grade", submissions, "--out", outdir, "--force").returncode == 0
    forced = stored()
    assert forced.keys() == first.keys() and all(forced[name] != first[name] for name in first)
