"""Hidden cases and references for notebook 05: instructors only, never shipped to students.

The references ask Keras itself (output shapes, count_params(), the gradient of one unit with
respect to the input, a BatchNormalization layer), never the solution notebook's code. Keras models are built once per
distinct input: the mutation tests ask for the same answers many times.
"""
from functools import cache

import numpy as np

from grader.core import Case
from grader.exercises.nb05 import LENET_INPUT, LENET_SPEC, _batch_norm_args

# ------------------------------------------------------------------ hidden cases

# 5.2 / 5.3: layer lists unlike the public ones (non-square pooling leftovers, 1×1 and even kernels).
WIDE_SPEC = [("conv", 10, 7, "valid"), ("pool", 2), ("conv", 20, 3, "same"), ("conv", 5, 1, "valid"),
             ("pool", 4), ("flatten",), ("dense", 33), ("dense", 2)]
TINY_SPEC = [("conv", 4, 3, "same"), ("pool", 3), ("conv", 3, 2, "valid"), ("flatten",), ("dense", 5)]
EVEN_SAME_SPEC = [("conv", 6, 4, "same"), ("conv", 2, 2, "same"), ("pool", 2), ("flatten",), ("dense", 3)]

HIDDEN_CASES = {
    # Other numbers of classes: 26 letters, 47 classes of EMNIST "balanced".
    "5.1": lambda: [Case("build_lenet5", (26,), hidden=True), Case("build_lenet5", (47,), hidden=True)],
    "5.2": lambda: [Case("predict_shapes_and_params", ((64, 48, 3), WIDE_SPEC), hidden=True),
                    Case("predict_shapes_and_params", ((15, 15, 2), TINY_SPEC), hidden=True),
                    Case("predict_shapes_and_params", ((9, 9, 5), EVEN_SAME_SPEC), hidden=True)],
    "5.3": lambda: [Case("multiply_adds", ((64, 48, 3), WIDE_SPEC), hidden=True),
                    Case("multiply_adds", ((9, 9, 5), EVEN_SAME_SPEC), hidden=True)],
    "5.6": lambda: _hidden_batch_norm_cases(),
    "5.5": lambda: [Case("receptive_field", ([("conv", 8, 3, "same")] * 4,), hidden=True),
                    Case("receptive_field", ([("conv", 4, 7, "valid"), ("pool", 3), ("conv", 4, 2, "valid"),
                                              ("pool", 2), ("conv", 4, 3, "same")],), hidden=True),
                    Case("receptive_field", ([("pool", 2), ("pool", 2), ("conv", 1, 1, "valid")],), hidden=True)],
}



def _hidden_batch_norm_cases():
    # Sequences (n, steps, channels), a larger batch with the defaults, a single feature, a batch of one image.
    rng = np.random.default_rng(5600)
    return [Case("batch_norm_train", (*_batch_norm_args(rng, (6, 4, 5)), 0.95, 1e-5), hidden=True),
            Case("batch_norm_train", _batch_norm_args(rng, (32, 7)), hidden=True),
            Case("batch_norm_train", (*_batch_norm_args(rng, (10, 1)), 0.5, 0.2), hidden=True),
            Case("batch_norm_inference", _batch_norm_args(rng, (5, 3)), hidden=True),
            Case("batch_norm_inference", (*_batch_norm_args(rng, (1, 6, 4, 3)), 0.02), hidden=True)]


# ------------------------------------------------------------------ references

def keras_from_spec(input_shape, spec):
    """A Keras model with the layers of a 5.2 layer list (default weights)."""
    import keras
    from keras import layers
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


def _key(spec):
    return tuple(tuple(layer) for layer in spec)


@cache
def _keras_rows(input_shape, spec):
    """((output shape, parameters) of each layer) as Keras reports them."""
    model = keras_from_spec(input_shape, spec)
    return tuple((tuple(int(d) for d in layer.output.shape[1:]), int(layer.count_params())) for layer in model.layers)


def shapes_and_params(input_shape, spec):
    return [(shape, params) for shape, params in _keras_rows(tuple(input_shape), _key(spec))]


def multiply_adds(input_shape, spec):
    """Multiplications per image: each output value of a conv or dense layer costs one per weight it sees."""
    rows, before = [], tuple(input_shape)
    for (kind, *args), (shape, _) in zip(spec, shapes_and_params(input_shape, spec)):
        if kind == "conv":
            rows.append(shape[0] * shape[1] * args[1] * args[1] * before[-1] * args[0])
        elif kind == "dense":
            rows.append(before[0] * args[0])
        else:
            rows.append(0)
        before = shape
    return rows


@cache
def _measured_receptive_fields(spec):
    """Side of the input window that one unit of each layer sees, measured with the gradient of the
    first unit of a linear copy of the layers (kernels of ones, average pooling) on a large input."""
    import keras
    import tensorflow as tf
    from keras import layers
    size = 160
    image = tf.Variable(np.ones((1, size, size, 1), dtype="float32"))
    stack, sides = [keras.Input((size, size, 1))], []
    for kind, *args in spec:
        if kind == "conv":
            stack.append(layers.Conv2D(1, args[1], use_bias=False, kernel_initializer="ones"))
        else:
            stack.append(layers.AveragePooling2D(args[0]))
        probe = keras.Sequential(list(stack))
        with tf.GradientTape() as tape:
            unit = probe(image)[0, 0, 0, 0]
        seen = np.flatnonzero(np.abs(tape.gradient(unit, image).numpy()[0, :, :, 0]).sum(axis=1))
        sides.append(int(seen.max() - seen.min() + 1))
    return tuple(sides)


def _lenet_rows(num_classes):
    spec = [*LENET_SPEC[:-1], ("dense", num_classes)]
    rows = shapes_and_params(LENET_INPUT, spec)
    return [shape for shape, _ in rows], sum(params for _, params in rows)


KERAS_MOMENTUM, KERAS_EPSILON = 0.99, 1e-3  # BatchNormalization's defaults, the functions' defaults too


def _keras_batch_norm(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon, training):
    """(output, moving mean, moving variance) of a float64 keras.layers.BatchNormalization after one call."""
    import keras
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta, moving_mean, moving_variance])
    output = np.asarray(layer(x, training=training))
    return output, layer.moving_mean.numpy(), layer.moving_variance.numpy()


def _normalised(x, gamma, beta, mean, variance, epsilon, epsilon_outside=False):
    scale = np.sqrt(variance) + epsilon if epsilon_outside else np.sqrt(variance + epsilon)
    return gamma * (x - mean) / scale + beta


_batch_norm_answers = {}


def batch_norm_reference(case):
    """Computed once per distinct case: grading and the mutation tests ask for the same answers many times."""
    key = (case.function, tuple(np.asarray(arg).tobytes() + str(np.shape(arg)).encode() for arg in case.args))
    if key not in _batch_norm_answers:
        _batch_norm_answers[key] = _batch_norm_answer(case)
    return _batch_norm_answers[key]


def _batch_norm_answer(case):
    """(Keras's answer, typical mistakes): for training the answer is (output, moving mean, moving variance)
    and each mistake (kind, output, moving mean, moving variance); for inference, (output,) and (kind, output).
    The mistakes, computed here in NumPy, only name what a wrong answer matches; Keras decides what is right."""
    x, gamma, beta, moving_mean, moving_variance, *rest = case.args
    axes = tuple(range(x.ndim - 1))
    if case.function == "batch_norm_inference":
        epsilon = rest[0] if rest else KERAS_EPSILON
        right = _keras_batch_norm(x, gamma, beta, moving_mean, moving_variance, KERAS_MOMENTUM, epsilon, False)
        mistakes = (("batch-in-inference", _normalised(x, gamma, beta, x.mean(axes), x.var(axes), epsilon)),
                    ("epsilon-outside", _normalised(x, gamma, beta, moving_mean, moving_variance, epsilon, True)),
                    ("no-scale-shift", _normalised(x, 1, 0, moving_mean, moving_variance, epsilon)))
        return right[:1], mistakes
    momentum, epsilon = (list(rest) + [KERAS_MOMENTUM, KERAS_EPSILON][len(rest):])[:2]
    right = _keras_batch_norm(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon, True)
    mean, variance = x.mean(axes), x.var(axes)

    def moving(new_mean, new_variance, weight=momentum):
        return (weight * moving_mean + (1 - weight) * new_mean, weight * moving_variance + (1 - weight) * new_variance)

    unbiased = x.var(axes, ddof=1) if x.size > x.shape[-1] else variance
    first_mean, first_variance = x.mean(0), x.var(0)
    mistakes = (("n-1", _normalised(x, gamma, beta, mean, unbiased, epsilon), *moving(mean, unbiased)),
                ("epsilon-outside", _normalised(x, gamma, beta, mean, variance, epsilon, True), *right[1:]),
                ("moving-in-training", _normalised(x, gamma, beta, moving_mean, moving_variance, epsilon),
                 *right[1:]),
                ("momentum-swapped", right[0], *moving(mean, variance, 1 - momentum)),
                ("first-axis-only", _normalised(x, gamma, beta, first_mean, first_variance, epsilon),
                 *moving(first_mean, first_variance)),
                ("no-scale-shift", _normalised(x, 1, 0, mean, variance, epsilon), *right[1:]))
    return right, mistakes


REFERENCES = {
    "5.1": lambda case: _lenet_rows(case.args[0] if case.args else 10),
    "5.2": lambda case: shapes_and_params(*case.args),
    "5.3": lambda case: multiply_adds(*case.args),
    "5.5": lambda case: list(_measured_receptive_fields(_key(case.args[0]))),
    "5.6": batch_norm_reference,
}

# 5.3 calls the student's 5.2 function; when that one fails, 5.3 is graded with this one.
REFERENCE_FUNCTIONS = {
    "predict_shapes_and_params": '''
def predict_shapes_and_params(input_shape, spec):
    height, width, channels = input_shape
    size, rows = None, []
    for kind, *args in spec:
        if kind == "conv":
            filters, k, padding = args
            if padding == "valid":
                height, width = height - k + 1, width - k + 1
            rows.append(((height, width, filters), (k * k * channels + 1) * filters))
            channels = filters
        elif kind == "pool":
            height, width = height // args[0], width // args[0]
            rows.append(((height, width, channels), 0))
        elif kind == "flatten":
            size = height * width * channels
            rows.append(((size,), 0))
        else:
            rows.append(((args[0],), (size + 1) * args[0]))
            size = args[0]
    return rows
''',
}
