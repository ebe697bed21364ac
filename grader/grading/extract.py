"""What of a notebook's source the function sandbox runs: imports, defs, classes and literal constants."""
import ast

from grader.i18n import Msg

SYNTAX_PROBLEM = Msg("{error} (línea {line})", "{error} (line {line})")


def _is_literal_assignment(node) -> bool:
    """NAME = <literal>: a constant a function may read. `x[0] = 1` is not one."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not all(isinstance(target, ast.Name) for target in targets):
        return False
    try:
        ast.literal_eval(node.value)
        return True
    except ValueError:
        return False


def extract_definitions(notebook) -> tuple[list[str], list[tuple[int, Msg]]]:
    """Return (top-level imports, defs, classes and literal constants in notebook order, syntax problems as
    (cell index, what Python said and where)).

    Nothing else of the notebook runs: training loops, prints and monkeypatching at
    top level stay in the student's kernel.
    """
    from IPython.core.inputtransformer2 import TransformerManager  # deferred: IPython is slow to import

    snippets, problems = [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        try:
            source = TransformerManager().transform_cell(cell.source)  # %magics → Python
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as error:
            line = getattr(error, "lineno", None)
            problems.append((index, SYNTAX_PROBLEM.format(error=getattr(error, "msg", error), line=line)))
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) or _is_literal_assignment(node):
                snippets.append(ast.unparse(node))
    return snippets, problems
