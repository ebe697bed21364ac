"""The student-facing package and the student bundle: what students may see, and nothing instructors keep.

The same student-facing copy of the package is what the grading jail imports, so reference code,
hidden cases and the grader itself are never importable by student code.
"""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "grader"
# Never in the student-facing package: hidden cases and references, and the instructor's tools.
INSTRUCTOR_ONLY = ("hidden", "grading", "authoring", "reports", "cli.py", "__main__.py")
CLUTTER = ("__pycache__", "*.pyc", "*.keras", ".ipynb_checkpoints")
BUNDLE = ["README.md", "requirements.txt", "pyproject.toml", "notebooks", "datasets"]


def student_package(target: Path, package: Path = PACKAGE) -> Path:
    """Copy the student-facing part of the package to ``target``/grader; returns that folder."""
    destination = Path(target) / "grader"
    shutil.copytree(package, destination, ignore=shutil.ignore_patterns(*INSTRUCTOR_ONLY, *CLUTTER))
    return destination


def release(outdir: Path, root: Path = ROOT) -> list[Path]:
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise FileExistsError(f"{outdir} is not empty: choose a new folder so nothing old is shipped by mistake")
    outdir.mkdir(parents=True, exist_ok=True)
    for name in BUNDLE:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, outdir / name, ignore=shutil.ignore_patterns(*CLUTTER))
        elif source.exists():
            shutil.copy2(source, outdir / name)
    student_package(outdir, root / "grader")
    return sorted(path for path in outdir.rglob("*") if path.is_file())
