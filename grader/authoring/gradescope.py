"""autograder.zip for Gradescope: the archive its "Zip file upload" autograder configuration asks for.

Gradescope unpacks the zip in /autograder/source, runs setup.sh once (as root, in its Ubuntu image) to build
the container, and then, for every submission, runs /autograder/run_autograder (a copy of ours) with the
student's files in /autograder/submission; the score is whatever /autograder/results/results.json says.
As in Otter-Grader's autograder.zip, setup.sh installs the pinned requirements (not the package: run_autograder
imports the zip's copy, and a second copy in site-packages would only be one more thing to hide), checks that
the container is big enough, creates the unprivileged user that runs student code where bubblewrap cannot,
locks the grader, hidden cases and reference solution away from it, and grades the reference solution (the
control); run_autograder hands the submission to the package's own grader (grader.reports.gradescope.main).
"""
import json
import math
import sys
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.authoring.release import ROOT
from grader.boundary import CLUTTER
from grader.data import DATASET_FILES
from grader.exercises.registry import datasets_for

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 or 24.04, whose
# python3 is 3.10 or 3.12: both are supported). For tests: AUTOGRADER_ROOT (default /autograder),
# AUTOGRADER_PYTHON (use that Python: no apt, no venv), GRADER_SKIP_PIP=1 (install nothing),
# GRADER_SKIP_CONTROL=1 (do not grade the reference solution), GRADER_CONTAINER_MB / GRADER_CONTAINER_CPUS
# (the container size to check instead of the real one).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
FALLBACK_USER="${GRADER_FALLBACK_USER:-grader-student}"
if [ -z "${AUTOGRADER_PYTHON:-}" ]; then
    # bubblewrap: run_autograder jails student code when the container lets it create namespaces
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv bubblewrap git
    python3 -m venv "$ROOT/venv"
fi
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
if [ -z "${GRADER_SKIP_PIP:-}" ]; then
    "$PYTHON" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
fi
cd "$SOURCE"
# Too small a container fails here, with the size this assignment needs, instead of failing every student.
PYTHONPATH="$SOURCE" "$PYTHON" -c "import sys; from grader.authoring.gradescope import check_container; sys.exit(check_container('__ASSIGNMENT__'))"
# The datasets this assignment reads: the copy in the zip (datasets/), else the standard Keras download,
# once, into the image (KERAS_HOME), verified against the published checksums.
[ -d "$SOURCE/datasets" ] && export COURSE_DATASETS_DIR="$SOURCE/datasets"
KERAS_HOME="$SOURCE/keras" PYTHONPATH="$SOURCE" "$PYTHON" -c "
import grader.data
for loader in __LOADERS__:
    getattr(grader.data, loader)()
print('grader ready:', grader.data.__file__)"
# Where bubblewrap cannot run, run_autograder runs student code as this user: the grader, the hidden cases and
# the reference solution are root's alone; the datasets and the Python stay readable.
id -u "$FALLBACK_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$FALLBACK_USER"
chmod 0711 "$SOURCE"
chmod -R go-rwx "$SOURCE/grader" "$SOURCE/solutions"
for folder in "$SOURCE/datasets" "$SOURCE/keras"; do [ -d "$folder" ] && chmod -R a+rX "$folder"; done
# The control: the reference solution, graded here exactly as run_autograder grades a student (same isolation,
# limits, environment), must get full marks; its pass is cached in the image, so students do not pay for it.
if [ -z "${GRADER_SKIP_CONTROL:-}" ]; then
    KERAS_HOME="$SOURCE/keras" TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH="$SOURCE" GRADER_ISOLATION="${GRADER_ISOLATION:-}" \
        GRADER_FALLBACK_USER="$FALLBACK_USER" "$PYTHON" -c \
        "import sys; from grader.reports.gradescope import main; sys.exit(main())" --assignment "__ASSIGNMENT__" \
        --control --results "$ROOT/results/results.json" --work "$ROOT/work" || {
        echo "setup.sh: the reference solution of __ASSIGNMENT__ did not get full marks here (the line above says why); if it ran out of memory or time: __ADVICE__" >&2
        exit 1
    }
fi
echo "setup.sh: ready"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, in a fresh container built by setup.sh.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
export KERAS_HOME="$SOURCE/keras" TF_CPP_MIN_LOG_LEVEL=3 GRADER_LANG="${GRADER_LANG:-__LANG__}"
[ -d "$SOURCE/datasets" ] && export COURSE_DATASETS_DIR="$SOURCE/datasets"
export PYTHONPATH="$SOURCE"   # the package from this zip, whatever else is installed
# Student code runs in the bubblewrap jail when this container allows it, else as the unprivileged user setup.sh
# created (GRADER_FALLBACK_USER), else nothing is graded. GRADER_ISOLATION=bwrap or user requires that mode;
# none grades with no protection at all (student code could rewrite its grade).
export GRADER_ISOLATION="${GRADER_ISOLATION:-}" GRADER_FALLBACK_USER="${GRADER_FALLBACK_USER:-grader-student}"
cd "$SOURCE"
exec "$PYTHON" -c "import sys; from grader.reports.gradescope import main; sys.exit(main())" --assignment "__ASSIGNMENT__" --submission "$ROOT/submission" \
    --results "$ROOT/results/results.json" --work "$ROOT/work"
"""

PACKAGE_FILES = ["requirements.txt", "pyproject.toml"]


@dataclass(frozen=True)
class Needs:
    """What grading one submission of an assignment takes in Gradescope's container."""
    memory_mb: int       # the container's memory
    cpus: float          # vCPUs, so that grading takes at most a third of Gradescope's default 10 minutes
    cpu_seconds: int     # CPU time to grade the reference solution


# Measured by grading each reference solution once (results' usage, 2026-12-06/07): the peaks of the kernel's
# jail, the function sandbox's jail (they run at the same time) and the judge, plus 400 MB for the grading
# processes (Dask client, scheduler, worker), with 20 % margin, rounded up to 512 MB; CPU from the same runs.
MEASURED = {  # assignment: (kernel, sandbox, judge peak MB; CPU seconds)
    "01_perceptron_or_xor": (367, 248, 692, 40),
    "02_apples_vs_oranges": (306, 230, 685, 44),
    "03_mlp_mnist": (1268, 262, 879, 142),
    "04_convolutions_pooling": (342, 221, 699, 25),
    "05_cnn_classifier": (1427, 229, 1045, 224),
}
GRADING_PROCESSES_MB = 400
GRADESCOPE_DEFAULT = "0.5 vCPU and 768 MB, 10 minutes"


def needs(assignment: str) -> Needs:
    kernel, sandbox, judge, cpu_seconds = MEASURED[assignment]
    memory = math.ceil((kernel + sandbox + judge + GRADING_PROCESSES_MB) * 1.2 / 512) * 512
    return Needs(memory, max(0.5, math.ceil(cpu_seconds / 200 * 2) / 2), cpu_seconds)


def advice(assignment: str) -> str:
    need = needs(assignment)
    return (f"{assignment} needs a container of at least {need.cpus:g} vCPU and {need.memory_mb / 1024:g} GB "
            f"(Gradescope's default is {GRADESCOPE_DEFAULT}); choose it in the autograder's settings")


def container_size(root: Path = Path("/")) -> tuple[int, float]:
    """(memory MB, vCPUs) this container may use: the tighter of its cgroup's limits (v1 or v2, its own group
    or the namespace's root) and the machine's."""
    memory = [int(line.split()[1]) // 1024 for line in (root / "proc/meminfo").read_text().splitlines()
              if line.startswith("MemTotal:")]
    cpus = [float(len(os.sched_getaffinity(0)))] if root == Path("/") else []
    own = {}
    if (root / "proc/self/cgroup").is_file():
        for line in (root / "proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path.lstrip("/")
    cgroups = root / "sys/fs/cgroup"
    for folder in {cgroups / own.get("", ""), cgroups}:   # v2
        if (folder / "memory.max").is_file() and folder.joinpath("memory.max").read_text().strip() != "max":
            memory.append(int(folder.joinpath("memory.max").read_text()) >> 20)
        if (folder / "cpu.max").is_file():
            quota, period = folder.joinpath("cpu.max").read_text().split()
            if quota != "max":
                cpus.append(int(quota) / int(period))
    for folder in {cgroups / "memory" / own.get("memory", ""), cgroups / "memory"}:   # v1
        if (folder / "memory.limit_in_bytes").is_file():
            memory.append(int(folder.joinpath("memory.limit_in_bytes").read_text()) >> 20)
    for name in {own.get("cpu", ""), ""}:
        for base in (cgroups / "cpu", cgroups / "cpu,cpuacct"):
            quota, period = base / name / "cpu.cfs_quota_us", base / name / "cpu.cfs_period_us"
            if quota.is_file() and period.is_file() and int(quota.read_text()) > 0:
                cpus.append(int(quota.read_text()) / int(period.read_text()))
    return min(memory), min(cpus) if cpus else 1.0


def check_container(assignment: str) -> int:
    """For setup.sh: 0, or 1 with one line saying what container this assignment needs."""
    memory, cpus = (int(os.environ["GRADER_CONTAINER_MB"]), float(os.environ["GRADER_CONTAINER_CPUS"])) \
        if os.environ.get("GRADER_CONTAINER_MB") else container_size()
    need = needs(assignment)
    print(f"container: {memory} MB, {cpus:g} vCPU; {assignment} needs {need.memory_mb} MB, {need.cpus:g} vCPU")
    if memory < need.memory_mb or cpus < need.cpus:
        print(f"setup.sh: this container is too small ({memory} MB, {cpus:g} vCPU): {advice(assignment)}",
              file=sys.stderr)
        return 1
    return 0


def autograder_zip(assignment: str, out: Path, lang: str = "es", datasets: Path | None = None,
                   root: Path = ROOT) -> list[str]:
    """Write ``out``; returns its member names. ``datasets`` (a folder like COURSE_DATASETS_DIR) is copied in
    only when given: the repository never holds the datasets."""
    if not (root / "solutions" / f"{assignment}.ipynb").is_file():
        known = ", ".join(sorted(path.stem for path in (root / "solutions").glob("*.ipynb")))
        raise ValueError(f"no assignment {assignment!r}; choose one of {known}")
    # the datasets grading this assignment reads, as declared once per notebook (the Dask workers check the same)
    loaders = [f"load_{name}" for name in datasets_for(assignment)]
    files = [file for name in datasets_for(assignment) for file in DATASET_FILES[name]]
    if datasets is not None:
        missing = [name for name in files if not (Path(datasets) / name).is_file()]
        if missing:
            raise ValueError(f"{datasets} lacks {', '.join(missing)}: give the folder COURSE_DATASETS_DIR names")
    scripts = {"setup.sh": SETUP_SH.replace("__LOADERS__", json.dumps(loaders)).replace("__ASSIGNMENT__", assignment)
               .replace("__ADVICE__", advice(assignment)),
               "run_autograder": RUN_AUTOGRADER.replace("__ASSIGNMENT__", assignment).replace("__LANG__", lang)}
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder)
        shutil.copytree(root / "grader", staging / "grader", ignore=shutil.ignore_patterns(*CLUTTER))
        for name in PACKAGE_FILES:
            shutil.copy2(root / name, staging / name)
        (staging / "solutions").mkdir()   # for the control; setup.sh makes it root's alone
        shutil.copy2(root / "solutions" / f"{assignment}.ipynb", staging / "solutions" / f"{assignment}.ipynb")
        if datasets is not None:
            for name in files:
                (staging / "datasets" / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(datasets) / name, staging / "datasets" / name)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in scripts.items():
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o100755 << 16   # executable once unzipped, as Gradescope requires
                archive.writestr(info, text)
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(staging).as_posix())
        with zipfile.ZipFile(out) as archive:
            return archive.namelist()
