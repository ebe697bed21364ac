"""Grading overhead, jail start-up and parallel speed-up, measured in one run on this machine.

1. overhead: time to grade one submission, in the jail and with --isolation none, against the time
   `jupyter nbconvert --execute` takes on the same notebook (goal <= 1.10 for the jail). The three are
   run in turn, --rounds times, so a noisy machine affects them alike; medians are reported.
2. jail start-up: `python -c pass` in the jail against the same command outside, median of 10.
3. --copies copies of the submission graded with --jobs 1 and with --jobs 2.
Wall-clock time and CPU time (of all the processes each command started) are reported side by side.

Usage: python benchmarks/grading_overhead.py [--notebook solutions/01_perceptron_or_xor.ipynb] [--copies 6]
                                             [--rounds 3]
"""
import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.authoring.release import student_package  # noqa: E402
from grader.grading import jail  # noqa: E402
from grader.grading.submission import environment  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process it started)."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, children_cpu() - cpu


def startup(folder: Path, isolated: bool) -> float:
    student_package(folder / f"kit-{isolated}")
    where = environment(folder / f"kit-{isolated}", isolated)
    work = folder / f"work-{isolated}"
    work.mkdir()
    limits = jail.JailLimits(cpu_seconds=60, memory_mb=2048)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        run = where.run([sys.executable, "-c", "pass"], work, limits)
        times.append(time.perf_counter() - started)
        assert run.returncode == 0
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "01_perceptron_or_xor.ipynb")
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    grade = [sys.executable, "-m", "grader", "grade"]

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        single = folder / "one" / "student"
        single.mkdir(parents=True)
        shutil.copy(args.notebook, single / args.notebook.name)
        commands = {
            "nbconvert --execute": [jupyter, "nbconvert", "--to", "notebook", "--execute",
                                    str(single / args.notebook.name), "--output", str(folder / "executed.ipynb"),
                                    "--ExecutePreprocessor.timeout=1800"],
            "grade (jail)": [*grade, str(single / args.notebook.name), "--out", str(folder / "out-jail"), "--force"],
            "grade (--isolation none)": [*grade, str(single / args.notebook.name), "--out", str(folder / "out-none"),
                                         "--force", "--isolation", "none"],
        }
        runs = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                runs[name].append(timed(command))
        print(f"notebook: {args.notebook.name}; medians of {args.rounds} rounds, run in turn")
        base_wall = statistics.median(wall for wall, _ in runs["nbconvert --execute"])
        for name, measured in runs.items():
            wall, cpu = statistics.median(w for w, _ in measured), statistics.median(c for _, c in measured)
            print(f"  {name:26s} {wall:6.1f} s wall  {cpu:6.1f} s CPU   ratio to nbconvert {wall / base_wall:.2f}")

        print(f"jail start-up (python -c pass, median of 10): {startup(folder, True) * 1000:.0f} ms in the jail, "
              f"{startup(folder, False) * 1000:.0f} ms outside")

        batch = folder / "batch"
        for number in range(args.copies):
            (batch / f"student_{number}").mkdir(parents=True)
            shutil.copy(args.notebook, batch / f"student_{number}" / args.notebook.name)
        measured = {jobs: timed([*grade, str(batch), "--out", str(folder / f"out-jobs{jobs}"), "--jobs", str(jobs)])
                    for jobs in (1, 2)}
        for jobs, (wall, cpu) in measured.items():
            print(f"{args.copies} submissions, --jobs {jobs}: {wall:6.1f} s wall  {cpu:6.1f} s CPU")
        print(f"--jobs 2 / --jobs 1 wall-clock ratio: {measured[2][0] / measured[1][0]:.2f}")


if __name__ == "__main__":
    main()
