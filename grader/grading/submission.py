"""Grade one submitted notebook. Runs in its own memory-limited process, started by grading.task.grade_one.

Three parties, none trusting the one before:
  1. the student's notebook runs top to bottom in a fresh kernel, in a jail around a copy of the
     student's folder, with per-cell and per-notebook CPU limits (grading.kernel); only the model
     files it saves are kept;
  2. the student's functions (taken from the notebook source) run in other jails on the grader's
     cases, public and hidden, layer by layer in dependency order, and export plain data
     (grading.sandbox);
  3. the judge: this process, which never runs student code, checks the size of everything the jails
     wrote before loading it and judges the functions' outputs against the references; the saved
     models are copied into a last jail, with no student code, and judged there (loaded with
     safe_mode=True, on data the grader holds) under a CPU and a memory limit
     (grader.exercises.judging), which sends back each verdict as plain data.
All jails import a student-facing copy of the package: no hidden cases, references or grader code.

A submission has one wall-clock budget (submission_seconds), and each exercise its own CPU and wall
clocks, which re-runs do not reset: what a submission spends of its own is its `timeout` or
resource-limit, never a grader-error.

Usage (internal): python -m grader.grading.submission SPEC.json RESULT.json
"""
import copy
import json
import os
import resource
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from grader.authoring.build import clear_outputs
from grader.authoring.release import student_package
from grader.core import ExerciseResult, Incident, Note, Status, SubmissionResult, Verdict
from grader.data import DATASETS_ENV
from grader.exercises.base import FunctionExercise
from grader.exercises.registry import exercises_for
from grader.grading import jail
from grader.grading.extract import extract_definitions
from grader.grading.files import (UnsafeFile, check_archive, copy_regular_files, read_capped, read_json_capped,
                                  temporary_folder, write_atomically)
from grader.grading.kernel import execute_notebook
from grader.grading.limits import (MAX_ARTIFACT_BYTES, MAX_FOLDER_BYTES, MAX_FOLDER_FILES, MAX_NOTEBOOK_BYTES,
                                   Limits)
from grader.grading.sandbox import (START_SECONDS, TIME_LIMITS, ExerciseClock, layers, run_function_exercises,
                                    run_in_turns)
from grader.i18n import LANG_ENV, Msg
from grader.notebook import predictions_in

SYNTAX_ERROR = Msg("la celda {index} tiene un error de sintaxis: {text}", "cell {index} has a syntax error: {text}")
FUNCTION_TIMEOUT = Msg("alguna función o la evaluación de algún modelo superó su límite de tiempo",
                       "some function, or the evaluation of some model, exceeded its time limit")
MODEL_TIMEOUT = Msg("la evaluación de tu modelo superó su límite de tiempo ({seconds:.0f} s de CPU por ejercicio)",
                    "evaluating your model exceeded its time limit ({seconds:.0f} CPU seconds per exercise)")
MODEL_CRASHED = Msg("la evaluación de tu modelo falló o superó el límite de memoria ({memory_mb} MB)",
                    "evaluating your model failed or exceeded the memory limit ({memory_mb} MB)")
MODEL_MEMORY = Msg("la evaluación de un modelo superó el límite de memoria de {memory_mb} MB",
                   "evaluating a model exceeded the memory limit of {memory_mb} MB")
OUT_OF_TIME = Msg("la entrega agotó su tiempo total de {seconds:.0f} s y no se pudo calificar",
                  "the submission used up its total time of {seconds:.0f} s and could not be graded")
UNREADABLE_VERDICT = Msg("el veredicto sobre tu modelo no se pudo leer", "the verdict on your model could not be read")
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


def submission_seconds(limits: Limits, exercises) -> float:
    """The wall-clock budget of one submission: the kernel and the functions' sandbox side by side, then
    the models' judge, each allowed wall_factor × its CPU limits."""
    functions = [e for e in exercises if isinstance(e, FunctionExercise)]
    models = [e for e in exercises if not isinstance(e, FunctionExercise)]
    sandbox = START_SECONDS * len(layers(functions)) + limits.exercise_seconds * len(functions)
    judge = START_SECONDS + limits.exercise_seconds * len(models) if models else 0
    return limits.wall_factor * (max(limits.notebook_seconds, sandbox) + judge)


def judge_models(exercises, workdir: Path, folder: Path, limits: Limits, where: jail.Environment,
                 deadline: float) -> tuple[dict[str, Verdict], list, dict[str, float]]:
    """Judge the saved models in a jail of their own; returns the verdicts, the jail's runs and the CPU
    seconds per exercise. Model files are size-checked, then copied: nothing else of ``workdir`` goes in."""
    outputs = folder.with_name(folder.name + "-verdicts")   # out of the jail's reach
    folder.mkdir(parents=True)
    outputs.mkdir()
    verdicts = {}
    for exercise in exercises:
        for name in exercise.artifacts:
            if (workdir / name).exists() or (workdir / name).is_symlink():
                try:
                    check_archive(workdir / name, MAX_ARTIFACT_BYTES)
                    shutil.copyfile(workdir / name, folder / name, follow_symlinks=False)
                except (UnsafeFile, OSError) as error:
                    verdicts[exercise.id] = exercise.wrong(REFUSED.format(file=name, reason=str(error)[:120]))
    for exercise in exercises:   # no model file: not attempted, said without loading Keras
        if exercise.id not in verdicts and not all((folder / name).is_file() for name in exercise.artifacts):
            verdicts[exercise.id] = exercise.grade(folder, {})
    pending = [e.id for e in exercises if e.id not in verdicts]
    clock = ExerciseClock(limits)
    stopped, runs = run_in_turns(where, [sys.executable, "-m", "grader.exercises.judging", where.home(folder)],
                                 folder, outputs, pending, limits, clock, folder.parent / "judge.log",
                                 deadline) if pending else ({}, [])
    for eid in pending:
        verdicts[eid] = (Verdict(Status.TIMEOUT, MODEL_TIMEOUT.format(seconds=limits.exercise_seconds))
                         if stopped.get(eid) in TIME_LIMITS else
                         Verdict(Status.CRASHED, MODEL_CRASHED.format(memory_mb=limits.memory_mb)) if eid in stopped
                         else read_verdict(outputs / f"{eid}.json"))
    return verdicts, runs, clock.exercise_cpu()


def read_verdict(path: Path) -> Verdict:
    """A verdict the models' judge wrote in its jail: plain, size-checked data."""
    try:
        data = read_json_capped(path, 2**16)
        text = {key: str(data[key])[:2000] for key in ("es", "en", "template", "template_en", "reason", "reason_en")}
        return Verdict(Status(data["status"]), Msg(text["es"], text["en"], text["template"], text["template_en"]),
                       text["reason"], bool(data["hidden"]), text["reason_en"])
    except (OSError, ValueError, KeyError, TypeError, UnsafeFile):
        return Verdict(Status.CRASHED, UNREADABLE_VERDICT)


def grade_submission(path: Path, student: str, assignment: str, limits: Limits, folder: Path | None = None,
                     executed: Path | None = None, isolated: bool = True) -> SubmissionResult:
    """Grade one notebook. ``folder``: the student's own folder, whose data files are copied next to the
    notebook. With ``executed``, also save the notebook as the kernel ran it (for instructors)."""
    notebook = nbformat.reads(read_capped(path, MAX_NOTEBOOK_BYTES).decode("utf-8"), as_version=4)
    exercises = exercises_for(assignment)
    functions = [e for e in exercises if isinstance(e, FunctionExercise)]
    deadline = time.monotonic() + submission_seconds(limits, exercises)
    with temporary_folder(prefix="grade-") as temporary:   # whatever student code nested in it, however deep
        workdir, sandbox = temporary / "work", temporary / "sandbox"
        workdir.mkdir()
        sandbox.mkdir()
        # The student's data files: regular files only, capped; no notebooks or models the run did not produce.
        if folder is not None:
            copy_regular_files(folder, workdir, MAX_FOLDER_BYTES, MAX_FOLDER_FILES)
        student_package(temporary / "kit")
        where = environment(temporary / "kit", isolated)
        definitions, syntax_problems = extract_definitions(notebook)
        notes = [Note(Incident.SYNTAX_ERROR, SYNTAX_ERROR.format(index=index, text=text))
                 for index, text in syntax_problems]
        run = clear_outputs(copy.deepcopy(notebook))   # stored outputs are never needed, and may be large
        # The functions' sandbox runs while the kernel works through the notebook.
        with ThreadPoolExecutor(max_workers=1) as pool:
            sandboxed = pool.submit(run_function_exercises, definitions, functions, sandbox, limits, where, deadline)
            kernel = execute_notebook(run, workdir, limits, where, temporary / "kernel.log")
            notes += kernel.notes
            verdicts, sandbox_runs, exercise_cpu = sandboxed.result()
        if any(note.incident == Incident.GRADER_ERROR for note in kernel.notes):   # not the student's doing
            return SubmissionResult.ungraded(student, assignment, str(path), Incident.GRADER_ERROR,
                                             kernel.notes[0].message, exercises)
        ran, kernel_run = kernel.executed, kernel.jail
        model_verdicts, judge_runs, model_cpu = judge_models(
            [e for e in exercises if e.id not in verdicts], workdir, temporary / "judge", limits, where, deadline)
        verdicts.update(model_verdicts)
        if executed is not None and ran is not None:
            write_atomically(executed, nbformat.writes(ran))
    if any(verdict.status == Status.TIMEOUT for verdict in verdicts.values()):
        notes.append(Note(Incident.TIMEOUT, FUNCTION_TIMEOUT))
    if any(run.limit == "memory" for run in judge_runs):
        notes.append(Note(Incident.MEMORY_LIMIT, MODEL_MEMORY.format(memory_mb=limits.memory_mb)))
    usage = {"kernel_cpu_seconds": kernel_run.cpu_seconds, "kernel_peak_mb": kernel_run.peak_memory_mb,
             "kernel_max_cell_cpu_seconds": kernel.max_cell_cpu,
             "sandbox_cpu_seconds": sum(r.cpu_seconds for r in sandbox_runs),
             "sandbox_peak_mb": max((r.peak_memory_mb for r in sandbox_runs), default=0.0),
             "model_judge_cpu_seconds": sum(r.cpu_seconds for r in judge_runs),
             "model_judge_peak_mb": max((r.peak_memory_mb for r in judge_runs), default=0.0),
             "exercise_cpu_seconds": {**exercise_cpu, **model_cpu}}
    return SubmissionResult(student, assignment, str(path), notes,
                            [ExerciseResult.of(exercise, verdicts[exercise.id]) for exercise in exercises],
                            usage=usage, predictions=predictions_in(notebook))  # predictions: never graded


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
