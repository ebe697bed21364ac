"""Notebook 01: perceptron, activations, OR/XOR.

References come from Keras/TensorFlow public APIs (activations, automatic
differentiation) or from properties stated in the notebook, never from the
solution notebook's code.
"""
import numpy as np

from grader.compare import array_mismatch, short_repr
from grader.core import Case
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.i18n import Msg

ASSIGNMENT = "01_perceptron_or_xor"
OR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {
    "OR": np.array([0, 1, 1, 1], dtype=float),
    "AND": np.array([0, 0, 0, 1], dtype=float),
    "NAND": np.array([1, 1, 1, 0], dtype=float),
    "XOR": np.array([0, 1, 1, 0], dtype=float),
}


def _heaviside(z):
    return np.heaviside(np.asarray(z, dtype=float), 1.0)  # step(0) = 1: the threshold is z >= 0


# ------------------------------------------------------------------ 1.1 step

def _step_cases():
    rng = np.random.default_rng(11)
    return [
        Case("step", (np.array([-2.0, -0.5, 0.0, 0.5, 2.0]),)),
        Case("step", (rng.normal(size=(3, 4)),)),
        Case("step", (np.array([[0.0, -1e-9], [1e-9, 7.0]]),)),
    ]


def _judge_step(case, value):
    z, expected = case.args[0], case.expected
    if np.ndim(value) == 0 and expected.ndim > 0:
        return Msg("devolvió un solo número; la función debe aplicarse elemento a elemento (vectorizada)",
                   "returned a single number; the function must work element-wise (vectorised)")
    value = np.asarray(value, dtype=float)
    if value.shape == expected.shape and np.any(value[z == 0] != 1):
        return Msg("step(0) debe valer 1: el umbral es z ≥ 0", "step(0) must be 1: the threshold is z ≥ 0")
    return array_mismatch(value, expected)


# ------------------------------------------------------- 1.2 / 1.3 activations

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
LEAKY_SLOPE = 0.1  # max(0.1 z, z), as in the course slides


def _keras_activation(name):
    import keras
    return {
        "sigmoid": keras.activations.sigmoid,
        "tanh": keras.activations.tanh,
        "relu": keras.activations.relu,
        "leaky_relu": lambda z: keras.activations.leaky_relu(z, negative_slope=LEAKY_SLOPE),
        "elu": keras.activations.elu,
    }[name]


def _activation_inputs(seed):
    rng = np.random.default_rng(seed)
    # no exact zeros: ReLU-like functions have no derivative there
    return [np.array([-3.0, -1.5, -0.25, 0.25, 1.5, 3.0]), rng.normal(scale=4, size=(4, 5)),
            np.array([-40.0, -20.0, 20.0, 40.0])]


def _activation_cases():
    return [Case(name, (z,)) for name in ACTIVATIONS for z in _activation_inputs(12)]


def _judge_activation(case, value):
    import keras
    expected = keras.ops.convert_to_numpy(_keras_activation(case.function)(case.args[0]))
    return array_mismatch(value, expected)


def _derivative_cases():
    return [Case(f"{name}_derivative", (z,)) for name in ACTIVATIONS for z in _activation_inputs(13)]


def _judge_derivative(case, value):
    import tensorflow as tf
    activation = _keras_activation(case.function.removesuffix("_derivative"))
    z = tf.Variable(np.asarray(case.args[0], dtype=np.float64))
    with tf.GradientTape() as tape:
        output = activation(z)
    expected = tape.gradient(output, z).numpy()  # element-wise functions: gradient of the sum = derivative
    return array_mismatch(value, expected, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------- 1.4 forward

def _forward_cases():
    rng = np.random.default_rng(14)
    return [
        Case("perceptron_forward", (OR_INPUTS, np.array([1.0, 1.0]), -0.5)),
        Case("perceptron_forward", (OR_INPUTS, np.array([0.5, 0.5]), -1.0)),
        Case("perceptron_forward", (rng.normal(size=(7, 3)), rng.normal(size=3), 0.3)),
    ]


def _judge_forward(case, value):
    return array_mismatch(value, case.expected)


# ------------------------------------------------------------- 1.5 update

def _update_cases():
    return [
        Case("perceptron_update", (np.array([0.0, 1.0]), 1.0, np.array([0.5, 0.5]), -1.0, 0.5)),  # missed a 1
        Case("perceptron_update", (np.array([1.0, 1.0]), 0.0, np.array([0.5, 0.5]), 1.0, 0.5)),  # missed a 0
        Case("perceptron_update", (np.array([1.0, 0.0]), 1.0, np.array([1.0, 1.0]), -0.5, 0.5)),  # right: no change
        Case("perceptron_update", (np.array([2.0, -1.0, 0.5]), 1.0, np.array([-1.0, 0.2, 0.1]), 0.0, 0.1)),
    ]


def _rosenblatt(x, target, w, b, learning_rate):
    # The rule exactly as the notebook states it: w ← w + α(t − y)x, b ← b + α(t − y).
    error = target - _heaviside(x @ w + b)
    return w + learning_rate * error * x, b + learning_rate * error


def _judge_update(case, value):
    if not isinstance(value, tuple) or len(value) != 2:
        return Msg("debe devolver una tupla (nuevo_w, nuevo_b)", "must return a tuple (new_w, new_b)")
    expected_w, expected_b = _rosenblatt(*case.args)
    return array_mismatch(value[0], expected_w) or array_mismatch(np.asarray(value[1]).reshape(()),
                                                                   np.asarray(expected_b))


# ------------------------------------------------------------- 1.6 training

def _train_cases():
    return [
        Case("train_perceptron", (OR_INPUTS, GATES["OR"], np.array([0.5, 0.5]), 1.0, 0.5, 10)),
        Case("train_perceptron", (OR_INPUTS, GATES["AND"], np.zeros(2), 0.0, 0.25, 20)),
        Case("train_perceptron", (OR_INPUTS, GATES["NAND"], np.array([0.3, -0.2]), 0.1, 1.0, 20)),
    ]


def _judge_train(case, value):
    X, targets, w, b, learning_rate, _ = case.args
    if not isinstance(value, tuple) or len(value) != 3:
        return Msg("debe devolver una tupla (w, b, historial)", "must return a tuple (w, b, history)")
    final_w, final_b, history = (np.asarray(v, dtype=float) for v in value)
    n_features = X.shape[1]
    columns = 2 * n_features + 4  # x…, z, y, t, new w…, new b
    if history.ndim != 2 or history.shape[1] != columns or len(history) == 0:
        return Msg(f"el historial debe ser una matriz con una fila por iteración y {columns} columnas "
                   f"(x, z, y, t, nuevos w, nuevo b); tiene forma {history.shape}",
                   f"the history must be a matrix with one row per iteration and {columns} columns "
                   f"(x, z, y, t, new w, new b); its shape is {history.shape}")
    for number, row in enumerate(history, start=1):
        x, target = row[:n_features], row[n_features + 2]
        z_expected = x @ w + b
        if not np.isclose(row[n_features], z_expected):
            return Msg(f"en la iteración {number}, z = w·x + b debería ser {z_expected:.4g} y la tabla dice "
                       f"{row[n_features]:.4g}",
                       f"at iteration {number}, z = w·x + b should be {z_expected:.4g} but the table says "
                       f"{row[n_features]:.4g}")
        w, b = _rosenblatt(x, target, w, b, learning_rate)
        if not np.allclose(row[n_features + 3:], np.append(w, b)):
            return Msg(f"en la iteración {number}, la regla de Rosenblatt da w={short_repr(w)}, b={b:.4g} "
                       f"y la tabla dice {short_repr(row[n_features + 3:])}",
                       f"at iteration {number}, Rosenblatt's rule gives w={short_repr(w)}, b={b:.4g} "
                       f"but the table says {short_repr(row[n_features + 3:])}")
    if array_mismatch(final_w, w) or array_mismatch(final_b.reshape(()), np.asarray(b)):
        return Msg("los w y b devueltos no son los de la última fila del historial",
                   "the returned w and b are not those of the history's last row")
    hits = int(np.sum(_heaviside(X @ final_w + final_b) == targets))
    if hits != len(targets):
        return Msg(f"tras entrenar acierta {hits}/{len(targets)}; una puerta linealmente separable "
                   f"debe llegar a {len(targets)}/{len(targets)}",
                   f"after training it gets {hits}/{len(targets)} right; a linearly separable gate "
                   f"must reach {len(targets)}/{len(targets)}")
    return None


# ------------------------------------------------------ 1.7 linear collapse

def _collapse_cases():
    rng = np.random.default_rng(17)
    cases = []
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
    if W.shape != (W1.shape[0], W2.shape[1]):
        return Msg(f"W debería tener forma {(W1.shape[0], W2.shape[1])} y tiene {W.shape}",
                   f"W should have shape {(W1.shape[0], W2.shape[1])} but has {W.shape}")
    x = np.random.default_rng(0).normal(size=(6, W1.shape[0]))
    two_layers = (x @ W1 + b1) @ W2 + b2
    problem = array_mismatch(x @ W + b, two_layers)
    if problem:
        return Msg("x @ W + b no coincide con las dos capas aplicadas a x aleatorios: {problem}",
                   "x @ W + b does not match the two layers applied to random x: {problem}").format(problem=problem)
    return None


# ------------------------------------------------------------ 1.8 / 1.9 Keras

def _predictions(model, gate):
    probabilities = np.asarray(model.predict(OR_INPUTS, verbose=0)).reshape(-1)
    return (probabilities >= 0.5).astype(float), GATES[gate]


def _judge_or_model(model):
    if model.count_params() != 3:
        return Msg(f"una sola neurona con dos entradas tiene 3 parámetros (w1, w2, b); el modelo tiene "
                   f"{model.count_params()}",
                   f"a single neuron with two inputs has 3 parameters (w1, w2, b); the model has "
                   f"{model.count_params()}")
    predicted, targets = _predictions(model, "OR")
    hits = int(np.sum(predicted == targets))
    if hits != 4:
        return Msg(f"acierta {hits}/4 en la tabla de OR; entrena más épocas o con mayor tasa de aprendizaje",
                   f"gets {hits}/4 of the OR truth table; train for more epochs or with a larger learning rate")
    return None


def _judge_xor_model(model):
    dense_layers = [layer for layer in model.layers if "units" in layer.get_config()]
    hidden = dense_layers[:-1]
    if not hidden:
        return Msg("necesita al menos una capa oculta: una sola neurona no separa XOR",
                   "it needs at least one hidden layer: a single neuron cannot separate XOR")
    if all(layer.get_config().get("activation") == "linear" for layer in hidden):
        return Msg("las capas ocultas no tienen activación no lineal: la red entera sería lineal",
                   "the hidden layers have no non-linear activation: the whole network would be linear")
    predicted, targets = _predictions(model, "XOR")
    hits = int(np.sum(predicted == targets))
    if hits != 4:
        return Msg(f"acierta {hits}/4 en la tabla de XOR; prueba más neuronas ocultas o más épocas",
                   f"gets {hits}/4 of the XOR truth table; try more hidden units or more epochs")
    return None


EXERCISES = [
    FunctionExercise("1.1", ASSIGNMENT, Msg("Función escalón", "Step function"), ("step",),
             Msg("La comparación z >= 0 ya trabaja elemento a elemento; np.where(condición, a, b) elige entre dos "
                 "valores y conserva la forma del array.",
                 "The comparison z >= 0 already works element-wise; np.where(condition, a, b) picks one of two "
                 "values and keeps the array's shape."),
             cases=_step_cases, judge_case=_judge_step),
    FunctionExercise("1.2", ASSIGNMENT, Msg("Funciones de activación", "Activation functions"), ACTIVATIONS,
             Msg("Todo con NumPy y elemento a elemento: np.exp, np.tanh, np.maximum y np.where te bastan. "
                 "Leaky ReLU usa pendiente 0.1 y ELU usa α = 1.",
                 "All in NumPy and element-wise: np.exp, np.tanh, np.maximum and np.where are enough. "
                 "Leaky ReLU uses slope 0.1 and ELU uses α = 1."),
             cases=_activation_cases, judge_case=_judge_activation),
    FunctionExercise("1.3", ASSIGNMENT, Msg("Derivadas de las activaciones", "Derivatives of the activations"),
             tuple(f"{name}_derivative" for name in ACTIVATIONS),
             Msg("σ'(z) = σ(z)(1 − σ(z)), tanh'(z) = 1 − tanh(z)², ReLU'(z) = 1 si z > 0 y 0 si no; "
                 "Leaky ReLU' vale 0.1 para z < 0; ELU'(z) = e^z para z < 0.",
                 "σ'(z) = σ(z)(1 − σ(z)), tanh'(z) = 1 − tanh(z)², ReLU'(z) = 1 if z > 0 else 0; "
                 "Leaky ReLU' is 0.1 for z < 0; ELU'(z) = e^z for z < 0."),
             cases=_derivative_cases, judge_case=_judge_derivative),
    FunctionExercise("1.4", ASSIGNMENT, Msg("Propagación del perceptrón", "Perceptron forward pass"),
             ("perceptron_forward",),
             Msg("X tiene una fila por ejemplo: X @ w da la suma ponderada de cada fila. Suma b y aplica step.",
                 "X has one row per example: X @ w gives each row's weighted sum. Add b and apply step."),
             cases=_forward_cases, judge_case=_judge_forward, uses={"step": "1.1"}),
    FunctionExercise("1.5", ASSIGNMENT, Msg("Regla de aprendizaje de Rosenblatt", "Rosenblatt's learning rule"),
             ("perceptron_update",),
             Msg("Calcula y = step(x·w + b) y el error t − y; luego w + α·error·x y b + α·error. "
                 "Si el error es 0, nada cambia.",
                 "Compute y = step(x·w + b) and the error t − y; then w + α·error·x and b + α·error. "
                 "If the error is 0 nothing changes."),
             cases=_update_cases, judge_case=_judge_update),
    FunctionExercise("1.6", ASSIGNMENT, Msg("Entrenar el perceptrón", "Training the perceptron"),
             ("train_perceptron",),
             Msg("Recorre los ejemplos en orden, época tras época; en cada iteración guarda la fila "
                 "[x..., z, y, t, nuevos w..., nuevo b] y actualiza con perceptron_update. "
                 "Puedes parar tras una época sin errores.",
                 "Go through the examples in order, epoch after epoch; at each iteration store the row "
                 "[x..., z, y, t, new w..., new b] and update with perceptron_update. "
                 "You may stop after an epoch with no errors."),
             cases=_train_cases, judge_case=_judge_train),
    FunctionExercise("1.7", ASSIGNMENT, Msg("Dos capas lineales son una", "Two linear layers are one"),
             ("collapse_linear_layers",),
             Msg("Desarrolla (x @ W1 + b1) @ W2 + b2: el término que multiplica a x es W, el resto es b.",
                 "Expand (x @ W1 + b1) @ W2 + b2: the factor of x is W, the rest is b."),
             cases=_collapse_cases, judge_case=_judge_collapse),
    ModelExercise("1.8", ASSIGNMENT, Msg("Una neurona de Keras aprende OR", "A Keras neuron learns OR"),
             ("or_model",),
             Msg("keras.Sequential([keras.Input((2,)), layers.Dense(1, activation='sigmoid')]), compila con "
                 "binary_crossentropy y Adam(learning_rate=0.5), y entrena unas 50 épocas.",
                 "keras.Sequential([keras.Input((2,)), layers.Dense(1, activation='sigmoid')]), compile with "
                 "binary_crossentropy and Adam(learning_rate=0.5), and train for about 50 epochs."),
             model_file="or_model.keras", judge_model=_judge_or_model),
    ModelExercise("1.9", ASSIGNMENT, Msg("Un MLP de Keras aprende XOR", "A Keras MLP learns XOR"),
             ("xor_model",),
             Msg("Añade una capa oculta Dense(8, activation='tanh') antes de la neurona de salida y entrena "
                 "unas 100 épocas con Adam(learning_rate=0.1).",
                 "Add a hidden Dense(8, activation='tanh') layer before the output neuron and train for "
                 "about 100 epochs with Adam(learning_rate=0.1)."),
             model_file="xor_model.keras", judge_model=_judge_xor_model),
]
