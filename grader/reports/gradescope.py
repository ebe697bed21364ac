"""Gradescope's results.json: one per submission after a batch (``grade --format gradescope``), and the one
Gradescope itself reads, written inside its container by the autograder.zip's run_autograder
(``main`` below; the zip comes from ``python -m grader gradescope``).

In Gradescope's container ``main`` fails closed: student code runs in the bubblewrap jail, else as an
unprivileged user with the grader, hidden cases, solutions and results locked away and every process it left
killed before results.json is written, else nothing is graded (see ``isolation``); the log says which ran."""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

from rich.console import Console

from grader.core import Status, SubmissionResult
from grader.grading import control, jail
from grader.grading.files import write_atomically
from grader.grading.limits import Limits
from grader.i18n import Msg, language
from grader.reports.feedback import rows

# The feedback never shows a hidden case's inputs, so students may see every test's line at once.
VISIBILITY = "visible"
NO_NOTEBOOK = Msg("No encontré el cuaderno {assignment}.ipynb entre los archivos entregados ({files}). "
                  "Sube el .ipynb de esta práctica.",
                  "The notebook {assignment}.ipynb is not among the submitted files ({files}). "
                  "Upload this assignment's .ipynb.")
ISOLATION_ENV = "GRADER_ISOLATION"   # bwrap, user, none; unset: the jail, else the unprivileged user, else refuse
PACKAGE = Path(__file__).resolve().parents[1]   # the grader package this runs from
FALLBACK_USER_ENV = "GRADER_FALLBACK_USER"
FALLBACK_USER = "grader-student"     # setup.sh creates it
# Run as the fallback user: what it must not reach (the grader, hidden cases, solutions, results) must fail.
REACH_PROBE = r"""
import os, sys
import numpy
for path in sys.argv[1:]:
    for attempt in (lambda: os.listdir(path), lambda: open(path).close(), lambda: open(path + "/x", "w").close()):
        try:
            attempt()
            print(path)
            break
        except OSError:
            pass
"""


def results_json(result: SubmissionResult, lang: str) -> dict:
    return {
        "score": result.score,
        "output": result.status_label.text(lang),
        "stdout_visibility": "hidden",   # the grader's log, not feedback
        "tests": [{"name": name, "score": e.points, "max_score": e.max_points, "output": reason,
                   "status": "passed" if e.status == Status.CORRECT else "failed", "visibility": VISIBILITY}
                  for e, (name, _, _, reason) in zip(result.exercises, rows(result, lang))],
    }


def export(results: list[SubmissionResult], outdir: Path, lang: str) -> None:
    for result in results:
        write_atomically(outdir / "gradescope" / result.key / "results.json",
                         json.dumps(results_json(result, lang), ensure_ascii=False, indent=1))


def isolation(protected: list[Path]) -> tuple[bool, str | None]:
    """How student code runs here, printed: (jailed, the unprivileged user it runs as without the jail).
    Gradescope runs each submission in its own throwaway container, as root. Where that container lets
    bubblewrap create namespaces, the jail. Where it does not, student code runs as an unprivileged user, with
    ``protected`` (the grader, hidden cases, solutions, results) out of its reach, and every process it left is
    killed after grading. If neither is possible, this refuses (SystemExit with one line), unless
    GRADER_ISOLATION=none says to grade unprotected."""
    choice = os.environ.get(ISOLATION_ENV, "").strip() or "auto"
    if choice not in ("auto", "bwrap", "user", "none"):
        raise SystemExit(f"{ISOLATION_ENV}={choice}: choose bwrap, user or none (or leave it unset)")
    if choice == "none":
        print(f"isolation: none ({ISOLATION_ENV}=none): student code runs as root and can rewrite its own grade",
              file=sys.stderr)
        return False, None
    problem = jail.unavailable() if choice != "user" else f"{ISOLATION_ENV}=user"
    if problem is None:
        print("isolation: bubblewrap jail", file=sys.stderr)
        return True, None
    if choice == "bwrap":
        raise SystemExit(f"{ISOLATION_ENV}=bwrap, but {problem}")
    user = os.environ.get(FALLBACK_USER_ENV) or FALLBACK_USER
    fallback = user_problem(user, protected)
    if fallback:
        raise SystemExit(f"refusing to grade: no jail ({problem}), and no safe fallback: {fallback}")
    print(f"isolation: unprivileged user {user!r}, no jail ({problem})", file=sys.stderr)
    return False, user


def user_problem(user: str, protected: list[Path]) -> str | None:
    """Lock ``protected`` away from ``user`` (root-only permissions; the package's parent folder stays
    traversable, for the datasets beside it), then check as that user that nothing of it can be read or
    written and that numpy imports. Why that fails, in one line, or None."""
    try:
        account = jail.account_of(user)
    except RuntimeError as error:
        return str(error)
    source = PACKAGE.parent
    for path in protected:
        if path.exists():
            os.chmod(path, 0o711 if path == source else 0o700 if path.is_dir() else 0o600)
    probe = subprocess.run([sys.executable, "-I", "-c", REACH_PROBE, *map(str, protected)], capture_output=True,
                           text=True, user=account.pw_uid, group=account.pw_gid, extra_groups=[], cwd="/",
                           env={"PATH": "/usr/bin:/bin", "HOME": "/"})
    if probe.returncode:
        detail = (probe.stderr.strip().splitlines() or ["no message"])[-1][:200]
        return f"{user!r} cannot run {sys.executable} and import numpy ({detail})"
    reached = [line for line in probe.stdout.splitlines() if line]
    return f"{user!r} can still reach {', '.join(reached)}" if reached else None


def protected_paths(results: Path, work: Path) -> list[Path]:
    """What student code must not reach on Gradescope: this package's source (hidden cases included) and its
    folder, the solutions beside it, every other installed copy of the package, the results and the grader's
    work folder (its MAC key)."""
    package = PACKAGE
    work.mkdir(parents=True, exist_ok=True)
    results.parent.mkdir(parents=True, exist_ok=True)
    return [package.parent, package, package.parent / "solutions", *map(Path, jail.installed_copies()),
            results.parent, work]


@contextlib.contextmanager
def protection(results: Path, work: Path):
    """The isolation mode (see ``isolation``), for the time student code may run; yields whether it is jailed."""
    isolated, run_as = isolation(protected_paths(results, work))
    if run_as:
        os.environ[jail.RUN_AS_ENV] = run_as   # read by the grading processes' jail.Environment
        jail.kill_user(run_as)
    try:
        yield isolated
    finally:
        if run_as:   # before the results are written: nothing of the student's may outlive grading
            print(f"killed {jail.kill_user(run_as)} process(es) of {run_as!r} left after grading", file=sys.stderr)


def control_only(assignment: str, results: Path, work: Path) -> None:
    """setup.sh's control: the reference solution graded exactly as run_autograder will grade a student (the same
    isolation, limits and cache key), so its pass is cached in the image. Raises ControlFailed."""
    from grader.grading import batch, dispatch, task   # deferred: exporting alone loads no grading machinery
    with protection(results, work) as isolated, contextlib.ExitStack() as stack:
        batch.run_controls([assignment], Limits(), frozenset(), isolated, task.grader_fingerprint(), None, None,
                           dispatch.Routes(stack, 1, None), Console(stderr=True))


def autograde(assignment: str, submission: Path, results: Path, work: Path, lang: str) -> dict:
    """Grade the submitted notebooks of ``assignment`` and write Gradescope's results.json; returns it.
    Raises ControlFailed, having written nothing, when the reference solution fails here (the grader's fault)."""
    from grader.grading import batch   # deferred: the exporter alone does not load the grading machinery
    notebooks = list(submission.rglob("*.ipynb"))
    with protection(results, work) as isolated:
        # The spine, in this process (one job, no scheduler: no cluster), then the export. The upload is one
        # student's: one row per assignment, the newest notebook (the others named in its notes).
        graded = [r for r, _ in batch.grade_batch([submission], isolated=isolated, one_student=True)
                  if r.assignment == assignment] if notebooks else []
    if graded:
        payload = results_json(max(graded, key=lambda r: r.score), lang)
    else:
        names = ", ".join(path.name for path in sorted(submission.rglob("*")) if path.is_file())[:300] or "—"
        payload = {"score": 0, "output": NO_NOTEBOOK.format(assignment=assignment, files=names).text(lang),
                   "stdout_visibility": "hidden", "tests": []}
    write_atomically(results, json.dumps(payload, ensure_ascii=False, indent=1))
    return payload


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="run_autograder",
                                     description="run_autograder's grading step (inside Gradescope's container)")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--submission", type=Path, default=Path("/autograder/submission"))
    parser.add_argument("--results", type=Path, default=Path("/autograder/results/results.json"))
    parser.add_argument("--work", type=Path, default=Path("/autograder/work"))
    parser.add_argument("--control", action="store_true",
                        help="grade only the reference solution, as a student would be (setup.sh's control)")
    args = parser.parse_args(argv)
    try:
        if args.control:
            control_only(args.assignment, args.results, args.work)
            print(f"control passed: the reference solution of {args.assignment} got full marks here")
            return 0
        payload = autograde(args.assignment, args.submission, args.results, args.work, language())
    except control.ControlFailed as error:   # no results.json: Gradescope says the autograder failed, not a grade
        print(f"run_autograder: nothing was graded, the grader failed its control here: {error.message.text()}",
              file=sys.stderr)
        return 2
    except Exception as error:   # noqa: BLE001 - a traceback would print grader source (hidden cases included)
        frames = "; ".join(f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"
                           for frame in traceback.extract_tb(error.__traceback__, limit=-6))
        print(f"run_autograder failed: {type(error).__name__} at {frames}", file=sys.stderr)
        return 1
    print(f"score {payload['score']}: {args.results}")
    return 0
