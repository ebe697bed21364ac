"""Mutation testing of the checks: small AST changes to a solution must fail the public plus hidden cases.

A mutant is the solution's definitions with one change in one of the exercise's functions: an
operator, a comparison, a constant, an axis, a dropped term or sign. It is *killed* when the grader's
verdict (public and hidden cases, with the references' answers) is not "correct". A mutant that
cannot be told apart from the solution by any input is *equivalent*; each notebook's test lists
those by id, with the reason.

A killed mutant that passes the public cases is a *secret gap*: the notebook shows ✅ and the grader
takes the point. There must be none, apart from probes that must stay secret (each notebook's test
lists them, with the reason). Besides the AST mutants, each notebook lists hand-written plausible
mistakes (``HAND_WRITTEN``), judged the same way.
"""
import ast
import copy
import functools
import random
import signal
from dataclasses import dataclass

from grader.core import Status
from grader.exercises.registry import get_exercise
from grader.grading.extract import extract_definitions
from grader.grading.sandbox import all_cases
from grader.runner import load_definitions
from helpers import SOLUTIONS, read

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
         ast.Pow: ast.Mult, ast.MatMult: ast.Mult,
         ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq}
SECONDS_PER_MUTANT = 60   # a mutant that loops is killed (a CPU-bound endless loop, not a slow machine)


@dataclass
class Mutant:
    id: str        # "function:line:what", stable while the solution does not change
    source: str    # the mutated function's source


def _mutations(node: ast.AST):
    """(description, mutate(node)) for each single change this node allows."""
    if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
        yield f"{type(node.op).__name__}->{SWAPS[type(node.op)].__name__}", lambda n: setattr(n, "op", SWAPS[type(n.op)]())
        yield "drop-right", "left"
        yield "drop-left", "right"
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
        yield f"{type(node.ops[0]).__name__}->{SWAPS[type(node.ops[0])].__name__}", \
            lambda n: setattr(n, "ops", [SWAPS[type(n.ops[0])]()])
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "drop-minus", "operand"
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield f"{node.value}->{not node.value}", lambda n: setattr(n, "value", not n.value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        for new in sorted({0, 1, node.value + 1, -node.value} - {node.value}):
            yield f"{node.value!r}->{new!r}", lambda n, new=new: setattr(n, "value", type(n.value)(new))
    elif isinstance(node, ast.keyword) and node.arg == "axis":
        yield "axis-dropped", "drop-keyword"


def mutants_of(function_source: str) -> list[Mutant]:
    tree = ast.parse(function_source)
    name = tree.body[0].name
    targets = [node for node in ast.walk(tree) if not isinstance(node, (ast.FunctionDef, ast.arguments))]
    found = []
    for index, node in enumerate(targets):
        for what, change in _mutations(node):
            mutated = copy.deepcopy(tree)
            target = [n for n in ast.walk(mutated) if not isinstance(n, (ast.FunctionDef, ast.arguments))][index]
            if change == "drop-keyword":
                parent = next(p for p in ast.walk(mutated) if isinstance(p, ast.Call) and target in p.keywords)
                parent.keywords.remove(target)
            elif isinstance(change, str):  # replace the node by one of its children
                parent, field, position = _parent_of(mutated, target)
                replacement = getattr(target, change)
                if position is None:
                    setattr(parent, field, replacement)
                else:
                    getattr(parent, field)[position] = replacement
            else:
                change(target)
            try:
                found.append(Mutant(f"{name}:{getattr(node, 'lineno', 0)}:{what}", ast.unparse(ast.fix_missing_locations(mutated))))
            except Exception:
                continue
    return [mutant for mutant in found if mutant.source != ast.unparse(tree)]


@functools.cache   # the test modules make their hand-written mutants at collection, in every pytest worker
def solution_snippets(assignment: str) -> tuple[str, ...]:
    return tuple(extract_definitions(read(SOLUTIONS, assignment))[0])


def hand_written(assignment: str, function: str, old: str, new: str, what: str) -> Mutant:
    """A plausible mistake written by hand: the solution's ``function`` with ``old`` replaced by ``new``."""
    source = next(snippet for snippet in solution_snippets(assignment) if snippet.startswith(f"def {function}("))
    assert source.count(old) == 1, (function, old)
    return Mutant(f"{function}:hand:{what}", source.replace(old, new))


def _parent_of(tree, child):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is child:
                return parent, field, None
            if isinstance(value, list) and child in value:
                return parent, field, value.index(child)
    raise ValueError("no parent")


class _TooSlow(Exception):
    pass


def _alarm(signum, frame):
    raise _TooSlow


KILLED_IN_PUBLIC, KILLED_IN_HIDDEN_ONLY, SURVIVED = "public", "hidden only", "survived"


def fate(exercise_id: str, snippets: list[str], mutant: Mutant) -> str:
    """Where the mutant dies: in the public cases (the notebook's check), only in the hidden ones, or nowhere.
    The cases run once; the public verdict judges the public outcomes alone, as the notebook's check does."""
    name = mutant.id.split(":")[0]
    mutated = [mutant.source if snippet.startswith(f"def {name}(") else snippet for snippet in snippets]
    if not any(snippet.startswith(f"def {name}(") for snippet in snippets):
        mutated = snippets + [mutant.source]  # a hand-written mutant of a function the solution lacks
    exercise = get_exercise(exercise_id)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_MUTANT)
    try:
        outcomes = exercise.run(load_definitions(mutated), all_cases(exercise))
    except _TooSlow:
        return KILLED_IN_PUBLIC
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if not exercise.judge([outcome for outcome in outcomes if not outcome.case.hidden]).correct:
        return KILLED_IN_PUBLIC
    return SURVIVED if exercise.judge(outcomes).status == Status.CORRECT else KILLED_IN_HIDDEN_ONLY


def killed(exercise_id: str, snippets: list[str], mutant: Mutant) -> bool:
    return fate(exercise_id, snippets, mutant) != SURVIVED


def mutation_report(assignment: str, exercise_id: str, sample: int = 40, seed: int = 0,
                    hand_written: tuple[Mutant, ...] = ()) -> dict[str, list[str]]:
    """{fate: mutant ids} for a fixed-seed sample of the mutants of an exercise's functions, plus the
    hand-written ones."""
    snippets = list(solution_snippets(assignment))
    exercise = get_exercise(exercise_id)
    mutants = [mutant for snippet in snippets for name in exercise.names if snippet.startswith(f"def {name}(")
               for mutant in mutants_of(snippet)]
    mutants = random.Random(seed).sample(mutants, min(sample, len(mutants))) + list(hand_written)
    report = {KILLED_IN_PUBLIC: [], KILLED_IN_HIDDEN_ONLY: [], SURVIVED: []}
    for mutant in mutants:
        report[fate(exercise_id, snippets, mutant)].append(mutant.id)
    return report


@dataclass
class NotebookMutation:
    score: float                   # share of non-equivalent mutants killed (public or hidden cases)
    survivors: list[str]           # non-equivalent mutants no case kills
    secret_gaps: dict[str, list]   # per exercise: mutants that pass the public cases and fail the hidden ones


def notebook_mutation(assignment: str, exercise_ids: list[str], equivalent: dict[str, str],
                      hand_written: dict[str, tuple[Mutant, ...]] | None = None) -> NotebookMutation:
    """The mutation run over a notebook's function exercises. ``equivalent`` maps a mutant id to why no
    input can tell it from the solution; ``hand_written`` maps an exercise id to plausible mistakes."""
    dead, alive, gaps = [], [], {}
    for exercise_id in exercise_ids:
        report = mutation_report(assignment, exercise_id, hand_written=(hand_written or {}).get(exercise_id, ()))
        dead += [m for m in report[KILLED_IN_PUBLIC] + report[KILLED_IN_HIDDEN_ONLY] if m not in equivalent]
        alive += [m for m in report[SURVIVED] if m not in equivalent]
        gaps[exercise_id] = report[KILLED_IN_HIDDEN_ONLY]
    return NotebookMutation(len(dead) / max(1, len(dead) + len(alive)), alive, gaps)


def notebook_score(assignment: str, exercise_ids: list[str], equivalent: dict[str, str]) -> tuple[float, list]:
    """Share of non-equivalent sampled mutants killed across the notebook's function exercises, and the
    survivors."""
    result = notebook_mutation(assignment, exercise_ids, equivalent)
    return result.score, result.survivors


def unlisted_gaps(result: NotebookMutation, secret_probes: dict[str, str]) -> dict[str, list]:
    """Per exercise, the secret gaps that are not a listed probe (``secret_probes``: mutant id → why it
    must stay secret)."""
    return {exercise_id: [m for m in gaps if m not in secret_probes]
            for exercise_id, gaps in result.secret_gaps.items()}
