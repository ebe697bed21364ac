"""The control: the reference solutions are graded before anyone, in the students' environment; a reference
without full marks stops the batch with one line and grades nobody; a pass is cached per environment; and what
the reference used sizes each assignment's time limits (flags still override)."""
import io
import json
import math
import os
import subprocess
import sys

import nbformat
import pytest
from rich.console import Console

from grader.cli import chosen_limits, parser
from grader.core import ExerciseResult, Incident, Note, Status, SubmissionResult, Verdict
from grader.exercises.registry import exercises_for
from grader.grading import batch, control
from grader.grading.batch import run_controls
from grader.grading.task import content_hash, grader_fingerprint
from grader.grading.limits import FLOORS, MARGIN, ROUND_STEPS, SIZED, Limits, round_up, sized_by_control
from grader.i18n import Msg
from grader.reports.outdir import Outdir
from helpers import NB01, ROOT, SOLUTIONS, grade, needs_jail, read_gradebook, run_control
from submissions import STEP

NB03 = "03_mlp_mnist"
USAGE = {"kernel_cpu_seconds": 40.0, "kernel_max_cell_cpu_seconds": 9.0, "sandbox_cpu_seconds": 6.0,
         "judge_cpu_seconds": 8.0, "exercise_cpu_seconds": {"1.1": 0.2, "1.7": 4.0}}


def tiny(assignment, *sources):
    book = nbformat.v4.new_notebook(metadata={"grader": {"assignment": assignment}})
    book.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return book


def result_of(assignment=NB01, wrong=(), incident=None) -> SubmissionResult:
    """A reference's row: every exercise correct but those in ``wrong``, with an optional incident."""
    exercises = [ExerciseResult.of(e, Verdict(Status.WRONG, Msg("mal\nhecho", "badly\ndone")) if e.id in wrong
                                   else Verdict(Status.CORRECT, Msg.same("ok"))) for e in exercises_for(assignment)]
    notes = [Note(incident, Msg("la celda 3 murió", "cell 3 died"))] if incident else []
    return SubmissionResult(control.STUDENT, assignment, "", notes, exercises, usage=dict(USAGE))


# ---------------------------------------------------------------- limits sized by the control

def test_limits_are_a_margin_over_what_the_reference_used_with_floors_and_a_ceiling():
    sized = sized_by_control(Limits(), USAGE)
    measured = {"cell_seconds": 9.0, "notebook_seconds": 40.0, "exercise_seconds": 4.0}
    for name in SIZED:
        value = getattr(sized, name)
        assert value >= MARGIN * measured[name] and value >= FLOORS[name], name
        assert value <= max(FLOORS[name], MARGIN * measured[name] * 4 / 3), name   # rounded up, not far
    assert sized.memory_mb == Limits().memory_mb and sized.wall_factor == Limits().wall_factor
    assert sized_by_control(Limits(), {}) == Limits(**FLOORS)                     # a free reference: the floors
    assert sized_by_control(Limits(), {"kernel_cpu_seconds": 10**6}).notebook_seconds == Limits().notebook_seconds
    # without the per-cell and per-exercise figures, the totals stand in: never tighter
    totals = sized_by_control(Limits(), {"kernel_cpu_seconds": 40.0, "sandbox_cpu_seconds": 6.0})
    assert totals.cell_seconds >= MARGIN * 40 and totals.exercise_seconds >= MARGIN * 6


@pytest.mark.parametrize("seconds", [0.3, 1, 7, 9.99, 10, 36, 160, 1234])
def test_limits_are_rounded_up_to_round_numbers(seconds):
    rounded = round_up(seconds)
    assert seconds <= rounded <= seconds * 4 / 3
    mantissa = rounded / 10 ** math.floor(math.log10(rounded))
    assert any(math.isclose(mantissa, step) for step in ROUND_STEPS), rounded


def test_flags_fix_their_limit_and_the_control_sizes_the_others():
    args = parser().parse_args(["grade", "entregas", "--out", "out", "--cell-timeout", "7", "--memory-mb", "2048"])
    limits, fixed = chosen_limits(args)
    assert fixed == {"cell_seconds"} and limits == Limits(cell_seconds=7, memory_mb=2048)
    sized = sized_by_control(limits, USAGE, fixed)
    assert sized.cell_seconds == 7 and sized.notebook_seconds == sized_by_control(Limits(), USAGE).notebook_seconds
    untouched, nothing_fixed = chosen_limits(parser().parse_args(["control", "--assignment", NB01]))
    assert untouched == Limits() and nothing_fixed == frozenset()


# ---------------------------------------------------------------- the verdict, in one line

def test_only_full_marks_without_incident_pass_and_a_failure_is_one_line_that_says_what_to_do():
    assert control.failure(result_of()) is None
    wrong = control.failure(result_of(wrong={"1.7"}))
    for text in (wrong.es, wrong.en):
        assert NB01 in text and "1.7" in text and "\n" not in text
    assert "badly done" in wrong.en and "requirements.txt" in wrong.en and "nobody was graded" in wrong.en
    died = control.failure(result_of(incident=Incident.KERNEL_DIED))   # full marks, but the kernel died
    assert died is not None and "kernel-died" in died.en and "cell 3 died" in died.en and "/tmp" in died.en
    timeout = control.failure(result_of(incident=Incident.TIMEOUT))
    assert "--cell-timeout" in timeout.en and "--cell-timeout" in timeout.es
    assert control.failure(SubmissionResult(control.STUDENT, NB01, "")) is not None   # nothing graded at all


# ---------------------------------------------------------------- the cache and its key

def key(assignment=NB01, solution=b"{}", limits=Limits(), isolated=True, scheduler=None):
    return control.environment_key(assignment, solution, limits, isolated, "grader", scheduler)


def test_the_key_changes_with_anything_that_could_change_the_outcome(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATASETS_DIR", str(tmp_path))
    (tmp_path / "mnist.npz").write_bytes(b"x" * 10)
    before = {NB01: key(NB01), NB03: key(NB03)}
    assert key() == before[NB01] == key(limits=Limits(cell_seconds=600.0))   # stable; 600 and 600.0 are one
    changed = [key(solution=b"{ }"), key(limits=Limits(cell_seconds=1)), key(isolated=False),
               key(scheduler="tcp://10.0.0.1:8786"), control.environment_key(NB01, b"{}", Limits(), True, "other",
                                                                         None)]
    assert len({before[NB01], *changed}) == len(changed) + 1
    (tmp_path / "mnist.npz").write_bytes(b"y" * 11)                   # the dataset changed: only 03 reads it
    assert key(NB03) != before[NB03] and key(NB01) == before[NB01]
    monkeypatch.setattr(sys, "executable", "/tmp/venv/bin/python")     # another Python
    assert key(NB01) != before[NB01]


def test_a_pass_is_cached_outside_outdir_and_nothing_else_is_trusted(tmp_path, monkeypatch):
    monkeypatch.delenv(control.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert control.cache_folder() == tmp_path / "xdg" / "curso-grader" / "control"
    monkeypatch.setenv(control.CACHE_ENV, str(tmp_path / "cache"))
    control.remember("k", control.Control(NB01, 12, 12, dict(USAGE)))
    found = control.cached("k", NB01)
    assert found.cached and found.usage["kernel_cpu_seconds"] == 40.0 and found.cpu_seconds == 54.0
    assert control.cached("k", NB03) is None and control.cached("other", NB01) is None
    (tmp_path / "cache" / "bad.json").write_text(json.dumps({"assignment": NB01, "score": 3, "max_score": 12,
                                                             "usage": {}}))
    (tmp_path / "cache" / "junk.json").write_text("[1,")
    assert control.cached("bad", NB01) is None and control.cached("junk", NB01) is None
    (tmp_path / "cache" / "odd.json").write_text(json.dumps({"assignment": NB01, "score": 12, "max_score": 12,
                                                             "usage": {"kernel_cpu_seconds": "lots"}}))
    odd = control.cached("odd", NB01)
    assert odd.cpu_seconds == 0 and sized_by_control(Limits(), odd.usage) == Limits(**FLOORS)


class FakeRoutes:
    """Stands in for dispatch.Routes: 'grades' each reference with the row ``rows`` holds for it."""
    rows: dict = {}
    runs: list = []

    def __init__(self, *args):
        self.limits_for, self.keep_executed = {}, False

    def dispatcher(self, console, limits_for, isolated, keep_executed, fingerprint):
        self.limits_for, self.keep_executed = limits_for, keep_executed
        return self

    def run(self, todo, what=""):
        FakeRoutes.runs.append([(submission.assignment, self.limits_for[submission.assignment])
                                for submission in todo])
        for submission in todo:
            ran = f"as {submission.student} ran it" if self.keep_executed else None
            yield submission, FakeRoutes.rows[submission.assignment], ran


@pytest.fixture
def fake_workers(monkeypatch, tmp_path):
    monkeypatch.setenv(control.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(batch, "Routes", FakeRoutes)
    FakeRoutes.rows, FakeRoutes.runs = {NB01: result_of()}, []
    return FakeRoutes


def controls(scheduler=None, limits=Limits(), fixed=frozenset()):
    output = io.StringIO()
    sized = run_controls([NB01], limits, fixed, True, grader_fingerprint(), scheduler, SOLUTIONS,
                         FakeRoutes(), Console(file=output, width=400))
    return sized, output.getvalue()


def test_a_cached_pass_is_reused_a_changed_key_is_not_and_a_failure_is_never_cached(fake_workers):
    sized, said = controls()
    assert fake_workers.runs == [[(NB01, Limits())]]          # the reference runs under the unsized limits
    assert sized == {NB01: sized_by_control(Limits(), USAGE)} and "graded now" in said
    assert f"limits: {sized[NB01].cell_seconds:g} s of CPU per cell" in said
    again, said = controls()
    assert len(fake_workers.runs) == 1 and again == sized and "cached" in said and "paid 0.0 s" in said
    controls(scheduler="tcp://10.0.0.1:8786")                 # another cluster: another control
    assert len(fake_workers.runs) == 2
    fake_workers.rows = {NB01: result_of(wrong={"1.1"})}
    with pytest.raises(control.ControlFailed):
        controls(limits=Limits(memory_mb=1024))
    with pytest.raises(control.ControlFailed):                # not cached: the control runs again
        controls(limits=Limits(memory_mb=1024))
    assert len(fake_workers.runs) == 4


def test_the_reference_as_it_ran_is_cached_with_its_pass_and_kept_in_outdir_cached_or_not(fake_workers, tmp_path):
    entregas = tmp_path / "entregas"
    (entregas / "control").mkdir(parents=True)        # a student whose name is the control's folder
    nbformat.write(tiny(NB01, STEP), entregas / "control" / f"{NB01}.ipynb")
    for outdir in ("first", "cached"):
        Outdir(tmp_path / outdir, "en").grade([entregas], isolated=False, keep_executed=True)
        executed = tmp_path / outdir / "executed"
        assert (executed / "control" / f"{NB01}.ipynb").read_text() == f"as {control.STUDENT} ran it"
        assert (executed / f"control__{NB01}.ipynb").read_text() == "as control ran it"   # the student's own
    assert len(fake_workers.runs) == 3   # the reference once, the student twice: the second copy came from the cache
    Outdir(tmp_path / "plain", "en").grade([entregas], isolated=False, force=True)
    assert not (tmp_path / "plain" / "executed").exists()            # only with --keep-executed


def test_a_failed_control_writes_no_row_not_even_for_files_that_need_no_grading(fake_workers, tmp_path,
                                                                                monkeypatch):
    (tmp_path / "entregas" / "ana").mkdir(parents=True)
    nbformat.write(tiny(NB01, STEP), tmp_path / "entregas" / "ana" / f"{NB01}.ipynb")
    (tmp_path / "entregas" / "zoe.ipynb").write_text("{broken")
    fake_workers.rows = {NB01: result_of(incident=Incident.GRADER_ERROR)}
    with pytest.raises(control.ControlFailed) as failed:
        Outdir(tmp_path / "out", "en").grade([tmp_path / "entregas"], isolated=False)
    assert "grader-error" in failed.value.message.en
    assert not (tmp_path / "out" / "results").exists()


def test_without_the_reference_solutions_the_control_fails_closed(fake_workers, tmp_path, monkeypatch):
    monkeypatch.delenv(control.SOLUTIONS_ENV, raising=False)
    assert control.solutions_folder() == ROOT / "solutions"
    monkeypatch.setenv(control.SOLUTIONS_ENV, str(tmp_path))
    with pytest.raises(control.ControlFailed) as failed:
        run_controls([NB01], Limits(), frozenset(), True, "grader", None, None, FakeRoutes(), Console())
    assert str(tmp_path) in failed.value.message.en and "--solutions" in failed.value.message.en
    assert fake_workers.runs == []


# ---------------------------------------------------------------- end to end, in the jail

@pytest.mark.slow
@needs_jail
def test_a_reference_that_fails_stops_the_batch_with_one_line_and_grades_nobody(tmp_path):
    """The cheapest failing control: an empty datasets folder, and an assignment that reads MNIST."""
    empty = tmp_path / "empty"
    empty.mkdir()
    entregas = tmp_path / "entregas"
    (entregas / "ana").mkdir(parents=True)
    nbformat.write(tiny(NB03, "import numpy as np"), entregas / "ana" / f"{NB03}.ipynb")
    (entregas / "zoe.ipynb").write_text("{broken")
    env = {**os.environ, "COURSE_DATASETS_DIR": str(empty), "KERAS_HOME": str(empty), "GRADER_LANG": "en"}
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(entregas), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr[-3000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"control: the reference solution of {NB03} scored 0/") and "nobody was graded" in line
    assert "grader-error" in line and "mnist" in line and "What to do:" in line
    assert "Traceback" not in result.stderr and "Compute Failed" not in result.stderr
    assert not (tmp_path / "out" / "results").exists() and not (tmp_path / "out" / "gradebook.csv").exists()
    alone = run_control(NB03, check=False, env=env)                  # Gradescope's setup.sh: the same verdict
    last = alone.stderr.strip().splitlines()[-1]
    assert alone.returncode == 2 and last.split("(")[0] == line.split("(")[0] and "mnist" in last


@pytest.mark.slow
@needs_jail
def test_a_passing_control_lets_the_batch_run_with_the_sized_limits_and_flags_override_them(tmp_path):
    entregas = tmp_path / "entregas"
    (entregas / "ana").mkdir(parents=True)
    notebook = entregas / "ana" / f"{NB01}.ipynb"
    nbformat.write(tiny(NB01, STEP), notebook)
    passed = run_control(NB01)          # the session's control of 01 (cached if a test paid it already)
    assert f"control passed: {NB01}" in passed.stdout
    sized = control.cached_limits(NB01, grader_fingerprint())
    assert sized is not None and sized != Limits()
    first = grade(entregas, "--out", tmp_path / "out")
    assert f"control {NB01}: the reference scored 12/12 (cached" in first.stderr
    assert f"limits: {sized.cell_seconds:g} s of CPU per cell, {sized.notebook_seconds:g} s per notebook" \
           in first.stderr
    row = json.loads((tmp_path / "out" / "results" / f"ana__{NB01}.json").read_text())
    assert row["status"] == "graded" and read_gradebook(tmp_path / "out")[("ana", NB01)]["1.1"] == "1"
    assert row["hash"] == content_hash(notebook, grader_fingerprint(), sized)   # graded and hashed with them
    # --cell-timeout 600 is the limit the control runs under anyway: same key, so still cached; the cell
    # limit is the flag's, the others are sized
    overridden = grade(entregas, "--out", tmp_path / "flag", "--cell-timeout", "600")
    assert "(cached" in overridden.stderr and f"limits: 600 s of CPU per cell, {sized.notebook_seconds:g} s" \
           in overridden.stderr
    fixed = control.cached_limits(NB01, grader_fingerprint(), fixed=frozenset({"cell_seconds"}))
    assert fixed.cell_seconds == 600 and fixed.notebook_seconds == sized.notebook_seconds
    flagged = json.loads((tmp_path / "flag" / "results" / f"ana__{NB01}.json").read_text())
    assert flagged["hash"] == content_hash(notebook, grader_fingerprint(), fixed) != row["hash"]
