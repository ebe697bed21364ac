"""Run a submission's exercise functions in a throwaway process and export plain data.

The autograder never trusts anything a student's code can touch. It extracts the
submission's function definitions from the notebook *source*, runs them here,
in a separate process with a memory limit, on the grader's test cases, and
writes only data back: NumPy arrays (read without pickle), strings, numbers, and
Keras models saved as .keras files (reloaded with safe_mode=True). The grading
process then regenerates the cases itself and judges those outputs.

Usage (internal): python -m grader.sandbox DEFINITIONS.json OUTDIR EXERCISE_ID...
"""
import ast
import json
import os
import sys
from pathlib import Path

import numpy as np

PROGRESS_FILE = "progress"


# ---------------------------------------------------------------- extraction (grader side)

def _is_literal_assignment(node) -> bool:
    """NAME = <literal>: a constant a function may read. `x[0] = 1` is not one."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not all(isinstance(target, ast.Name) for target in targets):
        return False
    try:
        ast.literal_eval(node.value)
        return True
    except ValueError:
        return False


def extract_definitions(notebook) -> tuple[list[str], list[tuple[int, str]]]:
    """Return (top-level imports, defs, classes and literal constants in notebook order, syntax problems).

    Nothing else of the notebook runs: training loops, prints and monkeypatching at
    top level stay in the student's kernel.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    snippets, problems = [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        try:
            source = TransformerManager().transform_cell(cell.source)  # %magics → Python
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as error:
            line = getattr(error, "lineno", None)
            problems.append((index, f"{getattr(error, 'msg', error)} (línea {line})"))
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) or _is_literal_assignment(node):
                snippets.append(ast.unparse(node))
    return snippets, problems


# ---------------------------------------------------------------- encoding (sandbox side)

def encode(value, arrays: dict, folder: Path, key: str):
    """Turn a return value into JSON plus arrays; refuse anything that is not plain data."""
    if value is None:
        return {"none": True}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [encode(item, arrays, folder, f"{key}_{i}") for i, item in enumerate(value)]}
    if hasattr(value, "save") and hasattr(value, "count_params"):  # a Keras model
        path = folder / f"{key}.keras"
        value.save(path)
        return {"model": path.name}
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"tipo no admitido en la salida: {type(value).__name__}")
    arrays[key] = array
    return {"array": key}


def decode(encoded, arrays, folder: Path):
    """Inverse of encode, run by the grader: no pickle, models in Keras safe mode."""
    if "none" in encoded:
        return None
    if "str" in encoded:
        return str(encoded["str"])
    if "tuple" in encoded:
        return tuple(decode(item, arrays, folder) for item in encoded["tuple"])
    if "list" in encoded:
        return [decode(item, arrays, folder) for item in encoded["list"]]
    if "model" in encoded:
        import keras
        return keras.saving.load_model(folder / Path(encoded["model"]).name, safe_mode=True)
    array = arrays[encoded["array"]]
    return array[()] if array.ndim == 0 else array


# ---------------------------------------------------------------- sandbox entry point

def load_definitions(definitions: list[str]) -> dict:
    """Run the extracted snippets in a fresh namespace, each on its own."""
    namespace = {"__name__": "__submission__"}
    for snippet in definitions:
        try:
            exec(compile(snippet, "<submission>", "exec"), namespace)
        except Exception:  # a broken import or decorator only loses what depends on it
            pass
    return namespace


def run(definitions: list[str], outdir: Path, exercise_ids: list[str]) -> None:
    from grader.checking import call_cases
    from grader.exercises import get_exercise

    namespace = load_definitions(definitions)
    for exercise_id in exercise_ids:
        (outdir / PROGRESS_FILE).write_text(exercise_id)
        exercise = get_exercise(exercise_id)
        cases = exercise.cases() + exercise.hidden_cases()
        records, arrays = [], {}
        for number, outcome in enumerate(call_cases(exercise, namespace, cases)):
            record = {"error_type": outcome.error_type, "error_text": outcome.error_text}
            if outcome.error_type is None:
                try:
                    record["value"] = encode(outcome.value, arrays, outdir, f"e{exercise_id}_c{number}")
                except Exception as error:
                    record = {"error_type": "TypeError", "error_text": str(error)[:200]}
            records.append(record)
        np.savez(outdir / f"{exercise_id}.npz", **arrays)
        temporary = outdir / f"{exercise_id}.json.tmp"
        temporary.write_text(json.dumps(records))
        os.replace(temporary, outdir / f"{exercise_id}.json")


if __name__ == "__main__":
    definitions_path, outdir, *ids = sys.argv[1:]
    run(json.loads(Path(definitions_path).read_text()), Path(outdir), ids)
