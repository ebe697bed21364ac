"""grader.grading.answers: the references' answers, cached per machine and grader version, are the answers."""
import numpy as np

from grader.grading import answers, control
from grader.hidden import hidden_cases, with_expected
from grader.exercises.registry import get_exercise


def cases_of(exercise_id):
    return get_exercise(exercise_id).cases() + hidden_cases(exercise_id)


def same(left, right):
    if isinstance(left, (list, tuple)):
        return type(left) is type(right) and len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, np.ndarray):
        return isinstance(right, np.ndarray) and left.dtype == right.dtype and np.array_equal(left, right)
    return type(left) is type(right) and left == right


def test_cached_answers_equal_the_references_and_a_corrupt_cache_is_recomputed(monkeypatch, tmp_path):
    monkeypatch.setenv(control.CACHE_ENV, str(tmp_path))
    truth = [case.expected for case in with_expected("1.5", cases_of("1.5"))]
    first = answers.with_answers("1.5", cases_of("1.5"))           # computed, then stored
    assert (answers.folder() / "1.5.json").is_file()
    second = answers.with_answers("1.5", cases_of("1.5"))          # read back from the cache
    assert all(same(a, b.expected) for a, b in zip(truth, first)) and all(
        same(a, b.expected) for a, b in zip(truth, second))
    for name, corrupt in (("1.5.json", b"[not json"), ("1.5.npz", b"PK\x03\x04 a torn zip")):
        (answers.folder() / name).write_bytes(corrupt)
        assert all(same(a, b.expected) for a, b in zip(truth, answers.with_answers("1.5", cases_of("1.5"))))


def test_the_cache_key_covers_package_data_not_only_source(monkeypatch, tmp_path):
    # The fruit table and the public answers are package data that references read: changing one must change
    # the grader's fingerprint, which keys the answers cache and the control's.
    (tmp_path / "resources").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "resources" / "fruit.csv").write_text("150,0.3,1\n")
    monkeypatch.setattr(control, "PACKAGE_DIR", tmp_path)
    before = control.grader_fingerprint.__wrapped__()
    (tmp_path / "resources" / "fruit.csv").write_text("151,0.3,1\n")
    assert control.grader_fingerprint.__wrapped__() != before
