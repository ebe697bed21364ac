"""The trust boundary, defined once: which parts of the ``grader`` package student code may import and read.

The student bundle (authoring.release.student_package), the copy of the package the jails import (/opt/kit),
the jail's masking of every other installed copy (grading.jail) and the tests all take their lists from here.
A name is a top-level entry of the package folder: a subpackage, a module (without .py) or a data folder.
"""
from pathlib import Path

PACKAGE_NAME = "grader"
# What students get: the checks, the notebooks' helpers and the public answers (package data).
STUDENT_FACING = ("__init__", "i18n", "runner", "compare", "data", "core", "notebook", "exercises", "resources")
# Never within reach of student code: hidden cases and references, the grader itself, reports, instructor tools.
INSTRUCTOR_ONLY = ("hidden", "grading", "authoring", "reports", "cli", "__main__", "boundary")
# Files copied alone next to student code (they import nothing from the package): the function sandbox's runner,
# and the notebook executor that runs inside the kernel's jail.
RUN_INSIDE = ("grader/runner.py", "grader/grading/executor.py")
CLUTTER = ("__pycache__", "*.pyc", "*.keras", ".ipynb_checkpoints")


def entry_name(path: Path) -> str:
    """``hidden`` for grader/hidden/…, ``cli`` for grader/cli.py: the top-level name a path belongs to."""
    return Path(path).parts[0].removesuffix(".py")


def is_student_facing(relative: Path) -> bool:
    """Whether a path inside the package folder (relative to it) belongs to the student's view."""
    return entry_name(relative) in STUDENT_FACING
