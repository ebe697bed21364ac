"""Notebook 05: LeNet-5 and a VGG-style CNN.

Architecture checks use public Keras APIs only (isinstance against keras.layers
classes, get_config(), layer.output.shape, count_params()). Shape and parameter
predictions are compared with a Keras model built from the same layer list.
Accuracy is measured here, on the test sets loaded through grader.data.
"""
from itertools import zip_longest

from grader.compare import classification_accuracy
from grader.core import Case
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.data import grader_test_set
from grader.i18n import Msg

ASSIGNMENT = "05_cnn_classifier"

LENET_INPUT = (28, 28, 1)
LENET_FILTERS = (6, 16)
LENET_UNITS = (120, 84, 10)
LENET_SHAPES = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
LENET_PARAMS = 61706
LENET_MIN_ACCURACY = 0.99
VGG_MIN_ACCURACY = 0.90
VGG_MIN_BLOCKS = 2

# Layer lists for exercise 5.2: (kind, ...) with kind conv (filters, kernel, padding), pool (size),
# flatten, dense (units). The LeNet-5 list is the one the notebook uses.
LENET_SPEC = [("conv", 6, 5, "same"), ("pool", 2), ("conv", 16, 5, "valid"), ("pool", 2), ("flatten",),
              ("dense", 120), ("dense", 84), ("dense", 10)]
RECIPE_SPEC = [("conv", 32, 3, "valid"), ("pool", 2), ("conv", 64, 3, "valid"), ("pool", 2), ("flatten",),
               ("dense", 10)]
COLOR_SPEC = [("conv", 8, 3, "same"), ("conv", 8, 3, "same"), ("pool", 2), ("conv", 12, 5, "valid"),
              ("pool", 3), ("flatten",), ("dense", 7)]


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


def lenet_problem(model) -> Msg | None:
    """What makes ``model`` not a LeNet-5 for 28×28×1 inputs, or None."""
    import keras
    if not isinstance(model, keras.Model):
        return Msg(f"debe devolver un modelo de Keras y devolvió {type(model).__name__}",
                   f"must return a Keras model but returned {type(model).__name__}")
    if _input_shape(model) != LENET_INPUT:
        return Msg(f"la entrada debe tener forma {LENET_INPUT} y tiene {_input_shape(model)}",
                   f"the input must have shape {LENET_INPUT} but has {_input_shape(model)}")
    convs = [layer for layer in model.layers if _is(layer, "Conv2D")]
    filters = tuple(layer.get_config()["filters"] for layer in convs)
    if filters != LENET_FILTERS:
        return Msg(f"LeNet-5 tiene dos capas Conv2D de 6 y 16 filtros; el modelo tiene {filters}",
                   f"LeNet-5 has two Conv2D layers with 6 and 16 filters; the model has {filters}")
    kernels = [tuple(layer.get_config()["kernel_size"]) for layer in convs]
    if any(kernel != (5, 5) for kernel in kernels):
        return Msg(f"los kernels de LeNet-5 son de 5×5; el modelo usa {kernels}",
                   f"LeNet-5's kernels are 5×5; the model uses {kernels}")
    units = tuple(layer.get_config()["units"] for layer in model.layers if _is(layer, "Dense"))
    if units != LENET_UNITS:
        return Msg(f"las capas densas de LeNet-5 tienen 120, 84 y 10 neuronas; el modelo tiene {units}",
                   f"LeNet-5's dense layers have 120, 84 and 10 units; the model has {units}")
    pools = [layer for layer in model.layers if _is_pool(layer)]
    if len(pools) != 2:
        return Msg(f"LeNet-5 tiene una capa de pooling tras cada convolución (2); el modelo tiene {len(pools)}",
                   f"LeNet-5 has a pooling layer after each convolution (2); the model has {len(pools)}")
    shapes = [_shape(layer) for layer in _architecture_layers(model)]
    if shapes != LENET_SHAPES:
        first, (got, expected) = next((i, pair) for i, pair in enumerate(zip_longest(shapes, LENET_SHAPES))
                                      if pair[0] != pair[1])
        if expected is None:
            return Msg(f"LeNet-5 termina en la capa {first} con forma (10,); el modelo sigue con otra que da {got}",
                       f"LeNet-5 ends at layer {first} with shape (10,); the model goes on with one giving {got}")
        return Msg(f"la capa {first + 1} debería dar forma {expected} y da {got or 'nada'}. La primera Conv2D "
                   f"necesita padding='same' para conservar los 28×28",
                   f"layer {first + 1} should output shape {expected} but gives {got or 'nothing'}. The first "
                   f"Conv2D needs padding='same' to keep 28×28")
    last = model.layers[-1].get_config().get("activation")
    if last != "softmax":
        return Msg(f"la última capa debe usar activation='softmax' (usa '{last}')",
                   f"the last layer must use activation='softmax' (it uses '{last}')")
    if model.count_params() != LENET_PARAMS:
        return Msg(f"LeNet-5 tiene {LENET_PARAMS} parámetros y el modelo {model.count_params()}",
                   f"LeNet-5 has {LENET_PARAMS} parameters and the model {model.count_params()}")
    return None


def _accuracy_problem(model, dataset, minimum, advice: Msg):
    images, labels = grader_test_set(dataset)
    accuracy = classification_accuracy(model, images[..., None], labels)
    if accuracy < minimum:
        return Msg("precisión en test {accuracy:.2%}, por debajo del {minimum:.0%} pedido. {advice}",
                   "test accuracy {accuracy:.2%}, below the required {minimum:.0%}. {advice}").format(
            accuracy=accuracy, minimum=minimum, advice=advice)
    return None


# ----------------------------------------------------------- 5.1 build LeNet

def _build_cases():
    return [Case("build_lenet5", ())]


def _judge_build(case, value):
    return lenet_problem(value)


# ------------------------------------------------ 5.2 predict shapes/params

def keras_from_spec(input_shape, spec):
    import keras
    layers = _layers()
    stack = [keras.Input(tuple(input_shape))]
    for kind, *args in spec:
        if kind == "conv":
            stack.append(layers.Conv2D(args[0], args[1], padding=args[2]))
        elif kind == "pool":
            stack.append(layers.MaxPooling2D(args[0]))
        elif kind == "flatten":
            stack.append(layers.Flatten())
        elif kind == "dense":
            stack.append(layers.Dense(args[0]))
        else:
            raise ValueError(kind)
    return keras.Sequential(stack)


def _predict_cases():
    return [Case("predict_shapes_and_params", (LENET_INPUT, LENET_SPEC)),
            Case("predict_shapes_and_params", ((28, 28, 1), RECIPE_SPEC)),
            Case("predict_shapes_and_params", ((32, 32, 3), COLOR_SPEC))]


def _describe_layer(kind, *args):
    if kind == "conv":
        return f"conv {args[0]} {args[1]}×{args[1]} {args[2]}"
    if kind == "pool":
        return f"pool {args[0]}"
    if kind == "dense":
        return f"dense {args[0]}"
    return kind


def _judge_predict(case, value):
    input_shape, spec = case.args
    model = keras_from_spec(input_shape, spec)
    if not isinstance(value, (list, tuple)) or len(value) != len(spec):
        return Msg(f"debe devolver una lista con un par (forma, parámetros) por capa: {len(spec)} pares",
                   f"must return a list with one (shape, parameters) pair per layer: {len(spec)} pairs")
    channels = input_shape[-1]
    for number, (row, layer, layer_spec) in enumerate(zip(value, model.layers, spec), start=1):
        if not isinstance(row, (list, tuple)) or len(row) != 2:
            return Msg(f"el elemento {number} debe ser un par (forma, parámetros) y es {row!r}",
                       f"item {number} must be a (shape, parameters) pair but is {row!r}")
        shape, params = row
        expected_shape, expected_params = _shape(layer), layer.count_params()
        name = _describe_layer(*layer_spec)
        try:
            shape = tuple(int(d) for d in shape)
        except TypeError:
            shape = (shape,)
        if shape != expected_shape:
            return Msg(f"capa {number} ({name}): predices la forma {shape} y Keras da {expected_shape}",
                       f"layer {number} ({name}): you predict shape {shape} but Keras gives {expected_shape}")
        if int(params) != expected_params:
            reason = Msg.same("")
            kind = layer_spec[0]
            if kind == "conv":
                k, filters = layer_spec[2], layer_spec[1]
                if int(params) == k * k * channels * filters:
                    reason = Msg(": falta el sesgo de cada filtro", ": each filter's bias is missing")
                elif int(params) == (k * k + 1) * filters and channels > 1:
                    reason = Msg(f": cada filtro ve los {channels} canales de entrada",
                                 f": each filter sees all {channels} input channels")
            elif kind in ("pool", "flatten"):
                reason = Msg(": esta capa no tiene pesos", ": this layer has no weights")
            return Msg("capa {number} ({name}): predices {params} parámetros y Keras cuenta {expected}{reason}",
                       "layer {number} ({name}): you predict {params} parameters but Keras counts {expected}{reason}"
                       ).format(number=number, name=name, params=params, expected=expected_params, reason=reason)
        channels = expected_shape[-1]
    return None


# ---------------------------------------------------------- 5.3 / 5.4 models

def _judge_lenet_model(model):
    problem = lenet_problem(model)
    if problem:
        return problem
    return _accuracy_problem(model, "mnist", LENET_MIN_ACCURACY, Msg(
        "Entrena más épocas o usa un programa de tasa de aprendizaje que decaiga al final.",
        "Train for more epochs or use a learning-rate schedule that decays towards the end."))


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
        "Prueba más filtros, BatchNormalization o alguna época más.",
        "Try more filters, BatchNormalization or another epoch or two."))


EXERCISES = [
    FunctionExercise("5.1", ASSIGNMENT, Msg("Construir LeNet-5", "Build LeNet-5"), ("build_lenet5",),
             Msg("keras.Sequential con keras.Input((28, 28, 1)), Conv2D(6, 5, padding='same'), MaxPooling2D(2), "
                 "Conv2D(16, 5), MaxPooling2D(2), Flatten() y Dense de 120, 84 y 10 (softmax).",
                 "keras.Sequential with keras.Input((28, 28, 1)), Conv2D(6, 5, padding='same'), MaxPooling2D(2), "
                 "Conv2D(16, 5), MaxPooling2D(2), Flatten() and Dense layers of 120, 84 and 10 (softmax)."),
             cases=_build_cases, judge_case=_judge_build),
    FunctionExercise("5.2", ASSIGNMENT, Msg("Predecir formas y parámetros", "Predict shapes and parameters"),
             ("predict_shapes_and_params",),
             Msg("Conv2D: lado (n − k) + 1 con 'valid' o n con 'same'; parámetros (k·k·canales + 1)·filtros. "
                 "Pooling de tamaño s: lado n // s, sin parámetros. Flatten: el producto de la forma. "
                 "Dense: (entradas + 1)·neuronas.",
                 "Conv2D: side (n − k) + 1 with 'valid' or n with 'same'; parameters (k·k·channels + 1)·filters. "
                 "Pooling of size s: side n // s, no parameters. Flatten: the product of the shape. "
                 "Dense: (inputs + 1)·units."),
             cases=_predict_cases, judge_case=_judge_predict),
    ModelExercise("5.3", ASSIGNMENT, Msg("LeNet-5 en MNIST (≥ 99 %)", "LeNet-5 on MNIST (≥ 99 %)"), ("lenet",),
             Msg("Adam con una tasa de aprendizaje que sube un poco y luego decae (CosineDecay con warmup), lotes "
                 "de 64 y 3 épocas bastan.",
                 "Adam with a learning rate that warms up and then decays (CosineDecay with warmup), batches of "
                 "64 and 3 epochs are enough."),
             model_file="lenet5_mnist.keras", judge_model=_judge_lenet_model),
    ModelExercise("5.4", ASSIGNMENT, Msg("CNN estilo VGG en Fashion-MNIST (≥ 90 %)",
                                    "VGG-style CNN on Fashion-MNIST (≥ 90 %)"), ("vgg_model",),
             Msg("Dos bloques [Conv2D 3×3, Conv2D 3×3, MaxPooling2D] con padding='same', el segundo con el doble "
                 "de filtros, y después Flatten, Dropout y Dense(10, softmax).",
                 "Two blocks [Conv2D 3×3, Conv2D 3×3, MaxPooling2D] with padding='same', the second with twice the "
                 "filters, then Flatten, Dropout and Dense(10, softmax)."),
             model_file="vgg_fashion.keras", judge_model=_judge_vgg_model),
]
