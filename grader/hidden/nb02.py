"""Hidden cases and references for notebook 02: instructors only, never shipped to students.

The references are the formulas the notebook states (losses clipped at 1e-7, the gradient of the
mean loss, full-batch gradient descent from zeros), written here independently of the solution
notebook; tests/test_checks_nb02.py checks them against Keras's losses and central differences.
"""
import numpy as np

from grader.core import Case
from grader.data import load_fruit
from grader.exercises.nb02 import SPLIT_SEED, fruit_splits

CLIP = 1e-7


def _rng():
    return np.random.default_rng(9002)


def _labels(size, seed=9002):
    return np.random.default_rng(seed).integers(0, 2, size=size).astype(float)


# ---------------------------------------------------------------- references

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def loss(kind, y_true, y_prob):
    """J of the notebook: MSE with the factor 1/(2m), or cross-entropy of probabilities clipped to [1e-7, 1 − 1e-7]."""
    y_true, y_prob = np.asarray(y_true, dtype=float), np.asarray(y_prob, dtype=float)
    if kind == "mse":
        return float(np.sum((y_prob - y_true) ** 2) / (2 * y_true.size))
    clipped = np.clip(y_prob, CLIP, 1 - CLIP)
    return float(-np.sum(y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped)) / y_true.size)


def gradients(kind, X, y, w, b):
    """(∂J/∂w, ∂J/∂b) by the chain rule: ∂ℓ/∂p · σ′(z), then through z = X w + b."""
    p = _sigmoid(X @ w + b)
    if kind == "mse":
        dloss_dz = (p - y) * p * (1 - p)
    else:  # −[y/p − (1 − y)/(1 − p)] · p(1 − p) simplifies to p − y
        dloss_dz = p - y
    return np.einsum("ij,i->j", X, dloss_dz) / len(y), float(np.sum(dloss_dz) / len(y))


def train(X, y, learning_rate, epochs, kind="bce"):
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        history.append(loss(kind, y, _sigmoid(X @ w + b)))
        dw, db = gradients(kind, X, y, w, b)
        w, b = w - learning_rate * dw, b - learning_rate * db
    return w, float(b), np.array(history)


def regime(losses):
    """'diverge' when the loss does not end below its start or stops being finite; otherwise 'lenta' when the last
    epoch still lowers it by more than a tenth of its largest one-epoch fall, else 'adecuada'."""
    losses = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(losses)) or losses[-1] >= losses[0]:
        return "diverge"
    falls = -np.diff(losses)
    return "lenta" if falls[-1] > 0.1 * np.max(falls) else "adecuada"


def _other(kind):
    return "mse" if kind == "bce" else "bce"


def _gradient_reference(case):
    X, y, w, b = case.args[:4]
    kind = case.args[4] if len(case.args) > 4 else "bce"
    return (*gradients(kind, X, y, w, b), *gradients(_other(kind), X, y, w, b))


def _start_reference(case):
    y, b = case.args[:2]
    kind = case.args[2] if len(case.args) > 2 else "bce"
    p = np.full(len(y), _sigmoid(b))
    return loss(kind, y, p), loss(_other(kind), y, p)


REFERENCES = {
    "2.1": lambda case: loss(case.function.removesuffix("_loss"), *case.args),
    "2.2": _gradient_reference,
    "2.3": lambda case: train(*case.args),
    "2.4": _start_reference,
    "2.5": lambda case: regime(case.args[0]),
}


# ---------------------------------------------------------------- hidden cases

def _linear_run(learning_rate, epochs):
    """The losses of the linear neuron with MSE on the standardised training fruit (the notebook's sweep)."""
    X, y = fruit_splits()["train"]
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            error = X @ w + b - y
            history.append(np.mean(error ** 2) / 2)
            w, b = w - learning_rate * X.T @ error / len(y), b - learning_rate * np.mean(error)
    return np.array(history)


def _raw_fruit_run(learning_rate, epochs):
    """The sigmoid neuron trained on the fruit in grams, without standardising: the loss jumps and stays up."""
    X, y = load_fruit()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(X))[:700]
    return train(X[order], y[order], learning_rate, epochs)[2]


def _hidden_regime_cases():
    X, y = fruit_splits()["train"]
    curves = [_linear_run(0.01, 40), _linear_run(1.0, 40), _linear_run(2.5, 300),
              train(X, y, 0.01, 200)[2], train(X, y, 1.0, 200)[2], _raw_fruit_run(0.01, 30),
              np.array([0.7, 0.5, 0.4, 0.38, 0.4, 0.45, 0.52, 0.6, 0.68, 0.75])]
    return [Case("loss_regime", (curve,), hidden=True) for curve in curves]


HIDDEN_CASES = {
    "2.1": lambda: [Case(name, (_labels(50), _rng().uniform(0.001, 0.999, size=50)), hidden=True)
                    for name in ("mse_loss", "bce_loss")]
                   + [Case("bce_loss", (np.array([0.0, 1.0]), np.array([1.0, 1.0])), hidden=True),
                      Case("mse_loss", (np.ones(5), np.array([1.0, 0.0, 0.5, 1.0, 0.25])), hidden=True),
                      Case("bce_loss", (_labels(6, 7).reshape(6, 1), _rng().uniform(0.05, 0.95, size=(6, 1))),
                           hidden=True)],
    "2.2": lambda: [Case("loss_gradients", (_rng().normal(size=(40, 4)), _labels(40), _rng().normal(size=4), 0.7,
                                            kind), hidden=True) for kind in ("bce", "mse")]
                   + [Case("loss_gradients", (np.array([[2.0], [-1.0]]), np.array([0.0, 1.0]), np.array([3.0]),
                                              -1.0, "mse"), hidden=True),
                      Case("loss_gradients", (np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0], [1.5, 0.5, 0.5]]),
                                              np.array([1.0, 0.0, 0.0]), np.array([0.2, 0.4, -0.6]), 0.3),
                           hidden=True)],
    "2.3": lambda: [Case("train_neuron", (*fruit_splits()["train"], 3.0, 300, "mse"), hidden=True),
                    Case("train_neuron", (_rng().normal(size=(25, 3)), _labels(25), 0.3, 30, "bce"), hidden=True),
                    Case("train_neuron", (_rng().normal(size=(8, 2)), _labels(8, 5), 1.0, 1, "mse"), hidden=True),
                    Case("train_neuron", (_rng().normal(size=(12, 2)), _labels(12, 6), 0.8, 5), hidden=True)],
    "2.4": lambda: [Case("loss_before_training", (np.zeros(7), 3.0, "bce"), hidden=True),
                    Case("loss_before_training", (_labels(50), 0.5, "mse"), hidden=True),
                    Case("loss_before_training", (np.ones(4), -2.0), hidden=True)],
    "2.5": _hidden_regime_cases,
}

# The reference versions of the functions that later exercises call (2.3 and 2.4), so that one bug in
# 2.1 or 2.2 costs only that exercise. Self-contained: they must not depend on the student's helpers.
REFERENCE_FUNCTIONS = {
    "mse_loss": ("import numpy as np\n"
                 "def mse_loss(y_true, y_prob):\n"
                 "    y_true, y_prob = np.asarray(y_true, dtype=float), np.asarray(y_prob, dtype=float)\n"
                 "    return float(np.sum((y_prob - y_true) ** 2) / (2 * y_true.size))\n"),
    "bce_loss": ("import numpy as np\n"
                 "def bce_loss(y_true, y_prob):\n"
                 "    y_true = np.asarray(y_true, dtype=float)\n"
                 "    clipped = np.clip(np.asarray(y_prob, dtype=float), 1e-7, 1 - 1e-7)\n"
                 "    return float(-np.sum(y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped)) / y_true.size)\n"),
    "loss_gradients": ("import numpy as np\n"
                       "def loss_gradients(X, y, w, b, loss='bce'):\n"
                       "    p = 1.0 / (1.0 + np.exp(-np.clip(X @ w + b, -500, 500)))\n"
                       "    dloss_dz = p - y if loss == 'bce' else (p - y) * p * (1 - p)\n"
                       "    return np.einsum('ij,i->j', X, dloss_dz) / len(y), float(np.sum(dloss_dz) / len(y))\n"),
}
