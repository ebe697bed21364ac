"""Execute a submitted notebook top to bottom in a fresh kernel, whatever happens in it."""
import time
from pathlib import Path

from grader.core import Incident, Note
from grader.grading.limits import Limits, child_environment, limit_memory
from grader.i18n import Msg

NOTEBOOK_TIMEOUT = Msg("el cuaderno superó el límite total de {seconds:.0f} s; no se ejecutó desde la celda {index}",
                       "the notebook exceeded the total limit of {seconds:.0f} s; cells from {index} on did not run")
KERNEL_DIED = Msg("el kernel murió en la celda {index} (por ejemplo os._exit o falta de memoria); "
                  "las celdas siguientes no se ejecutaron",
                  "the kernel died in cell {index} (e.g. os._exit or out of memory); later cells did not run")
KERNEL_FAILED = Msg("el kernel no pudo arrancar o murió al cerrarse", "the kernel could not start or died while closing")
CELL_TIMEOUT = Msg("la celda {index} superó el límite de {seconds} s y se interrumpió",
                   "cell {index} exceeded the {seconds} s limit and was interrupted")
CELL_MEMORY = Msg("la celda {index} superó el límite de memoria de {memory_mb} MB",
                  "cell {index} exceeded the memory limit of {memory_mb} MB")


def execute_notebook(notebook, workdir: Path, limits: Limits) -> list[Note]:
    """Run every cell, in ``workdir``, under the limits; return what went wrong."""
    from nbclient import NotebookClient  # deferred: Jupyter's client machinery is slow to import
    from nbclient.exceptions import DeadKernelError

    notes = []
    client = NotebookClient(
        notebook, timeout=limits.cell_seconds, kernel_name="python3", allow_errors=True, record_timing=False,
        interrupt_on_timeout=True, resources={"metadata": {"path": str(workdir)}},
        # after interrupting a cell, move on at once even if the kernel never answers
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "cell time limit", "traceback": []})
    deadline = time.monotonic() + limits.notebook_seconds
    try:
        with client.setup_kernel(env=child_environment(), preexec_fn=limit_memory(limits.memory_mb)):
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    notes.append(Note(Incident.TIMEOUT,
                                      NOTEBOOK_TIMEOUT.format(seconds=limits.notebook_seconds, index=index)))
                    break
                client.timeout = max(1, int(min(limits.cell_seconds, remaining)))
                started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError:
                    notes.append(Note(Incident.KERNEL_DIED, KERNEL_DIED.format(index=index)))
                    break
                if time.monotonic() - started >= client.timeout:  # nbclient interrupted the kernel
                    notes.append(Note(Incident.TIMEOUT, CELL_TIMEOUT.format(index=index, seconds=client.timeout)))
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error" and output.get("ename") == "MemoryError":
                        notes.append(Note(Incident.MEMORY_LIMIT,
                                          CELL_MEMORY.format(index=index, memory_mb=limits.memory_mb)))
    except DeadKernelError:
        notes.append(Note(Incident.KERNEL_DIED, KERNEL_FAILED))
    return notes
