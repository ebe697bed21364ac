"""Who submitted what: the notebooks under the paths given to ``grade``, their students, assignments and keys.

Students cannot steer it. A folder given on the command line is one student when it holds a notebook named
after an assignment (``entregas/ana/01_perceptron_or_xor.ipynb``), or when other folders beside it are given
too (``grade entregas/*``): every notebook under it, at any depth, is that student's. Otherwise it is a class
folder: each subfolder is one student, whatever it holds, and each other notebook directly in it is one
student named after the file (``entregas/ana_perez.ipynb``). Each student gets at most ``max_notebooks``
rows per assignment (the newest files; the others are named in the row's notes), and keys never collide.

Nothing here can stop the batch: folders are walked iteratively, at most MAX_DEPTH levels deep, never
through a link; names that are not UTF-8 are shown readably; any error with one file is that file's row.
"""
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.core import Incident, Note
from grader.exercises.registry import assignments
from grader.grading.files import (JUPYTER_CHECKPOINTS, MAX_DEPTH, UnsafeFile, read_capped, readable,
                                  regular_file_size, walk)
from grader.grading.limits import MAX_NOTEBOOK_BYTES
from grader.grading.store import submission_key
from grader.i18n import Msg

UNSAFE_FILE = Msg("no se leyó: es un enlace simbólico o un archivo especial ({error})",
                  "not read: it is a symbolic link or a special file ({error})")
TOO_LARGE = Msg("no se leyó: ocupa más de {limit} MB", "not read: it is larger than {limit} MB")
INVALID_NOTEBOOK = Msg("el archivo no es un cuaderno válido ({error})", "the file is not a valid notebook ({error})")
UNKNOWN_ASSIGNMENT = Msg("ni los metadatos del cuaderno ni el nombre del archivo nombran una práctica conocida",
                         "neither the notebook metadata nor the file name name a known assignment")
NOT_IDENTIFIED = Msg("el corrector no pudo leer este archivo: {error}", "the grader could not read this file: {error}")
EXTRA_NOTEBOOKS = Msg(
    "entregaste {total} cuadernos de esta práctica y solo cuentan los más recientes (como máximo {kept}, por fecha "
    "de modificación); no se calificaron: {names}",
    "you submitted {total} notebooks of this assignment and only the newest count (at most {kept}, by "
    "modification time); these were not graded: {names}")
NAMES_SHOWN = 10   # other notebooks named in a row's note


@dataclass
class Submission:
    path: Path
    student: str                       # as shown: readable even when the folder's name is not UTF-8
    assignment: str | None
    key: str
    incident: Incident | None = None   # why it cannot be graded at all
    reason: Msg | None = None
    folder: Path | None = None         # the student's own folder, whose data files the notebook may read
    notes: list[Note] = field(default_factory=list)   # about the submission, such as other notebooks left out


@dataclass
class Found:
    path: Path
    student: str                       # the name on disk (surrogate escapes and all): the student's identity
    folder: Path | None
    where: str                         # the path below the student's own folder, for notes


def find_submissions(paths: list[Path], known: list[str], too_deep: list[Path] | None = None,
                     one_student: bool = False) -> list[Found]:
    """Every .ipynb under the folders (and every file given directly), with its student (see the module's
    rule; ``one_student``: every folder given is one student's, as a Gradescope upload is). Links and special
    files named .ipynb are listed, to be refused, never followed."""
    paths = list({os.path.abspath(path): path for path in paths}.values())   # each path once
    folders = [path for path in paths if path.is_dir()]   # the instructor's paths: a link to a folder is followed
    parents = [Path(os.path.abspath(path)).parent for path in folders]
    found = []
    for path in paths:
        if path not in folders:
            found.append(loose_file(path, known))
            continue
        with_siblings = parents.count(Path(os.path.abspath(path)).parent) > 1
        owned = one_student or with_siblings or any(os.path.lexists(path / f"{name}.ipynb") for name in known)
        owner, subfolders = Path(os.path.abspath(path)).name, set()
        for folder, directories, files in walk(path, too_deep=too_deep):
            directories[:] = [name for name in directories if name != JUPYTER_CHECKPOINTS]
            relative = Path(folder).relative_to(path)
            for file in (Path(folder) / name for name in files if name.endswith(".ipynb")):
                if owned:
                    found.append(Found(file, owner, file.parent, str(file.relative_to(path))))
                    subfolders.update(relative.parts[:1])
                elif relative.parts:      # entregas/ana/…/x.ipynb → ana, at any depth
                    found.append(Found(file, relative.parts[0], file.parent,
                                       str(file.relative_to(path / relative.parts[0]))))
                else:                     # entregas/ana_perez.ipynb → ana_perez; the folder is everyone's
                    found.append(Found(file, file.stem, None, file.name))
        if len(subfolders) > 1:   # a class folder taken for one student would collapse into one row
            why = ("other folders beside it were given too" if with_siblings
                   else "it holds a notebook named after an assignment")
            print(f"warning: {readable(str(path))[:200]} is graded as one student ({readable(owner)[:80]}), because "
                  f"{why}: its notebooks in {len(subfolders)} subfolders count as that student's. If it is a class "
                  f"folder, grade it on its own, with no notebook named after an assignment directly in it.",
                  file=sys.stderr)
    return found


def loose_file(path: Path, known: list[str]) -> Found:
    """A file given on the command line: entregas/ana_perez.ipynb is ana_perez; entregas/ana/01_….ipynb is ana."""
    if path.stem in known:
        return Found(path, Path(os.path.abspath(path)).parent.name or path.stem, path.parent, path.name)
    return Found(path, path.stem, None, path.name)


def read_notebook(file: Path):
    """The notebook in ``file``, or (incident, reason): links, special and oversized files are not read."""
    try:
        size = regular_file_size(file)
    except (UnsafeFile, OSError) as error:
        return Incident.UNSAFE_FILE, UNSAFE_FILE.format(error=type(error).__name__)
    if size > MAX_NOTEBOOK_BYTES:
        return Incident.TOO_LARGE, TOO_LARGE.format(limit=MAX_NOTEBOOK_BYTES // 2**20)
    try:
        notebook = nbformat.reads(read_capped(file, MAX_NOTEBOOK_BYTES).decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
        return notebook
    except Exception as error:  # empty, truncated, not JSON, not a notebook...
        first_line = str(error).splitlines()[0][:160] if str(error) else ""
        return Incident.INVALID_NOTEBOOK, INVALID_NOTEBOOK.format(error=f"{type(error).__name__}: {first_line}")


def identify(found: Found, known: list[str]) -> Submission:
    """The submission in one file: its assignment from the metadata, else from the file name. Any error
    with this file is its own row's incident."""
    incident, reason, assignment = None, None, None
    try:
        notebook = read_notebook(found.path)
        if isinstance(notebook, tuple):
            incident, reason = notebook
        else:
            assignment = notebook.metadata.get("grader", {}).get("assignment")
    except Exception as error:  # noqa: BLE001  (a bug of ours with one file costs that file's row only)
        incident, reason = Incident.GRADER_ERROR, NOT_IDENTIFIED.format(error=type(error).__name__)
    if not isinstance(assignment, str) or assignment not in known:
        assignment = found.path.stem if found.path.stem in known else None
        if assignment is None and incident is None:
            incident, reason = Incident.UNKNOWN_ASSIGNMENT, UNKNOWN_ASSIGNMENT
    return Submission(found.path, readable(found.student), assignment,
                      submission_key(found.student, assignment or found.path.stem), incident, reason, found.folder)


def modified(found: Found) -> tuple[int, str]:
    """What "newest" means: the modification time, then the name (for files touched at the same time)."""
    try:
        return os.lstat(found.path).st_mtime_ns, found.where
    except OSError:
        return 0, found.where


def discover(paths: list[Path], max_notebooks: int = 1, one_student: bool = False) -> list[Submission]:
    """Every submission under ``paths``: at most ``max_notebooks`` per student and assignment, the newest
    (by modification time; ties by name), and the others named in each kept row's notes."""
    known, too_deep, groups = assignments(), [], {}
    for found in find_submissions(paths, known, too_deep, one_student):
        submission = identify(found, known)
        groups.setdefault((found.student, submission.assignment), []).append((found, submission))
    if too_deep:
        print(f"warning: {len(too_deep)} folder(s) more than {MAX_DEPTH} levels deep were not searched, such as "
              f"{readable(str(too_deep[0]))[:200]}", file=sys.stderr)
    submissions = []
    for (student, assignment), group in groups.items():
        group.sort(key=lambda pair: modified(pair[0]), reverse=True)
        kept, left_out = group[:max_notebooks], group[max_notebooks:]
        for rank, (found, submission) in enumerate(kept):
            if rank:   # more rows for one student and assignment: each file its own key
                submission.key = submission_key(student, assignment or found.path.stem, found.where)
            if left_out:
                names = [readable(other.where) for other, _ in left_out[:NAMES_SHOWN]]
                names += [f"… (+{len(left_out) - NAMES_SHOWN})"] if len(left_out) > NAMES_SHOWN else []
                submission.notes.append(Note(Incident.EXTRA_NOTEBOOKS, EXTRA_NOTEBOOKS.format(
                    total=len(group), kept=len(kept), names=", ".join(names))))
            submissions.append(submission)
    return submissions
