"""Notebook 04: images as arrays, convolutions, padding and stride, pooling, several channels.

The judges compare each answer with ``case.expected``, which the grading-only references
(grader/hidden/nb04.py, Keras layers) compute. An expected answer is ``(answer, variants)``:
``variants`` holds the answers of typical mistakes (flipped kernel, one-axis flip, no padding, wrong
stride, another pooling mode...) by name, so a judge can name the mistake. Cases go from the
smallest input to the largest, so the first failing one, which is the one reported, is easy to read.
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

# Small inputs first: the first failing case is the one a student reads.
SMALL_IMAGE = np.array([[1, 2, 0], [0, 1, 3], [2, 0, 1]], dtype=float)
SMALL_KERNEL = np.array([[1, 2], [3, 4]], dtype=float)     # asymmetric along both axes
ROW_IMAGE = np.array([[1, 2, 0, 3], [0, 1, 2, 1]], dtype=float)
ROW_KERNEL = np.array([[1, -1]], dtype=float)
COLUMN_IMAGE = ROW_IMAGE.T.copy()
COLUMN_KERNEL = ROW_KERNEL.T.copy()

TOLERANCE = dict(rtol=1e-5, atol=1e-5)  # students may compute in float32


# ------------------------------------------------------------------ shared pieces

def _unpack(expected):
    """(answer, {variant name: answer of that mistake})."""
    answer, variants = expected
    return answer, dict(variants)


def _show(array) -> str:
    return " ".join(np.array2string(np.asarray(array, dtype=float), precision=4, separator=", ",
                                    suppress_small=True).split())


def _matches(value, expected) -> bool:
    expected = np.asarray(expected, dtype=float)
    return value.shape == expected.shape and bool(np.allclose(value, expected, **TOLERANCE))


def _difference(value, expected, case) -> Msg:
    """What is wrong in values: the whole arrays when they are small and public, else the worst position."""
    if expected.size <= 9 and not case.hidden:
        return Msg("debería dar {expected} y da {got}", "should give {expected} but gives {got}").format(
            expected=_show(expected), got=_show(value))
    return array_mismatch(value, expected, **TOLERANCE)


NOTHING = Msg("no devuelve nada (¿falta el return?)", "returns nothing (is the return missing?)")
NOT_NUMBERS = Msg("debe devolver un array de números y devolvió {type}",
                  "must return an array of numbers but returned {type}")
SHAPE = Msg("la salida debería tener forma {expected} y tiene {got}", "the output should have shape {expected} "
                                                                     "but has {got}")
VALID_SHAPE = Msg("{shape}: hay una fila por cada posición vertical en la que el núcleo cabe entero dentro de la "
                  "imagen y una columna por cada posición horizontal",
                  "{shape}: there is one row for each vertical position where the kernel fits entirely inside "
                  "the image, and one column for each horizontal position")
OFF_BY_ONE = Msg("{shape}: te sobra o te falta una fila o columna. Cuenta las posiciones: la primera empieza en el "
                 "borde y la última termina justo en el borde opuesto",
                 "{shape}: one row or column too many or too few. Count the positions: the first one starts at "
                 "the edge and the last one ends exactly at the opposite edge")
FLIPPED = Msg("has volteado el núcleo: eso es la convolución matemática. Keras (y este ejercicio) calcula la "
              "correlación cruzada, sin voltear",
              "you flipped the kernel: that is the mathematical convolution. Keras (and this exercise) computes "
              "cross-correlation, without the flip")


def _as_array(value, answer, shape_message=VALID_SHAPE):
    """(value as a float array, None) or (None, what is wrong with its type or shape)."""
    if value is None:
        return None, NOTHING
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, NOT_NUMBERS.format(type=type(value).__name__)
    if array.shape != answer.shape:
        shape = SHAPE.format(expected=answer.shape, got=array.shape)
        off_by_one = array.ndim == answer.ndim and all(abs(a - b) <= 1 for a, b in zip(array.shape, answer.shape))
        return None, (OFF_BY_ONE if off_by_one else shape_message).format(shape=shape)
    return array, None


# ------------------------------------------------------ 4.1 cross-correlation

def _random_pairs(seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(6, 8)), rng.normal(size=(3, 3))),
            (rng.integers(0, 256, size=(9, 7)).astype(float), rng.normal(size=(2, 4))),
            (rng.normal(size=(5, 5)), rng.normal(size=(5, 5)))]


def _small_pairs():
    return [(SMALL_IMAGE, SMALL_KERNEL), (ROW_IMAGE, ROW_KERNEL), (COLUMN_IMAGE, COLUMN_KERNEL)]


def _correlate_cases():
    return ([Case("conv2d_valid", pair) for pair in _small_pairs()]
            + [Case("conv2d_valid", (WORKED_IMAGE, WORKED_KERNEL))]
            + [Case("conv2d_valid", pair) for pair in _random_pairs(41)])


def _is_worked_example(image, kernel):
    return image.shape == WORKED_IMAGE.shape and np.array_equal(image, WORKED_IMAGE) \
        and kernel.shape == WORKED_KERNEL.shape and np.array_equal(kernel, WORKED_KERNEL)


def _judge_correlate(case, value):
    image, kernel = case.args
    answer, variants = _unpack(case.expected)
    value, problem = _as_array(value, answer)
    if problem:
        return problem
    if _matches(value, answer):
        return None
    if _is_worked_example(image, kernel):
        return Msg("no reproduce el ejemplo de las diapositivas: {problem}",
                   "does not reproduce the slides' worked example: {problem}").format(
            problem=array_mismatch(value, WORKED_RESULT))
    if _matches(value, variants["volteado"]):
        return FLIPPED
    return _difference(value, answer, case)


# ------------------------------------------------------- 4.2 true convolution

def _convolve_cases():
    return [Case("convolve2d", pair) for pair in _small_pairs() + _random_pairs(42)]


def _judge_convolve(case, value):
    answer, variants = _unpack(case.expected)
    value, problem = _as_array(value, answer)
    if problem:
        return problem
    if _matches(value, answer):
        return None
    if _matches(value, variants["sin voltear"]):
        return Msg("coincide con la correlación cruzada: falta voltear el núcleo en los dos ejes antes de "
                   "deslizarlo", "it matches the cross-correlation: the kernel must be flipped along both axes "
                                 "before sliding it")
    if _matches(value, variants["filas"]) or _matches(value, variants["columnas"]):
        which = Msg("de arriba abajo", "upside down") if _matches(value, variants["filas"]) \
            else Msg("de izquierda a derecha", "left to right")
        return Msg("solo has volteado el núcleo {which}: hay que voltearlo en los dos ejes (girarlo 180°)",
                   "you flipped the kernel {which} only: it must be flipped along both axes (turned 180°)").format(
            which=which)
    return _difference(value, answer, case)


# --------------------------------------------------- 4.3 predict: the impulse

def _impulse_cases():
    return [Case("impulse_response", (SMALL_KERNEL, (3, 3), (1, 1))),
            Case("impulse_response", (SMALL_KERNEL, (3, 3), (0, 0))),
            Case("impulse_response", (SMALL_KERNEL, (3, 6), (1, 5))),
            Case("impulse_response", (np.array([[1, 2, 3], [4, 5, 6]], dtype=float), (3, 4), (2, 3))),
            Case("impulse_response", (np.arange(9, dtype=float).reshape(3, 3), (5, 5), (2, 2))),
            Case("impulse_response", (np.array([[1, -2], [0, 3], [5, 4]], dtype=float), (6, 4), (3, 0)))]


def _judge_impulse(case, value):
    answer, variants = _unpack(case.expected)
    value, problem = _as_array(value, answer)
    if problem:
        return problem
    if _matches(value, answer):
        return None
    if _matches(value, variants["convolución"]):
        return Msg("el núcleo aparece tal cual, sin voltear: eso daría la convolución. La correlación cruzada "
                   "(conv2d_valid) lo deja volteado{expected}",
                   "the kernel appears as it is, not flipped: that is what the convolution gives. The "
                   "cross-correlation (conv2d_valid) leaves it flipped{expected}").format(
            expected=Msg.same("") if case.hidden or answer.size > 9 else Msg(": debería dar {array}",
                                                                              ": it should give {array}").format(
                array=_show(answer)))
    return _difference(value, answer, case)


# ----------------------------------------------------------- 4.4 output size

SIZE_CASES = [(7, 3, 0, 1), (7, 3, 1, 2), (28, 5, 2, 1), (28, 5, 0, 1), (32, 3, 1, 2), (10, 3, 0, 2), (9, 4, 1, 3),
              (6, 6, 0, 1)]


def _size_cases():
    return [Case("output_size", args) for args in SIZE_CASES]


def _judge_size(case, value):
    expected = case.expected
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return Msg("debe devolver un entero (int) y devolvió {type} {value!r}: un número de posiciones no tiene "
                   "decimales; redondea hacia abajo con la división entera",
                   "must return an integer (int) but returned {type} {value!r}: a number of positions has no "
                   "decimals; round down with integer division").format(type=type(value).__name__, value=value)
    if abs(int(value) - expected) == 1:
        return Msg("da {value} y Keras da {expected}: error de uno. Revisa tres cosas: la posición de partida "
                   "cuenta, solo cuentan los saltos completos y el relleno va en los dos extremos",
                   "gives {value} but Keras gives {expected}: off by one. Check three things: the starting position "
                   "counts, only whole strides count, and the padding goes on both ends").format(
            value=value, expected=expected)
    if int(value) != expected:
        return Msg("da {value} y Keras da {expected}", "gives {value} but Keras gives {expected}").format(
            value=value, expected=expected)
    return None


# ------------------------------------------------- 4.5 padding and stride

def _strided_cases():
    rng = np.random.default_rng(43)
    return [Case("conv2d", (SMALL_IMAGE, SMALL_KERNEL, 0, 2)),
            Case("conv2d", (SMALL_IMAGE, SMALL_KERNEL, 1, 2)),
            Case("conv2d", (ROW_IMAGE, ROW_KERNEL, 1, 1)),
            Case("conv2d", (WORKED_IMAGE, WORKED_KERNEL, 1, 1)),
            Case("conv2d", (rng.normal(size=(8, 8)), rng.normal(size=(3, 3)), 0, 2)),
            Case("conv2d", (rng.normal(size=(7, 9)), rng.normal(size=(3, 3)), 1, 2)),
            Case("conv2d", (rng.normal(size=(10, 11)), rng.normal(size=(4, 2)), 2, 3)),
            Case("conv2d", (rng.normal(size=(6, 6)), rng.normal(size=(2, 2)), 0, 1))]


def _judge_strided(case, value):
    image, kernel, padding, stride = case.args
    answer, variants = _unpack(case.expected)
    if value is not None and padding and _matches(np.asarray(value, dtype=float), variants["sin relleno"]):
        return Msg("coincide con la convolución sin relleno: rodea primero la imagen con un marco de ceros de "
                   "grosor {padding}", "it matches the convolution without padding: first surround the image with "
                                       "a frame of zeros {padding} pixels thick").format(padding=padding)
    if value is not None and stride > 1 and _matches(np.asarray(value, dtype=float), variants["paso 1"]):
        return Msg("el núcleo avanza de 1 en 1: con paso {stride} la ventana salta {stride} píxeles cada vez",
                   "the kernel moves one pixel at a time: with stride {stride} the window jumps {stride} pixels "
                   "each time").format(stride=stride)
    value, problem = _as_array(value, answer, Msg(
        "{shape}: con relleno p={padding} y paso s={stride}, cada lado mide lo que da output_size",
        "{shape}: with padding p={padding} and stride s={stride}, each side is what output_size gives").format(
        shape="{shape}", padding=padding, stride=stride))
    if problem:
        return problem
    if _matches(value, answer):
        return None
    if _matches(value, variants["volteado"]):
        return FLIPPED
    return _difference(value, answer, case)


# ------------------------------------------------------------- 4.6 pooling

def _pool_cases():
    rng = np.random.default_rng(44)
    x = rng.normal(size=(8, 8))
    y = rng.integers(0, 10, size=(7, 9)).astype(float)
    return [Case("pool2d", (SMALL_IMAGE, 2, 1, "max")), Case("pool2d", (SMALL_IMAGE, 2, 1, "min")),
            Case("pool2d", (SMALL_IMAGE, 2, 1, "avg")), Case("pool2d", (ROW_IMAGE, 2, 2, "max")),
            Case("pool2d", (x, 2, 2, "max")), Case("pool2d", (x, 2, 2, "min")), Case("pool2d", (x, 2, 2, "avg")),
            Case("pool2d", (y, 3, 2, "max")), Case("pool2d", (y, 2, 1, "min")), Case("pool2d", (y, 3, 3, "avg")),
            Case("pool2d", (rng.normal(size=(9, 6)), 2, 3, "max"))]


MODE_NAMES = {"max": "MaxPooling2D", "avg": "AveragePooling2D", "min": "−MaxPooling2D(−x)"}


def _judge_pool(case, value):
    x, size, stride, mode = case.args
    answer, variants = _unpack(case.expected)
    if value is not None:
        shape = np.shape(value)
        for name, variant in variants.items():
            if name.startswith("paso ") and shape == variant.shape != answer.shape:
                return Msg("la salida tiene forma {got}, la que da un paso (stride) de {wrong}; con ventana {size} y "
                           "paso {stride} debería ser {expected}. Usa el argumento stride",
                           "the output has shape {got}, which a stride of {wrong} gives; with window {size} and "
                           "stride {stride} it should be {expected}. Use the stride argument").format(
                    got=shape, wrong=name.removeprefix("paso "), size=size, stride=stride, expected=answer.shape)
    value, problem = _as_array(value, answer, Msg(
        "{shape}: sin relleno, en cada lado caben tantas ventanas como posiciones de inicio separadas por el paso",
        "{shape}: without padding, each side holds as many windows as starting positions one stride apart"))
    if problem:
        return problem
    if _matches(value, answer):
        return None
    for name, variant in variants.items():
        if name.startswith("modo ") and _matches(value, variant):
            return Msg("eso es pooling '{other}', no '{mode}'", "that is '{other}' pooling, not '{mode}'").format(
                other=name.removeprefix("modo "), mode=mode)
    return Msg("no coincide con {layer}({size}, strides={stride}) de Keras: {problem}",
               "does not match Keras {layer}({size}, strides={stride}): {problem}").format(
        layer=MODE_NAMES[mode], size=size, stride=stride, problem=_difference(value, answer, case))


# ------------------------------------- 4.7 predict: a Conv2D layer with channels

LAYER_CASES = [((7, 9, 2), 3, 2, 3), ((28, 28, 1), 6, 5, 1), ((32, 32, 3), 16, 3, 2), ((300, 256, 3), 4, 3, 1)]


def _layer_cases():
    return [Case("predict_conv2d", args) for args in LAYER_CASES]


def _judge_layer(case, value):
    input_shape, filters, kernel_size, stride = case.args
    (shape, params), variants = _unpack(case.expected)
    shape = tuple(shape)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return Msg("debe devolver una tupla (forma de la salida, número de parámetros)",
                   "must return a tuple (output shape, number of parameters)")
    got_shape, got_params = value
    try:
        got_shape = tuple(int(d) for d in got_shape)
    except (TypeError, ValueError):
        return Msg("la forma debe ser una tupla de enteros (alto, ancho, canales)",
                   "the shape must be a tuple of integers (height, width, channels)")
    if len(got_shape) != 3:
        return Msg("la forma debe tener tres números, (alto, ancho, canales), los de una imagen sin el eje del "
                   "lote; devolvió {got}", "the shape must have three numbers, (height, width, channels), those of "
                                           "one image without the batch axis; it returned {got}").format(got=got_shape)
    if got_shape[:2] != shape[:2]:
        return Msg("alto y ancho deberían ser {expected} y son {got}: sin relleno y con paso {stride}, como en "
                   "output_size", "height and width should be {expected} but are {got}: no padding and stride "
                                  "{stride}, as in output_size").format(expected=shape[:2], got=got_shape[:2],
                                                                        stride=stride)
    if got_shape != shape:
        if got_shape == tuple(variants["canales de entrada"]) or got_shape == tuple(variants["un mapa por canal"]):
            return Msg("la salida tiene {got} canales y debería tener {filters}: cada filtro recorre todos los "
                       "canales de entrada y suma sus respuestas en un único mapa, así que sale un mapa por filtro",
                       "the output has {got} channels but should have {filters}: each filter goes over all the "
                       "input channels and adds their responses into one map, so there is one map per "
                       "filter").format(got=got_shape[2], filters=filters)
        return Msg("la forma debería ser {expected} y es {got}", "the shape should be {expected} but is {got}").format(
            expected=shape, got=got_shape)
    if isinstance(got_params, (bool, np.bool_)) or not isinstance(got_params, (int, np.integer)):
        return Msg("el número de parámetros debe ser un entero (int); devolvió {type}",
                   "the number of parameters must be an integer (int); it returned {type}").format(
            type=type(got_params).__name__)
    got_params = int(got_params)
    if got_params == params:
        return None
    if got_params == variants["sin sesgos"]:
        return Msg("da {got} parámetros y son {expected}: faltan los sesgos, uno por filtro",
                   "gives {got} parameters but there are {expected}: the biases are missing, one per filter").format(
            got=got_params, expected=params)
    if got_params == variants["sin canales"]:
        return Msg("da {got} parámetros y son {expected}: cada filtro tiene un núcleo {k}×{k} por cada canal de "
                   "entrada (aquí {channels})", "gives {got} parameters but there are {expected}: each filter has a "
                                               "{k}×{k} kernel for each input channel ({channels} here)").format(
            got=got_params, expected=params, k=kernel_size, channels=input_shape[2])
    if got_params == variants["un sesgo por canal"]:
        return Msg("da {got} parámetros y son {expected}: cada filtro tiene un solo sesgo, no uno por canal",
                   "gives {got} parameters but there are {expected}: each filter has a single bias, not one per "
                   "channel").format(got=got_params, expected=params)
    return Msg("da {got} parámetros y la capa de Keras tiene {expected}",
               "gives {got} parameters but the Keras layer has {expected}").format(got=got_params, expected=params)


# ------------------------------------ 4.8 several channels and several filters

def _multichannel_cases():
    rng = np.random.default_rng(48)
    mix = np.array([[[[1, 2], [-1, 0.5]]]])  # a 1×1 kernel: 2 channels in, 2 filters out
    return [Case("conv2d_multichannel", (np.arange(8, dtype=float).reshape(2, 2, 2), mix, np.array([0.0, 1.0]))),
            Case("conv2d_multichannel", (rng.integers(0, 4, size=(3, 3, 2)).astype(float),
                                         rng.integers(-1, 2, size=(2, 2, 2, 3)).astype(float), np.array([1., 0, -1]))),
            Case("conv2d_multichannel", (rng.normal(size=(6, 7, 3)), rng.normal(size=(3, 3, 3, 4)),
                                         rng.normal(size=4))),
            Case("conv2d_multichannel", (rng.normal(size=(5, 5, 1)), rng.normal(size=(2, 3, 1, 2)),
                                         rng.normal(size=2))),
            Case("conv2d_multichannel", (rng.normal(size=(4, 6, 4)), rng.normal(size=(2, 2, 4, 1)),
                                         rng.normal(size=1)))]


def _filters_first(value, answer):
    """The answer with the filters on the first axis instead of the last (when both shapes agree)."""
    value = np.asarray(value, dtype=float)
    return not _matches(value, answer) and _matches(np.moveaxis(value, 0, -1), answer)


def _judge_multichannel(case, value):
    image, kernels, biases = case.args
    answer, variants = _unpack(case.expected)
    channels, filters = kernels.shape[2:]
    if value is not None:
        shape = np.shape(value)
        if shape == (filters,) + answer.shape[:2] and (shape != answer.shape or _filters_first(value, answer)):
            return Msg("la salida tiene forma {got}: los filtros van en el último eje, como en Keras: "
                       "(alto, ancho, filtros) = {expected}", "the output has shape {got}: the filters go on the "
                                                              "last axis, as in Keras: (height, width, filters) = "
                                                              "{expected}").format(got=shape, expected=answer.shape)
        if shape != answer.shape and shape[:2] == answer.shape[:2] \
                and int(np.prod(shape[2:])) == channels * filters != filters:
            return Msg("la salida tiene forma {got}: cada filtro suma las respuestas de sus {channels} canales en un "
                       "solo mapa, así que sale un mapa por filtro: {expected}",
                       "the output has shape {got}: each filter adds the responses of its {channels} channels into "
                       "one map, so there is one map per filter: {expected}").format(
                got=shape, channels=channels, expected=answer.shape)
    value, problem = _as_array(value, answer, Msg(
        "{shape}: (alto, ancho) como en conv2d_valid y un mapa por filtro en el último eje",
        "{shape}: (height, width) as in conv2d_valid and one map per filter on the last axis"))
    if problem:
        return problem
    if _matches(value, answer):
        return None
    if _matches(value, variants["sin sesgos"]):
        return Msg("coincide con la capa sin sesgos: suma a cada mapa el sesgo de su filtro",
                   "it matches the layer without biases: add each filter's bias to its map")
    if "sesgo por canal" in variants and _matches(value, variants["sesgo por canal"]):
        return Msg("sumas el sesgo una vez por canal: cada filtro lo suma una sola vez, al final",
                   "you add the bias once per channel: each filter adds it only once, at the end")
    if _matches(value, variants["volteado"]):
        return FLIPPED
    if "canales y filtros" in variants and _matches(value, variants["canales y filtros"]):
        return Msg("has intercambiado canales y filtros: Keras guarda el núcleo con forma (kh, kw, canales de "
                   "entrada, filtros)", "you swapped channels and filters: Keras stores the kernel with shape "
                                        "(kh, kw, input channels, filters)")
    return _difference(value, answer, case)


# ------------------------------------------------------------------ the exercises

# What grader.data must find on a grading machine for this notebook: its kernel and its judge read them.
DATASETS = ()

EXERCISES = [
    FunctionExercise("4.1", ASSIGNMENT, Msg("Convolución 2-D «valid» (correlación cruzada)",
                                            "2-D 'valid' convolution (cross-correlation)"), ("conv2d_valid",), (
        Msg("Piensa en una sola posición del núcleo: su valor de salida es la suma de los productos, elemento a "
            "elemento, entre el núcleo y el trozo de imagen que tiene debajo. Hay un valor de salida por cada "
            "posición en la que el núcleo cabe entero.",
            "Think of one position of the kernel: its output value is the sum of the element-wise products of the "
            "kernel and the patch of image under it. There is one output value for each position where the whole "
            "kernel fits."),
        Msg("Cuenta las posiciones: en una fila de W píxeles, un núcleo de ancho kw puede empezar en la columna 0, "
            "1, 2…, y la última posición empieza en W − kw. Lo mismo con las filas. El trozo de la salida (i, j) "
            "empieza en la fila i y la columna j y mide lo mismo que el núcleo.",
            "Count the positions: in a row of W pixels, a kernel of width kw can start at column 0, 1, 2…, and the "
            "last position starts at W − kw. The same for rows. The patch of output (i, j) starts at row i and "
            "column j and has the kernel's size."),
        Msg("Con dos bucles, uno por fila y otro por columna de la salida, basta. Otra forma, más rápida: recorre "
            "los pesos del núcleo en vez de las posiciones; cada peso multiplica una copia desplazada de la imagen, "
            "y la salida es la suma de esas copias.",
            "Two loops, one over output rows and one over output columns, are enough. A faster way: loop over the "
            "kernel's weights instead of the positions; each weight multiplies a shifted copy of the image, and "
            "the output is the sum of those copies."),
    ), cases=_correlate_cases, judge_case=_judge_correlate),
    FunctionExercise("4.2", ASSIGNMENT, Msg("Convolución matemática (núcleo volteado)",
                                            "Mathematical convolution (flipped kernel)"), ("convolve2d",), (
        Msg("La convolución es la correlación cruzada con el núcleo volteado: la correlación ya la tienes (4.1); "
            "solo te falta el núcleo volteado.",
            "The convolution is the cross-correlation with the kernel flipped: you already have the correlation "
            "(4.1); you only need the flipped kernel."),
        Msg("Voltear en los dos ejes es girar el núcleo 180°: la primera fila pasa a ser la última y, dentro de "
            "cada fila, el primer elemento pasa a ser el último. Hazlo a mano con un núcleo 2×2 asimétrico.",
            "Flipping along both axes turns the kernel by 180°: the first row becomes the last and, within each "
            "row, the first element becomes the last. Do it by hand with an asymmetric 2×2 kernel."),
        Msg("Los pasos: voltea el núcleo sin bucles (NumPy invierte el orden de un eje con un corte o con sus "
            "funciones de volteo), en los dos ejes, y pásaselo a tu conv2d_valid con la misma imagen.",
            "The steps: flip the kernel without loops (NumPy reverses an axis with a slice or with its flip "
            "functions), along both axes, and pass it to your conv2d_valid with the same image."),
    ), cases=_convolve_cases, judge_case=_judge_convolve, uses={"conv2d_valid": "4.1"}),
    FunctionExercise("4.3", ASSIGNMENT, Msg("Predice: la respuesta a un impulso", "Predict: the impulse response"),
                     ("impulse_response",), (
        Msg("Solo un píxel de la imagen vale 1: el valor de salida en (i, j) es el peso del núcleo que queda encima "
            "de ese píxel cuando la ventana empieza en (i, j), o 0 si la ventana no lo cubre.",
            "Only one pixel of the image is 1: the output value at (i, j) is the kernel weight lying on that pixel "
            "when the window starts at (i, j), or 0 if the window does not cover it."),
        Msg("Si la ventana empieza en (i, j) y el 1 está en (r, c), lo cubre el peso de la fila r − i y la columna "
            "c − j del núcleo, si esos dos índices caen dentro del núcleo. La salida tiene la forma de la de 4.1.",
            "If the window starts at (i, j) and the 1 is at (r, c), it is covered by the kernel weight at row r − i "
            "and column c − j, if both indices fall inside the kernel. The output has the shape of 4.1's."),
        Msg("Cuando i crece, r − i decrece: el núcleo aparece en la salida al revés. Cerca de un borde solo aparece "
            "una parte de él.",
            "As i grows, r − i shrinks: the kernel appears in the output reversed. Near an edge only part of it "
            "appears."),
    ), cases=_impulse_cases, judge_case=_judge_impulse),
    FunctionExercise("4.4", ASSIGNMENT, Msg("Tamaño de la salida", "Output size"), ("output_size",), (
        Msg("Con relleno p la imagen pasa a medir n + 2p. Cuenta en cuántas posiciones cabe el núcleo entero si "
            "empieza en el borde y avanza s píxeles cada vez.",
            "With padding p the image becomes n + 2p wide. Count the positions where the whole kernel fits if it "
            "starts at the edge and moves s pixels each time."),
        Msg("¿En qué columna empieza, como muy tarde, la última posición dentro de la imagen rellena? Cuenta "
            "cuántos saltos completos de s caben desde 0 hasta ahí, y no olvides la posición de partida.",
            "At which column does the last position start, at the latest, inside the padded image? Count how many "
            "whole strides of s fit from 0 up to there, and do not forget the starting position."),
        Msg("Comprueba tu cuenta con el ejemplo del enunciado (4 posiciones) y con uno en que el último salto no "
            "cabe entero: ahí se redondea hacia abajo. Devuelve un int, no un float.",
            "Check your count with the statement's example (4 positions) and with one where the last stride does "
            "not fit whole: there it rounds down. Return an int, not a float."),
    ), cases=_size_cases, judge_case=_judge_size),
    FunctionExercise("4.5", ASSIGNMENT, Msg("Convolución con relleno y paso", "Convolution with padding and stride"),
                     ("conv2d",), (
        Msg("Es la correlación de 4.1 con dos cambios: antes de empezar, la imagen se rodea de un marco de ceros "
            "de p píxeles por lado; y la ventana salta s píxeles en lugar de 1.",
            "It is 4.1's correlation with two changes: before starting, the image is surrounded by a frame of "
            "zeros p pixels wide; and the window jumps s pixels instead of 1."),
        Msg("NumPy tiene una función que rodea un array de ceros. El tamaño de la salida ya lo sabes calcular "
            "(output_size). La ventana de la salida (i, j) empieza en la fila i·s y la columna j·s de la imagen "
            "rellena.",
            "NumPy has a function that surrounds an array with zeros. You already know how to compute the output "
            "size (output_size). The window of output (i, j) starts at row i·s and column j·s of the padded image."),
    ), cases=_strided_cases, judge_case=_judge_strided, uses={"output_size": "4.4"}),
    FunctionExercise("4.6", ASSIGNMENT, Msg("Pooling máximo, mínimo y promedio", "Max, min and average pooling"),
                     ("pool2d",), (
        Msg("Como la convolución con paso, pero sin núcleo ni relleno: cada ventana de size × size se resume en un "
            "solo número, su máximo, su mínimo o su media.",
            "Like the strided convolution, without kernel or padding: each size × size window is summarised by "
            "one number, its maximum, its minimum or its mean."),
        Msg("En cada lado caben tantas ventanas como posiciones contaste en 4.4, con relleno 0; la de la salida "
            "(i, j) empieza en la fila i·stride y la columna j·stride. Elige la función de resumen según mode.",
            "Each side holds as many windows as the positions you counted in 4.4, with padding 0; the one of "
            "output (i, j) starts at row i·stride and column j·stride. Pick the summary function according to "
            "mode."),
    ), cases=_pool_cases, judge_case=_judge_pool),
    FunctionExercise("4.7", ASSIGNMENT, Msg("Predice: forma y parámetros de una Conv2D",
                                            "Predict: shape and parameters of a Conv2D"), ("predict_conv2d",), (
        Msg("Alto y ancho salen como en output_size, sin relleno. Los canales de la salida no dependen de los "
            "canales de la entrada: piensa en qué produce cada filtro.",
            "Height and width come out as in output_size, without padding. The output channels do not depend on "
            "the input channels: think about what each filter produces."),
        Msg("Cada filtro tiene un núcleo k × k por cada canal de entrada y un solo sesgo, y suma las respuestas de "
            "todos sus canales en un único mapa.",
            "Each filter has a k × k kernel for each input channel and a single bias, and adds the responses of all "
            "its channels into one map."),
        Msg("Un ejemplo para comprobar tu razonamiento: 2 filtros de 3×3 sobre una imagen RGB de 5×5 con paso 1 "
            "dan una salida de 3×3×2 y tienen 2·(3·3·3 + 1), es decir, 56 parámetros.",
            "An example to test your reasoning: 2 filters of 3×3 on a 5×5 RGB image with stride 1 give a 3×3×2 "
            "output and have 2·(3·3·3 + 1), that is 56, parameters."),
    ), cases=_layer_cases, judge_case=_judge_layer, uses={"output_size": "4.4"}),
    FunctionExercise("4.8", ASSIGNMENT, Msg("Varios canales y varios filtros", "Several channels and several filters"),
                     ("conv2d_multichannel",), (
        Msg("Un filtro de Conv2D es una pila de núcleos, uno por canal de entrada: cada canal se correlaciona con su "
            "núcleo (como en 4.1), los resultados se suman y al final se añade el sesgo del filtro. Cada filtro da "
            "un mapa.",
            "A Conv2D filter is a stack of kernels, one per input channel: each channel is correlated with its "
            "kernel (as in 4.1), the results are added and the filter's bias is added at the end. Each filter "
            "gives one map."),
        Msg("El núcleo que el filtro f aplica al canal c está en la posición c del tercer eje y f del cuarto eje "
            "de kernels. La salida apila los mapas de los filtros en el último eje.",
            "The kernel that filter f applies to channel c is at position c of the third axis and f of the fourth "
            "axis of kernels. The output stacks the filters' maps on the last axis."),
    ), cases=_multichannel_cases, judge_case=_judge_multichannel, uses={"conv2d_valid": "4.1"}),
]
