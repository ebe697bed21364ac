"""How long the class report takes for a class of N students, similarity search included.

Each student's notebook 01 takes every exercise cell from one of three versions that pass the public
checks (the solution and two students' own, from tests/similar.py), at random, and renames one variable,
so most code is shared by many students (as in a real class) and no two notebooks are byte-identical.
Reports wall-clock and CPU time of the similarity search and of the whole page (in this process). With only
three versions of each exercise, the flags of this artificial class mean nothing: only the times count.

Usage: python benchmarks/class_report_scale.py [--students 100 300]
"""
import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from grader.core import SubmissionResult  # noqa: E402
from grader.reports import class_report, similarity  # noqa: E402
from helpers import NB01, SOLUTIONS  # noqa: E402
from similar import ORIGINAL, OTHER_APPROACH, with_code  # noqa: E402


def solution_cells() -> dict:
    notebook = nbformat.read(SOLUTIONS / f"{NB01}.ipynb", as_version=4)
    return {cell.metadata["grader"]["exercise"]: cell.source for cell in notebook.cells
            if cell.get("metadata", {}).get("grader", {}).get("exercise") in ORIGINAL}


def write_class(folder: Path, count: int, rng: random.Random) -> list[SubmissionResult]:
    versions = [ORIGINAL, OTHER_APPROACH, solution_cells()]
    results = []
    for index in range(count):
        code = {eid: rng.choice(versions)[eid].replace("z", f"z{index}") for eid in ORIGINAL}
        path = folder / f"student_{index:04d}" / f"{NB01}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(with_code(code), path)
        results.append(SubmissionResult(f"student_{index:04d}", NB01, str(path), key=f"s{index}__{NB01}"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[100, 300])
    args = parser.parse_args()
    for count in args.students:
        with tempfile.TemporaryDirectory() as folder:
            results = write_class(Path(folder), count, random.Random(count))
            (_, search), (_, whole) = timed(similarity.similar_pairs, results), timed(class_report.page, results)
        print(f"{count} students: similarity search {search[0]:.1f} s wall / {search[1]:.1f} s CPU; "
              f"whole page (search included) {whole[0]:.1f} s wall / {whole[1]:.1f} s CPU")


def timed(function, results):
    """(what it returned, (wall seconds, CPU seconds of this process))."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(results) if function is similarity.similar_pairs else function(results, "es")
    return value, (time.perf_counter() - wall, time.process_time() - cpu)


if __name__ == "__main__":
    main()
