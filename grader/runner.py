"""Call a submission's functions on test cases and write back plain data.

This is the only grader code that runs next to student code during grading, so
it imports nothing from the grader: the sandbox copies this file alone into its
folder and runs it there. The in-notebook checks use ``call`` too, so a case is
run the same way in both places.

Usage: python runner.py FOLDER [EXERCISE_ID...], where FOLDER holds
definitions.json (source snippets), cases.json and cases.npz (per exercise of one
layer, the calls to make, each a function name and its arguments, and the reference
functions of earlier, already graded exercises that replace the student's own for
that exercise). For each exercise (all, or those named) it
writes <id>.json and <id>.npz, and records the exercise it is working on in the
file ``progress``.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np

PROGRESS_FILE = "progress"
ERROR_TEXT_LIMIT = 200
ERROR_TYPE_LIMIT = 40


def call(namespace: dict, function_name: str, args: tuple) -> dict:
    """Run one case: {"value": ...} or {"error_type": ..., "error_text": ...}.

    The function gets copies of the array arguments, so modifying them in place cannot change what
    the judge sees; comparing the copies with the originals afterwards tells that it did: the error
    INPUT_MODIFIED, whose text names the argument.
    """
    function = namespace.get(function_name)
    if not callable(function):
        return {"error_type": "NameError", "error_text": function_name}
    copies = tuple(np.array(arg, copy=True) if isinstance(arg, np.ndarray) else arg for arg in args)
    try:
        value = function(*copies)
    except Exception as error:  # student code may raise anything
        return {"error_type": type(error).__name__[:ERROR_TYPE_LIMIT], "error_text": str(error)[:ERROR_TEXT_LIMIT]}
    for position, (original, copy) in enumerate(zip(args, copies)):
        if isinstance(original, np.ndarray) and not _same_array(original, copy):
            return {"error_type": INPUT_MODIFIED, "error_text": _parameter_name(function, position)}
    return {"value": value}


INPUT_MODIFIED = "InputModified"
# What the runner and the judge find wrong with a returned value (they are not exceptions the function raised);
# the text is the value's type name. Explained in words by grader.exercises.base, in the feedback language.
UNSUPPORTED_OUTPUT = "UnsupportedOutput"   # a type the runner does not send back (a dict, a string array…)
UNREADABLE_OUTPUT = "UnreadableOutput"     # what the runner wrote could not be read back


class Unsupported(TypeError):
    """A returned value of a type ``encode`` refuses; its text is the type's name."""


def _same_array(original: np.ndarray, copy) -> bool:
    try:
        return (isinstance(copy, np.ndarray) and copy.shape == original.shape
                and bool(np.array_equal(original, copy, equal_nan=original.dtype.kind in "fc")))
    except Exception:  # an object that refuses comparison is not the same array
        return False


def _parameter_name(function, position: int) -> str:
    """The name of the function's argument at ``position``, else its ordinal ("#2")."""
    try:
        import inspect
        return list(inspect.signature(function).parameters)[position][:ERROR_TEXT_LIMIT]
    except Exception:
        return f"#{position + 1}"


def load_definitions(snippets: list[str], defer_heavy_imports: bool = False) -> dict:
    """Run the extracted snippets in a fresh namespace, each on its own. With ``defer_heavy_imports``,
    an import of a slow package (Keras, Matplotlib…) binds Deferred names, imported on first use."""
    namespace = {"__name__": "__submission__"}
    for snippet in snippets:
        names = heavy_import_names(snippet) if defer_heavy_imports else []
        try:
            if names:
                namespace.update((name, Deferred(namespace, snippet, name)) for name in names)
            else:
                exec(compile(snippet, "<submission>", "exec"), namespace)
        except Exception:  # a broken import or decorator only loses what depends on it
            pass
    return namespace


# The sandbox runs once per layer of exercises: most layers never touch these, which take seconds to import.
HEAVY_PACKAGES = {"keras", "tensorflow", "matplotlib", "ipywidgets", "IPython", "grader", "pandas", "scipy",
                  "sklearn", "seaborn", "PIL", "torch"}


def heavy_import_names(snippet: str) -> list[str]:
    """The names an import of a heavy package binds (none for any other snippet)."""
    import ast
    try:
        node = ast.parse(snippet).body[0]
    except (SyntaxError, IndexError):
        return []
    if isinstance(node, ast.Import) and all(a.name.split(".")[0] in HEAVY_PACKAGES for a in node.names):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names]
    if (isinstance(node, ast.ImportFrom) and not node.level and node.module.split(".")[0] in HEAVY_PACKAGES
            and all(alias.name != "*" for alias in node.names)):
        return [alias.asname or alias.name for alias in node.names]
    return []


class Deferred:
    """A name bound by an import that has not run yet: its first use runs the import, which rebinds the
    real objects in the namespace, and is forwarded to them."""

    def __init__(self, namespace: dict, snippet: str, name: str):
        self._where = (namespace, snippet, name)

    def _load(self):
        namespace, snippet, name = self._where
        if namespace.get(name) is self:
            exec(compile(snippet, "<submission>", "exec"), namespace)
        return namespace[name]

    def __getattr__(self, attribute):
        if attribute == "_where":
            raise AttributeError(attribute)
        return getattr(self._load(), attribute)

    def __call__(self, *args, **kwargs):
        return self._load()(*args, **kwargs)

    def __instancecheck__(self, instance):
        return isinstance(instance, self._load())

    def __subclasscheck__(self, subclass):
        return issubclass(subclass, self._load())

    def __mro_entries__(self, bases):
        return (self._load(),)


# ---------------------------------------------------------------- plain-data encoding

def encode(value, arrays: dict, folder: Path, name: str):
    """A value as JSON plus arrays; Keras models as .keras files; anything else is refused. ``name`` names its
    array in ``arrays`` (or its .keras file), with a suffix per item of a tuple or list."""
    if value is None:
        return {"none": True}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": value}
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [encode(item, arrays, folder, f"{name}_{i}") for i, item in enumerate(value)]}
    if hasattr(value, "save") and hasattr(value, "count_params"):  # a Keras model
        path = folder / f"{name}.keras"
        value.save(path)
        return {"model": path.name}
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise Unsupported(type(value).__name__)
    arrays[name] = array
    return {"array": name}


def decode(encoded: dict, arrays, load_model=None):
    """Inverse of encode, without pickle; models are opened only through the given ``load_model``."""
    if "none" in encoded:
        return None
    for name, kind in (("str", str), ("bool", bool), ("int", int), ("float", float)):
        if name in encoded:
            return kind(encoded[name])
    if "tuple" in encoded:
        return tuple(decode(item, arrays, load_model) for item in encoded["tuple"])
    if "list" in encoded:
        return [decode(item, arrays, load_model) for item in encoded["list"]]
    if "model" in encoded:
        if load_model is None:
            raise TypeError("a model is not an accepted input")
        return load_model(Path(encoded["model"]).name)
    array = arrays[encoded["array"]]
    return array[()] if array.ndim == 0 else array


def load_arrays(path: Path) -> dict:
    """Every array of an .npz file, read without pickle, as {name: array}. A file that is not a readable .npz
    raises OSError or ValueError: a torn zip or a broken .npy header raises many other types (BadZipFile,
    tokenize's TokenError, ...), and the judge reads files that student code could write."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (OSError, ValueError, MemoryError):   # memory: the grader's trouble, never a student's verdict
        raise
    except Exception as error:
        raise ValueError(f"{Path(path).name} is not a readable .npz ({type(error).__name__})") from error


def write_json(path: Path, data) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)


# ---------------------------------------------------------------- entry point

def run(folder: Path, exercise_ids: list[str]) -> None:
    definitions = json.loads((folder / "definitions.json").read_text())
    shared = load_definitions(definitions, defer_heavy_imports=True)
    exercises = json.loads((folder / "cases.json").read_text())
    inputs = load_arrays(folder / "cases.npz")
    for exercise_id in exercise_ids or list(exercises):
        exercise = exercises[exercise_id]
        (folder / PROGRESS_FILE).write_text(exercise_id)
        # reference functions defined after the student's own, so the student's functions call them
        namespace = (load_definitions(definitions + exercise["overrides"], defer_heavy_imports=True)
                     if exercise["overrides"] else shared)
        records, arrays = [], {}
        for number, (function_name, encoded_args) in enumerate(exercise["calls"]):
            record = call(namespace, function_name, decode(encoded_args, inputs))
            if "value" in record:
                try:
                    record["value"] = encode(record["value"], arrays, folder, f"e{exercise_id}_c{number}")
                except Unsupported as error:
                    record = {"error_type": UNSUPPORTED_OUTPUT, "error_text": str(error)[:ERROR_TYPE_LIMIT]}
                except Exception as error:
                    record = {"error_type": "TypeError", "error_text": str(error)[:ERROR_TEXT_LIMIT]}
            records.append(record)
        np.savez(folder / f"{exercise_id}.npz", **arrays)
        write_json(folder / f"{exercise_id}.json", records)


if __name__ == "__main__":
    run(Path(sys.argv[1]), sys.argv[2:])
