"""CPU of grading one submission, every process counted, against running the same notebook with nbconvert.

Each command runs in a cpuacct cgroup of its own (cgroup v1; needs root), so the CLI, the Dask cluster, the
grading process, the jails and the kernel are all counted, including processes that no one waits for. The
commands run in turn, --rounds times, in one run, so a noisy machine affects them alike; medians are printed
with wall time beside CPU time. Grading runs once first to fill the control's cache (its cost is printed
apart): what is compared is the cost per graded submission.

Usage: sudo python benchmarks/grading_cpu.py [--notebook solutions/01_perceptron_or_xor.ipynb] [--rounds 3]
                                             [--kit DIR ...]   (other checkouts of the kit to compare)
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def measured(command: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command's whole process tree) from a cgroup of its own."""
    group = CPUACCT / f"grading-cpu-{os.getpid()}-{time.monotonic_ns()}"
    group.mkdir()
    try:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())))
        _, error = process.communicate()
        wall = time.perf_counter() - started
        if process.returncode:
            raise SystemExit(f"{' '.join(command)} failed: {error.decode()[-500:]}")
        for _ in range(100):   # processes nobody waited for (Dask's) may still be ending
            if not (group / "cgroup.procs").read_text().strip():
                break
            time.sleep(0.1)
        return wall, int((group / "cpuacct.usage").read_text()) / 1e9
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            subprocess.run(["kill", "-9", pid], check=False)
        time.sleep(0.2)
        group.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "01_perceptron_or_xor.ipynb")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kit", type=Path, nargs="*", default=[], help="other checkouts to compare with this one")
    args = parser.parse_args()
    if not CPUACCT.is_dir() or os.geteuid():
        raise SystemExit("this benchmark needs root and cgroup v1's cpuacct (/sys/fs/cgroup/cpuacct)")
    notebook = args.notebook.resolve()
    cache = Path(tempfile.mkdtemp(prefix="grading-cpu-cache-"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "GRADER_CONTROL_CACHE": str(cache)}
    kits = [ROOT, *[kit.resolve() for kit in args.kit]]
    commands = {"nbconvert --execute": ([sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "notebook",
                                        "--output", str(cache / "executed.ipynb"), str(notebook)], ROOT)}
    for kit in kits:
        commands[f"grade ({kit.name})"] = ([sys.executable, "-m", "grader", "grade", str(notebook), "--out",
                                            str(cache / f"out-{kit.name}"), "--jobs", "1", "--force"], kit)
    for kit in kits:   # the control, once per kit (a kit without one just grades)
        wall, cpu = measured([*commands[f"grade ({kit.name})"][0][:-1]], kit, {**env, "PYTHONPATH": str(kit)})
        print(f"first grade ({kit.name}), control included: {cpu:.1f} s CPU, {wall:.1f} s wall")
    figures = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, (command, cwd) in commands.items():
            figures[name].append(measured(command, cwd, {**env, "PYTHONPATH": str(cwd)}))
    base = statistics.median(cpu for _, cpu in figures["nbconvert --execute"])
    print(f"{notebook.name}, medians of {args.rounds} rounds:")
    for name, runs in figures.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        print(f"  {name:<28} {cpu:6.1f} s CPU ({cpu / base:.2f}× nbconvert)  {wall:6.1f} s wall")


if __name__ == "__main__":
    main()
