"""The limits a submission runs under. Time limits count CPU time of the jailed processes, so a busy
machine does not change a grade; a wall-clock backstop (wall_factor × the CPU limit) catches code
that sleeps or blocks.

The time limits are sized per assignment by the control (grading.control): the reference solution is
graded first, under ``Limits()`` (the generous limits below, or the flags given), and each time limit a
flag did not fix becomes MARGIN × what the reference used, rounded up to a round number, at least its
floor and at most the limit the reference ran under (``sized_by_control``).
"""
import math
from dataclasses import asdict, dataclass, replace

from grader.grading.jail import JailLimits

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

    def __post_init__(self):
        # 600 and 600.0 are one limit: the same hashes and control keys, whichever way it was given
        for name in ("cell_seconds", "notebook_seconds", "exercise_seconds", "wall_factor"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def to_json(self) -> dict:
        return asdict(self)

    def jail(self, cpu_seconds: float, wall_seconds: float | None = None) -> "JailLimits":
        """A jail's limits for a run of ``cpu_seconds``: memory, processes, disk and wall factor from these."""
        return JailLimits(cpu_seconds, self.memory_mb, self.processes, disk_mb=self.disk_mb,
                          wall_factor=self.wall_factor, wall_seconds=wall_seconds)


# The time limits the control sizes, and what each is sized from.
SIZED = ("cell_seconds", "notebook_seconds", "exercise_seconds")
# 4 ×: TensorFlow's thread pools spin while they wait, so the same notebook uses more CPU time on a loaded
# machine: solutions/01 took 16.0 s of CPU on an idle machine and 25.2 s at a load of 5 (1.6 ×). The
# control may be measured idle and the students graded loaded, or the other way round; 4 × leaves 2.5 ×
# over that noise, and room for a student's solution slower than the reference.
MARGIN = 4
# Floors: starting Python, TensorFlow and Keras alone costs about 5 s of CPU in a cell, and a few in an
# exercise's sandbox; a student may add a cell or two of their own.
FLOORS = {"cell_seconds": 30.0, "notebook_seconds": 120.0, "exercise_seconds": 10.0}
ROUND_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def round_up(seconds: float) -> float:
    """The next round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × a power of ten): limits read well, and
    a control measured again with a little noise usually gives the same limits (and so the same hashes)."""
    if seconds <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(seconds))
    return float(next(step * power for step in ROUND_STEPS if step * power >= seconds * (1 - 1e-9)))


def control_cost(usage: dict) -> dict[str, float]:
    """What the reference used, per sized limit: its largest cell, its whole notebook, its costliest
    exercise. Read defensively: where the per-cell or per-exercise figure is missing, the larger total
    stands in for it (the kernel's CPU for a cell, the sandbox's for an exercise)."""
    def number(value) -> float:
        try:
            return max(float(value), 0.0)
        except (TypeError, ValueError):
            return 0.0

    kernel = number(usage.get("kernel_cpu_seconds", 0))
    cell = number(usage["kernel_max_cell_cpu_seconds"]) if "kernel_max_cell_cpu_seconds" in usage else kernel
    exercises = usage.get("exercise_cpu_seconds")
    if isinstance(exercises, dict) and exercises:
        exercise = max(number(value) for value in exercises.values())
    else:
        exercise = number(usage.get("sandbox_cpu_seconds", 0))
    return {"cell_seconds": cell, "notebook_seconds": kernel, "exercise_seconds": exercise}


def sized_by_control(limits: Limits, usage: dict, fixed=frozenset()) -> Limits:
    """``limits`` (what the reference ran under) with every time limit not in ``fixed`` sized from the
    reference's ``usage``: MARGIN × its cost, rounded up, at least FLOORS, at most what it ran under."""
    cost = control_cost(usage)
    return replace(limits, **{name: min(getattr(limits, name), max(FLOORS[name], round_up(MARGIN * cost[name])))
                              for name in SIZED if name not in fixed})


def describe(limits: Limits) -> str:
    return (f"{limits.cell_seconds:g} s of CPU per cell, {limits.notebook_seconds:g} s per notebook, "
            f"{limits.exercise_seconds:g} s per exercise")
