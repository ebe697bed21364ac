"""The limits a submission runs under, and how a child process is started under them."""
import os
import resource
from dataclasses import asdict, dataclass


# Sizes the grader reads at most: larger inputs are refused before they are read.
MAX_NOTEBOOK_BYTES = 20 * 2**20                        # a submitted notebook, with its stored outputs
MAX_FOLDER_BYTES, MAX_FOLDER_FILES = 200 * 2**20, 2000   # the student's data files next to the notebook


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 600    # the slowest solution cell (notebook 05's LeNet-5) takes 60–85 s
    notebook_seconds: float = 1800
    exercise_seconds: float = 60
    memory_mb: int = 6144

    def to_json(self) -> dict:
        return asdict(self)


def limit_memory(memory_mb: int):
    """A preexec_fn for subprocess: caps the child's address space."""
    def apply():  # runs in the child between fork and exec
        limit = memory_mb * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def child_environment() -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["MPLBACKEND"] = "Agg"
    return env
