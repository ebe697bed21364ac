"""Execute a notebook top to bottom inside the grading jail, with nbclient, whatever happens in it.

Runs INSIDE the jail next to the kernel (they share the jail's private loopback), so it imports
nothing from the grader: the sandbox copies this file alone. Everything it writes is untrusted
(student code runs with the same uid), and it only informs the row's status: the grade comes from
the functions sandbox and the saved models, judged outside.

Usage: python executor.py IN.ipynb OUT.ipynb STATUS.json CELL_CPU_SECONDS MAX_OUTPUT_BYTES
Per cell: CELL_CPU_SECONDS of CPU time of the kernel and its children, and three times that of wall
time; each cell keeps at most MAX_OUTPUT_BYTES of output (as nbgrader's LimitOutput), so a print loop
costs nothing outside the jail. STATUS.json also gives each cell's CPU seconds.

A stalled exchange is the transport's fault, not the student's: the kernel said it finished a cell (status
idle) but its reply never came, or it never heard the request at all (no message, no CPU). An idle kernel
uses no CPU, so no CPU limit would ever fire; this is caught after STALL_SECONDS, the kernel is killed and
the whole notebook runs again in a fresh kernel, once. A second stall is reported, never charged as a timeout.
"""
import json
import os
import signal
import sys
import tempfile
import threading
import time

sys.modules.setdefault("rfc3987_syntax", None)   # as grader/__init__.py: skips ~2 s of CPU importing nbformat
import nbformat  # noqa: E402
import psutil  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

STALL_SECONDS = 20.0   # silence after "idle", or after sending a request the kernel never heard (and no CPU used)
TRUNCATED = "\n[… salida recortada por el corrector / output truncated by the grader …]\n"


class CappedClient(NotebookClient):
    """A client that keeps at most ``max_output_bytes`` of output per cell."""

    def __init__(self, *args, max_output_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output_bytes, self.kept = max_output_bytes, {}
        self.heard_at = self.idle_at = None   # when the running cell's request was last heard of, and finished

    def process_message(self, msg, cell, cell_index):
        # only the running cell's messages come here (nbclient matches their parent)
        self.heard_at = time.monotonic()
        if msg.get("msg_type") == "status" and msg.get("content", {}).get("execution_state") == "idle":
            self.idle_at = self.heard_at
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        kept = self.kept.get(cell_index, 0)
        if kept > self.max_output_bytes:  # already truncated: drop the rest of this cell's output
            return None
        size, room = len(json.dumps(msg.get("content", {}))), self.max_output_bytes - kept
        if size > room:
            if msg.get("msg_type") == "stream" and room > 0:  # keep the head of a long print
                msg = {**msg, "content": {**msg["content"], "text": msg["content"].get("text", "")[:room]}}
                super().output(outs, msg, display_id, cell_index)
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED))
            self.kept[cell_index] = self.max_output_bytes + 1
            return None
        self.kept[cell_index] = kept + size
        return super().output(outs, msg, display_id, cell_index)


def kernel_cpu(kernel: psutil.Process) -> float:
    """CPU seconds of the kernel and every process it started (including those that ended)."""
    total = 0.0
    try:
        tree = [kernel, *kernel.children(recursive=True)]
    except psutil.Error:   # the kernel is gone
        return 0.0
    for process in tree:
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return total


def stalled(client: CappedClient, state: dict, cpu: float, now: float) -> bool:
    """The running cell's exchange is stuck: finished but never answered, or never heard."""
    if client.idle_at is not None:
        return now - client.idle_at > STALL_SECONDS
    return client.heard_at is None and now - state["sent_at"] > STALL_SECONDS and cpu - state["start"] < 1.0


def watch(kernel: psutil.Process, client: CappedClient, state: dict, stop: threading.Event) -> None:
    """Interrupt the kernel when the running cell has used more than its CPU time; kill it when the exchange
    with it has stalled (nbclient then sees a dead kernel, and main() knows why)."""
    while not stop.wait(0.2):
        try:
            if state["start"] is None:
                continue
            cpu = kernel_cpu(kernel)
            if cpu - state["start"] > state["limit"]:
                state["timed_out"].add(state["index"])
                state["start"] = None
                kernel.send_signal(signal.SIGINT)
            elif stalled(client, state, cpu, time.monotonic()):
                state["stalled"], state["start"] = state["index"], None
                kernel.kill()
        except psutil.Error:
            return


def run_notebook(notebook, cell_seconds, max_output_bytes) -> dict:
    """Run every code cell of ``notebook`` (in place) in a fresh kernel; returns what happened."""
    status = {"timed_out": [], "died": None, "memory_errors": [], "stalled": None, "cells_cpu": {}}
    client = CappedClient(notebook, timeout=int(3 * cell_seconds), kernel_name="python3", allow_errors=True,
                          record_timing=False, interrupt_on_timeout=True, max_output_bytes=max_output_bytes,
                          error_on_timeout={"ename": "CellTimeoutError", "evalue": "cell time limit", "traceback": []})
    state = {"start": None, "limit": cell_seconds, "index": None, "timed_out": set(), "stalled": None,
             "sent_at": 0.0}
    stop = threading.Event()
    try:
        with client.setup_kernel():
            kernel = psutil.Process(client.km.provisioner.process.pid)
            threading.Thread(target=watch, args=(kernel, client, state, stop), daemon=True).start()
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                client.heard_at = client.idle_at = None
                state["index"], state["sent_at"], state["start"] = index, time.monotonic(), kernel_cpu(kernel)
                first = state["start"]
                started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError:
                    if state["stalled"] is None:
                        status["died"] = index
                    break
                finally:
                    state["start"] = None
                    status["cells_cpu"][index] = round(max(0.0, kernel_cpu(kernel) - first), 3)  # 0 if it died
                if time.monotonic() - started >= client.timeout:
                    state["timed_out"].add(index)
                if any(o.get("output_type") == "error" and o.get("ename") == "MemoryError" for o in cell.outputs):
                    status["memory_errors"].append(index)
    except DeadKernelError:
        if state["stalled"] is None:
            status["died"] = status["died"] if status["died"] is not None else -1
    finally:
        stop.set()
    status["timed_out"], status["stalled"] = sorted(state["timed_out"]), state["stalled"]
    return status


def write_replacing(path, text):
    """Write ``path`` by renaming a new file over it: a file student code left there first, read-only or not,
    is replaced rather than kept (a directory in its place makes this fail, and the executor exit non-zero).
    files.write_atomically does the same outside the jail; this file imports nothing of the package."""
    with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as handle:   # a new name
        handle.write(text)
    os.replace(handle.name, path)


def main(source, target, status_path, cell_seconds, max_output_bytes):
    notebook = nbformat.read(source, as_version=4)
    status = {"timed_out": [], "died": -1, "memory_errors": [], "stalled": None, "cells_cpu": {}}  # if the run fails
    try:
        status = run_notebook(notebook, cell_seconds, max_output_bytes)
        if status["stalled"] is not None:   # the transport's fault: once more, from the top, in a fresh kernel
            notebook = nbformat.read(source, as_version=4)
            status = {**run_notebook(notebook, cell_seconds, max_output_bytes), "retried": True}
    finally:
        write_replacing(target, nbformat.writes(notebook))
        write_replacing(status_path, json.dumps(status))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    os._exit(0)  # do not wait for threads or stray children: the jail ends here
