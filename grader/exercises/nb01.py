"""Notebook 01: perceptron, activations, OR/XOR.

The judges compare what the student's functions return with the reference's answers (``case.expected``,
computed by grader/hidden/nb01.py) and say in words what is wrong, at the smallest input that shows it.
Only 1.8 is judged by a property (the single layer must give what the two layers give).
"""
import numpy as np

from grader.compare import array_mismatch, short_repr
from grader.core import Case
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.i18n import Msg

ASSIGNMENT = "01_perceptron_or_xor"
OR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
THREE_INPUTS = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=float)
GATES = {
    "OR": np.array([0, 1, 1, 1], dtype=float),
    "AND": np.array([0, 0, 0, 1], dtype=float),
    "NAND": np.array([1, 1, 1, 0], dtype=float),
    "XOR": np.array([0, 1, 1, 0], dtype=float),
}
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
DEFAULT_ALPHA = {"leaky_relu": 0.1, "elu": 1.0}  # Leaky ReLU is max(0.1 z, z), as in the course slides
OR_BUDGET = 100    # weight updates (optimizer steps) allowed for 1.10
XOR_BUDGET = 300   # and for 1.11

def _number(value) -> float:
    return float(np.asarray(value, dtype=float).reshape(()))


def _elementwise_mismatch(case, value, expected, rtol=1e-6, atol=1e-8):
    """How an element-wise answer differs from the expected one, naming the z where it first differs."""
    expected = np.asarray(expected, dtype=float)
    if np.ndim(value) == 0 and expected.ndim > 0:
        return Msg("devolvió un solo número; la función debe aplicarse elemento a elemento (vectorizada) y "
                   "devolver un array de la misma forma que z",
                   "returned a single number; the function must work element-wise (vectorised) and return an "
                   "array of the same shape as z")
    value = np.asarray(value, dtype=float)
    if value.shape != expected.shape:
        return array_mismatch(value, expected)
    wrong = ~np.isclose(value, expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return None
    index = tuple(np.argwhere(wrong)[0])
    z = np.asarray(case.args[0], dtype=float)[index] if np.ndim(case.args[0]) else _number(case.args[0])
    got, want = value[index], expected[index]
    if case.hidden:
        if not np.isfinite(got):
            return Msg("devolvió nan o inf: con |z| grandes, la exponencial de un número grande se desborda",
                       "returned nan or inf: with large |z|, the exponential of a large number overflows")
        return array_mismatch(value, expected, rtol=rtol, atol=atol)
    if not np.isfinite(got):
        return Msg("en z = {z:.6g} devolvió {got}: la exponencial de un número grande se desborda (inf, y inf/inf "
                   "da nan). Reescribe la fórmula para no calcular la exponencial de números grandes positivos",
                   "at z = {z:.6g} it returned {got}: the exponential of a large number overflows (inf, and inf/inf "
                   "is nan). Rewrite the formula so that it never takes the exponential of a large positive number"
                   ).format(z=z, got=got)
    return Msg("en z = {z:.6g} se esperaba {want:.6g} y se obtuvo {got:.6g}",
               "at z = {z:.6g} expected {want:.6g} but got {got:.6g}").format(z=z, want=want, got=got)


# ------------------------------------------------------------------ 1.1 step

def _step_cases():
    return [
        Case("step", (np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),)),
        Case("step", (np.array([[0.0, -1e-9], [1e-9, 7.0]]),)),
        Case("step", (np.random.default_rng(11).normal(size=(3, 4)),)),
        Case("step", (0.0,)),  # a plain number, as the contract allows
    ]


def _judge_step(case, value):
    z, expected = np.asarray(case.args[0], dtype=float), np.asarray(case.expected, dtype=float)
    values = np.asarray(value, dtype=float) if np.ndim(value) == np.ndim(expected) else None
    if values is not None and values.shape == expected.shape and np.any(values[z == 0] != 1):
        return Msg("step(0) debe ser 1: el umbral es z ≥ 0", "step(0) must be 1: the threshold is z ≥ 0")
    return _elementwise_mismatch(case, value, expected)


# ------------------------------------------------------- 1.2 / 1.3 activations

def _activation_inputs(seed):
    rng = np.random.default_rng(seed)
    # no exact zeros: ReLU-like functions have no derivative there
    return [np.array([-3.0, -1.5, -0.25, 0.25, 1.5, 3.0]), np.array([-1000.0, -40.0, 40.0, 1000.0]),
            rng.normal(scale=4, size=(2, 3))]


def _activation_cases(suffix, seed):
    cases = [Case(f"{name}{suffix}", (z,)) for name in ACTIVATIONS for z in _activation_inputs(seed)]
    small = np.array([-2.0, -0.5, 0.5, 2.0])
    return cases + [Case(f"leaky_relu{suffix}", (small, 0.2)), Case(f"elu{suffix}", (small, 0.5))]


def _ignores_alpha(case, value, default_answer):
    """When the case passes alpha and the answer is the default alpha's, say so."""
    if len(case.args) < 2:
        return None
    values = np.asarray(value, dtype=float)
    if values.shape == np.shape(default_answer) and np.allclose(values, default_answer, rtol=1e-6, atol=1e-8):
        return Msg("con alpha = {alpha} da lo mismo que con el alpha por defecto: usa el argumento alpha que "
                   "recibe la función, no un número fijo",
                   "with alpha = {alpha} it gives the same as with the default alpha: use the alpha argument the "
                   "function receives, not a fixed number").format(alpha=case.args[1])
    return None


def _judge_activation(case, value):
    answer, default_answer = case.expected
    mistake = _elementwise_mismatch(case, value, answer)
    return mistake and (_ignores_alpha(case, value, default_answer) or mistake)


def _judge_derivative(case, value):
    derivative, activation, default_derivative = case.expected
    mistake = _elementwise_mismatch(case, value, derivative, rtol=1e-5, atol=1e-7)
    if mistake is None:
        return None
    values = np.asarray(value, dtype=float)
    if values.shape == np.shape(activation) and np.allclose(values, activation, rtol=1e-5, atol=1e-7):
        return Msg("devolvió la activación misma, no su derivada", "returned the activation itself, not its derivative")
    return _ignores_alpha(case, value, default_derivative) or mistake


# ------------------------------------------------------------- 1.4 forward

def _forward_cases():
    rng = np.random.default_rng(14)
    return [
        Case("perceptron_forward", (OR_INPUTS, np.array([1.0, 1.0]), -0.5)),
        Case("perceptron_forward", (OR_INPUTS, np.array([0.5, 0.5]), -1.0)),  # z = 0 for (1, 1)
        Case("perceptron_forward", (rng.normal(size=(7, 3)), rng.normal(size=3), 0.3)),
    ]


def _judge_forward(case, value):
    outputs, z = case.expected
    values = np.asarray(value, dtype=float)
    if values.shape != outputs.shape:
        return Msg("debe devolver un array con una salida por fila de X, de forma {expected}; tiene forma {got}",
                   "must return an array with one output per row of X, of shape {expected}; its shape is {got}"
                   ).format(expected=outputs.shape, got=values.shape)
    wrong = np.flatnonzero(~np.isclose(values, outputs))
    if wrong.size == 0:
        return None
    row = int(wrong[0])
    example = Msg(" (x = {x})", " (x = {x})").format(x=short_repr(case.args[0][row])) if not case.hidden \
        else Msg.same("")
    return Msg("en la fila {row}{example}, z = w·x + b = {z:.4g}, así que la salida debe ser {want:.0f}; tu "
               "función da {got:.4g}",
               "at row {row}{example}, z = w·x + b = {z:.4g}, so the output must be {want:.0f}; your function "
               "gives {got:.4g}").format(row=row, example=example, z=z[row], want=outputs[row], got=values[row])


# ------------------------------------------------------------- 1.5 update

def _update_cases():
    return [
        Case("perceptron_update", (np.array([0.0, 1.0]), 1.0, np.array([0.5, 0.5]), -1.0, 0.5)),  # missed a 1
        Case("perceptron_update", (np.array([1.0, 1.0]), 0.0, np.array([0.5, 0.5]), 1.0, 0.5)),  # missed a 0
        Case("perceptron_update", (np.array([1.0, 0.0]), 1.0, np.array([1.0, 1.0]), -0.5, 0.5)),  # right: no change
        Case("perceptron_update", (np.array([0.0, 0.0]), 0.0, np.array([0.5, 0.5]), 0.0, 0.5)),  # z = 0 exactly
        Case("perceptron_update", (np.array([2.0, -1.0, 0.5]), 1.0, np.array([-1.0, 0.2, 0.1]), 0.0, 0.1)),
    ]


def _judge_update(case, value):
    if not isinstance(value, tuple) or len(value) != 2:
        return Msg("debe devolver una tupla (nuevo_w, nuevo_b)", "must return a tuple (new_w, new_b)")
    new_w, new_b, z, output = case.expected
    target = case.args[1]
    error = target - output
    why = Msg("z = {z:.4g}, así que y = step(z) = {y:.0f} y el error t − y = {error:.0f}",
              "z = {z:.4g}, so y = step(z) = {y:.0f} and the error t − y = {error:.0f}").format(
        z=z, y=output, error=error)
    got_w = np.asarray(value[0], dtype=float)
    if got_w.shape != new_w.shape:
        return Msg("el nuevo w debería tener forma {expected} y tiene {got}",
                   "the new w should have shape {expected} but has {got}").format(expected=new_w.shape, got=got_w.shape)
    try:
        got_b = _number(value[1])
    except (TypeError, ValueError):
        return Msg("el nuevo b debe ser un número, no {kind}", "the new b must be a number, not {kind}").format(
            kind=type(value[1]).__name__)
    w_right, b_right = np.allclose(got_w, new_w), np.isclose(got_b, new_b)
    if w_right and b_right:
        return None
    if error == 0:
        return Msg("{why}: la neurona acierta y nada debe cambiar", "{why}: the neuron is right and nothing must "
                   "change").format(why=why)
    if np.allclose(got_w, case.args[2]) and np.isclose(got_b, case.args[3]):
        return Msg("{why}: la neurona se equivoca, pero tu función no cambió nada. ¿Calculas la salida con step, "
                   "que da 1 también en z = 0?",
                   "{why}: the neuron is wrong, but your function changed nothing. Do you compute the output with "
                   "step, which gives 1 at z = 0 too?").format(why=why)
    if w_right:
        return Msg("{why}: w está bien, pero el sesgo también se corrige, como un peso cuya entrada es siempre 1 "
                   "(se esperaba b = {want:.4g} y se obtuvo {got:.4g})",
                   "{why}: w is right, but the bias is corrected too, like a weight whose input is always 1 "
                   "(expected b = {want:.4g} but got {got:.4g})").format(why=why, want=new_b, got=got_b)
    return Msg("{why}: se esperaba w = {want} y se obtuvo {got}",
               "{why}: expected w = {want} but got {got}").format(why=why, want=short_repr(new_w), got=short_repr(got_w))


# ------------------------------------------------------------- 1.6 training

def _train_cases():
    return [
        Case("train_perceptron", (OR_INPUTS, GATES["OR"], np.array([0.5, 0.5]), 1.0, 0.5, 10)),   # seed 003's start
        Case("train_perceptron", (OR_INPUTS, GATES["OR"], np.array([1.0, 1.0]), -0.5, 0.5, 10)),  # already right
        Case("train_perceptron", (OR_INPUTS, GATES["XOR"], np.array([0.5, 0.5]), 1.0, 0.5, 3)),   # never converges
        Case("train_perceptron", (OR_INPUTS, GATES["AND"], np.zeros(2), 0.0, 0.25, 20)),
        Case("train_perceptron", (THREE_INPUTS, np.array([0.0, 1, 1, 1, 1, 1, 1, 1]), np.zeros(3), 0.0, 1.0, 10)),
    ]


COLUMNS = {
    "x": Msg("x (los ejemplos se recorren en orden, fila a fila de X)",
             "x (the examples are visited in order, row by row of X)"),
    "z": Msg("z (w·x + b con los w y b de antes de esta iteración)",
             "z (w·x + b with the w and b from before this iteration)"),
    "y": Msg("y (la salida step(z) de la neurona)", "y (the neuron's output step(z))"),
    "t": Msg("t (la salida deseada de ese ejemplo)", "t (that example's desired output)"),
    "w": Msg("nuevos w (tras aplicar la regla en esta iteración)", "new w (after applying the rule at this iteration)"),
    "b": Msg("nuevo b (tras aplicar la regla en esta iteración)", "new b (after applying the rule at this iteration)"),
}


def _judge_train(case, value):
    X, targets, _, _, _, epochs = case.args
    if not isinstance(value, tuple) or len(value) != 3:
        return Msg("debe devolver una tupla (w, b, historial)", "must return a tuple (w, b, history)")
    final_w, final_b, expected = case.expected
    history = np.asarray(value[2], dtype=float)
    d, n = X.shape[1], len(X)
    columns = 2 * d + 4  # x…, z, y, t, new w…, new b
    if history.ndim != 2 or history.shape[1] != columns:
        return Msg("el historial debe ser una matriz con una fila por iteración y {columns} columnas "
                   "(x, z, y, t, nuevos w, nuevo b); tiene forma {shape}",
                   "the history must be a matrix with one row per iteration and {columns} columns "
                   "(x, z, y, t, new w, new b); its shape is {shape}").format(columns=columns, shape=history.shape)
    groups = (("x", slice(0, d)), ("z", slice(d, d + 1)), ("y", slice(d + 1, d + 2)), ("t", slice(d + 2, d + 3)),
              ("w", slice(d + 3, 2 * d + 3)), ("b", slice(2 * d + 3, columns)))
    for number, (row, want) in enumerate(zip(history, expected), start=1):
        for name, columns_of in groups:
            if not np.allclose(row[columns_of], want[columns_of]):
                return Msg("en la iteración {number}, la columna {column} debería ser {want} y la tabla dice {got}",
                           "at iteration {number}, column {column} should be {want} but the table says {got}").format(
                    number=number, column=COLUMNS[name], want=_cells(want[columns_of]), got=_cells(row[columns_of]))
    if len(history) != len(expected):
        converged = len(expected) < epochs * n
        why = (Msg("la regla converge en la época {epoch}: al terminar una época completa sin errores hay que parar",
                   "the rule converges in epoch {epoch}: after a whole epoch without errors you must stop").format(
                   epoch=len(expected) // n) if converged else
               Msg("la regla no converge en {epochs} épocas, así que la tabla tiene exactamente {epochs} × {n} filas",
                   "the rule does not converge in {epochs} epochs, so the table has exactly {epochs} × {n} rows"
                   ).format(epochs=epochs, n=n))
        return Msg("el historial tiene {got} filas y debería tener {want}: {why}",
                   "the history has {got} rows and should have {want}: {why}").format(
            got=len(history), want=len(expected), why=why)
    try:
        returned_w, returned_b = np.asarray(value[0], dtype=float), _number(value[1])
    except (TypeError, ValueError):
        returned_w, returned_b = None, None
    if returned_w is None or returned_w.shape != final_w.shape or not np.allclose(returned_w, final_w) \
            or not np.isclose(returned_b, final_b):
        return Msg("la tabla está bien, pero los w y b devueltos no son los de su última fila",
                   "the table is right, but the returned w and b are not those of its last row")
    return None


def _cells(values):
    return ", ".join(f"{v:.4g}" for v in values)


# ------------------------------------------------------ 1.8 linear collapse

def _collapse_cases():
    rng = np.random.default_rng(17)
    cases = [Case("collapse_linear_layers", (np.array([[2.0]]), np.array([1.0]), np.array([[3.0]]), np.array([-1.0])))]
    for n_in, n_hidden, n_out in [(2, 3, 1), (4, 5, 2), (3, 2, 3)]:
        cases.append(Case("collapse_linear_layers", (
            rng.normal(size=(n_in, n_hidden)), rng.normal(size=n_hidden),
            rng.normal(size=(n_hidden, n_out)), rng.normal(size=n_out))))
    return cases


def _judge_collapse(case, value):
    W1, b1, W2, b2 = case.args
    if not isinstance(value, tuple) or len(value) != 2:
        return Msg("debe devolver una tupla (W, b)", "must return a tuple (W, b)")
    W, b = (np.asarray(v, dtype=float) for v in value)
    n_in, n_out = W1.shape[0], W2.shape[1]
    if W.shape != (n_in, n_out):
        return Msg("W debería tener forma {expected} (entradas, salidas) y tiene {got}",
                   "W should have shape {expected} (inputs, outputs) but has {got}").format(
            expected=(n_in, n_out), got=W.shape)
    if b.shape != (n_out,):
        return Msg("b debería tener forma {expected} (una por salida) y tiene {got}",
                   "b should have shape {expected} (one per output) but has {got}").format(
            expected=(n_out,), got=b.shape)

    def two_layers(x):
        return (x @ W1 + b1) @ W2 + b2

    x = np.random.default_rng(0).normal(size=(6, n_in))
    if array_mismatch(x @ W + b, two_layers(x)) is None:
        return None
    at_zero = two_layers(np.zeros(n_in))
    if array_mismatch(x @ W, two_layers(x) - at_zero) is not None:
        return Msg("W no es la correcta: lo que multiplica a x en las dos capas no coincide con tu W",
                   "W is not right: what multiplies x in the two layers does not match your W")
    return Msg("W está bien, pero b no: con x = 0 las dos capas dan {want} y tu capa da {got}",
               "W is right, but b is not: at x = 0 the two layers give {want} and your layer gives {got}").format(
        want=short_repr(at_zero), got=short_repr(b))


# ---------------------------------------------- 1.7 question: which gates one neuron can learn

def _separable_cases():
    # Beyond the four gates: a separable table with two ones (an answer keyed to the count of ones fails) and
    # one whose corner outputs agree (an answer keyed to the corners fails).
    tables = [GATES[gate] for gate in ("OR", "AND", "XOR", "NAND")] + [np.array([1.0, 1.0, 0.0, 0.0]),
                                                                      np.array([0.0, 1.0, 0.0, 0.0])]
    return [Case("is_linearly_separable", (table,)) for table in tables]


def _judge_separable(case, value):
    separable, line = case.expected
    if not isinstance(value, (bool, np.bool_)):
        return Msg("debe devolver True o False, no {kind}", "must return True or False, not {kind}").format(
            kind=type(value).__name__)
    if bool(value) == separable:
        return None
    if separable:
        return Msg("devolvió False, pero esta tabla sí es linealmente separable: por ejemplo, la neurona con "
                   "w = ({w1:g}, {w2:g}) y b = {b:g} la reproduce",
                   "returned False, but this table is linearly separable: for example, the neuron with "
                   "w = ({w1:g}, {w2:g}) and b = {b:g} reproduces it").format(w1=line[0], w2=line[1], b=line[2])
    return Msg("devolvió True, pero ninguna recta deja los unos a un lado y los ceros al otro: los puntos de cada "
               "clase están en esquinas opuestas del cuadrado (en diagonal)",
               "returned True, but no line leaves the ones on one side and the zeros on the other: each class's "
               "points sit on opposite corners of the square (diagonally)")


# ---------------------------------------------- 1.9 question: how many updates Keras makes

def _updates_cases():
    return [Case("optimizer_updates", args) for args in ((4, 32, 500), (4, 4, 50), (1000, 32, 10), (4, 1, 100))]


def _judge_updates(case, value):
    answer, floor_variant, per_example, per_epoch = case.expected
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or value != int(value):
        return Msg("debe devolver un número entero de actualizaciones, no {value}",
                   "must return a whole number of updates, not {value}").format(value=short_repr(value))
    value = int(value)
    if value == answer:
        return None
    n_examples, batch_size, epochs = case.args
    for variant, why in ((floor_variant, Msg("el último lote, más pequeño, también es una actualización",
                                             "the last, smaller batch is an update too")),
                         (per_example, Msg("Keras no actualiza tras cada ejemplo, sino tras cada lote",
                                           "Keras does not update after each example but after each batch")),
                         (per_epoch, Msg("esas son las de una época; hay {epochs} épocas",
                                         "that is one epoch's worth; there are {epochs} epochs").format(epochs=epochs))):
        if value == variant and variant != answer:
            return Msg("devolvió {value}: {why}", "returned {value}: {why}").format(value=value, why=why)
    return Msg("devolvió {value}; con {n} ejemplos en lotes de {batch} hay {per_epoch} lotes por época, y son "
               "{epochs} épocas",
               "returned {value}; {n} examples in batches of {batch} make {per_epoch} batches per epoch, over "
               "{epochs} epochs").format(value=value, n=n_examples, batch=batch_size, per_epoch=per_epoch,
                                         epochs=epochs)


# ---------------------------------------------- 1.12 question: symmetric starting weights

def _distinct_cases():
    return [Case("distinct_hidden_units", (kernel,)) for kernel in (
        np.zeros((2, 8)), np.ones((2, 8)), np.random.default_rng(112).normal(size=(2, 8)),
        np.array([[1.0, 1.0, -1.0, -1.0], [1.0, 1.0, 2.0, 2.0]]))]


def _judge_distinct(case, value):
    answer, units, values, rows = case.expected
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or value != int(value):
        return Msg("debe devolver un número entero de neuronas, no {value}",
                   "must return a whole number of neurons, not {value}").format(value=short_repr(value))
    value = int(value)
    if value == answer:
        return None
    for variant, why in (
            (units, Msg("ese es el número total de neuronas; las que empiezan con la misma columna reciben el mismo "
                        "gradiente y siguen siendo iguales", "that is the total number of neurons; those that start "
                        "with the same column get the same gradient and stay equal")),
            (rows, Msg("contaste filas distintas (entradas); cada neurona es una columna",
                       "you counted distinct rows (inputs); each neuron is a column")),
            (values, Msg("contaste valores distintos; cada neurona es una columna entera",
                         "you counted distinct values; each neuron is a whole column"))):
        if value == variant and variant != answer:
            return Msg("devolvió {value}: {why}", "returned {value}: {why}").format(value=value, why=why)
    return Msg("devolvió {value}, pero la matriz de pesos empieza con {answer} columnas distintas",
               "returned {value}, but the weight matrix starts with {answer} distinct columns").format(value=value, answer=answer)


# ------------------------------------------------------------ 1.10 / 1.11 Keras

def _hits(model, gate):
    import keras  # calling the model directly: no prediction function is traced for each new model
    probabilities = np.asarray(keras.ops.convert_to_numpy(model(OR_INPUTS, training=False))).reshape(-1)
    return int(np.sum((probabilities >= 0.5).astype(float) == GATES[gate]))


GATE_BUDGET_ADVICE = Msg(". Con 4 ejemplos en un lote, cada época es una sola actualización: piensa en la tasa de "
                         "aprendizaje",
                         ". With 4 examples in one batch each epoch is a single update: think about the learning rate")


def _judge_or_model(model):
    if model.count_params() != 3:
        return Msg("una sola neurona con dos entradas tiene 3 parámetros (w1, w2, b); el modelo tiene {count}",
                   "a single neuron with two inputs has 3 parameters (w1, w2, b); the model has {count}").format(
            count=model.count_params())
    hits = _hits(model, "OR")
    if hits != 4:
        return Msg("acierta {hits}/4 en la tabla de OR. Con 4 ejemplos en un lote, cada época es una sola "
                   "actualización: revisa la tasa de aprendizaje (experimento del ejercicio 1.9)",
                   "gets {hits}/4 of the OR truth table. With 4 examples in one batch each epoch is a single "
                   "update: check the learning rate (experiment of question 1.9)").format(hits=hits)
    return None


def _judge_xor_model(model):
    dense_layers = [layer for layer in model.layers if "units" in layer.get_config()]
    hidden = dense_layers[:-1]
    if not hidden:
        return Msg("necesita al menos una capa oculta: una sola neurona no separa XOR",
                   "it needs at least one hidden layer: a single neuron cannot separate XOR")
    if all(layer.get_config().get("activation") == "linear" for layer in hidden):
        return Msg("las capas ocultas no tienen activación no lineal: la red entera sería lineal (ejercicio 1.8)",
                   "the hidden layers have no non-linear activation: the whole network would be linear (exercise 1.8)")
    hits = _hits(model, "XOR")
    if hits != 4:
        return Msg("acierta {hits}/4 en la tabla de XOR; prueba otra tasa de aprendizaje o más neuronas ocultas",
                   "gets {hits}/4 of the XOR truth table; try another learning rate or more hidden units").format(
            hits=hits)
    return None


# ------------------------------------------------------------------ exercises

USES_TRAINING = {"step": "1.1", "perceptron_update": "1.5"}

# What grader.data must find on a grading machine for this notebook: its kernel and its judge read them.
DATASETS = ()

EXERCISES = [
    FunctionExercise("1.1", ASSIGNMENT, Msg("Función escalón", "Step function"), ("step",), (
        Msg("El escalón compara cada z con el umbral 0. En NumPy, comparar un array con un número ya da un array "
            "de True/False de la misma forma, sin bucles.",
            "The step compares each z with the threshold 0. In NumPy, comparing an array with a number already "
            "gives an array of True/False of the same shape, without loops."),
        Msg("Te falta convertir ese array de True/False en 1.0 y 0.0. Un `if` de Python no sirve con arrays: "
            "necesita un único True o False, y la comparación da uno por elemento.",
            "You still need to turn that array of True/False into 1.0 and 0.0. A Python `if` does not work with "
            "arrays: it needs a single True or False, and the comparison gives one per element."),
        Msg("Mira el borde: en z = 0 la salida es 1, así que la comparación incluye la igualdad. Si recibes un "
            "número suelto, conviértelo antes en un array de NumPy.",
            "Mind the edge: at z = 0 the output is 1, so the comparison includes equality. If you receive a plain "
            "number, turn it into a NumPy array first."),
    ), cases=_step_cases, judge_case=_judge_step),
    FunctionExercise("1.2", ASSIGNMENT, Msg("Funciones de activación", "Activation functions"), ACTIVATIONS, (
        Msg("Cada activación es una fórmula de la tabla aplicada elemento a elemento. NumPy tiene la exponencial, "
            "la tangente hiperbólica, el máximo elemento a elemento y la selección según una condición, y todas "
            "trabajan con arrays enteros.",
            "Each activation is a formula of the table applied element by element. NumPy has the exponential, the "
            "hyperbolic tangent, the element-wise maximum and selection by a condition, and all work on whole "
            "arrays."),
        Msg("ReLU, Leaky ReLU y ELU eligen, elemento a elemento, entre dos expresiones según el signo de z. Usa "
            "el argumento alpha que recibe la función: la comprobación prueba otros valores además del de por "
            "defecto.",
            "ReLU, Leaky ReLU and ELU choose, element by element, between two expressions by the sign of z. Use "
            "the alpha argument the function receives: the check tries other values besides the default."),
        Msg("Con |z| = 1000 la exponencial de un número grande positivo se desborda a infinito, e infinito entre "
            "infinito da nan. Escribe cada fórmula de modo que solo necesite exponenciales de números ≤ 0 (para "
            "la sigmoide, trata por separado z ≥ 0 y z < 0).",
            "With |z| = 1000 the exponential of a large positive number overflows to infinity, and infinity over "
            "infinity is nan. Write each formula so that it only needs exponentials of numbers ≤ 0 (for the "
            "sigmoid, treat z ≥ 0 and z < 0 separately)."),
    ), cases=lambda: _activation_cases("", 12), judge_case=_judge_activation),
    FunctionExercise("1.3", ASSIGNMENT, Msg("Derivadas de las activaciones", "Derivatives of the activations"),
                  tuple(f"{name}_derivative" for name in ACTIVATIONS), (
        Msg("Deriva cada fórmula respecto a z. Para la sigmoide, la regla de la cadena sobre 1/(1 + e^(−z)); "
            "para las funciones a trozos (ReLU, Leaky ReLU, ELU), cada trozo por separado.",
            "Differentiate each formula with respect to z. For the sigmoid, the chain rule on 1/(1 + e^(−z)); for "
            "piecewise functions (ReLU, Leaky ReLU, ELU), each piece separately."),
        Msg("Sigmoide: cuando tengas su derivada, busca en ella la propia σ(z) y 1 − σ(z); se puede escribir solo "
            "con σ(z). Tanh: deriva el cociente de la tabla con la regla (f/g)′ = (f′g − fg′)/g²; también se "
            "escribe solo con tanh(z). Así reutilizas tus funciones del ejercicio 1.2.",
            "Sigmoid: once you have its derivative, look in it for σ(z) itself and 1 − σ(z); it can be written "
            "with σ(z) alone. Tanh: differentiate the table's quotient with the rule (f/g)′ = (f′g − fg′)/g²; it "
            "too can be written with tanh(z) alone. That way you reuse your functions from exercise 1.2."),
        Msg("Funciones a trozos, paso a paso: deriva el trozo de z > 0 y el de z < 0 por separado (las pruebas "
            "evitan z = 0); elige entre los dos, elemento a elemento, como en 1.2; usa el argumento alpha, no un "
            "número fijo; y, como en 1.2, no calcules exponenciales de números positivos grandes. Comprueba cada "
            "derivada con una diferencia numérica: (f(z + h) − f(z − h)) / 2h con h = 1e-5.",
            "Piecewise functions, step by step: differentiate the piece for z > 0 and the one for z < 0 "
            "separately (the tests avoid z = 0); choose between them element-wise, as in 1.2; use the alpha "
            "argument, not a fixed number; and, as in 1.2, do not compute exponentials of large positive numbers. "
            "Check each derivative with a numerical difference: (f(z + h) − f(z − h)) / 2h with h = 1e-5."),
    ), cases=lambda: _activation_cases("_derivative", 13), judge_case=_judge_derivative,
                  uses={"sigmoid": "1.2", "tanh": "1.2"}),  # the two a derivation naturally reuses
    FunctionExercise("1.4", ASSIGNMENT, Msg("Propagación del perceptrón", "Perceptron forward pass"),
                  ("perceptron_forward",), (
        Msg("Cada fila de X es un ejemplo. Para cada uno la neurona calcula su suma ponderada más el sesgo y le "
            "aplica el escalón. Quieres las n salidas de golpe, sin bucle.",
            "Each row of X is an example. For each one the neuron computes its weighted sum plus the bias and "
            "applies the step. You want the n outputs at once, without a loop."),
        Msg("El método es el producto de una matriz por un vector. Repasa qué calcula cada entrada de ese "
            "producto y qué forma tiene el resultado cuando X tiene forma (n, d) y w forma (d,).",
            "The method is the product of a matrix by a vector. Recall what each entry of that product computes "
            "and what shape the result has when X has shape (n, d) and w shape (d,)."),
        Msg("Comprueba las formas en un ejemplo pequeño: con X de forma (4, 2), la salida tiene forma (4,) y solo "
            "valores 0.0 o 1.0. El sesgo es un número: NumPy lo suma a cada elemento de un vector. El escalón ya lo "
            "tienes (1.1).",
            "Check the shapes on a small example: with X of shape (4, 2), the output has shape (4,) and only "
            "values 0.0 or 1.0. The bias is a number: NumPy adds it to each element of a vector. You already have "
            "the step (1.1)."),
    ), cases=_forward_cases, judge_case=_judge_forward, uses={"step": "1.1"}),
    FunctionExercise("1.5", ASSIGNMENT, Msg("Regla de aprendizaje de Rosenblatt", "Rosenblatt's learning rule"),
                  ("perceptron_update",), (
        Msg("Sigue los tres pasos del texto: salida, error, corrección. El error t − y solo puede ser −1, 0 o 1; "
            "con error 0 nada cambia.",
            "Follow the text's three steps: output, error, correction. The error t − y can only be −1, 0 or 1; "
            "with error 0 nothing changes."),
        Msg("La salida usa tu step, así que con z exactamente 0 la neurona dice 1. Cada peso se mueve α·(t − y)·xᵢ "
            "y el sesgo α·(t − y), como un peso cuya entrada es siempre 1.",
            "The output uses your step, so with z exactly 0 the neuron says 1. Each weight moves by α·(t − y)·xᵢ "
            "and the bias by α·(t − y), like a weight whose input is always 1."),
        Msg("Devuelve arrays nuevos: si modificas w en su sitio, cambias también el array de quien te llamó.",
            "Return new arrays: if you modify w in place, you also change the caller's array."),
    ), cases=_update_cases, judge_case=_judge_update, uses={"step": "1.1"}),
    FunctionExercise("1.6", ASSIGNMENT, Msg("Entrenar el perceptrón", "Training the perceptron"),
                  ("train_perceptron",), (
        Msg("Dos bucles: uno por épocas (como mucho epochs) y, dentro, uno por los ejemplos en orden. En cada "
            "iteración aplicas tu perceptron_update y anotas una fila.",
            "Two loops: one over epochs (at most epochs) and, inside, one over the examples in order. At each "
            "iteration you apply your perceptron_update and write down a row."),
        Msg("En cada fila, z e y se calculan con los w y b de antes de actualizar; después van t y los w y b "
            "nuevos. Cuenta los errores de la época: si una época completa no tiene ninguno, para al terminarla.",
            "In each row, z and y are computed with the w and b from before the update; then come t and the new w "
            "and b. Count the epoch's errors: if a whole epoch has none, stop when it ends."),
        Msg("Comprueba la longitud del historial: si converge en la época k tiene k·n filas; si no converge, "
            "exactamente epochs·n; si ya empieza acertando todo, n filas sin cambios.",
            "Check the history's length: if it converges in epoch k it has k·n rows; if it never converges, "
            "exactly epochs·n; if it is right from the start, n rows without changes."),
    ), cases=_train_cases, judge_case=_judge_train, uses=USES_TRAINING),
    FunctionExercise("1.7", ASSIGNMENT, Msg("Predice: ¿qué puertas aprende una neurona?",
                                          "Predict: which gates can one neuron learn?"),
                  ("is_linearly_separable",), (
        Msg("Dibuja los cuatro puntos (0,0), (0,1), (1,0), (1,1) y marca los que deben dar 1. ¿Puedes trazar una "
            "recta que deje todos los unos a un lado y todos los ceros al otro?",
            "Draw the four points (0,0), (0,1), (1,0), (1,1) and mark those that must give 1. Can you draw a line "
            "that leaves all the ones on one side and all the zeros on the other?"),
        Msg("Para decidirlo con código puedes probar muchas rectas (w1, w2, b) de una rejilla, o usar que la regla "
            "de Rosenblatt siempre converge cuando la tabla es separable: tu train_perceptron llega a 4/4 en pocas "
            "épocas.",
            "To decide it in code you can try many lines (w1, w2, b) from a grid, or use that Rosenblatt's rule "
            "always converges when the table is separable: your train_perceptron reaches 4/4 in a few epochs."),
        Msg("Las tablas constantes (todo 0 o todo 1) también son separables: sirve una recta que deje los cuatro "
            "puntos del mismo lado.",
            "Constant tables (all 0 or all 1) are separable too: a line with all four points on the same side "
            "will do."),
    ), cases=_separable_cases, judge_case=_judge_separable,
        uses={"step": "1.1", "perceptron_forward": "1.4", "perceptron_update": "1.5", "train_perceptron": "1.6"}),
    FunctionExercise("1.8", ASSIGNMENT, Msg("Dos capas lineales son una", "Two linear layers are one"),
                  ("collapse_linear_layers",), (
        Msg("Escribe la salida de las dos capas para un x cualquiera y desarrolla el producto: la multiplicación de "
            "matrices es distributiva respecto a la suma.",
            "Write the two layers' output for any x and expand the product: matrix multiplication distributes over "
            "addition."),
        Msg("Separa los términos en dos grupos: los que multiplican a x y los que no. El primero da W, de forma "
            "(entradas, salidas); el segundo, b. El orden de los factores importa: el producto de matrices no es "
            "conmutativo.",
            "Split the terms into two groups: those that multiply x and those that do not. The first gives W, of "
            "shape (inputs, outputs); the second, b. The order of the factors matters: the matrix product is not "
            "commutative."),
    ), cases=_collapse_cases, judge_case=_judge_collapse),
    FunctionExercise("1.9", ASSIGNMENT, Msg("Predice: ¿cuántas veces se actualizan los pesos?",
                                          "Predict: how many times are the weights updated?"),
                  ("optimizer_updates",), (
        Msg("Keras no actualiza los pesos tras cada ejemplo ni tras cada época, sino tras cada lote de batch_size "
            "ejemplos.",
            "Keras does not update the weights after each example nor after each epoch, but after each batch of "
            "batch_size examples."),
        Msg("Cuenta a mano un caso pequeño: 10 ejemplos en lotes de 4, ¿cuántos lotes da una época, si Keras no "
            "descarta los ejemplos que sobran? ¿Y si batch_size es mayor que n? Después multiplica por las épocas.",
            "Count a small case by hand: 10 examples in batches of 4, how many batches does an epoch make, if "
            "Keras does not drop the examples left over? And if batch_size is larger than n? Then multiply by the "
            "epochs."),
    ), cases=_updates_cases, judge_case=_judge_updates),
    ModelExercise("1.10", ASSIGNMENT, Msg("Una neurona de Keras aprende OR", "A Keras neuron learns OR"),
                  ("or_model",), (
        Msg("Una neurona de Keras es una capa densa de una unidad con activación sigmoide: 3 parámetros. Para "
            "salidas 0/1, la pérdida natural es la entropía cruzada binaria.",
            "A Keras neuron is a dense layer with one unit and a sigmoid activation: 3 parameters. For 0/1 outputs "
            "the natural loss is binary cross-entropy."),
        Msg("Con 4 ejemplos, cada época es una única actualización de los pesos (ejercicio 1.9). Con solo 100 "
            "actualizaciones, cada paso tiene que mover bastante los pesos, y la tasa por defecto de Adam se queda "
            "corta (lo viste en el experimento).",
            "With 4 examples, each epoch is a single weight update (exercise 1.9). With only 100 updates each step "
            "has to move the weights a fair amount, and Adam's default rate falls short (you saw it in the "
            "experiment)."),
        Msg("Prueba tasas de aprendizaje cada vez diez veces mayores y mira cuántas actualizaciones necesita cada "
            "una. Guarda el modelo en or_model.keras y vuelve a ejecutar la comprobación.",
            "Try learning rates ten times larger each time and see how many updates each one needs. Save the model "
            "as or_model.keras and run the check again."),
    ), model_file="or_model.keras", judge_model=_judge_or_model, update_budget=OR_BUDGET,
        budget_advice=GATE_BUDGET_ADVICE),
    ModelExercise("1.11", ASSIGNMENT, Msg("Un MLP de Keras aprende XOR", "A Keras MLP learns XOR"), ("xor_model",), (
        Msg("Una neurona sola traza una recta y XOR necesita dos (sección 5). Pon una capa oculta con activación no "
            "lineal antes de la neurona de salida sigmoide.",
            "A single neuron draws one line and XOR needs two (section 5). Put a hidden layer with a non-linear "
            "activation before the sigmoid output neuron."),
        Msg("En teoría bastan 2 neuronas ocultas, pero con tan pocas el entrenamiento se atasca a menudo según los "
            "pesos iniciales; unas cuantas más lo hacen mucho más fiable. La tasa de aprendizaje importa igual que "
            "en 1.10.",
            "In theory 2 hidden units are enough, but with so few training often gets stuck depending on the "
            "starting weights; a few more make it much more reliable. The learning rate matters just as in 1.10."),
        Msg("Si se queda en 3/4, o en una pérdida de 0.69 (no aprende nada), cambia la tasa de aprendizaje o el "
            "número de neuronas ocultas, no solo las épocas: tienes 300 actualizaciones como mucho.",
            "If it stays at 3/4, or at a loss of 0.69 (it learns nothing), change the learning rate or the number "
            "of hidden units, not only the epochs: you have 300 updates at most."),
    ), model_file="xor_model.keras", judge_model=_judge_xor_model, update_budget=XOR_BUDGET,
        budget_advice=GATE_BUDGET_ADVICE),
    FunctionExercise("1.12", ASSIGNMENT, Msg("Predice: ¿cuántas neuronas ocultas distintas?",
                                          "Predict: how many distinct hidden units?"),
                  ("distinct_hidden_units",), (
        Msg("Cada neurona oculta es una columna de la matriz de pesos. Si dos neuronas empiezan con la misma "
            "columna (y, como aquí, el mismo sesgo y el mismo peso de salida), ¿pueden recibir gradientes "
            "distintos?",
            "Each hidden unit is a column of the weight matrix. If two units start with the same column (and, as "
            "here, the same bias and the same output weight), can they receive different gradients?"),
        Msg("Razona por inducción sobre los pasos del descenso de gradiente: si dos neuronas son idénticas antes de "
            "un paso, ¿qué calculan, qué gradiente reciben y cómo quedan después del paso? Piensa también en el "
            "caso contrario: ¿algo obliga a dos neuronas que empiezan distintas a igualarse?",
            "Reason by induction over the gradient-descent steps: if two units are identical before a step, what "
            "do they compute, what gradient do they get and how are they after the step? Think about the opposite "
            "case too: does anything force two units that start different to become equal?"),
        Msg("Antes de programar, aplica tu razonamiento a mano a tres matrices pequeñas: una llena de ceros, una "
            "con todas las columnas diferentes y otra con dos columnas repetidas. NumPy tiene funciones que "
            "trabajan con filas o columnas enteras (mira su argumento axis).",
            "Before programming, apply your reasoning by hand to three small matrices: one full of zeros, one "
            "with all columns different and one with two repeated columns. NumPy has functions that work on whole "
            "rows or columns (look at their axis argument)."),
    ), cases=_distinct_cases, judge_case=_judge_distinct),
]
