"""Execute a submitted notebook top to bottom, in a fresh kernel inside the jail, whatever happens in it.

The executor (grading/executor.py, copied alone into the work folder) runs nbclient and the kernel
inside the jail; this side reads back only what it wrote, with sizes checked. What it reports can only
change the row's status, never a point: points come from the function sandbox and the saved models.
"""
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.core import Incident, Note
from grader.grading import jail
from grader.grading.files import UnsafeFile, read_capped, read_json_capped
from grader.grading.limits import MAX_CELL_OUTPUT_BYTES, MAX_EXECUTED_BYTES, Limits
from grader.i18n import Msg

NOTEBOOK_TIMEOUT = Msg("el cuaderno superó el límite total de {seconds:.0f} s de CPU (o tardó más de {wall:.0f} s); "
                       "se detuvo ahí",
                       "the notebook exceeded its total limit of {seconds:.0f} CPU seconds (or took longer than "
                       "{wall:.0f} s); it was stopped there")
KERNEL_DIED = Msg("el kernel murió en la celda {index} (por ejemplo os._exit o falta de memoria); "
                  "las celdas siguientes no se ejecutaron",
                  "the kernel died in cell {index} (e.g. os._exit or out of memory); later cells did not run")
KERNEL_FAILED = Msg("el kernel murió o el cuaderno terminó la ejecución de forma anómala",
                    "the kernel died, or the notebook's run ended abnormally")
CELL_TIMEOUT = Msg("la celda {index} superó el límite de {seconds:.0f} s de CPU y se interrumpió",
                   "cell {index} exceeded the {seconds:.0f} CPU-second limit and was interrupted")
CELL_MEMORY = Msg("la celda {index} superó el límite de memoria de {memory_mb} MB",
                  "cell {index} exceeded the memory limit of {memory_mb} MB")
TREE_MEMORY = Msg("el cuaderno superó el límite de memoria de {memory_mb} MB y se detuvo",
                  "the notebook exceeded the memory limit of {memory_mb} MB and was stopped")
STALLED = Msg("la comunicación con el kernel se atascó dos veces (celda {index}): es un fallo del corrector, no "
              "una nota; la entrega se volverá a calificar",
              "the exchange with the kernel stalled twice (cell {index}): this is the grader's fault, not a grade; "
              "the submission will be graded again")
# The executor runs in the jail, copied alone; the grading process only copies the file, so it does not import it
# (that would load nbclient and jupyter_client into every grading process for nothing).
EXECUTOR = Path(__file__).with_name("executor.py")

RESOURCES = Msg("el cuaderno superó el límite de procesos ({processes}) o de disco ({disk_mb} MB) y se detuvo",
                "the notebook exceeded the process ({processes}) or disk ({disk_mb} MB) limit and was stopped")


@dataclass
class KernelRun:
    notes: list            # what went wrong (a stalled exchange is a GRADER_ERROR note: no grade)
    executed: object       # the notebook as it ran, or None when the run left no readable notebook
    jail: jail.JailRun     # CPU time and peak memory of the whole jail
    max_cell_cpu: float = 0.0   # the most CPU seconds one cell used (what the control sizes cell limits from)


def read_report(workdir: Path):
    """What the executor reported, ((timed_out, died, memory_errors, stalled, max_cell_cpu), the executed notebook),
    or None when it cannot be read. Read only when the executor ended by itself (exit code 0), having just replaced
    both files: before that, student code in the jail could have left its own. Still untrusted, so read as plain,
    size-checked data, and a notebook that fails to parse in any way (nbformat raises many types) is unreadable."""
    try:
        status = read_json_capped(workdir / ".status.json", 2**20)
        died, stalled = status["died"], status.get("stalled")
        fields = ([int(index) for index in status["timed_out"]], None if died is None else int(died),
                  [int(index) for index in status["memory_errors"]], None if stalled is None else int(stalled),
                  max((float(cpu) for cpu in status.get("cells_cpu", {}).values()), default=0.0))
        text = read_capped(workdir / ".executed.ipynb", MAX_EXECUTED_BYTES).decode("utf-8")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnsafeFile):
        return None
    try:
        return fields, nbformat.reads(text, as_version=4)
    except Exception:  # noqa: BLE001  (not JSON, not a notebook, nested too deep: ValueError, ValidationError...)
        return None


def execute_notebook(notebook, workdir: Path, limits: Limits, environment, log: Path) -> KernelRun:
    """Run every cell in ``workdir`` under the limits."""
    shutil.copy(EXECUTOR, workdir / "executor.py")
    nbformat.write(notebook, workdir / "submission.ipynb")
    home = environment.home(workdir)
    run = environment.run([sys.executable, f"{home}/executor.py", f"{home}/submission.ipynb",
                           f"{home}/.executed.ipynb", f"{home}/.status.json", str(limits.cell_seconds),
                           str(MAX_CELL_OUTPUT_BYTES)],
                          workdir, limits.jail(limits.notebook_seconds), log)
    notes = []
    if run.limit in ("cpu", "wall"):
        notes.append(Note(Incident.TIMEOUT, NOTEBOOK_TIMEOUT.format(
            seconds=limits.notebook_seconds, wall=limits.wall_factor * limits.notebook_seconds)))
    elif run.limit == "memory":
        notes.append(Note(Incident.MEMORY_LIMIT, TREE_MEMORY.format(memory_mb=limits.memory_mb)))
    elif run.limit:
        notes.append(Note(Incident.RESOURCE_LIMIT, RESOURCES.format(processes=limits.processes,
                                                                    disk_mb=limits.disk_mb)))
    # Exit code 0: the executor ended by itself, just after replacing both files. A limit found afterwards (the
    # process or memory limit, from the cgroup's counters) leaves that report standing.
    report = read_report(workdir) if run.returncode == 0 else None
    if report is None:
        if not run.limit:
            notes.append(Note(Incident.KERNEL_DIED, KERNEL_FAILED))
        return KernelRun(notes, None, run)
    (timed_out, died, memory_errors, stalled, max_cell_cpu), executed = report
    if stalled is not None:   # twice: the executor already retried once in a fresh kernel
        return KernelRun([Note(Incident.GRADER_ERROR, STALLED.format(index=stalled))], executed, run)
    notes += [Note(Incident.TIMEOUT, CELL_TIMEOUT.format(index=index, seconds=limits.cell_seconds))
              for index in timed_out]
    notes += [Note(Incident.MEMORY_LIMIT, CELL_MEMORY.format(index=index, memory_mb=limits.memory_mb))
              for index in memory_errors]
    if died is not None:
        notes.append(Note(Incident.KERNEL_DIED, KERNEL_DIED.format(index=died)))
    return KernelRun(notes, executed, run, max_cell_cpu)
