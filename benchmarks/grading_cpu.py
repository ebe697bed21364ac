"""CPU of grading a submission, every process counted, against running the same notebook with nbconvert.

Each command runs in a cpuacct cgroup of its own (cgroup v1; needs root), so the CLI, any Dask cluster, the
grading process, the jails and the kernel are all counted, including processes that no one waits for. The
commands run in turn, --rounds times, in one run, so a noisy machine affects them alike; medians are printed
with wall time beside CPU time. Grading runs once first per kit and notebook to fill the control's cache (its
cost is printed apart): what is compared is the cost per graded submission. With ``--batch N`` it also grades
N copies of the notebook (N students) in one command: the marginal CPU per submission is
(CPU of the batch − CPU of one submission) / (N − 1).

Usage: sudo python benchmarks/grading_cpu.py [--notebook solutions/01_perceptron_or_xor.ipynb ...] [--all]
                                             [--rounds 3] [--batch 10] [--kit DIR ...]
       (--all: the five solutions; --kit: other checkouts of the kit to compare, e.g. the code before a change)
"""
import argparse
import os
import shutil
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


def batch_folder(notebook: Path, size: int, parent: Path) -> Path:
    """``size`` students who each handed in ``notebook``."""
    folder = parent / f"batch-{notebook.stem}-{size}"
    for number in range(size):
        (folder / f"student_{number:03d}").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, folder / f"student_{number:03d}" / notebook.name)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, nargs="*", default=[])
    parser.add_argument("--all", action="store_true", help="the five solutions")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=0, metavar="N", help="also grade N copies in one command")
    parser.add_argument("--kit", type=Path, nargs="*", default=[], help="other checkouts to compare with this one")
    args = parser.parse_args()
    if not CPUACCT.is_dir() or os.geteuid():
        raise SystemExit("this benchmark needs root and cgroup v1's cpuacct (/sys/fs/cgroup/cpuacct)")
    notebooks = ([path.resolve() for path in args.notebook] +
                 (sorted((ROOT / "solutions").glob("0*.ipynb")) if args.all else []))
    notebooks = notebooks or [ROOT / "solutions" / "01_perceptron_or_xor.ipynb"]
    cache = Path(tempfile.mkdtemp(prefix="grading-cpu-cache-"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "GRADER_CONTROL_CACHE": str(cache)}
    kits = [ROOT, *[kit.resolve() for kit in args.kit]]
    for notebook in notebooks:
        name = notebook.stem
        commands = {"nbconvert --execute": ([sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to",
                                            "notebook", "--output", str(cache / f"{name}.executed.ipynb"),
                                            str(notebook)], ROOT)}
        for kit in kits:
            grade = [sys.executable, "-m", "grader", "grade", "--jobs", "1", "--force"]
            commands[f"grade ({kit.name})"] = ([*grade, "--out", str(cache / f"out-{kit.name}-{name}"),
                                                str(notebook)], kit)
            if args.batch > 1:
                commands[f"grade {args.batch} ({kit.name})"] = (
                    [*grade, "--out", str(cache / f"out-{kit.name}-{name}-{args.batch}"),
                     str(batch_folder(notebook, args.batch, cache))], kit)
        for kit in kits:   # the control, once per kit (a kit without one just grades)
            command = list(commands[f"grade ({kit.name})"][0])
            command[command.index("--out") + 1] = str(cache / f"first-{kit.name}-{name}")
            wall, cpu = measured(command, kit, {**env, "PYTHONPATH": str(kit)})
            print(f"{name}: first grade ({kit.name}), control included: {cpu:.1f} s CPU, {wall:.1f} s wall",
                  flush=True)
        figures = {label: [] for label in commands}
        for _ in range(args.rounds):
            for label, (command, cwd) in commands.items():
                figures[label].append(measured(command, cwd, {**env, "PYTHONPATH": str(cwd)}))
        medians = {label: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
                   for label, runs in figures.items()}
        base = medians["nbconvert --execute"][1]
        print(f"{notebook.name}, medians of {args.rounds} round(s):")
        for label, (wall, cpu) in medians.items():
            print(f"  {label:<32} {cpu:6.1f} s CPU ({cpu / base:.2f}× nbconvert)  {wall:6.1f} s wall")
        for kit in kits if args.batch > 1 else []:
            one, many = medians[f"grade ({kit.name})"], medians[f"grade {args.batch} ({kit.name})"]
            cpu, wall = (many[1] - one[1]) / (args.batch - 1), (many[0] - one[0]) / (args.batch - 1)
            print(f"  marginal per submission in a batch of {args.batch} ({kit.name}): {cpu:.1f} s CPU "
                  f"({cpu / base:.2f}× nbconvert), {wall:.1f} s wall", flush=True)


if __name__ == "__main__":
    main()
