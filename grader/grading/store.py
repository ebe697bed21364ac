"""OUTDIR/results/: one JSON file per submission, each signed with a key only the grader holds.

The key lives in OUTDIR/.grader-key (mode 0600), which no jail can see. A result file whose MAC
does not match was not written by this grader with this key: it is never trusted, and its
submission is graded again. File names come from the grader's own safe names, never from a
result file's contents.
"""
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from pathlib import Path

from grader.core import SubmissionResult
from grader.grading.files import SAFE_CHARACTERS, UnsafeFile, read_capped, read_json_capped, readable, write_atomically

KEY_FILE = ".grader-key"
MAX_RESULT_BYTES = 4 * 2**20
PLAIN = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*")   # no "__", no leading or trailing punctuation
HASHED = re.compile(r".*-[0-9a-f]{12}")


def submission_key(student: str, assignment: str, variant: str = "") -> str:
    """``<student>__<assignment>`` when both are plain names (letters, digits and single ``._-`` between them)
    and there is no ``variant``; otherwise a readable form of them plus a hash of all three, so two different
    submissions never share a key (a plain key never ends like a hashed one)."""
    plain = f"{student}__{assignment}"
    if not variant and all(PLAIN.fullmatch(part) and len(part) <= 80 and not HASHED.fullmatch(part)
                           for part in (student, assignment)):
        return plain
    identity = json.dumps([student, assignment, variant]).encode("utf-8", "surrogatepass")
    return f"{_cleaned(student)}__{_cleaned(assignment)}-{hashlib.sha256(identity).hexdigest()[:12]}"


def _cleaned(name: str) -> str:
    """A readable, file-safe stand-in for ``name`` (accents dropped), never with two underscores in a row."""
    ascii_name = unicodedata.normalize("NFKD", readable(name)).encode("ascii", "ignore").decode()
    return re.sub(r"_+", "_", SAFE_CHARACTERS.sub("_", ascii_name)).strip("._-")[:60] or "_"


class ResultStore:
    def __init__(self, outdir: Path):
        self.outdir = outdir
        self.folder = outdir / "results"
        self._key = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            path = self.outdir / KEY_FILE
            if not path.exists():
                self.outdir.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(secrets.token_hex(32))
            self._key = read_capped(path, 1024).strip()
        return self._key

    def mac(self, data: dict) -> str:
        payload = json.dumps({k: v for k, v in data.items() if k != "mac"}, sort_keys=True, ensure_ascii=False)
        # surrogatepass: a path read with surrogate escapes (a name that is not UTF-8) is signed as well
        return hmac.new(self.key, payload.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def save(self, result: SubmissionResult) -> None:
        data = result.to_json()
        data["mac"] = self.mac(data)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        try:
            text.encode()
        except UnicodeEncodeError:   # a path that is not UTF-8: kept, as \udcXX escapes that load back the same
            text = json.dumps(data, indent=1)
        write_atomically(self.path(result.key), text)

    def load(self, path: Path) -> SubmissionResult | None:
        """The result in ``path`` if this grader wrote it; None for anything else."""
        try:
            data = read_json_capped(path, MAX_RESULT_BYTES)
            if not isinstance(data, dict) or not hmac.compare_digest(str(data.get("mac", "")), self.mac(data)):
                return None
            result = SubmissionResult.from_json(data)
        except (OSError, ValueError, KeyError, TypeError, UnsafeFile):
            return None
        # the file's name is the grader's; the key field is only checked against it
        return result if self.path(result.key) == path else None

    def load_all(self) -> list[SubmissionResult]:
        if not self.folder.is_dir():
            return []
        return [result for path in sorted(self.folder.glob("*.json")) if (result := self.load(path)) is not None]
