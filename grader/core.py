"""The data model shared by the notebook checks, the grader and the reports.

An exercise's verdict has a Status; a submission's execution can have Incidents.
Results travel between processes and to OUTDIR as JSON (to_json / from_json),
whose field names are the ones documented in the README.
"""
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from grader.compare import short_repr
from grader.i18n import Msg


class Status(str, Enum):
    """How one exercise went."""
    CORRECT = "correct"
    WRONG = "wrong"
    NOT_ATTEMPTED = "not-attempted"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    NOT_GRADED = "not-graded"   # the submission as a whole could not be graded

    @property
    def label(self) -> Msg:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.CORRECT: Msg("correcto", "correct"),
    Status.WRONG: Msg("incorrecto", "wrong"),
    Status.NOT_ATTEMPTED: Msg("sin hacer", "not attempted"),
    Status.TIMEOUT: Msg("tiempo agotado", "timed out"),
    Status.CRASHED: Msg("el proceso se cayó", "crashed"),
    Status.NOT_GRADED: Msg("sin calificar", "not graded"),
}


class Incident(str, Enum):
    """What went wrong with a whole submission. Declared most serious first: a row reports the first."""
    UNSAFE_FILE = "unsafe-file"        # a link or a special file: never read
    TOO_LARGE = "too-large"            # over the size cap: never read
    INVALID_NOTEBOOK = "invalid-notebook"
    UNKNOWN_ASSIGNMENT = "unknown-assignment"
    GRADER_ERROR = "grader-error"
    KERNEL_DIED = "kernel-died"
    MEMORY_LIMIT = "memory-limit"
    RESOURCE_LIMIT = "resource-limit"  # too many processes, or too much disk
    TIMEOUT = "timeout"
    SYNTAX_ERROR = "syntax-error"
    EXTRA_NOTEBOOKS = "extra-notebooks"   # more notebooks of one assignment than --max-notebooks: the newest count

    @property
    def severity(self) -> int:
        return list(Incident).index(self)


GRADED = "graded"  # a row's status when no incident happened
# How a whole submission went: GRADED, or its most serious incident, one member per Incident (same names).
# A StrEnum is its plain name wherever the str was used: in f-strings, CSV cells, JSON, sets and dict keys.
RowStatus = StrEnum("RowStatus", {"GRADED": GRADED, **{incident.name: incident.value for incident in Incident}},
                    module=__name__, qualname="RowStatus")
ROW_LABELS = {
    GRADED: Msg("calificado", "graded"),
    Incident.UNSAFE_FILE: Msg("no se calificó: es un enlace o un archivo especial", "not graded: a link or a special file"),
    Incident.TOO_LARGE: Msg("no se calificó: el archivo es demasiado grande", "not graded: the file is too large"),
    Incident.INVALID_NOTEBOOK: Msg("el archivo no es un cuaderno válido", "the file is not a valid notebook"),
    Incident.UNKNOWN_ASSIGNMENT: Msg("no se reconoce la práctica", "unknown assignment"),
    Incident.GRADER_ERROR: Msg("error interno del corrector", "internal grader error"),
    Incident.KERNEL_DIED: Msg("calificado; el kernel murió durante la ejecución",
                              "graded; the kernel died while running"),
    Incident.MEMORY_LIMIT: Msg("calificado; se superó el límite de memoria", "graded; the memory limit was exceeded"),
    Incident.RESOURCE_LIMIT: Msg("calificado; se superó el límite de procesos o de disco",
                                 "graded; the process or disk limit was exceeded"),
    Incident.TIMEOUT: Msg("calificado; hubo límites de tiempo superados", "graded; some time limits were exceeded"),
    Incident.SYNTAX_ERROR: Msg("calificado; hay celdas con errores de sintaxis", "graded; some cells have syntax errors"),
    Incident.EXTRA_NOTEBOOKS: Msg("calificado; había más cuadernos de esta práctica: cuenta el más reciente",
                                  "graded; there were more notebooks of this assignment: the newest counts"),
}


@dataclass
class Case:
    """Call ``function(*args)``; ``hidden`` cases only run in the autograder.

    ``expected`` is the reference's answer, as data: for public cases it ships with the
    package (grader/resources/expected/), for every case the grader computes it with the
    grading-only reference (grader/hidden/). Judges read it; they never compute it.
    """
    function: str
    args: tuple
    hidden: bool = False
    expected: Any = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        if self.hidden:  # say which function failed, never the hidden inputs
            return f"{self.function}(…)"
        return f"{self.function}({', '.join(short_repr(arg) for arg in self.args)})"


@dataclass
class Outcome:
    """What running one case produced: a value, or the exception it raised."""
    case: Case
    value: Any = None
    error_type: str | None = None
    error_text: str = ""


@dataclass
class Verdict:
    status: Status
    message: Msg
    reason: str = ""      # the template of the mistake (Msg.key): the same mistake has the same reason
    hidden: bool = False  # found by a hidden case only
    reason_en: str = ""   # the same template in English (Msg.key_en), for reports in English

    @property
    def correct(self) -> bool:
        return self.status == Status.CORRECT


@dataclass
class Note:
    """One incident of a submission's execution, with what happened in words."""
    incident: Incident
    message: Msg

    def to_json(self) -> dict:
        return {"status": self.incident.value, "es": self.message.es, "en": self.message.en}

    @classmethod
    def from_json(cls, data: dict) -> "Note":
        return cls(Incident(data["status"]), Msg(data["es"], data["en"]))


@dataclass
class ExerciseResult:
    id: str
    title: Msg
    max_points: int
    points: int
    status: Status
    message: Msg
    reason: str = ""
    hidden: bool = False
    reason_en: str = ""

    @classmethod
    def of(cls, exercise, verdict: Verdict) -> "ExerciseResult":
        """The one place a result is built: the points follow the verdict."""
        return cls(exercise.id, exercise.title, exercise.points, exercise.points if verdict.correct else 0,
                   verdict.status, verdict.message, verdict.reason, verdict.hidden, verdict.reason_en)

    @property
    def reason_msg(self) -> Msg:
        """The mistake's template in both languages (the message itself when the verdict named none)."""
        return Msg(self.reason, self.reason_en or self.reason) if self.reason else self.message

    def to_json(self) -> dict:
        return {"id": self.id, "title_es": self.title.es, "title_en": self.title.en, "max_points": self.max_points,
                "points": self.points, "status": self.status.value, "es": self.message.es, "en": self.message.en,
                "reason": self.reason, "hidden": self.hidden, "reason_en": self.reason_en}

    @classmethod
    def from_json(cls, data: dict) -> "ExerciseResult":
        return cls(data["id"], Msg(data["title_es"], data["title_en"]), int(data["max_points"]), int(data["points"]),
                   Status(data["status"]), Msg(data["es"], data["en"]), str(data.get("reason", "")),
                   bool(data.get("hidden", False)), str(data.get("reason_en", "")))


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    path: str
    notes: list[Note] = field(default_factory=list)
    exercises: list[ExerciseResult] = field(default_factory=list)
    hash: str = ""
    key: str = ""
    usage: dict = field(default_factory=dict)   # CPU seconds and peak memory of the jails and the judge,
                                                # and exercise_cpu_seconds: {exercise id: CPU seconds}
    predictions: dict = field(default_factory=dict)   # {question id: the letter predicted}; never graded

    @property
    def status(self) -> RowStatus:
        """The most serious incident, or GRADED."""
        incidents = sorted({note.incident for note in self.notes}, key=lambda incident: incident.severity)
        return RowStatus(incidents[0].value if incidents else GRADED)

    @property
    def status_label(self) -> Msg:
        return ROW_LABELS[Incident(self.status) if self.status != GRADED else GRADED]

    @property
    def score(self) -> int:
        return sum(e.points for e in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(e.max_points for e in self.exercises)

    @classmethod
    def ungraded(cls, student: str, assignment: str, path: str, incident: Incident, reason: Msg,
                 exercises) -> "SubmissionResult":
        """A submission that could not be graded at all: every exercise scores 0 with the same reason."""
        verdict = Verdict(Status.NOT_GRADED, reason)
        return cls(student, assignment, path, [Note(incident, reason)],
                   [ExerciseResult.of(exercise, verdict) for exercise in exercises])

    def to_json(self) -> dict:
        return {"student": self.student, "assignment": self.assignment, "path": self.path, "status": self.status,
                "notes": [note.to_json() for note in self.notes],
                "exercises": [e.to_json() for e in self.exercises], "hash": self.hash, "key": self.key,
                "usage": self.usage, "predictions": self.predictions}

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        return cls(str(data["student"]), str(data["assignment"]), str(data["path"]),
                   [Note.from_json(note) for note in data.get("notes", data.get("problems", []))],  # older name
                   [ExerciseResult.from_json(e) for e in data["exercises"]],
                   str(data.get("hash", "")), str(data.get("key", "")),
                   {str(k): {str(i): float(x) for i, x in v.items()} if isinstance(v, dict) else float(v)
                    for k, v in data.get("usage", {}).items()},
                   {str(k): str(v) for k, v in data.get("predictions", {}).items()})
