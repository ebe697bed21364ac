"""Build the student bundle: what students may see, and nothing the instructors keep."""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Copied as they are; grader/hidden/ is left out and solutions/ never goes.
BUNDLE = ["README.md", "requirements.txt", "pyproject.toml", "notebooks", "datasets", "grader"]
EXCLUDED = shutil.ignore_patterns("hidden", "__pycache__", "*.pyc", "*.keras", ".ipynb_checkpoints")


def release(outdir: Path, root: Path = ROOT) -> list[Path]:
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise FileExistsError(f"{outdir} is not empty: choose a new folder so nothing old is shipped by mistake")
    outdir.mkdir(parents=True, exist_ok=True)
    for name in BUNDLE:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, outdir / name, ignore=EXCLUDED)
        elif source.exists():
            shutil.copy2(source, outdir / name)
    return sorted(path for path in outdir.rglob("*") if path.is_file())
