"""Notebook 02: plausible wrong answers fail with a specific reason, the references are right, the notebook's
claims hold, and this notebook's own checks (the solution and the untouched notebook are covered for every
notebook by test_checks_all.py)."""
import csv
import importlib.util
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from helpers import (ROOT, SOLUTIONS, assert_wrong_answer, definitions_of, exec_notebook_cells, function_exercises,
                     graded_verdict, model_verdict, verdict, wrong_answer_ids)
from mutation import hand_written, notebook_mutation, unlisted_gaps
from grader.core import Case, Status
from grader.data import FRUIT_CSV, load_fruit
from grader.exercises import nb02
from grader.exercises.registry import exercises_for, get_exercise
from grader.grading.extract import extract_definitions
from grader.grading.sandbox import all_cases
from grader.hidden import nb02 as hidden
from grader.hidden import reference_sources
from grader.runner import load_definitions

ASSIGNMENT = "02_apples_vs_oranges"
NAME = f"{ASSIGNMENT}.ipynb"


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


def test_the_neuron_is_as_good_as_the_bayes_classifier():
    # The notebook says: with the generator's two Gaussian clouds the best possible classifier is right about
    # 96.5 % of the time, and the trained neuron's line is too. Monte Carlo from the generator's parameters.
    spec = importlib.util.spec_from_file_location("make_fruit", ROOT / "datasets" / "make_fruit.py")
    make_fruit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_fruit)
    rng = np.random.default_rng(0)
    clouds = {label: np.column_stack([rng.normal(*params["weight_g"], 400_000), rng.normal(*params["roughness"], 400_000)])
              for label, params in ((0, make_fruit.APPLE), (1, make_fruit.ORANGE))}

    def log_density(points, params):
        return sum(-0.5 * ((points[:, i] - mean) / std) ** 2 - np.log(std)
                   for i, (mean, std) in enumerate((params["weight_g"], params["roughness"])))

    def is_orange_bayes(points):
        return log_density(points, make_fruit.ORANGE) > log_density(points, make_fruit.APPLE)

    X_train, y_train = nb02.fruit_splits()["train"]
    w, b, _ = hidden.train(X_train, y_train, 1.0, 200)
    X, _ = load_fruit()
    order = np.random.default_rng(nb02.SPLIT_SEED).permutation(len(X))[:700]
    mean, std = X[order].mean(axis=0), X[order].std(axis=0)

    def is_orange_neuron(points):
        return (points - mean) / std @ w + b >= 0

    for rule, low, high in ((is_orange_bayes, 0.962, 0.968), (is_orange_neuron, 0.960, 0.968)):
        accuracy = (np.mean(~rule(clouds[0])) + np.mean(rule(clouds[1]))) / 2
        assert low <= accuracy <= high, (rule.__name__, accuracy)


def test_notebook_split_is_the_one_the_grader_uses():
    notebook = nbformat.read(SOLUTIONS / NAME, as_version=4)
    wanted = {"setup", "load-fruit", "split", "standardize"}
    namespace = exec_notebook_cells(SOLUTIONS / NAME, lambda cell: cell.get("id") in wanted)
    assert wanted <= {cell.get("id") for cell in notebook.cells}
    splits = nb02.fruit_splits()
    for name in ("train", "val", "test"):
        np.testing.assert_allclose(namespace[f"X_{name}_std"], splits[name][0])
        np.testing.assert_array_equal(namespace[f"y_{name}"], splits[name][1])


# ---------------------------------------------------------------- the references are right

def test_the_loss_reference_agrees_with_keras():
    import keras
    for case in all_cases(get_exercise("2.1")):
        y_true, y_prob = (np.asarray(a, dtype=float) for a in case.args)
        if case.function == "mse_loss":
            expected = float(np.mean(keras.ops.convert_to_numpy(keras.losses.mean_squared_error(y_true, y_prob)))) / 2
        else:
            expected = float(np.mean(keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(y_true, y_prob))))
        assert case.expected == pytest.approx(expected, rel=1e-6), case


def test_the_gradient_reference_agrees_with_central_differences():
    h = 1e-6
    for case in all_cases(get_exercise("2.2")):
        X, y, w, b = case.args[:4]
        kind = case.args[4] if len(case.args) > 4 else "bce"
        params = np.append(w, b)

        def J(theta):
            return hidden.loss(kind, y, 1 / (1 + np.exp(-(X @ theta[:-1] + theta[-1]))))

        numeric = np.array([(J(params + h * e) - J(params - h * e)) / (2 * h) for e in np.eye(len(params))])
        np.testing.assert_allclose(np.append(case.expected[0], case.expected[1]), numeric, rtol=1e-5, atol=1e-8)


def test_the_reference_functions_pass_their_own_exercises():
    # The versions that replace a student's functions when 2.3 and 2.4 are graded.
    namespace = load_definitions(list(hidden.REFERENCE_FUNCTIONS.values()))
    for exercise_id in ("2.1", "2.2"):
        assert graded_verdict(exercise_id, namespace).status == Status.CORRECT
    assert set(hidden.REFERENCE_FUNCTIONS) == {name for e in exercises_for(ASSIGNMENT) for name in e.uses}


def test_learning_rate_cases_are_clear_cut():
    # The contract of 2.5 leaves "how fast is fast" to the student: every curve the check uses must get the same
    # word from any reasonable reading, so a sensible answer is never failed on a borderline curve.
    def classify(losses, slow):
        losses = np.asarray(losses, dtype=float)
        if not np.all(np.isfinite(losses)) or losses[-1] >= losses[0]:
            return "diverge"
        return "lenta" if slow(losses) else "adecuada"

    tenth = lambda losses: max(1, len(losses) // 10)  # noqa: E731
    readings = {
        "last fall vs largest fall (1/100)": lambda L: -np.diff(L)[-1] > 0.01 * np.max(-np.diff(L)),
        "last fall vs largest fall (1/5)": lambda L: -np.diff(L)[-1] > 0.2 * np.max(-np.diff(L)),
        "last tenth vs first tenth": lambda L: (L[-1 - tenth(L)] - L[-1]) > 0.05 * (L[0] - L[tenth(L)]),
        "last tenth vs whole drop": lambda L: (L[-1 - tenth(L)] - L[-1]) > 0.02 * (L[0] - L[-1]),
        "last quarter vs first quarter": lambda L: (L[-1 - len(L) // 4] - L[-1]) > 0.1 * (L[0] - L[len(L) // 4]),
        "second half vs first half": lambda L: (L[len(L) // 2] - L[-1]) > 0.1 * (L[0] - L[len(L) // 2]),
    }
    for case in all_cases(get_exercise("2.5")):
        words = {name: classify(case.args[0], slow) for name, slow in readings.items()}
        assert set(words.values()) == {case.expected}, (case.args[0][:5], words)
    assert {case.expected for case in all_cases(get_exercise("2.5"))} == set(nb02.REGIMES)


# ---------------------------------------------------------------- the notebook's claims about learning rates

def test_the_linear_sweep_really_diverges_and_the_sigmoid_one_does_not(solution_namespace):
    X, y = nb02.fruit_splits()["train"]
    train_linear, train_neuron = solution_namespace["train_linear"], solution_namespace["train_neuron"]
    with np.errstate(over="ignore", invalid="ignore"):
        assert train_linear(X, y, 2.0, 40)[-1] > 1e20                      # "del orden de 10^21"
        assert not np.isfinite(train_linear(X, y, 2.0, 700)[-1])          # "unos cientos de épocas más desbordarían"
        assert train_linear(X, y, 1.5, 60)[-1] > 1e6                      # the threshold is below 1.5...
        assert train_linear(X, y, 1.3, 60)[-1] < 0.03                     # ...and above 1.3
    for learning_rate in (1000.0, 1e5):
        losses = train_neuron(X, y, learning_rate, 200)[2]
        assert np.all(losses < -np.log(1e-7) + 1e-9)                        # clipped cross-entropy is bounded
    losses = train_neuron(X, y, 1000.0, 200)[2]
    assert losses[1] > losses[0] and losses.min() < 0.1 and losses[-1] > 0.3  # jumps up, grazes the minimum, leaves


# ---------------------------------------------------------------- false rejections of issue 11

@pytest.mark.parametrize("function, args, correct", [
    ("bce_loss", (np.array([1.0, 0.0]), np.array([1.0, 0.3])), -(np.log(1 - 1e-7) + np.log(0.7)) / 2),
    ("mse_loss", (np.array([1.0, 0.0]), np.array([1.0, 0.0])), 0.0),
    ("bce_loss", (np.array([1.0, 1.0]), np.array([1.0, 1.0])), -np.log(1 - 1e-7)),
])
def test_correct_losses_are_never_rejected(function, args, correct):
    exercise = get_exercise("2.1")
    case = Case(function, args)
    case.expected = hidden.REFERENCES["2.1"](case)
    assert exercise.judge_case(case, correct) is None


def test_any_large_loss_is_not_enough_for_certain_wrong_predictions():
    # Before issue 11, any value >= 5 passed when a probability was exactly 0 or 1.
    exercise = get_exercise("2.1")
    case = Case("bce_loss", (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0])))
    case.expected = hidden.REFERENCES["2.1"](case)
    for wrong in (5.0, 7.0, 100.0):
        assert "depende del recorte" in exercise.judge_case(case, wrong).es


# ---------------------------------------------------------------- wrong answers

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def mse_without_half(y_true, y_prob):
    return np.mean((y_prob - y_true) ** 2)


def mse_per_example(y_true, y_prob):
    return (y_prob - y_true) ** 2 / 2


def mse_summed(y_true, y_prob):
    return np.sum((y_prob - y_true) ** 2) / 2


def bce_without_minus(y_true, y_prob):  # the sign slip of the course slides
    y_prob = np.clip(y_prob, 1e-7, 1 - 1e-7)
    return np.mean(y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))


def bce_without_clipping(y_true, y_prob):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.mean(y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))


def bce_clipped_elsewhere(y_true, y_prob):
    y_prob = np.clip(y_prob, 1e-12, 1 - 1e-12)
    return -np.mean(y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))


def gradients_mse_like_bce(X, y, w, b, loss="bce"):
    delta = sigmoid(X @ w + b) - y  # forgets σ'(z) for the MSE loss
    return X.T @ delta / len(y), delta.mean()


def gradients_bce_like_mse(X, y, w, b, loss="bce"):
    p = sigmoid(X @ w + b)
    delta = (p - y) * p * (1 - p)  # keeps σ'(z) for the cross-entropy too
    return X.T @ delta / len(y), delta.mean()


def gradients_summed(X, y, w, b, loss="bce"):
    p = sigmoid(X @ w + b)
    delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
    return X.T @ delta, delta.sum()


def gradients_wrong_sign(X, y, w, b, loss="bce"):
    p = sigmoid(X @ w + b)
    delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
    return -X.T @ delta / len(y), -delta.mean()


def gradients_db_summed(X, y, w, b, loss="bce"):
    p = sigmoid(X @ w + b)
    delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
    return X.T @ delta / len(y), delta.sum()


def _loss(y, p, loss):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) if loss == "bce" else np.mean((p - y) ** 2) / 2


def _step(X, y, w, b, loss):
    p = sigmoid(X @ w + b)
    delta = p - y if loss == "bce" else (p - y) * p * (1 - p)
    return X.T @ delta / len(y), delta.mean()


def train_ascending(X, y, learning_rate, epochs, loss="bce"):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        losses.append(_loss(y, sigmoid(X @ w + b), loss))
        dw, db = _step(X, y, w, b, loss)
        w, b = w + learning_rate * dw, b + learning_rate * db
    return w, b, np.array(losses)


def train_records_after_update(X, y, learning_rate, epochs, loss="bce"):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        dw, db = _step(X, y, w, b, loss)
        w, b = w - learning_rate * dw, b - learning_rate * db
        losses.append(_loss(y, sigmoid(X @ w + b), loss))
    return w, b, np.array(losses)


def train_too_few_epochs(X, y, learning_rate, epochs, loss="bce"):
    # stops updating after 10 epochs but pads the loss history to look complete
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for epoch in range(epochs):
        losses.append(_loss(y, sigmoid(X @ w + b), loss))
        if epoch < 10:
            dw, db = _step(X, y, w, b, loss)
            w, b = w - learning_rate * dw, b - learning_rate * db
    return w, b, np.array(losses)


def train_returns_previous_weights(X, y, learning_rate, epochs, loss="bce"):
    w, b, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        losses.append(_loss(y, sigmoid(X @ w + b), loss))
        previous = w, b
        dw, db = _step(X, y, w, b, loss)
        w, b = w - learning_rate * dw, b - learning_rate * db
    return *previous, np.array(losses)


def start_ignores_bias(y, b, loss="bce"):
    return np.log(2) if loss == "bce" else 0.125


def start_from_label_balance(y, b, loss="bce"):
    p = np.full(len(y), np.mean(y))  # the share of oranges, not σ(b)
    return _loss(y, p, loss)


def start_swaps_losses(y, b, loss="bce"):
    return _loss(y, np.full(len(y), sigmoid(b)), "mse" if loss == "bce" else "bce")


def regime_any_rise_diverges(losses):
    if not np.all(np.isfinite(losses)) or np.any(np.diff(losses) > 0):
        return "diverge"
    return "lenta" if losses[-2] - losses[-1] > 0.1 * np.max(losses[:-1] - losses[1:]) else "adecuada"


def regime_forgets_nan(losses):
    if losses[-1] >= losses[0]:
        return "diverge"
    return "lenta" if losses[-2] - losses[-1] > 0.1 * np.max(losses[:-1] - losses[1:]) else "adecuada"


def regime_needs_strict_rise(losses):
    if not np.all(np.isfinite(losses)) or losses[-1] > losses[0]:
        return "diverge"
    return "lenta" if losses[-2] - losses[-1] > 0.1 * np.max(losses[:-1] - losses[1:]) else "adecuada"


def regime_absolute_threshold(losses):
    if not np.all(np.isfinite(losses)) or losses[-1] >= losses[0]:
        return "diverge"
    return "lenta" if losses[-2] - losses[-1] > 0.01 else "adecuada"


WRONG_ANSWERS = [
    ("2.1", "mse_loss", mse_without_half, "el doble de lo esperado"),
    ("2.1", "mse_loss", mse_per_example, "debe devolver un solo número"),
    ("2.1", "mse_loss", mse_summed, "no la suma"),
    ("2.1", "bce_loss", bce_without_minus, "¿falta el signo menos"),
    ("2.1", "bce_loss", bce_without_clipping, "Recorta las probabilidades al intervalo [1e-7, 1 − 1e-7]"),
    ("2.1", "bce_loss", bce_clipped_elsewhere, "depende del recorte"),
    ("2.2", "loss_gradients", gradients_mse_like_bce, "¿falta el factor σ′(z)"),
    ("2.2", "loss_gradients", gradients_bce_like_mse, "devolvió el gradiente del ECM"),
    ("2.2", "loss_gradients", gradients_summed, "no la suma"),
    ("2.2", "loss_gradients", gradients_wrong_sign, "signo cambiado"),
    ("2.2", "loss_gradients", gradients_db_summed, "dw es correcto pero db no"),
    ("2.3", "train_neuron", train_ascending, "La tuya sube"),
    ("2.3", "train_neuron", train_records_after_update, "guarda la pérdida antes de actualizar"),
    ("2.3", "train_neuron", train_too_few_epochs, "en la época 11 la pérdida debería ser"),
    ("2.3", "train_neuron", train_returns_previous_weights, "después de la última actualización"),
    ("2.4", "loss_before_training", start_ignores_bias, "con b = 2, se esperaba"),
    ("2.4", "loss_before_training", start_from_label_balance, "¿qué vale z para cada fruta"),
    ("2.4", "loss_before_training", start_swaps_losses, "devolvió el valor de"),
    ("2.5", "loss_regime", regime_any_rise_diverges, "Subir en alguna época no es divergir"),
    ("2.5", "loss_regime", regime_forgets_nan, "inf o nan"),
    ("2.5", "loss_regime", regime_needs_strict_rise, "no ha bajado"),
    ("2.5", "loss_regime", regime_absolute_threshold, "sigue bajando con fuerza"),
]


@pytest.mark.parametrize("exercise_id, name, wrong, reason", WRONG_ANSWERS, ids=wrong_answer_ids(WRONG_ANSWERS))
def test_wrong_answer_fails_with_specific_reason(exercise_id, name, wrong, reason, solution_namespace):
    assert_wrong_answer(exercise_id, solution_namespace, name, wrong, reason)


def test_every_function_exercise_has_a_wrong_answer_test():
    assert {row[0] for row in WRONG_ANSWERS} == {e.id for e in function_exercises(ASSIGNMENT)}


def test_failures_show_the_smallest_input_first(solution_namespace):
    # The first public case of each exercise is tiny, so a wrong answer is shown on it, not on a long array.
    result = verdict("2.2", solution_namespace, loss_gradients=gradients_wrong_sign)
    assert result.message.es.startswith("loss_gradients([[2.]], [1.], [0.5], 0.0, 'bce'): tiene el signo cambiado")
    result = verdict("2.1", solution_namespace, mse_loss=mse_without_half)
    assert result.message.es.startswith("mse_loss([1.], [0.8]): devolvió 0.04, el doble")


def test_fruit_case_measures_test_accuracy(solution_namespace, monkeypatch):
    # The solution reaches about 96.7 % on the held-out split: an impossible bar must make the same answer fail.
    assert verdict("2.3", solution_namespace).status == Status.CORRECT
    monkeypatch.setattr(nb02, "NUMPY_TEST_ACCURACY", 0.999)
    result = verdict("2.3", solution_namespace)
    assert result.status == Status.WRONG and "en el conjunto de prueba; debe llegar al 100%" in result.message.es


def test_messages_switch_to_english(english, solution_namespace):
    result = verdict("2.1", solution_namespace, bce_loss=bce_without_minus)
    assert "is the minus sign in front of the mean missing?" in str(result.message)


# ---------------------------------------------------------------- one bug, one penalty

def test_the_notebook_check_names_the_exercise_to_fix_first(solution_namespace):
    from grader.notebook import verdict_in_notebook
    for exercise_id in ("2.3", "2.4"):
        result = verdict_in_notebook(get_exercise(exercise_id), {**solution_namespace, "bce_loss": bce_without_minus})
        assert result.status == Status.WRONG and "Arregla primero el 2.1" in result.message.es


def test_a_wrong_loss_costs_only_exercise_2_1_when_graded():
    # As the sandbox grades 2.3 and 2.4: the student's definitions, then the reference versions of the
    # functions they use (grader/hidden/nb02.py REFERENCE_FUNCTIONS), public and hidden cases.
    snippets = extract_definitions(nbformat.read(SOLUTIONS / NAME, as_version=4))[0]
    wrong = ("import numpy as np\ndef bce_loss(y_true, y_prob):\n    y_prob = np.clip(y_prob, 1e-7, 1 - 1e-7)\n"
             "    return np.mean(y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))")
    snippets = [wrong if snippet.startswith("def bce_loss(") else snippet for snippet in snippets]
    assert graded_verdict("2.1", load_definitions(snippets)).status == Status.WRONG
    for exercise_id in ("2.3", "2.4"):
        exercise = get_exercise(exercise_id)
        assert set(exercise.uses) == {"bce_loss", "mse_loss"} | ({"loss_gradients"} if exercise_id == "2.3" else set())
        namespace = load_definitions(snippets + reference_sources(exercise.uses))
        result = exercise.judge(exercise.run(namespace, all_cases(exercise)))
        assert result.status == Status.CORRECT, result.message.es


# ---------------------------------------------------------------- hints

CODE_MARKERS = re.compile(r"np\.|keras\.|layers\.|\b(Dense|SGD|Adam|fit|compile|len|zeros|clip)\(|\breturn\b|"
                          r"\bdef |\bimport\b|==|\[:|@|\.(mean|sum)\(")


@pytest.mark.parametrize("exercise", exercises_for(ASSIGNMENT), ids=lambda e: e.id)
def test_hints_come_in_tiers_without_code(exercise):
    assert len(exercise.hints) >= 2
    for tier in exercise.hints:
        for text in (tier.es, tier.en):
            assert not CODE_MARKERS.search(text), text


# ---------------------------------------------------------------- mutation testing

# Mutants no input can tell from the solution, or no input whose answer the exercise's contract decides.
EQUIVALENT_MUTANTS = {
    "train_neuron:4:1->-1": "X.shape[-1] is X.shape[1]: the contract says X has shape (m, n)",
    "loss_regime:7:1->2": "looking at the fall of the last epoch or of the one before: 2.5 leaves to the student how "
                          "to read 'still falling fast at the end', and every curve the contract decides (all of "
                          "them clear-cut, test_learning_rate_cases_are_clear_cut) gets the same word either way",
    "loss_regime:7:Gt->GtE": "differs only when the last fall is exactly a tenth of the largest one, a curve on the "
                             "border between 'lenta' and 'adecuada' that the contract leaves undecided",
}


# Plausible mistakes written by hand, beyond the AST mutants (issue 17's independent mutation run).
HAND_WRITTEN = {
    "2.1": (
        hand_written(ASSIGNMENT, "bce_loss", "y_prob = np.clip(y_prob, 1e-07, 1 - 1e-07)\n    return -np.mean("
                     "y_true * np.log(y_prob) + (1 - y_true) * np.log(1 - y_prob))",
                     "return -np.mean(y_true * np.log(y_prob + 1e-07) + (1 - y_true) * np.log(1 - y_prob + 1e-07))",
                     "log-of-p-plus-epsilon"),
    ),
}

# Mistakes that pass the public cases and fail the hidden ones on purpose (a probe that must stay secret), with why.
SECRET_PROBES = {}


@pytest.mark.slow
def test_mutants_of_the_solutions_fail_the_checks():
    # Killed by some case, and by a public one: a ✅ in the notebook is the grader's point.
    result = notebook_mutation(ASSIGNMENT, [e.id for e in function_exercises(ASSIGNMENT)], EQUIVALENT_MUTANTS,
                               HAND_WRITTEN)
    assert result.score >= 0.98, result.survivors
    assert not any(unlisted_gaps(result, SECRET_PROBES).values()), result.secret_gaps
    assert not [m.id for ms in HAND_WRITTEN.values() for m in ms if m.id in result.survivors]


# ---------------------------------------------------------------- Keras model

def test_model_check():
    import keras
    from keras import layers
    assert model_verdict("2.6", None).status == Status.NOT_ATTEMPTED

    keras.utils.set_random_seed(0)
    hidden_layer = keras.Sequential([keras.Input((2,)), layers.Dense(4), layers.Dense(1, activation="sigmoid")])
    result = model_verdict("2.6", hidden_layer)
    assert result.status == Status.WRONG and "3 parámetros" in result.message.es

    linear = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    result = model_verdict("2.6", linear)
    assert result.status == Status.WRONG and "sigmoide" in result.message.es

    untrained = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    untrained.layers[-1].set_weights([np.array([[1.0], [0.0]]), np.array([0.0])])  # looks at weight only
    result = model_verdict("2.6", untrained)
    assert result.status == Status.WRONG and "exactitud en el conjunto de prueba" in result.message.es

    # In memory but never saved: the check says so instead of a ✅ the grader would not confirm.
    result = model_verdict("2.6", untrained, save=False)
    assert result.status == Status.WRONG and "no está guardado" in result.message.es

    # Weights set by hand near the optimum, or copied from the NumPy neuron (w_numpy), are not training.
    by_hand = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    by_hand.layers[-1].set_weights([np.array([[1.5], [6.0]]), np.array([-0.2])])
    result = model_verdict("2.6", by_hand)
    assert result.status == Status.WRONG and "ningún paso de entrenamiento" in result.message.es
    X_train, y_train = nb02.fruit_splits()["train"]
    w_numpy, b_numpy = hidden.train(X_train, y_train, 1.0, 200)[:2]  # the NumPy neuron of 2.3
    copied = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    copied.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="binary_crossentropy")
    copied.layers[-1].set_weights([np.asarray(w_numpy).reshape(2, 1), np.array([b_numpy]).reshape(1)])
    result = model_verdict("2.6", copied)
    assert result.status == Status.WRONG and "ningún paso de entrenamiento" in result.message.es


@pytest.mark.slow   # trains the recipe
def test_the_solutions_recipe_passes_and_the_budget_is_applied():
    import keras
    from keras import layers
    X_train, y_train = nb02.fruit_splits()["train"]

    def trained(epochs, batch_size):  # the solution's 2.6 cell, with the epochs and batch size as given
        keras.utils.set_random_seed(42)
        model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid", kernel_initializer="zeros")])
        X, y, batches = X_train, y_train, -(-len(X_train) // batch_size)
        if batches == 1:   # full batches do not depend on order: the epochs as one pass over as many copies
            X, y, batches, epochs = np.tile(X, (epochs, 1)), np.tile(y, epochs), epochs, 1
        # steps_per_execution runs an epoch's batches in one call: the same updates, without a call per batch
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="binary_crossentropy",
                      steps_per_execution=batches)
        model.fit(X, y, epochs=epochs, batch_size=batch_size, shuffle=epochs > 1, verbose=0)
        return model

    solution = trained(200, len(X_train))
    assert int(solution.optimizer.iterations) == 200
    assert model_verdict("2.6", solution).status == Status.CORRECT
    result = model_verdict("2.6", trained(101, 16))  # 101 epochs of 44 batches: 4444 updates
    assert result.status == Status.WRONG and "4444 actualizaciones" in result.message.es
    assert f"{nb02.KERAS_UPDATE_BUDGET} como mucho" in result.message.es
