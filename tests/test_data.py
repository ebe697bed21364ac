"""grader.data: search order, checksum verification and error messages."""
import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from grader import data

SHARED = Path(os.environ.get(data.DATASETS_ENV, Path(__file__).resolve().parents[2] / "shared" / "datasets"))
needs_offline_copy = pytest.mark.skipif(not (SHARED / "mnist.npz").is_file(),
                                        reason=f"no offline dataset copy at {SHARED} (set {data.DATASETS_ENV})")


@pytest.fixture
def empty_places(tmp_path, monkeypatch):
    """No dataset anywhere: an empty env folder, an empty Keras cache, and a download that fails."""
    monkeypatch.setenv(data.DATASETS_ENV, str(tmp_path / "course"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    import keras

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    return tmp_path


@needs_offline_copy
def test_mnist_from_env_dir(monkeypatch):
    monkeypatch.setenv(data.DATASETS_ENV, str(SHARED))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert round(float(x_train.mean()), 4) == 33.3184


@needs_offline_copy
def test_fashion_mnist_from_env_dir(monkeypatch):
    monkeypatch.setenv(data.DATASETS_ENV, str(SHARED))
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert len(data.FASHION_CLASS_NAMES) == 10


@needs_offline_copy
def test_keras_cache_is_used_when_env_dir_is_unset(tmp_path, monkeypatch):
    monkeypatch.delenv(data.DATASETS_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").symlink_to(SHARED / "mnist.npz")
    (tmp_path / "datasets" / "fashion-mnist").symlink_to(SHARED / "fashion-mnist")
    assert data.load_mnist()[1][1][:3].tolist() == [7, 2, 1]
    assert data.load_fashion_mnist()[0][1][:3].tolist() == [9, 0, 0]


@needs_offline_copy
def test_keras_download_is_the_last_resort_and_is_verified(empty_places, monkeypatch):
    import keras
    with np.load(SHARED / "mnist.npz") as npz:
        real = (npz["x_train"], npz["y_train"]), (npz["x_test"], npz["y_test"])
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: real)
    assert data.load_mnist()[0][1][0] == 5

    tampered = (real[0][0], real[0][1]), (real[1][0], np.zeros_like(real[1][1]))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: tampered)
    with pytest.raises(data.DatasetChecksumError, match="y_test"):
        data.load_mnist()


@pytest.mark.parametrize("loader, name", [(data.load_mnist, "MNIST"), (data.load_fashion_mnist, "Fashion-MNIST")])
def test_not_found_names_every_place_and_the_fix(empty_places, loader, name):
    with pytest.raises(data.DatasetNotFoundError) as error:
        loader()
    message = str(error.value)
    assert message.startswith(f"No encuentro {name}: la carpeta de {data.DATASETS_ENV}")
    assert str(empty_places / "course") in message            # the env folder
    assert str(empty_places / "keras" / "datasets") in message  # the Keras cache
    assert "network unreachable" in message                     # why the download failed
    assert "conéctate a internet" in message and "shared/datasets" not in message
    assert error.value.__cause__ is None and error.value.__suppress_context__   # no traceback chain


def test_not_found_without_the_variable_says_so_in_english(empty_places, monkeypatch):
    monkeypatch.delenv(data.DATASETS_ENV)
    monkeypatch.setenv("GRADER_LANG", "en")
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.load_mnist()
    assert str(error.value).startswith(f"Cannot find MNIST: the variable {data.DATASETS_ENV} is not set")
    assert "connect to the internet" in str(error.value) and len(str(error.value).splitlines()) == 3


@pytest.mark.slow   # a kernel that imports TensorFlow
def test_offline_student_sees_one_short_message_in_the_notebook(tmp_path):
    """A student offline, without COURSE_DATASETS_DIR, loads MNIST in a notebook: the Keras download really
    runs and fails (a proxy on a closed local port stands in for the missing network, so nothing leaves the
    machine), and what the notebook shows is the short Spanish message, not a chain of tracebacks."""
    import nbclient
    import nbformat
    closed = __import__("socket").socket()
    closed.bind(("127.0.0.1", 0))   # bound, never listening: connections are refused at once
    proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = {key: value for key, value in os.environ.items() if key != data.DATASETS_ENV}
    env.update(KERAS_HOME=str(tmp_path / "keras"), http_proxy=proxy, https_proxy=proxy, HTTPS_PROXY=proxy,
               HTTP_PROXY=proxy, no_proxy="", NO_PROXY="")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from grader.data import load_mnist\n(x_train, y_train), (x_test, y_test) = load_mnist()")])
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    previous = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)   # the kernel inherits this process's environment
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(previous)
        closed.close()
    error = next(output for output in notebook.cells[0].outputs if output.output_type == "error")
    traceback = "\n".join(error.traceback)
    assert error.ename == "DatasetNotFoundError" and error.evalue.startswith("No encuentro MNIST")
    assert "During handling" not in traceback and "direct cause" not in traceback
    assert len(traceback.splitlines()) == 3 and "grader/data.py" not in traceback, traceback


def test_mnist_checksum_mismatch_is_reported(empty_places):
    folder = empty_places / "course"
    folder.mkdir()
    fake = {key: np.zeros(shape, np.uint8) for key, shape in
            [("x_train", (6, 28, 28)), ("y_train", (6,)), ("x_test", (2, 28, 28)), ("y_test", (2,))]}
    np.savez(folder / "mnist.npz", **fake)
    with pytest.raises(data.DatasetChecksumError, match=r"mnist\.npz: array 'x_train' does not match"):
        data.load_mnist()


def test_corrupt_mnist_file_is_reported(empty_places):
    folder = empty_places / "course"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"this is not a zip file")
    with pytest.raises(data.DatasetChecksumError, match="not a readable .npz"):
        data.load_mnist()


def test_fashion_checksum_mismatch_is_reported(empty_places):
    folder = empty_places / "course" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in data.FASHION_FILE_SHA256:
        with gzip.open(folder / name, "wb") as handle:
            handle.write(bytes(16 + 784))
    with pytest.raises(data.DatasetChecksumError, match="train-images-idx3-ubyte.gz does not match"):
        data.load_fashion_mnist()


@needs_offline_copy
@pytest.mark.parametrize("name, loader", [("mnist", data.load_mnist), ("fashion_mnist", data.load_fashion_mnist)])
def test_grader_test_set_is_the_scaled_test_split_and_cannot_be_changed(name, loader, monkeypatch):
    monkeypatch.setenv(data.DATASETS_ENV, str(SHARED))
    _, (x_test, y_test) = loader()
    images, labels = data.grader_test_set(name)
    np.testing.assert_array_equal(images * 255.0, x_test.astype(np.float32))
    np.testing.assert_array_equal(labels, y_test)
    assert images.dtype == np.float32 and data.grader_test_set(name)[0] is images  # loaded once
    with pytest.raises(ValueError):  # one judge cannot change what the next one measures on
        images[0, 0, 0] = 1.0


def test_the_suite_without_the_datasets_stops_with_one_line(tmp_path):
    """Offline, without COURSE_DATASETS_DIR, collecting the tests would fail on the hidden cases of 03 (they read
    MNIST) with a traceback: the suite stops at once with one line naming the variable."""
    import subprocess
    import sys
    env = {key: value for key, value in os.environ.items() if key != data.DATASETS_ENV}
    env["KERAS_HOME"] = str(tmp_path)
    tests = Path(__file__).parent
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tests / "test_core.py")],
                            capture_output=True, text=True, env=env, cwd=tests.parent, stdin=subprocess.DEVNULL)
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "COURSE_DATASETS_DIR" in lines[0] and "mnist" in lines[0], lines
