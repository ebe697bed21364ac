"""Command line: python -m grader {build,execute,grade,control,release,gradescope} ..."""
import argparse
import contextlib
import os
import sys
from pathlib import Path

from rich.console import Console

from grader import reports
from grader.authoring import expected
from grader.authoring.build import BuildError, build
from grader.authoring.execute import execute_in_place
from grader.authoring.gradescope import advice, autograder_zip
from grader.authoring.release import release, token_values
from grader.exercises.registry import assignments
from grader.grading import control, jail
from grader.grading.batch import run_controls
from grader.grading.dispatch import SCHEDULER_ENV, Routes, SchedulerUnreachable
from grader.grading.limits import FLOORS, MARGIN, SIZED, Limits
from grader.grading.task import grader_fingerprint
from grader.i18n import language
from grader.reports import moodle, summary
from grader.reports.outdir import Outdir


class Exit(Exception):
    """argparse wanted to end the process (a usage error, --help): main returns the status instead."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that never calls sys.exit, so that main() can run in-process (tests, notebooks)."""

    def exit(self, status=0, message=None):
        if message:
            print(message, end="", file=sys.stderr)
        raise Exit(status)


def parser() -> argparse.ArgumentParser:
    main_parser = Parser(prog="python -m grader", description="Course kit tools.")
    commands = main_parser.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser("build", help="write notebooks/ from solutions/, and the public cases' answers")
    build_cmd.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 and name the drifted cells if notebooks/ is out of date")
    build_cmd.add_argument("--solutions", type=Path, default=Path("solutions"))
    build_cmd.add_argument("--notebooks", type=Path, default=Path("notebooks"))

    execute_cmd = commands.add_parser("execute", help="run solution notebooks and store their outputs")
    execute_cmd.add_argument("paths", nargs="+", type=Path)
    execute_cmd.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")

    grade_cmd = commands.add_parser("grade", help="grade submitted notebooks")
    grade_cmd.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                           help="a submitted .ipynb, or a folder searched recursively")
    grade_cmd.add_argument("--out", type=Path, required=True, metavar="OUTDIR",
                           help="where gradebook.csv, feedback/ and results/ go (re-use it to resume)")
    grade_cmd.add_argument("--jobs", type=int, default=1,
                           help="submissions graded at once (default 1: in this process, no cluster; "
                                "N > 1: a local Dask cluster of N worker processes)")
    grade_cmd.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                           help=f"grade on the running Dask cluster of this scheduler instead (default: "
                                f"${SCHEDULER_ENV} if set); --jobs is then ignored")
    grade_cmd.add_argument("--force", action="store_true", help="regrade submissions already graded")
    grade_cmd.add_argument("--max-notebooks", type=int, default=1, metavar="N",
                           help="notebooks graded per student and assignment: the N newest; the row names the "
                                "others (default 1)")
    grade_cmd.add_argument("--keep-executed", action="store_true",
                           help="also keep each notebook as the grader ran it, in OUTDIR/executed/ (the control's "
                                "reference solutions in OUTDIR/executed/control/)")
    grade_cmd.add_argument("--format", default="",
                           help=f"extra exports, comma-separated: {','.join(reports.OPTIONAL)}")
    grade_cmd.add_argument("--roster", type=Path, metavar="CSV",
                           help="Moodle: columns folder and one of username, email, idnumber (implies --format moodle)")
    grade_cmd.add_argument("--moodle-max", type=float, metavar="N",
                           help="Moodle: scale points to the grade item's maximum N (default: raw points)")
    grade_cmd.add_argument("--lang", choices=["es", "en"], default=None, help="feedback language (default es)")
    add_environment_options(grade_cmd)

    control_cmd = commands.add_parser(
        "control", help="grade the reference solutions as `grade` does before every batch (Gradescope's setup.sh)")
    control_cmd.add_argument("--assignment", action="append", metavar="NAME", required=True,
                             help="e.g. 01_perceptron_or_xor (repeat it for several)")
    control_cmd.add_argument("--jobs", type=int, default=1, help="worker processes of a local Dask cluster (1)")
    control_cmd.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                             help=f"the running Dask cluster `grade` will use (default: ${SCHEDULER_ENV} if set)")
    add_environment_options(control_cmd)

    release_cmd = commands.add_parser("release", help="build the student bundle (no solutions, no hidden tests)")
    release_cmd.add_argument("--out", type=Path, required=True, metavar="DIR")
    release_cmd.add_argument("--repo-url", required=True, metavar="URL",
                             help="where you publish DIR (https://github.com/OWNER/NAME): badges and install cells")
    release_cmd.add_argument("--branch", default="main", help="the branch you publish it on (default main)")
    gradescope_cmd = commands.add_parser("gradescope", help="write the autograder.zip Gradescope asks for")
    gradescope_cmd.add_argument("--assignment", required=True, help="e.g. 01_perceptron_or_xor")
    gradescope_cmd.add_argument("--out", type=Path, default=Path("autograder.zip"))
    gradescope_cmd.add_argument("--lang", choices=["es", "en"], default="es", help="feedback language (default es)")
    gradescope_cmd.add_argument("--datasets", type=Path, metavar="DIR",
                                help="include this datasets folder (else setup.sh downloads what the assignment reads)")
    return main_parser


def add_environment_options(command) -> None:
    """What the control and the students share: isolation, limits and the reference solutions."""
    defaults = Limits()
    command.add_argument("--isolation", choices=["bwrap", "none"], default="bwrap",
                         help="run student code in a bubblewrap jail (default), or, at your own risk, not at all")
    command.add_argument("--solutions", type=Path, default=None, metavar="DIR",
                         help=f"the reference solutions the control grades first (default: ${control.SOLUTIONS_ENV}, "
                              f"else the kit's solutions/)")
    for option, name, what, source in (("--cell-timeout", "cell_seconds", "per cell", "largest cell"),
                                       ("--notebook-timeout", "notebook_seconds", "per notebook", "whole notebook"),
                                       ("--exercise-timeout", "exercise_seconds", "for one exercise's function tests",
                                        "costliest exercise")):
        command.add_argument(option, type=float, default=None,
                             help=f"CPU seconds {what} (default: {MARGIN} × the reference solution's {source}, "
                                  f"rounded up; at least {FLOORS[name]:g}, at most {getattr(defaults, name):g})")
    command.add_argument("--memory-mb", type=int, default=defaults.memory_mb,
                         help=f"memory limit of each jail's whole process tree, in MB (default {defaults.memory_mb})")
    command.add_argument("--wall-factor", type=float, default=defaults.wall_factor,
                         help=f"wall-clock backstop as a multiple of each CPU limit (default {defaults.wall_factor:g})")


def chosen_limits(args) -> tuple[Limits, frozenset]:
    """The limits the control runs under (the flags given, else the defaults), and the time limits the flags
    fixed: the others are sized by the control."""
    given = {name: getattr(args, option) for name, option in
             zip(SIZED, ("cell_timeout", "notebook_timeout", "exercise_timeout")) if getattr(args, option) is not None}
    return (Limits(**given, memory_mb=args.memory_mb, wall_factor=args.wall_factor), frozenset(given))


def isolation_problem(isolated: bool) -> bool:
    """Print why grading cannot start without the jail (True), or the warning for --isolation none."""
    if isolated and (problem := jail.unavailable()):
        print(f"error: grading runs student code in a bubblewrap jail, and {problem}.\n"
              f"Without it, student code could change grades or read hidden tests. To grade anyway, at your own "
              f"risk, add --isolation none.", file=sys.stderr)
        return True
    if not isolated:
        print("WARNING: --isolation none: student code runs with your permissions. It can read the solutions and "
              "the hidden tests, and change any grade. Use it only with code you trust.", file=sys.stderr)
    return False


def main(argv=None) -> int:
    """Run one command; returns its exit status (2 for a usage error), never exits the process."""
    try:
        return run(parser(), argv)
    except Exit as stop:
        return stop.status


def run(main_parser, argv) -> int:
    args = main_parser.parse_args(argv)
    if args.command == "build":
        return build_command(args)
    if args.command == "execute":
        for path in args.paths:
            print(f"{path}: executed in {execute_in_place(path, args.timeout):.1f} s")
        return 0
    if args.command == "grade":
        return grade_command(main_parser, args)
    if args.command == "control":
        return control_command(main_parser, args)
    if args.command == "gradescope":
        try:
            members = autograder_zip(args.assignment, args.out, args.lang, args.datasets)
        except ValueError as error:
            main_parser.error(str(error))
        print(f"{args.out}: {len(members)} files; upload it as the assignment's autograder (Ubuntu 22.04 or 24.04)")
        print(advice(args.assignment))
        return 0
    try:
        files = release(args.out, args.repo_url, args.branch)
    except (FileExistsError, ValueError) as error:
        main_parser.error(str(error))
    print(f"{args.out}: {len(files)} files (notebooks, grader without hidden tests, README)")
    if not token_values(args.repo_url, args.branch)["GITHUB_REPO"]:
        print("note: Colab opens notebooks from GitHub only, so the notebooks have no Colab badge", file=sys.stderr)
    return 0


def build_command(args) -> int:
    try:
        messages = build(args.solutions, args.notebooks, check=args.check)
        messages += expected.write_or_check(check=args.check)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for message in messages:
        print(message)
    if not args.check:
        return 0
    print("notebooks/ and the public answers are up to date" if not messages else
          "notebooks/ or the public answers have drifted: run `python -m grader build`", file=sys.stderr)
    return 1 if messages else 0


def grade_command(main_parser, args) -> int:
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        main_parser.error(f"no such file or folder: {', '.join(missing)}")
    if args.jobs < 1:
        main_parser.error("--jobs must be at least 1")
    if args.max_notebooks < 1:
        main_parser.error("--max-notebooks must be at least 1")
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    if args.roster or args.moodle_max is not None:
        formats = tuple(dict.fromkeys((*formats, "moodle")))
    try:
        roster = moodle.read_roster(args.roster) if args.roster else None
    except moodle.RosterError as error:
        main_parser.error(str(error))
    if args.moodle_max is not None and not args.moodle_max > 0:
        main_parser.error("--moodle-max must be a positive number (the grade item's maximum)")
    unknown = set(formats) - set(reports.OPTIONAL)
    if unknown:
        main_parser.error(f"unknown --format {', '.join(sorted(unknown))}; choose from {', '.join(reports.OPTIONAL)}")
    isolated = args.isolation == "bwrap"
    if isolation_problem(isolated):
        return 2
    lang = args.lang or language()
    limits, fixed = chosen_limits(args)
    outdir = Outdir(args.out, lang)
    try:
        results = outdir.grade(args.paths, force=args.force, jobs=args.jobs, limits=limits,
                               keep_executed=args.keep_executed, isolated=isolated, scheduler=args.scheduler,
                               max_notebooks=args.max_notebooks, fixed=fixed, solutions=args.solutions)
    except SchedulerUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except control.ControlFailed as error:
        print(error.message.text(lang), file=sys.stderr)
        return 2
    if not results:
        print("no submissions found (looked for *.ipynb files)", file=sys.stderr)
    check = moodle.roster_check(results, roster) if roster else None
    outdir.export(formats, moodle={"roster": roster, "maximum": args.moodle_max}, class_report={"roster_check": check})
    print(summary.text(results, lang), file=sys.stderr)
    if check:
        print(moodle.roster_report(check, lang), file=sys.stderr)
    print(f"gradebook: {args.out / 'gradebook.csv'}")
    return 0


def control_command(main_parser, args) -> int:
    """The control alone: exit 0 with one line per reference, or 2 with the one line that says what failed."""
    unknown = sorted(set(args.assignment) - set(assignments()))
    if unknown:
        main_parser.error(f"no assignment {', '.join(unknown)}; choose from {', '.join(assignments())}")
    if args.jobs < 1:
        main_parser.error("--jobs must be at least 1")
    isolated = args.isolation == "bwrap"
    if isolation_problem(isolated):
        return 2
    limits, fixed = chosen_limits(args)
    scheduler = args.scheduler or os.environ.get(SCHEDULER_ENV)
    try:
        with contextlib.ExitStack() as stack:
            run_controls(sorted(set(args.assignment)), limits, fixed, isolated, grader_fingerprint(), scheduler,
                         args.solutions, Routes(stack, args.jobs, scheduler), Console(stderr=True))
    except SchedulerUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except control.ControlFailed as error:
        print(error.message.text(), file=sys.stderr)
        return 2
    print(f"control passed: {', '.join(sorted(set(args.assignment)))} (the reference solutions got full marks)")
    return 0
