"""Run a solution notebook top to bottom and store its outputs (the outputs readers of solutions/ see)."""
import time
from pathlib import Path

import nbformat

from grader.authoring.build import canonical_json


def execute_in_place(path: Path, cell_timeout: int = 600) -> float:
    """Execute ``path`` in a fresh kernel, in its own folder, and rewrite it canonically. Returns seconds."""
    from nbclient import NotebookClient  # deferred: starting Jupyter machinery is slow

    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    seconds = time.perf_counter() - started
    Path(path).write_text(canonical_json(notebook), encoding="utf-8")
    return seconds
