"""Similar submissions: pairs of students of one assignment whose exercise code is near-identical once names,
comments, strings and formatting are normalised, found with copydetect's winnowing fingerprints (the method
of MOSS).

Only code the student wrote counts: the exercise cells (metadata grader.exercise) of the submitted notebook,
minus the fingerprints of the same cells in the student notebook the kit ships (the stubs), minus the
fingerprints that more than COMMON submissions share (code everybody writes, such as a one-line formula).
A flag is a reason to look at two submissions, never a verdict.
"""
import io
import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grader.core import Incident, SubmissionResult
from grader.grading.discovery import read_notebook

STUBS = Path(__file__).resolve().parents[2] / "notebooks"   # the student notebooks: their code is no one's
NOISE = 25        # characters of normalised code in one fingerprint (copydetect's default noise threshold)
THRESHOLD = 0.5   # share of one submission's own code found in the other's (honest pairs in the tests: under 0.2)
MIN_SHARED = 200  # characters of normalised code two submissions must share: a few one-liners are not enough
COMMON = 10       # a fingerprint in more submissions than this is common knowledge (as MOSS's -m 10)
MAX_PAIRS = 50    # shown per assignment, most similar first
UNREAD = {Incident.UNSAFE_FILE.value, Incident.TOO_LARGE.value, Incident.INVALID_NOTEBOOK.value}


@dataclass
class Pair:
    assignment: str
    first: SubmissionResult
    second: SubmissionResult
    similarity: float            # the larger of the two shares of own code found in the other submission
    shares: tuple[float, float]
    shared: int                  # normalised characters in common
    code: tuple[str, str]
    slices: tuple                # copydetect's (2, N) arrays of matching character ranges in each code


def exercise_code(notebook) -> str:
    """The source of the notebook's exercise cells, in notebook order."""
    return "\n\n".join(cell.source for cell in notebook.cells
                       if cell.cell_type == "code" and cell.get("metadata", {}).get("grader", {}).get("exercise"))


def submitted_code(result: SubmissionResult) -> str:
    """The exercise code of a submission, read as the grader reads it (no links, size-capped); "" if none."""
    if result.status in UNREAD or not result.path:
        return ""
    notebook = read_notebook(Path(result.path))
    return "" if isinstance(notebook, tuple) else exercise_code(notebook)


def stub_code(assignment: str, stubs: Path = STUBS) -> str:
    path = stubs / f"{assignment}.ipynb"
    notebook = read_notebook(path) if path.is_file() else None
    return "" if notebook is None or isinstance(notebook, tuple) else exercise_code(notebook)


def fingerprint(code: str, boilerplate=()):
    from copydetect import CodeFingerprint  # deferred: copydetect imports matplotlib and jinja2
    import numpy as np
    return CodeFingerprint("exercise.py", NOISE, 1, np.array(sorted(boilerplate), dtype=np.int64),
                           language="python", fp=io.StringIO(code))


def compare(first: str, second: str, boilerplate: str = "") -> "Pair | None":
    """How similar two codes are, ``boilerplate``'s fingerprints left out; None when they share nothing."""
    excluded = fingerprint(boilerplate).hashes if boilerplate.strip() else set()
    return compare_prints("", (None, first), (None, second), fingerprint(first, excluded),
                          fingerprint(second, excluded))


def similar_pairs(results: list[SubmissionResult], stubs: Path = STUBS, threshold: float = THRESHOLD,
                  common: int = COMMON) -> list[Pair]:
    """Pairs of submissions of the same assignment over the threshold, most similar first."""
    pairs = []
    by_assignment = {}
    for result in results:
        by_assignment.setdefault(result.assignment, []).append(result)
    for assignment, group in sorted(by_assignment.items()):
        codes = [(result, code) for result in group if (code := submitted_code(result)).strip()]
        stub = stub_code(assignment, stubs)
        excluded = fingerprint(stub).hashes if stub.strip() else set()
        prints = [fingerprint(code, excluded) for _, code in codes]
        counts = Counter(h for p in prints for h in p.hashes)
        everyday = {h for h, count in counts.items() if count > common}
        if everyday:
            excluded |= everyday
            prints = [fingerprint(code, excluded) for _, code in codes]
        # Only pairs sharing enough fingerprints are compared (each fingerprint joins at most `common`
        # submissions): MIN_SHARED characters in common take at least MIN_SHARED // NOISE fingerprints.
        holders = {}
        for index, p in enumerate(prints):
            for h in p.hashes:
                holders.setdefault(h, []).append(index)
        in_common = Counter(pair for members in holders.values() for pair in itertools.combinations(members, 2))
        found = []
        for i, j in sorted(pair for pair, count in in_common.items() if count >= MIN_SHARED // NOISE):
            pair = compare_prints(assignment, codes[i], codes[j], prints[i], prints[j])
            if pair and pair.similarity >= threshold and pair.shared >= MIN_SHARED:
                found.append(pair)
        found.sort(key=lambda p: (-p.similarity, p.first.student, p.second.student))
        pairs += found[:MAX_PAIRS]
    return pairs


def compare_prints(assignment, first, second, one, two) -> Pair | None:
    from copydetect import compare_files
    if not one.token_coverage or not two.token_coverage:
        return None
    shared, shares, slices = compare_files(one, two)
    if not shared:
        return None
    shares = (float(shares[0]), float(shares[1]))
    return Pair(assignment, first[0], second[0], max(shares), shares, int(shared), (first[1], second[1]), slices)
