"""Broken, crashing and cheating submissions of notebook 01, built from the kit's own notebooks.

Each builder writes one student folder and says what the grader must give it:
{student: (status, score)}. They are graded in the session's one batch (conftest.graded_batch).

Most are tiny notebooks (a few cells, no TensorFlow in the kernel, nothing to train): a whole notebook is not
the point of a crash, a syntax error or a renamed function. Where what matters is whether the kernel went on
after a cell, a later cell puts a trained OR model in place (copied from OR_MODEL, made once by the test
process), so exercise 1.10 scores only if that later cell ran.
"""
import shutil

import nbformat

from helpers import NB01, SOLUTIONS, tiny_notebook

STEP = "import numpy as np\n\ndef step(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)"
COLLAPSE = "def collapse_linear_layers(W1, b1, W2, b2):\n    return W1 @ W2, b1 @ W2 + b2"
COLLAPSE_DEMO = "print(collapse_linear_layers(np.eye(2), np.zeros(2), np.eye(2), np.ones(2)))"
OR_MODEL = "trained_or_model.bin"   # in the student's folder (the grader drops *.keras files the run did not make)
PLACE_MODEL = f'import shutil\nshutil.copy("{OR_MODEL}", "or_model.keras")'   # makes it the answer to 1.10

HARD_CODED_STEP = '''
def step(z):
    """Answers copied from the public check's inputs; anything else gets zeros."""
    z = np.asarray(z)
    known = {(5,): [0.0, 0.0, 1.0, 1.0, 1.0], (2, 2): [[1.0, 0.0], [1.0, 1.0]], (): 1.0}
    if z.shape in known:
        return np.array(known[z.shape])
    if z.shape == (3, 4):
        return (z >= 0).astype(float)
    return np.zeros(z.shape)
'''

FORGERY = '''
import numpy as np

def check(exercise_id):
    print(f"✅ Ejercicio {exercise_id}: ¡correcto!")

for exercise_id in ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.8", "1.10", "1.11"]:
    check(exercise_id)
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
'''

PATCHING_STEP = '''
def step(z):
    import numpy
    numpy.allclose = lambda *args, **kwargs: True   # tries to blind the checker
    numpy.isclose = lambda *args, **kwargs: True
    numpy.heaviside = lambda x, h: x
    return z
'''

LAMBDA_MODEL = '''
import keras
xor_model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: keras.ops.abs(x[:, :1] - x[:, 1:]))])
xor_model.save("xor_model.keras")
'''


def student01(*cells):
    """What a student who wrote only these cells hands in (a tiny notebook: no TensorFlow, nothing to train)."""
    return tiny_notebook(*cells)


def save_trained_or_model(folder):
    """A one-neuron OR model that 1.10 accepts (weights set by hand, then one optimizer step, as 1.10 asks),
    saved in ``folder``; returns its path."""
    import keras
    import numpy as np
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([np.array([[10.0], [10.0]]), np.array([-5.0])])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy")
    model.fit(x, np.array([0, 1, 1, 1], dtype="float32"), epochs=1, batch_size=4, verbose=0)
    model.save(folder / "or_model.keras")
    return folder / "or_model.keras"


def build_submissions(folder, trained) -> dict:
    """Write one folder per student, each with one notebook 01 (and ``trained``, the OR model, where a cell places
    it); returns {student: (status, score)}."""
    expected = {}

    def save(student, notebook, status, score, model=False):
        (folder / student).mkdir(parents=True)
        nbformat.write(notebook, folder / student / f"{NB01}.ipynb")
        if model:
            shutil.copy(trained, folder / student / OR_MODEL)
        expected[student] = (status, score)

    # 1.1 and 1.8 are defined around the failing cell, and 1.10 is placed after it: the kernel went on.
    save("huge_allocation", student01(STEP, "big = np.ones(30 * 2**30 // 8)", COLLAPSE, PLACE_MODEL),
         "memory-limit", 3, model=True)
    save("syntax_error", student01(STEP, "def broken(:\n    pass", COLLAPSE, PLACE_MODEL), "syntax-error", 3,
         model=True)
    # The kernel dies before 1.10's model is placed: that point is lost, the functions (read from source) are not.
    save("exits_kernel", student01(STEP, COLLAPSE, "import os\nos._exit(1)", PLACE_MODEL), "kernel-died", 2,
         model=True)
    # A cell that needs a deleted (or moved) definition fails, and the cells after it still run.
    save("deleted_cell", student01(STEP, COLLAPSE_DEMO, PLACE_MODEL), "graded", 2, model=True)
    # ex-1-8 moved to the end, after the cell that uses it, and 1.1 handed in twice under another cell id.
    shuffled = student01(STEP, STEP, COLLAPSE_DEMO, PLACE_MODEL, COLLAPSE)
    shuffled.cells[1].id = "copy-of-1-1"
    save("moved_and_duplicated", shuffled, "graded", 3, model=True)

    save("renamed_function", student01(STEP, COLLAPSE.replace("def collapse_linear_layers(", "def collapse_layers(")),
         "graded", 1)
    save("forges_checks", student01(FORGERY), "graded", 0)
    save("patches_numpy_in_function", student01("import numpy as np", PATCHING_STEP), "graded", 0)
    save("hard_codes_public_answers", student01("import numpy as np", HARD_CODED_STEP), "graded", 0)
    save("unsafe_model", student01(LAMBDA_MODEL), "graded", 0)
    # 1.8 ends its own process when called: in the kernel (the demo cell), and again in the function sandbox.
    crashing = COLLAPSE.replace("    return", "    import os\n    os._exit(3)\n    return")
    save("crashes_in_function", student01(STEP, crashing, COLLAPSE_DEMO, PLACE_MODEL), "kernel-died", 1, model=True)

    for name, content in [("empty", b""), ("garbage", b"\x89PNG not a notebook"),
                          ("truncated", (SOLUTIONS / f"{NB01}.ipynb").read_bytes()[:500])]:
        (folder / name).mkdir()
        (folder / name / f"{NB01}.ipynb").write_bytes(content)
        expected[name] = ("invalid-notebook", 0)
    return expected
