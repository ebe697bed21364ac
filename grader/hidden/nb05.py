"""Hidden cases for notebook 05: instructors only, never shipped to students."""
from grader.core import Case

HIDDEN_CASES = {
    # Same call, but run by the grader in its sandbox on the extracted source (and the model reloaded).
    "5.1": lambda: [Case("build_lenet5", (), hidden=True)],
    "5.2": lambda: [
        Case("predict_shapes_and_params", ((64, 48, 3), [("conv", 10, 7, "valid"), ("pool", 2),
                                                         ("conv", 20, 3, "same"), ("conv", 5, 1, "valid"),
                                                         ("pool", 4), ("flatten",), ("dense", 33),
                                                         ("dense", 2)]), hidden=True),
        Case("predict_shapes_and_params", ((15, 15, 2), [("conv", 4, 3, "same"), ("pool", 3), ("conv", 3, 2, "valid"),
                                                         ("flatten",), ("dense", 5)]), hidden=True),
    ],
}

# Filled in as the exercises move their reference answers here (see grader/hidden/__init__.py).
REFERENCES = {}
REFERENCE_FUNCTIONS = {}
