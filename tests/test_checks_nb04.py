"""Notebook 04: plausible wrong answers fail with a specific reason, and this notebook's own
checks (the solution and the untouched notebook are covered for every notebook by test_checks_all.py)."""
import nbformat
import numpy as np
import pytest

from helpers import SOLUTIONS, assert_wrong_answer, definitions_of, function_exercises, graded_verdict, verdict, wrong_answer_ids
from grader.core import Status
from grader.exercises import nb04

NAME = "04_convolutions_pooling.ipynb"


@pytest.fixture(scope="module")
def solution_namespace():
    return definitions_of(SOLUTIONS / NAME)


def test_worked_example_cell_is_output_checked_and_matches_the_slides():
    notebook = nbformat.read(SOLUTIONS / NAME, as_version=4)
    cell = next(c for c in notebook.cells if c.get("id") == "worked-example")
    assert cell.source.startswith("# NBVAL_CHECK_OUTPUT")
    printed = np.array([[int(v) for v in row.strip(" []").split()]
                        for row in cell.outputs[0]["text"].strip().split("\n")])
    np.testing.assert_array_equal(printed, nb04.WORKED_RESULT)


def test_keras_reference_reproduces_the_slides_worked_example():
    # The judge's reference (a Keras Conv2D) and the seed's 5×5 result must agree.
    np.testing.assert_array_equal(nb04.keras_correlate(nb04.WORKED_IMAGE, nb04.WORKED_KERNEL), nb04.WORKED_RESULT)


def test_keras_references_follow_the_output_size_formula():
    for n, k, p, s in nb04.SIZE_CASES:
        assert nb04.keras_output_size(n, k, p, s) == (n + 2 * p - k) // s + 1
    x = np.random.default_rng(0).normal(size=(7, 9))
    assert nb04.keras_pool(x, 3, 2, "max").shape == (3, 4)
    np.testing.assert_allclose(nb04.keras_pool(x, 3, 3, "min")[0, 0], x[:3, :3].min(), rtol=1e-6)


def test_missing_function_is_not_attempted_with_a_reason(solution_namespace):
    namespace = {k: v for k, v in solution_namespace.items() if k != "pool2d"}
    result = verdict("4.4", namespace)
    assert result.status == Status.NOT_ATTEMPTED and "`pool2d`" in result.message.es


# ---------------------------------------------------------------- wrong answers

def correlate_loops(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def correlate_flipped(image, kernel):
    return correlate_loops(image, kernel[::-1, ::-1])


def correlate_off_by_one(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw))  # forgets the + 1
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def correlate_transposed_kernel(image, kernel):
    return correlate_loops(image, kernel.T) if kernel.shape[0] == kernel.shape[1] else correlate_loops(image, kernel)


def convolve_without_flip(image, kernel):
    return correlate_loops(image, kernel)


def convolve_flip_one_axis(image, kernel):
    return correlate_loops(image, kernel[::-1, :])


def output_size_off_by_one(n, k, p, s):
    return (n + 2 * p - k) // s


def output_size_float(n, k, p, s):
    return (n + 2 * p - k) / s + 1


def output_size_ignores_padding(n, k, p, s):
    return (n - k) // s + 1


def strided_off_by_one(image, kernel, padding, stride):
    padded = np.pad(image, padding)
    kh, kw = kernel.shape
    rows = range(0, padded.shape[0] - kh, stride)  # misses the last position
    cols = range(0, padded.shape[1] - kw, stride)
    return np.array([[np.sum(padded[i:i + kh, j:j + kw] * kernel) for j in cols] for i in rows])


def strided_without_padding(image, kernel, padding, stride):
    kh, kw = kernel.shape
    rows = range(0, image.shape[0] - kh + 1, stride)
    cols = range(0, image.shape[1] - kw + 1, stride)
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in cols] for i in rows])


def _pool(x, size, stride, mode):
    reduce = {"max": np.max, "min": np.min, "avg": np.mean}[mode]
    rows = range(0, x.shape[0] - size + 1, stride)
    cols = range(0, x.shape[1] - size + 1, stride)
    return np.array([[reduce(x[i:i + size, j:j + size]) for j in cols] for i in rows])


def pool_stride_equals_size(x, size, stride, mode):
    return _pool(x, size, size, mode)


def pool_stride_one(x, size, stride, mode):
    return _pool(x, size, 1, mode)


def pool_min_is_max(x, size, stride, mode):
    return _pool(x, size, stride, "max" if mode == "min" else mode)


def pool_sum_instead_of_mean(x, size, stride, mode):
    return _pool(x, size, stride, mode) * (size * size if mode == "avg" else 1)


WRONG_ANSWERS = [
    ("4.1", "conv2d_valid", correlate_flipped, "has volteado el kernel"),
    ("4.1", "conv2d_valid", correlate_off_by_one, "te sobra o te falta una fila/columna"),
    ("4.1", "conv2d_valid", correlate_transposed_kernel, "no coincide con keras.layers.Conv2D"),
    ("4.2", "convolve2d", convolve_without_flip, "falta voltear el kernel"),
    ("4.2", "convolve2d", convolve_flip_one_axis, "solo has volteado el kernel en un eje"),
    ("4.3", "output_size", output_size_off_by_one, "error de uno"),
    ("4.3", "output_size", output_size_float, "debe devolver un entero"),
    ("4.3", "output_size", output_size_ignores_padding, "output_size(28, 5, 2, 1): da 24 y Keras da 28"),
    ("4.3", "conv2d", strided_off_by_one, "te sobra o te falta una fila/columna"),
    ("4.3", "conv2d", strided_without_padding, "con relleno p=1"),
    ("4.4", "pool2d", pool_stride_equals_size, "la que da un paso (stride) de 3"),
    ("4.4", "pool2d", pool_stride_one, "la que da un paso (stride) de 1"),
    ("4.4", "pool2d", pool_min_is_max, "eso es pooling 'max', no 'min'"),
    ("4.4", "pool2d", pool_sum_instead_of_mean, "no coincide con AveragePooling2D"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises("04_convolutions_pooling")}


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS[:2] + WRONG_ANSWERS[3:4],
                         ids=["flip", "off-by-one", "no-flip"])
def test_wrong_answer_also_fails_hidden_cases(exercise_id, name, wrong, reason, solution_namespace):
    result = graded_verdict(exercise_id, solution_namespace, hidden_only=True, **{name: wrong})
    assert result.status == Status.WRONG and "prueba oculta" in result.message.es


def test_a_loop_implementation_also_passes(solution_namespace):
    # Checks test behaviour: a plain window-by-window loop is as good as the vectorised solution.
    assert verdict("4.1", solution_namespace, conv2d_valid=correlate_loops).status == Status.CORRECT


def test_hard_coding_the_worked_example_is_not_enough(solution_namespace):
    def worked_example_only(image, kernel):
        return nb04.WORKED_RESULT.copy()

    result = verdict("4.1", solution_namespace, conv2d_valid=worked_example_only)
    assert result.status == Status.WRONG


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("4.2", solution_namespace, convolve2d=convolve_without_flip)
    assert "the kernel must be flipped along both axes" in str(result.message)
