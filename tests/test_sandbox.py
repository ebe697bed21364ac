"""grader.runner and grader.grading.sandbox: student functions run apart and return data only."""
import json
import zipfile

import nbformat
import numpy as np
import pytest

from grader import runner
from grader.core import Status
from grader.exercises.registry import get_exercise
from grader.grading.extract import extract_definitions
from grader.grading.limits import Limits
from grader.grading.sandbox import judge_output, layers, run_function_exercises, write_inputs
from helpers import SOLUTIONS, needs_jail, read, sandbox_environment
from submissions import STEP



def sandbox(tmp_path):
    (tmp_path / "sandbox").mkdir()
    return tmp_path / "sandbox"


def test_encoding_round_trips_plain_data_exactly(tmp_path):
    value = (np.arange(6.0).reshape(2, 3), [1, 2.5, True, "x", None], np.int64(7), ())
    arrays = {}
    encoded = runner.encode(value, arrays, tmp_path, "k")
    decoded = runner.decode(encoded, arrays)
    assert np.array_equal(decoded[0], value[0]) and decoded[1] == [1, 2.5, True, "x", None]
    assert type(decoded[1][0]) is int and decoded[2] == 7 and decoded[3] == ()


def test_encoding_refuses_objects_and_decoding_refuses_models(tmp_path):
    with pytest.raises(TypeError):
        runner.encode(object(), {}, tmp_path, "k")
    with pytest.raises(TypeError):
        runner.decode({"model": "x.keras"}, {})


def test_call_reports_missing_functions_and_exceptions_and_copies_inputs():
    def mutate(z):
        z[...] = 0
        raise ValueError("x" * 500)

    z = np.ones(3)
    record = runner.call({"f": mutate}, "f", (z,))
    assert record["error_type"] == "ValueError" and len(record["error_text"]) == runner.ERROR_TEXT_LIMIT
    assert z.tolist() == [1, 1, 1]
    assert runner.call({}, "g", ()) == {"error_type": "NameError", "error_text": "g"}


def torn_crc(outputs, exercise_id):   # one byte of the member's data flipped: the zip's directory still reads
    path = outputs / f"{exercise_id}.npz"
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF
    path.write_bytes(bytes(data))


def broken_npy_header(outputs, exercise_id):   # a sound zip whose member's .npy header never closes
    with zipfile.ZipFile(outputs / f"{exercise_id}.npz", "w") as archive:
        archive.writestr("a0.npy", b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'shape': (" + b" " * 100)


def deep_json(outputs, exercise_id):   # 100 KB, far under the size cap, too deep for json.loads
    (outputs / f"{exercise_id}.json").write_text("[" * 100_000)


@pytest.mark.parametrize("tear", [torn_crc, broken_npy_header, deep_json])
def test_outputs_rewritten_in_the_jail_that_do_not_load_are_the_students_wrong_answer(tmp_path, tear):
    """Student code shares the sandbox with the runner, so it can rewrite what the runner wrote: a file that
    passes the size checks but does not load is that exercise's wrong answer, not a crash of the judge."""
    exercise = get_exercise("1.1")
    write_inputs(tmp_path, [STEP], [exercise])
    runner.run(tmp_path, [exercise.id])
    assert judge_output(exercise, tmp_path).status == Status.CORRECT
    tear(tmp_path, exercise.id)
    verdict = judge_output(exercise, tmp_path)
    assert verdict.status == Status.WRONG and "no se pudo leer" in verdict.message.es, verdict.message.es


REPORT = {"timed_out": [], "died": None, "memory_errors": [], "stalled": None, "cells_cpu": {"0": 0.1}}


@pytest.mark.parametrize("status, executed", [
    (REPORT, '{"nbformat": 4, "nbformat_minor": 5, "metadata": 7, "cells": []}'),   # jsonschema's ValidationError
    (REPORT, "[1, 2]"),                                                              # AttributeError in nbformat
    (REPORT, "[" * 100_000),                                                         # RecursionError
    ({**REPORT, "stalled": "zero"}, None), ({**REPORT, "died": [1]}, None), ([REPORT], None),
])
def test_an_executor_report_that_does_not_parse_is_unreadable_not_a_crash(tmp_path, status, executed):
    """The executor's report is read only when it ended by itself, having just replaced both files; student
    code in its jail could still race it, so whatever the files hold, they are read or refused, never raised."""
    from grader.grading.kernel import read_report
    (tmp_path / ".status.json").write_text(json.dumps(status))
    (tmp_path / ".executed.ipynb").write_text(executed or nbformat.writes(nbformat.v4.new_notebook()))
    assert read_report(tmp_path) is None


def test_an_executor_report_that_parses_is_read(tmp_path):
    from grader.grading.kernel import read_report
    (tmp_path / ".status.json").write_text(json.dumps({**REPORT, "died": 2}))
    (tmp_path / ".executed.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    (timed_out, died, memory_errors, stalled, max_cell_cpu), executed = read_report(tmp_path)
    assert (timed_out, died, memory_errors, stalled, max_cell_cpu) == ([], 2, [], None, 0.1)
    assert executed.cells == []


def test_only_definitions_are_extracted():
    notebook = read(SOLUTIONS)
    snippets, problems = extract_definitions(notebook)
    assert problems == [] and any(s.startswith("def step(") for s in snippets)
    assert not any("fit(" in s and not s.startswith(("def", "class")) for s in snippets)


@pytest.mark.parametrize("source, status", [
    (STEP, Status.CORRECT),
    ("def step(z):\n    raise NotImplementedError", Status.NOT_ATTEMPTED),
    ("import os\ndef step(z):\n    os._exit(3)", Status.CRASHED),
    ("def step(z):\n    while True:\n        pass", Status.TIMEOUT),
])
def test_sandbox_verdicts(tmp_path, source, status):
    exercise = get_exercise("1.1")
    verdicts, *_ = run_function_exercises([source], [exercise], sandbox(tmp_path), Limits(exercise_seconds=2),
                                         sandbox_environment(tmp_path))
    assert verdicts["1.1"].status == status, verdicts["1.1"].message.es


def test_a_crash_costs_only_the_exercise_that_was_running(tmp_path):
    exercises = [get_exercise("1.1"), get_exercise("1.8")]
    source = STEP + "\nimport os\ndef collapse_linear_layers(W1, b1, W2, b2):\n    os._exit(3)"
    verdicts, *_ = run_function_exercises([source], exercises, sandbox(tmp_path), Limits(),
                                         sandbox_environment(tmp_path))
    assert verdicts["1.1"].status == Status.CORRECT and verdicts["1.8"].status == Status.CRASHED


def test_an_exercise_that_uses_an_earlier_function_is_graded_with_the_reference_one(tmp_path):
    # A wrong step (z > 0) costs 1.1 only: 1.4 runs with the reference step, and says so.
    source = ("import numpy as np\ndef step(z):\n    return np.where(np.asarray(z) > 0, 1.0, 0.0)\n"
              "def perceptron_forward(X, w, b):\n    return step(X @ w + b)")
    exercises = [get_exercise("1.1"), get_exercise("1.4")]
    verdicts, *_ = run_function_exercises([source], exercises, sandbox(tmp_path), Limits(),
                                         sandbox_environment(tmp_path))
    assert verdicts["1.1"].status == Status.WRONG and verdicts["1.4"].status == Status.CORRECT
    assert "1.4 se evaluó con la `step` de referencia porque la tuya falla en 1.1" in verdicts["1.4"].message.es


# The thief of issue 16 (finding 1): its functions solve nothing; they look for the grader's reference of
# themselves in whatever the sandbox hands them (cases.json, any file around) and in a stash kept by an
# earlier run or exercise, exec it and call it. Each variant also stashes every reference it sees.
THIEF = '''
import builtins, glob, json, os
import numpy as np

STASHES = {"global": None, "folder": "stolen.json", "tmp": "/tmp/stolen.json"}


def _references():
    found = dict(getattr(builtins, "_stolen", {}))
    for path in glob.glob("**/*.json", recursive=True) + glob.glob("/tmp/**/*.json", recursive=True):
        try:
            data = json.load(open(path))
        except Exception:
            continue
        for exercise in data.values() if isinstance(data, dict) else []:
            for source in exercise.get("overrides", []) if isinstance(exercise, dict) else []:
                found[source.split("def ", 1)[1].split("(", 1)[0]] = source
        if path.endswith("stolen.json") and isinstance(data, dict):
            found.update(data)
    return found


def _steal(name, *args):
    references = _references()
    where = STASHES[STASH]
    if where is None:
        builtins._stolen = references
    else:
        with open(where, "w") as handle:
            json.dump(references, handle)
    if name not in references:
        return None
    namespace = {"np": np}
    for source in references.values():
        exec(source, namespace)
    return namespace[name](*args)


def step(*args):
    return _steal("step", *args)


def perceptron_forward(*args):
    return _steal("perceptron_forward", *args)


def perceptron_update(*args):
    return _steal("perceptron_update", *args)


def train_perceptron(*args):
    return _steal("train_perceptron", *args)
'''
STOLEN = ("1.1", "1.4", "1.5", "1.6")


@needs_jail
@pytest.mark.parametrize("stash", ["global", "folder", "tmp"])
def test_a_thief_finds_no_reference_that_solves_an_exercise_still_being_graded(tmp_path, stash):
    # 1.7 uses all four functions, so the old sandbox handed out every reference the thief needs.
    exercises = [get_exercise(eid) for eid in (*STOLEN, "1.7")]
    verdicts = run_function_exercises([f"STASH = {stash!r}", THIEF], exercises, sandbox(tmp_path), Limits(),
                                      sandbox_environment(tmp_path))[0]
    assert not any(verdicts[eid].correct for eid in STOLEN), {eid: verdicts[eid].message.es for eid in STOLEN}


def test_layers_refuse_a_dependency_cycle_rather_than_run_references_with_their_own_exercise():
    from types import SimpleNamespace
    first, second = SimpleNamespace(id="9.1", uses={"g": "9.2"}), SimpleNamespace(id="9.2", uses={"f": "9.1"})
    with pytest.raises(ValueError, match="9.1, 9.2"):
        layers([first, second])
    assert [[e.id for e in layer] for layer in layers([SimpleNamespace(id="9.3", uses={"f": "9.1"}), first,
                                                       SimpleNamespace(id="9.2", uses={})])] == [["9.2"], ["9.1"],
                                                                                                 ["9.3"]]
