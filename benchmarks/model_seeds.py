"""Accuracy of the reference recipes of the model exercises 3.5, 5.4 and the VGG exercise across seeds.

The recipe is not copied here: the script executes the solution notebooks' own cells (setup, data split,
the exercise's solution cell) in one namespace, with the cell's `keras.utils.set_random_seed(42)` replaced
by each seed. The trained model is saved and reloaded as the grader does, then measured with the grader's
own judge (`_judge_mnist_model`, `_judge_lenet_model`, `_judge_vgg_model`), so pass/fail is the grader's
threshold, not one re-implemented here. Per seed and exercise it writes one JSON line, as soon as the run
ends, so that a partial run is usable: validation and test accuracy, the judge's verdict, optimizer steps,
CPU seconds (all threads of this process) and wall seconds of the training cell.

Seeds are the outer loop, so every exercise has the same number of seeds at any moment.

Usage:  COURSE_DATASETS_DIR=../shared/datasets python benchmarks/model_seeds.py OUT.jsonl [--seeds 20]
        python benchmarks/model_seeds.py --summary OUT.jsonl
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

SEED_LINE = "keras.utils.set_random_seed(42)"


def code_cells(notebook):
    return [cell for cell in nbformat.read(ROOT / "solutions" / notebook, as_version=4).cells
            if cell.cell_type == "code"]


def cell_with(cells, text):
    """The one code cell whose source contains ``text``."""
    found = [cell.source for cell in cells if text in cell.source]
    assert len(found) == 1, f"{len(found)} cells contain {text!r}"
    return found[0]


def exercises():
    """(name, notebook setup cells, training cell, model variable, saved file, judge, validation data names)."""
    from grader.exercises import nb03, nb05
    mlp = code_cells("03_mlp_mnist.ipynb")
    cnn = code_cells("05_cnn_classifier.ipynb")
    return [
        ("3.5", [cell_with(mlp, "import keras"), cell_with(mlp, "= load_mnist()"), cell_with(mlp, "def prepare")],
         cell_with(mlp, "mnist_model = keras.Sequential"), "mnist_model", "mnist_mlp.keras",
         nb03._judge_mnist_model, ("X_val", "val_labels")),
        ("5.4", [cell_with(cnn, "import keras"), cell_with(cnn, "= load_mnist()"), cell_with(cnn, "def build_lenet5")],
         cell_with(cnn, "lenet = build_lenet5()"), "lenet", "lenet5_mnist.keras",
         nb05._judge_lenet_model, ("x_val", "y_val")),
        ("vgg", [cell_with(cnn, "import keras"), cell_with(cnn, "= load_fashion_mnist()")],
         cell_with(cnn, "vgg_model = keras.Sequential"), "vgg_model", "vgg_fashion.keras",
         nb05._judge_vgg_model, ("f_val", "fy_val")),
    ]


def run(name, setup, training, variable, model_file, judge, validation, seed):
    import keras
    namespace = {}
    for source in setup:
        exec(compile(source, f"<{name} setup>", "exec"), namespace)
    assert training.count(SEED_LINE) == 1, f"{name}: the training cell must set the seed once"
    training = training.replace(SEED_LINE, f"keras.utils.set_random_seed({seed})")
    wall, cpu = time.perf_counter(), time.process_time()
    exec(compile(training, f"<{name} seed {seed}>", "exec"), namespace)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    namespace[variable].save(model_file)
    model = keras.saving.load_model(model_file, safe_mode=True)
    images, labels = (namespace[key] for key in validation)
    val_accuracy = float(np.mean(np.argmax(model.predict(images, batch_size=1000, verbose=0), axis=1) == labels))
    from grader.compare import classification_accuracy
    from grader.data import grader_test_set
    test_images, test_labels = grader_test_set("mnist" if name != "vgg" else "fashion_mnist")
    shape = (len(test_images),) + tuple(model.inputs[0].shape[1:])
    test_accuracy = classification_accuracy(model, test_images.reshape(shape), test_labels)
    problem = judge(model)
    return dict(exercise=name, seed=seed, val_accuracy=val_accuracy, test_accuracy=test_accuracy,
                passes=problem is None, problem=None if problem is None else str(problem),
                steps=int(model.optimizer.iterations.numpy()), cpu_seconds=round(cpu, 1),
                wall_seconds=round(wall, 1))


def thresholds():
    """The accuracy each check demands today, read from the grader (it may have changed since the run)."""
    from grader.exercises import nb03, nb05
    return {"3.5": nb03.KERAS_TEST_ACCURACY, "5.4": nb05.LENET_MIN_ACCURACY, "vgg": nb05.VGG_MIN_ACCURACY}


def summary(path):
    """A Markdown table: test and validation accuracy (min, p5, median, max), passes, CPU and wall per run.
    "passes" counts the runs whose judge accepted the model at run time and whose test accuracy reaches
    today's threshold (the judge's other checks do not depend on the threshold)."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    print("| exercise | threshold | seeds | test accuracy: min / p5 / median / max | p5 − threshold | validation: "
          "min / median / max | passes | training CPU s (wall s), median |")
    print("|---|---|---|---|---|---|---|---|")
    for name, threshold in thresholds().items():
        mine = [row for row in rows if row["exercise"] == name]
        if not mine:
            continue
        test = np.array([row["test_accuracy"] for row in mine]) * 100
        val = np.array([row["val_accuracy"] for row in mine]) * 100
        accepted = sum(row["test_accuracy"] >= threshold and (row["passes"] or "exactitud" in (row["problem"] or ""))
                       for row in mine)
        p5 = np.percentile(test, 5)
        print(f"| {name} | {threshold:.2%} | {len(mine)} | {test.min():.2f} / {p5:.2f} / {np.median(test):.2f} / "
              f"{test.max():.2f} % | {p5 - threshold * 100:+.2f} pp | {val.min():.2f} / {np.median(val):.2f} / "
              f"{val.max():.2f} % | {accepted}/{len(mine)} | "
              f"{np.median([row['cpu_seconds'] for row in mine]):.0f} "
              f"({np.median([row['wall_seconds'] for row in mine]):.0f}) |")
    for name in thresholds():
        values = sorted(round(row["test_accuracy"] * 100, 2) for row in rows if row["exercise"] == name)
        print(f"{name} test accuracies, sorted: {values}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        return summary(args.out)
    import keras
    plan = exercises()
    done = set()
    if Path(args.out).exists():  # resume: skip the runs already written
        done = {(row["exercise"], row["seed"]) for row in map(json.loads, Path(args.out).read_text().splitlines())}
    for seed in range(args.seeds):
        for name, *rest in plan:
            if (name, seed) in done:
                continue
            keras.backend.clear_session()
            row = run(name, *rest, seed)
            with open(args.out, "a") as out:
                out.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
