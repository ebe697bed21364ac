"""OUTDIR's one owner: the signed results (grading.store), read once per run and kept in memory, the executed
notebooks, each result's feedback as it comes, and the gradebook, rewritten at most every GRADEBOOK_SECONDS.

``grade`` takes each result from grading.batch as the spine returned it and stores it; ``export`` writes every
report at the end. A result file that this grader did not sign is never trusted: its submission is graded again.
"""
import math
import time
from pathlib import Path

from grader import reports
from grader.core import Incident, SubmissionResult
from grader.grading.batch import grade_batch
from grader.grading.files import write_atomically
from grader.grading.store import ResultStore

# The gradebook is rewritten whole: at most this often, or a MOOC-sized batch would spend its client's time
# rewriting it (0.4 s CPU at 50 000 rows). results/ holds every row as it comes.
GRADEBOOK_SECONDS = 30
IGNORED = "# written by python -m grader grade: nothing here goes into git\n*\n"


class Outdir:
    def __init__(self, path: Path, lang: str):
        self.path, self.lang = path, lang
        path.mkdir(parents=True, exist_ok=True)
        if not (path / ".gitignore").exists():   # grades are never committed by accident, wherever OUTDIR is
            (path / ".gitignore").write_text(IGNORED)
        self.store = ResultStore(path)
        self.stored = {result.key: result for result in self.store.load_all()}
        self.gradebook_written = -math.inf

    def is_graded(self, key: str, digest: str) -> bool:
        """A signed result for the same content; a grader error (the grader's failure, such as a worker that
        died or lacked the data, never the student's) counts as not graded, so a re-run tries again."""
        result = self.stored.get(key)
        return result is not None and result.hash == digest and result.status != Incident.GRADER_ERROR

    def save(self, result: SubmissionResult, executed: str | None = None) -> None:
        self.store.save(result)
        if executed is not None:
            write_atomically(self.path / "executed" / f"{result.key}.ipynb", executed)
        self.stored[result.key] = result
        due = time.monotonic() - self.gradebook_written >= GRADEBOOK_SECONDS
        if due:
            self.gradebook_written = time.monotonic()
        reports.after_each(result, self.results() if due else None, self.path, self.lang)

    def save_reference(self, assignment: str, executed: str) -> None:
        """The control's reference as the grader ran it: beside the students' executed notebooks, in a folder
        no submission's key can name."""
        write_atomically(self.path / "executed" / "control" / f"{assignment}.ipynb", executed)

    def results(self) -> list[SubmissionResult]:
        """Every stored result, in the order of their files' names."""
        return [self.stored[key] for key in sorted(self.stored, key=lambda key: self.store.path(key).name)]

    def grade(self, paths: list[Path], force: bool = False, **batch) -> list[SubmissionResult]:
        """Grade what is not graded yet (everything, with ``force``); ``batch``: grading.batch.grade_batch's
        options. Returns every stored result. Raises ControlFailed, having stored nothing, if a reference fails."""
        for result, executed in grade_batch(paths, (lambda key, digest: False) if force else self.is_graded,
                                            on_reference=self.save_reference, **batch):
            self.save(result, executed)
        return self.results()

    def export(self, formats: tuple[str, ...] = (), **options: dict) -> None:
        reports.export_all(self.results(), self.path, self.lang, formats, **options)
