"""The control: before anyone is graded, the reference solution of each assignment in the batch is graded.

As a lab runs a control sample, ``grade`` (and ``python -m grader control``, which Gradescope's setup.sh
runs) first grades solutions/<assignment>.ipynb in the environment the students get: the same Dask workers,
jail, limits and datasets (grading.batch sends it down the students' path). If a reference does not get full
marks, or its row has any incident, nobody is graded: one line says which assignment, what failed and what to
do, and the command exits 2. A Python the jail cannot see, a worker without the datasets, a missing library or
limits too small for the reference would otherwise give the whole class zero.

The control also measures the reference's CPU time, which sizes the assignment's default limits
(grading.limits.sized_by_control). Its result never becomes a row of OUTDIR; with ``grade --keep-executed``,
the reference as the grader ran it is kept in OUTDIR/executed/control/, to compare with a student's.

A pass is cached outside OUTDIR, in GRADER_CONTROL_CACHE or $XDG_CACHE_HOME/curso-grader/control (by default
~/.cache/curso-grader/control), under a key made of everything that could change the outcome: the grader's
source, the solution's bytes, the limits, the isolation, the Python (executable, prefix, version, the mtime of
its site-packages folders, which installing or removing a library changes), the datasets' folders with each
file's size and mtime, and the scheduler's address (or "local"). A failure is never cached. Beside each pass
is the reference as it ran then (KEY.ipynb), so a cached control still has it to show.
"""
import hashlib
import json
import os
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from grader.core import GRADED, Incident, SubmissionResult
from grader.data import DATASET_FILES, DATASETS_ENV, dataset_folders
from grader.exercises.registry import datasets_for
from grader.grading.files import UnsafeFile, read_capped, read_json_capped, write_atomically
from grader.grading.limits import MAX_EXECUTED_BYTES, MAX_NOTEBOOK_BYTES, Limits, sized_by_control
from grader.i18n import Msg

CACHE_ENV = "GRADER_CONTROL_CACHE"
SOLUTIONS_ENV = "GRADER_SOLUTIONS_DIR"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
STUDENT = "control"   # the reference's name on the terminal and the dashboard; never a row

NO_SOLUTION = Msg(
    "control: no encuentro la solución de referencia de {assignment} ({path}), así que no se califica a nadie: "
    "pasa --solutions con la carpeta solutions/ del kit, o define {env}",
    "control: the reference solution of {assignment} is not at {path}, so nobody is graded: pass --solutions "
    "with the kit's solutions/ folder, or set {env}")
FAILED = Msg(
    "control: la solución de referencia de {assignment} obtuvo {score}/{max_score} (estado {status}{detail}), "
    "así que no se calificó a nadie. Qué hacer: {fix}",
    "control: the reference solution of {assignment} scored {score}/{max_score} (status {status}{detail}), "
    "so nobody was graded. What to do: {fix}")
FIXES = {
    Incident.GRADER_ERROR.value: Msg(
        "corrige el entorno de corrección que nombra el mensaje (workers, datasets, versión del corrector) y "
        "repite la misma orden",
        "fix what the message names in the grading environment (workers, datasets, grader version), then run "
        "the same command again"),
    Incident.KERNEL_DIED.value: Msg(
        "el kernel no pudo ejecutarse en la jaula: usa un entorno virtual que la jaula vea (no bajo /tmp) y que "
        "tenga todas las bibliotecas de requirements.txt; compara con --isolation none",
        "the kernel could not run in the jail: use a virtual environment the jail can see (not under /tmp) "
        "that has every library of requirements.txt; compare with --isolation none"),
    Incident.MEMORY_LIMIT.value: Msg("sube --memory-mb", "raise --memory-mb"),
    Incident.RESOURCE_LIMIT.value: Msg("el límite de procesos o de disco es demasiado pequeño para la referencia",
                                       "the process or disk limit is too small for the reference"),
    Incident.TIMEOUT.value: Msg(
        "los límites de tiempo son demasiado pequeños para la referencia: sube --cell-timeout, "
        "--notebook-timeout, --exercise-timeout o --wall-factor, o quita los que diste (el control los ajusta)",
        "the time limits are too small for the reference: raise --cell-timeout, --notebook-timeout, "
        "--exercise-timeout or --wall-factor, or leave out those you gave (the control sizes them)"),
    Incident.SYNTAX_ERROR.value: Msg("comprueba que --solutions apunta a la carpeta solutions/ del kit",
                                     "check that --solutions points at the kit's solutions/ folder"),
    GRADED: Msg(
        f"comprueba los datasets ({DATASETS_ENV}), las versiones de las bibliotecas (requirements.txt) y que "
        f"--solutions apunta a la carpeta solutions/ de esta versión del kit",
        f"check the datasets ({DATASETS_ENV}), the library versions (requirements.txt), and that --solutions "
        f"points at the solutions/ folder of this version of the kit"),
}
OTHER_FIX = Msg("revisa el mensaje, corrige el entorno y repite la misma orden",
                "read the message, fix the environment and run the same command again")


class ControlFailed(RuntimeError):
    """A reference did not get full marks, or cannot be found: ``message`` is the one line to print."""

    def __init__(self, message: Msg):
        super().__init__(message.en)
        self.message = message


@dataclass
class Control:
    """One assignment's control: the reference's score and what it used (CPU, memory, wall time)."""
    assignment: str
    score: int
    max_score: int
    usage: dict = field(default_factory=dict)
    cached: bool = False

    def seconds(self, name: str) -> float:
        value = self.usage.get(name)   # a cache file is read back: anything but a number counts as 0
        return float(value) if isinstance(value, (int, float)) else 0.0

    @property
    def cpu_seconds(self) -> float:
        return sum(self.seconds(name) for name in ("kernel_cpu_seconds", "sandbox_cpu_seconds", "judge_cpu_seconds"))

    @property
    def wall_seconds(self) -> float:
        return self.seconds("grading_wall_seconds")


# ---------------------------------------------------------------- the reference solutions

def solutions_folder(given: Path | None = None) -> Path:
    """--solutions, else GRADER_SOLUTIONS_DIR, else the solutions/ folder beside the package (a checkout of
    the kit); an installed package has none there, and the control then fails closed (solution_of)."""
    if given is not None:
        return Path(given)
    if os.environ.get(SOLUTIONS_ENV):
        return Path(os.environ[SOLUTIONS_ENV]).expanduser()
    return PACKAGE_DIR.parent / "solutions"


def solution_of(assignment: str, folder: Path) -> Path:
    path = Path(folder) / f"{assignment}.ipynb"
    if not path.is_file():
        raise ControlFailed(NO_SOLUTION.format(assignment=assignment, path=path, env=SOLUTIONS_ENV))
    return path


# ---------------------------------------------------------------- the verdict

def failure(result: SubmissionResult) -> Msg | None:
    """Why the reference's row is not a pass (full marks, no incident), in one line; None for a pass."""
    if result.status == GRADED and result.max_score and result.score == result.max_score:
        return None
    details = [note.message for note in result.notes[:1]]
    failing = next((e for e in result.exercises if e.points < e.max_points), None)
    if failing is not None and (not details or failing.message != details[0]):
        details.append(Msg(f"{failing.id}: {failing.message.es}", f"{failing.id}: {failing.message.en}"))

    def one_line(lang: str) -> str:   # no newlines, and a bounded length
        texts = [" ".join(message.text(lang).split()) for message in details]
        return ": " + "; ".join(text if len(text) <= 500 else text[:499] + "…" for text in texts)

    detail = Msg(one_line("es"), one_line("en")) if details else Msg.same("")
    return FAILED.format(assignment=result.assignment, score=result.score, max_score=result.max_score,
                         status=result.status, detail=detail,
                         fix=FIXES.get(result.status, OTHER_FIX))


# ---------------------------------------------------------------- the cache

def cache_folder() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    return base / "curso-grader" / "control"


def _stat(path: Path) -> list:
    try:
        info = path.stat()
        return [info.st_size, info.st_mtime_ns]
    except OSError:
        return [None]


@cache  # a worker checks it before every task: once per process
def grader_fingerprint() -> str:
    """A hash of the grader's source and package data: hidden cases, references, the fruit table and the public
    answers included (the references' cached answers, grading.answers, depend on all of them)."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE_DIR.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            digest.update(str(source.relative_to(PACKAGE_DIR)).encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def python_environment() -> dict:
    """The Python that grades: installing or removing a library changes the mtime of its site-packages."""
    site = sorted({sysconfig.get_paths()[name] for name in ("purelib", "platlib")})
    return {"executable": sys.executable, "prefix": sys.prefix, "python": sys.version,
            "site": [[path, *_stat(Path(path))] for path in site]}


def environment_key(assignment: str, solution: bytes, limits: Limits, isolated: bool, fingerprint: str,
                    scheduler: str | None) -> str:
    """A hash of everything that could change the control's outcome (see the module's docstring)."""
    datasets = [[str(folder), name, *_stat(folder / name)]
                for folder in dataset_folders() for dataset in datasets_for(assignment)
                for name in DATASET_FILES[dataset]]
    parts = {"assignment": assignment, "solution": hashlib.sha256(solution).hexdigest(), "grader": fingerprint,
             "limits": limits.to_json(), "isolated": isolated, **python_environment(), "datasets": datasets,
             "scheduler": scheduler or "local"}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def cached(key: str, assignment: str) -> Control | None:
    """The cached pass under ``key``, or None (missing, unreadable, or not a pass of this assignment)."""
    try:
        data = read_json_capped(cache_folder() / f"{key}.json", 2**20)
        control = Control(str(data["assignment"]), int(data["score"]), int(data["max_score"]),
                          {str(k): v for k, v in dict(data["usage"]).items()}, cached=True)
    except (OSError, ValueError, KeyError, TypeError, UnsafeFile):
        return None
    passed = control.assignment == assignment and control.max_score > 0 and control.score == control.max_score
    return control if passed else None


def remember(key: str, control: Control, executed: str | None = None) -> None:
    """Cache a pass (never a failure), and the reference as it ran (``executed``). A cache that cannot be
    written costs a control next time, nothing else."""
    try:
        folder = cache_folder()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if executed is not None:   # first, so a pass in the cache always has its notebook beside it
            write_atomically(folder / f"{key}.ipynb", executed)
        write_atomically(folder / f"{key}.json", json.dumps(
            {"assignment": control.assignment, "score": control.score, "max_score": control.max_score,
             "usage": control.usage, "measured": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=1))
    except OSError:
        pass


def executed_reference(key: str) -> str | None:
    """The reference as its cached pass ran it, or None (not cached, or unreadable)."""
    try:
        return read_capped(cache_folder() / f"{key}.ipynb", MAX_EXECUTED_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError, UnsafeFile):
        return None


def solution_bytes(path: Path) -> bytes:
    try:
        return read_capped(path, MAX_NOTEBOOK_BYTES)
    except (OSError, UnsafeFile) as error:
        raise ControlFailed(NO_SOLUTION.format(assignment=path.stem, path=f"{path}: {type(error).__name__}",
                                               env=SOLUTIONS_ENV)) from None


def key_of(assignment: str, folder: Path, limits: Limits, isolated: bool, fingerprint: str,
           scheduler: str | None) -> tuple[Path, str]:
    """The reference's path and its control's cache key; ControlFailed if there is no reference."""
    path = solution_of(assignment, folder)
    return path, environment_key(assignment, solution_bytes(path), limits, isolated, fingerprint, scheduler)


def cached_limits(assignment: str, fingerprint: str, limits: Limits = Limits(), fixed=frozenset(),
                  isolated: bool = True, scheduler: str | None = None, solutions: Path | None = None) -> Limits | None:
    """The limits ``grade`` would use for ``assignment`` if its control's pass is cached; None otherwise."""
    _, key = key_of(assignment, solutions_folder(solutions), limits, isolated, fingerprint, scheduler)
    passed = cached(key, assignment)
    return sized_by_control(limits, passed.usage, fixed) if passed else None
