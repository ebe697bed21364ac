"""Imports flow one way through the grader package: no cycles, and no module imports a layer above its own."""
import ast
import subprocess
import sys
from pathlib import Path

from grader.boundary import INSTRUCTOR_ONLY, PACKAGE_NAME, RUN_INSIDE, STUDENT_FACING

PACKAGE = Path(__file__).resolve().parent.parent / "grader"
# Lowest first. A module may import its own layer or lower ones; modules in the same layer must not form cycles.
LAYERS = [
    {"grader.runner", "grader.i18n", "grader.boundary"},
    {"grader.compare", "grader.data"},
    {"grader.core"},
    {"grader.exercises"},
    {"grader.hidden", "grader.notebook"},
    {"grader.grading", "grader.authoring"},
    {"grader.reports"},
    {"grader.cli", "grader.__main__", "grader"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every module's grader imports, function-local ones included, resolved to modules."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]) if node.level else ""
                module = ".".join(filter(None, [base, node.module]))
                candidates = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for candidate in candidates:
                while candidate and candidate not in modules:
                    candidate = candidate.rpartition(".")[0]
                if candidate and candidate != name and not name.startswith(candidate + "."):
                    targets.add(candidate)
        graph[name] = targets
    return graph


def layer_of(module: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if any(module == top or module.startswith(top + ".") for top in layer if top != "grader"):
            return rank
    assert module == "grader", f"{module} belongs to no layer: add it to LAYERS"
    return len(LAYERS) - 1


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycles():
    assert cycles(import_graph()) == []


def test_no_module_imports_a_higher_layer():
    upward = [(module, target) for module, targets in import_graph().items() for target in targets
              if layer_of(target) > layer_of(module)]
    assert upward == []


def test_the_checker_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_files_that_run_inside_the_jail_import_nothing_from_the_grader():
    # The sandbox copies runner.py, and the kernel's jail executor.py, alone next to the student's code.
    graph = import_graph()
    for path in RUN_INSIDE:
        assert graph[module_name(PACKAGE.parent / path)] == set(), path


def test_every_part_of_the_package_is_on_one_side_of_the_boundary():
    entries = {path.name.removesuffix(".py") for path in PACKAGE.iterdir() if path.name != "__pycache__"}
    assert entries == set(STUDENT_FACING) | set(INSTRUCTOR_ONLY), "classify it in grader/boundary.py"
    assert not set(STUDENT_FACING) & set(INSTRUCTOR_ONLY)


def test_student_facing_modules_import_nothing_instructor_only():
    def side(module):
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    reaching = [(module, target) for module, targets in import_graph().items() if side(module) in STUDENT_FACING
                for target in targets if side(target) in INSTRUCTOR_ONLY]
    assert reaching == []
    assert side(f"{PACKAGE_NAME}.hidden.nb01") == "hidden"



HEAVY_FOR = {
    # what a student's `import grader` and the instructor's command line load before any work needs it
    "grader": ("tensorflow", "keras", "dask", "distributed", "rich", "matplotlib", "copydetect"),
    "grader.cli": ("tensorflow", "keras", "dask", "distributed", "matplotlib", "copydetect"),
    # the class report and the exporters never load the grading machinery's cluster
    "grader.reports.class_report": ("tensorflow", "keras", "dask", "distributed"),
    # the judge: TensorFlow only where a model is loaded, never to start; nbclient only in the jail's executor
    "grader.grading.submission": ("tensorflow", "keras", "dask", "distributed", "nbclient", "jupyter_client"),
}


def test_importing_the_package_and_the_command_line_loads_no_heavy_library():
    probe = ("import importlib, sys\n"
             "importlib.import_module(sys.argv[1])\n"
             "print(' '.join(module for module in sys.argv[2:] if sys.modules.get(module) is not None))\n")
    for name, heavy in HEAVY_FOR.items():   # one fresh process each: what one import pulls in alone
        found = subprocess.run([sys.executable, "-c", probe, name, *heavy], capture_output=True, text=True,
                               timeout=120, cwd=PACKAGE.parent)
        assert found.returncode == 0, found.stderr[-2000:]
        assert found.stdout.strip() == "", f"import {name} loads {found.stdout.strip()}"

