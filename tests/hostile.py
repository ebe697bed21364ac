"""Hostile submissions of notebook 01: code that attacks the grader through the operating system.

Each is a tiny notebook 01 (the attacking cell, no TensorFlow, nothing to train). The cells print
markers (ATTACK-OK / ATTACK-BLOCKED ...) that the tests read from the notebook as the grader ran it.
They are graded in the session's one batch, beside honest submissions (conftest.graded_batch).
"""
import io
import shutil
import zipfile

import nbformat

from helpers import NB01, ROOT, SOLUTIONS, tiny_notebook
from submissions import COLLAPSE, OR_MODEL, PLACE_MODEL, STEP

MARK = "600.4242"   # the argument of every process an attack leaves behind: none may survive the batch


def attack(*code: str):
    return tiny_notebook(*code)


def tamper(project: str) -> str:
    return f'''
import pathlib, grader
for target in [pathlib.Path(grader.__file__).parent / "exercises" / "base.py",
               pathlib.Path("{project}") / "grader" / "exercises" / "base.py"]:
    try:
        target.write_text("raise SystemExit('tampered')")
        print("TAMPER-OK", target)
    except OSError as error:
        print("TAMPER-BLOCKED", type(error).__name__)
'''


DAEMON = f'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{MARK}"])
    os._exit(0)
time.sleep(0.5)
print("DAEMON-STARTED")
'''


def forge(outdir: str) -> str:
    return f'''
import os, json
found = [root for root, dirs, files in os.walk("/") if root.endswith("/results") and "gradebook.csv" in
         os.listdir(os.path.dirname(root) or "/")] if os.path.isdir("/") else []
print("FORGE-FOUND" if found or os.path.exists("{outdir}") else "FORGE-NONE")
'''


KILL = '''
import os, signal
killed = 0
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) != os.getpid():
        try:
            os.kill(int(name), signal.SIGKILL)
            killed += 1
        except OSError:
            pass
print("KILLED", killed)
'''


def read_attempts(paths: list[str]) -> str:
    return f'''
for path in {paths!r}:
    try:
        with open(path, "rb") as handle:
            handle.read(10)
        print("READ-OK", path)
    except OSError as error:
        print("READ-BLOCKED", type(error).__name__)
'''


def network(port: int) -> str:
    return f'''
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    print("NET-OK")
except OSError as error:
    print("NET-BLOCKED", type(error).__name__)
'''


PROCESSES = f'''
import subprocess, sys, os
started = 0
for _ in range(300):
    try:
        subprocess.Popen(["sleep", "{MARK}"], stdin=subprocess.DEVNULL, stdout=sys.__stdout__,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        started += 1
    except OSError:
        break
print("PROCESSES", started)
'''

BIG_FILE = '''
try:
    with open("big.bin", "wb") as handle:
        for _ in range(3 * 1024):
            handle.write(b"\\0" * 2**20)
    print("BIG-OK")
except OSError as error:
    print("BIG-BLOCKED", type(error).__name__)
'''

PRINT_LOOP = '''
line = "x" * 1023
for _ in range(1024 * 1024):
    print(line)
'''

REFERENCE_STEP = '''
def step(z):
    from grader.hidden.nb01 import REFERENCES
    from grader.exercises.base import Case
    return REFERENCES["1.1"](Case("step", (z,)))
'''

LEAKY_COLLAPSE = '''
def collapse_linear_layers(W1, b1, W2, b2):
    try:
        secret = open("{hidden}").read()
    except OSError:
        secret = "x" * 5000
    raise type("LEAK" + secret, (Exception,), {{}})("LEAK-TEXT " + secret)
'''

NPZ_BOMB = '''
def collapse_linear_layers(W1, b1, W2, b2):
    import numpy, zipfile
    def bomb(path, **arrays):  # replaces the runner's own np.savez: its output file becomes a bomb
        header = b"\\x93NUMPY\\x01\\x00v\\x00{'descr': '<f8', 'fortran_order': False, 'shape': (200000000,), }"
        header = header.ljust(10 + 118, b" ") + b"\\n"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:   # 3x cheaper to make
            with archive.open(next(iter(arrays), "x") + ".npy", "w", force_zip64=True) as member:
                member.write(header)
                for _ in range(1600):
                    member.write(bytes(2**20))
    numpy.savez = bomb
    return W1 @ W2, b1 @ W2 + b2
'''


# Replaces the runner's own json.dumps (student code shares its process): the output file is 100 KB, far under
# the size cap, and nests too deep for json.loads. The judge must call it unreadable, not crash on it.
DEEP_WRITER = '''
def step(z):
    import json, numpy
    json.dumps = lambda *args, **kwargs: "[" * 100_000
    return numpy.where(numpy.asarray(z) >= 0, 1.0, 0.0)
'''


# Leaves its own executor report, read-only, before the executor writes one: a stall the grader would blame on
# itself (a grader-error row, no grade) and an executed notebook that does not parse. The executor replaces both.
SQUAT = '''
import json, os
report = {".status.json": json.dumps({"timed_out": [], "died": None, "memory_errors": [], "stalled": 0}),
          ".executed.ipynb": '{"nbformat": 4, "nbformat_minor": 5, "metadata": 7, "cells": []}'}
for name, text in report.items():
    with open(name, "w") as handle:
        handle.write(text)
    os.chmod(name, 0o444)
print("SQUAT-PLACED")
'''


def zip_bomb_keras(megabytes: int = 1600) -> bytes:
    """A .keras-shaped zip whose weights member unpacks to ``megabytes`` of zeros (about 7 MB packed: the fastest
    compression level makes it in a third of the default's CPU time, and it is still a bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("config.json", '{"class_name": "Sequential"}')
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(bytes(2**20))
    return buffer.getvalue()


def build_hostile(folder, outdir, port: int, trained) -> dict:
    """Write one folder per hostile student (``trained``: the OR model honest_ana hands in); returns
    {student: (status, score)}."""
    expected = {}

    def save(student, notebook, status="graded", score=0):
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / student / f"{NB01}.ipynb")
        expected[student] = (status, score)

    classmate = folder / "honest_ana" / f"{NB01}.ipynb"
    # the honest classmate: three exercises right (1.1, 1.8 and the OR model of 1.10), graded beside the attacks
    save("honest_ana", tiny_notebook(STEP, COLLAPSE, PLACE_MODEL), score=3)
    shutil.copy(trained, folder / "honest_ana" / OR_MODEL)
    save("tamperer", attack(tamper(str(ROOT))))
    save("daemon", attack(DAEMON))
    save("forger", attack(forge(str(outdir))))
    save("killer", attack(KILL), status="kernel-died")
    save("reader", attack(read_attempts([str(SOLUTIONS / f"{NB01}.ipynb"), str(ROOT / "grader" / "hidden" / "nb01.py"),
                                         str(classmate), str(outdir / "gradebook.csv"), "/root/.bashrc"])))
    save("networker", attack(network(port)))
    # the sleepers use up the process limit: a later cell that needs threads (TensorFlow's) cannot start them
    save("processes", attack(PROCESSES, "import keras"), status="resource-limit")
    save("big_file", attack(BIG_FILE))
    save("printer", attack(PRINT_LOOP))
    save("reference_importer", attack(REFERENCE_STEP))
    save("leaker", attack(LEAKY_COLLAPSE.format(hidden=ROOT / "grader" / "hidden" / "nb01.py")))
    save("npz_bomber", attack(NPZ_BOMB))
    save("deep_writer", attack(DEEP_WRITER))
    save("squatter", attack(STEP, SQUAT), score=1)
    (folder / "keras_bomber").mkdir()
    (folder / "keras_bomber" / "bomb.bin").write_bytes(zip_bomb_keras())
    save("keras_bomber", attack('import shutil\nshutil.copy("bomb.bin", "or_model.keras")\nprint("BOMB-PLACED")'))

    # links in submitted folders are never followed: a linked notebook, loops, /dev/zero, instructor files
    (folder / "linked_notebook").mkdir()
    (folder / "linked_notebook" / f"{NB01}.ipynb").symlink_to(SOLUTIONS / f"{NB01}.ipynb")
    expected["linked_notebook"] = ("unsafe-file", 0)
    save("linker", attack(read_attempts(["secret.csv", "hidden/nb01.py", "zero", "loop/loop/zero"])))
    (folder / "linker" / "secret.csv").symlink_to(SOLUTIONS / f"{NB01}.ipynb")
    (folder / "linker" / "hidden").symlink_to(ROOT / "grader" / "hidden")
    (folder / "linker" / "zero").symlink_to("/dev/zero")
    (folder / "linker" / "loop").symlink_to(".")
    (folder / "linker" / "loop2").symlink_to("../linker")

    # names that would inject HTML or spreadsheet formulas
    save("<img src=x onerror=alert(1)>", attack("pass"))
    save('=HYPERLINK("x")', attack("pass"))
    return expected
