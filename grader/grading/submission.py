"""Grade one submitted notebook. Runs in its own process, started by grader.grading.batch.

Three parties, none trusting the one before:
  1. the student's notebook runs top to bottom in a fresh kernel, in a temporary
     copy of its folder, with per-cell, per-notebook and memory limits; only the
     model files it saves are kept (grading.kernel);
  2. the student's functions (taken from the notebook source) run in a sandbox
     process on the grader's cases, public and hidden, and export plain data
     (grading.sandbox);
  3. this process judges that data, and the saved models (loaded with
     safe_mode=True) on data the grader holds.

Usage (internal): python -m grader.grading.submission SPEC.json RESULT.json
"""
import copy
import json
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from grader.core import ExerciseResult, Incident, Note, Status, SubmissionResult
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for
from grader.grading.extract import extract_definitions
from grader.grading.files import copy_regular_files, read_capped, write_atomically
from grader.grading.kernel import execute_notebook
from grader.grading.limits import MAX_FOLDER_BYTES, MAX_FOLDER_FILES, MAX_NOTEBOOK_BYTES, Limits
from grader.grading.sandbox import run_function_exercises
from grader.i18n import Msg

SYNTAX_ERROR = Msg("la celda {index} tiene un error de sintaxis: {text}", "cell {index} has a syntax error: {text}")
FUNCTION_TIMEOUT = Msg("alguna función superó su límite de tiempo", "some function exceeded its time limit")


def grade_submission(path: Path, student: str, assignment: str, limits: Limits, folder: Path | None = None,
                     executed: Path | None = None) -> SubmissionResult:
    """Grade one notebook. ``folder``: the student's own folder, whose data files are copied next to the
    notebook. With ``executed``, also save the notebook as the kernel ran it (for instructors)."""
    notebook = nbformat.reads(read_capped(path, MAX_NOTEBOOK_BYTES).decode("utf-8"), as_version=4)
    exercises = exercises_for(assignment)
    with tempfile.TemporaryDirectory(prefix="grade-") as temporary:
        workdir = Path(temporary) / "work"
        workdir.mkdir()
        # The student's data files: regular files only, capped; no notebooks or models the run did not produce.
        if folder is not None:
            copy_regular_files(folder, workdir, MAX_FOLDER_BYTES, MAX_FOLDER_FILES, skip=shutil.ignore_patterns(
                "*.ipynb", "*.keras", ".ipynb_checkpoints", "__pycache__"))
        definitions, syntax_problems = extract_definitions(notebook)
        notes = [Note(Incident.SYNTAX_ERROR, SYNTAX_ERROR.format(index=index, text=text))
                 for index, text in syntax_problems]
        # The functions' sandbox runs while the kernel works through the notebook.
        with ThreadPoolExecutor(max_workers=1) as pool:
            functions = pool.submit(run_function_exercises, definitions,
                                    [e for e in exercises if isinstance(e, FunctionExercise)],
                                    Path(temporary) / "sandbox", limits)
            run = copy.deepcopy(notebook)
            for cell in run.cells:  # stored outputs are never needed, and may be large
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            notes += execute_notebook(run, workdir, limits)
            sandbox_verdicts = functions.result()
        verdicts = {exercise.id: exercise.grade(workdir, sandbox_verdicts) for exercise in exercises}
    if executed is not None:
        write_atomically(executed, nbformat.writes(run))
    if any(verdict.status == Status.TIMEOUT for verdict in verdicts.values()):
        notes.append(Note(Incident.TIMEOUT, FUNCTION_TIMEOUT))
    return SubmissionResult(student, assignment, str(path), notes,
                            [ExerciseResult.of(exercise, verdicts[exercise.id]) for exercise in exercises])


if __name__ == "__main__":
    spec_path, result_path = sys.argv[1:]
    spec = json.loads(Path(spec_path).read_text())
    result = grade_submission(Path(spec["path"]), spec["student"], spec["assignment"], Limits(**spec["limits"]),
                              Path(spec["folder"]) if spec.get("folder") else None,
                              Path(spec["executed"]) if spec.get("executed") else None)
    write_atomically(Path(result_path), json.dumps(result.to_json(), ensure_ascii=False, indent=1))
