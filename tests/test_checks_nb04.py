"""Notebook 04: plausible wrong answers fail with a specific reason, and this notebook's own
checks (the solution and the untouched notebook are covered for every notebook by test_checks_all.py)."""
import inspect

import nbformat
import numpy as np
import pytest

from helpers import (SOLUTIONS, assert_wrong_answer, definitions_of, function_exercises, graded_verdict, verdict,
                     wrong_answer_ids)
from mutation import notebook_mutation, unlisted_gaps
from grader.core import Case, Status
from grader.exercises import nb04
from grader.exercises.registry import get_exercise
from grader.hidden import nb04 as hidden04
from grader.notebook import verdict_in_notebook
from grader.runner import load_definitions

NAME = "04_convolutions_pooling.ipynb"
ASSIGNMENT = "04_convolutions_pooling"


@pytest.fixture(scope="module")
def solution_namespace():
    return definitions_of(SOLUTIONS / NAME)


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(SOLUTIONS / NAME, as_version=4)


def _cell(notebook, cell_id):
    return next(c for c in notebook.cells if c.get("id") == cell_id)


def test_worked_example_cell_is_output_checked_and_matches_the_slides(notebook):
    cell = _cell(notebook, "worked-example")
    assert cell.source.startswith("# NBVAL_CHECK_OUTPUT")
    printed = np.array([[int(v) for v in row.strip(" []").split()]
                        for row in cell.outputs[0]["text"].strip().split("\n")])
    np.testing.assert_array_equal(printed, nb04.WORKED_RESULT)


def test_keras_reference_reproduces_the_slides_worked_example():
    # The grading reference (a Keras Conv2D) and the seed's 5×5 result must agree.
    np.testing.assert_array_equal(hidden04.keras_correlate(nb04.WORKED_IMAGE, nb04.WORKED_KERNEL), nb04.WORKED_RESULT)


def test_keras_references_follow_the_formulas_the_notebook_states():
    for n, k, p, s in nb04.SIZE_CASES:
        assert hidden04.keras_output_size(n, k, p, s) == (n + 2 * p - k) // s + 1
    for (h, w, c), f, k, s in nb04.LAYER_CASES:
        shape, params = hidden04.keras_layer_shapes((h, w, c), f, k, s)
        assert shape == ((h - k) // s + 1, (w - k) // s + 1, f) and params == (k * k * c + 1) * f
    x = np.random.default_rng(0).normal(size=(7, 9))
    assert hidden04.keras_pool(x, 3, 2, "max").shape == (3, 4)
    assert hidden04.keras_pool(x, 3, 3, "min")[0, 0] == x[:3, :3].min()
    impulse = np.zeros((4, 4))
    impulse[1, 1] = 1
    np.testing.assert_array_equal(hidden04.keras_correlate(impulse, nb04.SMALL_KERNEL)[:2, :2],
                                  nb04.SMALL_KERNEL[::-1, ::-1])  # correlation stamps the kernel flipped


def test_the_student_package_computes_no_reference():
    # References live in grader/hidden/: the exercise module only compares with case.expected.
    source = inspect.getsource(nb04)
    for forbidden in ("import keras", "from keras", "keras.", "tensorflow", "grader.hidden import", "from grader.hidden"):
        assert forbidden not in source, forbidden


def test_reference_functions_pass_their_own_exercises():
    namespace = load_definitions(list(hidden04.REFERENCE_FUNCTIONS.values()))
    assert graded_verdict("4.1", namespace).status == Status.CORRECT
    assert graded_verdict("4.4", namespace).status == Status.CORRECT


def test_missing_function_is_not_attempted_with_a_reason(solution_namespace):
    namespace = {k: v for k, v in solution_namespace.items() if k != "pool2d"}
    result = verdict("4.6", namespace)
    assert result.status == Status.NOT_ATTEMPTED and "`pool2d`" in result.message.es


def test_exercises_come_in_notebook_order(notebook):
    ids = [cell.metadata["grader"]["exercise"] for cell in notebook.cells if "grader" in cell.metadata]
    assert ids == sorted(ids) == [exercise.id for exercise in nb04.EXERCISES]


@pytest.mark.parametrize("exercise", nb04.EXERCISES, ids=lambda e: e.id)
def test_hints_come_in_tiers_without_code(exercise):
    assert len(exercise.hints) >= 2
    for tier in exercise.hints:
        for code in ("np.", "[", "range(", " = ", "::", "//", "def ", "return", "layers.", "pad("):
            assert code not in tier.es and code not in tier.en, (exercise.id, code)


def test_predict_questions_come_before_the_cell_that_shows_the_answer(notebook):
    ids = [cell.get("id") for cell in notebook.cells]
    assert ids.index("check-4-3") < ids.index("impulse")
    assert ids.index("check-4-7") < ids.index("layer-shapes")
    assert get_exercise("4.3").points == get_exercise("4.7").points == 1


def test_run_all_line_glossary_and_neutral_spanish(notebook):
    first = notebook.cells[0].source
    assert "«Ejecutar todo» se detiene en el primer ejercicio sin terminar" in first
    glossary = _cell(notebook, "glossary").source
    for term in ("relleno", "paso", "mapa de características", "filtro o núcleo", "pooling (agrupación)"):
        assert term in glossary, term
    prose = "\n".join(cell.source for cell in notebook.cells) + inspect.getsource(nb04)
    for word in ("ordenador", "coger", "fichero", "vosotros", " vale,", "computador "):
        assert word not in prose, word


def test_channel_figure_and_its_text_agree(notebook):
    # Issue 11: Reds/Greens/Blues maps draw high values dark; the figure now paints 0 black and 255 bright.
    figure = _cell(notebook, "show-channels").source
    assert not any(cmap in figure for cmap in ('"Reds"', '"Greens"', '"Blues"'))
    assert "negro donde\nel canal vale 0" in _cell(notebook, "04-006").source
    assert "contraalmirante" in _cell(notebook, "04-002").source
    assert "de arriba" in _cell(notebook, "04-004").source
    assert "manos" not in _cell(notebook, "04-011").source


def test_multichannel_experiment_matches_keras(notebook):
    printed = _cell(notebook, "multichannel-photo").outputs[0]["text"]
    assert "¿coinciden NumPy y Keras? True" in printed and "¿el filtro 0 da la foto en gris? True" in printed


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


def correlate_square_kernels_only(image, kernel):
    k = kernel.shape[0]  # assumes kw == kh
    out = np.zeros((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)
    return out


def correlate_without_return(image, kernel):
    correlate_loops(image, kernel)


def convolve_without_flip(image, kernel):
    return correlate_loops(image, kernel)


def convolve_flip_rows(image, kernel):
    return correlate_loops(image, kernel[::-1, :])


def convolve_flip_columns(image, kernel):
    return correlate_loops(image, kernel[:, ::-1])


def impulse_kernel_as_is(kernel, shape, position):
    impulse = np.zeros(shape)
    impulse[position] = 1
    return correlate_loops(impulse, kernel[::-1, ::-1])  # the convolution's stamp


def impulse_same_shape_as_image(kernel, shape, position):
    output = np.zeros(shape)
    output[position] = kernel.sum()
    return output


def impulse_anchored_at_the_one(kernel, shape, position):
    kh, kw = kernel.shape
    output = np.zeros((shape[0] - kh + 1, shape[1] - kw + 1))
    r, c = position
    flipped = kernel[::-1, ::-1]
    for a in range(kh):
        for b in range(kw):
            if r + a < output.shape[0] and c + b < output.shape[1]:
                output[r + a, c + b] = flipped[a, b]
    return output


def output_size_off_by_one(n, k, p, s):
    return (n + 2 * p - k) // s


def output_size_float(n, k, p, s):
    return (n + 2 * p - k) / s + 1


def output_size_ignores_padding(n, k, p, s):
    return (n - k) // s + 1


def output_size_rounds_up(n, k, p, s):
    return -(-(n + 2 * p - k) // s) + 1


def output_size_one_side_padding(n, k, p, s):
    return (n + p - k) // s + 1


def _strided(image, kernel, padding, stride, last=1):
    padded = np.pad(image, padding)
    kh, kw = kernel.shape
    rows = range(0, padded.shape[0] - kh + last, stride)
    cols = range(0, padded.shape[1] - kw + last, stride)
    return np.array([[np.sum(padded[i:i + kh, j:j + kw] * kernel) for j in cols] for i in rows])


def strided_off_by_one(image, kernel, padding, stride):
    return _strided(image, kernel, padding, stride, last=0)  # misses the last position


def strided_without_padding(image, kernel, padding, stride):
    return _strided(image, kernel, 0, stride)


def strided_ignores_stride(image, kernel, padding, stride):
    return _strided(image, kernel, padding, 1)


def strided_flipped(image, kernel, padding, stride):
    return _strided(image, kernel[::-1, ::-1], padding, stride)


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


def _layer_shape(input_shape, kernel_size, stride, channels_out):
    h, w, _ = input_shape
    return ((h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1, channels_out)


def predict_without_channels(input_shape, filters, kernel_size, stride):
    return _layer_shape(input_shape, kernel_size, stride, filters), (kernel_size ** 2 + 1) * filters


def predict_without_biases(input_shape, filters, kernel_size, stride):
    return _layer_shape(input_shape, kernel_size, stride, filters), kernel_size ** 2 * input_shape[2] * filters


def predict_input_channels(input_shape, filters, kernel_size, stride):
    c = input_shape[2]
    return _layer_shape(input_shape, kernel_size, stride, c), (kernel_size ** 2 * c + 1) * filters


def predict_one_map_per_channel(input_shape, filters, kernel_size, stride):
    c = input_shape[2]
    return _layer_shape(input_shape, kernel_size, stride, c * filters), (kernel_size ** 2 * c + 1) * filters


def predict_same_padding(input_shape, filters, kernel_size, stride):
    h, w, c = input_shape
    return (-(-h // stride), -(-w // stride), filters), (kernel_size ** 2 * c + 1) * filters


def predict_only_params(input_shape, filters, kernel_size, stride):
    return (kernel_size ** 2 * input_shape[2] + 1) * filters


def _multichannel(image, kernels, biases, bias_times=1):
    kh, kw, channels, filters = kernels.shape
    maps = [sum(correlate_loops(image[:, :, c], kernels[:, :, c, f]) for c in range(channels)) + bias_times * biases[f]
            for f in range(filters)]
    return np.stack(maps, axis=-1)


def multichannel_without_biases(image, kernels, biases):
    return _multichannel(image, kernels, biases, bias_times=0)


def multichannel_filters_first(image, kernels, biases):
    return np.moveaxis(_multichannel(image, kernels, biases), -1, 0)


def multichannel_channels_not_added(image, kernels, biases):
    kh, kw, channels, filters = kernels.shape
    return np.stack([np.stack([correlate_loops(image[:, :, c], kernels[:, :, c, f]) + biases[f]
                               for f in range(filters)], axis=-1) for c in range(channels)], axis=2)


def multichannel_swapped_axes(image, kernels, biases):
    return _multichannel(image, kernels.transpose(0, 1, 3, 2), biases) if kernels.shape[2] == kernels.shape[3] \
        else _multichannel(image, kernels, biases)


def multichannel_bias_per_channel(image, kernels, biases):
    return _multichannel(image, kernels, biases, bias_times=image.shape[2])


SMALL_CALL = "conv2d_valid([[1., 2., 0.], [0., 1., 3.], [2., 0., 1.]] (3×3), [[1., 2.], [3., 4.]])"

WRONG_ANSWERS = [
    ("4.1", "conv2d_valid", correlate_flipped, "has volteado el núcleo"),
    ("4.1", "conv2d_valid", correlate_off_by_one, "te sobra o te falta una fila o columna"),
    ("4.1", "conv2d_valid", correlate_transposed_kernel, SMALL_CALL + ": debería dar [[ 9., 17.], [ 8., 11.]] y da [[11., 16.], [ 7., 14.]]"),
    ("4.1", "conv2d_valid", correlate_square_kernels_only, "la salida debería tener forma (2, 3) y tiene (2, 4): te "
                                                           "sobra o te falta una fila o columna"),
    ("4.1", "conv2d_valid", correlate_without_return, "no devuelve nada"),
    ("4.2", "convolve2d", convolve_without_flip, "falta voltear el núcleo en los dos ejes"),
    ("4.2", "convolve2d", convolve_flip_rows, "solo has volteado el núcleo de arriba abajo"),
    ("4.2", "convolve2d", convolve_flip_columns, "solo has volteado el núcleo de izquierda a derecha"),
    ("4.3", "impulse_response", impulse_kernel_as_is, "el núcleo aparece tal cual, sin voltear"),
    ("4.3", "impulse_response", impulse_same_shape_as_image, "la salida debería tener forma (2, 2) y tiene (3, 3)"),
    ("4.3", "impulse_response", impulse_anchored_at_the_one,
     "impulse_response([[1., 2.], [3., 4.]], (3, 3), (1, 1)): debería dar [[4., 3.], [2., 1.]] y da"),
    ("4.4", "output_size", output_size_off_by_one, "error de uno"),
    ("4.4", "output_size", output_size_float, "debe devolver un entero"),
    ("4.4", "output_size", output_size_ignores_padding, "output_size(7, 3, 1, 2): da 3 y Keras da 4"),
    ("4.4", "output_size", output_size_rounds_up, "output_size(32, 3, 1, 2): da 17 y Keras da 16: error de uno"),
    ("4.4", "output_size", output_size_one_side_padding, "el relleno va en los dos extremos"),
    ("4.5", "conv2d", strided_off_by_one, "te sobra o te falta una fila o columna"),
    ("4.5", "conv2d", strided_without_padding, "coincide con la convolución sin relleno"),
    ("4.5", "conv2d", strided_ignores_stride, "el núcleo avanza de 1 en 1"),
    ("4.5", "conv2d", strided_flipped, "has volteado el núcleo"),
    ("4.6", "pool2d", pool_stride_equals_size, "la que da un paso (stride) de 2"),
    ("4.6", "pool2d", pool_stride_one, "la que da un paso (stride) de 1"),
    ("4.6", "pool2d", pool_min_is_max, "eso es pooling 'max', no 'min'"),
    ("4.6", "pool2d", pool_sum_instead_of_mean, "no coincide con AveragePooling2D"),
    ("4.7", "predict_conv2d", predict_without_channels, "cada filtro tiene un núcleo 2×2 por cada canal de entrada"),
    ("4.7", "predict_conv2d", predict_without_biases, "faltan los sesgos, uno por filtro"),
    ("4.7", "predict_conv2d", predict_input_channels, "sale un mapa por filtro"),
    ("4.7", "predict_conv2d", predict_one_map_per_channel, "la salida tiene 6 canales y debería tener 3"),
    ("4.7", "predict_conv2d", predict_same_padding, "alto y ancho deberían ser (2, 3)"),
    ("4.7", "predict_conv2d", predict_only_params, "debe devolver una tupla (forma de la salida, número de"),
    ("4.8", "conv2d_multichannel", multichannel_without_biases, "coincide con la capa sin sesgos"),
    ("4.8", "conv2d_multichannel", multichannel_filters_first, "los filtros van en el último eje"),
    ("4.8", "conv2d_multichannel", multichannel_channels_not_added, "cada filtro suma las respuestas de sus 2 canales"),
    ("4.8", "conv2d_multichannel", multichannel_swapped_axes, "has intercambiado canales y filtros"),
    ("4.8", "conv2d_multichannel", multichannel_bias_per_channel, "sumas el sesgo una vez por canal"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises(ASSIGNMENT)}


@pytest.mark.parametrize("exercise_id, name, wrong", [
    ("4.1", "conv2d_valid", correlate_flipped), ("4.1", "conv2d_valid", correlate_off_by_one),
    ("4.2", "convolve2d", convolve_without_flip), ("4.3", "impulse_response", impulse_kernel_as_is),
    ("4.4", "output_size", output_size_rounds_up), ("4.5", "conv2d", strided_without_padding),
    ("4.6", "pool2d", pool_min_is_max), ("4.7", "predict_conv2d", predict_without_channels),
    ("4.8", "conv2d_multichannel", multichannel_without_biases)], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answer_also_fails_hidden_cases(exercise_id, name, wrong, solution_namespace):
    result = graded_verdict(exercise_id, solution_namespace, hidden_only=True, **{name: wrong})
    assert result.status == Status.WRONG and "prueba oculta" in result.message.es


def test_the_smallest_failing_input_is_reported_whole(solution_namespace):
    # Issue 11: no ~300-character dumps of random arrays; the first case that fails is a small one, shown whole.
    message = verdict("4.1", solution_namespace, conv2d_valid=correlate_transposed_kernel).message.es
    assert message.startswith("❌") is False and message.startswith(SMALL_CALL)
    assert "…" not in message.split(" Hay ")[0]
    for exercise in nb04.EXERCISES:
        first = exercise.cases()[0]
        assert len(first.describe()) <= 120 and "…" not in first.describe(), first.describe()


def test_a_loop_implementation_also_passes(solution_namespace):
    # Checks test behaviour: a plain window-by-window loop is as good as the vectorised solution.
    assert verdict("4.1", solution_namespace, conv2d_valid=correlate_loops).status == Status.CORRECT
    assert verdict("4.8", solution_namespace, conv2d_multichannel=_multichannel).status == Status.CORRECT


def test_hard_coding_the_worked_example_is_not_enough(solution_namespace):
    def worked_example_only(image, kernel):
        return nb04.WORKED_RESULT.copy()

    assert verdict("4.1", solution_namespace, conv2d_valid=worked_example_only).status == Status.WRONG


def test_a_broken_conv2d_valid_is_reported_once(solution_namespace):
    # One bug, one penalty: 4.2 and 4.8 call conv2d_valid; the notebook says to fix 4.1 first, and the
    # grader runs them with the reference conv2d_valid.
    broken = {**solution_namespace, "conv2d_valid": correlate_flipped}
    for exercise_id in ("4.2", "4.8"):
        result = verdict_in_notebook(get_exercise(exercise_id), broken)
        assert result.status == Status.WRONG and "Arregla primero el 4.1" in result.message.es
    assert get_exercise("4.2").uses == get_exercise("4.8").uses == {"conv2d_valid": "4.1"}
    with_reference = {**broken, **load_definitions([hidden04.REFERENCE_FUNCTIONS["conv2d_valid"]])}
    for exercise_id in ("4.2", "4.8"):
        assert graded_verdict(exercise_id, with_reference).status == Status.CORRECT
    assert get_exercise("4.5").uses == get_exercise("4.7").uses == {"output_size": "4.4"}


def test_expected_answers_carry_the_named_mistakes():
    case = Case("convolve2d", (nb04.SMALL_IMAGE, nb04.SMALL_KERNEL))
    answer, variants = hidden04.REFERENCES["4.2"](case)
    assert set(dict(variants)) == {"sin voltear", "filas", "columnas"}
    np.testing.assert_allclose(dict(variants)["sin voltear"], correlate_loops(nb04.SMALL_IMAGE, nb04.SMALL_KERNEL))


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("4.2", solution_namespace, convolve2d=convolve_without_flip)
    assert "the kernel must be flipped along both axes" in str(result.message)


# ---------------------------------------------------------------- mutation testing

EQUIVALENT_MUTANTS = {}  # none: the solutions unpack shapes by name, so no index change is invisible


# Mistakes that pass the public cases and fail the hidden ones on purpose (a probe that must stay secret), with why.
SECRET_PROBES = {}

HAND_WRITTEN = {}


@pytest.mark.slow
def test_mutants_of_the_solutions_fail_the_checks():
    # Killed by some case, and by a public one: a ✅ in the notebook is the grader's point.
    result = notebook_mutation(ASSIGNMENT, [e.id for e in function_exercises(ASSIGNMENT)], EQUIVALENT_MUTANTS,
                               HAND_WRITTEN)
    assert result.score >= 0.98, result.survivors
    assert not any(unlisted_gaps(result, SECRET_PROBES).values()), result.secret_gaps
    assert not [m.id for ms in HAND_WRITTEN.values() for m in ms if m.id in result.survivors]
