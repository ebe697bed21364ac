"""The limits a submission runs under. Time limits count CPU time of the jailed processes, so a busy
machine does not change a grade; a wall-clock backstop (wall_factor × the CPU limit) catches code
that sleeps or blocks."""
from dataclasses import asdict, dataclass

# Sizes the grader reads at most: larger inputs are refused before they are read.
MAX_NOTEBOOK_BYTES = 20 * 2**20                        # a submitted notebook, with its stored outputs
MAX_FOLDER_BYTES, MAX_FOLDER_FILES = 200 * 2**20, 2000   # the student's data files next to the notebook
MAX_EXECUTED_BYTES = 64 * 2**20                        # the notebook as the jail ran it
MAX_CELL_OUTPUT_BYTES = 2**20                          # output kept per cell (nbgrader's LimitOutput)
MAX_ARTIFACT_BYTES = 256 * 2**20                       # a .keras or .npz from the jail, unpacked
MAX_SANDBOX_JSON_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 600       # CPU seconds per cell: notebook 05's LeNet-5 cell uses about 100
    notebook_seconds: float = 1800  # CPU seconds for the whole notebook
    exercise_seconds: float = 60    # CPU seconds for one exercise's function tests
    memory_mb: int = 6144           # the whole jailed tree, and each process in it
    processes: int = 256
    disk_mb: int = 1024             # the work folder, and the private /tmp
    wall_factor: float = 3.0

    def to_json(self) -> dict:
        return asdict(self)
