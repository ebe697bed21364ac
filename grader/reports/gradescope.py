"""One Gradescope autograder results.json per submission (the format Gradescope reads)."""
import json
from pathlib import Path

from grader.core import Status, SubmissionResult
from grader.grading.files import write_atomically
from grader.reports.feedback import rows


def results_json(result: SubmissionResult, lang: str) -> dict:
    return {
        "score": result.score,
        "output": result.status_label.text(lang),
        "tests": [{"name": name, "score": e.points, "max_score": e.max_points, "output": reason,
                   "status": "passed" if e.status == Status.CORRECT else "failed"}
                  for e, (name, _, _, reason) in zip(result.exercises, rows(result, lang))],
    }


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    for result in results:
        write_atomically(outdir / "gradescope" / result.key / "results.json",
                         json.dumps(results_json(result, lang), ensure_ascii=False, indent=1))
