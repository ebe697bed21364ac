"""Wall-clock and CPU time of each solution notebook run top to bottom, as a student runs it.

Each notebook runs once, with nbclient, in a temporary copy (the solutions keep their stored outputs).
CPU time is that of the kernel and everything it started (RUSAGE_CHILDREN once the kernel has exited),
so it does not depend on how busy the machine is; wall time does, and is reported beside it.

Usage: python benchmarks/solution_runtimes.py [solutions/01_perceptron_or_xor.ipynb ...]
"""
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(notebook_path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one top-to-bottom run."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(shutil.copy(notebook_path, folder))
        notebook = nbformat.read(copy, as_version=4)
        cpu, started = children_cpu(), time.perf_counter()
        NotebookClient(notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": folder}}).execute()
        return time.perf_counter() - started, children_cpu() - cpu


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "solutions").glob("*.ipynb"))
    print(f"{'notebook':32s} {'wall s':>8s} {'CPU s':>8s}")
    for path in paths:
        wall, cpu = run(path)
        print(f"{path.stem:32s} {wall:8.1f} {cpu:8.1f}", flush=True)


if __name__ == "__main__":
    main()
