"""Files that cross a trust boundary: what the grader writes to OUTDIR, and what it reads from submissions
and from jails. Nothing here follows a symbolic link or reads a file before checking its size, and nothing
recurses: a folder nested thousands of levels deep cannot exhaust the stack."""
import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

SAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_DEPTH = 32   # folder levels below a submitted folder that are searched; deeper ones are never entered


class UnsafeFile(ValueError):
    """A file the grader refuses to read: a link, a special file, too large, or a bomb."""


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.") as handle:
        handle.write(text)
    os.replace(handle.name, path)


def safe_name(text: str, limit: int = 80) -> str:
    """A file-name part made of safe characters; names that had to change get a short hash, so two
    different names never share a file."""
    cleaned = SAFE_CHARACTERS.sub("_", text).lstrip(".-")[:limit] or "_"
    if cleaned == text:
        return cleaned
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{cleaned}-{digest[:8]}"


def readable(name: str) -> str:
    """A file name as people read it. Names come from the file system with surrogate escapes for bytes that are
    not UTF-8 (an old zip tool writes Latin-1 "José"); those are decoded as Windows-1252, else Latin-1, so the
    name can be written, printed and shown."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:   # a surrogate that is no escaped byte
        raw = name.encode("utf-8", "surrogatepass")
    for encoding in ("utf-8", "cp1252", "latin-1"):
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode(encoding)


def walk(root: Path, max_depth: int = MAX_DEPTH, too_deep: list | None = None):
    """Like os.walk(root) top-down, with sorted names, but iterative and never following a link: yields
    (folder, directories, files); links and special files are listed in files. Removing names from
    directories prunes them. Folders more than ``max_depth`` levels below ``root`` are not entered: they
    are appended to ``too_deep``. A folder that cannot be listed is skipped."""
    stack = [(str(root), 0)]
    while stack:
        folder, depth = stack.pop()
        directories, files = [], []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_folder = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_folder = False
                    (directories if is_folder else files).append(entry.name)
        except OSError:
            continue
        directories.sort()
        files.sort()
        yield folder, directories, files
        for name in reversed(directories):
            if depth < max_depth:
                stack.append((os.path.join(folder, name), depth + 1))
            elif too_deep is not None:
                too_deep.append(Path(folder) / name)


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything under it, however deep (student code can nest folders past PATH_MAX)
    and however its modes were set; links are removed, never followed. Iterative, and only short names are
    used: each folder's subfolders are moved up to ``path`` before the folder is emptied and removed.
    What cannot be removed stays."""
    try:
        top = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)   # a file or a link
        return
    moved = 0
    try:
        pending = [entry.name for entry in os.scandir(top)]
        while pending:
            name = pending.pop()
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=top)
                continue
            with contextlib.suppress(OSError):
                os.chmod(name, 0o700, dir_fd=top)   # it is a folder: a student may have made it read-only
            try:
                folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
            except OSError:
                continue
            try:
                for entry in os.scandir(folder):
                    with contextlib.suppress(OSError):
                        if entry.is_dir(follow_symlinks=False):
                            moved += 1
                            target = f".removing-{os.getpid()}-{moved}"
                            os.rename(entry.name, target, src_dir_fd=folder, dst_dir_fd=top)
                            pending.append(target)
                        else:
                            os.unlink(entry.name, dir_fd=folder)
            finally:
                os.close(folder)
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=top)
    finally:
        os.close(top)
    with contextlib.suppress(OSError):
        os.rmdir(path)


@contextlib.contextmanager
def temporary_folder(prefix: str):
    """tempfile.TemporaryDirectory, removed with remove_tree: whatever student code left in it, however deep."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        remove_tree(folder)


def regular_file_size(path: Path) -> int:
    """The size of a regular file, without following a link; UnsafeFile for anything else."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFile(f"{path.name} is a link or a special file")
    return info.st_size


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file no larger than ``max_bytes``, opened without following links."""
    if regular_file_size(path) > max_bytes:
        raise UnsafeFile(f"{path.name} is larger than {max_bytes // 2**20} MB")
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew after the check
        raise UnsafeFile(f"{path.name} is larger than {max_bytes // 2**20} MB")
    return data


def read_json_capped(path: Path, max_bytes: int):
    """JSON from a file no larger than ``max_bytes`` (read_capped). A document nested too deep for json.loads
    raises ValueError, as a malformed one does, not RecursionError: what a jail wrote is read this way, and
    student code can write it."""
    data = read_capped(path, max_bytes)
    try:
        return json.loads(data)
    except RecursionError as error:
        raise ValueError(f"{path.name} is nested too deep") from error


def check_archive(path: Path, max_bytes: int, max_members: int = 1000) -> None:
    """A zip (.keras, .npz) whose members, as their headers declare them, fit in ``max_bytes`` unpacked."""
    if regular_file_size(path) > max_bytes:
        raise UnsafeFile(f"{path.name} is larger than {max_bytes // 2**20} MB")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsafeFile(f"{path.name} is not a readable archive ({type(error).__name__})") from error
    if len(members) > max_members or sum(member.file_size for member in members) > max_bytes:
        raise UnsafeFile(f"{path.name} unpacks to more than {max_bytes // 2**20} MB")


JUPYTER_CHECKPOINTS = ".ipynb_checkpoints"   # Jupyter's autosaved copies: never a submission, never data
# What of a student's folder travels with the notebook: no notebooks (each is graded on its own), no models the run
# did not produce, no Jupyter copies or Python caches.
FOLDER_SKIP = ("*.ipynb", "*.keras", JUPYTER_CHECKPOINTS, "__pycache__")


def read_regular_files(source: Path, max_bytes: int, max_files: int,
                       skip=shutil.ignore_patterns(*FOLDER_SKIP)) -> tuple[dict[str, bytes], list[str]]:
    """The regular files under ``source`` as {relative path: bytes} (links and special files are never
    followed or read), up to ``max_bytes`` and ``max_files`` in all and MAX_DEPTH levels deep, leaving out
    what ``skip`` names (a student's folder: FOLDER_SKIP); and what was left out, and why."""
    found, left_out, total, too_deep = {}, [], 0, []
    for folder, directories, files in walk(source, too_deep=too_deep):
        relative = Path(folder).relative_to(source)
        ignored = skip(folder, directories + files)
        directories[:] = [d for d in directories if d not in ignored]
        for name in sorted(set(files) - set(ignored)):
            path = Path(folder) / name
            try:
                size = regular_file_size(path)
            except (UnsafeFile, OSError):
                left_out.append(f"{relative / name}: not a regular file")
                continue
            if total + size > max_bytes or len(found) + 1 > max_files:
                left_out.append(f"{relative / name}: over the size limit of the submitted folder")
                continue
            found[str(relative / name)] = read_capped(path, size)
            total += size
    left_out += [f"{readable(str(path.relative_to(source)))[:200]}: more than {MAX_DEPTH} folders deep"
                 for path in too_deep[:10]]
    return found, left_out


def write_files(files: dict[str, bytes], target: Path) -> None:
    """Write {relative path: bytes} under ``target``; a path that would leave ``target`` is refused."""
    for relative, data in files.items():
        path = (target / relative).resolve()
        if not path.is_relative_to(target.resolve()):
            raise UnsafeFile(f"{relative} is outside the submitted folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def copy_regular_files(source: Path, target: Path, max_bytes: int, max_files: int,
                       skip=shutil.ignore_patterns(*FOLDER_SKIP)) -> list[str]:
    """Copy the regular files under ``source`` (see read_regular_files). Returns what was left out, and why."""
    files, left_out = read_regular_files(source, max_bytes, max_files, skip)
    write_files(files, target)
    return left_out
