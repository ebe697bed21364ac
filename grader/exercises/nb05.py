"""Notebook 05: LeNet-5, shapes, parameters and cost, receptive fields, batch normalisation and a VGG-style CNN.

Architecture checks use public Keras APIs only (isinstance against keras.layers classes,
get_config(), layer.output.shape, count_params()). The answers of the function exercises
come with each case (Case.expected, from the grading-only references in grader/hidden/nb05.py);
the judges only compare and explain. Accuracy is measured here, on the test sets loaded
through grader.data; when grading, also on small shifts of them (see ``ShiftCheckedModel``).
"""
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from pathlib import Path

import numpy as np

from grader.compare import array_mismatch, classification_accuracy, shift_images
from grader.core import Case, Verdict
from grader.data import grader_test_set
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.i18n import Msg

ASSIGNMENT = "05_cnn_classifier"

LENET_INPUT = (28, 28, 1)
LENET_FILTERS = (6, 16)
LENET_HIDDEN_UNITS = (120, 84)
LENET_SHAPES = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
LENET_PARAMS = 61706
LENET_MIN_ACCURACY = 0.988   # 20 seeds of the reference: 98.98-99.28 % (benchmarks/README.md)
VGG_MIN_ACCURACY = 0.90
VGG_MIN_BLOCKS = 2

# Layer lists: (kind, ...) with kind conv (filters, kernel, padding), pool (size), flatten, dense (units).
# The LeNet-5 list is the one the notebook uses; the second is keras.io's MNIST example.
LENET_SPEC = [("conv", 6, 5, "same"), ("pool", 2), ("conv", 16, 5, "valid"), ("pool", 2), ("flatten",),
              ("dense", 120), ("dense", 84), ("dense", 10)]
RECIPE_SPEC = [("conv", 32, 3, "valid"), ("pool", 2), ("conv", 64, 3, "valid"), ("pool", 2), ("flatten",),
               ("dense", 10)]
COLOR_SPEC = [("conv", 8, 3, "same"), ("conv", 8, 4, "same"), ("pool", 2), ("conv", 12, 5, "valid"),
              ("pool", 3), ("flatten",), ("dense", 7)]
# A taller than wide input: an answer that mixes up height and width fails in the notebook, not only when grading.
NON_SQUARE_INPUT = (20, 12, 3)
NON_SQUARE_SPEC = [("conv", 4, 3, "valid"), ("pool", 2), ("conv", 6, 3, "same"), ("flatten",), ("dense", 5)]
# Convolution and pooling parts, for the receptive fields of 5.5.
LENET_FEATURES = LENET_SPEC[:4]
VGG_TWO_BLOCKS = [("conv", 8, 3, "same"), ("conv", 8, 3, "same"), ("pool", 2),
                  ("conv", 16, 3, "same"), ("conv", 16, 3, "same"), ("pool", 2)]


# ------------------------------------------------------------- helpers

def _layers():
    from keras import layers
    return layers


def _is(layer, *names):
    layers = _layers()
    return isinstance(layer, tuple(getattr(layers, name) for name in names))


def _is_pool(layer):
    return _is(layer, "MaxPooling2D", "AveragePooling2D")


def _shape(layer):
    return tuple(int(d) for d in layer.output.shape[1:])


def _input_shape(model):
    return tuple(None if d is None else int(d) for d in model.inputs[0].shape[1:])


def _architecture_layers(model):
    """Layers that change shape or hold weights (Dropout, Activation, Rescaling... are skipped)."""
    return [layer for layer in model.layers if _is(layer, "Conv2D", "Dense", "Flatten") or _is_pool(layer)]


ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu", "Softmax": "softmax"}
LINEAR = ("linear", None)
SOFTMAX = ("softmax", "log_softmax")


def _activation(layer):
    """The activation a layer applies: its `activation` setting, or what an activation layer computes."""
    for name, activation in ACTIVATION_LAYERS.items():
        if _is(layer, name):
            return activation
    activation = layer.get_config().get("activation")
    return activation if activation is None or isinstance(activation, str) else "custom"


def _describe(layer):
    if _is(layer, "Conv2D"):
        return Msg("la Conv2D de {n} filtros", "the Conv2D with {n} filters").format(n=layer.get_config()["filters"])
    return Msg("la Dense de {n} neuronas", "the Dense layer with {n} units").format(n=layer.get_config()["units"])


def hidden_activation_problem(model) -> Msg | None:
    """Every Conv2D/Dense layer but the last needs a non-linear activation (its own or a layer right after it),
    and none of them may use softmax."""
    weighted = [i for i, layer in enumerate(model.layers) if _is(layer, "Conv2D", "Dense")]
    for index, following in zip(weighted, weighted[1:]):
        layer = model.layers[index]
        activations = [_activation(layer)] + [_activation(other) for other in model.layers[index + 1:following]
                                              if not _is(other, "Dropout", "BatchNormalization")
                                              and not _is_pool(other) and not _is(other, "Flatten")]
        if any(activation in SOFTMAX for activation in activations):
            return Msg("{layer} usa softmax, pero softmax va solo en la capa de salida: convierte las salidas en "
                       "probabilidades que suman 1. En una capa oculta usa una activación como ReLU",
                       "{layer} uses softmax, but softmax belongs in the output layer only: it turns the outputs into "
                       "probabilities that add up to 1. In a hidden layer use an activation such as ReLU").format(
                layer=_describe(layer))
        if all(activation in LINEAR for activation in activations):
            return Msg("{layer} no tiene función de activación: sin una no linealidad entre capas, dos capas "
                       "seguidas equivalen a una sola (cuaderno 01). Usa ReLU, o tanh como en 1998",
                       "{layer} has no activation function: without a non-linearity between layers, two layers in a "
                       "row are equivalent to one (notebook 01). Use ReLU, or tanh as in 1998").format(
                layer=_describe(layer))
    return None


def lenet_problem(model, shapes=None, params=LENET_PARAMS, classes=10) -> Msg | None:
    """What makes ``model`` not a LeNet-5 for 28×28×1 inputs and ``classes`` classes, or None. ``shapes`` and
    ``params`` are the reference's layer output shapes and parameter count (10 classes by default)."""
    import keras
    shapes = LENET_SHAPES if shapes is None else [tuple(shape) for shape in shapes]
    if not isinstance(model, keras.Model):
        return Msg(f"debe devolver un modelo de Keras y devolvió {type(model).__name__}",
                   f"must return a Keras model but returned {type(model).__name__}")
    if _input_shape(model) != LENET_INPUT:
        return Msg(f"la entrada debe tener forma {LENET_INPUT} y tiene {_input_shape(model)}",
                   f"the input must have shape {LENET_INPUT} but has {_input_shape(model)}")
    convs = [layer for layer in model.layers if _is(layer, "Conv2D")]
    filters = tuple(layer.get_config()["filters"] for layer in convs)
    if filters != LENET_FILTERS:
        return Msg(f"LeNet-5 tiene dos capas convolucionales, de 6 y 16 filtros (los canales de C1 y C3); el modelo "
                   f"tiene {filters}",
                   f"LeNet-5 has two convolutional layers, with 6 and 16 filters (the channels of C1 and C3); the "
                   f"model has {filters}")
    kernels = [tuple(layer.get_config()["kernel_size"]) for layer in convs]
    if any(kernel != (5, 5) for kernel in kernels):
        return Msg(f"los núcleos de LeNet-5 son de 5×5 (C3 pasa de 14×14 a 10×10 sin relleno); el modelo usa {kernels}",
                   f"LeNet-5's kernels are 5×5 (C3 goes from 14×14 to 10×10 without padding); the model uses {kernels}")
    units = tuple(layer.get_config()["units"] for layer in model.layers if _is(layer, "Dense"))
    if units != (*LENET_HIDDEN_UNITS, classes):
        return Msg(f"las capas densas de LeNet-5 tienen 120 y 84 neuronas, y la de salida una por clase ({classes}); "
                   f"el modelo tiene {units}",
                   f"LeNet-5's dense layers have 120 and 84 units, and the output layer one per class ({classes}); "
                   f"the model has {units}")
    pools = [layer for layer in model.layers if _is_pool(layer)]
    if len(pools) != 2:
        return Msg(f"LeNet-5 tiene una capa de pooling tras cada convolución (2); el modelo tiene {len(pools)}",
                   f"LeNet-5 has a pooling layer after each convolution (2); the model has {len(pools)}")
    got = [_shape(layer) for layer in _architecture_layers(model)]
    if got != shapes:
        first, (value, expected) = next((i, pair) for i, pair in enumerate(zip_longest(got, shapes))
                                        if pair[0] != pair[1])
        if expected is None:
            return Msg(f"LeNet-5 termina en la capa {first} con forma {shapes[-1]}; el modelo sigue con otra que da "
                       f"{value}",
                       f"LeNet-5 ends at layer {first} with shape {shapes[-1]}; the model goes on with one giving {value}")
        return Msg(f"la capa {first + 1} debería dar forma {expected} y da {value or 'nada'}. C1 debe conservar los "
                   f"28×28 de la entrada: eso pide relleno",
                   f"layer {first + 1} should output shape {expected} but gives {value or 'nothing'}. C1 must keep the "
                   f"input's 28×28: that takes padding")
    problem = hidden_activation_problem(model)
    if problem:
        return problem
    last = model.layers[-1].get_config().get("activation")
    if last != "softmax":
        return Msg(f"la última capa debe dar probabilidades con activation='softmax' (usa '{last}')",
                   f"the last layer must output probabilities with activation='softmax' (it uses '{last}')")
    weights = sum(layer.count_params() for layer in model.layers if _is(layer, "Conv2D", "Dense"))
    if weights != params:
        return Msg(f"las capas convolucionales y densas de esta LeNet-5 tienen {params} parámetros y las del modelo "
                   f"{weights}: ¿falta algún sesgo?",
                   f"the convolutional and dense layers of this LeNet-5 have {params} parameters and the model's "
                   f"{weights}: is a bias missing?")
    return None


def _accuracy_problem(model, dataset, minimum, advice: Msg):
    images, labels = grader_test_set(dataset)
    accuracy = classification_accuracy(model, images[..., None], labels)
    if accuracy < minimum:
        return Msg("exactitud en el conjunto de prueba {accuracy:.2%}, por debajo del {minimum} pedido. {advice}",
                   "test-set accuracy {accuracy:.2%}, below the required {minimum}. {advice}").format(
            accuracy=accuracy, minimum=f"{round(minimum * 100, 2):g}%", advice=advice)   # 98.8%, not 99%
    return None


def _layer_name(kind, *args):
    if kind == "conv":
        return f"conv {args[0]} {args[1]}×{args[1]} {args[2]}"
    if kind == "pool":
        return f"pool {args[0]}"
    if kind == "dense":
        return f"dense {args[0]}"
    return kind


def _as_int(value):
    """An answer's number as an int (NumPy integers included), or None when it is not a whole number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


# ----------------------------------------------------------- 5.1 build LeNet

def _build_cases():
    return [Case("build_lenet5", ()), Case("build_lenet5", (2,))]


def _judge_build(case, value):
    shapes, params = case.expected
    return lenet_problem(value, shapes, params, case.args[0] if case.args else 10)


# ------------------------------------------------ 5.2 predict shapes/params

def _predict_cases():
    return [Case("predict_shapes_and_params", (LENET_INPUT, LENET_SPEC)),
            Case("predict_shapes_and_params", ((28, 28, 1), RECIPE_SPEC)),
            Case("predict_shapes_and_params", ((32, 32, 3), COLOR_SPEC)),
            Case("predict_shapes_and_params", (NON_SQUARE_INPUT, NON_SQUARE_SPEC))]


def _shape_reason(layer_spec, before, shape) -> Msg:
    kind = layer_spec[0]
    if kind == "conv":
        filters, k, padding = layer_spec[1:]
        if len(shape) == 3 and shape[2] != filters:
            return Msg(": una convolución da un canal por filtro", ": a convolution gives one channel per filter")
        if padding == "same":
            return Msg(": con padding='same' y paso 1 cada lado conserva su tamaño, también con núcleos de lado par "
                       "(Keras rellena un píxel más por un lado)",
                       ": with padding='same' and stride 1 each side keeps its size, even with even-sized kernels "
                       "(Keras pads one more pixel on one side)")
        return Msg(f": sin relleno, ¿en cuántas posiciones cabe un núcleo de {k} píxeles en un lado de {before[0]}? "
                   f"Cuéntalo a mano en un caso pequeño",
                   f": without padding, in how many positions does a {k}-pixel kernel fit along a side of {before[0]}? "
                   f"Count it by hand on a small case")
    if kind == "pool":
        if len(shape) == 3 and shape[2] != before[-1]:
            return Msg(": el pooling actúa canal por canal y no cambia su número",
                       ": pooling works channel by channel and keeps their number")
        return Msg(f": el pooling de {layer_spec[1]} agrupa ventanas sin solaparse; si el lado no es múltiplo, las "
                   f"filas y columnas que sobran se descartan",
                   f": pooling of size {layer_spec[1]} groups non-overlapping windows; when the side is not a multiple, "
                   f"the leftover rows and columns are dropped")
    if kind == "flatten":
        return Msg(": el aplanado pone todos los valores en fila: una sola dimensión",
                   ": flattening lays all the values in one row: a single dimension")
    return Msg(": la salida de una densa tiene una dimensión, sus neuronas",
               ": a dense layer's output has one dimension, its units")


def _params_reason(layer_spec, before, params) -> Msg:
    kind = layer_spec[0]
    if kind == "conv":
        filters, k = layer_spec[1], layer_spec[2]
        channels = before[-1]
        if params == k * k * channels * filters:
            return Msg(": falta el sesgo de cada filtro", ": each filter's bias is missing")
        if params == (k * k + 1) * filters and channels > 1:
            return Msg(f": cada filtro ve los {channels} canales de entrada",
                       f": each filter sees all {channels} input channels")
        return Msg(": cuenta los pesos de un filtro (uno por posición del núcleo y canal de entrada) y su sesgo",
                   ": count one filter's weights (one per kernel position and input channel) and its bias")
    if kind in ("pool", "flatten"):
        return Msg(": esta capa no tiene pesos", ": this layer has no weights")
    if len(before) == 1 and params == before[0] * layer_spec[1]:
        return Msg(": falta el sesgo de cada neurona", ": each unit's bias is missing")
    return Msg(": una densa conecta cada entrada con cada neurona, y cada neurona tiene su sesgo",
               ": a dense layer connects every input to every unit, and every unit has its bias")


def _judge_predict(case, value):
    input_shape, spec = case.args
    expected_rows = case.expected
    if not isinstance(value, (list, tuple)) or len(value) != len(spec):
        return Msg(f"debe devolver una lista con un par (forma, parámetros) por capa: {len(spec)} pares",
                   f"must return a list with one (shape, parameters) pair per layer: {len(spec)} pairs")
    before = tuple(input_shape)
    for number, (row, (expected_shape, expected_params), layer_spec) in enumerate(
            zip(value, expected_rows, spec), start=1):
        if not isinstance(row, (list, tuple)) or len(row) != 2:
            return Msg(f"el elemento {number} debe ser un par (forma, parámetros) y es {row!r}",
                       f"item {number} must be a (shape, parameters) pair but is {row!r}")
        shape, params = row
        expected_shape = tuple(expected_shape)
        name = _layer_name(*layer_spec)
        if np.ndim(shape) == 0:
            shape = (shape,)
        shape = tuple(_as_int(d) for d in shape)
        if shape != expected_shape:
            return Msg("capa {number} ({name}): predices la forma {shape} y Keras da {expected}{reason}",
                       "layer {number} ({name}): you predict shape {shape} but Keras gives {expected}{reason}").format(
                number=number, name=name, shape=shape, expected=expected_shape,
                reason=_shape_reason(layer_spec, before, shape))
        if _as_int(params) != expected_params:
            return Msg("capa {number} ({name}): predices {params} parámetros y Keras cuenta {expected}{reason}",
                       "layer {number} ({name}): you predict {params} parameters but Keras counts {expected}{reason}"
                       ).format(number=number, name=name, params=params, expected=expected_params,
                                reason=_params_reason(layer_spec, before, _as_int(params)))
        before = expected_shape
    return None


# ------------------------------------------------ 5.3 multiplications per layer

def _cost_cases():
    return [Case("multiply_adds", (LENET_INPUT, LENET_SPEC)),
            Case("multiply_adds", ((32, 32, 3), COLOR_SPEC)),
            Case("multiply_adds", (NON_SQUARE_INPUT, NON_SQUARE_SPEC))]


def _cost_reason(layer_spec, channels, got, expected) -> Msg:
    kind = layer_spec[0]
    if kind in ("pool", "flatten"):
        return Msg(": esta capa compara o recoloca valores, no multiplica",
                   ": this layer compares or moves values, it does not multiply")
    if kind == "conv":
        filters, k = layer_spec[1], layer_spec[2]
        weights = k * k * channels * filters
        if got in (weights, weights + filters):
            return Msg(": eso cuesta una sola posición de la salida; cada filtro se aplica en todas las posiciones "
                       "del mapa de salida",
                       ": that is the cost of a single output position; each filter is applied at every position of "
                       "the output map")
        if got == expected + expected // (k * k * channels):
            return Msg(": el sesgo se suma, no se multiplica: no lo cuentes",
                       ": the bias is added, not multiplied: do not count it")
        return Msg(": cuenta los valores del mapa de salida (alto × ancho × filtros) y los pesos que usa cada uno",
                   ": count the output map's values (height × width × filters) and the weights each one uses")
    if got == expected + layer_spec[1]:
        return Msg(": el sesgo se suma, no se multiplica: no lo cuentes",
                   ": the bias is added, not multiplied: do not count it")
    return Msg(": cada neurona multiplica cada una de sus entradas por un peso",
               ": each unit multiplies each of its inputs by a weight")


def _judge_cost(case, value):
    input_shape, spec = case.args
    expected_rows = case.expected
    if not isinstance(value, (list, tuple)) or len(value) != len(spec):
        return Msg(f"debe devolver una lista con un número por capa: {len(spec)} números",
                   f"must return a list with one number per layer: {len(spec)} numbers")
    channels = input_shape[-1]
    for number, (got, expected, layer_spec) in enumerate(zip(value, expected_rows, spec), start=1):
        got_int = _as_int(got) if np.ndim(got) == 0 else None
        if got_int is None:
            return Msg(f"el elemento {number} debe ser un número entero y es {got!r}",
                       f"item {number} must be a whole number but is {got!r}")
        if got_int != expected:
            return Msg("capa {number} ({name}): predices {got} multiplicaciones por imagen y son {expected}{reason}",
                       "layer {number} ({name}): you predict {got} multiplications per image and there are "
                       "{expected}{reason}").format(
                number=number, name=_layer_name(*layer_spec), got=got_int, expected=expected,
                reason=_cost_reason(layer_spec, channels, got_int, expected))
        if layer_spec[0] == "conv":
            channels = layer_spec[1]
    return None


# ------------------------------------------------------- 5.5 receptive fields

def _field_cases():
    return [Case("receptive_field", (LENET_FEATURES,)),
            Case("receptive_field", (VGG_TWO_BLOCKS,)),
            Case("receptive_field", ([("conv", 6, 5, "same")],))]


def _judge_field(case, value):
    spec = case.args[0]
    expected_rows = case.expected
    if np.ndim(value) == 0 or len(value) != len(spec):
        return Msg(f"debe devolver una lista con el lado de la ventana de cada capa: {len(spec)} números",
                   f"must return a list with the window side of each layer: {len(spec)} numbers")
    for number, (got, expected, layer_spec) in enumerate(zip(value, expected_rows, spec), start=1):
        if _as_int(got) == expected:
            continue
        if layer_spec[0] == "pool":
            reason = Msg(f": la unidad del pooling ve {layer_spec[1]}×{layer_spec[1]} unidades vecinas de la capa "
                         f"anterior, y cada una tiene su propia ventana, desplazada respecto a la de su vecina",
                         f": a pooling unit sees {layer_spec[1]}×{layer_spec[1]} neighbouring units of the previous "
                         f"layer, and each has its own window, shifted from its neighbour's")
        elif any(earlier[0] == "pool" for earlier in spec[:number - 1]):
            reason = Msg(": después de un pooling, dos unidades vecinas del mapa están separadas por más de un píxel "
                         "en la entrada; un núcleo que se desplaza una unidad avanza todos esos píxeles",
                         ": after a pooling layer, two neighbouring units of the map are more than one pixel apart in "
                         "the input; a kernel that moves one unit moves all those pixels")
        else:
            reason = Msg(": las ventanas de unidades vecinas se solapan; cuenta los píxeles distintos que cubren",
                         ": the windows of neighbouring units overlap; count the distinct pixels they cover")
        return Msg("capa {number} ({name}): predices una ventana de {got} píxeles de lado y la medida es "
                   "{expected}{reason}",
                   "layer {number} ({name}): you predict a window {got} pixels wide and the measured one is "
                   "{expected}{reason}").format(number=number, name=_layer_name(*layer_spec), got=got,
                                                expected=expected, reason=reason)
    return None


# ---------------------------------------------------- 5.6 batch normalisation

# A batch small enough to read in a message: 3 examples, 2 features. The second feature barely varies, so
# where epsilon goes (and whether it is there) changes the answer well beyond rounding.
TINY_BATCH = np.array([[1.0, 0.50], [2.0, 0.52], [6.0, 0.47]])


def _batch_norm_args(rng, shape):
    """A batch whose features have different means and spreads, and parameters unlike Keras's initial ones."""
    features = shape[-1]
    x = rng.normal(rng.uniform(-3, 3, size=features), rng.uniform(0.05, 2, size=features), size=shape)
    return (x, rng.uniform(0.5, 2, size=features), rng.normal(size=features), rng.normal(size=features),
            rng.uniform(0.5, 2, size=features))


def _batch_norm_cases():
    rng = np.random.default_rng(56)
    ones, zeros = np.ones(2), np.zeros(2)
    return [
        # Keras's initial state and default momentum and epsilon.
        Case("batch_norm_train", (TINY_BATCH, ones, zeros, zeros, ones)),
        Case("batch_norm_train", (*_batch_norm_args(rng, (8, 3)), 0.9, 0.01)),
        # Images: the statistics of each channel cover the examples, the rows and the columns (not square).
        Case("batch_norm_train", (*_batch_norm_args(rng, (4, 5, 3, 2)), 0.8)),
        Case("batch_norm_inference", (TINY_BATCH, np.array([2.0, 0.5]), np.array([0.5, -1.0]),
                                      np.array([3.0, 0.5]), np.array([4.0, 0.0004]))),
        Case("batch_norm_inference", (*_batch_norm_args(rng, (3, 4, 2, 3)), 0.1)),
    ]


OUTPUT = Msg("la salida", "the output")
TRAIN_PARTS = (OUTPUT, Msg("la nueva media móvil", "the new moving mean"),
               Msg("la nueva varianza móvil", "the new moving variance"))
# What each typical mistake the reference computes (grader/hidden/nb05.py) means, in words.
BATCH_NORM_MISTAKES = {
    "n-1": Msg("coincide con la varianza que divide entre n − 1; Keras usa la varianza del lote tal cual, "
               "dividiendo entre el número de valores, al normalizar y en la media móvil",
               "it matches the variance divided by n − 1; Keras uses the batch's variance as it is, dividing by "
               "the number of values, both to normalise and in the moving average"),
    "epsilon-outside": Msg("coincide con sumar epsilon a la desviación típica; epsilon se suma a la varianza",
                           "it matches adding epsilon to the standard deviation; epsilon is added to the variance"),
    "moving-in-training": Msg("coincide con normalizar con las estadísticas móviles; en entrenamiento se normaliza "
                              "con la media y la varianza del lote",
                              "it matches normalising with the moving statistics; in training the batch's mean "
                              "and variance are used"),
    "batch-in-inference": Msg("coincide con normalizar con la media y la varianza del lote; en inferencia se usan "
                              "las estadísticas móviles, aprendidas al entrenar",
                              "it matches normalising with the batch's mean and variance; inference uses the "
                              "moving statistics, learned in training"),
    "momentum-swapped": Msg("coincide con dar el peso momentum al lote; momentum es el peso del valor móvil "
                            "anterior, el que cambia poco a poco",
                            "it matches giving the weight momentum to the batch; momentum is the weight of the "
                            "previous moving value, the one that changes slowly"),
    "first-axis-only": Msg("coincide con promediar solo sobre los ejemplos; en imágenes, cada canal se promedia "
                           "sobre los ejemplos, las filas y las columnas",
                           "it matches averaging over the examples only; in images, each channel is averaged over "
                           "the examples, the rows and the columns"),
    "no-scale-shift": Msg("coincide con la salida normalizada sin aplicar gamma y beta",
                          "it matches the normalised output without applying gamma and beta"),
}


def _part_problem(got, expected, mistakes, index, part: Msg) -> Msg | None:
    """How one returned array differs from Keras's, named after the typical mistake it matches, if any."""
    problem = array_mismatch(got, expected, rtol=1e-6, atol=1e-9)
    if problem is None:
        return None
    for kind, *variant in mistakes:
        if array_mismatch(variant[index], expected, rtol=1e-6, atol=1e-9) and \
                array_mismatch(got, variant[index], rtol=1e-6, atol=1e-9) is None:
            problem = BATCH_NORM_MISTAKES[kind]
            break
    return Msg.same("{part}: {problem}").format(part=part, problem=problem)


def _judge_batch_norm(case, value):
    right, mistakes = case.expected
    if case.function == "batch_norm_inference":
        return _part_problem(value, right[0], mistakes, 0, OUTPUT)
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        return Msg("debe devolver una tupla (salida, nueva media móvil, nueva varianza móvil)",
                   "must return a tuple (output, new moving mean, new moving variance)")
    for index in range(3):
        problem = _part_problem(value[index], right[index], mistakes, index, TRAIN_PARTS[index])
        if problem:
            return problem
    return None


# ---------------------------------------------------------- 5.4 / 5.7 models

# When grading (not in the notebook, to keep the check fast), the saved model is also measured on the
# grader's copy of the test set with every image moved by SHIFT_PIXELS in one of 8 directions. A model
# that was trained on the test images knows them better than their shifted copies, so its errors grow
# more under the shift than those of honest models. The ratio (errors on shifted images / errors on the
# originals) was measured on honest and on test-trained models: LeNet-5 2.0-2.5
# honest, 4.3 and more when the test set was in the training data; the small VGG 1.35-1.37 honest. A
# ratio above flag_ratio is flagged for the instructor; the grade itself does not change.
SHIFT_PIXELS = 1
SHIFT_SEED = 5


@cache
def shifted_test_set(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The grader's test set with each image shifted SHIFT_PIXELS pixels in one of 8 directions (fixed seed)."""
    images, labels = grader_test_set(name)
    directions = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    choice = np.random.default_rng(SHIFT_SEED).integers(0, len(directions), size=len(images))
    shifted = np.empty_like(images)
    for number, (dy, dx) in enumerate(directions):
        chosen = choice == number
        shifted[chosen] = shift_images(images[chosen], dy * SHIFT_PIXELS, dx * SHIFT_PIXELS)
    shifted.flags.writeable = False
    return shifted, labels


SHIFT_FLAG = Msg(" ⚠️ Aviso para el profesor: con las imágenes de prueba desplazadas {pixels} píxel, los errores pasan "
                 "de {test:.2%} a {shifted:.2%} ({ratio:.1f} veces más); en los modelos de referencia, entrenados sin "
                 "ver el conjunto de prueba, se multiplican por {honest:.1f} como mucho. ¿Se usó el conjunto de prueba "
                 "para entrenar?",
                 " ⚠️ Note for the instructor: with the test images shifted by {pixels} pixel, the errors go from "
                 "{test:.2%} to {shifted:.2%} ({ratio:.1f} times as many); in the reference models, trained without "
                 "seeing the test set, they grow {honest:.1f} times at most. Was the test set used for training?")


@dataclass(kw_only=True)
class ShiftCheckedModel(ModelExercise):
    """A model exercise whose grade also measures the model on shifted test images and flags a suspicious drop."""
    dataset: str
    honest_ratio: float  # the largest ratio measured on honest models (errors on shifted / on original images)
    flag_ratio: float    # ratios above this are flagged: honest_ratio with a margin

    def shift_note(self, model) -> Msg | None:
        images, labels = grader_test_set(self.dataset)
        shifted, _ = shifted_test_set(self.dataset)
        test_error = 1 - classification_accuracy(model, images[..., None], labels)
        shifted_error = 1 - classification_accuracy(model, shifted[..., None], labels)
        ratio = shifted_error / max(test_error, 1e-4)
        if ratio <= self.flag_ratio:
            return None
        return SHIFT_FLAG.format(pixels=SHIFT_PIXELS, test=test_error, shifted=shifted_error, ratio=ratio,
                                 honest=self.honest_ratio)

    def grade(self, workdir: Path, sandbox_verdicts: dict[str, Verdict]) -> Verdict:
        verdict = super().grade(workdir, sandbox_verdicts)
        if not verdict.correct:
            return verdict
        import keras
        note = self.shift_note(keras.saving.load_model(workdir / self.model_file, safe_mode=True))
        if note is None:
            return verdict
        return Verdict(verdict.status, Msg.same("{message}{note}").format(message=verdict.message, note=note))


def _judge_lenet_model(model):
    problem = lenet_problem(model)
    if problem:
        return problem
    return _accuracy_problem(model, "mnist", LENET_MIN_ACCURACY, Msg(
        "Mira la exactitud de validación época a época: ¿sigue subiendo al final? Revisa las pistas.",
        "Look at the validation accuracy epoch by epoch: is it still rising at the end? See the hints."))


def vgg_blocks(model) -> int:
    """Number of VGG blocks: two or more consecutive 3×3 Conv2D layers followed by a pooling layer."""
    blocks, run = 0, 0
    for layer in model.layers:
        if _is(layer, "Conv2D"):
            run = run + 1 if tuple(layer.get_config()["kernel_size"]) == (3, 3) else 0
        elif _is_pool(layer):
            blocks += run >= 2
            run = 0
        elif _is(layer, "Dense", "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            run = 0
    return blocks


def _judge_vgg_model(model):
    if _input_shape(model) != LENET_INPUT:
        return Msg(f"la entrada debe tener forma {LENET_INPUT} y tiene {_input_shape(model)}",
                   f"the input must have shape {LENET_INPUT} but has {_input_shape(model)}")
    blocks = vgg_blocks(model)
    if blocks < VGG_MIN_BLOCKS:
        return Msg(f"un bloque VGG son dos o más Conv2D de 3×3 seguidas y un pooling; el modelo tiene {blocks} "
                   f"y se piden al menos {VGG_MIN_BLOCKS}",
                   f"a VGG block is two or more consecutive 3×3 Conv2D layers and a pooling layer; the model has "
                   f"{blocks} and at least {VGG_MIN_BLOCKS} are required")
    return _accuracy_problem(model, "fashion_mnist", VGG_MIN_ACCURACY, Msg(
        "Compara la exactitud de entrenamiento y la de validación: si las dos son bajas, la red necesita más "
        "capacidad o más pasos; revisa las pistas.",
        "Compare training and validation accuracy: if both are low, the network needs more capacity or more "
        "steps; see the hints."))


# What grader.data must find on a grading machine for this notebook: its kernel and its judge read them.
DATASETS = ("mnist", "fashion_mnist")

# 5.4 and 5.7: 3 epochs of the 54 000 training images in Keras's default batches of 32 (1688 per epoch).
CNN_UPDATE_BUDGET = 3 * 1688
CNN_BUDGET_ADVICE = Msg(" (las de 3 épocas con lotes de 32, el tamaño por defecto; con lotes mayores caben más épocas)",
                        " (those of 3 epochs with batches of 32, the default size; larger batches allow more epochs)")

EXERCISES = [
    FunctionExercise("5.1", ASSIGNMENT, Msg("Construir LeNet-5", "Build LeNet-5"), ("build_lenet5",), (
        Msg("Cada fila de la tabla de LeNet-5 es una capa de Keras. Los canales de un mapa de características son "
            "los filtros de la convolución que lo produce; las capas densas tienen tantas neuronas como valores da "
            "su fila.",
            "Each row of the LeNet-5 table is a Keras layer. The channels of a feature map are the filters of the "
            "convolution that produces it; dense layers have as many units as values in their row."),
        Msg("El tamaño del núcleo sale de las formas: sin relleno, una convolución encoge cada lado en el tamaño "
            "del núcleo menos uno (C3 pasa de 14 a 10). C1 debe conservar los 28×28 de la entrada: necesita "
            "relleno. Un pooling con ventanas de s×s sin solapamiento divide cada lado entre s.",
            "The kernel size follows from the shapes: without padding, a convolution shrinks each side by the "
            "kernel size minus one (C3 goes from 14 to 10). C1 must keep the input's 28×28: it needs padding. "
            "Pooling with non-overlapping s×s windows divides each side by s."),
        Msg("Entre dos capas con pesos hace falta una activación no lineal (ReLU; tanh en 1998). La salida tiene "
            "una neurona por clase y softmax, que solo va ahí. Antes de las densas, aplana el mapa 5×5×16.",
            "Between two layers with weights a non-linear activation is needed (ReLU; tanh in 1998). The output "
            "has one unit per class and softmax, which goes there only. Before the dense layers, flatten the "
            "5×5×16 map.")),
        cases=_build_cases, judge_case=_judge_build),
    FunctionExercise("5.2", ASSIGNMENT, Msg("Predice: formas y parámetros", "Predict: shapes and parameters"),
                     ("predict_shapes_and_params",), (
        Msg("Recorre la lista llevando la forma actual: cada capa la transforma y cuenta sus propios parámetros; "
            "la capa siguiente parte de la forma nueva.",
            "Walk through the list carrying the current shape: each layer transforms it and counts its own "
            "parameters; the next layer starts from the new shape."),
        Msg("Forma: cuenta a mano en cuántas posiciones cabe un núcleo en un lado pequeño, sin relleno. Con "
            "relleno 'same' y paso 1 el lado no cambia, sea el núcleo par o impar. El pooling divide cada lado y "
            "descarta lo que sobra; el aplanado deja una sola dimensión.",
            "Shape: count by hand how many positions a kernel fits in along a small side, without padding. With "
            "'same' padding and stride 1 the side does not change, for odd or even kernels. Pooling divides each "
            "side and drops the leftover; flattening leaves a single dimension."),
        Msg("Parámetros: un filtro tiene un peso por posición del núcleo y por canal de entrada, más un sesgo; una "
            "densa, un peso por pareja entrada-neurona más un sesgo por neurona. Pooling y aplanado no tienen "
            "pesos.",
            "Parameters: a filter has one weight per kernel position and input channel, plus a bias; a dense "
            "layer, one weight per input-unit pair plus one bias per unit. Pooling and flattening have no "
            "weights.")),
        cases=_predict_cases, judge_case=_judge_predict),
    FunctionExercise("5.3", ASSIGNMENT, Msg("Predice: el coste de cada capa", "Predict: each layer's cost"),
                     ("multiply_adds",), (
        Msg("Un peso de una capa densa se usa una vez por imagen; un peso de una convolución, una vez en cada "
            "posición del mapa de salida.",
            "A dense layer's weight is used once per image; a convolution's weight, once at every position of the "
            "output map."),
        Msg("Para cada valor de salida, cuenta cuántas multiplicaciones lo producen (una por valor de entrada que "
            "ve) y multiplica por el número de valores de salida. El sesgo se suma: no cuenta.",
            "For each output value, count the multiplications that produce it (one per input value it sees) and "
            "multiply by the number of output values. The bias is added: it does not count."),
        Msg("Las formas de salida ya las calcula tu predict_shapes_and_params del ejercicio 5.2: úsala. Pooling y "
            "aplanado no multiplican.",
            "Your predict_shapes_and_params from exercise 5.2 already computes the output shapes: use it. Pooling "
            "and flattening do not multiply.")),
        cases=_cost_cases, judge_case=_judge_cost, uses={"predict_shapes_and_params": "5.2"}),
    ShiftCheckedModel("5.4", ASSIGNMENT, Msg("LeNet-5 en MNIST (≥ 98.8 %)", "LeNet-5 on MNIST (≥ 98.8 %)"), ("lenet",), (
        Msg("Con solo unas pocas épocas, lo que más pesa es la tasa de aprendizaje: pasos grandes al principio "
            "para avanzar, pasos pequeños al final para afinar.",
            "With only a few epochs, the learning rate matters most: large steps at the start to make progress, "
            "small steps at the end to fine-tune."),
        Msg("Keras tiene programas de tasa de aprendizaje (keras.optimizers.schedules) que la suben durante los "
            "primeros pasos y la bajan hasta casi cero al final; necesitan el número total de pasos, que es el "
            "número de lotes por época por el de épocas.",
            "Keras has learning-rate schedules (keras.optimizers.schedules) that raise it over the first steps and "
            "lower it to almost zero at the end; they need the total number of steps, the number of batches per "
            "epoch times the number of epochs."),
        Msg("Lotes más pequeños dan más actualizaciones por época y en una red tan pequeña cuestan casi lo mismo "
            "por imagen. Si la exactitud de validación no mejora en la última época, la tasa final es demasiado "
            "alta.",
            "Smaller batches give more updates per epoch and, in such a small network, cost about the same per "
            "image. If the validation accuracy does not improve in the last epoch, the final rate is too high.")),
        model_file="lenet5_mnist.keras", judge_model=_judge_lenet_model, dataset="mnist",
        update_budget=CNN_UPDATE_BUDGET, budget_advice=CNN_BUDGET_ADVICE,
        honest_ratio=2.5, flag_ratio=3.5),
    FunctionExercise("5.5", ASSIGNMENT, Msg("Predice: el campo receptivo", "Predict: the receptive field"),
                     ("receptive_field",), (
        Msg("Una unidad de una convolución k×k ve k×k unidades de la capa anterior, y cada una de ellas ve su "
            "propia ventana de la entrada; las ventanas de unidades vecinas se solapan.",
            "A unit of a k×k convolution sees k×k units of the previous layer, and each of those sees its own "
            "window of the input; the windows of neighbouring units overlap."),
        Msg("Lleva dos números capa a capa: el lado de la ventana y el salto, cuántos píxeles de la entrada separan "
            "dos unidades vecinas del mapa actual (1 en la entrada). Un núcleo de lado k añade k − 1 saltos a la "
            "ventana.",
            "Carry two numbers layer by layer: the window side and the jump, how many input pixels separate two "
            "neighbouring units of the current map (1 at the input). A kernel of side k adds k − 1 jumps to the "
            "window."),
        Msg("Un pooling de tamaño s también añade s − 1 saltos a la ventana, y después multiplica el salto por s. "
            "El relleno no cambia la ventana.",
            "A pooling layer of size s also adds s − 1 jumps to the window, and then multiplies the jump by s. "
            "Padding does not change the window.")),
        cases=_field_cases, judge_case=_judge_field),
    FunctionExercise("5.6", ASSIGNMENT, Msg("Normalización por lotes", "Batch normalisation"),
                     ("batch_norm_train", "batch_norm_inference"), (
        Msg("La normalización por lotes lleva cada canal a media 0 y varianza 1 con las estadísticas del lote, y "
            "después deja que la red elija la escala y el desplazamiento que le convienen (gamma y beta, que se "
            "aprenden). En inferencia no hay un lote en el que confiar (puede ser una sola imagen): se usan las "
            "estadísticas acumuladas durante el entrenamiento.",
            "Batch normalisation brings each channel to mean 0 and variance 1 with the batch's statistics, and then "
            "lets the network choose the scale and offset it needs (gamma and beta, which are learned). At "
            "inference there is no batch to rely on (it may be a single image): the statistics accumulated in "
            "training are used."),
        Msg("Las estadísticas son por canal, el último eje: se calculan sobre todos los demás ejes (los ejemplos y, "
            "en imágenes, también las filas y las columnas). La varianza es la del lote tal cual, dividiendo entre "
            "el número de valores, como hace Keras. Cada media móvil mezcla su valor anterior, con peso momentum, "
            "y el del lote actual, con el peso que falta hasta 1.",
            "The statistics are per channel, the last axis: they are computed over all the other axes (the "
            "examples and, in images, the rows and columns too). The variance is the batch's as it is, dividing "
            "by the number of values, as Keras does. Each moving average mixes its previous value, with weight "
            "momentum, and the current batch's, with the weight that is left up to 1."),
        Msg("En entrenamiento: estadísticas del lote; normaliza restando la media y dividiendo por la raíz de la "
            "varianza más epsilon; escala con gamma y desplaza con beta; actualiza las dos medias móviles con las "
            "estadísticas del lote (no con la salida) y devuelve las nuevas sin modificar las que recibiste. En "
            "inferencia: los mismos pasos de normalización con las estadísticas móviles, sin actualizar nada.",
            "In training: the batch's statistics; normalise by subtracting the mean and dividing by the square root "
            "of the variance plus epsilon; scale by gamma and shift by beta; update both moving averages with the "
            "batch's statistics (not with the output) and return the new ones without changing those you were "
            "given. At inference: the same normalisation steps with the moving statistics, updating nothing.")),
        cases=_batch_norm_cases, judge_case=_judge_batch_norm),
    ShiftCheckedModel("5.7", ASSIGNMENT, Msg("CNN estilo VGG en Fashion-MNIST (≥ 90 %)",
                                             "VGG-style CNN on Fashion-MNIST (≥ 90 %)"), ("vgg_model",), (
        Msg("Un bloque VGG son varias convoluciones 3×3 que conservan el tamaño del mapa y un pooling que lo "
            "reduce a la mitad; tras cada pooling, más filtros compensan la resolución perdida.",
            "A VGG block is a few 3×3 convolutions that keep the map's size and a pooling layer that halves it; "
            "after each pooling, more filters make up for the lost resolution."),
        Msg("Las convoluciones sobre el mapa completo de 28×28 son las más caras (ejercicio 5.3): empieza con pocos "
            "filtros. La normalización por lotes (ejercicio 5.6) estabiliza el entrenamiento y admite tasas de "
            "aprendizaje más altas.",
            "Convolutions over the full 28×28 map are the most expensive (exercise 5.3): start with few filters. "
            "Batch normalisation (exercise 5.6) steadies training and tolerates higher learning rates."),
        Msg("Con dos o tres épocas, el mismo tipo de programa de tasa de aprendizaje que en LeNet-5 da mucho, y la "
            "red no llega a sobreajustar: si la exactitud de validación supera a la de entrenamiento, la "
            "regularización fuerte solo la frena. Los filtros del último bloque, sobre mapas pequeños, son baratos.",
            "With two or three epochs, the same kind of learning-rate schedule as for LeNet-5 goes a long way, and "
            "the network does not get to overfit: if validation accuracy is above training accuracy, strong "
            "regularisation only slows it down. Filters in the last block, on small maps, are cheap.")),
        model_file="vgg_fashion.keras", judge_model=_judge_vgg_model, dataset="fashion_mnist",
        update_budget=CNN_UPDATE_BUDGET, budget_advice=CNN_BUDGET_ADVICE,
        honest_ratio=1.4, flag_ratio=1.8),
]
