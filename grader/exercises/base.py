"""The two kinds of exercise. Each knows how to check itself in the notebook and how to be graded.

A function exercise is judged in two steps, so that the same logic serves the
notebook and the autograder:
  * its cases are run against the student's functions (``grader.runner.call``:
    in the notebook's own process, or in a sandbox during grading);
  * ``judge`` decides correct / wrong / not attempted from those outcomes only.
Judges never compute a reference answer: each case carries it as data
(``Case.expected``). The public cases' answers ship with the package
(grader/resources/expected/, written by ``python -m grader build``); when grading,
the grading-only references in grader/hidden/ compute them for every case.
A failed hidden case names the function and, at most, a built-in exception's type:
never its inputs, the expected answer, the judge's diagnosis or the exception's text.

A model exercise judges the saved model file, loaded in safe mode, exactly as the
grader loads it: in the notebook and when grading.
"""
import builtins
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.core import Case, Outcome, Status, Verdict
from grader.data import load_expected
from grader.i18n import Msg
from grader.runner import INPUT_MODIFIED, UNREADABLE_OUTPUT, UNSUPPORTED_OUTPUT, call

CORRECT = Msg("Ejercicio {id}: ¡correcto!", "Exercise {id}: correct!")
UNSAVED = Msg("`{name}` existe en el cuaderno, pero no está guardado en {file}: el corrector solo ve el archivo. "
              "Guárdalo con ese nombre y vuelve a comprobar.",
              "`{name}` exists in the notebook but is not saved as {file}: the grader only sees the file. "
              "Save it under that name and check again.")
HINTS_AVAILABLE = Msg(" Hay {count} pistas: hint(\"{id}\"), hint(\"{id}\", 2)…",
                      " There are {count} hints: hint(\"{id}\"), hint(\"{id}\", 2)…")
DEPENDENCY_FIRST = {
    False: Msg("Ejercicio {id}: usa tu {names}, que aún no pasa el ejercicio {dependency}. "
               "Arregla primero el {dependency} (check(\"{dependency}\")).",
               "Exercise {id}: it uses your {names}, which does not pass exercise {dependency} yet. "
               "Fix {dependency} first (check(\"{dependency}\"))."),
    True: Msg("Ejercicio {id}: usa tus {names}, que aún no pasan el ejercicio {dependency}. "
              "Arregla primero el {dependency} (check(\"{dependency}\")).",
              "Exercise {id}: it uses your {names}, which do not pass exercise {dependency} yet. "
              "Fix {dependency} first (check(\"{dependency}\")).")}
# A failed hidden case, whatever went wrong: one template, so the class report counts them together.
HIDDEN_FAILURE = Msg("{call} falla en una prueba oculta{error}: pruébala con otras entradas, incluidos casos límite",
                     "{call} fails a hidden test{error}: try it on other inputs, including edge cases")
HIDDEN_ERROR = Msg(" (lanza {type})", " (it raises {type})")
INPUT_CHANGED = Msg("modificaste la entrada `{argument}` en su sitio (con +=, -= o asignando a sus elementos): "
                    "quien llama a la función pierde su array. Calcula y devuelve arrays nuevos",
                    "you modified the input `{argument}` in place (with +=, -= or by assigning to its elements): "
                    "the caller loses its array. Compute and return new arrays")
UNUSABLE_OUTPUT = {
    UNSUPPORTED_OUTPUT: Msg("devolvió un valor de tipo {type}, que el corrector no puede leer: devuelve números, "
                            "arrays de NumPy, tuplas o listas",
                            "returned a value of type {type}, which the grader cannot read: return numbers, NumPy "
                            "arrays, tuples or lists"),
    UNREADABLE_OUTPUT: Msg("devolvió un valor que no se pudo leer ({type})",
                           "returned a value that could not be read back ({type})")}
# Errors students meet often, explained in words they understand: (exception type, words of its text, explanation).
EXPLAINED_ERRORS = [
    ("ValueError", "truth value of an array", Msg(
        "usaste un `if` (o `and`, `or`, `max`…) de Python con un array. Python necesita un único True o False, "
        "pero una comparación con un array da un valor por elemento. Usa operaciones de NumPy que trabajen "
        "elemento a elemento, sin `if`",
        "you used a Python `if` (or `and`, `or`, `max`…) on an array. Python needs a single True or False, but "
        "comparing an array gives one value per element. Use NumPy operations that work element by element, "
        "without `if`")),
    ("ValueError", "could not be broadcast", Msg(
        "operaste dos arrays cuyas formas no encajan elemento a elemento; imprime las formas (.shape) de cada "
        "operando y revisa cuál sobra o falta",
        "you combined two arrays whose shapes do not match element-wise; print the shapes (.shape) of each "
        "operand and check which dimension is extra or missing")),
    ("ValueError", "matmul", Msg(
        "en un producto de matrices A @ B, el número de columnas de A debe ser el de filas de B; imprime las "
        "formas (.shape) y revisa si falta una transpuesta (.T) o el orden de los factores",
        "in a matrix product A @ B, the columns of A must match the rows of B; print the shapes (.shape) and "
        "check whether a transpose (.T) or the order of the factors is wrong")),
    ("ZeroDivisionError", "", Msg("dividiste entre cero", "you divided by zero")),
]


def explain(error_type: str, error_text: str) -> Msg:
    """An exception as feedback: a known mistake in plain words (after the original text), else the text."""
    for kind, words, explanation in EXPLAINED_ERRORS:
        if error_type == kind and words in error_text:
            return Msg.same("{type} («{text}»): {explanation}").format(explanation=explanation, type=error_type,
                                                                       text=error_text.split(". ")[0])
    return Msg.same("{type}: {text}").format(type=error_type, text=error_text)


@dataclass
class Exercise:
    id: str
    assignment: str
    title: Msg
    names: tuple[str, ...]   # what the student defines: functions, or the model variable
    hints: tuple[Msg, ...]   # from a concept to a formula or sub-step; never code
    points: int = 1
    # Functions of earlier exercises this one calls: {function name: exercise id}. Graded with the
    # reference versions of those functions, so one bug costs one exercise.
    uses: dict[str, str] = field(default_factory=dict)
    # Functions the notebook gives for this exercise's test and asks the student not to change: {name: the
    # snippets that define it, its imports first}. check() and grading run this copy, not the notebook's.
    harness: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def check(self, namespace: dict) -> Verdict:
        """The verdict in the notebook, from the student's live namespace (public cases only)."""
        raise NotImplementedError

    def grade(self, workdir: Path, sandbox_verdicts: dict[str, Verdict]) -> Verdict:
        """The verdict when grading: from the folder the notebook ran in, or the function sandbox's verdicts."""
        raise NotImplementedError

    @property
    def artifacts(self) -> tuple[str, ...]:
        """Files of the notebook's folder that grading loads (their size is checked first)."""
        return ()

    def correct(self) -> Verdict:
        return Verdict(Status.CORRECT, CORRECT.format(id=self.id))

    def wrong(self, message: Msg, reason: Msg | None = None, hidden: bool = False) -> Verdict:
        """A wrong verdict, which says how many hints there are. ``reason``: the mistake itself (its template
        groups the same mistake across students), when ``message`` wraps it."""
        reason = reason or message
        if len(self.hints) > 1:
            stop = "" if message.es.rstrip().endswith((".", "?", "!", ")")) else "."
            message = Msg.same("{message}{stop}{hints}").format(
                message=message, stop=stop, hints=HINTS_AVAILABLE.format(count=len(self.hints), id=self.id))
        return Verdict(Status.WRONG, message, reason.key, hidden, reason.key_en)

    def dependencies(self) -> dict[str, list[str]]:
        """{earlier exercise id: the functions of it this exercise uses}."""
        grouped = {}
        for name, dependency in self.uses.items():
            grouped.setdefault(dependency, []).append(name)
        return grouped

    def dependency_first(self, dependency: str, dependency_verdict: Verdict) -> Verdict:
        """The verdict in the notebook when functions this exercise uses fail their own exercise."""
        names = self.dependencies()[dependency]
        status = Status.NOT_ATTEMPTED if dependency_verdict.status == Status.NOT_ATTEMPTED else Status.WRONG
        return Verdict(status, DEPENDENCY_FIRST[len(names) > 1].format(
            id=self.id, names=", ".join(f"`{name}`" for name in names), dependency=dependency))


@dataclass(kw_only=True)
class FunctionExercise(Exercise):
    """``cases()`` lists the public calls to make; ``judge_case(case, value)`` compares ``value`` with
    ``case.expected`` and says what is wrong, or None."""
    cases: Callable[[], list[Case]]
    judge_case: Callable[[Case, Any], Msg | None]

    def public_cases(self) -> list[Case]:
        """The public cases with the reference's answers that ship with the package."""
        answers = load_expected(self.assignment).get(self.id)
        cases = self.cases()
        if answers is None:
            return cases
        return [dataclasses.replace(case, expected=answer) for case, answer in zip(cases, answers, strict=True)]

    def run(self, namespace: dict, cases: list[Case]) -> list[Outcome]:
        namespace = self.with_harness(namespace)
        outcomes = []
        for case in cases:
            record = call(namespace, case.function, case.args)
            outcomes.append(Outcome(case, record.get("value"), record.get("error_type"), record.get("error_text", "")))
        return outcomes

    def check(self, namespace: dict) -> Verdict:
        return self.judge(self.run(namespace, self.public_cases()))

    def with_harness(self, namespace: dict) -> dict:
        """The namespace with this exercise's harness as the kit defines it, as grading runs it: an edited
        harness cell earns no ✅ that grading would take back."""
        if not self.harness:
            return namespace
        scope = dict(namespace)
        for snippet in (snippet for snippets in self.harness.values() for snippet in snippets):
            exec(compile(snippet, f"<harness of {self.id}>", "exec"), scope)
        return scope

    def grade(self, workdir: Path, sandbox_verdicts: dict[str, Verdict]) -> Verdict:
        return sandbox_verdicts[self.id]

    def judge(self, outcomes: list[Outcome]) -> Verdict:
        """One verdict for all the outcomes; the first mistake found is reported."""
        if any(o.error_type == "NotImplementedError" for o in outcomes):
            return Verdict(Status.NOT_ATTEMPTED, Msg(
                "Ejercicio {id}: aún sin hacer (la función lanza NotImplementedError).",
                "Exercise {id}: not attempted yet (the function raises NotImplementedError).").format(id=self.id))
        for outcome in outcomes:
            case = outcome.case
            if outcome.error_type == "NameError" and outcome.error_text == case.function:
                return Verdict(Status.NOT_ATTEMPTED, Msg(
                    "Ejercicio {id}: no encuentro la función `{name}`. Ejecuta la celda donde la defines "
                    "(y no cambies su nombre).",
                    "Exercise {id}: function `{name}` not found. Run the cell that defines it "
                    "(and keep its name).").format(id=self.id, name=case.function))
            if outcome.error_type == INPUT_MODIFIED:
                if case.hidden:
                    return self.hidden_failure(case)
                mistake = INPUT_CHANGED.format(argument=outcome.error_text)
                return self.wrong(Msg.same("{call}: {mistake}").format(call=case.describe(), mistake=mistake), mistake)
            if outcome.error_type in UNUSABLE_OUTPUT:
                if case.hidden:
                    return self.hidden_failure(case)
                mistake = UNUSABLE_OUTPUT[outcome.error_type].format(type=outcome.error_text)
                return self.wrong(Msg.same("{call}: {mistake}").format(call=case.describe(), mistake=mistake), mistake)
            if outcome.error_type is not None:
                if case.hidden:
                    return self.hidden_failure(case, outcome.error_type)
                error = explain(outcome.error_type, outcome.error_text)
                return self.wrong(Msg("{call} lanzó {error}", "{call} raised {error}").format(
                    call=case.describe(), error=error), Msg.same(outcome.error_type))
            try:
                mistake = self.judge_case(case, outcome.value)
            except Exception as error:  # a value of an unexpected type must not crash the checker
                mistake = Msg("devolvió un valor que no se puede comprobar ({type}: {text})",
                              "returned a value that cannot be checked ({type}: {text})").format(
                    type=type(error).__name__, text=error)
            if mistake is not None:
                if case.hidden:
                    return self.hidden_failure(case)
                return self.wrong(Msg.same("{call}: {mistake}").format(call=case.describe(), mistake=mistake), mistake)
        return self.correct()

    def hidden_failure(self, case: Case, error_type: str | None = None) -> Verdict:
        """A failed hidden case: which function failed and, at most, a built-in exception's type. Never the
        inputs, the expected answer, what the judge derived from it, or the exception's text (its type name
        too, when the student's code made it up: it could spell the inputs)."""
        if error_type is not None:
            builtin = getattr(builtins, error_type, None)
            error_type = error_type if isinstance(builtin, type) and issubclass(builtin, BaseException) else "Exception"
        error = HIDDEN_ERROR.format(type=error_type) if error_type else Msg.same("")
        message = HIDDEN_FAILURE.format(call=case.describe(), error=error)
        return self.wrong(message, message, hidden=True)


NOT_TRAINED = Msg("el archivo no registra ningún paso de entrenamiento (su optimizador no ha dado ninguno, o no "
                  "tiene): el ejercicio pide entrenarlo, y unos pesos puestos o copiados a mano no cuentan. "
                  "Compílalo, entrénalo con fit y guárdalo después, sin volver a compilar",
                  "the file records no training step (its optimizer has taken none, or it has none): the exercise "
                  "asks you to train it, and weights set or copied by hand do not count. Compile it, train it with "
                  "fit and save it afterwards, without compiling again")
OVER_BUDGET = Msg("se entrenó con {used} actualizaciones de los pesos y el presupuesto es de {budget} como mucho"
                  "{advice}",
                  "it was trained with {used} weight updates and the budget is at most {budget}{advice}")
STALE_FILE = Msg("⚠️ El modelo `{name}` que tienes en memoria no es el guardado en {file} (sus pesos difieren): el "
                 "corrector evalúa el archivo. Guarda el modelo y vuelve a comprobar.",
                 "⚠️ The model `{name}` in memory is not the one saved as {file} (their weights differ): the grader "
                 "judges the file. Save the model and check again.")


def updates_used(model) -> int | None:
    """The optimizer steps the saved model was trained with, or None if the file keeps no optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "iterations", None) is None:
        return None
    import numpy as np
    return int(np.asarray(optimizer.iterations))


def same_weights(model, other) -> bool:
    import numpy as np
    try:
        mine, theirs = model.get_weights(), other.get_weights()
    except Exception:  # not a Keras model: nothing to compare
        return True
    return len(mine) == len(theirs) and all(
        np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(mine, theirs))


@dataclass(kw_only=True)
class ModelExercise(Exercise):
    """``names[0]`` is a Keras model, trained and saved as ``model_file``; ``judge_model(model)`` says what is
    wrong with it. Every model exercise asks for training: the file must record at least one optimizer step,
    and at most ``update_budget`` when the exercise states one (``budget_advice`` is added to that message)."""
    model_file: str
    judge_model: Callable[[Any], Msg | None]
    update_budget: int | None = None
    budget_advice: Msg = field(default_factory=lambda: Msg.same(""))

    def check(self, namespace: dict) -> Verdict:
        """The saved file in the notebook's folder, judged as the grader will judge it."""
        in_memory = namespace.get(self.names[0])
        if not (Path.cwd() / self.model_file).is_file() and in_memory is not None:
            return Verdict(Status.WRONG, UNSAVED.format(name=self.names[0], file=self.model_file))
        return self.judge_file(Path.cwd(), in_memory)

    def training_problem(self, model) -> Msg | None:
        """What the file says about training: none at all, or more updates than the budget."""
        used = updates_used(model)
        if not used:
            return NOT_TRAINED
        if self.update_budget is not None and used > self.update_budget:
            return OVER_BUDGET.format(used=used, budget=self.update_budget, advice=self.budget_advice)
        return None

    def grade(self, workdir: Path, sandbox_verdicts: dict[str, Verdict]) -> Verdict:
        return self.judge_file(workdir)

    @property
    def artifacts(self) -> tuple[str, ...]:
        return (self.model_file,)

    def judge_object(self, model) -> Verdict:
        if model is None:
            return Verdict(Status.NOT_ATTEMPTED, Msg(
                "Ejercicio {id}: aún no existe `{name}`. Crea, entrena y guarda el modelo.",
                "Exercise {id}: `{name}` does not exist yet. Build, train and save the model.").format(
                id=self.id, name=self.names[0]))
        try:
            mistake = self.judge_model(model) or self.training_problem(model)
        except Exception as error:
            mistake = Msg("no se pudo evaluar el modelo ({type}: {text})",
                          "the model could not be evaluated ({type}: {text})").format(
                type=type(error).__name__, text=error)
        if mistake is not None:
            return self.wrong(Msg.same("`{name}`: {mistake}").format(name=self.names[0], mistake=mistake), mistake)
        return self.correct()

    def judge_file(self, folder: Path, in_memory=None) -> Verdict:
        """The verdict on the saved model file, loaded as the grader loads it (safe mode). With the model
        ``in_memory`` (in the notebook), a second line warns when the file holds other weights."""
        path = folder / self.model_file
        if not path.is_file():
            return Verdict(Status.NOT_ATTEMPTED, Msg(
                "no se encontró el archivo {file}: entrena el modelo y guárdalo con ese nombre",
                "file {file} not found: train the model and save it under that name").format(file=self.model_file))
        try:
            import keras
            model = keras.saving.load_model(path, safe_mode=True)
        except Exception as error:
            return self.wrong(Msg("no se pudo cargar {file} en modo seguro ({type})",
                                  "{file} could not be loaded in safe mode ({type})").format(
                file=self.model_file, type=type(error).__name__))
        verdict = self.judge_object(model)
        if in_memory is not None and not same_weights(in_memory, model):
            warning = STALE_FILE.format(name=self.names[0], file=self.model_file)
            verdict = dataclasses.replace(verdict, message=Msg.same("{verdict}\n{warning}").format(
                verdict=verdict.message, warning=warning))
        return verdict
