"""Course kit: dataset loading, exercise checks, notebook build and grading.

Students only need ``from grader import check, hint, predict``.
"""
import sys

# jsonschema builds a Lark grammar for its optional "iri" format checker whenever rfc3987_syntax is importable
# (it comes with jupyterlab): about 2 s of CPU in every process that imports nbformat, for a format no notebook
# schema uses. Every grading process imports this package first, so none of them pays it.
sys.modules.setdefault("rfc3987_syntax", None)

from grader.notebook import check, hint, predict  # noqa: E402

__all__ = ["check", "hint", "predict"]
