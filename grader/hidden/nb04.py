"""Hidden cases for notebook 04: instructors only, never shipped to students."""
import numpy as np

from grader.core import Case


def _rng():
    return np.random.default_rng(9004)


def _correlation_cases(function):
    rng = _rng()
    return [Case(function, (rng.normal(size=(11, 13)), rng.normal(size=(3, 5))), hidden=True),
            Case(function, (rng.uniform(0, 1, size=(4, 4)), rng.normal(size=(1, 1))), hidden=True),
            Case(function, (rng.normal(size=(8, 3)), rng.normal(size=(4, 3))), hidden=True)]


def _padding_stride_cases():
    rng = _rng()
    return ([Case("output_size", args, hidden=True) for args in [(224, 7, 3, 2), (13, 4, 0, 4), (5, 5, 2, 3)]]
            + [Case("conv2d", (rng.normal(size=(12, 9)), rng.normal(size=(3, 3)), 1, 3), hidden=True),
               Case("conv2d", (rng.normal(size=(5, 7)), rng.normal(size=(5, 5)), 2, 1), hidden=True)])


def _pool_cases():
    rng = _rng()
    x = rng.normal(size=(10, 11))
    return [Case("pool2d", (x, 3, 1, "max"), hidden=True), Case("pool2d", (x, 4, 3, "min"), hidden=True),
            Case("pool2d", (x, 2, 3, "avg"), hidden=True), Case("pool2d", (-np.abs(x), 5, 5, "max"), hidden=True)]


HIDDEN_CASES = {
    "4.1": lambda: _correlation_cases("conv2d_valid"),
    "4.2": lambda: _correlation_cases("convolve2d"),
    "4.3": _padding_stride_cases,
    "4.4": _pool_cases,
}

# Filled in as the exercises move their reference answers here (see grader/hidden/__init__.py).
REFERENCES = {}
REFERENCE_FUNCTIONS = {}
