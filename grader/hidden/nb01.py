"""Grading-only material for notebook 01: hidden cases, the references and the reference functions.

Instructors only, never shipped to students. The references compute every case's answer: Keras's own
activations and TensorFlow's automatic differentiation for 1.2 and 1.3, and Rosenblatt's rule exactly
as the notebook states it for 1.4 to 1.6. Some answers bundle named variants (a typical slip's result)
so the judges can say what went wrong.
"""
import math

import numpy as np

from grader.core import Case
from grader.exercises.nb01 import ACTIVATIONS, DEFAULT_ALPHA, GATES, OR_INPUTS


def _rng():
    return np.random.default_rng(9001)


# ---------------------------------------------------------------- hidden cases

def _activation_hidden(suffix):
    rng = _rng()
    cases = [Case(f"{name}{suffix}", (rng.uniform(-6, 6, size=(3, 7)) + 0.01,), hidden=True) for name in ACTIVATIONS]
    cases += [Case(f"{name}{suffix}", (np.array([-1000.0, -700.0, -3.5, 2.5, 700.0, 1000.0]),), hidden=True)
              for name in ACTIVATIONS]
    cases += [Case(f"leaky_relu{suffix}", (np.array([-50.0, -2.0, -0.3, 0.7, 9.0]), 0.01), hidden=True),
              Case(f"elu{suffix}", (np.array([-50.0, -2.0, -0.3, 0.7, 9.0]), 2.0), hidden=True)]
    return cases


def _train_hidden():
    return [
        Case("train_perceptron", (OR_INPUTS, GATES["OR"], np.array([-1.0, -1.0]), -1.0, 0.2, 30), hidden=True),
        Case("train_perceptron", (OR_INPUTS[::-1].copy(), GATES["AND"][::-1].copy(), np.ones(2), 1.0, 0.5, 30),
             hidden=True),
        Case("train_perceptron", (OR_INPUTS, GATES["NAND"], np.array([0.3, -0.2]), 0.1, 1.0, 20), hidden=True),
        # separable, but the epoch limit comes first: the table stops at 2 epochs
        Case("train_perceptron", (OR_INPUTS, GATES["AND"], np.zeros(2), 0.0, 0.25, 2), hidden=True),
        # never converges: exactly epochs × 4 rows
        Case("train_perceptron", (OR_INPUTS, GATES["XOR"], np.array([-0.5, 0.25]), 0.0, 0.5, 5), hidden=True),
        # already right from the start: one epoch, nothing changes
        Case("train_perceptron", (OR_INPUTS, GATES["NAND"], np.array([-1.0, -1.0]), 1.5, 0.5, 10), hidden=True),
        # three inputs: "at least two of three" (majority)
        Case("train_perceptron", (np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=float),
                                  np.array([0, 0, 0, 1, 0, 1, 1, 1], dtype=float), np.zeros(3), 0.0, 0.5, 30),
             hidden=True),
    ]


HIDDEN_CASES = {
    "1.1": lambda: [Case("step", (_rng().normal(size=(2, 3, 4)),), hidden=True),
                    Case("step", (np.array([-0.0, 1e-300, -1e-300]),), hidden=True),
                    Case("step", (np.array([-3, 0, 2]),), hidden=True),
                    Case("step", (-2.5,), hidden=True),
                    Case("step", (0.0,), hidden=True)],
    "1.2": lambda: _activation_hidden(""),
    "1.3": lambda: _activation_hidden("_derivative"),
    "1.4": lambda: [Case("perceptron_forward", (_rng().normal(size=(11, 5)), _rng().normal(size=5), -0.7),
                         hidden=True),
                    Case("perceptron_forward", (np.array([[2.0, -1.0, 0.0], [1.0, 1.0, 1.0]]), np.array([1.0, 2.0, 3.0]),
                                                0.0), hidden=True),
                    Case("perceptron_forward", (np.array([[3.0, 1.0]]), np.array([-1.0, 0.5]), 2.5), hidden=True)],
    "1.5": lambda: [Case("perceptron_update", (np.array([-1.0, 3.0]), 0.0, np.array([2.0, 1.0]), 0.5, 0.3), hidden=True),
                    # z exactly 0 and the neuron is right (t = 1): nothing changes
                    Case("perceptron_update", (np.array([1.0, -1.0]), 1.0, np.array([1.0, 1.0]), 0.0, 0.5), hidden=True),
                    # z exactly 0 and the neuron is wrong (t = 0)
                    Case("perceptron_update", (np.array([2.0, 1.0]), 0.0, np.array([0.5, -1.0]), 0.0, 0.25), hidden=True),
                    Case("perceptron_update", (np.array([0.0, 0.0, 1.0]), 1.0, np.array([0.2, 0.2, -1.0]), 0.4, 2.0),
                         hidden=True)],
    "1.6": _train_hidden,
    "1.8": lambda: [Case("collapse_linear_layers", (_rng().normal(size=(6, 4)), _rng().normal(size=4),
                                                    _rng().normal(size=(4, 1)), _rng().normal(size=1)), hidden=True),
                    Case("collapse_linear_layers", (_rng().normal(size=(1, 5)), _rng().normal(size=5),
                                                    _rng().normal(size=(5, 4)), _rng().normal(size=4)), hidden=True)],
    "1.7": lambda: [Case("is_linearly_separable", (np.array(table, dtype=float),), hidden=True) for table in (
        [1, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1], [1, 0, 1, 0], [0, 0, 1, 0],
        [1, 1, 0, 1], [0, 1, 0, 0])],
    "1.9": lambda: [Case("optimizer_updates", args, hidden=True) for args in (
        (60000, 128, 3), (10, 3, 7), (2000, 4, 1), (5, 5, 1), (4, 3, 2), (1, 1, 1), (100, 200, 9))],
    "1.12": lambda: [Case("distinct_hidden_units", (kernel,), hidden=True) for kernel in (
        np.array([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]]),
        np.array([[1.0, 2.0, 1.0, 2.0, 3.0], [4.0, 5.0, 4.0, 5.0, 6.0]]),
        _rng().normal(size=(3, 6)),
        np.array([[1.0, 1.0], [2.0, 3.0]]),
        np.full((4, 6), 0.5),
        np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]]))],
}


# ---------------------------------------------------------------- references

def _heaviside(z):
    return np.heaviside(np.asarray(z, dtype=float), 1.0)  # step(0) = 1: the threshold is z >= 0


def _keras_activation(name, alpha):
    import keras
    return {
        "sigmoid": keras.activations.sigmoid,
        "tanh": keras.activations.tanh,
        "relu": keras.activations.relu,
        "leaky_relu": lambda z: keras.activations.leaky_relu(z, negative_slope=alpha),
        "elu": lambda z: keras.activations.elu(z, alpha=alpha),
    }[name]


def _activation_values(name, z, alpha):
    import keras
    return np.asarray(keras.ops.convert_to_numpy(_keras_activation(name, alpha)(np.asarray(z, dtype=float))))


def _derivative_values(name, z, alpha):
    import tensorflow as tf
    variable = tf.Variable(np.asarray(z, dtype=np.float64))
    with tf.GradientTape() as tape:
        output = _keras_activation(name, alpha)(variable)
    return tape.gradient(output, variable).numpy()  # element-wise functions: gradient of the sum = derivative


def _alpha(case):
    name = case.function.removesuffix("_derivative")
    return case.args[1] if len(case.args) > 1 else DEFAULT_ALPHA.get(name, 1.0)


def _activation_reference(case):
    """(the activation, the activation with the default alpha: what an implementation that ignores alpha gives)."""
    name = case.function
    return (_activation_values(name, case.args[0], _alpha(case)),
            _activation_values(name, case.args[0], DEFAULT_ALPHA.get(name, 1.0)))


def _derivative_reference(case):
    """(the derivative, the activation itself, the derivative with the default alpha)."""
    name = case.function.removesuffix("_derivative")
    z = case.args[0]
    return (_derivative_values(name, z, _alpha(case)), _activation_values(name, z, _alpha(case)),
            _derivative_values(name, z, DEFAULT_ALPHA.get(name, 1.0)))


def _forward_reference(case):
    """(the outputs, the weighted sums z)."""
    X, w, b = case.args
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b
    return _heaviside(z), z


def _rosenblatt(x, target, w, b, learning_rate):
    """The rule as the notebook states it: (new w, new b, z, y)."""
    z = float(x @ w + b)
    output = float(_heaviside(z))
    error = target - output
    return w + learning_rate * error * x, float(b + learning_rate * error), z, output


def _update_reference(case):
    new_w, new_b, z, output = _rosenblatt(*case.args)
    return new_w, new_b, z, output


def _train_reference(case):
    """(final w, final b, history): examples in order, epoch after epoch, stopping after an epoch without
    errors or after ``epochs`` epochs."""
    X, targets, w, b, learning_rate, epochs = case.args
    w, b = np.asarray(w, dtype=float), float(b)
    rows = []
    for _ in range(epochs):
        errors = 0
        for x, target in zip(X, targets):
            new_w, new_b, z, output = _rosenblatt(x, target, w, b, learning_rate)
            rows.append([*x, z, output, target, *new_w, new_b])
            errors += int(output != target)
            w, b = new_w, new_b
        if errors == 0:
            break
    return w, b, np.array(rows, dtype=float).reshape(len(rows), 2 * X.shape[1] + 4)


def _separable_reference(case):
    """(whether one step neuron reproduces the table, a separating (w1, w2, b) or () when none exists)."""
    targets = np.asarray(case.args[0], dtype=float)
    for b in (-0.5, 0.5, -1.5, 1.5):
        for w1 in (1.0, 0.0, -1.0):
            for w2 in (1.0, 0.0, -1.0):
                if np.array_equal(_heaviside(OR_INPUTS @ np.array([w1, w2]) + b), targets):
                    return True, (w1, w2, b)
    return False, ()


def _updates_reference(case):
    """(the updates, with the last short batch dropped, one per example, one epoch's worth)."""
    n_examples, batch_size, epochs = case.args
    per_epoch = math.ceil(n_examples / batch_size)
    return epochs * per_epoch, epochs * (n_examples // batch_size), epochs * n_examples, per_epoch


def _distinct_reference(case):
    """(distinct columns, all columns, distinct values, distinct rows)."""
    kernel = np.asarray(case.args[0], dtype=float)
    return (int(np.unique(kernel, axis=1).shape[1]), int(kernel.shape[1]), int(np.unique(kernel).size),
            int(np.unique(kernel, axis=0).shape[0]))


REFERENCES = {
    "1.1": lambda case: _heaviside(case.args[0]),
    "1.2": _activation_reference,
    "1.3": _derivative_reference,
    "1.4": _forward_reference,
    "1.5": _update_reference,
    "1.6": _train_reference,
    "1.7": _separable_reference,
    "1.9": _updates_reference,
    "1.12": _distinct_reference,
}

# The versions of earlier exercises' functions that later exercises are graded with (Exercise.uses).
REFERENCE_FUNCTIONS = {
    "step": "import numpy as np\ndef step(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)",
    "sigmoid": ("import numpy as np\ndef sigmoid(z):\n"
                "    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))"),
    "tanh": "import numpy as np\ndef tanh(z):\n    return np.tanh(np.asarray(z, dtype=float))",
    "relu": "import numpy as np\ndef relu(z):\n    return np.maximum(0.0, np.asarray(z, dtype=float))",
    "leaky_relu": ("import numpy as np\ndef leaky_relu(z, alpha=0.1):\n"
                   "    z = np.asarray(z, dtype=float)\n"
                   "    return np.where(z > 0, z, alpha * z)"),
    "elu": ("import numpy as np\ndef elu(z, alpha=1.0):\n"
            "    z = np.asarray(z, dtype=float)\n"
            "    return np.where(z >= 0, z, alpha * np.expm1(np.minimum(z, 0.0)))"),
    "perceptron_forward": ("import numpy as np\ndef perceptron_forward(X, w, b):\n"
                           "    return np.where(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b >= 0, "
                           "1.0, 0.0)"),
    "perceptron_update": ("import numpy as np\ndef perceptron_update(x, target, w, b, learning_rate):\n"
                          "    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)\n"
                          "    error = target - (1.0 if x @ w + b >= 0 else 0.0)\n"
                          "    return w + learning_rate * error * x, b + learning_rate * error"),
    "train_perceptron": ("import numpy as np\ndef train_perceptron(X, targets, w, b, learning_rate, epochs):\n"
                         "    w, rows = np.asarray(w, dtype=float), []\n"
                         "    for _ in range(epochs):\n"
                         "        errors = 0\n"
                         "        for x, target in zip(np.asarray(X, dtype=float), targets):\n"
                         "            z = x @ w + b\n"
                         "            output = 1.0 if z >= 0 else 0.0\n"
                         "            error = target - output\n"
                         "            w, b = w + learning_rate * error * x, b + learning_rate * error\n"
                         "            rows.append([*x, z, output, target, *w, b])\n"
                         "            errors += int(error != 0)\n"
                         "        if errors == 0:\n"
                         "            break\n"
                         "    return w, b, np.array(rows, dtype=float)"),
}
