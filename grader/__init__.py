"""Course kit: dataset loading, exercise checks, notebook build and grading.

Students only need ``from grader import check, hint, predict``.
"""
from grader.notebook import check, hint, predict

__all__ = ["check", "hint", "predict"]
