"""Hostile submissions, graded in the session's batch beside honest ones (conftest.graded_batch,
tests/hostile.py): no grade moves, the batch finishes, and nothing of the host is reachable."""
import csv
import re

import psutil
import pytest

from grader import runner
from grader.grading.limits import MAX_ARTIFACT_BYTES
from helpers import ASSIGNMENTS, NB01
from hostile import MARK

pytestmark = pytest.mark.slow


# Every hostile submission's grade, and the honest ones beside them: test_grading's fair-scores test.


def test_the_package_on_disk_cannot_be_tampered_with(graded_batch):
    assert graded_batch.executed_output("tamperer").count("TAMPER-BLOCKED") == 2
    assert graded_batch.package_before == graded_batch.package_after


def test_no_process_outlives_its_jail(graded_batch):
    assert "DAEMON-STARTED" in graded_batch.executed_output("daemon")
    started = int(graded_batch.executed_output("processes").split("PROCESSES ")[1].split()[0])
    assert 0 < started < 300, "the process limit holds"
    assert "resource-limit" in [problem["status"] for problem in graded_batch.result("processes")["notes"]]
    survivors = [p.pid for p in psutil.process_iter(["cmdline"]) if MARK in " ".join(p.info["cmdline"] or [])]
    assert survivors == []


def test_results_cannot_be_forged_and_outdir_is_not_visible(graded_batch):
    assert "FORGE-NONE" in graded_batch.executed_output("forger")
    # the result planted before the batch (no exercise graded), with the right hash and no valid MAC, was graded again
    honest = graded_batch.gradebook[("honest_ana", NB01)]
    assert int(honest["score"]) == graded_batch.expected["honest_ana"][1] > 0


def test_killing_everything_in_reach_only_ends_its_own_run(graded_batch):
    assert graded_batch.gradebook[("killer", NB01)]["status"] == "kernel-died"
    # its classmates, graded beside it on the same workers, got what they earned: a whole notebook among them
    solution = graded_batch.gradebook[("solution", NB01)]
    assert solution["score"] == solution["max_score"] != "0"
    honest = graded_batch.gradebook[("honest_ana", NB01)]
    assert (honest["status"], int(honest["score"])) == graded_batch.expected["honest_ana"] and int(honest["score"]) > 0
    assert all(graded_batch.gradebook[("notebooks", a)]["status"] == "graded" for a in ASSIGNMENTS)


def test_solutions_hidden_tests_classmates_outdir_and_home_cannot_be_read(graded_batch):
    output = graded_batch.executed_output("reader")
    assert output.count("READ-BLOCKED") == 5 and "READ-OK" not in output
    linked = graded_batch.executed_output("linker")
    assert linked.count("READ-BLOCKED") == 4 and "READ-OK" not in linked


def test_no_network(graded_batch):
    assert "NET-BLOCKED" in graded_batch.executed_output("networker") and graded_batch.connections == []


def test_big_files_and_print_loops_cost_the_grader_nothing(graded_batch):
    assert "BIG-BLOCKED" in graded_batch.executed_output("big_file")
    printed = graded_batch.executed_output("printer")
    assert len(printed) < 4 * 2**20 and "salida recortada" in printed
    assert graded_batch.result("printer")["usage"]["judge_peak_mb"] < 1024
    assert graded_batch.grader_peak_mb < 1024


def test_bombs_are_refused_from_their_headers_with_bounded_memory(graded_batch):
    refused_from_header = f"unpacks to more than {MAX_ARTIFACT_BYTES // 2**20} MB"   # files.check_archive's words
    for student, exercise_id, words in [("npz_bomber", "1.8", "no se pudo leer"), ("keras_bomber", "1.10", "no se cargó")]:
        result = graded_batch.result(student)
        reason = next(e for e in result["exercises"] if e["id"] == exercise_id)["es"]
        assert words in reason and refused_from_header in reason, reason
        assert result["usage"]["judge_peak_mb"] < 1024


def test_an_output_rewritten_to_nest_too_deep_is_a_wrong_answer_not_a_grader_error(graded_batch):
    result = graded_batch.result("deep_writer")   # its status and score are checked with every row's
    reason = next(e for e in result["exercises"] if e["id"] == "1.1")["es"]
    assert result["status"] == "graded" and "no se pudo leer" in reason, reason


def test_an_executor_report_left_by_student_code_is_replaced_not_read(graded_batch):
    result = graded_batch.result("squatter")   # its status and score are checked with every row's
    assert result["status"] == "graded" and not result["notes"], result["notes"]
    assert "SQUAT-PLACED" in graded_batch.executed_output("squatter")   # the executor's own notebook


def test_reference_code_cannot_be_imported_and_nothing_leaks_through_feedback(graded_batch):
    reason = next(e for e in graded_batch.result("reference_importer")["exercises"] if e["id"] == "1.1")["es"]
    assert "ModuleNotFoundError" in reason
    leak = next(e for e in graded_batch.result("leaker")["exercises"] if e["id"] == "1.8")["es"]
    # the hidden file cannot be opened in the jail; what the exception carries is cut to the runner's limits
    assert "LEAK" in leak and "HIDDEN_CASES" not in leak and len(leak) < 400
    error_type = leak.split(" lanzó ")[1].split(":")[0]
    assert error_type.startswith("LEAK") and len(error_type) == runner.ERROR_TYPE_LIMIT
    assert "x" * (runner.ERROR_TEXT_LIMIT + 1) not in leak


def test_a_linked_notebook_is_refused_unread(graded_batch):
    result = graded_batch.result("linked_notebook")
    assert result["status"] == "unsafe-file" and "enlace" in result["notes"][0]["es"]


def test_hostile_names_are_escaped_and_file_names_are_safe(graded_batch):
    names = [path.name for folder in ("feedback", "results", "executed") for path in (graded_batch.outdir / folder).iterdir()]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", name) for name in names), names
    pages = "".join(path.read_text() for path in (graded_batch.outdir / "feedback").glob("*.html"))
    assert "<img src=x" not in pages and "&lt;img src=x onerror=alert(1)&gt;" in pages
    for export in ("gradebook.csv", "moodle_grades.csv"):
        cells = [cell for row in csv.reader((graded_batch.outdir / export).read_text().splitlines()) for cell in row]
        assert "'=HYPERLINK(\"x\")" in cells and not any(cell.startswith("=") for cell in cells)
