"""Grade one submitted notebook. Runs in its own process, started by grader.grade.

Three parties, none trusting the one before:
  1. the student's notebook runs top to bottom in a fresh kernel, in a temporary
     copy of its folder, with per-cell, per-notebook and memory limits; only the
     model files it saves are kept;
  2. the student's functions (taken from the notebook source) run in a sandbox
     process on the grader's cases, public and hidden, and export plain data;
  3. this process regenerates the cases and judges the data, and evaluates the
     saved models (loaded with safe_mode=True) on data the grader holds.

Usage (internal): python -m grader.submission SPEC.json RESULT.json
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from grader.checking import CORRECT, NOT_ATTEMPTED, WRONG, Outcome, Result, judge, judge_model_object
from grader.i18n import Msg
from grader.sandbox import extract_definitions

TIMEOUT, CRASHED = "timeout", "crashed"
# Row statuses, most serious first: the first one that applies is reported.
STATUS_ORDER = ("kernel-died", "memory-limit", "timeout", "syntax-error", "graded")


@dataclass
class Limits:
    cell_seconds: float = 600    # the slowest solution cell (notebook 05's LeNet-5) takes 60–85 s
    notebook_seconds: float = 1800
    exercise_seconds: float = 60
    memory_mb: int = 6144


def _limit_memory(memory_mb: int):
    def apply():  # runs in the child between fork and exec
        limit = memory_mb * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def child_environment() -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["MPLBACKEND"] = "Agg"
    return env


# ---------------------------------------------------------------- 1. the notebook in a kernel

def execute_notebook(notebook, workdir: Path, limits: Limits) -> list[tuple[str, Msg]]:
    """Run every cell, whatever happens; return the execution problems as (status, message)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    problems = []
    client = NotebookClient(
        notebook, timeout=limits.cell_seconds, kernel_name="python3", allow_errors=True, record_timing=False,
        interrupt_on_timeout=True, resources={"metadata": {"path": str(workdir)}},
        # after interrupting a cell, move on at once even if the kernel never answers
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "cell time limit", "traceback": []})
    deadline = time.monotonic() + limits.notebook_seconds
    try:
        with client.setup_kernel(env=child_environment(), preexec_fn=_limit_memory(limits.memory_mb)):
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    problems.append((TIMEOUT, Msg(
                        f"el cuaderno superó el límite total de {limits.notebook_seconds:.0f} s; "
                        f"no se ejecutó desde la celda {index}",
                        f"the notebook exceeded the total limit of {limits.notebook_seconds:.0f} s; "
                        f"cells from {index} on did not run")))
                    break
                client.timeout = max(1, int(min(limits.cell_seconds, remaining)))
                started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError:
                    problems.append(("kernel-died", Msg(
                        f"el kernel murió en la celda {index} (por ejemplo os._exit o falta de memoria); "
                        f"las celdas siguientes no se ejecutaron",
                        f"the kernel died in cell {index} (e.g. os._exit or out of memory); "
                        f"later cells did not run")))
                    break
                if time.monotonic() - started >= client.timeout:  # nbclient interrupted the kernel
                    problems.append((TIMEOUT, Msg(
                        f"la celda {index} superó el límite de {client.timeout} s y se interrumpió",
                        f"cell {index} exceeded the {client.timeout} s limit and was interrupted")))
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error" and output.get("ename") == "MemoryError":
                        problems.append(("memory-limit", Msg(
                            f"la celda {index} superó el límite de memoria de {limits.memory_mb} MB",
                            f"cell {index} exceeded the memory limit of {limits.memory_mb} MB")))
    except DeadKernelError:
        problems.append(("kernel-died", Msg("el kernel no pudo arrancar o murió al cerrarse",
                                            "the kernel could not start or died while closing")))
    return problems


# ---------------------------------------------------------------- 2. functions in a sandbox

def run_function_exercises(definitions: list[str], exercises, workdir: Path, limits: Limits) -> dict[str, Result]:
    from grader.sandbox import decode

    outdir = workdir / "sandbox"
    outdir.mkdir()
    (outdir / "definitions.json").write_text(json.dumps(definitions))
    results, pending = {}, [e.id for e in exercises]
    while pending:
        (outdir / "progress").unlink(missing_ok=True)
        budget = limits.exercise_seconds * len(pending) + 30  # + time to import the libraries
        with open(outdir / "output.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "grader.sandbox", str(outdir / "definitions.json"), str(outdir), *pending],
                cwd=outdir, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=child_environment(),
                preexec_fn=_limit_memory(limits.memory_mb), start_new_session=True)
            timed_out = _wait_for_sandbox(process, outdir, limits.exercise_seconds, budget)
        pending = [eid for eid in pending if not (outdir / f"{eid}.json").exists()]
        if pending:  # the sandbox died or hung: charge the exercise it was running, go on with the rest
            progress = outdir / "progress"
            running = progress.read_text() if progress.exists() else None
            culprit = running if running in pending else pending[0]
            if timed_out:
                seconds = limits.exercise_seconds
                results[culprit] = Result(TIMEOUT, Msg(
                    f"la función no terminó a tiempo (límite de {seconds:.0f} s por ejercicio)",
                    f"the function did not finish in time ({seconds:.0f} s limit per exercise)"))
            else:
                results[culprit] = Result(CRASHED, Msg("el proceso terminó de forma inesperada al ejecutar tu función",
                                                       "the process ended unexpectedly while running your function"))
            pending.remove(culprit)
    by_id = {e.id: e for e in exercises}
    for exercise_id in [e.id for e in exercises]:
        if exercise_id in results:
            continue
        exercise = by_id[exercise_id]
        records = json.loads((outdir / f"{exercise_id}.json").read_text())
        with np.load(outdir / f"{exercise_id}.npz", allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        cases = exercise.cases() + exercise.hidden_cases()  # regenerated here, never read back
        if len(records) != len(cases):
            results[exercise_id] = Result(WRONG, Msg("la salida del entorno aislado está incompleta",
                                                     "the sandbox output is incomplete"))
            continue
        outcomes = []
        for case, record in zip(cases, records):
            if record.get("error_type"):
                outcomes.append(Outcome(case, error_type=str(record["error_type"]),
                                        error_text=str(record.get("error_text", ""))[:200]))
                continue
            try:
                outcomes.append(Outcome(case, value=decode(record["value"], arrays, outdir)))
            except Exception as error:
                outcomes.append(Outcome(case, error_type="ValueError",
                                        error_text=f"salida ilegible ({type(error).__name__})"))
        results[exercise_id] = judge(exercise, outcomes)
    return results


def _wait_for_sandbox(process, outdir, exercise_seconds, budget) -> bool:
    """Wait for the sandbox; kill it when one exercise runs too long. Returns True on timeout."""
    started = time.monotonic()
    current, current_since = None, time.monotonic()
    while process.poll() is None:
        time.sleep(0.1)
        progress = (outdir / "progress").read_text() if (outdir / "progress").exists() else None
        if progress != current:
            current, current_since = progress, time.monotonic()
        too_slow = current is not None and time.monotonic() - current_since > exercise_seconds
        if too_slow or time.monotonic() - started > budget:
            os.killpg(process.pid, 9)
            process.wait()
            return True
    return False


# ---------------------------------------------------------------- 3. saved models

def judge_saved_model(exercise, workdir: Path) -> Result:
    path = workdir / exercise.model_file
    if not path.is_file():
        return Result(NOT_ATTEMPTED, Msg(
            f"no se encontró el archivo {exercise.model_file}: entrena el modelo y guárdalo con ese nombre",
            f"file {exercise.model_file} not found: train the model and save it under that name"))
    try:
        import keras
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as error:
        return Result(WRONG, Msg(f"no se pudo cargar {exercise.model_file} en modo seguro ({type(error).__name__})",
                                 f"{exercise.model_file} could not be loaded in safe mode ({type(error).__name__})"))
    return judge_model_object(exercise, model)


# ---------------------------------------------------------------- putting it together

def grade_submission(path: Path, assignment: str, limits: Limits) -> dict:
    from grader.exercises import exercises_for

    notebook = nbformat.read(path, as_version=4)
    exercises = exercises_for(assignment)
    with tempfile.TemporaryDirectory(prefix="grade-") as temporary:
        workdir = Path(temporary) / "work"
        # A copy of the student's folder, without notebooks or models that the run itself did not produce.
        shutil.copytree(path.parent, workdir, ignore=shutil.ignore_patterns(
            "*.ipynb", "*.keras", ".ipynb_checkpoints", "__pycache__"))
        definitions, syntax_problems = extract_definitions(notebook)
        problems = [("syntax-error", Msg(f"la celda {index} tiene un error de sintaxis: {text}",
                                          f"cell {index} has a syntax error: {text}"))
                    for index, text in syntax_problems]
        # The functions' sandbox runs while the kernel works through the notebook.
        with ThreadPoolExecutor(max_workers=1) as pool:
            functions = pool.submit(run_function_exercises, definitions,
                                    [e for e in exercises if e.kind == "function"], Path(temporary), limits)
            problems += execute_notebook(nbformat.read(path, as_version=4), workdir, limits)
            results = functions.result()
        for exercise in exercises:
            if exercise.kind == "model":
                results[exercise.id] = judge_saved_model(exercise, workdir)
    if any(result.status == TIMEOUT for result in results.values()):
        problems.append((TIMEOUT, Msg("alguna función superó su límite de tiempo",
                                      "some function exceeded its time limit")))
    statuses = {status for status, _ in problems}
    status = next(s for s in STATUS_ORDER if s in statuses or s == "graded")
    return {
        "status": status,
        "problems": [{"status": s, "es": m.es, "en": m.en} for s, m in problems],
        "exercises": [{
            "id": e.id, "title_es": e.title.es, "title_en": e.title.en, "max_points": e.points,
            "points": e.points if results[e.id].status == CORRECT else 0,
            "status": results[e.id].status, "es": results[e.id].message.es, "en": results[e.id].message.en,
        } for e in exercises],
    }


if __name__ == "__main__":
    spec_path, result_path = sys.argv[1:]
    spec = json.loads(Path(spec_path).read_text())
    result = grade_submission(Path(spec["path"]), spec["assignment"], Limits(**spec["limits"]))
    temporary = Path(result_path + ".tmp")
    temporary.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    os.replace(temporary, result_path)
