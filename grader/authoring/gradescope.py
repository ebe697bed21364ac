"""autograder.zip for Gradescope: the archive its "Zip file upload" autograder configuration asks for.

Gradescope unpacks the zip in /autograder/source, runs setup.sh once (as root, in its Ubuntu image) to build
the container, and then, for every submission, runs /autograder/run_autograder (a copy of ours) with the
student's files in /autograder/submission; the score is whatever /autograder/results/results.json says.
As in Otter-Grader's autograder.zip, setup.sh installs the pinned requirements and the package, and
run_autograder hands the submission to the package's own grader (grader.reports.gradescope.main).
"""
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from grader.authoring.release import CLUTTER, ROOT
from grader.data import DATASET_FILES
from grader.exercises.registry import datasets_for

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 or 24.04, whose
# python3 is 3.10 or 3.12: both are supported). For tests: AUTOGRADER_ROOT (default /autograder),
# AUTOGRADER_PYTHON (use that Python: no apt, no venv), GRADER_SKIP_PIP=1 (install nothing).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
if [ -z "${AUTOGRADER_PYTHON:-}" ]; then
    # bubblewrap: run_autograder jails student code when the container lets it create namespaces
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv bubblewrap git
    python3 -m venv "$ROOT/venv"
fi
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
if [ -z "${GRADER_SKIP_PIP:-}" ]; then
    "$PYTHON" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
    "$PYTHON" -m pip install --no-cache-dir "$SOURCE"
fi
# The datasets this assignment reads: the copy in the zip (datasets/), else the standard Keras download,
# once, into the image (KERAS_HOME), verified against the published checksums.
[ -d "$SOURCE/datasets" ] && export COURSE_DATASETS_DIR="$SOURCE/datasets"
cd "$SOURCE"
KERAS_HOME="$SOURCE/keras" PYTHONPATH="$SOURCE" "$PYTHON" -c "
import grader.data
for loader in __LOADERS__:
    getattr(grader.data, loader)()
print('grader ready:', grader.data.__file__)"
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
# Student code runs in the bubblewrap jail when this container allows it, else unjailed (the container is the
# sandbox). Set GRADER_ISOLATION=bwrap here to fail rather than grade unjailed, or none to skip the jail.
export GRADER_ISOLATION="${GRADER_ISOLATION:-}"
cd "$SOURCE"
exec "$PYTHON" -c "import sys; from grader.reports.gradescope import main; sys.exit(main())" --assignment "__ASSIGNMENT__" --submission "$ROOT/submission" \
    --results "$ROOT/results/results.json" --work "$ROOT/work"
"""

PACKAGE_FILES = ["requirements.txt", "pyproject.toml"]


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
    scripts = {"setup.sh": SETUP_SH.replace("__LOADERS__", json.dumps(loaders)),
               "run_autograder": RUN_AUTOGRADER.replace("__ASSIGNMENT__", assignment).replace("__LANG__", lang)}
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder)
        shutil.copytree(root / "grader", staging / "grader", ignore=shutil.ignore_patterns(*CLUTTER))
        for name in PACKAGE_FILES:
            shutil.copy2(root / name, staging / name)
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
