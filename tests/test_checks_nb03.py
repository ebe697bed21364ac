"""Notebook 03: plausible wrong answers fail with a specific reason, and this notebook's own
checks (the solution and the untouched notebook are covered for every notebook by test_checks_all.py)."""
import nbformat
import numpy as np
import pytest

from helpers import SOLUTIONS, assert_wrong_answer, definitions_of, function_exercises, model_verdict, verdict, wrong_answer_ids
from grader.core import Status
from grader.exercises.registry import get_exercise
from grader.hidden import hidden_cases, with_expected

NAME = "03_mlp_mnist.ipynb"


@pytest.fixture(scope="module")
def solution_namespace():
    return definitions_of(SOLUTIONS / NAME)


def test_stored_outputs_reach_the_accuracy_targets():
    # The stored run of the solution must show the targets the notebook promises (>= 90 % and >= 98 %).
    notebook = nbformat.read(SOLUTIONS / NAME, as_version=4)
    text = {cell.get("id"): "".join(o.get("text", "") for o in cell.outputs)
            for cell in notebook.cells if cell.cell_type == "code"}
    numpy_accuracy = float(text["train-numpy"].split("hecha a mano: ")[1].split("%")[0])
    keras_accuracy = float(text["ex-3-5"].split("exactitud en prueba: ")[1].split("%")[0])
    assert numpy_accuracy >= 90.0 and keras_accuracy >= 98.0


def test_seed_004_crossentropy_table(solution_namespace):
    losses = solution_namespace["categorical_crossentropy"](
        np.array([[1.0, 0.0, 0.0]] * 3), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]]))
    assert losses[0] == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(losses[1]) and losses[1] > 10
    assert losses[2] == pytest.approx(0.693, abs=5e-4)


def test_backward_passes_a_numerical_gradient_check(solution_namespace):
    forward, backward = solution_namespace["forward"], solution_namespace["backward"]
    rng = np.random.default_rng(5)
    X, Y = rng.uniform(size=(5, 6)), np.eye(3)[rng.integers(0, 3, size=5)]
    params = [rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=(4, 3)), rng.normal(size=3)]

    def cost():
        return np.sum((forward(X, *params)[1] - Y) ** 2) / (2 * len(X))

    for param, analytic in zip(params, backward(X, Y, *params)):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            original = param[index]
            param[index] = original + 1e-6
            up = cost()
            param[index] = original - 1e-6
            down = cost()
            param[index] = original
            numeric[index] = (up - down) / 2e-6
        error = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        assert error < 1e-6


# ---------------------------------------------------------------- wrong answers

def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def count_without_biases(layer_sizes):
    return sum(n * m for n, m in zip(layer_sizes[:-1], layer_sizes[1:]))


def count_with_input_biases(layer_sizes):
    return sum(n * m for n, m in zip(layer_sizes[:-1], layer_sizes[1:])) + sum(layer_sizes)


def softmax_unshifted(z):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def softmax_wrong_axis(z):
    exponentials = np.exp(z - z.max())
    return exponentials / exponentials.sum(axis=0, keepdims=True)


def crossentropy_unclipped(y_true, y_prob):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(y_true * np.log(y_prob), axis=-1)


def crossentropy_mean(y_true, y_prob):
    return np.mean(-np.sum(y_true * np.log(np.clip(y_prob, 1e-7, 1 - 1e-7)), axis=-1))


def forward_transposed(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1.T + b1)
    return A1, sigmoid(A1 @ W2.T + b2)


def forward_without_bias(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1)
    return A1, sigmoid(A1 @ W2)


def _correct_forward(X, W1, b1, W2, b2):
    A1 = sigmoid(X @ W1 + b1)
    return A1, sigmoid(A1 @ W2 + b2)


def backward_transposed(X, Y, W1, b1, W2, b2):
    A1, A2 = _correct_forward(X, W1, b1, W2, b2)
    D2 = (A2 - Y) * A2 * (1 - A2) / len(X)
    D1 = (D2 @ W2.T) * A1 * (1 - A1)
    return D1.T @ X, D1.sum(axis=0), D2.T @ A1, D2.sum(axis=0)


def backward_without_bias_gradients(X, Y, W1, b1, W2, b2):
    A1, A2 = _correct_forward(X, W1, b1, W2, b2)
    D2 = (A2 - Y) * A2 * (1 - A2) / len(X)
    D1 = (D2 @ W2.T) * A1 * (1 - A1)
    return X.T @ D1, np.zeros_like(b1), A1.T @ D2, np.zeros_like(b2)


def backward_forgets_hidden_derivative(X, Y, W1, b1, W2, b2):
    A1, A2 = _correct_forward(X, W1, b1, W2, b2)
    D2 = (A2 - Y) * A2 * (1 - A2) / len(X)
    D1 = D2 @ W2.T
    return X.T @ D1, D1.sum(axis=0), A1.T @ D2, D2.sum(axis=0)


def _init(X, Y, n_hidden, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(X.shape[1], n_hidden)) / np.sqrt(X.shape[1]), np.zeros(n_hidden),
            rng.normal(size=(n_hidden, Y.shape[1])) / np.sqrt(n_hidden), np.zeros(Y.shape[1]))


def train_never_updates(X, Y, n_hidden, epochs, batch_size, learning_rate, seed=0):
    return _init(X, Y, n_hidden, seed)


def train_only_output_layer(X, Y, n_hidden, epochs, batch_size, learning_rate, seed=0):
    W1, b1, W2, b2 = _init(X, Y, n_hidden, seed)
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            x, y = X[start:start + batch_size], Y[start:start + batch_size]
            A1, A2 = _correct_forward(x, W1, b1, W2, b2)
            D2 = (A2 - y) * A2 * (1 - A2) / len(x)
            W2, b2 = W2 - learning_rate * A1.T @ D2, b2 - learning_rate * D2.sum(axis=0)
    return W1, b1, W2, b2


def train_returns_transposed(X, Y, n_hidden, epochs, batch_size, learning_rate, seed=0):
    W1, b1, W2, b2 = _init(X, Y, n_hidden, seed)
    return W1.T, b1, W2.T, b2


WRONG_ANSWERS = [
    ("3.1", "count_dense_params", count_without_biases, "solo los pesos"),
    ("3.1", "count_dense_params", count_with_input_biases, "model.count_params() da 11935"),
    ("3.2", "softmax", softmax_unshifted, "Resta el máximo de cada fila"),
    ("3.2", "softmax", softmax_wrong_axis, "cada fila debe sumar 1"),
    ("3.2", "categorical_crossentropy", crossentropy_unclipped, "np.clip"),
    ("3.2", "categorical_crossentropy", crossentropy_mean, "una pérdida por ejemplo"),
    ("3.3", "forward", forward_transposed, "A1: se esperaba"),
    ("3.3", "forward", forward_without_bias, "A1: se esperaba"),
    ("3.3", "backward", backward_transposed, "dW1 debe tener la forma del parámetro, (6, 3)"),
    ("3.3", "backward", backward_without_bias_gradients, "db1 no coincide con el gradiente de TensorFlow"),
    ("3.3", "backward", backward_forgets_hidden_derivative, "dW1 no coincide con el gradiente de TensorFlow"),
    ("3.4", "train_network", train_never_updates, "debe llegar al 85%"),
    ("3.4", "train_network", train_only_output_layer, "debe llegar al 85%"),
    ("3.4", "train_network", train_returns_transposed, "W1 debería tener forma (2, 10)"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises("03_mlp_mnist")}


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("3.2", solution_namespace, softmax=softmax_unshifted)
    assert "Subtract each row's maximum before np.exp" in str(result.message)


def test_hidden_mnist_case_catches_a_network_that_does_not_learn(solution_namespace):
    exercise = get_exercise("3.4")
    mnist_case = next(case for case in with_expected("3.4", hidden_cases("3.4")) if case.args[0].shape[1] == 784)
    result = exercise.judge(exercise.run({"train_network": train_never_updates}, [mnist_case]))
    assert result.status == Status.WRONG and "imágenes de prueba de MNIST" in result.message.es
    assert "(…)" in result.message.es  # hidden inputs are never shown


# ---------------------------------------------------------------- Keras model

def mlp(keras, hidden_activation="relu", output_activation="softmax", dropout=True, flatten=True):
    from keras import layers
    stack = [keras.Input((28, 28)), layers.Flatten()] if flatten else [keras.Input((784,))]
    stack += [layers.Dense(32, activation=hidden_activation)]
    stack += [layers.Dropout(0.2)] if dropout else []
    return keras.Sequential(stack + [layers.Dense(10, activation=output_activation)])


def test_model_check_architecture_and_accuracy():
    import keras
    from keras import layers
    keras.utils.set_random_seed(0)
    assert model_verdict("3.5", None).status == Status.NOT_ATTEMPTED

    no_hidden = keras.Sequential([keras.Input((784,)), layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    result = model_verdict("3.5", no_hidden)
    assert result.status == Status.WRONG and "capa oculta" in result.message.es

    result = model_verdict("3.5", mlp(keras, output_activation="sigmoid"))
    assert result.status == Status.WRONG and "Dense(10, activation='softmax')" in result.message.es

    result = model_verdict("3.5", mlp(keras, hidden_activation="sigmoid"))
    assert result.status == Status.WRONG and "ReLU" in result.message.es

    result = model_verdict("3.5", mlp(keras, dropout=False))
    assert result.status == Status.WRONG and "Dropout" in result.message.es

    for flatten in (True, False):  # both input layouts are evaluated; untrained, they are at chance level
        result = model_verdict("3.5", mlp(keras, flatten=flatten))
        assert result.status == Status.WRONG and "de las 10 000 imágenes de prueba" in result.message.es


@pytest.mark.slow
def test_model_check_accepts_a_trained_model_and_measures_it(monkeypatch):
    import keras
    from grader.data import load_mnist
    from grader.exercises import nb03
    keras.utils.set_random_seed(0)
    (x_train, y_train), _ = load_mnist()
    model = mlp(keras, flatten=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train[:20000].reshape(-1, 784) / 255, y_train[:20000], epochs=2, batch_size=128, verbose=0)
    # About 94 %: passes a 90 % bar, fails the real 97.8 % one.
    monkeypatch.setattr(nb03, "KERAS_TEST_ACCURACY", 0.90)
    assert model_verdict("3.5", model).status == Status.CORRECT
    monkeypatch.setattr(nb03, "KERAS_TEST_ACCURACY", 0.978)
    result = model_verdict("3.5", model)
    assert result.status == Status.WRONG and "debe llegar al 97.8%" in result.message.es
