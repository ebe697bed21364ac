"""Notebook 05: plausible wrong answers fail with a specific reason, and this notebook's own
checks (the solution and the untouched notebook are covered for every notebook by test_checks_all.py)."""

import nbformat
import numpy as np
import pytest

from helpers import SOLUTIONS, assert_wrong_answer, definitions_of, function_exercises, model_verdict, verdict, wrong_answer_ids
from grader.core import Status
from grader.exercises import nb05

NAME = "05_cnn_classifier.ipynb"


@pytest.fixture(scope="module")
def solution_namespace():
    return definitions_of(SOLUTIONS / NAME)


@pytest.mark.parametrize("exercise_id", ["5.3", "5.4"])
def test_missing_model_is_not_attempted(exercise_id):
    assert verdict(exercise_id, {}).status == Status.NOT_ATTEMPTED


def test_training_metrics_are_never_output_checked():
    notebook = nbformat.read(SOLUTIONS / NAME, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and ".fit(" in cell.source:
            assert "NBVAL_CHECK_OUTPUT" not in cell.source, cell.get("id")


def test_lenet_constants_agree_with_keras():
    model = nb05.keras_from_spec(nb05.LENET_INPUT, nb05.LENET_SPEC)
    assert model.count_params() == nb05.LENET_PARAMS
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == nb05.LENET_SHAPES


# ---------------------------------------------------------------- wrong answers

def _lenet(first_padding="same", filters=(6, 16), units=(120, 84), activation="relu", pool="MaxPooling2D",
           output_activation="softmax", input_shape=(28, 28, 1)):
    import keras
    from keras import layers
    Pool = getattr(layers, pool)
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(filters[0], 5, padding=first_padding, activation=activation), Pool(2),
        layers.Conv2D(filters[1], 5, activation=activation), Pool(2), layers.Flatten(),
        *[layers.Dense(n, activation=activation) for n in units],
        layers.Dense(10, activation=output_activation)])


def lenet_valid_first_conv():
    return _lenet(first_padding="valid")


def lenet_wrong_filters():
    return _lenet(filters=(32, 64))


def lenet_no_softmax():
    return _lenet(output_activation="linear")


def lenet_flat_input():
    import keras
    from keras import layers
    return keras.Sequential([keras.Input((784,)), layers.Dense(120), layers.Dense(84), layers.Dense(10)])


def lenet_extra_flatten_at_the_end():
    import keras
    from keras import layers
    return keras.Sequential([keras.Input((28, 28, 1)), *_lenet().layers, layers.Flatten()])


def lenet_returns_layers_list():
    from keras import layers
    return [layers.Conv2D(6, 5)]


def _predict(input_shape, spec, conv_params, same_is_valid=False, pool_keeps_size=False):
    shape, rows = tuple(input_shape), []
    for kind, *args in spec:
        params = 0
        if kind == "conv":
            filters, k, padding = args
            keep = padding == "same" and not same_is_valid
            side = (shape[0], shape[1]) if keep else (shape[0] - k + 1, shape[1] - k + 1)
            params = conv_params(k, shape[2], filters)
            shape = (*side, filters)
        elif kind == "pool":
            if not pool_keeps_size:
                shape = (shape[0] // args[0], shape[1] // args[0], shape[2])
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
        else:
            params, shape = (shape[0] + 1) * args[0], (args[0],)
        rows.append((shape, params))
    return rows


def predict_conv_without_bias(input_shape, spec):
    return _predict(input_shape, spec, lambda k, c, f: k * k * c * f)


def predict_conv_ignores_channels(input_shape, spec):
    return _predict(input_shape, spec, lambda k, c, f: (k * k + 1) * f)


def predict_same_as_valid(input_shape, spec):
    return _predict(input_shape, spec, lambda k, c, f: (k * k * c + 1) * f, same_is_valid=True)


def predict_pool_keeps_size(input_shape, spec):
    return _predict(input_shape, spec, lambda k, c, f: (k * k * c + 1) * f, pool_keeps_size=True)


def predict_only_shapes(input_shape, spec):
    return [shape for shape, _ in _predict(input_shape, spec, lambda k, c, f: 0)]


WRONG_ANSWERS = [
    ("5.1", "build_lenet5", lenet_valid_first_conv, "padding='same'"),
    ("5.1", "build_lenet5", lenet_wrong_filters, "6 y 16 filtros; el modelo tiene (32, 64)"),
    ("5.1", "build_lenet5", lenet_no_softmax, "activation='softmax'"),
    ("5.1", "build_lenet5", lenet_flat_input, "la entrada debe tener forma (28, 28, 1)"),
    ("5.1", "build_lenet5", lenet_returns_layers_list, "debe devolver un modelo de Keras"),
    ("5.1", "build_lenet5", lenet_extra_flatten_at_the_end, "termina en la capa 8"),
    ("5.2", "predict_shapes_and_params", predict_conv_without_bias, "falta el sesgo de cada filtro"),
    ("5.2", "predict_shapes_and_params", predict_conv_ignores_channels, "cada filtro ve los 6 canales"),
    ("5.2", "predict_shapes_and_params", predict_same_as_valid, "capa 1 (conv 6 5×5 same): predices la forma "
                                                                "(24, 24, 6) y Keras da (28, 28, 6)"),
    ("5.2", "predict_shapes_and_params", predict_pool_keeps_size, "capa 2 (pool 2)"),
    ("5.2", "predict_shapes_and_params", predict_only_shapes, "debe ser un par (forma, parámetros)"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises("05_cnn_classifier")}


def test_classic_lenet_with_tanh_and_average_pooling_is_accepted(solution_namespace):
    # Checks test the architecture, not one recipe: the 1998 flavour is a LeNet-5 too.
    classic = lambda: _lenet(activation="tanh", pool="AveragePooling2D")  # noqa: E731
    assert verdict("5.1", solution_namespace, build_lenet5=classic).status == Status.CORRECT


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("5.2", solution_namespace, predict_shapes_and_params=predict_conv_without_bias)
    assert "each filter's bias is missing" in str(result.message)


# ---------------------------------------------------------------- model checks

def test_untrained_lenet_fails_on_accuracy():
    import keras
    keras.utils.set_random_seed(0)
    result = model_verdict("5.3", _lenet())
    assert result.status == Status.WRONG and "precisión en test" in result.message.es and "99%" in result.message.es


def test_lenet_model_check_rejects_another_architecture():
    result = model_verdict("5.3", _lenet(filters=(8, 16)))
    assert result.status == Status.WRONG and "6 y 16 filtros" in result.message.es


def test_briefly_trained_lenet_is_still_below_the_bar():
    # A tiny amount of training gives a clearly better-than-chance model that must still fail.
    import keras
    from grader.data import load_mnist
    (x, y), _ = load_mnist()
    x = (x[:2000].astype("float32") / 255.0)[..., None]
    keras.utils.set_random_seed(0)
    model = _lenet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y[:2000], epochs=1, batch_size=64, verbose=0)
    _, (test_images, test_labels) = load_mnist()
    predicted = np.argmax(model.predict(test_images[..., None] / 255.0, verbose=0), axis=1)
    accuracy = float(np.mean(predicted == test_labels))
    assert 0.3 < accuracy < nb05.LENET_MIN_ACCURACY
    result = model_verdict("5.3", model)
    assert result.status == Status.WRONG and f"precisión en test {accuracy:.2%}" in result.message.es


def _vgg(convs_per_block=2, blocks=2, kernel=3):
    import keras
    from keras import layers
    stack = [keras.Input((28, 28, 1))]
    for block in range(blocks):
        stack += [layers.Conv2D(8 * 2 ** block, kernel, padding="same", activation="relu")
                  for _ in range(convs_per_block)]
        stack.append(layers.MaxPooling2D(2))
    return keras.Sequential(stack + [layers.Flatten(), layers.Dense(10, activation="softmax")])


@pytest.mark.parametrize("model_kwargs, blocks", [(dict(convs_per_block=1), 0), (dict(blocks=1), 1),
                                                  (dict(kernel=5), 0)])
def test_vgg_check_needs_two_blocks_of_stacked_3x3_convolutions(model_kwargs, blocks):
    result = model_verdict("5.4", _vgg(**model_kwargs))
    assert result.status == Status.WRONG
    assert f"el modelo tiene {blocks} y se piden al menos 2" in result.message.es


def test_untrained_vgg_fails_on_accuracy():
    import keras
    keras.utils.set_random_seed(0)
    model = _vgg()
    assert nb05.vgg_blocks(model) == 2
    result = model_verdict("5.4", model)
    assert result.status == Status.WRONG and "por debajo del 90%" in result.message.es


def test_vgg_blocks_ignore_batchnorm_and_activation_layers():
    import keras
    from keras import layers

    def block():
        return [layers.Conv2D(8, 3, padding="same"), layers.BatchNormalization(), layers.Activation("relu"),
                layers.Conv2D(8, 3, padding="same"), layers.BatchNormalization(), layers.Activation("relu"),
                layers.MaxPooling2D(2)]

    assert nb05.vgg_blocks(keras.Sequential([keras.Input((28, 28, 1)), *block(), *block()])) == 2
