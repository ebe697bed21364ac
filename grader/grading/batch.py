"""A batch: discovery, the control, what is left to grade, and the route to the spine; the results as they come.

``grade_batch`` discovers the submissions (grading.discovery), runs the control (grading.control: the reference
solution of each assignment, down the students' route; ControlFailed before any result if one does not get full
marks, and its usage sizes each assignment's time limits), leaves out what the caller says is graded already
(same notebook, grader and limits: ``content_hash``), and sends the rest down one route (grading.dispatch): this
process for one local job, else Dask. It yields each result, the dataclass as the spine returned it, with its
``key`` and ``hash`` set; it writes nothing. The owner of OUTDIR (reports.outdir) stores them; Gradescope's
run_autograder (reports.gradescope) turns its one result into results.json.
"""
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.core import Incident, SubmissionResult
from grader.grading import control, jail
from grader.grading.discovery import Submission, discover
from grader.grading.dispatch import SCHEDULER_ENV, Routes, Throughput, ungraded
from grader.grading.limits import Limits, describe, sized_by_control
from grader.grading.task import content_hash, grader_fingerprint


def run_controls(assignments: list[str], limits: Limits, fixed: frozenset, isolated: bool, fingerprint: str,
                 scheduler: str | None, solutions: Path | None, routes: Routes, console,
                 on_reference: Callable[[str, str], None] | None = None) -> dict[str, Limits]:
    """Grade the reference solution of each assignment (grading.control) down the students' route, unless a
    pass with the same environment key is cached. Raises ControlFailed as soon as a reference fails (the
    tasks still running are dropped with the client); otherwise hands each reference as it ran (now, or when
    its pass was cached) to ``on_reference(assignment, notebook)``, and returns each assignment's limits, sized
    by what its reference used."""
    folder = control.solutions_folder(solutions)
    keys, controls, todo = {}, {}, []
    for assignment in assignments:
        path, keys[assignment] = control.key_of(assignment, folder, limits, isolated, fingerprint, scheduler)
        controls[assignment] = control.cached(keys[assignment], assignment)
        if controls[assignment] is None:
            todo.append(Submission(path, control.STUDENT, assignment, f"{control.STUDENT}-{assignment}"))
    wall = 0.0
    if todo:
        started = time.monotonic()
        route = routes.dispatcher(console, dict.fromkeys(assignments, limits), isolated, True, fingerprint)
        for submission, result, executed in route.run(todo, what="reference solution(s) (the control)"):
            if (why := control.failure(result)) is not None:   # stop at once: nobody will be graded
                raise control.ControlFailed(why)
            controls[submission.assignment] = control.Control(submission.assignment, result.score,
                                                              result.max_score, result.usage)
            control.remember(keys[submission.assignment], controls[submission.assignment], executed)
        wall = time.monotonic() - started
    sized = {}
    for assignment in assignments:
        measured = controls[assignment]
        sized[assignment] = sized_by_control(limits, measured.usage, fixed)
        console.print(f"control {assignment}: the reference scored {measured.score}/{measured.max_score} "
                      f"({'cached' if measured.cached else 'graded now'}: {measured.cpu_seconds:.1f} s of CPU, "
                      f"{measured.wall_seconds:.1f} s of wall time{' when measured' if measured.cached else ''}); "
                      f"limits: {describe(sized[assignment])}", highlight=False, soft_wrap=True)
    if assignments:
        paid = [controls[assignment] for assignment in assignments if not controls[assignment].cached]
        console.print(f"control: {len(assignments)} reference(s), {len(assignments) - len(paid)} cached; this run "
                      f"paid {sum(c.cpu_seconds for c in paid):.1f} s of CPU"
                      + (f" in {wall:.1f} s of wall time" if paid else ""), highlight=False, soft_wrap=True)
    for assignment in assignments if on_reference else ():
        if (notebook := control.executed_reference(keys[assignment])) is not None:
            on_reference(assignment, notebook)
    return sized


def grade_batch(paths: list[Path], graded: Callable[[str, str], bool] = lambda key, digest: False, jobs: int = 1,
                limits: Limits | None = None, keep_executed: bool = False, isolated: bool = True,
                scheduler: str | None = None, max_notebooks: int = 1, one_student: bool = False,
                fixed: frozenset = frozenset(), solutions: Path | None = None,
                on_reference: Callable[[str, str], None] | None = None,
                ) -> Iterator[tuple[SubmissionResult, str | None]]:
    """Yield (result, the executed notebook with ``keep_executed``, else None) for each submission under
    ``paths`` that ``graded(key, hash)`` does not call graded already. The control runs first, under
    ``limits``; the time limits named in ``fixed`` are kept, the others are sized per assignment by the
    control, and with ``keep_executed``, ``on_reference`` gets each reference as it ran (run_controls). Raises
    ControlFailed, having yielded nothing, if a reference fails."""
    limits = limits or Limits()
    if isolated:
        jail.remove_stale_cgroups()
    submissions = discover(paths, max_notebooks, one_student)
    fingerprint = grader_fingerprint()
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV)
    console = Console(stderr=True)
    with contextlib.ExitStack() as stack:
        routes = Routes(stack, jobs, scheduler)
        assignments = sorted({s.assignment for s in submissions if not s.incident})
        limits_for = run_controls(assignments, limits, fixed, isolated, fingerprint, scheduler, solutions, routes,
                                  console, on_reference if keep_executed else None)
        digests = {}
        for submission in submissions:
            digest = content_hash(submission.path, fingerprint, limits_for.get(submission.assignment, limits))
            if not graded(submission.key, digest):
                digests[submission.key] = digest
        todo = [s for s in submissions if s.key in digests]
        skipped = len(submissions) - len(todo)
        if skipped:
            print(f"{skipped} submission(s) already graded with the same content: skipped (use --force to regrade)",
                  file=sys.stderr)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   Throughput(), TextColumn("grader errors: {task.fields[failures]}  {task.fields[last]}"))
        # Submissions that cannot be graded at all never reach the spine.
        settled = ((s, ungraded(s, s.incident, s.reason), None) for s in todo if s.incident)
        gradable = [s for s in todo if not s.incident]
        routed = (routes.dispatcher(console, limits_for, isolated, keep_executed, fingerprint).run(gradable)
                  if gradable else ())
        failures = 0
        with Progress(*columns, console=console, speed_estimate_period=3600) as progress:
            task = progress.add_task("grading", total=len(todo), failures=0, last="")
            for stream in (settled, routed):
                for submission, result, executed in stream:
                    result.hash, result.key = digests[submission.key], submission.key
                    yield result, executed
                    failures += result.status == Incident.GRADER_ERROR
                    progress.update(task, advance=1, failures=failures,
                                    last=f"{result.student} {result.assignment}: {result.status} "
                                         f"{result.score}/{result.max_score}")
