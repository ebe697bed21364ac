"""Command line: python -m grader {build,execute} ..."""
import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
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
    return 2


if __name__ == "__main__":
    sys.exit(main())
