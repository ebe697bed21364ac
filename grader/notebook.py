"""What students call in the notebooks: ``check("3.2")``, ``hint("3.2")`` (or ``hint("3.2", 2)``) and
``predict("1.9", "b")``, which records a prediction before the experiment and only then explains it."""
import ast
import inspect
import sys
from dataclasses import dataclass

from grader.core import Status, Verdict
from grader.exercises.base import Exercise
from grader.exercises.registry import get_exercise
from grader.i18n import Msg

ICONS = {Status.CORRECT: "✅", Status.WRONG: "❌", Status.NOT_ATTEMPTED: "⏳"}
HINT = Msg("Pista {tier} de {count} para el ejercicio {id}", "Hint {tier} of {count} for exercise {id}")
NEXT_HINT = Msg("Si no basta: hint(\"{id}\", {tier}).", "If that is not enough: hint(\"{id}\", {tier}).")
NO_SUCH_HINT = Msg("El ejercicio {id} tiene {count} pistas: pide hint(\"{id}\") a hint(\"{id}\", {count}).",
                   "Exercise {id} has {count} hints: ask for hint(\"{id}\") to hint(\"{id}\", {count}).")


def _notebook_namespace() -> dict:
    # The globals of whoever called check(): the notebook, where the student's functions live.
    return inspect.currentframe().f_back.f_back.f_globals


def verdict_in_notebook(exercise: Exercise, namespace: dict) -> Verdict:
    """The exercise's verdict, after the exercises whose functions it uses: one bug is reported once."""
    for dependency_id in exercise.dependencies():
        dependency = verdict_in_notebook(get_exercise(dependency_id), namespace)
        if not dependency.correct:
            return exercise.dependency_first(dependency_id, dependency)
    return exercise.check(namespace)


def check(exercise_id: str) -> None:
    """Check exercise ``exercise_id`` against what the notebook has defined, and print one line."""
    verdict = verdict_in_notebook(get_exercise(exercise_id), _notebook_namespace())
    print(f"{ICONS[verdict.status]} {verdict.message}")
    sys.stdout.flush()


def hint(exercise_id: str, tier: int = 1) -> None:
    """Print hint number ``tier`` (1 = the concept; later ones get closer to the formula, never to code)."""
    exercise = get_exercise(exercise_id)
    count = len(exercise.hints)
    if not 1 <= tier <= count:
        print(f"💡 {NO_SUCH_HINT.format(id=exercise.id, count=count)}")
        return
    lines = [f"💡 {HINT.format(tier=tier, count=count, id=exercise.id)}: {exercise.hints[tier - 1]}"]
    if tier < count:
        lines.append(f"   {NEXT_HINT.format(id=exercise.id, tier=tier + 1)}")
    print("\n".join(lines))


# ---------------------------------------------------------------- predict, then run

@dataclass(frozen=True)
class Question:
    """A qualitative predict-then-run question. The grade never depends on the prediction; the class report
    shows how the class predicted."""
    id: str
    question: Msg
    choices: dict[str, Msg]   # letter → choice
    answer: str               # the right letter
    explanation: Msg          # shown only once a prediction is recorded


QUESTIONS = {question.id: question for question in (
    Question("1.9", Msg("Con Adam y su tasa de aprendizaje por defecto (0.001), durante 500 actualizaciones, "
                         "¿acertará la neurona las cuatro filas de OR?",
                         "With Adam and its default learning rate (0.001), for 500 updates, will the neuron get "
                         "all four rows of OR right?"),
             {"a": Msg("sí, 4/4: 500 actualizaciones bastan", "yes, 4/4: 500 updates are enough"),
              "b": Msg("no: los pesos apenas se moverán", "no: the weights will hardly move")}, "b",
             Msg("Con 4 ejemplos y lotes de 32 hay una sola actualización por época, y Adam mueve cada parámetro, en "
                 "cada actualización, más o menos lo que marca la tasa de aprendizaje. Con 0.001, 500 pasos "
                 "desplazan cada parámetro unas pocas décimas como mucho, y la neurona necesitaba llevar el sesgo "
                 "claramente por debajo de cero: sigue diciendo 1 para (0, 0). Más épocas ayudarían, pero despacio: "
                 "con tan pocos ejemplos, la tasa de aprendizaje decide.",
                 "With 4 examples and batches of 32 there is a single update per epoch, and Adam moves each "
                 "parameter, at each update, by about the learning rate. At 0.001, 500 steps move each parameter a "
                 "few tenths at most, and the neuron needed its bias well below zero: it still says 1 for (0, 0). "
                 "More epochs would help, slowly: with so few examples, the learning rate decides.")),
    Question("1.12", Msg("¿Cuál de los tres arranques aprenderá XOR?", "Which of the three starts will learn XOR?"),
             {"a": Msg("todo a cero", "all zeros"), "b": Msg("kernels a 1 y sesgos a 0", "kernels at 1, biases at 0"),
              "c": Msg("al azar", "random"), "d": Msg("los tres", "all three")}, "c",
             Msg("Con todo a cero no se mueve nada: a la capa oculta no le llega gradiente y la pérdida se queda en "
                 "ln 2 ≈ 0.693. Con todos los kernels a 1, las neuronas ocultas empiezan idénticas, reciben el mismo "
                 "gradiente y siguen idénticas: la capa equivale a una sola neurona, que solo traza una recta. Al "
                 "azar, cada neurona empieza distinta, aprende algo distinto, y la red resuelve XOR. Por eso Keras "
                 "inicializa los kernels al azar.",
                 "With all zeros nothing moves: no gradient reaches the hidden layer and the loss stays at "
                 "ln 2 ≈ 0.693. With every kernel at 1 the hidden units start identical, get the same gradient and "
                 "stay identical: the layer is one neuron, which draws one line. At random each unit starts "
                 "different, learns something different, and the network solves XOR. That is why Keras initialises "
                 "kernels at random.")),
    Question("5.3", Msg("¿Qué parte de LeNet-5 tardará más en procesar un lote de imágenes?",
                        "Which part of LeNet-5 will take longer to process a batch of images?"),
             {"a": Msg("las convoluciones, con el 4 % de los parámetros",
                       "the convolutions, with 4 % of the parameters"),
              "b": Msg("las capas densas, con el 96 % de los parámetros", "the dense layers, with 96 % of the parameters"),
              "c": Msg("más o menos lo mismo", "about the same")}, "a",
             Msg("Cada peso de una convolución trabaja en todas las posiciones de su mapa de salida (28×28 = 784 "
                 "veces en C1), mientras que cada peso de una capa densa trabaja una vez por imagen. Por eso las "
                 "convoluciones, con el 4 % de los parámetros, hacen la mayor parte de las multiplicaciones y se "
                 "llevan la mayor parte del tiempo.",
                 "Each convolution weight works at every position of its output map (28×28 = 784 times in C1), while "
                 "each dense weight works once per image. So the convolutions, with 4 % of the parameters, do most "
                 "of the multiplications and take most of the time.")),
)}
RECORDED = Msg("📝 Predicción registrada para la pregunta {id}: {letter}) {choice}.",
               "📝 Prediction recorded for question {id}: {letter}) {choice}.")
ASK = Msg("Escribe tu predicción en esta celda, por ejemplo predict(\"{id}\", \"{first}\"), y ejecútala antes del "
          "experimento. No cuenta para la nota; la explicación aparece al registrarla.",
          "Write your prediction in this cell, for example predict(\"{id}\", \"{first}\"), and run it before the "
          "experiment. It does not count towards the grade; the explanation appears once it is recorded.")
NO_SUCH_CHOICE = Msg("«{choice}» no es una de las opciones de la pregunta {id}: elige {letters}.",
                     "\"{choice}\" is not one of question {id}'s choices: pick {letters}.")
CHANGED = Msg("Ya habías predicho {first}): cuenta la primera predicción.",
              "You had already predicted {first}): the first prediction counts.")
_first_predictions: dict[str, str] = {}   # this session's first prediction per question


def predict(question_id: str, choice: str | None = None) -> None:
    """Record the prediction ``choice`` for question ``question_id`` and then explain the answer; without a
    choice, show the question and its choices. The grader reads the call from the notebook's source."""
    question = QUESTIONS.get(question_id)
    if question is None:
        raise KeyError(f"No existe la pregunta '{question_id}'. Preguntas: {', '.join(QUESTIONS)}")
    letters = ", ".join(question.choices)
    lines = [f"❓ {question_id}: {question.question}"] + [f"   {k}) {v}" for k, v in question.choices.items()]
    key = str(choice).strip().lower() if choice is not None else ""
    if not key:
        print("\n".join(lines + [str(ASK.format(id=question_id, first=next(iter(question.choices))))]))
        return
    if key not in question.choices:
        print(f"❌ {NO_SUCH_CHOICE.format(choice=choice, id=question_id, letters=letters)}")
        return
    first = _first_predictions.setdefault(question_id, key)
    lines = [str(RECORDED.format(id=question_id, letter=key, choice=question.choices[key]))]
    if first != key:
        lines.append(str(CHANGED.format(first=first)))
    lines.append(f"💡 {question.explanation}")
    print("\n".join(lines))
    sys.stdout.flush()


def predictions_in(notebook) -> dict[str, str]:
    """The predictions a notebook's source records: literal ``predict("id", "choice")`` calls, read with ast
    (nothing is run, and no output is trusted). The first call per known question counts."""
    found = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "predict"
                    and len(node.args) == 2 and all(isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                                    for arg in node.args)):
                continue
            question_id, choice = node.args[0].value, node.args[1].value.strip().lower()
            if question_id in QUESTIONS and choice in QUESTIONS[question_id].choices:
                found.setdefault(question_id, choice)
    return found
