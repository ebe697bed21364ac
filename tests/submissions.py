"""Broken, crashing and cheating submissions of notebook 01, built from the kit's own notebooks.

Each builder writes one student folder and says what the grader must give it:
{student: (status, score)}. They are graded in the session's one batch (conftest.graded_batch).
"""
import nbformat

from helpers import NB01, SOLUTIONS, cell_index, read, replace_in_cell, tiny_notebook, with_cell_after

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


def solution01():
    return read(SOLUTIONS)


def student01(*cells):
    """What a student who wrote only these cells hands in (a tiny notebook: no TensorFlow, nothing to train)."""
    return tiny_notebook(*cells)


def build_submissions(folder) -> dict:
    """Write one folder per student, each with one notebook 01; returns {student: (status, score)}."""
    expected = {}

    def save(student, notebook, status, score):
        (folder / student).mkdir(parents=True)
        nbformat.write(notebook, folder / student / f"{NB01}.ipynb")
        expected[student] = (status, score)

    save("huge_allocation", with_cell_after(solution01(), "setup",
                                            "import numpy as np\nbig = np.ones(30 * 2**30 // 8)"), "memory-limit", 12)
    save("exits_kernel", with_cell_after(solution01(), "collapse-demo", "import os\nos._exit(1)"),
         "kernel-died", 10)
    save("syntax_error", with_cell_after(solution01(), "setup", "def broken(:\n    pass"), "syntax-error", 12)

    deleted = solution01()
    del deleted.cells[cell_index(deleted, "ex-1-8")]
    save("deleted_cell", deleted, "graded", 11)

    shuffled = solution01()
    moved = shuffled.cells.pop(cell_index(shuffled, "ex-1-8"))
    shuffled.cells.append(moved)
    shuffled.cells.insert(cell_index(shuffled, "ex-1-1"), nbformat.from_dict(
        {**shuffled.cells[cell_index(shuffled, "ex-1-1")], "id": "copy-of-1-1"}))
    save("moved_and_duplicated", shuffled, "graded", 12)

    save("renamed_function", replace_in_cell(solution01(), "ex-1-8", "def collapse_linear_layers(",
                                             "def collapse_layers("), "graded", 11)
    save("forges_checks", student01(FORGERY), "graded", 0)
    save("patches_numpy_in_function", student01("import numpy as np", PATCHING_STEP), "graded", 0)
    save("hard_codes_public_answers", student01("import numpy as np", HARD_CODED_STEP), "graded", 0)
    save("unsafe_model", student01(LAMBDA_MODEL), "graded", 0)
    save("crashes_in_function", replace_in_cell(solution01(), "ex-1-8", '"""Devuelve',
                                                'import os\n    os._exit(3)\n    """Devuelve'), "kernel-died", 9)

    for name, content in [("empty", b""), ("garbage", b"\x89PNG not a notebook"),
                          ("truncated", (SOLUTIONS / f"{NB01}.ipynb").read_bytes()[:500])]:
        (folder / name).mkdir()
        (folder / name / f"{NB01}.ipynb").write_bytes(content)
        expected[name] = ("invalid-notebook", 0)
    return expected
