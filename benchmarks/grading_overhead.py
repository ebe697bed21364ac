"""Grading overhead and parallel speed-up, measured in one run on this machine.

1. overhead: time to grade one submission / time `jupyter nbconvert --execute` takes
   on the same notebook (goal <= 1.15);
2. six copies of the submission graded with --jobs 1 and with --jobs 2.

Usage: python benchmarks/grading_overhead.py [--notebook solutions/01_perceptron_or_xor.ipynb] [--copies 6]
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "01_perceptron_or_xor.ipynb")
    parser.add_argument("--copies", type=int, default=6)
    args = parser.parse_args()
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    grade = [sys.executable, "-m", "grader", "grade"]

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        single = folder / "one" / "student"
        single.mkdir(parents=True)
        shutil.copy(args.notebook, single / args.notebook.name)
        nbconvert = timed([jupyter, "nbconvert", "--to", "notebook", "--execute", str(single / args.notebook.name),
                           "--output", str(folder / "executed.ipynb"), "--ExecutePreprocessor.timeout=1800"])
        graded = timed([*grade, str(single / args.notebook.name), "--out", str(folder / "out-one")])
        print(f"notebook: {args.notebook.name}")
        print(f"nbconvert --execute: {nbconvert:6.1f} s")
        print(f"grader grade (1):    {graded:6.1f} s   overhead ratio {graded / nbconvert:.2f} (goal <= 1.15)")

        batch = folder / "batch"
        for number in range(args.copies):
            (batch / f"student_{number}").mkdir(parents=True)
            shutil.copy(args.notebook, batch / f"student_{number}" / args.notebook.name)
        for jobs in (1, 2):
            seconds = timed([*grade, str(batch), "--out", str(folder / f"out-jobs{jobs}"), "--jobs", str(jobs)])
            print(f"{args.copies} submissions, --jobs {jobs}: {seconds:6.1f} s")


if __name__ == "__main__":
    main()
