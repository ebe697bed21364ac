"""Notebook 01: plausible wrong answers fail with a specific reason (the solution and the
untouched notebook are covered for every notebook by test_checks_all.py)."""
import numpy as np
import pytest

from helpers import SOLUTIONS, assert_wrong_answer, definitions_of, function_exercises, model_verdict, verdict, wrong_answer_ids
from grader.core import Status

NAME = "01_perceptron_or_xor.ipynb"


@pytest.fixture(scope="module")
def solution_namespace():
    return definitions_of(SOLUTIONS / NAME)


def test_missing_function_is_not_attempted_with_a_reason(solution_namespace):
    namespace = {k: v for k, v in solution_namespace.items() if k != "step"}
    result = verdict("1.1", namespace)
    assert result.status == Status.NOT_ATTEMPTED and "`step`" in result.message.es


# ---------------------------------------------------------------- wrong answers
# Each: (exercise, name to replace, wrong implementation, words the reason must contain)

def step_strict(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def step_scalar_only(z):
    return 1.0 if z >= 0 else 0.0


def leaky_relu_keras_slope(z, alpha=0.3):
    return np.where(z > 0, z, alpha * z)


def sigmoid_derivative_wrong(z):
    return 1 / (1 + np.exp(-z))


def relu_derivative_returns_relu(z):
    return np.maximum(0, z)


def forward_without_bias(X, w, b):
    return np.where(X @ w >= 0, 1.0, 0.0)


def forward_transposed(X, w, b):
    return np.where(X.T @ w + b >= 0, 1.0, 0.0)


def update_wrong_sign(x, target, w, b, learning_rate):
    output = np.where(x @ w + b >= 0, 1.0, 0.0)
    return w - learning_rate * (target - output) * x, b - learning_rate * (target - output)


def update_forgets_bias(x, target, w, b, learning_rate):
    output = np.where(x @ w + b >= 0, 1.0, 0.0)
    return w + learning_rate * (target - output) * x, b


def train_single_epoch(X, targets, w, b, learning_rate, epochs):
    history = []
    for x, target in zip(X, targets):
        z = x @ w + b
        output = float(z >= 0)
        w = w + learning_rate * (target - output) * x
        b = b + learning_rate * (target - output)
        history.append([*x, z, output, target, *w, b])
    return w, b, np.array(history)


def train_without_history(X, targets, w, b, learning_rate, epochs):
    return w, b, []


def collapse_reversed(W1, b1, W2, b2):
    return W2.T @ W1.T, b2


def collapse_forgets_first_bias(W1, b1, W2, b2):
    return W1 @ W2, b2


WRONG_ANSWERS = [
    ("1.1", "step", step_strict, "step(0) debe valer 1"),
    ("1.1", "step", step_scalar_only, "lanzó ValueError"),
    ("1.2", "leaky_relu", leaky_relu_keras_slope, "se esperaba"),
    ("1.3", "sigmoid_derivative", sigmoid_derivative_wrong, "sigmoid_derivative([-3. , -1.5 , -0.25, 0.25, 1.5 , 3. ]): se esperaba en la posición [5]"),
    ("1.3", "relu_derivative", relu_derivative_returns_relu, "relu_derivative("),
    ("1.4", "perceptron_forward", forward_without_bias, "se esperaba en la posición [0] 0 y se obtuvo 1"),
    ("1.4", "perceptron_forward", forward_transposed, "lanzó ValueError"),
    ("1.5", "perceptron_update", update_wrong_sign, "se esperaba"),
    ("1.5", "perceptron_update", update_forgets_bias, "se esperaba -0.5 y se obtuvo -1"),
    ("1.6", "train_perceptron", train_single_epoch, "acierta 3/4"),
    ("1.6", "train_perceptron", train_without_history, "una fila por iteración"),
    ("1.7", "collapse_linear_layers", collapse_reversed, "W debería tener forma"),
    ("1.7", "collapse_linear_layers", collapse_forgets_first_bias, "no coincide con las dos capas"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises("01_perceptron_or_xor")}


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("1.1", solution_namespace, step=step_strict)
    assert str(result.message).endswith("step(0) must be 1: the threshold is z ≥ 0")


def test_a_function_that_mutates_its_input_cannot_fool_the_judge(solution_namespace):
    def step_mutating(z):
        z[...] = 1.0  # would make the expected answer "all ones" if inputs were shared
        return np.ones_like(z)

    assert verdict("1.1", solution_namespace, step=step_mutating).status == Status.WRONG


# ---------------------------------------------------------------- Keras models

@pytest.fixture(scope="module")
def keras_gate_data(solution_namespace):
    import keras
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    return keras, X


def test_model_checks(keras_gate_data, solution_namespace):
    keras, X = keras_gate_data
    layers = keras.layers
    assert model_verdict("1.8", None).status == Status.NOT_ATTEMPTED

    keras.utils.set_random_seed(0)
    two_layers = keras.Sequential([keras.Input((2,)), layers.Dense(2), layers.Dense(1, activation="sigmoid")])
    result = model_verdict("1.8", two_layers)
    assert result.status == Status.WRONG and "3 parámetros" in result.message.es

    untrained = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    untrained.layers[0].set_weights([np.array([[-1.0], [-1.0]]), np.array([0.5])])  # predicts NOR, not OR
    result = model_verdict("1.8", untrained)
    assert result.status == Status.WRONG and "acierta 0/4" in result.message.es

    single = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    result = model_verdict("1.9", single)
    assert result.status == Status.WRONG and "capa oculta" in result.message.es

    linear_hidden = keras.Sequential([keras.Input((2,)), layers.Dense(8), layers.Dense(1, activation="sigmoid")])
    result = model_verdict("1.9", linear_hidden)
    assert result.status == Status.WRONG and "no lineal" in result.message.es

    # A hand-made XOR network (two step-like tanh units) must pass: checks test behaviour, not recipes.
    xor_by_hand = keras.Sequential([keras.Input((2,)), layers.Dense(2, activation="tanh"),
                                    layers.Dense(1, activation="sigmoid")])
    xor_by_hand.layers[0].set_weights([np.array([[20.0, -20.0], [20.0, -20.0]]), np.array([-10.0, 30.0])])
    xor_by_hand.layers[1].set_weights([np.array([[20.0], [20.0]]), np.array([-30.0])])
    assert model_verdict("1.9", xor_by_hand).status == Status.CORRECT
