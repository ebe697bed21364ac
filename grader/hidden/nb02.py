"""Hidden cases for notebook 02: instructors only, never shipped to students."""
import numpy as np

from grader.core import Case
from grader.exercises.nb02 import fruit_splits


def _rng():
    return np.random.default_rng(9002)


def _labels(size):
    return _rng().integers(0, 2, size=size).astype(float)


HIDDEN_CASES = {
    "2.1": lambda: [Case(name, (_labels(50), _rng().uniform(0.001, 0.999, size=50)), hidden=True)
                    for name in ("mse_loss", "bce_loss")]
                   + [Case("bce_loss", (np.array([0.0, 1.0]), np.array([1.0, 1.0])), hidden=True)],
    "2.2": lambda: [Case("loss_gradients", (_rng().normal(size=(40, 4)), _labels(40), _rng().normal(size=4), 0.7,
                                            kind), hidden=True) for kind in ("bce", "mse")]
                   + [Case("loss_gradients", (np.array([[2.0], [-1.0]]), np.array([0.0, 1.0]), np.array([3.0]),
                                              -1.0, "mse"), hidden=True)],
    "2.3": lambda: [Case("train_neuron", (*fruit_splits()["train"], 3.0, 300, "mse"), hidden=True),
                    Case("train_neuron", (_rng().normal(size=(25, 3)), _labels(25), 0.3, 30, "bce"), hidden=True)],
}

# Filled in as the exercises move their reference answers here (see grader/hidden/__init__.py).
REFERENCES = {}
REFERENCE_FUNCTIONS = {}
