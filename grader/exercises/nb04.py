"""Notebook 04: convolutions, padding and stride, pooling.

Every reference comes from Keras layers (Conv2D, ZeroPadding2D, MaxPooling2D,
AveragePooling2D) run on the same inputs with the same weights, never from the
solution notebook's code. Keras computes cross-correlation (no kernel flip);
the true convolution of exercise 4.2 is the Keras result with the kernel
flipped, and min pooling is -maxpool(-x), since Keras has no min-pool layer.
"""
import numpy as np

from grader.compare import array_mismatch
from grader.core import Case
from grader.exercises.base import FunctionExercise
from grader.i18n import Msg

ASSIGNMENT = "04_convolutions_pooling"

# The course slides' worked example: a 7×7 binary image, an X-shaped kernel and the 5×5 result.
WORKED_IMAGE = np.array([
    [0, 1, 1, 1, 0, 0, 0],
    [0, 0, 1, 1, 1, 0, 0],
    [0, 0, 0, 1, 1, 1, 0],
    [0, 0, 0, 1, 1, 0, 0],
    [0, 0, 1, 1, 0, 0, 0],
    [0, 1, 1, 0, 0, 0, 0],
    [1, 1, 0, 0, 0, 0, 0],
], dtype=float)
WORKED_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
WORKED_RESULT = np.array([
    [1, 4, 3, 4, 1],
    [1, 2, 4, 3, 3],
    [1, 2, 3, 4, 1],
    [1, 3, 3, 1, 1],
    [3, 3, 1, 1, 0],
], dtype=float)

TOLERANCE = dict(rtol=1e-5, atol=1e-5)  # float32 Keras against float64 NumPy


# ------------------------------------------------------------- Keras references

def keras_correlate(image, kernel, padding=0, stride=1):
    """What keras.layers.Conv2D computes on a one-channel image with this kernel (no bias)."""
    import keras
    from keras import layers
    image, kernel = np.asarray(image, dtype="float32"), np.asarray(kernel, dtype="float32")
    conv = layers.Conv2D(1, kernel.shape, strides=stride, padding="valid", use_bias=False)
    model = keras.Sequential([keras.Input(image.shape + (1,)), layers.ZeroPadding2D(padding), conv])
    conv.set_weights([kernel[:, :, None, None]])
    return keras.ops.convert_to_numpy(model(image[None, :, :, None]))[0, :, :, 0].astype(float)


def keras_output_size(n, k, p, s):
    """Output side length Keras reports for a ZeroPadding2D(p) + Conv2D(k, strides=s) stack."""
    import keras
    from keras import layers
    inputs = keras.Input((n, n, 1))
    outputs = layers.Conv2D(1, k, strides=s)(layers.ZeroPadding2D(p)(inputs))
    return int(outputs.shape[1])


def keras_pool(x, size, stride, mode):
    """Max/average pooling through Keras layers; min pooling as -maxpool(-x) (Keras has no min pooling)."""
    from keras import layers, ops
    x = np.asarray(x, dtype="float32")[None, :, :, None]
    if mode == "max":
        out = layers.MaxPooling2D(size, strides=stride)(x)
    elif mode == "min":
        out = -layers.MaxPooling2D(size, strides=stride)(-x)
    elif mode == "avg":
        out = layers.AveragePooling2D(size, strides=stride)(x)
    else:
        raise ValueError(mode)
    return ops.convert_to_numpy(out)[0, :, :, 0].astype(float)


def _as_2d(value):
    value = np.asarray(value, dtype=float)
    return value


def _matches(value, expected):
    return value.shape == expected.shape and np.allclose(value, expected, **TOLERANCE)


def _shape_off_by_one(value, expected):
    return (value.ndim == expected.ndim == 2 and value.shape != expected.shape
            and all(abs(a - b) <= 1 for a, b in zip(value.shape, expected.shape)))


OFF_BY_ONE = Msg("la salida tiene forma {got} y debería ser {expected}: te sobra o te falta una fila/columna. "
                 "Con salida 'valid' caben n − k + 1 posiciones (fórmula (n + 2p − k) // s + 1)",
                 "the output has shape {got} but should be {expected}: one row/column too many or too few. "
                 "A 'valid' output has n − k + 1 positions (formula (n + 2p − k) // s + 1)")


# ------------------------------------------------------ 4.1 cross-correlation

def _random_pairs(seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(6, 8)), rng.normal(size=(3, 3))),
            (rng.integers(0, 256, size=(9, 7)).astype(float), rng.normal(size=(2, 4))),
            (rng.normal(size=(5, 5)), rng.normal(size=(5, 5)))]


def _correlate_cases():
    return ([Case("conv2d_valid", (WORKED_IMAGE, WORKED_KERNEL))]
            + [Case("conv2d_valid", pair) for pair in _random_pairs(41)])


def _judge_correlate(case, value):
    image, kernel = case.args
    value, expected = _as_2d(value), keras_correlate(image, kernel)
    if _shape_off_by_one(value, expected):
        return OFF_BY_ONE.format(got=value.shape, expected=expected.shape)
    if image.shape == WORKED_IMAGE.shape and np.array_equal(image, WORKED_IMAGE) \
            and np.array_equal(kernel, WORKED_KERNEL) and not _matches(value, WORKED_RESULT):
        problem = array_mismatch(value, WORKED_RESULT)
        return Msg("no reproduce el ejemplo de las diapositivas: {problem}",
                   "does not reproduce the slides' worked example: {problem}").format(problem=problem)
    if _matches(value, keras_correlate(image, kernel[::-1, ::-1])) and not _matches(value, expected):
        return Msg("has volteado el kernel: eso es la convolución matemática. Keras (y este ejercicio) calcula "
                   "la correlación cruzada, sin voltear",
                   "you flipped the kernel: that is the mathematical convolution. Keras (and this exercise) "
                   "computes cross-correlation, without the flip")
    problem = array_mismatch(value, expected, **TOLERANCE)
    if problem:
        return Msg("no coincide con keras.layers.Conv2D con los mismos pesos: {problem}",
                   "does not match keras.layers.Conv2D with the same weights: {problem}").format(problem=problem)
    return None


# ------------------------------------------------------- 4.2 true convolution

def _convolve_cases():
    return [Case("convolve2d", pair) for pair in _random_pairs(42)]


def _judge_convolve(case, value):
    image, kernel = case.args
    value = _as_2d(value)
    expected = keras_correlate(image, kernel[::-1, ::-1])
    if _shape_off_by_one(value, expected):
        return OFF_BY_ONE.format(got=value.shape, expected=expected.shape)
    if _matches(value, keras_correlate(image, kernel)) and not _matches(value, expected):
        return Msg("coincide con la correlación cruzada: falta voltear el kernel en ambos ejes "
                   "(kernel[::-1, ::-1]) antes de deslizarlo",
                   "it matches the cross-correlation: the kernel must be flipped along both axes "
                   "(kernel[::-1, ::-1]) before sliding it")
    if _matches(value, expected):
        return None
    if _matches(value, keras_correlate(image, kernel[::-1, :])) or \
            _matches(value, keras_correlate(image, kernel[:, ::-1])):
        return Msg("solo has volteado el kernel en un eje: hay que voltearlo en los dos (kernel[::-1, ::-1])",
                   "you flipped the kernel along one axis only: flip it along both (kernel[::-1, ::-1])")
    return array_mismatch(value, expected, **TOLERANCE)


# ---------------------------------------------------- 4.3 padding and stride

SIZE_CASES = [(7, 3, 0, 1), (28, 5, 2, 1), (28, 5, 0, 1), (32, 3, 1, 2), (10, 3, 0, 2), (9, 4, 1, 3), (6, 6, 0, 1)]


def _size_cases():
    return [Case("output_size", args) for args in SIZE_CASES]


def _judge_size(case, value):
    expected = keras_output_size(*case.args)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return Msg(f"debe devolver un entero (int) y devolvió {type(value).__name__} {value!r}: usa la división "
                   f"entera //",
                   f"must return an integer (int) but returned {type(value).__name__} {value!r}: use integer "
                   f"division //")
    if abs(int(value) - expected) == 1:
        return Msg(f"da {value} y Keras da {expected}: error de uno. Revisa el + 1 de (n + 2p − k) // s + 1",
                   f"gives {value} but Keras gives {expected}: off by one. Check the + 1 in (n + 2p − k) // s + 1")
    if int(value) != expected:
        return Msg(f"da {value} y Keras da {expected}", f"gives {value} but Keras gives {expected}")
    return None


def _padding_stride_cases():
    return _size_cases() + _strided_cases()


def _judge_padding_stride(case, value):
    return (_judge_size if case.function == "output_size" else _judge_strided)(case, value)


def _strided_cases():
    rng = np.random.default_rng(43)
    return [Case("conv2d", (WORKED_IMAGE, WORKED_KERNEL, 1, 1)),
            Case("conv2d", (rng.normal(size=(8, 8)), rng.normal(size=(3, 3)), 0, 2)),
            Case("conv2d", (rng.normal(size=(7, 9)), rng.normal(size=(3, 3)), 1, 2)),
            Case("conv2d", (rng.normal(size=(10, 11)), rng.normal(size=(4, 2)), 2, 3)),
            Case("conv2d", (rng.normal(size=(6, 6)), rng.normal(size=(2, 2)), 0, 1))]


def _judge_strided(case, value):
    image, kernel, padding, stride = case.args
    value, expected = _as_2d(value), keras_correlate(image, kernel, padding, stride)
    if _shape_off_by_one(value, expected):
        return OFF_BY_ONE.format(got=value.shape, expected=expected.shape)
    if value.shape != expected.shape:
        return Msg(f"la salida debería tener forma {expected.shape} y tiene {value.shape}: con relleno p={padding} "
                   f"y paso s={stride} cada lado mide (n + 2p − k) // s + 1",
                   f"the output should have shape {expected.shape} but has {value.shape}: with padding p={padding} "
                   f"and stride s={stride} each side is (n + 2p − k) // s + 1")
    problem = array_mismatch(value, expected, **TOLERANCE)
    if problem:
        return Msg(
            "no coincide con ZeroPadding2D({padding}) + Conv2D(strides={stride}): {problem}",
            "does not match ZeroPadding2D({padding}) + Conv2D(strides={stride}): {problem}").format(
            padding=padding, stride=stride, problem=problem)
    return None


# ------------------------------------------------------------- 4.4 pooling

def _pool_cases():
    rng = np.random.default_rng(44)
    x = rng.normal(size=(8, 8))
    y = rng.integers(0, 10, size=(7, 9)).astype(float)
    return [Case("pool2d", (x, 2, 2, "max")), Case("pool2d", (x, 2, 2, "min")), Case("pool2d", (x, 2, 2, "avg")),
            Case("pool2d", (y, 3, 2, "max")), Case("pool2d", (y, 2, 1, "min")), Case("pool2d", (y, 3, 3, "avg")),
            Case("pool2d", (rng.normal(size=(9, 6)), 2, 3, "max"))]


MODE_NAMES = {"max": "MaxPooling2D", "avg": "AveragePooling2D", "min": "−MaxPooling2D(−x)"}


def _judge_pool(case, value):
    x, size, stride, mode = case.args
    value, expected = _as_2d(value), keras_pool(x, size, stride, mode)
    wrong_strides = [s for s in sorted({1, size}) if s != stride]
    for wrong in wrong_strides:
        if value.shape == keras_pool(x, size, wrong, mode).shape and value.shape != expected.shape:
            return Msg(f"la salida tiene forma {value.shape}, la que da un paso (stride) de {wrong}; con "
                       f"ventana {size} y paso {stride} debería ser {expected.shape}. Usa el argumento stride",
                       f"the output has shape {value.shape}, which a stride of {wrong} gives; with window {size} "
                       f"and stride {stride} it should be {expected.shape}. Use the stride argument")
    if _shape_off_by_one(value, expected):
        return OFF_BY_ONE.format(got=value.shape, expected=expected.shape)
    other_modes = [m for m in MODE_NAMES if m != mode and _matches(value, keras_pool(x, size, stride, m))]
    if other_modes and not _matches(value, expected):
        return Msg(f"eso es pooling '{other_modes[0]}', no '{mode}'", f"that is '{other_modes[0]}' pooling, "
                                                                      f"not '{mode}'")
    problem = array_mismatch(value, expected, **TOLERANCE)
    if problem:
        return Msg("no coincide con {layer}({size}, strides={stride}) de Keras: {problem}",
                   "does not match Keras {layer}({size}, strides={stride}): {problem}").format(
            layer=MODE_NAMES[mode], size=size, stride=stride, problem=problem)
    return None


EXERCISES = [
    FunctionExercise("4.1", ASSIGNMENT, Msg("Convolución 2-D 'valid' (correlación cruzada)",
                                    "2-D 'valid' convolution (cross-correlation)"), ("conv2d_valid",),
             Msg("La salida mide (H − kh + 1) × (W − kw + 1). Cada valor es np.sum(ventana * kernel), con la "
                 "ventana image[i:i + kh, j:j + kw]. Sin voltear el kernel.",
                 "The output is (H − kh + 1) × (W − kw + 1). Each value is np.sum(window * kernel), with the "
                 "window image[i:i + kh, j:j + kw]. Do not flip the kernel."),
             cases=_correlate_cases, judge_case=_judge_correlate),
    FunctionExercise("4.2", ASSIGNMENT, Msg("Convolución matemática (kernel volteado)",
                                    "Mathematical convolution (flipped kernel)"), ("convolve2d",),
             Msg("Voltea el kernel en los dos ejes con kernel[::-1, ::-1] y reutiliza conv2d_valid.",
                 "Flip the kernel along both axes with kernel[::-1, ::-1] and reuse conv2d_valid."),
             cases=_convolve_cases, judge_case=_judge_convolve),
    FunctionExercise("4.3", ASSIGNMENT, Msg("Relleno (padding) y paso (stride)", "Padding and stride"),
             ("output_size", "conv2d"),
             Msg("Cada lado mide (n + 2p − k) // s + 1 (el // descarta la última posición que no cabe entera). "
                 "Rellena con np.pad(image, padding) y visita las posiciones i * stride, j * stride.",
                 "Each side is (n + 2p − k) // s + 1 (// drops the last position that does not fit). "
                 "Pad with np.pad(image, padding) and visit positions i * stride, j * stride."),
             cases=_padding_stride_cases, judge_case=_judge_padding_stride),
    FunctionExercise("4.4", ASSIGNMENT, Msg("Pooling máximo, mínimo y promedio", "Max, min and average pooling"),
             ("pool2d",),
             Msg("Como la convolución con paso, pero sin relleno y sin kernel: cada salida es np.max, np.min o "
                 "np.mean de la ventana x[i*stride:i*stride + size, j*stride:j*stride + size].",
                 "Like the strided convolution, without padding or kernel: each output is np.max, np.min or "
                 "np.mean of the window x[i*stride:i*stride + size, j*stride:j*stride + size]."),
             cases=_pool_cases, judge_case=_judge_pool),
]
