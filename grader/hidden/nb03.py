"""Hidden cases for notebook 03: instructors only, never shipped to students."""
import numpy as np

from grader.core import Case
from grader.exercises.nb03 import _disc, _network_args, _mnist_train_subset


def _rng():
    return np.random.default_rng(9003)


def _crossentropy_case():
    rng = _rng()
    probabilities = rng.dirichlet(np.ones(5), size=8)
    return Case("categorical_crossentropy", (np.eye(5)[rng.integers(0, 5, size=8)], probabilities), hidden=True)


def _network_cases():
    rng = _rng()
    X, Y, params = _network_args(rng, 9, (8, 5, 4))
    return [Case("forward", (X, *params), hidden=True), Case("backward", (X, Y, *params), hidden=True)]


HIDDEN_CASES = {
    "3.1": lambda: [Case("count_dense_params", ([10, 20, 30, 40, 5],), hidden=True),
                    Case("count_dense_params", ([1, 1],), hidden=True)],
    "3.2": lambda: [Case("softmax", (_rng().normal(scale=50, size=(3, 5)),), hidden=True),
                    Case("softmax", (np.array([[-1e4, -1e4 + 1.0, -1e4 + 2.0]]),), hidden=True),
                    _crossentropy_case()],
    "3.3": _network_cases,
    "3.4": lambda: [Case("train_network", (*_disc(300, seed=9003), 12, 60, 10, 3.0, 7), hidden=True),
                    Case("train_network", (*_mnist_train_subset(3000), 15, 5, 10, 3.0, 1), hidden=True)],
}

# Filled in as the exercises move their reference answers here (see grader/hidden/__init__.py).
REFERENCES = {}
REFERENCE_FUNCTIONS = {}
