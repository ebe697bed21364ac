"""Hidden cases for notebook 01: instructors only, never shipped to students."""
import numpy as np

from grader.core import Case
from grader.exercises.nb01 import ACTIVATIONS, GATES, OR_INPUTS


def _rng():
    return np.random.default_rng(9001)


HIDDEN_CASES = {
    "1.1": lambda: [Case("step", (_rng().normal(size=(2, 3, 4)),), hidden=True),
                    Case("step", (np.array([-0.0, 1e-300, -1e-300]),), hidden=True)],
    "1.2": lambda: [Case(name, (_rng().uniform(-8, 8, size=(5, 3)),), hidden=True) for name in ACTIVATIONS],
    "1.3": lambda: [Case(f"{name}_derivative", (_rng().uniform(-6, 6, size=(3, 7)) + 0.01,), hidden=True)
                    for name in ACTIVATIONS],
    "1.4": lambda: [Case("perceptron_forward", (_rng().normal(size=(11, 5)), _rng().normal(size=5), -0.7),
                         hidden=True)],
    "1.5": lambda: [Case("perceptron_update", (np.array([-1.0, 3.0]), 0.0, np.array([2.0, 1.0]), 0.5, 0.3),
                         hidden=True)],
    "1.6": lambda: [Case("train_perceptron", (OR_INPUTS, GATES["OR"], np.array([-1.0, -1.0]), -1.0, 0.2, 30),
                         hidden=True),
                    Case("train_perceptron", (OR_INPUTS[::-1].copy(), GATES["AND"][::-1].copy(), np.ones(2), 1.0,
                                              0.5, 30), hidden=True)],
    "1.7": lambda: [Case("collapse_linear_layers", (_rng().normal(size=(6, 4)), _rng().normal(size=4),
                                                    _rng().normal(size=(4, 1)), _rng().normal(size=1)),
                         hidden=True)],
}

def _heaviside(z):
    return np.heaviside(np.asarray(z, dtype=float), 1.0)  # step(0) = 1: the threshold is z >= 0


REFERENCES = {
    "1.1": lambda case: _heaviside(case.args[0]),
    "1.4": lambda case: _heaviside(case.args[0] @ case.args[1] + case.args[2]),
}
REFERENCE_FUNCTIONS = {
    "step": "import numpy as np\ndef step(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)",
}
