"""Hidden cases and references for notebook 04: instructors only, never shipped to students.

Every reference asks Keras layers (Conv2D, ZeroPadding2D, MaxPooling2D, AveragePooling2D), run in
float64 on the same inputs with the same weights, never the solution notebook's code. Keras computes
cross-correlation (no kernel flip); the true convolution of 4.2 is Keras with the kernel flipped, and
min pooling is -maxpool(-x), since Keras has no min-pool layer.

An expected answer is ``(answer, variants)``: ``variants`` is a tuple of ``(name, value)`` pairs, the
answers of typical mistakes (flipped kernel, one-axis flip, no padding, wrong stride, another pooling
mode...), so that the judge can name the mistake without computing anything.
"""
import numpy as np

from grader.core import Case

# ------------------------------------------------------------------ Keras references

DTYPE = "float64"


def _numpy(tensor):
    import keras
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=float)


def keras_conv(image, kernels, biases=None, padding=0, stride=1):
    """keras.layers.Conv2D (after ZeroPadding2D) on one (H, W, C) image; kernels as Keras stores them."""
    import keras
    from keras import layers
    image, kernels = np.asarray(image, dtype=DTYPE), np.asarray(kernels, dtype=DTYPE)
    biases = np.zeros(kernels.shape[3]) if biases is None else np.asarray(biases, dtype=DTYPE)
    conv = layers.Conv2D(kernels.shape[3], kernels.shape[:2], strides=stride, padding="valid", dtype=DTYPE)
    model = keras.Sequential([keras.Input(image.shape, dtype=DTYPE), layers.ZeroPadding2D(padding, dtype=DTYPE),
                              conv])
    conv.set_weights([kernels, biases])
    return _numpy(model(image[None]))[0]


def keras_correlate(image, kernel, padding=0, stride=1):
    """What keras.layers.Conv2D computes on a one-channel image with this kernel (no bias)."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    return keras_conv(image[:, :, None], kernel[:, :, None, None], None, padding, stride)[:, :, 0]


def keras_output_size(n, k, p, s):
    """Output side length Keras reports for a ZeroPadding2D(p) + Conv2D(k, strides=s) stack."""
    import keras
    from keras import layers
    inputs = keras.Input((n, n, 1))
    outputs = layers.Conv2D(1, k, strides=s)(layers.ZeroPadding2D(p)(inputs))
    return int(outputs.shape[1])


def keras_layer_shapes(input_shape, filters, kernel_size, stride):
    """(output shape of one image, number of parameters) of Conv2D(filters, kernel_size, strides=stride)."""
    import keras
    from keras import layers
    layer = layers.Conv2D(filters, kernel_size, strides=stride)
    outputs = layer(keras.Input(tuple(input_shape)))
    return tuple(int(d) for d in outputs.shape[1:]), int(layer.count_params())


def keras_pool(x, size, stride, mode):
    """Max/average pooling through Keras layers; min pooling as -maxpool(-x) (Keras has no min pooling)."""
    from keras import layers
    x = np.asarray(x, dtype=DTYPE)[None, :, :, None]
    if mode == "max":
        out = layers.MaxPooling2D(size, strides=stride, dtype=DTYPE)(x)
    elif mode == "min":
        out = -layers.MaxPooling2D(size, strides=stride, dtype=DTYPE)(-x)
    elif mode == "avg":
        out = layers.AveragePooling2D(size, strides=stride, dtype=DTYPE)(x)
    else:
        raise ValueError(mode)
    return _numpy(out)[0, :, :, 0]


# ------------------------------------------------------------------ the expected answers

def _correlate(case):
    image, kernel = case.args
    return keras_correlate(image, kernel), (("volteado", keras_correlate(image, kernel[::-1, ::-1])),)


def _convolve(case):
    image, kernel = case.args
    return keras_correlate(image, kernel[::-1, ::-1]), (
        ("sin voltear", keras_correlate(image, kernel)),
        ("filas", keras_correlate(image, kernel[::-1, :])),
        ("columnas", keras_correlate(image, kernel[:, ::-1])))


def _impulse(case):
    kernel, shape, position = case.args
    impulse = np.zeros(shape)
    impulse[tuple(position)] = 1.0
    return keras_correlate(impulse, kernel), (("convolución", keras_correlate(impulse, kernel[::-1, ::-1])),)


def _padded(case):
    image, kernel, padding, stride = case.args
    return keras_correlate(image, kernel, padding, stride), (
        ("sin relleno", keras_correlate(image, kernel, 0, stride)),
        ("paso 1", keras_correlate(image, kernel, padding, 1)),
        ("volteado", keras_correlate(image, kernel[::-1, ::-1], padding, stride)))


def _pool(case):
    x, size, stride, mode = case.args
    variants = [(f"modo {other}", keras_pool(x, size, stride, other)) for other in ("max", "min", "avg")
                if other != mode]
    variants += [(f"paso {wrong}", keras_pool(x, size, wrong, mode)) for wrong in sorted({1, size}) if wrong != stride]
    return keras_pool(x, size, stride, mode), tuple(variants)


def _layer(case):
    input_shape, filters, kernel_size, stride = case.args
    channels = input_shape[2]
    shape, params = keras_layer_shapes(input_shape, filters, kernel_size, stride)
    weights = params - filters
    return (shape, params), (
        ("sin sesgos", weights),
        ("sin canales", weights // channels + filters),
        ("un sesgo por canal", weights + filters * channels),
        ("canales de entrada", shape[:2] + (channels,)),
        ("un mapa por canal", shape[:2] + (channels * filters,)))


def _multichannel(case):
    image, kernels, biases = case.args
    channels, filters = kernels.shape[2:]
    answer = keras_conv(image, kernels, biases)
    variants = [("sin sesgos", keras_conv(image, kernels)),
                ("volteado", keras_conv(image, kernels[::-1, ::-1], biases))]
    if channels > 1:
        variants.append(("sesgo por canal", answer + (channels - 1) * np.asarray(biases, dtype=float)))
    if channels == filters:
        variants.append(("canales y filtros", keras_conv(image, kernels.transpose(0, 1, 3, 2), biases)))
    return answer, tuple(variants)


def _key(value):
    """A hashable stand-in for a case's arguments (arrays by shape, type and bytes)."""
    if isinstance(value, np.ndarray):
        return "array", value.shape, value.dtype.str, value.tobytes()
    if isinstance(value, (tuple, list)):
        return type(value).__name__, tuple(_key(item) for item in value)
    return value


def _remembered(reference):
    """The reference, computed once per distinct case: the mutation tests ask for the same answers many times."""
    answers = {}

    def answer(case):
        key = (case.function, _key(case.args))
        if key not in answers:
            answers[key] = reference(case)
        return answers[key]
    return answer


REFERENCES = {exercise_id: _remembered(reference) for exercise_id, reference in {
    "4.1": _correlate,
    "4.2": _convolve,
    "4.3": _impulse,
    "4.4": lambda case: keras_output_size(*case.args),
    "4.5": _padded,
    "4.6": _pool,
    "4.7": _layer,
    "4.8": _multichannel,
}.items()}

# Exercises that call an earlier exercise's function are graded with these versions of it.
REFERENCE_FUNCTIONS = {
    "conv2d_valid": ("import numpy as np\n"
                     "def conv2d_valid(image, kernel):\n"
                     "    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)\n"
                     "    kh, kw = kernel.shape\n"
                     "    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1\n"
                     "    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(cols)]\n"
                     "                     for i in range(rows)]).reshape(rows, cols)\n"),
    "output_size": ("def output_size(n, k, p, s):\n"
                    "    return (n + 2 * p - k) // s + 1\n"),
}


# ------------------------------------------------------------------ hidden cases

def _rng():
    return np.random.default_rng(9004)


def _correlation_cases(function):
    rng = _rng()
    return [Case(function, (rng.normal(size=(11, 13)), rng.normal(size=(3, 5))), hidden=True),
            Case(function, (rng.uniform(0, 1, size=(4, 4)), rng.normal(size=(1, 1))), hidden=True),
            Case(function, (rng.normal(size=(8, 3)), rng.normal(size=(4, 3))), hidden=True),
            Case(function, (rng.integers(-3, 4, size=(3, 6)).astype(float), rng.normal(size=(3, 2))), hidden=True),
            Case(function, (rng.normal(size=(6, 5)), rng.normal(size=(3, 3))), hidden=True)]


def _impulse_cases():
    rng = _rng()
    return [Case("impulse_response", (rng.normal(size=(3, 2)), (6, 5), (0, 4)), hidden=True),   # top-right corner
            Case("impulse_response", (rng.normal(size=(2, 4)), (5, 7), (4, 0)), hidden=True),   # bottom-left corner
            Case("impulse_response", (rng.normal(size=(3, 3)), (3, 3), (1, 2)), hidden=True),   # 1×1 output
            Case("impulse_response", (rng.normal(size=(4, 2)), (9, 8), (5, 3)), hidden=True)]


def _size_cases():
    return [Case("output_size", args, hidden=True)
            for args in [(224, 7, 3, 2), (13, 4, 0, 4), (5, 5, 2, 3), (8, 3, 0, 3), (3, 1, 0, 1), (11, 2, 3, 4)]]


def _padding_stride_cases():
    rng = _rng()
    return [Case("conv2d", (rng.normal(size=(12, 9)), rng.normal(size=(3, 3)), 1, 3), hidden=True),
            Case("conv2d", (rng.normal(size=(5, 7)), rng.normal(size=(5, 5)), 2, 1), hidden=True),
            Case("conv2d", (rng.normal(size=(6, 10)), rng.normal(size=(2, 3)), 3, 4), hidden=True)]


def _pool_cases():
    rng = _rng()
    x = rng.normal(size=(10, 11))
    return [Case("pool2d", (x, 3, 1, "max"), hidden=True), Case("pool2d", (x, 4, 3, "min"), hidden=True),
            Case("pool2d", (x, 2, 3, "avg"), hidden=True), Case("pool2d", (-np.abs(x), 5, 5, "max"), hidden=True),
            Case("pool2d", (np.abs(x[:7, :5]), 3, 2, "min"), hidden=True)]


def _layer_cases():
    return [Case("predict_conv2d", args, hidden=True)
            for args in [((64, 48, 8), 10, 5, 2), ((5, 5, 3), 1, 5, 1), ((600, 512, 3), 32, 7, 4),
                         ((9, 13, 2), 7, 2, 3)]]


def _multichannel_cases():
    rng = _rng()
    return [Case("conv2d_multichannel", (rng.normal(size=(10, 12, 3)), rng.normal(size=(3, 3, 3, 5)),
                                         rng.normal(size=5)), hidden=True),
            Case("conv2d_multichannel", (rng.normal(size=(3, 3, 2)), rng.normal(size=(3, 3, 2, 2)),
                                         rng.normal(size=2)), hidden=True),
            Case("conv2d_multichannel", (rng.normal(size=(5, 4, 4)), rng.normal(size=(2, 1, 4, 3)),
                                         rng.normal(size=3)), hidden=True)]


HIDDEN_CASES = {
    "4.1": lambda: _correlation_cases("conv2d_valid"),
    "4.2": lambda: _correlation_cases("convolve2d"),
    "4.3": _impulse_cases,
    "4.4": _size_cases,
    "4.5": _padding_stride_cases,
    "4.6": _pool_cases,
    "4.7": _layer_cases,
    "4.8": _multichannel_cases,
}
