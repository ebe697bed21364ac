"""Command line: python -m grader {build,execute} ..."""
import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    from grader.submission import Limits

    parser = argparse.ArgumentParser(prog="python -m grader", description="Course kit tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser("build", help="write notebooks/ from solutions/")
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
    grade_cmd.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    grade_cmd.add_argument("--force", action="store_true", help="regrade submissions already graded")
    grade_cmd.add_argument("--format", default="", help="extra exports, comma-separated: gradescope,moodle")
    grade_cmd.add_argument("--lang", choices=["es", "en"], default=None, help="feedback language (default es)")
    grade_cmd.add_argument("--cell-timeout", type=float, default=Limits.cell_seconds,
                           help=f"seconds per cell (default {Limits.cell_seconds:.0f})")
    grade_cmd.add_argument("--notebook-timeout", type=float, default=Limits.notebook_seconds,
                           help=f"seconds per notebook (default {Limits.notebook_seconds:.0f})")
    grade_cmd.add_argument("--exercise-timeout", type=float, default=Limits.exercise_seconds,
                           help=f"seconds for one exercise's function tests (default {Limits.exercise_seconds:.0f})")
    grade_cmd.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                           help=f"memory limit per process in MB (default {Limits.memory_mb})")

    release_cmd = commands.add_parser("release", help="build the student bundle (no solutions, no hidden tests)")
    release_cmd.add_argument("--out", type=Path, required=True, metavar="DIR")

    args = parser.parse_args(argv)
    if args.command == "build":
        from grader.build import BuildError, build
        try:
            messages = build(args.solutions, args.notebooks, check=args.check)
        except BuildError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for message in messages:
            print(message)
        if args.check:
            print("notebooks/ is up to date" if not messages else
                  "notebooks/ has drifted from solutions/: run `python -m grader build`", file=sys.stderr)
            return 1 if messages else 0
        return 0
    if args.command == "execute":
        from grader.build import execute_in_place
        for path in args.paths:
            seconds = execute_in_place(path, args.timeout)
            print(f"{path}: executed in {seconds:.1f} s")
        return 0
    if args.command == "grade":
        return grade_command(parser, args)
    if args.command == "release":
        from grader.release import release
        try:
            files = release(args.out)
        except FileExistsError as error:
            parser.error(str(error))
        print(f"{args.out}: {len(files)} files (notebooks, grader without hidden tests, README)")
        return 0
    return 2


def grade_command(parser, args) -> int:
    from grader.grade import grade_batch
    from grader.i18n import language
    from grader.submission import Limits

    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    unknown = set(formats) - {"gradescope", "moodle"}
    if unknown:
        parser.error(f"unknown --format {', '.join(sorted(unknown))}; choose from gradescope, moodle")
    limits = Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout,
                    exercise_seconds=args.exercise_timeout, memory_mb=args.memory_mb)
    results = grade_batch(args.paths, args.out, jobs=args.jobs, force=args.force, limits=limits,
                          formats=formats, lang=args.lang or language())
    if not results:
        print("no submissions found (looked for *.ipynb files)", file=sys.stderr)
    print(f"gradebook: {args.out / 'gradebook.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
