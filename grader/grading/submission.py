"""Grade one submitted notebook. Runs in its own memory-limited process, started by grader.grading.batch.

Three parties, none trusting the one before:
  1. the student's notebook runs top to bottom in a fresh kernel, in a jail around a copy of the
     student's folder, with per-cell and per-notebook CPU limits (grading.kernel); only the model
     files it saves are kept;
  2. the student's functions (taken from the notebook source) run in a second jail on the grader's
     cases, public and hidden, and export plain data (grading.sandbox);
  3. this process, which never runs student code, checks the size of everything the jails wrote
     before loading it, and judges it: function outputs against the references, saved models
     (loaded with safe_mode=True) on data the grader holds.
Both jails import a student-facing copy of the package: no hidden cases, references or grader code.

Usage (internal): python -m grader.grading.submission SPEC.json RESULT.json
"""
import copy
import json
import os
import resource
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from grader.authoring.release import student_package
from grader.core import ExerciseResult, Incident, Note, Status, SubmissionResult, Verdict
from grader.data import DATASETS_ENV
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for
from grader.grading import jail
from grader.grading.extract import extract_definitions
from grader.grading.files import UnsafeFile, check_archive, copy_regular_files, read_capped, write_atomically
from grader.grading.kernel import execute_notebook
from grader.grading.limits import (MAX_ARTIFACT_BYTES, MAX_FOLDER_BYTES, MAX_FOLDER_FILES, MAX_NOTEBOOK_BYTES,
                                   Limits)
from grader.grading.sandbox import run_function_exercises
from grader.i18n import LANG_ENV, Msg

SYNTAX_ERROR = Msg("la celda {index} tiene un error de sintaxis: {text}", "cell {index} has a syntax error: {text}")
FUNCTION_TIMEOUT = Msg("alguna función superó su límite de tiempo", "some function exceeded its time limit")
REFUSED = Msg("{file} no se cargó: {reason}", "{file} was not loaded: {reason}")
KIT = "/opt/kit"   # where the student-facing package appears inside the jails


def environment(kit: Path, isolated: bool) -> jail.Environment:
    """The jails' view: ``kit``, the folder that holds the student-facing package, and the datasets, read-only."""
    binds, env = [(kit, KIT)], {"PYTHONPATH": KIT if isolated else str(kit), "TF_CPP_MIN_LOG_LEVEL": "3",
                                LANG_ENV: os.environ.get(LANG_ENV, "es")}
    datasets = os.environ.get(DATASETS_ENV)
    if datasets and Path(datasets).is_dir():
        binds.append((Path(datasets).resolve(), "/opt/datasets"))
        env[DATASETS_ENV] = "/opt/datasets" if isolated else datasets
    keras_datasets = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"
    if keras_datasets.is_dir():
        binds.append((keras_datasets.resolve(), "/opt/keras/datasets"))
        env["KERAS_HOME"] = "/opt/keras" if isolated else str(keras_datasets.parent)
    return jail.Environment(isolated, tuple(binds) if isolated else (), tuple(env.items()))


def judge(exercise, workdir: Path, sandbox_verdicts: dict[str, Verdict]) -> Verdict:
    """The exercise's verdict, after checking the size of every file it loads from the jail."""
    for name in exercise.artifacts:
        if (workdir / name).exists() or (workdir / name).is_symlink():
            try:
                check_archive(workdir / name, MAX_ARTIFACT_BYTES)
            except UnsafeFile as error:
                return exercise.wrong(REFUSED.format(file=name, reason=str(error)[:120]))
    return exercise.grade(workdir, sandbox_verdicts)


def grade_submission(path: Path, student: str, assignment: str, limits: Limits, folder: Path | None = None,
                     executed: Path | None = None, isolated: bool = True) -> SubmissionResult:
    """Grade one notebook. ``folder``: the student's own folder, whose data files are copied next to the
    notebook. With ``executed``, also save the notebook as the kernel ran it (for instructors)."""
    notebook = nbformat.reads(read_capped(path, MAX_NOTEBOOK_BYTES).decode("utf-8"), as_version=4)
    exercises = exercises_for(assignment)
    with tempfile.TemporaryDirectory(prefix="grade-") as temporary:
        temporary = Path(temporary)
        workdir, sandbox = temporary / "work", temporary / "sandbox"
        workdir.mkdir()
        sandbox.mkdir()
        # The student's data files: regular files only, capped; no notebooks or models the run did not produce.
        if folder is not None:
            copy_regular_files(folder, workdir, MAX_FOLDER_BYTES, MAX_FOLDER_FILES, skip=shutil.ignore_patterns(
                "*.ipynb", "*.keras", ".ipynb_checkpoints", "__pycache__"))
        student_package(temporary / "kit")
        where = environment(temporary / "kit", isolated)
        definitions, syntax_problems = extract_definitions(notebook)
        notes = [Note(Incident.SYNTAX_ERROR, SYNTAX_ERROR.format(index=index, text=text))
                 for index, text in syntax_problems]
        run = copy.deepcopy(notebook)
        for cell in run.cells:  # stored outputs are never needed, and may be large
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        # The functions' sandbox runs while the kernel works through the notebook.
        with ThreadPoolExecutor(max_workers=1) as pool:
            functions = pool.submit(run_function_exercises, definitions,
                                    [e for e in exercises if isinstance(e, FunctionExercise)], sandbox, limits, where)
            kernel = execute_notebook(run, workdir, limits, where, temporary / "kernel.log")
            notes += kernel.notes
            sandbox_verdicts, sandbox_runs = functions.result()
        if any(note.incident == Incident.GRADER_ERROR for note in kernel.notes):   # not the student's doing
            return SubmissionResult.ungraded(student, assignment, str(path), Incident.GRADER_ERROR,
                                             kernel.notes[0].message, exercises)
        ran, kernel_run = kernel.executed, kernel.jail
        verdicts = {exercise.id: judge(exercise, workdir, sandbox_verdicts) for exercise in exercises}
        if executed is not None and ran is not None:
            write_atomically(executed, nbformat.writes(ran))
    if any(verdict.status == Status.TIMEOUT for verdict in verdicts.values()):
        notes.append(Note(Incident.TIMEOUT, FUNCTION_TIMEOUT))
    usage = {"kernel_cpu_seconds": kernel_run.cpu_seconds, "kernel_peak_mb": kernel_run.peak_memory_mb,
             "kernel_max_cell_cpu_seconds": kernel.max_cell_cpu,
             "sandbox_cpu_seconds": sum(r.cpu_seconds for r in sandbox_runs),
             "sandbox_peak_mb": max((r.peak_memory_mb for r in sandbox_runs), default=0.0)}
    return SubmissionResult(student, assignment, str(path), notes,
                            [ExerciseResult.of(exercise, verdicts[exercise.id]) for exercise in exercises],
                            usage=usage)


if __name__ == "__main__":
    spec_path, result_path = sys.argv[1:]
    spec = json.loads(Path(spec_path).read_text())
    limits = Limits(**spec["limits"])
    # This process loads what the jails wrote: a memory limit bounds whatever slips past the size checks.
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * 2**20, limits.memory_mb * 2**20))
    result = grade_submission(Path(spec["path"]), spec["student"], spec["assignment"], limits,
                              Path(spec["folder"]) if spec.get("folder") else None,
                              Path(spec["executed"]) if spec.get("executed") else None, spec["isolated"])
    own = resource.getrusage(resource.RUSAGE_SELF)
    result.usage["judge_peak_mb"] = own.ru_maxrss / 1024
    result.usage["judge_cpu_seconds"] = own.ru_utime + own.ru_stime   # the jails' CPU is in the figures above
    write_atomically(Path(result_path), json.dumps(result.to_json(), ensure_ascii=False, indent=1))
