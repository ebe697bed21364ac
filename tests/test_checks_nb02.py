"""Notebook 02: plausible wrong answers fail with a specific reason, and this notebook's own
checks (the solution and the untouched notebook are covered for every notebook by test_checks_all.py)."""
import csv
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from helpers import ROOT, SOLUTIONS, assert_wrong_answer, definitions_of, exec_notebook_cells, function_exercises, model_verdict, verdict, wrong_answer_ids
from grader.core import Status
from grader.data import FRUIT_CSV, load_fruit
from grader.exercises import nb02

NAME = "02_apples_vs_oranges.ipynb"


@pytest.fixture(scope="module")
def solution_namespace():
    return definitions_of(SOLUTIONS / NAME)


# ---------------------------------------------------------------- the fruit table

def test_fruit_csv_is_reproduced_by_its_seeded_script(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "datasets" / "make_fruit.py"), str(tmp_path / "fruit.csv")],
                   check=True, capture_output=True)
    assert (tmp_path / "fruit.csv").read_bytes() == FRUIT_CSV.read_bytes()


def test_fruit_csv_columns_and_balance():
    with FRUIT_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["weight_g", "roughness", "fruit", "label"]
    assert len(rows) == 1000
    assert {(row["fruit"], row["label"]) for row in rows} == {("manzana", "0"), ("naranja", "1")}
    assert sum(row["label"] == "1" for row in rows) == 500
    assert all(0 <= float(row["roughness"]) <= 1 and float(row["weight_g"]) > 0 for row in rows)


def test_classes_overlap_so_a_linear_model_is_good_but_not_perfect():
    # Best linear classifier (logistic regression to convergence) on the whole table.
    X, y = load_fruit()
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    w, b = np.zeros(2), 0.0
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w, b = w - 3.0 * Z.T @ (p - y) / len(y), b - 3.0 * np.mean(p - y)
    accuracy = np.mean(((Z @ w + b) >= 0) == y)
    assert 0.93 <= accuracy <= 0.98


def test_notebook_split_is_the_one_the_grader_uses(solution_namespace):
    notebook = nbformat.read(SOLUTIONS / NAME, as_version=4)
    wanted = {"setup", "load-fruit", "split", "standardize"}
    namespace = exec_notebook_cells(SOLUTIONS / NAME, lambda cell: cell.get("id") in wanted)
    assert wanted <= {cell.get("id") for cell in notebook.cells}
    splits = nb02.fruit_splits()
    for name, suffix in [("train", "train"), ("val", "val"), ("test", "test")]:
        np.testing.assert_allclose(namespace[f"X_{suffix}_std"], splits[name][0])
        np.testing.assert_array_equal(namespace[f"y_{suffix}"], splits[name][1])


# ---------------------------------------------------------------- wrong answers

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def mse_without_half(y_true, y_prob):
    return np.mean((y_prob - y_true) ** 2)


def mse_per_example(y_true, y_prob):
    return (y_prob - y_true) ** 2 / 2


def bce_without_minus(y_true, y_prob):  # the sign slip of the course slides
    y_prob = np.clip(y_prob, 1e-7, 1 - 1e-7)
    return np.mean(y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))


def bce_without_clipping(y_true, y_prob):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.mean(y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))


def gradients_mse_like_bce(X, y, w, b, loss="bce"):
    delta = sigmoid(X @ w + b) - y  # forgets σ'(z) for the MSE loss
    return X.T @ delta / len(y), delta.mean()


def gradients_summed(X, y, w, b, loss="bce"):
    p = sigmoid(X @ w + b)
    delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
    return X.T @ delta, delta.sum()


def gradients_wrong_sign(X, y, w, b, loss="bce"):
    p = sigmoid(X @ w + b)
    delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
    return -X.T @ delta / len(y), -delta.mean()


def train_ascending(X, y, learning_rate, epochs, loss="bce"):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        p = sigmoid(X @ w + b)
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) if loss == "bce" else np.mean((p - y) ** 2) / 2)
        delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
        w, b = w + learning_rate * X.T @ delta / len(y), b + learning_rate * delta.mean()
    return w, b, np.array(losses)


def train_records_after_update(X, y, learning_rate, epochs, loss="bce"):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        p = sigmoid(X @ w + b)
        delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
        w, b = w - learning_rate * X.T @ delta / len(y), b - learning_rate * delta.mean()
        p = sigmoid(X @ w + b)
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) if loss == "bce" else np.mean((p - y) ** 2) / 2)
    return w, b, np.array(losses)


def train_too_few_epochs(X, y, learning_rate, epochs, loss="bce"):
    # stops after 10 epochs but pads the loss history to look complete
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(epochs):
        p = sigmoid(X @ w + b)
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) if loss == "bce" else np.mean((p - y) ** 2) / 2)
        if epoch < 10:
            delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
            w, b = w - learning_rate * X.T @ delta / len(y), b - learning_rate * delta.mean()
    return w, b, np.array(losses)


WRONG_ANSWERS = [
    ("2.1", "mse_loss", mse_without_half, "el doble de lo esperado"),
    ("2.1", "mse_loss", mse_per_example, "debe devolver un solo número"),
    ("2.1", "bce_loss", bce_without_minus, "¿falta el signo menos"),
    ("2.1", "bce_loss", bce_without_clipping, "np.clip"),
    ("2.2", "loss_gradients", gradients_mse_like_bce, "con pérdida 'mse' no coincide con el gradiente numérico"),
    ("2.2", "loss_gradients", gradients_summed, "dividir entre el número de ejemplos"),
    ("2.2", "loss_gradients", gradients_wrong_sign, "signo cambiado"),
    ("2.3", "train_neuron", train_ascending, "se esperaba"),
    ("2.3", "train_neuron", train_records_after_update, "antes de la primera actualización"),
    ("2.3", "train_neuron", train_too_few_epochs, "tras 200 épocas"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises("02_apples_vs_oranges")}


def test_fruit_case_measures_test_accuracy(solution_namespace, monkeypatch):
    # The solution reaches about 96.7 % on the held-out split: an impossible bar must make the same answer fail.
    assert verdict("2.3", solution_namespace).status == Status.CORRECT
    monkeypatch.setattr(nb02, "NUMPY_TEST_ACCURACY", 0.999)
    result = verdict("2.3", solution_namespace)
    assert result.status == Status.WRONG and "del conjunto de prueba; debe llegar al 100%" in result.message.es


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("2.1", solution_namespace, bce_loss=bce_without_minus)
    assert "is the minus sign in front of the sum missing?" in str(result.message)


# ---------------------------------------------------------------- Keras model

def test_model_check():
    import keras
    from keras import layers
    assert model_verdict("2.4", None).status == Status.NOT_ATTEMPTED

    keras.utils.set_random_seed(0)
    hidden = keras.Sequential([keras.Input((2,)), layers.Dense(4), layers.Dense(1, activation="sigmoid")])
    result = model_verdict("2.4", hidden)
    assert result.status == Status.WRONG and "3 parámetros" in result.message.es

    linear = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    result = model_verdict("2.4", linear)
    assert result.status == Status.WRONG and "sigmoide" in result.message.es

    untrained = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    untrained.layers[-1].set_weights([np.array([[1.0], [0.0]]), np.array([0.0])])  # looks at weight only
    result = model_verdict("2.4", untrained)
    assert result.status == Status.WRONG and "conjunto de prueba" in result.message.es

    # Weights set by hand near the optimum must pass: the check measures behaviour, not the recipe.
    by_hand = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    by_hand.layers[-1].set_weights([np.array([[1.5], [6.0]]), np.array([-0.2])])
    assert model_verdict("2.4", by_hand).status == Status.CORRECT
