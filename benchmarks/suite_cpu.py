"""CPU of running tests, every process counted: what decides how long the suite takes on two cores.

Each pytest command runs in a cpuacct cgroup of its own (grading_cpu.measured; cgroup v1, needs root), so the
jails, kernels and Dask processes the tests start are counted too. With --kit, the same tests run in each
checkout in turn (e.g. a worktree of the code before a change), --rounds times, in one run, so a noisy machine
affects them alike. Each command gets a fresh control cache of its own, as a suite run does. Wall time is
printed beside CPU time. A failing run stops the script (pytest's report goes to stdout, which is not kept:
run the same arguments by hand to read it).

Usage: sudo python benchmarks/suite_cpu.py [--kit DIR ...] [--rounds 1] -- PYTEST_ARGS...
       e.g. sudo .venv/bin/python benchmarks/suite_cpu.py --kit ../before -- tests/test_limits.py -p no:cacheprovider
"""
import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from grading_cpu import ROOT, measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", action="append", type=Path, default=[], help="another checkout to compare")
    parser.add_argument("--rounds", type=int, default=1, help="how many times to run each kit in turn (1)")
    parser.add_argument("pytest_args", nargs="+", help="after --: what to pass to pytest")
    args = parser.parse_args()
    kits = [ROOT] + [kit.resolve() for kit in args.kit]
    for round_number in range(args.rounds):
        for kit in kits:
            cache = tempfile.mkdtemp(prefix="suite-cpu-control-")
            try:
                env = {**os.environ, "GRADER_CONTROL_CACHE": cache}
                wall, cpu = measured([sys.executable, "-m", "pytest", "-q", *args.pytest_args], kit, env)
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            print(f"round {round_number + 1}  {kit}  wall {wall:7.1f} s  CPU {cpu:7.1f} s", flush=True)


if __name__ == "__main__":
    main()
