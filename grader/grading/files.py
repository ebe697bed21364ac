"""Files that cross a trust boundary: what the grader writes to OUTDIR, and what it reads from submissions
and from jails. Nothing here follows a symbolic link or reads a file before checking its size."""
import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

SAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


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
    return f"{cleaned}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


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


def read_regular_files(source: Path, max_bytes: int, max_files: int,
                       skip=shutil.ignore_patterns()) -> tuple[dict[str, bytes], list[str]]:
    """The regular files under ``source`` as {relative path: bytes} (links and special files are never
    followed or read), up to ``max_bytes`` and ``max_files`` in all; and what was left out, and why."""
    found, left_out, total = {}, [], 0
    for folder, directories, files in os.walk(source, followlinks=False):
        relative = Path(folder).relative_to(source)
        ignored = skip(folder, directories + files)
        directories[:] = [d for d in directories if d not in ignored and not os.path.islink(os.path.join(folder, d))]
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
                       skip=shutil.ignore_patterns()) -> list[str]:
    """Copy the regular files under ``source`` (see read_regular_files). Returns what was left out, and why."""
    files, left_out = read_regular_files(source, max_bytes, max_files, skip)
    write_files(files, target)
    return left_out
