"""grader.grading.jail: what code inside the jail can and cannot do, and the limits on its whole tree.
Each test runs a small Python program in a real jail (skipped, with the package to install, without it)."""
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import textwrap
import threading
from pathlib import Path

import psutil
import pytest

from grader.grading import jail
from grader.grading.submission import KIT
from helpers import ROOT, needs_jail, sandbox_environment

pytestmark = needs_jail
SANDBOX = {}
LIMITS = jail.JailLimits(cpu_seconds=20, memory_mb=1024, processes=32, file_mb=16, disk_mb=64)


def run_inside(tmp_path, program: str, limits=LIMITS, watch=lambda cpu: None):
    """Run ``program`` in the jail the grader uses; returns (its printed output, the run)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "program.py").write_text(textwrap.dedent(program))
    kit = tmp_path / "kit"
    where = sandbox_environment(kit) if not kit.exists() else SANDBOX[kit]
    SANDBOX[kit] = where
    run = where.run([sys.executable, "-u", f"{where.home(work)}/program.py"], work, limits, tmp_path / "log", watch)
    return (tmp_path / "log").read_text(errors="replace"), run


def test_the_instructors_files_outdir_and_home_are_not_there(tmp_path):
    output, run = run_inside(tmp_path, f"""
        import os
        for path in [{str(ROOT / "solutions")!r}, {str(ROOT / "grader" / "hidden")!r}, {str(tmp_path)!r},
                     "/root/.bashrc", {str(ROOT / ".git")!r}]:
            print(path, os.path.exists(path))
        print("home", sorted(os.listdir("/root")) if os.path.exists("/root") else [])
    """)
    assert run.returncode == 0, output
    assert output.count(" False") == 5, output
    assert set(eval(output.split("home ")[1])) <= {".pyenv"}, "of the real home, only the Python installation"


def test_student_code_imports_the_student_facing_package_only(tmp_path):
    output, run = run_inside(tmp_path, """
        import grader, importlib
        print("from", grader.__file__)
        for name in ["grader.hidden", "grader.grading", "grader.authoring", "grader.reports"]:
            try:
                importlib.import_module(name)
                print("IMPORTED", name)
            except ImportError:
                print("absent", name)
        from grader.exercises.registry import all_exercises
        print("exercises", len(all_exercises()))
    """)
    assert f"from {KIT}/grader/__init__.py" in output and "IMPORTED" not in output, output
    assert "exercises" in output


def test_the_filesystem_is_read_only_except_the_work_folder_and_tmp(tmp_path):
    output, run = run_inside(tmp_path, f"""
        import grader, os
        for path in [grader.__file__, {sys.prefix + "/pyvenv.cfg"!r}, "/usr/bin/env", "written.txt", "/tmp/x"]:
            try:
                with open(path, "a") as handle:
                    handle.write("x")
                print("WRITABLE", path)
            except OSError as error:
                print("read-only", path, type(error).__name__)
    """)
    assert output.count("WRITABLE") == 2 and "WRITABLE written.txt" in output and "WRITABLE /tmp/x" in output, output
    assert (tmp_path / "work" / "written.txt").read_text() == "x"


def test_no_network_and_no_host_processes(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    output, run = run_inside(tmp_path, f"""
        import os, socket, signal
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
            print("CONNECTED")
        except OSError as error:
            print("no network", type(error).__name__)
        try:
            os.kill({os.getpid()}, signal.SIGKILL)
            print("KILLED THE GRADER")
        except OSError as error:
            print("cannot signal", type(error).__name__)
        print("processes", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    """)
    server.close()
    assert "no network" in output and "cannot signal" in output, output
    visible = eval(output.split("processes ")[1].splitlines()[0])
    assert max(visible) < 10, output   # its own PID namespace: a handful of small PIDs


@pytest.mark.slow   # waits out a wall-clock backstop
def test_cpu_limit_stops_a_busy_loop_and_the_wall_backstop_a_sleeping_one(tmp_path):
    # a generous backstop for the busy loop, so a loaded machine cannot stop it by wall-clock first
    _, busy = run_inside(tmp_path, "while True:\n    pass", jail.JailLimits(cpu_seconds=1, memory_mb=1024, wall_factor=100))
    assert busy.limit == "cpu" and busy.cpu_seconds >= 1
    _, sleepy = run_inside(tmp_path, "import time\ntime.sleep(600)", jail.JailLimits(cpu_seconds=1, memory_mb=1024))
    assert sleepy.limit == "wall" and sleepy.cpu_seconds < 1


def test_watch_can_stop_the_jail(tmp_path):
    _, run = run_inside(tmp_path, "while True:\n    pass", watch=lambda cpu: "exercise" if cpu > 1 else None)
    assert run.limit == "exercise"


def test_memory_of_the_whole_tree_is_limited(tmp_path):
    # three children of 400 MB each under a 1 GB limit: the tree, not each process, is what counts
    output, run = run_inside(tmp_path, """
        import subprocess, sys
        children = [subprocess.Popen([sys.executable, "-c",
                                      "import time; block = bytearray(400 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(30)"])
                    for _ in range(3)]
        for child in children:
            child.wait()
    """)
    assert run.limit == "memory", (run, output)


def test_processes_are_limited_and_none_outlives_the_jail(tmp_path):
    output, run = run_inside(tmp_path, """
        import os, subprocess, time
        children = []
        for _ in range(100):
            try:
                children.append(subprocess.Popen(["sleep", "600.7777"], start_new_session=True))
            except OSError:
                break
        started = len(children)
        print("started", started)
        for child in children[:2]:  # the slots they free: a double-forked daemon
            child.kill()
            child.wait()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "600.7777"])
            os._exit(0)
    """)
    assert int(output.split("started ")[1].split()[0]) < 100, output
    survivors = [p for p in psutil.process_iter(["cmdline"]) if "600.7777" in " ".join(p.info["cmdline"] or [])]
    assert survivors == []


def test_files_and_disk_are_limited(tmp_path):
    output, run = run_inside(tmp_path, """
        try:
            with open("big.bin", "wb") as handle:
                for _ in range(100):
                    handle.write(bytes(2**20))
            print("BIG WRITTEN")
        except OSError as error:
            print("file limit", type(error).__name__)
        for number in range(20):
            with open(f"part{number}.bin", "wb") as handle:
                handle.write(bytes(15 * 2**20))
        import time
        time.sleep(5)
    """)
    assert "file limit" in output and run.limit == "disk", (run, output)


def test_a_process_holding_the_output_cannot_stall_the_grader(tmp_path):
    done = threading.Event()
    result = {}

    def grade():
        result["output"], result["run"] = run_inside(tmp_path, """
            import os, subprocess, sys
            subprocess.Popen(["sleep", "600.8888"], stdout=sys.stdout, stderr=sys.stderr, start_new_session=True)
            print("left a child holding stdout")
        """)
        done.set()

    threading.Thread(target=grade, daemon=True).start()
    assert done.wait(60), "the jail did not return although its program ended"
    assert "left a child" in result["output"]


# ---------------------------------------------------------------- every install route, every Python location

PROBE = """
import glob, importlib, importlib.util, subprocess, sys
import numpy
print("python", sys.prefix)
import grader
print("from", grader.__file__)
for name in ["grader.hidden", "grader.hidden.nb01", "grader.grading", "grader.authoring", "grader.cli"]:
    try:
        importlib.import_module(name)
        print("IMPORTED", name)
    except ImportError:
        print("absent", name)
for path in [SITE + "/grader/hidden/nb01.py", SITE + "/grader/hidden/__init__.py", SITE + "/grader/cli.py"]:
    try:
        open(path).read()
        print("READ", path)
    except OSError:
        print("unreadable", path)
    try:
        spec = importlib.util.spec_from_file_location("stolen", path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        print("LOADED", path)
    except (OSError, ImportError, AttributeError):
        print("not loaded", path)
# without PYTHONPATH, as a fresh interpreter sees the installed package
fresh = subprocess.run([sys.executable, "-I", "-c", "import grader.hidden.nb01"], capture_output=True)
print("fresh", "IMPORTED" if fresh.returncode == 0 else "absent")
print("copies", [path for folder in sys.path if folder != "/opt/kit" for path in glob.glob(folder + "/grader/*")])
"""

HOST = """
import sys
from pathlib import Path
from grader.authoring.release import student_package
from grader.grading import jail
work, kit, site = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
print("unavailable", jail.unavailable())
student_package(kit)
(work / "probe.py").write_text("SITE = %r\\n" % site + sys.argv[4])
where = jail.Environment(True, ((kit, "/opt/kit"),), (("PYTHONPATH", "/opt/kit"),))
run = where.run([sys.executable, "/home/student/probe.py"], work, jail.JailLimits(60, 2048), work.parent / "log")
print("returncode", run.returncode, run.limit)
"""


@pytest.mark.slow   # builds a virtual environment
def test_a_venv_under_tmp_with_the_package_installed_in_it_gives_the_jail_the_student_view_only(tmp_path):
    # finding 5: a venv under /tmp vanished under the jail's private /tmp; finding 2: a copy of the package in
    # site-packages (Gradescope's setup.sh ran `pip install` on the source) was readable inside.
    assert str(tmp_path).startswith("/tmp/")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (tmp_path / "link").symlink_to(venv)   # run by another name, as /autograder/venv might be a link
    python = tmp_path / "link" / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # numpy and the rest from this venv, through a .pth file, as a second site folder would give them
    (Path(site) / "kit_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    source = tmp_path / "source"
    shutil.copytree(ROOT / "grader", source / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                                "--no-index", "--target", site, str(source)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    assert (Path(site) / "grader" / "hidden" / "nb01.py").is_file()
    (tmp_path / "work").mkdir()
    host = subprocess.run([str(python), "-c", HOST, str(tmp_path / "work"), str(tmp_path / "kit"), site, PROBE],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    output = host.stdout + (tmp_path / "log").read_text(errors="replace")
    assert "unavailable None" in output and "returncode 0 " in output, output + host.stderr
    assert f"python {tmp_path / 'link'}" in output and "from /opt/kit/grader/__init__.py" in output, output
    assert output.count("absent") == 6 and output.count("unreadable") == 3 and output.count("not loaded") == 3, output
    assert "IMPORTED" not in output and "READ" not in output and "LOADED" not in output, output
    assert "copies []" in output, output


def test_the_probe_fails_with_one_line_when_the_python_cannot_run_inside(monkeypatch):
    monkeypatch.setattr(jail, "python_folders", lambda: ())   # as if the venv lived where the jail cannot see
    problem = jail.unavailable()
    assert problem and "cannot import numpy inside the jail" in problem and "\n" not in problem, problem
