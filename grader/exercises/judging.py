"""Judge saved models inside a jail: python -m grader.exercises.judging FOLDER EXERCISE_ID...

The grader runs this with the student-facing package only, on copies of the model files in FOLDER and
the datasets, under the jail's CPU and memory limits: a model that is cheap to build but expensive to
run, or that crashes Keras, costs its own exercise, never the grader. No student code runs here; the
models load in safe mode. Like grader/runner.py, it records the exercise it is working on in
``progress`` and writes each verdict as plain data, ``<id>.json``, for the grader to read back.
"""
import sys
from pathlib import Path

from grader.exercises.registry import get_exercise
from grader.runner import PROGRESS_FILE, write_json


def main(folder: Path, exercise_ids: list[str]) -> None:
    for exercise_id in exercise_ids:
        (folder / PROGRESS_FILE).write_text(exercise_id)
        verdict = get_exercise(exercise_id).grade(folder, {})
        write_json(folder / f"{exercise_id}.json", {
            "status": verdict.status.value, "es": verdict.message.es, "en": verdict.message.en,
            "template": verdict.message.key, "template_en": verdict.message.key_en, "reason": verdict.reason,
            "reason_en": verdict.reason_en, "hidden": verdict.hidden})


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
