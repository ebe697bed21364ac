"""MNIST and Fashion-MNIST loaders that work offline and verify what they read.

Search order, for both datasets:
  1. the directory named by $COURSE_DATASETS_DIR (CI points it at ../shared/datasets);
  2. the Keras cache ($KERAS_HOME or ~/.keras, subfolder datasets/);
  3. the standard Keras download (students online).
Whatever is found is checked against known SHA-256 sums before it is returned.

The small tables the kit owns (the fruit table of notebook 02) ship inside the
package, so a regular (non-editable) install finds them too.
"""
import csv
import gzip
import hashlib
import json
import os
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from grader import runner
from grader.i18n import Msg

DATASETS_ENV = "COURSE_DATASETS_DIR"

# sha256 of array.tobytes(): the kit's offline mnist.npz is a lossless rebuild,
# so its file bytes differ from Keras's file while the arrays are identical.
MNIST_ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

# Fashion-MNIST ships as the four original IDX files, identical everywhere.
FASHION_FILE_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

FASHION_CLASS_NAMES = [
    "camiseta", "pantalón", "suéter", "vestido", "abrigo",
    "sandalia", "camisa", "zapato deportivo", "bolso", "botín",
]


# Written by datasets/make_fruit.py; package data, found wherever the kit is installed.
FRUIT_CSV = Path(str(resources.files("grader") / "resources" / "fruit.csv"))


@cache
def load_fruit() -> tuple[np.ndarray, np.ndarray]:
    """(X, y): X columns are weight_g and roughness, y is 1 for an orange and 0 for an apple."""
    with FRUIT_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    X = np.array([[float(row["weight_g"]), float(row["roughness"])] for row in rows])
    y = np.array([float(row["label"]) for row in rows])
    return X, y


# The reference's answers to the public cases, as data: written by `python -m grader build` from the
# grading-only references, so the in-notebook checks need no reference code.
EXPECTED_DIR = Path(str(resources.files("grader") / "resources" / "expected"))


def expected_path(assignment: str, folder: Path = EXPECTED_DIR) -> Path:
    """answers_NN.json (and .npz beside it): named by notebook number, not by title, so no file here is
    mistaken for a dataset (they hold the answers to small public cases, never MNIST images)."""
    return Path(folder) / f"answers_{assignment[:2]}.json"


def read_answers(path: Path) -> dict[str, list]:
    """The answers stored in ``path`` (answers_NN.json, and the .npz beside it), decoded."""
    arrays = runner.load_arrays(path.with_suffix(".npz"))
    return {exercise_id: [runner.decode(item, arrays) for item in items]
            for exercise_id, items in json.loads(path.read_text(encoding="utf-8")).items()}


@cache
def load_expected(assignment: str) -> dict[str, list]:
    """{exercise id: [expected answer of each public case, in order]} for one assignment ({} if none)."""
    path = expected_path(assignment)
    return read_answers(path) if path.is_file() else {}


class DatasetNotFoundError(FileNotFoundError):
    """No copy of the dataset could be found or downloaded."""

    def _render_traceback_(self):
        # IPython shows these lines instead of the traceback: the student needs what to do, not our frames.
        return [f"{type(self).__name__}: {self}"]


class DatasetChecksumError(ValueError):
    """A copy of the dataset was found but its contents are not the expected ones."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _candidate_dirs() -> list[tuple[str, Path]]:
    dirs = []
    if os.environ.get(DATASETS_ENV):
        dirs.append((f"${DATASETS_ENV}", Path(os.environ[DATASETS_ENV]).expanduser()))
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    dirs.append(("Keras cache", keras_home / "datasets"))
    return dirs


# The files each dataset is read from, under any of _candidate_dirs().
DATASET_FILES = {"mnist": ("mnist.npz",),
                 "fashion_mnist": tuple(f"fashion-mnist/{name}" for name in FASHION_FILE_SHA256)}


def missing_datasets(names) -> list[str]:
    """Those of ``names`` that no local folder holds. A cheap existence check, with no download: a grading
    worker runs it before grading, so a machine without the data says so instead of failing every student."""
    return [name for name in names
            if not any(all((folder / file).is_file() for file in DATASET_FILES[name]) for _, folder in _candidate_dirs())]


def dataset_folders() -> list[Path]:
    """The folders missing_datasets and the loaders look in, in order."""
    return [folder for _, folder in _candidate_dirs()]


def dataset_places() -> str:
    """Where missing_datasets looked, for messages."""
    return ", ".join(f"{folder} ({label})" for label, folder in _candidate_dirs())


NOT_FOUND = Msg(
    "No encuentro {name}: {where}, y Keras no pudo descargarlo ({reason}).\n"
    "Qué hacer: conéctate a internet y vuelve a ejecutar la celda, o pide a tu profesor la carpeta de datos del "
    "curso y arranca Jupyter con {env} apuntando a ella (el README explica cómo).\n"
    "Buscado en: {places}",
    "Cannot find {name}: {where}, and Keras could not download it ({reason}).\n"
    "What to do: connect to the internet and run the cell again, or ask your instructor for the course's data "
    "folder and start Jupyter with {env} pointing at it (the README shows how).\n"
    "Looked in: {places}")
ENV_UNSET = Msg("la variable {env} no está definida", "the variable {env} is not set")
ENV_LACKS = Msg("la carpeta de {env} ({folder}) no lo tiene", "the {env} folder ({folder}) does not have it")


def _not_found(name: str, searched: list[str], download_error: Exception) -> DatasetNotFoundError:
    """One short message that says what to do (raised ``from None``: the student needs no traceback chain)."""
    folder = os.environ.get(DATASETS_ENV)
    where = ENV_LACKS.format(env=DATASETS_ENV, folder=folder) if folder else ENV_UNSET.format(env=DATASETS_ENV)
    reason = (str(download_error).strip().splitlines() or [type(download_error).__name__])[-1][:160]
    return DatasetNotFoundError(str(NOT_FOUND.format(name=name, where=where, reason=reason, env=DATASETS_ENV,
                                                     places="; ".join(searched))))


def _verify_mnist(arrays: dict, source: str):
    for key, expected in MNIST_ARRAY_SHA256.items():
        if key not in arrays:
            raise DatasetChecksumError(f"{source}: array '{key}' is missing. Delete the file and load again.")
        if _sha256(np.ascontiguousarray(arrays[key]).tobytes()) != expected:
            raise DatasetChecksumError(
                f"{source}: array '{key}' does not match the published MNIST checksum "
                f"(corrupt or different file). Delete it and load again to get a fresh copy."
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_mnist():
    """Return ((x_train, y_train), (x_test, y_test)) as uint8 arrays, like keras.datasets.mnist."""
    searched = []
    for label, folder in _candidate_dirs():
        path = folder / "mnist.npz"
        searched.append(f"{path} ({label})")
        if path.is_file():
            try:
                arrays = runner.load_arrays(path)
            except Exception as error:  # zip/npy errors come in many types
                raise DatasetChecksumError(f"{path}: not a readable .npz file ({error}). Delete it and load again.")
            return _verify_mnist(arrays, str(path))
    try:
        import keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:
        raise _not_found("MNIST", searched, error) from None
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return _verify_mnist(arrays, "MNIST downloaded by Keras")


def _read_idx(path: Path, header_bytes: int, shape: tuple) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=header_bytes).reshape(shape)


def _read_fashion(folder: Path):
    for name, expected in FASHION_FILE_SHA256.items():
        if _sha256((folder / name).read_bytes()) != expected:
            raise DatasetChecksumError(
                f"{folder / name} does not match the published Fashion-MNIST checksum "
                f"(corrupt or different file). Delete it and load again to get a fresh copy."
            )
    x_train = _read_idx(folder / "train-images-idx3-ubyte.gz", 16, (-1, 28, 28))
    y_train = _read_idx(folder / "train-labels-idx1-ubyte.gz", 8, (-1,))
    x_test = _read_idx(folder / "t10k-images-idx3-ubyte.gz", 16, (-1, 28, 28))
    y_test = _read_idx(folder / "t10k-labels-idx1-ubyte.gz", 8, (-1,))
    return (x_train, y_train), (x_test, y_test)


def load_fashion_mnist():
    """Return ((x_train, y_train), (x_test, y_test)) as uint8 arrays, like keras.datasets.fashion_mnist."""
    searched = []
    for label, folder in _candidate_dirs():
        folder = folder / "fashion-mnist"
        searched.append(f"{folder}/ ({label})")
        if all((folder / name).is_file() for name in FASHION_FILE_SHA256):
            return _read_fashion(folder)
    try:
        import keras
        keras.datasets.fashion_mnist.load_data()  # downloads into the Keras cache
    except Exception as error:
        raise _not_found("Fashion-MNIST", searched, error) from None
    return _read_fashion(_candidate_dirs()[-1][1] / "fashion-mnist")


@cache  # loading and verifying costs seconds: once per grading process
def grader_test_set(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The grader's copy of a test set ("mnist" or "fashion_mnist"): images as float32 in [0, 1],
    shape (10000, 28, 28), and labels. Read-only, because every judge shares the cached arrays."""
    loader = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}[name]
    _, (images, labels) = loader()
    images, labels = images.astype(np.float32) / 255.0, labels.copy()
    images.flags.writeable = labels.flags.writeable = False
    return images, labels
