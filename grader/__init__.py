"""Course kit: dataset loading, exercise checks, notebook build and grading.

Students only need ``from grader import check, hint``.
"""
from grader.notebook import check, hint

__all__ = ["check", "hint"]
