"""Time to 99 % MNIST test accuracy: the kit's LeNet-5 against the keras-io "Simple MNIST convnet" recipe.

Both models train in this one process, on this machine, on the same data
(the 60 000 MNIST training images, the last 10 % held out for validation as `validation_split=0.1`
does). After every epoch a callback evaluates on the 10 000 test images and adds the epoch's
*training* wall time (evaluation excluded) to a running total; the first epoch that reaches the
target records the time and stops training. By default the two models alternate epoch by epoch, so
that on a shared machine both see the same background load; --sequential trains one after the other.

The recipe, written from its public description: Conv2D 32 (3×3, ReLU) → MaxPool 2 → Conv2D 64
(3×3, ReLU) → MaxPool 2 → Flatten → Dropout 0.5 → Dense 10 softmax; Adam (default learning rate),
batch 128, validation_split 0.1, up to 15 epochs.

The kit's LeNet-5 (notebook 05, exercise 5.3): Conv2D 6 (5×5, same) → MaxPool 2 → Conv2D 16 (5×5)
→ MaxPool 2 → Flatten → Dense 120 → Dense 84 → Dense 10 softmax, ReLU; 61 706 parameters, about 6
times fewer multiply-adds per image than the recipe. It trains on the same full training set with
batch 64, 3 epochs, Adam under a warm-up + cosine learning-rate schedule (peak 3e-3) and XLA
compilation (jit_compile=True); inputs are converted to float32 once, up front, for both models.

Usage:  COURSE_DATASETS_DIR=../shared/datasets python benchmarks/lenet_vs_keras_recipe.py [--kit-first]
"""
import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from grader.data import load_mnist  # noqa: E402

TARGET = 0.99
SEED = 42


class TimeToTarget(keras.callbacks.Callback):
    """Accumulates training time per epoch, evaluates on the test set, stops at the target accuracy."""

    def __init__(self, x_test, y_test, target=TARGET, label=""):
        super().__init__()
        self.x_test, self.y_test, self.target, self.label = x_test, y_test, target, label
        self.train_seconds, self.hit_seconds, self.hit_epoch, self.accuracies = 0.0, None, None, []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.train_seconds += time.perf_counter() - self.started
        _, accuracy = self.model.evaluate(self.x_test, self.y_test, batch_size=1000, verbose=0)
        self.accuracies.append(accuracy)
        print(f"  [{self.label}] epoch {epoch + 1:2d}: training time {self.train_seconds:6.1f} s, "
              f"val acc {logs.get('val_accuracy', float('nan')):.4f}, test acc {accuracy:.4f}", flush=True)
        if accuracy >= self.target and self.hit_seconds is None:
            self.hit_seconds, self.hit_epoch = self.train_seconds, epoch + 1
            self.model.stop_training = True


def keras_recipe():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, dict(batch_size=128, epochs=15), "categorical"


def kit_lenet(n_train):
    batch_size, epochs, peak = 64, 3, 3e-3
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(6, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(120, activation="relu"),
        layers.Dense(84, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    steps = int(np.ceil(n_train / batch_size)) * epochs
    warmup = steps // 10
    schedule = keras.optimizers.schedules.CosineDecay(0.0, steps - warmup, warmup_target=peak, warmup_steps=warmup)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=True)
    return model, dict(batch_size=batch_size, epochs=epochs), "sparse"


def prepare(name, factory, data):
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(SEED)
    model, fit_args, labels = factory()
    if labels == "categorical":
        y_train, y_test = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_test, 10)
    print(f"{name}: {model.count_params()} parameters, {fit_args}", flush=True)
    return model, fit_args, (x_train, y_train), TimeToTarget(x_test, y_test, label=name)


def run(name, factory, data):
    """Train one model to the end (or to the target) in one fit call."""
    keras.backend.clear_session()
    model, fit_args, (x, y), callback = prepare(name, factory, data)
    model.fit(x, y, validation_split=0.1, verbose=0, callbacks=[callback], **fit_args)
    return callback


def run_interleaved(runs, data):
    """Alternate one epoch of each model, so both see the same (shared, varying) machine load."""
    keras.backend.clear_session()
    states = {name: prepare(name, factory, data) for name, factory in runs}
    for epoch in range(max(fit_args["epochs"] for _, fit_args, _, _ in states.values())):
        for model, fit_args, (x, y), callback in states.values():
            if callback.hit_seconds is None and epoch < fit_args["epochs"]:
                model.fit(x, y, validation_split=0.1, verbose=0, callbacks=[callback], initial_epoch=epoch,
                          epochs=epoch + 1, batch_size=fit_args["batch_size"])
    return {name: callback for name, (_, _, _, callback) in states.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kit-first", action="store_true", help="train the kit's LeNet before the recipe")
    parser.add_argument("--sequential", action="store_true",
                        help="train one model after the other (default: alternate epochs, fairer on a shared machine)")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train = (x_train.astype("float32") / 255.0)[..., None]
    x_test = (x_test.astype("float32") / 255.0)[..., None]
    data = (x_train, y_train), (x_test, y_test)
    n_train = int(len(x_train) * 0.9)

    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.1f}")
    runs = [("keras-io recipe", keras_recipe), ("kit LeNet-5", lambda: kit_lenet(n_train))]
    runs = runs[::-1] if args.kit_first else runs
    if args.sequential:
        results = {name: run(name, factory, data) for name, factory in runs}
    else:
        results = run_interleaved(runs, data)
    print(f"load average at end {os.getloadavg()[0]:.1f}\n")

    for name, result in results.items():
        hit = (f"{result.hit_seconds:.1f} s (epoch {result.hit_epoch})" if result.hit_seconds is not None
               else f"not reached in {len(result.accuracies)} epochs ({result.train_seconds:.1f} s)")
        print(f"{name:16s} time to {TARGET:.0%} test accuracy: {hit}; best test acc {max(result.accuracies):.4f}")
    recipe, kit = results["keras-io recipe"], results["kit LeNet-5"]
    if recipe.hit_seconds and kit.hit_seconds:
        ratio = kit.hit_seconds / recipe.hit_seconds
        print(f"ratio kit / recipe = {ratio:.2f} (target ≤ 0.50): {'OK' if ratio <= 0.5 else 'NOT MET'}")
        return 0 if ratio <= 0.5 else 1
    print("ratio: undefined (a model did not reach the target)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
