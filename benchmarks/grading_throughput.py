"""Grading throughput on Dask, measured in one run on this machine.

1. submissions per CPU-hour, per notebook: each solution graded once, in one `grade --jobs 2` run. A
   submission's CPU time is what its result's usage reports: the jails (kernel and function sandbox, from
   cgroup or psutil figures, because RUSAGE_CHILDREN cannot see through bwrap) and the judge process. What
   the grade command's own processes (client, local cluster, workers) add is reported apart.
2. the same --copies notebook-01 submissions graded by 1 and by 2 workers (`--jobs 1`, `--jobs 2`): wall time,
   with CPU time beside it (goal: 2 workers take <= 0.6x the wall time of 1).
3. Dask's own cost: starting and stopping a LocalCluster of 2 workers, the round trip of a no-op task that
   carries a notebook-sized payload (one at a time), and the scheduler's cost per task with --tasks of them
   in flight at once, against the time one notebook-01 submission takes to grade.
Wall-clock and CPU time are reported side by side; on a shared machine, wall times move with the load.

Usage: python benchmarks/grading_throughput.py [--copies 6] [--tasks 10000] [--part 1 --part 2 --part 3]
"""
import argparse
import json
import logging
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

import distributed  # noqa: E402

NB01 = "01_perceptron_or_xor"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def submission_cpu(usage: dict) -> tuple[float, float]:
    """(CPU seconds of the jails, of the judge) of one graded submission."""
    return usage.get("kernel_cpu_seconds", 0.0) + usage.get("sandbox_cpu_seconds", 0.0), \
        usage.get("judge_cpu_seconds", 0.0)


def jail_cpu(outdir: Path) -> float:
    """CPU seconds of the jails of every submission in OUTDIR (the judges are in RUSAGE_CHILDREN)."""
    return sum(submission_cpu(json.loads(path.read_text()).get("usage", {}))[0]
               for path in (outdir / "results").glob("*.json"))


def grade(paths: list[Path], outdir: Path, *options: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the command's own processes, CPU seconds of the jails)."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, paths), "--out", str(outdir), *options],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)
    return time.perf_counter() - started, children_cpu() - cpu, jail_cpu(outdir)


def per_notebook(folder: Path) -> None:
    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        (folder / "solutions" / "teacher").mkdir(parents=True, exist_ok=True)
        shutil.copy(solution, folder / "solutions" / "teacher" / solution.name)
    wall, own, jails = grade([folder / "solutions"], folder / "out", "--jobs", "2")
    judges = 0.0
    for path in sorted((folder / "out" / "results").glob("*.json")):
        result = json.loads(path.read_text())
        jail, judge = submission_cpu(result["usage"])
        judges += judge
        print(f"  {result['assignment']:26s} {jail + judge:7.1f} s CPU ({jail:6.1f} in the jails, {judge:5.1f} judge)"
              f"  {3600 / (jail + judge):6.1f} submissions per CPU-hour  [{result['status']}]", flush=True)
    print(f"  the 5 in one --jobs 2 run: {wall:.1f} s wall; client, local cluster and workers added "
          f"{own - judges:.1f} s CPU in all")


def speed_up(folder: Path, copies: int) -> dict:
    batch = folder / "batch"
    for number in range(copies):
        (batch / f"student_{number}").mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / f"{NB01}.ipynb", batch / f"student_{number}" / f"{NB01}.ipynb")
    measured = {}
    for jobs in (1, 2):
        measured[jobs] = grade([batch], folder / f"out-jobs{jobs}", "--jobs", str(jobs))
        wall, own, jails = measured[jobs]
        print(f"  {copies} x notebook 01, {jobs} worker(s): {wall:6.1f} s wall  {own + jails:6.1f} s CPU", flush=True)
    print(f"  2 workers / 1 worker wall-clock ratio: {measured[2][0] / measured[1][0]:.2f} (goal <= 0.6)")
    return measured


def dask_cost(tasks: int) -> tuple[float, float, float, float]:
    """(cluster start-up+shutdown wall s, no-op round trip ms, scheduler wall ms per task in bulk, client CPU ms
    per task in bulk)."""
    payload = bytes(100_000)   # about a notebook
    started, cpu = time.perf_counter(), self_cpu()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=0,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        up = time.perf_counter() - started
        trips = []
        for _ in range(50):
            began = time.perf_counter()
            client.submit(len, payload, pure=False).result()
            trips.append(time.perf_counter() - began)
        began, cpu = time.perf_counter(), self_cpu()
        futures = [client.submit(len, b"x", pure=False) for _ in range(tasks)]
        client.gather(futures)
        bulk, bulk_cpu = time.perf_counter() - began, self_cpu() - cpu
        del futures
        closing = time.perf_counter()
    total_up = up + (time.perf_counter() - closing)
    return total_up, statistics.median(trips) * 1000, bulk / tasks * 1000, bulk_cpu / tasks * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--part", type=int, choices=(1, 2, 3), action="append",
                        help="run only these parts (repeatable; default all)")
    args = parser.parse_args()
    parts = args.part or [1, 2, 3]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if 1 in parts:
            print("1. each solution graded once:", flush=True)
            per_notebook(folder / "notebooks")
        if 2 in parts:
            print(f"2. {args.copies} notebook-01 submissions:", flush=True)
            speed_up(folder / "speedup", args.copies)
    if 3 in parts:
        up, trip, bulk, bulk_cpu = dask_cost(args.tasks)
        print(f"3. Dask: a LocalCluster of 2 workers starts and stops in {up:.1f} s; a no-op task with a 100 kB "
              f"payload round-trips in {trip:.1f} ms (median of 50); {args.tasks} no-op tasks at once cost "
              f"{bulk:.2f} ms of wall time and {bulk_cpu:.2f} ms of client CPU each (compare with the seconds a "
              f"submission takes above)")


if __name__ == "__main__":
    main()
