"""Measure the main models of notebooks 02 and 03 on this machine: test accuracy and training wall time.

Runs the code of the solution notebooks themselves (the cells named below), so the
figures always describe what students see. Usage, from the repository root:

    COURSE_DATASETS_DIR=/path/to/shared/datasets python benchmarks/nb02_nb03_models.py

It loads MNIST through grader.data (never downloads when the folder is set) and
writes the .keras files into a temporary folder.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def notebook_namespace(name: str, cell_ids: list[str]) -> dict:
    """Run the named cells of a solution notebook, in notebook order, in one namespace."""
    cells = {cell.get("id"): cell for cell in nbformat.read(ROOT / "solutions" / name, as_version=4).cells}
    missing = [cell_id for cell_id in cell_ids if cell_id not in cells]
    if missing:
        raise SystemExit(f"{name}: cells {missing} not found; update this benchmark")
    namespace = {"__name__": "__benchmark__"}
    for cell_id in cell_ids:
        exec(compile(cells[cell_id].source, f"{name}:{cell_id}", "exec"), namespace)
    return namespace


def run_cell(name: str, cell_id: str, namespace: dict) -> float:
    cell = next(c for c in nbformat.read(ROOT / "solutions" / name, as_version=4).cells if c.get("id") == cell_id)
    start = time.perf_counter()
    exec(compile(cell.source, f"{name}:{cell_id}", "exec"), namespace)
    return time.perf_counter() - start


def report(model: str, accuracy: float, seconds: float) -> None:
    print(f"{model:44s} test accuracy {accuracy:7.2%}   training {seconds:7.2f} s", flush=True)


def main() -> None:
    import keras
    print(f"machine: {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; keras {keras.__version__}")
    workdir = tempfile.mkdtemp(prefix="benchmark-")
    os.chdir(workdir)
    import contextlib
    import io
    quiet = contextlib.redirect_stdout(io.StringIO())

    nb02 = "02_apples_vs_oranges.ipynb"
    with quiet:
        ns = notebook_namespace(nb02, ["setup", "load-fruit", "split", "standardize", "sigmoid",
                                       "ex-2-1", "ex-2-2", "ex-2-3"])
    start = time.perf_counter()
    w, b, _ = ns["train_neuron"](ns["X_train_std"], ns["y_train"], learning_rate=1.0, epochs=200)
    seconds = time.perf_counter() - start
    report("02 NumPy sigmoid neuron (GD, 200 epochs)",
           np.mean((ns["predict_proba"](ns["X_test_std"], w, b) >= 0.5) == ns["y_test"]), seconds)
    with contextlib.redirect_stdout(io.StringIO()):
        seconds = run_cell(nb02, "ex-2-4", ns)
    report("02 Keras Dense(1, sigmoid) (SGD, 200 epochs)",
           ns["fruit_model"].evaluate(ns["X_test_std"], ns["y_test"], verbose=0)[1], seconds)

    nb03 = "03_mlp_mnist.ipynb"
    with contextlib.redirect_stdout(io.StringIO()):
        ns = notebook_namespace(nb03, ["setup", "load-mnist", "flatten", "sigmoid", "ex-3-3", "ex-3-4"])
    start = time.perf_counter()
    params = ns["train_network"](ns["X_train"], ns["Y_train"], n_hidden=15, epochs=3, batch_size=10,
                                 learning_rate=3.0, seed=0)
    seconds = time.perf_counter() - start
    predicted = np.argmax(ns["forward"](ns["X_test"], *params)[1], axis=1)
    report("03 NumPy 784-15-10 sigmoid (SGD, 3 epochs)", np.mean(predicted == ns["y_test"]), seconds)
    with contextlib.redirect_stdout(io.StringIO()):
        seconds = run_cell(nb03, "ex-3-5", ns)
    epochs = len(ns["historial"].history["loss"])
    report(f"03 Keras MLP 784-256-128-10 ({epochs} epochs)",
           ns["mnist_model"].evaluate(ns["x_test"] / 255, ns["Y_test"], verbose=0)[1], seconds)


if __name__ == "__main__":
    main()
