"""Writing OUTDIR: every file is replaced atomically, so a crash never leaves half a file."""
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.") as handle:
        handle.write(text)
    os.replace(handle.name, path)
