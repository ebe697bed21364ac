"""A Colab-like run of the release: notebook 02's own install cell installs the kit from the published
repository into a fresh environment, and every check of the solved notebook says ✅."""
import json
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbclient
import nbformat
import pytest

from grader.authoring import build
from grader.authoring.release import fill, release, token_values
from grader.exercises.registry import exercises_for
from helpers import SOLUTIONS

NB02 = "02_apples_vs_oranges"
KIT_FILES = ("__editable__", "curso_redes_neuronales_grader")   # this checkout's own install of the kit


def solved_release(assignment: str, values: dict) -> nbformat.NotebookNode:
    """The solution notebook as the release would ship it if solutions were kept: hidden cells, markers and
    outputs gone, tokens filled, the solution regions left in."""
    notebook = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    for transform in build.STUDENT_PIPELINE:
        if transform is not build.stub_solutions:
            notebook = transform(notebook, assignment)
    for cell in notebook.cells:
        cell.source = fill(cell.source, values)
    return notebook


def dependencies_without_the_kit(target: Path) -> Path:
    """A folder of links to everything in this venv's site-packages except the kit's own editable install
    (its .pth hook, finder and dist-info) and the .pth files, so the fresh venv sees the dependencies but
    not the kit."""
    target.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(KIT_FILES) and entry.suffix != ".pth" and entry.name != "__pycache__":
            (target / entry.name).symlink_to(entry)
    return target


@pytest.mark.slow
def test_release_installs_and_passes_in_a_colab_like_kernel(tmp_path, monkeypatch):
    """Colab-like, and offline:

    1. ``release --repo-url file://…`` writes the bundle, which becomes a local git repository (branch main):
       the notebooks' install cell reads ``pip install git+file://…@main``.
    2. A fresh venv gets, through one .pth file, a folder of links to this test venv's site-packages minus the
       kit's editable-install hook and dist-info, so pip treats TensorFlow and the other dependencies as
       installed and installs only the kit (without reinstalling TensorFlow); a second .pth puts a stand-in
       ``google.colab`` on the path, and the kernel imports it at start, as Colab's does.
    3. nbclient runs notebook 02, with the solution code, in that venv's kernel. Its first cell sees
       ``google.colab``, installs the kit from the repository (a regular, non-editable install, so the fruit
       table must come as package data), and every check must print ✅.

    Nothing reaches the network: pip runs with no index and without build isolation (setuptools and wheel come
    from the linked site-packages), and every HTTP(S) proxy points at a closed port on 127.0.0.1.
    """
    bundle = tmp_path / "kit"
    values = token_values(bundle.as_uri(), "main")
    release(bundle, bundle.as_uri(), "main")
    git = ["git", "-c", "user.name=curso", "-c", "user.email=curso@example.org", "-C", str(bundle)]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "release"]):
        subprocess.run(git + command, check=True, capture_output=True)

    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True)
    site = Path(subprocess.run([fresh / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_course_dependencies.pth").write_text(f"{dependencies_without_the_kit(tmp_path / 'deps')}\n")
    standin = tmp_path / "colab" / "google" / "colab"   # google/ stays a namespace package (protobuf lives there)
    standin.mkdir(parents=True)
    (standin / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab: only its presence matters."""\n')
    (site / "colab_standin.pth").write_text(f"{tmp_path / 'colab'}\n")

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))   # bound, never listening: any attempt to go online is refused at once
    proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    kernels = tmp_path / "jupyter" / "kernels" / "colab-like"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(fresh / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.exec_lines=import google.colab"],
        "display_name": "Colab-like", "language": "python",
        "env": {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "http_proxy": proxy, "https_proxy": proxy, "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy,
                "no_proxy": "", "NO_PROXY": "", "PYTHONNOUSERSITE": "1", "PYTHONPATH": ""}}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))

    notebook = solved_release(NB02, values)
    install_cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert f'"git+{bundle.as_uri()}@main"' in install_cell.source and 'if "google.colab" in sys.modules' in install_cell.source
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import grader, importlib.metadata\n"
        "print(grader.__file__)\n"
        "print(importlib.metadata.distribution('curso-redes-neuronales-grader').read_text('direct_url.json'))"))
    work = tmp_path / "work"
    work.mkdir()
    try:
        nbclient.NotebookClient(notebook, timeout=600, kernel_name="colab-like",
                                resources={"metadata": {"path": str(work)}}).execute()
    finally:
        closed.close()

    def printed(cell):
        return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")

    where, origin = printed(notebook.cells[-1]).splitlines()[:2]
    assert where.startswith(str(site)), f"the kit was imported from {where}, not installed in the fresh venv"
    assert json.loads(origin)["url"] == bundle.as_uri() and "editable" not in json.loads(origin).get("dir_info", {})
    checks = [cell for cell in notebook.cells if cell.cell_type == "code" and "check(" in cell.source]
    verdicts = [line for cell in checks for line in printed(cell).splitlines() if line[:1] in "✅❌⏳"]
    assert len(verdicts) == sum(cell.source.count("check(") for cell in checks), verdicts
    assert all(line.startswith("✅") for line in verdicts), verdicts
    assert {line.split()[2].rstrip(":") for line in verdicts} == {e.id for e in exercises_for(NB02)}
