"""The student-facing package and the student bundle: what students may see, and nothing instructors keep.

What is student-facing is defined once, in grader.boundary. The same student-facing copy of the package is
what the grading jail imports (the jail masks every other installed copy), so reference code, hidden cases
and the grader itself are never importable by student code.
"""
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import nbformat

from grader.authoring.build import TOKEN, canonical_json
from grader.boundary import CLUTTER, is_student_facing

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "grader"
BUNDLE = ["requirements.txt", "pyproject.toml", "notebooks", "datasets"]
# The students' own README (Spanish), bundled as README.md; the instructor README stays behind.
STUDENT_README = "docs/README_estudiantes.md"

GITHUB = re.compile(r"^https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?$")


def token_values(repo_url: str, branch: str) -> dict[str, str]:
    """What each token becomes; raises ValueError for an address pip cannot install from."""
    parts = urlparse(repo_url)   # "@" only before the host (ssh://git@host/…): after the path it names the branch
    if parts.scheme not in ("https", "http", "file", "ssh") or "@" in parts.path or any(c in repo_url for c in " \"'\n"):
        raise ValueError(f"--repo-url {repo_url!r}: give the repository's address, such as "
                         "https://github.com/OWNER/NAME")
    if not re.fullmatch(r"[\w./-]+", branch):
        raise ValueError(f"--branch {branch!r} is not a branch name")
    github = GITHUB.match(repo_url)
    return {"REPO_URL": repo_url.rstrip("/"), "BRANCH": branch, "GITHUB_REPO": github.group(1) if github else ""}


def fill(text: str, values: dict[str, str]) -> str:
    """Fill every token; lines that need {{GITHUB_REPO}} (the Colab badges) go when there is none."""
    if not values["GITHUB_REPO"]:
        text = "\n".join(line for line in text.split("\n") if "{{GITHUB_REPO}}" not in line)
    return TOKEN.sub(lambda match: values[match.group(1)], text)


def fill_notebook(path: Path, values: dict[str, str]) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.source = fill(cell.source, values)
    path.write_text(canonical_json(notebook), encoding="utf-8")


def student_package(target: Path, package: Path = PACKAGE) -> Path:
    """Copy the student-facing part of the package (grader.boundary) to ``target``/grader, readable by everyone
    (an unprivileged user imports it where there is no jail); returns that folder."""
    destination, clutter = Path(target) / "grader", shutil.ignore_patterns(*CLUTTER)

    def ignore(folder, names):
        top = Path(folder) == Path(package)
        return clutter(folder, names) | {name for name in names if top and not is_student_facing(Path(name))}

    shutil.copytree(package, destination, ignore=ignore)
    for folder, _, files in os.walk(destination):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return destination


def release(outdir: Path, repo_url: str, branch: str = "main", root: Path = ROOT) -> list[Path]:
    """Write the student bundle to ``outdir``, its links and install cells pointing at ``repo_url``."""
    values = token_values(repo_url, branch)
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
    shutil.copy2(root / STUDENT_README, outdir / "README.md")
    student_package(outdir, root / "grader")
    for notebook in (outdir / "notebooks").glob("*.ipynb"):
        fill_notebook(notebook, values)
    readme = outdir / "README.md"
    readme.write_text(fill(readme.read_text(encoding="utf-8"), values), encoding="utf-8")
    return sorted(path for path in outdir.rglob("*") if path.is_file())
