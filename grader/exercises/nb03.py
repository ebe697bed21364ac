"""Notebook 03: multilayer perceptron on MNIST (NumPy from scratch, then Keras).

The judges compare each answer with ``case.expected``, the reference's answer as data (computed
by grader/hidden/nb03.py from Keras/TensorFlow or from the statements' contracts); they never
compute it. The Keras model is judged on the grader's own copy of the test set, and on that same
set moved one pixel, to flag a model that has seen the test images while training.
"""
import numpy as np

from grader.compare import array_mismatch, classification_accuracy, shift_images, short_repr
from grader.core import Case
from grader.data import grader_test_set
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.i18n import Msg

ASSIGNMENT = "03_mlp_mnist"
KERAS_TEST_ACCURACY = 0.975   # 20 seeds of the reference: 97.67-98.49 %; the notebook states it (test_release)
KERAS_UPDATE_BUDGET = 20 * 1719  # 20 epochs of the 55 000 training images in batches of 32 (1719 per epoch)
# Test-set discipline. Moved one pixel, the test digits are new images of the same digits. A model trained
# only on the training set makes about twice as many mistakes on them as on the original test images (1.85
# to 2.06 measured on six honest MLPs); one that trained on the test images makes 25 to 200 times as many,
# as it does on its own training images. Above this ratio the check says so (see /work/notes/nb03.md).
SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (down, right) in pixels
MAX_SHIFTED_ERROR_RATIO = 4.0


def one_hot_rows(labels, classes):
    return np.eye(classes)[np.asarray(labels)]


def _is_integer(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value):
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            or isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf")


# ------------------------------------------------------- 3.1 parameter count

def _count_cases():
    # the smallest first, so a mistake is shown on the smallest network that reveals it
    return [Case("count_dense_params", (sizes,)) for sizes in
            ([5, 1], [2, 3, 1], [3, 4, 4, 2], [784, 15, 10], [784, 512, 256, 10])]


def _judge_count(case, value):
    expected, weights_only, input_biases = case.expected
    if not _is_integer(value):
        return Msg(f"debe devolver un número entero, no {type(value).__name__}",
                   f"must return an integer, not {type(value).__name__}")
    if value == expected:
        return None
    if value == weights_only:
        return Msg(f"devolvió {value}, que son solo los pesos: cada neurona de las capas ocultas y de salida "
                   f"tiene además un sesgo (model.count_params() da {expected})",
                   f"returned {value}, which is only the weights: each hidden and output neuron also has a "
                   f"bias (model.count_params() gives {expected})")
    if value == input_biases:
        return Msg(f"devolvió {value}: contaste sesgos también en la capa de entrada, que no tiene neuronas "
                   f"con parámetros (model.count_params() da {expected})",
                   f"returned {value}: you counted biases on the input layer too, which has no neurons with "
                   f"parameters (model.count_params() gives {expected})")
    return Msg(f"devolvió {value} y model.count_params() da {expected}",
               f"returned {value} but model.count_params() gives {expected}")


# -------------------------------------------------- 3.2 softmax and cross-entropy

def _softmax_cases():
    rng = np.random.default_rng(32)
    return [
        Case("softmax", (np.array([[1.0, 2.0, 3.0]]),)),
        Case("softmax", (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]]),)),
        # a row whose maximum is far below another row's: one shift for the whole matrix is not enough
        Case("softmax", (np.array([[-1000.0, -999.0, -998.0], [0.0, 1.0, 2.0]]),)),
        Case("softmax", (np.round(rng.normal(scale=3, size=(4, 10)), 2),)),
    ]


def _judge_softmax(case, value):
    z, expected = case.args[0], case.expected
    value = np.asarray(value, dtype=float)
    if value.shape != z.shape:
        return Msg(f"la forma debería ser {z.shape} (una fila de probabilidades por ejemplo) y es {value.shape}",
                   f"the shape should be {z.shape} (one row of probabilities per example) but is {value.shape}")
    bad_rows = [int(row) for row in np.flatnonzero(~np.all(np.isfinite(value), axis=-1))]
    if bad_rows and len(bad_rows) < len(z):
        return Msg(f"las filas {bad_rows} dan nan/inf y las demás no: el desplazamiento que evita el desbordamiento "
                   f"tiene que ser el de cada fila, no uno común para toda la matriz",
                   f"rows {bad_rows} give nan/inf and the others do not: the shift that avoids the overflow must "
                   f"be each row's own, not one for the whole matrix")
    if bad_rows:
        return Msg("devolvió nan/inf: con logits grandes e^z se desborda (o se vuelve 0 en todas las "
                   "componentes). Softmax no cambia si sumas la misma constante a todos los logits de una fila: "
                   "úsalo para que los exponentes queden en un rango seguro",
                   "returned nan/inf: with large logits e^z overflows (or becomes 0 in every component). Softmax "
                   "does not change when you add the same constant to every logit of a row: use that to keep "
                   "the exponents in a safe range")
    if not np.allclose(value.sum(axis=-1), 1.0, atol=1e-6):
        return Msg(f"cada fila debe sumar 1 y las sumas son {short_repr(value.sum(axis=-1))}: "
                   f"¿normalizas cada fila por su propia suma?",
                   f"each row must sum to 1 and the sums are {short_repr(value.sum(axis=-1))}: "
                   f"do you normalise each row by its own sum?")
    return array_mismatch(value, expected, rtol=1e-5, atol=1e-7)


SEED_004_TABLE = (np.array([[1.0, 0.0, 0.0]] * 3),
                  np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]]))


def _crossentropy_cases():
    rng = np.random.default_rng(33)
    logits = rng.normal(scale=2, size=(6, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return [
        Case("categorical_crossentropy", SEED_004_TABLE),
        Case("categorical_crossentropy", (one_hot_rows(rng.integers(0, 4, size=6), 4), probabilities)),
    ]


def _judge_crossentropy(case, value):
    y_true, y_prob = case.args
    expected = np.asarray(case.expected, dtype=float)
    value = np.asarray(value, dtype=float)
    if value.shape != (len(y_true),):
        return Msg(f"debe devolver una pérdida por ejemplo, forma {(len(y_true),)}, y devolvió forma {value.shape}",
                   f"must return one loss per example, shape {(len(y_true),)}, but returned shape {value.shape}")
    if not np.all(np.isfinite(value)):
        return Msg("devolvió nan/inf: con una probabilidad exactamente 0, log(0) = −∞ y 0·log(0) = nan. Recorta "
                   "las probabilidades al intervalo [1e-7, 1 − 1e-7] antes del logaritmo",
                   "returned nan/inf: with a probability of exactly 0, log(0) = −∞ and 0·log(0) = nan. Clip the "
                   "probabilities to [1e-7, 1 − 1e-7] before taking the logarithm")
    if np.any(value < -1e-9):
        return Msg(f"devolvió pérdidas negativas {short_repr(value)}: ¿falta el signo menos?",
                   f"returned negative losses {short_repr(value)}: is the minus sign missing?")
    p_true = np.sum(y_true * y_prob, axis=1)
    for row, (p, loss, reference) in enumerate(zip(p_true, value, expected)):
        if p == 0 and not np.isclose(loss, reference, rtol=1e-4):
            return Msg(f"la fila {row} da probabilidad 0 a la clase correcta: con el recorte a 1e-7 su pérdida "
                       f"es −log(1e-7) ≈ {reference:.4g} y devolvió {loss:.4g}",
                       f"row {row} gives probability 0 to the right class: clipped at 1e-7 its loss is "
                       f"−log(1e-7) ≈ {reference:.4g} but returned {loss:.4g}")
        if p == 1 and loss > 1e-5:
            return Msg(f"la fila {row} acierta con probabilidad 1: su pérdida debe ser 0 y devolvió {loss:.4g}",
                       f"row {row} is right with probability 1: its loss must be 0 but returned {loss:.4g}")
    return array_mismatch(value, expected, rtol=1e-5, atol=1e-6)


def _softmax_crossentropy_cases():
    return _softmax_cases() + _crossentropy_cases()


def _judge_softmax_crossentropy(case, value):
    return (_judge_softmax if case.function == "softmax" else _judge_crossentropy)(case, value)


# ------------------------------------------------- 3.3 forward and backward

def _network_args(rng, n, sizes):
    n_in, n_hidden, n_out = sizes
    X = rng.uniform(0, 1, size=(n, n_in))
    Y = one_hot_rows(rng.integers(0, n_out, size=n), n_out)
    return X, Y, (rng.normal(size=(n_in, n_hidden)), rng.normal(size=n_hidden),
                  rng.normal(size=(n_hidden, n_out)), rng.normal(size=n_out))


# A network small enough to read in a message: 2 examples, 3 inputs, 2 hidden neurons, 1 output.
TINY_X = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.5]])
TINY_Y = np.array([[1.0], [0.0]])
TINY_PARAMS = (np.array([[0.5, -1.0], [1.0, 0.5], [-0.5, 1.0]]), np.array([0.1, -0.1]),
               np.array([[1.0], [-2.0]]), np.array([0.2]))


def _forward_cases():
    rng = np.random.default_rng(34)
    cases = [Case("forward", (TINY_X, *TINY_PARAMS))]
    for n, sizes in [(5, (4, 4, 4)), (7, (6, 3, 2)), (3, (784, 15, 10))]:
        X, _, params = _network_args(rng, n, sizes)
        cases.append(Case("forward", (X, *params)))
    # non-square first: a transposed gradient then shows up as a shape error, the clearest message
    cases.append(Case("backward", (TINY_X, TINY_Y, *TINY_PARAMS)))
    for n, sizes in [(7, (6, 3, 2)), (4, (10, 5, 3)), (5, (4, 4, 4))]:
        X, Y, params = _network_args(rng, n, sizes)
        cases.append(Case("backward", (X, Y, *params)))
    return cases


def _judge_forward(case, value):
    hidden, output = case.expected
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return Msg("debe devolver una tupla (A1, A2): activaciones de la capa oculta y de la salida",
                   "must return a tuple (A1, A2): activations of the hidden and output layers")
    for name, got, expected in (("A1", value[0], hidden), ("A2", value[1], output)):
        problem = array_mismatch(got, expected, rtol=1e-6, atol=1e-9)
        if problem:
            return Msg.same("{name}: {problem}").format(name=name, problem=problem)
    return None


# (the mistake, in words) for each variant the reference bundles after the right gradients
GRADIENT_MISTAKES = (
    Msg("coinciden con los que salen si falta la derivada de la sigmoide de la capa de salida, A2·(1 − A2)",
        "they match what you get without the output layer's sigmoid derivative, A2·(1 − A2)"),
    Msg("coinciden con los que salen si falta la derivada de la sigmoide de la capa oculta, A1·(1 − A1)",
        "they match what you get without the hidden layer's sigmoid derivative, A1·(1 − A1)"),
    Msg("son n veces los correctos: el coste es una media, así que hay que dividir entre el número de ejemplos",
        "they are n times the right ones: the cost is a mean, so divide by the number of examples"),
    Msg("tienen el signo cambiado: la derivada de ½(a − y)² respecto de a es (a − y), no (y − a)",
        "they have the wrong sign: the derivative of ½(a − y)² with respect to a is (a − y), not (y − a)"),
)
BACKPROP_ORDER = (2, 3, 0, 1)  # dW2, db2, dW1, db1: the output layer first, as backpropagation computes them
GRADIENT_NAMES = ("dW1", "db1", "dW2", "db2")


def _matches(value, expected):
    return all(np.shape(v) == np.shape(e) and np.allclose(v, e, rtol=1e-5, atol=1e-9)
               for v, e in zip(value, expected))


def _judge_backward(case, value):
    gradients, *variants = case.expected
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        return Msg("debe devolver una tupla (dW1, db1, dW2, db2)", "must return a tuple (dW1, db1, dW2, db2)")
    value = [np.asarray(v, dtype=float) for v in value]
    for index in BACKPROP_ORDER:
        name, got, reference = GRADIENT_NAMES[index], value[index], gradients[index]
        if got.shape != reference.shape:
            return Msg(f"{name} debe tener la forma del parámetro, {reference.shape}, y tiene {got.shape}",
                       f"{name} must have the shape of its parameter, {reference.shape}, but has {got.shape}")
    if _matches(value, gradients):
        return None
    for mistake, variant in zip(GRADIENT_MISTAKES, variants):
        if _matches(value, variant):
            return Msg("los gradientes {mistake}", "the gradients: {mistake}").format(mistake=mistake)
    for index in BACKPROP_ORDER:
        problem = array_mismatch(value[index], gradients[index], rtol=1e-5, atol=1e-9)
        if problem:
            later = (Msg(" (los de la capa de salida están bien: el error está al llevar δ hacia la capa oculta)",
                         " (the output layer's are right: the mistake is in carrying δ back to the hidden layer)")
                     if index in (0, 1) else Msg.same(""))
            return Msg("{name} (el primero que falla en el orden de la retropropagación: dW2, db2, dW1, db1) no "
                       "coincide con el gradiente de TensorFlow: {problem}{later}",
                       "{name} (the first wrong one in backpropagation order: dW2, db2, dW1, db1) does not match "
                       "TensorFlow's gradient: {problem}{later}").format(
                name=GRADIENT_NAMES[index], problem=problem, later=later)
    return None


def _judge_network(case, value):
    return (_judge_forward if case.function == "forward" else _judge_backward)(case, value)


# ------------------------------------------------------------ 3.4 training

def _disc(n, seed):
    """Points in the square [-1, 1]²; class 1 inside the centred disc of half the square's area.
    No straight line separates it (a linear model gets about half right); one hidden layer does."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    inside = (np.hypot(X[:, 0], X[:, 1]) < np.sqrt(2 / np.pi)).astype(int)
    return X, one_hot_rows(inside, 2)


SMALL_X = np.array([[0.5, -1.0], [1.0, 0.0], [-0.5, 0.5], [0.0, 1.0], [-1.0, -0.5], [0.25, 0.75]])
SMALL_Y = one_hot_rows([1, 0, 1, 0, 1, 0], 2)


def _train_cases():
    # From the smallest run that can go wrong to a real one: 0 epochs (only the initialisation), one
    # step, one epoch of three mini-batches (the last one short), three epochs, the disc problem.
    return [Case("train_network", (SMALL_X[:3], SMALL_Y[:3], 2, 0, 3, 1.0, 0)),
            Case("train_network", (SMALL_X[:4], SMALL_Y[:4], 3, 1, 4, 1.0, 1)),
            Case("train_network", (SMALL_X[:5], SMALL_Y[:5], 3, 1, 2, 1.0, 2)),
            Case("train_network", (SMALL_X, SMALL_Y, 3, 3, 2, 0.5, 3)),
            Case("train_network", (*_disc(400, seed=35), 10, 60, 10, 3.0, 0))]


PARAMETER_NAMES = ("W1", "b1", "W2", "b2")
TRAINING_MISTAKES = (
    (2, Msg("coincide con la ejecución de referencia con una época menos: ¿tu bucle hace epochs − 1 épocas?",
            "it matches the reference run with one epoch less: does your loop run epochs − 1 epochs?")),
    (3, Msg("coincide con la ejecución de referencia con una época más: ¿tu bucle hace epochs + 1 épocas?",
            "it matches the reference run with one epoch more: does your loop run epochs + 1 epochs?")),
    (4, Msg("coincide con entrenar sin barajar: cada época debe recorrer los ejemplos en el orden de una "
            "permutación nueva", "it matches training without shuffling: each epoch must go through the "
            "examples in the order of a new permutation")),
    (5, Msg("coincide con barajar una sola vez: hay que sacar una permutación nueva al empezar cada época",
            "it matches shuffling only once: draw a new permutation at the start of every epoch")),
)


def _same(params, reference):
    return reference is not None and all(
        np.shape(p) == np.shape(r) and np.allclose(p, r, rtol=1e-6, atol=1e-9) for p, r in zip(params, reference))


def _judge_train(case, value):
    X, Y, n_hidden, epochs, batch_size = case.args[:5]
    expected, initial = case.expected[0], case.expected[1]
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        return Msg("debe devolver una tupla (W1, b1, W2, b2)", "must return a tuple (W1, b1, W2, b2)")
    params = [np.asarray(v, dtype=float) for v in value]
    for name, got, reference in zip(PARAMETER_NAMES, params, expected):
        if got.shape != reference.shape:
            return Msg(f"{name} debería tener forma {reference.shape} y tiene {got.shape}",
                       f"{name} should have shape {reference.shape} but has {got.shape}")
    if _same(params, expected):
        return None
    if epochs == 0:
        name, problem = next((n, p) for n, got, r in zip(PARAMETER_NAMES, params, initial)
                             if (p := array_mismatch(got, r, rtol=1e-6, atol=1e-9)))
        return Msg("con epochs=0 debe devolver los parámetros iniciales, y {name} no coincide: {problem}. "
                   "Revisa el orden de las extracciones (W1 y después W2), su escala (entre la raíz del número de "
                   "entradas de la capa) y los sesgos a cero",
                   "with epochs=0 it must return the initial parameters, and {name} does not match: {problem}. "
                   "Check the order of the draws (W1, then W2), their scale (divided by the square root of the "
                   "layer's number of inputs) and zero biases").format(name=name, problem=problem)
    if _same(params, initial):
        return Msg(f"con epochs={epochs} devolvió los parámetros iniciales: no se actualiza ninguno. ¿Llega a "
                   f"ejecutarse el bucle de épocas, y cada paso cambia los parámetros?",
                   f"with epochs={epochs} it returned the initial parameters: none of them is updated. Does the "
                   f"epoch loop run at all, and does each step change the parameters?")
    frozen = [name for name, got, start in zip(PARAMETER_NAMES, params, initial)
              if np.allclose(got, start, rtol=1e-12, atol=1e-15)]
    if frozen:
        return Msg("{names} no cambia(n) respecto al valor inicial: ¿falta su actualización?",
                   "{names} do(es) not change from the initial value: is its update missing?").format(
            names=", ".join(frozen))
    for variant, mistake in TRAINING_MISTAKES:
        if _same(params, case.expected[variant]):
            return mistake
    name, problem = next((n, p) for n, got, r in zip(PARAMETER_NAMES, params, expected)
                         if (p := array_mismatch(got, r, rtol=1e-6, atol=1e-9)))
    steps = epochs * -(-len(X) // batch_size)
    return Msg("tras {epochs} época(s) de mini-lotes de {batch} filas ({steps} pasos) tus parámetros no coinciden "
               "con la ejecución de referencia con la misma semilla; {name}: {problem}. Revisa que cada paso mueva "
               "los cuatro parámetros en contra de su gradiente, multiplicado por learning_rate, y que los "
               "mini-lotes sean bloques consecutivos, sin solaparse, de la permutación",
               "after {epochs} epoch(s) of mini-batches of {batch} rows ({steps} steps) your parameters do not "
               "match the reference run with the same seed; {name}: {problem}. Check that every step moves all "
               "four parameters against their gradient, times learning_rate, and that mini-batches are "
               "consecutive, non-overlapping blocks of the permutation").format(
        epochs=epochs, batch=batch_size, steps=steps, name=name, problem=problem)


# ------------------------------------------------------------ 3.5 Keras MLP

def _judge_mnist_model(model):
    dense = [layer for layer in model.layers if "units" in layer.get_config()]
    if len(dense) < 2:
        return Msg("necesita al menos una capa oculta Dense antes de la capa de salida",
                   "it needs at least one hidden Dense layer before the output layer")
    output = dense[-1].get_config()
    if output["units"] != 10 or output.get("activation") != "softmax":
        return Msg(f"la capa de salida debe ser Dense(10, activation='softmax'); es Dense({output['units']}, "
                   f"activation='{output.get('activation')}')",
                   f"the output layer must be Dense(10, activation='softmax'); it is Dense({output['units']}, "
                   f"activation='{output.get('activation')}')")
    if any(layer.get_config().get("activation") != "relu" for layer in dense[:-1]):
        return Msg("las capas ocultas deben usar activación ReLU", "the hidden layers must use the ReLU activation")
    if not any(type(layer).__name__ == "Dropout" for layer in model.layers):
        return Msg("falta al menos una capa Dropout para regularizar", "at least one Dropout layer is missing")
    input_shape = tuple(model.inputs[0].shape[1:])
    if input_shape not in ((784,), (28, 28)):
        return Msg(f"la entrada debe ser (28, 28) o (784,) y es {input_shape}",
                   f"the input must be (28, 28) or (784,) but is {input_shape}")
    images, labels = grader_test_set("mnist")
    accuracy = classification_accuracy(model, images.reshape((len(images),) + input_shape), labels)
    if accuracy < KERAS_TEST_ACCURACY:
        return Msg(f"su exactitud en el conjunto de prueba (10 000 imágenes, píxeles escalados a [0, 1]) es "
                   f"{accuracy:.2%}; debe llegar al {KERAS_TEST_ACCURACY:.1%}",
                   f"its accuracy on the test set (10,000 images, pixels scaled to [0, 1]) is {accuracy:.2%}; "
                   f"it must reach {KERAS_TEST_ACCURACY:.1%}")
    shifted_accuracy = np.mean([classification_accuracy(
        model, shift_images(images, down, right).reshape((len(images),) + input_shape), labels)
        for down, right in SHIFTS])
    ratio = (1 - shifted_accuracy) / max(1 - accuracy, 1e-4)
    if ratio > MAX_SHIFTED_ERROR_RATIO:
        return Msg(f"se equivoca en el {1 - accuracy:.2%} del conjunto de prueba, pero en el {1 - shifted_accuracy:.2%} "
                   f"de esas mismas imágenes desplazadas un píxel: {ratio:.0f} veces más. Un modelo entrenado solo "
                   f"con el conjunto de entrenamiento se equivoca unas 2 veces más; tanta diferencia indica que ha "
                   f"visto las imágenes de prueba al entrenar. Entrena solo con X_train/Y_train, valida con "
                   f"X_val/Y_val y vuelve a guardar el modelo",
                   f"it gets {1 - accuracy:.2%} of the test set wrong, but {1 - shifted_accuracy:.2%} of the same "
                   f"images moved one pixel: {ratio:.0f} times as many. A model trained only on the training set "
                   f"makes about twice as many mistakes; this much more means it has seen the test images while "
                   f"training. Train only on X_train/Y_train, validate on X_val/Y_val and save the model again")
    return None


# ---------------------------------------------- 3.6, 3.10, 3.13: predict, then run

def _initial_loss_cases():
    return [Case("initial_loss", (classes,)) for classes in (10, 2, 3)]


def _judge_initial_loss(case, value):
    natural, bits, digits, probability = case.expected
    if not _is_number(value):
        return Msg(f"debe devolver un número, no {type(value).__name__}", f"must return a number, not {type(value).__name__}")
    value = float(value)
    if np.isclose(value, natural, rtol=1e-6):
        return None
    for other, why in ((bits, Msg("ese es el logaritmo en base 2; Keras usa el logaritmo natural",
                                  "that is the base-2 logarithm; Keras uses the natural logarithm")),
                       (digits, Msg("ese es el logaritmo en base 10; Keras usa el logaritmo natural",
                                    "that is the base-10 logarithm; Keras uses the natural logarithm")),
                       (probability, Msg("esa es la probabilidad de la clase correcta; la pérdida es −log de esa "
                                         "probabilidad", "that is the right class's probability; the loss is −log "
                                         "of that probability")),
                       (-natural, Msg("tiene el signo cambiado: la entropía cruzada nunca es negativa",
                                      "it has the wrong sign: cross-entropy is never negative"))):
        if np.isclose(value, other, rtol=1e-6):
            return Msg("devolvió {value:.4g}: {why}", "returned {value:.4g}: {why}").format(value=value, why=why)
    return Msg(f"devolvió {value:.4g}, y la entropía cruzada de una red que reparte la probabilidad por igual "
               f"entre {case.args[0]} clases es {natural:.4g}",
               f"returned {value:.4g}, and the cross-entropy of a network that spreads the probability evenly over "
               f"{case.args[0]} classes is {natural:.4g}")


def _early_stopping_cases():
    return [Case("early_stopping_epochs", args) for args in (
        ([0.5, 0.4, 0.45, 0.46, 0.47], 2),
        ([0.9, 0.7, 0.6, 0.5], 2),
        ([1.0, 1.1, 0.9], 1),
        ([0.5, 0.4, 0.4, 0.41, 0.3, 0.2], 2),           # a tie is not an improvement
        ([0.5, 0.45, 0.47, 0.44, 0.46, 0.48, 0.49], 2),  # an improvement before patience runs out
        ([0.5, 0.6, 0.7, 0.8, 0.9], 2),                  # the first epoch is the best: patience counts from it
    )]


def _judge_early_stopping(case, value):
    (run, best), (run_if_ties, best_if_ties) = case.expected
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(_is_integer(v) for v in value):
        return Msg("debe devolver una tupla de dos enteros (épocas entrenadas, época cuyos pesos se recuperan)",
                   "must return a tuple of two integers (epochs trained, epoch whose weights are restored)")
    got_run, got_best = (int(v) for v in value)
    if (got_run, got_best) == (run, best):
        return None
    if (got_run, got_best) == (run - 1, best - 1):
        return Msg("las épocas se numeran desde 1, como las imprime Keras", "epochs are numbered from 1, as Keras prints them")
    if (got_run, got_best) == (run_if_ties, best_if_ties):
        return Msg("un empate con la mejor pérdida no es una mejora: la pérdida tiene que ser estrictamente menor",
                   "a tie with the best loss is not an improvement: the loss must be strictly lower")
    if got_best != best:
        return Msg(f"los pesos que se recuperan son los de la época {best}, la de menor pérdida de validación entre "
                   f"las entrenadas (la primera, si hay empate), y devolvió {got_best}",
                   f"the weights restored are those of epoch {best}, the lowest validation loss among the epochs "
                   f"trained (the first one if tied), but returned {got_best}")
    return Msg(f"se entrenan {run} épocas: el entrenamiento se detiene al terminar la época que completa "
               f"patience={case.args[1]} épocas seguidas sin mejorar (o al final, si no ocurre), y devolvió {got_run}",
               f"{run} epochs are trained: training stops at the end of the epoch that completes "
               f"patience={case.args[1]} epochs in a row without improving (or at the end, if that never "
               f"happens), but returned {got_run}")


def _shrink_cases():
    return [Case("gradient_shrink_factor", args) for args in
            (("sigmoid", 1), ("sigmoid", 9), ("relu", 9), ("tanh", 5))]


def _judge_shrink(case, value):
    activation, depth = case.args
    expected = case.expected
    if not _is_number(value):
        return Msg(f"debe devolver un número, no {type(value).__name__}", f"must return a number, not {type(value).__name__}")
    value = float(value)
    if np.isclose(value, expected, rtol=1e-6, atol=1e-300):
        return None
    if activation == "sigmoid" and np.isclose(value, (2 * expected ** (1 / depth)) ** depth, rtol=1e-6):
        return Msg(f"devolvió {value:.3g}: σ(0) = 0.5, pero σ′(z) = σ(z)(1 − σ(z)) es como mucho 0.5 · 0.5",
                   f"returned {value:.3g}: σ(0) = 0.5, but σ′(z) = σ(z)(1 − σ(z)) is at most 0.5 · 0.5")
    if value == 0:
        return Msg(f"devolvió 0: ¿cuál es el mayor valor que alcanza la derivada de {activation}?",
                   f"returned 0: what is the largest value {activation}'s derivative reaches?")
    return Msg(f"con {depth} capa(s) de {activation}, el factor máximo es el máximo de su derivada elevado a "
               f"{depth}, {expected:.3g}, y devolvió {value:.3g}",
               f"with {depth} {activation} layer(s), the largest factor is the maximum of its derivative to the "
               f"power {depth}, {expected:.3g}, but returned {value:.3g}")


# ------------------------------------------- 3.7, 3.8: momentum and Adam, one step

def _optimizer_state(rng, shape, scale=1.0):
    return np.round(rng.normal(scale=scale, size=shape), 3)


def _momentum_cases():
    rng = np.random.default_rng(37)
    w, gradient = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    return [
        Case("momentum_step", (w, np.zeros(2), gradient, 0.1, 0.9)),            # the first step: still plain SGD
        Case("momentum_step", (w, np.array([-0.05, 0.1]), gradient, 0.1, 0.9)),  # a velocity carried over
        Case("momentum_step", (w, np.array([-0.05, 0.1]), gradient, 0.1, 0.0)),  # momentum 0: plain SGD again
        Case("momentum_step", (_optimizer_state(rng, (3, 2)), _optimizer_state(rng, (3, 2), 0.01),
                               _optimizer_state(rng, (3, 2)), 0.01, 0.5)),
    ]


VELOCITY_MISTAKES = (
    Msg("coinciden con acumular gradientes (velocidad ← momentum · velocidad + gradiente) y restar learning_rate "
        "veces eso: el contrato pide como velocidad el desplazamiento que da w en este paso, ya multiplicado por "
        "la tasa de aprendizaje y con su signo",
        "they match accumulating gradients (velocity ← momentum · velocity + gradient) and subtracting "
        "learning_rate times that: the contract's velocity is the displacement w takes in this step, already "
        "multiplied by the learning rate and with its sign"),
    Msg("w se movió con la velocidad que recibió, la del paso anterior: debe moverse con la nueva",
        "w moved by the velocity it received, the previous step's: it must move by the new one"),
    Msg("coinciden con SGD sin momentum: la velocidad recibida no cuenta en tu paso",
        "they match SGD without momentum: the velocity received plays no part in your step"),
)


def _judge_pair(value, names, expected, tolerance):
    """The shape and values of each array of a tuple answer, in order; the first problem found, or None."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        return Msg(f"debe devolver una tupla ({', '.join(names)})", f"must return a tuple ({', '.join(names)})")
    for name, got, reference in zip(names, value, expected):
        problem = array_mismatch(got, reference, **tolerance)
        if problem:
            return Msg.same("{name}: {problem}").format(name=name, problem=problem)
    return None


def _same_arrays(value, expected, tolerance):
    return all(np.shape(v) == np.shape(e) and np.allclose(np.asarray(v, float), e, **tolerance)
               for v, e in zip(value, expected))


MOMENTUM_TOLERANCE = {"rtol": 1e-6, "atol": 1e-9}


def _judge_momentum(case, value):
    right, *variants = case.expected
    if isinstance(value, (tuple, list)) and len(value) == 2 and not _same_arrays(value, right, MOMENTUM_TOLERANCE):
        for mistake, variant in zip(VELOCITY_MISTAKES, variants):
            if _same_arrays(value, variant, MOMENTUM_TOLERANCE):
                return mistake
    return _judge_pair(value, ("w", "velocity"), right, MOMENTUM_TOLERANCE)


def _adam_cases():
    rng = np.random.default_rng(38)
    w, gradient = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    shape = (3, 2)
    m, v = _optimizer_state(rng, shape, 0.1), np.abs(_optimizer_state(rng, shape, 0.01))
    return [
        Case("adam_step", (w, np.zeros(2), np.zeros(2), 1, gradient, 0.1, 0.9, 0.999, 1e-7)),
        Case("adam_step", (_optimizer_state(rng, shape), m, v, 3, _optimizer_state(rng, shape), 0.01,
                           0.9, 0.999, 1e-7)),
        Case("adam_step", (_optimizer_state(rng, shape), m, v, 40, _optimizer_state(rng, shape), 0.01,
                           0.5, 0.9, 1e-7)),
        # tiny gradients and a large ε: where ε goes, and whether it is there, shows
        Case("adam_step", (w, np.zeros(2), np.zeros(2), 2, np.array([1e-3, -2e-4]), 0.1, 0.9, 0.999, 1e-3)),
    ]


ADAM_TOLERANCE = {"rtol": 1e-6, "atol": 1e-10}


def _judge_adam(case, value):
    keras_form, textbook_form, uncorrected = case.expected
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        return Msg("debe devolver una tupla (w, m, v)", "must return a tuple (w, m, v)")
    problem = _judge_pair(value[1:], ("m", "v"), keras_form[1:], ADAM_TOLERANCE)
    if problem:
        return problem
    if any(array_mismatch(value[0], form[0], **ADAM_TOLERANCE) is None for form in (keras_form, textbook_form)):
        return None
    if array_mismatch(value[0], uncorrected[0], **ADAM_TOLERANCE) is None:
        return Msg(f"m y v están bien, pero w coincide con el paso sin corrección del sesgo: en el paso "
                   f"t = {case.args[3]} los dos momentos, que empezaron en 0, aún están sesgados hacia 0",
                   f"m and v are right, but w matches the step without bias correction: at step t = "
                   f"{case.args[3]} both moments, which started at 0, are still biased towards 0")
    return Msg("m y v están bien, pero w no coincide con keras.optimizers.Adam: {problem}",
               "m and v are right, but w does not match keras.optimizers.Adam: {problem}").format(
        problem=array_mismatch(value[0], keras_form[0], **ADAM_TOLERANCE))


# ------------------------------------------------ 3.9: a training step with GradientTape

def _mlp_weights(rng, sizes):
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights += [np.round(rng.normal(scale=1 / np.sqrt(n_in), size=(n_in, n_out)), 3), np.zeros(n_out)]
    return weights


def _batch(rng, n, n_in, classes):
    return np.round(rng.uniform(0, 1, size=(n, n_in)), 2), one_hot_rows(rng.integers(0, classes, size=n), classes)


def _train_step_cases():
    rng = np.random.default_rng(39)
    return [Case("train_steps_from", (_mlp_weights(rng, [4, 3, 2]), *_batch(rng, 6, 4, 2), "sgd", 0.5, 1)),
            Case("train_steps_from", (_mlp_weights(rng, [5, 4, 3]), *_batch(rng, 8, 5, 3), "sgd", 0.5, 2)),
            Case("train_steps_from", (_mlp_weights(rng, [5, 6, 4, 3]), *_batch(rng, 12, 5, 3), "adam", 0.01, 3))]


# The notebook's test of train_step, exactly as its cell gives it (tests/test_checks_nb03.py compares them).
# Grading and check() run this copy, with its own imports: a student who edits the cell cannot pass 3.9
# without writing train_step.
TRAIN_STEPS_FROM = ("import numpy as np", "import keras", "from keras import layers", '''def train_steps_from(weights, x, y, optimizer_name, learning_rate, batches):
    """La prueba de train_step (no la cambies): una red ReLU + softmax en float64 con estos pesos y un optimizador
    nuevo; tu train_step con cada uno de `batches` lotes consecutivos de (x, y). Devuelve (pérdidas, pesos)."""
    kernels = weights[0::2]
    model = keras.Sequential([keras.Input((kernels[0].shape[0],), dtype="float64")]
                             + [layers.Dense(k.shape[1], activation="relu", dtype="float64") for k in kernels[:-1]]
                             + [layers.Dense(kernels[-1].shape[1], activation="softmax", dtype="float64")])
    model.set_weights(weights)
    optimizer = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[optimizer_name](learning_rate)
    losses = [train_step(model, optimizer, x[rows], y[rows]) for rows in np.array_split(np.arange(len(x)), batches)]
    if model.compiled:  # compile, y con él fit o train_on_batch, harían el paso por ti
        raise ValueError("train_step no debe compilar el modelo: escribe el paso con tf.GradientTape")
    return [keras.ops.convert_to_numpy(loss) for loss in losses], model.get_weights()
''')


TAPE_TOLERANCE = {"rtol": 1e-6, "atol": 1e-9}  # the harness builds the network in float64


def _judge_train_step(case, value):
    (losses, weights), (summed_losses, summed_weights) = case.expected
    start = case.args[0]
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return Msg("train_steps_from debe devolver (pérdidas, pesos): ¿cambiaste la celda que la define?",
                   "train_steps_from must return (losses, weights): did you change the cell that defines it?")
    if any(np.shape(loss) != () for loss in value[0]):
        return Msg("train_step debe devolver la pérdida del lote como un solo número (la media sobre sus "
                   "ejemplos), no una pérdida por ejemplo",
                   "train_step must return the batch's loss as a single number (the mean over its examples), "
                   "not one loss per example")
    got_losses, got_weights = np.asarray(value[0], dtype=float), [np.asarray(w, dtype=float) for w in value[1]]
    if len(got_weights) != len(weights) or any(g.shape != w.shape for g, w in zip(got_weights, weights)):
        return Msg("los pesos de la red cambiaron de forma o de número: train_step solo debe actualizar sus "
                   "valores", "the network's weights changed shape or number: train_step must only update "
                   "their values")
    problem = array_mismatch(got_losses, losses, **TAPE_TOLERANCE)
    if not problem and _same_arrays(got_weights, weights, TAPE_TOLERANCE):
        return None
    if problem:
        if np.allclose(got_losses, summed_losses, **TAPE_TOLERANCE):
            return Msg("la pérdida es la suma de las de los ejemplos del lote; Keras, y el contrato, usan su media",
                       "the loss is the sum over the batch's examples; Keras, and the contract, use their mean")
        return Msg("las pérdidas de cada paso no coinciden con las de model.train_on_batch: {problem}",
                   "the losses of each step do not match model.train_on_batch's: {problem}").format(problem=problem)
    if all(np.allclose(g, s) for g, s in zip(got_weights, start)):
        return Msg("la pérdida es la de Keras, pero los pesos no cambian: falta aplicar los gradientes con el "
                   "optimizador", "the loss matches Keras's, but the weights do not change: the gradients are "
                   "never applied with the optimizer")
    if _same_arrays(got_weights, summed_weights, TAPE_TOLERANCE):
        return Msg("los pesos coinciden con derivar la suma de las pérdidas del lote, no su media: el paso sale "
                   "tantas veces mayor como ejemplos tiene el lote",
                   "the weights match differentiating the sum of the batch's losses, not their mean: the step "
                   "comes out as many times larger as the batch has examples")
    unchanged = [str(index) for index, (g, s) in enumerate(zip(got_weights, start)) if np.allclose(g, s)]
    if unchanged:
        return Msg("los pesos número {indices} (de model.trainable_variables) no cambian: el gradiente tiene que "
                   "calcularse, y aplicarse, para todas las variables entrenables",
                   "weights number {indices} (of model.trainable_variables) do not change: the gradient must be "
                   "computed, and applied, for every trainable variable").format(indices=", ".join(unchanged))
    index, problem = next((i, p) for i, (g, w) in enumerate(zip(got_weights, weights))
                          if (p := array_mismatch(g, w, **TAPE_TOLERANCE)))
    return Msg("los pesos tras los pasos no coinciden con los de model.train_on_batch; el número {index}: {problem}",
               "the weights after the steps do not match model.train_on_batch's; number {index}: {problem}").format(
        index=index, problem=problem)


# ------------------------------------------------------- 3.11 inverted dropout

def _dropout_cases():
    rng = np.random.default_rng(311)
    a = np.array([[1.0, 2.0, 3.0, 4.0]])
    mask = np.array([[1.0, 0.0, 1.0, 1.0]])
    big = np.round(rng.normal(size=(3, 5)), 2)
    cube = np.round(rng.normal(size=(2, 3, 4)), 2)
    return [Case("dropout", (a, mask, 0.25, True)),
            Case("dropout", (a, mask, 0.25, False)),
            Case("dropout", (big, (rng.uniform(size=big.shape) > 0.5).astype(float), 0.5, True)),
            Case("dropout", (big, (rng.uniform(size=big.shape) > 0.6).astype(float), 0.6, False)),
            Case("dropout", (cube, (rng.uniform(size=cube.shape) > 0.8).astype(float), 0.8, True)),
            Case("dropout", (a, np.ones_like(a), 0.0, True))]


DROPOUT_MISTAKES = (
    Msg("coincide con apagar las neuronas sin reescalar las demás: así la suma que recibe la capa siguiente "
        "es, en media, menor al entrenar que al predecir",
        "it matches switching neurons off without rescaling the others: then the sum the next layer receives is, "
        "on average, smaller in training than in inference"),
    Msg("las neuronas conservadas se multiplicaron por (1 − rate); para que la media no cambie hay que "
        "compensar lo que se apaga, no reducirlo más",
        "the kept neurons were multiplied by (1 − rate); to keep the mean unchanged you must make up for what is "
        "switched off, not shrink it further"),
    Msg("conservaste las neuronas donde la máscara vale 0 y apagaste las que valen 1: 1 significa «se conserva»",
        "you kept the neurons where the mask is 0 and switched off those where it is 1: 1 means 'kept'"),
    Msg("al predecir (training=False) la capa no hace nada: ni apaga neuronas ni reescala",
        "in inference (training=False) the layer does nothing: it neither switches neurons off nor rescales"),
)


def _judge_dropout(case, value):
    expected, variants = case.expected   # variants: (which of DROPOUT_MISTAKES, what it returns)
    value = np.asarray(value, dtype=float)
    if value.shape == np.shape(expected) and not np.allclose(value, expected, rtol=1e-6, atol=1e-9):
        for mistake, variant in variants:
            if np.allclose(value, variant, rtol=1e-6, atol=1e-9):
                return DROPOUT_MISTAKES[mistake]
    return array_mismatch(value, expected, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------- 3.12 L2 penalty

def _l2_cases():
    rng = np.random.default_rng(312)
    inputs = [(np.array([[1.0, -2.0], [3.0, 0.0]]), 0.01), (np.round(rng.normal(size=(3, 4)), 2), 0.001),
              (np.array([0.5, -0.25, 2.0]), 0.5)]
    return ([Case("l2_penalty", args) for args in inputs] + [Case("l2_gradient", args) for args in inputs])


def _judge_l2(case, value):
    expected, half, mean = case.expected
    if case.function == "l2_penalty":
        if not _is_number(value):
            return Msg(f"debe devolver un número, no {type(value).__name__}",
                       f"must return a number, not {type(value).__name__}")
        value = float(value)
        if np.isclose(value, expected, rtol=1e-6, atol=1e-12):
            return None
        for other, why in ((half, Msg("es la mitad: keras.regularizers.L2(factor) no lleva el ½ que usan algunos "
                                      "libros", "it is half: keras.regularizers.L2(factor) has no ½, which some "
                                      "books use")),
                           (mean, Msg("es la media de los cuadrados; la penalización suma sobre todos los pesos",
                                      "it is the mean of the squares; the penalty sums over every weight"))):
            if np.isclose(value, other, rtol=1e-6):
                return Msg("devolvió {value:.6g}: {why}", "returned {value:.6g}: {why}").format(value=value, why=why)
        return Msg(f"devolvió {value:.6g} y keras.regularizers.L2({case.args[1]}) da {expected:.6g}",
                   f"returned {value:.6g} but keras.regularizers.L2({case.args[1]}) gives {expected:.6g}")
    value = np.asarray(value, dtype=float)
    if value.shape == np.shape(expected) and np.allclose(value, half, rtol=1e-6, atol=1e-12) \
            and not np.allclose(value, expected, rtol=1e-6, atol=1e-12):
        return Msg("es la mitad del gradiente de TensorFlow: la penalización de Keras no lleva ½, así que al "
                   "derivar el 2 del cuadrado se queda",
                   "it is half TensorFlow's gradient: Keras's penalty has no ½, so the 2 of the square stays "
                   "when you differentiate")
    return array_mismatch(value, expected, rtol=1e-6, atol=1e-12)


# What grader.data must find on a grading machine for this notebook: its kernel and its judge read them.
DATASETS = ("mnist",)

EXERCISES = [
    FunctionExercise(
        "3.1", ASSIGNMENT, Msg("Contar parámetros", "Counting parameters"), ("count_dense_params",), (
            Msg("Cada neurona de una capa densa tiene un peso por cada neurona de la capa anterior y un sesgo "
                "propio. La capa de entrada no tiene neuronas con parámetros: solo reparte los datos.",
                "Each neuron of a dense layer has one weight per neuron of the previous layer and a bias of its "
                "own. The input layer has no neurons with parameters: it only hands out the data."),
            Msg("Piensa por parejas de capas consecutivas: si la primera tiene n neuronas y la segunda m, ¿cuántas "
                "conexiones hay entre ellas y cuántos sesgos añade la segunda? Después suma sobre todas las parejas.",
                "Think in pairs of consecutive layers: if the first has n neurons and the second m, how many "
                "connections are there between them, and how many biases does the second add? Then add over "
                "all the pairs."),
            Msg("Compruébalo a mano con la red 2-3-1: la primera pareja aporta 2·3 pesos y 3 sesgos; la segunda, "
                "3·1 pesos y 1 sesgo; en total, 13.",
                "Check it by hand on the 2-3-1 network: the first pair brings 2·3 weights and 3 biases; the "
                "second, 3·1 weights and 1 bias; 13 in all."),
        ), cases=_count_cases, judge_case=_judge_count),
    FunctionExercise(
        "3.2", ASSIGNMENT, Msg("Softmax y entropía cruzada", "Softmax and cross-entropy"),
        ("softmax", "categorical_crossentropy"), (
            Msg("softmax: e^z se desborda a inf para z por encima de unos 709 y se vuelve 0 por debajo de unos "
                "−745. Busca una transformación de cada fila que no cambie el resultado de softmax pero deje los "
                "exponentes en un rango seguro.",
                "softmax: e^z overflows to inf for z above about 709 and becomes 0 below about −745. Look for a "
                "transformation of each row that does not change softmax's result but keeps the exponents in a "
                "safe range."),
            Msg("Si sumas la misma constante c a todos los logits de una fila, e^(z + c) = e^c · e^z, y e^c se "
                "cancela entre numerador y denominador. Elige c para que el mayor exponente de la fila sea 0: cada "
                "fila necesita su propia c.",
                "If you add the same constant c to every logit of a row, e^(z + c) = e^c · e^z, and e^c cancels "
                "between numerator and denominator. Choose c so that the row's largest exponent is 0: each row "
                "needs its own c."),
            Msg("Entropía cruzada: con etiquetas one-hot solo cuenta el término de la clase correcta, −log p. Para "
                "que p = 0 no dé −∞ ni 0 · (−∞) = nan, lleva antes las probabilidades al intervalo [1e-7, 1 − 1e-7]. "
                "Una pérdida por fila: forma (n,).",
                "Cross-entropy: with one-hot labels only the right class's term counts, −log p. So that p = 0 "
                "gives neither −∞ nor 0 · (−∞) = nan, first bring the probabilities into [1e-7, 1 − 1e-7]. One "
                "loss per row: shape (n,)."),
        ), cases=_softmax_crossentropy_cases, judge_case=_judge_softmax_crossentropy),
    FunctionExercise(
        "3.3", ASSIGNMENT, Msg("Propagación y retropropagación", "Forward and backward pass"),
        ("forward", "backward"), (
            Msg("forward: cada capa es una suma ponderada más el sesgo, seguida de la sigmoide; la salida de la "
                "primera capa es la entrada de la segunda. backward: regla de la cadena desde el coste hacia "
                "atrás. Ayuda calcular primero, para cada capa, su «error» δ = ∂C/∂Z, donde Z es la suma "
                "ponderada antes de la sigmoide.",
                "forward: each layer is a weighted sum plus the bias, followed by the sigmoid; the first layer's "
                "output is the second layer's input. backward: the chain rule from the cost backwards. It helps "
                "to compute first, for each layer, its 'error' δ = ∂C/∂Z, where Z is the weighted sum before "
                "the sigmoid."),
            Msg("El método: la regla de la cadena, capa a capa, desde la salida. Hazlo primero con escalares (un "
                "ejemplo, una neurona por capa) y después pásalo a matrices: cada gradiente tiene la forma de su "
                "parámetro, y eso decide qué matriz va traspuesta y en qué orden se multiplican. La derivada de la "
                "sigmoide se escribe con la propia activación (cuaderno 01).",
                "The method: the chain rule, layer by layer, from the output. Do it first with scalars (one "
                "example, one neuron per layer) and then move to matrices: each gradient has its parameter's "
                "shape, and that decides which matrix is transposed and in which order they are multiplied. The "
                "sigmoid's derivative is written with the activation itself (notebook 01)."),
            Msg("Los pasos, en orden: 1) δ2, con la derivada del coste respecto a A2 (sin olvidar el 1/n) y σ′ en "
                "la salida; 2) los gradientes de W2 y b2, con δ2 y lo que entra en la capa 2 (el de un sesgo suma "
                "sobre los ejemplos); 3) δ1, llevando δ2 hacia atrás a través de W2 y multiplicando por σ′ de la "
                "capa oculta; 4) los de W1 y b1, como en 2, con X como entrada. El gradiente numérico de la celda "
                "siguiente te dice cuál falla.",
                "The steps, in order: 1) δ2, from the cost's derivative with respect to A2 (do not forget the 1/n) "
                "and σ′ at the output; 2) the gradients of W2 and b2, from δ2 and what enters layer 2 (a bias's "
                "sums over the examples); 3) δ1, carrying δ2 back through W2 and multiplying by the hidden layer's "
                "σ′; 4) those of W1 and b1, as in 2, with X as the input. The numerical gradient in the next cell "
                "tells you which one is wrong."),
        ), cases=_forward_cases, judge_case=_judge_network),
    FunctionExercise(
        "3.4", ASSIGNMENT, Msg("Descenso de gradiente estocástico por mini-lotes", "Mini-batch SGD"),
        ("train_network",), (
            Msg("Una época es una pasada por todos los ejemplos en un orden nuevo. Cada mini-lote da un paso de "
                "descenso de gradiente, con los gradientes que backward calcula sobre ese mini-lote.",
                "An epoch is one pass over all the examples in a new order. Each mini-batch gives one gradient "
                "descent step, with the gradients backward computes on that mini-batch."),
            Msg("El enunciado fija el uso del generador: primero W1, luego W2 (normal estándar, divididos entre la "
                "raíz del número de entradas de su capa) y una permutación al empezar cada época. Cualquier "
                "extracción de más, o en otro orden, cambia todos los números. Prueba con epochs=0: debe devolver "
                "los parámetros iniciales.",
                "The statement fixes how the generator is used: first W1, then W2 (standard normal, divided by "
                "the square root of their layer's number of inputs), and one permutation at the start of each "
                "epoch. Any extra draw, or another order, changes every number. Try epochs=0: it must return "
                "the initial parameters."),
            Msg("Con la permutación de la época, los mini-lotes son bloques consecutivos de batch_size posiciones "
                "(el último puede ser más corto). En cada paso, los cuatro parámetros se mueven a la vez en contra "
                "de su gradiente, multiplicado por learning_rate.",
                "With the epoch's permutation, mini-batches are consecutive blocks of batch_size positions (the "
                "last one may be shorter). At each step all four parameters move at once against their "
                "gradient, times learning_rate."),
        ), cases=_train_cases, judge_case=_judge_train, uses={"backward": "3.3"}),
    ModelExercise(
        "3.5", ASSIGNMENT, Msg("Un MLP de Keras para MNIST", "A Keras MLP for MNIST"), ("mnist_model",), (
            Msg("Piensa en qué limita a la red hecha a mano: sigmoides que se saturan, coste cuadrático, SGD con "
                "tasa fija y solo 15 neuronas ocultas. Cada limitación tiene su alternativa en esta sección.",
                "Think about what holds the hand-made network back: saturating sigmoids, a quadratic cost, SGD "
                "with a fixed rate and only 15 hidden neurons. Each limitation has its alternative in this "
                "section."),
            Msg("Con capas ocultas de unos cientos de neuronas sobra capacidad: lo difícil es no sobreajustar. "
                "Pon dropout entre las capas ocultas y vigila la pérdida de validación, calculada con X_val e "
                "Y_val (no con las imágenes crudas de 0 a 255).",
                "Hidden layers of a few hundred neurons have capacity to spare: the hard part is not to overfit. "
                "Put dropout between the hidden layers and watch the validation loss, computed on X_val and "
                "Y_val (not on the raw 0-255 images)."),
            Msg("Si te quedas en el 97.x %, mira las curvas: si la validación aún mejora al final, entrena más "
                "épocas o con una tasa de aprendizaje que decaiga; si empeora, más dropout o parada temprana. Y "
                "guarda el modelo en mnist_mlp.keras: el corrector solo ve el archivo.",
                "If you stay at 97.x %, look at the curves: if validation still improves at the end, train for "
                "more epochs or with a decaying learning rate; if it gets worse, more dropout or early stopping. "
                "And save the model as mnist_mlp.keras: the grader only sees the file."),
        ), model_file="mnist_mlp.keras", judge_model=_judge_mnist_model, update_budget=KERAS_UPDATE_BUDGET,
        budget_advice=Msg(" (las de 20 épocas con lotes de 32, el tamaño por defecto)",
                          " (those of 20 epochs with batches of 32, the default size)")),
    FunctionExercise(
        "3.6", ASSIGNMENT, Msg("Predice: la pérdida antes de entrenar", "Predict: the loss before training"),
        ("initial_loss",), (
            Msg("Una red sin entrenar, con pesos pequeños y aleatorios, no prefiere ninguna clase: ¿qué "
                "probabilidad da a cada una?",
                "An untrained network, with small random weights, prefers no class: what probability does it "
                "give each one?"),
            Msg("La entropía cruzada de un ejemplo es −log de la probabilidad que la red da a la clase correcta, "
                "con el logaritmo natural, como Keras.",
                "The cross-entropy of one example is −log of the probability the network gives the right class, "
                "with the natural logarithm, as in Keras."),
        ), cases=_initial_loss_cases, judge_case=_judge_initial_loss),
    FunctionExercise(
        "3.7", ASSIGNMENT, Msg("Un paso de SGD con momentum", "One step of SGD with momentum"), ("momentum_step",), (
            Msg("El momentum da memoria al descenso de gradiente: cada paso mezcla el paso anterior con el que "
                "marcaría el gradiente de ahora. Si el gradiente apunta siempre hacia el mismo lado, los pasos "
                "crecen; si zigzaguea, se compensan.",
                "Momentum gives gradient descent a memory: each step blends the previous step with the one the "
                "current gradient would give. If the gradient keeps pointing the same way, steps grow; if it "
                "zigzags, they cancel out."),
            Msg("Parte del paso de SGD simple que ya conoces y piensa qué es la velocidad según el contrato: lo que "
                "w se movió la vez anterior. ¿Qué parte de ese movimiento conservas, y qué le añades?",
                "Start from the plain SGD step you know and think about what the velocity is in the contract: how "
                "far w moved last time. How much of that movement do you keep, and what do you add to it?"),
            Msg("Los pasos: 1) la nueva velocidad, a partir de la anterior y del gradiente de ahora; 2) w se mueve "
                "esa nueva velocidad; 3) devuelve los dos arrays nuevos. Compruébalo a mano: con momentum = 0 debe "
                "salir SGD simple, y con gradiente 0 w debe seguir moviéndose, cada vez menos.",
                "The steps: 1) the new velocity, from the previous one and the current gradient; 2) w moves by "
                "that new velocity; 3) return both new arrays. Check it by hand: with momentum = 0 it must be plain "
                "SGD, and with a zero gradient w must keep moving, less and less."),
        ), cases=_momentum_cases, judge_case=_judge_momentum),
    FunctionExercise(
        "3.8", ASSIGNMENT, Msg("Un paso de Adam, con corrección del sesgo", "One Adam step, with bias correction"),
        ("adam_step",), (
            Msg("Adam lleva, para cada peso, dos medias móviles exponenciales: la de los gradientes (m, la "
                "dirección, como el momentum) y la de sus cuadrados (v, la escala, como RMSprop). El paso va en la "
                "dirección de m, dividida por la raíz de v.",
                "Adam keeps, for each weight, two exponential moving averages: that of the gradients (m, the "
                "direction, as momentum does) and that of their squares (v, the scale, as RMSprop does). The step "
                "goes along m, divided by the square root of v."),
            Msg("Las dos medias empiezan en 0, así que en los primeros pasos se quedan cortas. Para corregirlas, "
                "pregúntate: tras t pasos, ¿cuánto suman los pesos que la media móvil ha repartido entre los "
                "gradientes vistos? El t del contrato cuenta desde 1.",
                "Both averages start at 0, so in the first steps they fall short. To correct them, ask yourself: "
                "after t steps, how much do the weights the moving average has shared among the gradients seen "
                "add up to? The contract's t counts from 1."),
            Msg("Los pasos: 1) actualiza m y v con el gradiente de este paso; 2) corrige cada una de su sesgo con "
                "el t del paso; 3) mueve w en contra de m corregida, dividida por la raíz de v corregida más ε; "
                "4) devuelve w y los momentos sin corregir, que son el estado que guarda el optimizador.",
                "The steps: 1) update m and v with this step's gradient; 2) correct each one's bias with the "
                "step's t; 3) move w against the corrected m, divided by the square root of the corrected v plus "
                "ε; 4) return w and the uncorrected moments, which are the state the optimizer keeps."),
        ), cases=_adam_cases, judge_case=_judge_adam),
    FunctionExercise(
        "3.9", ASSIGNMENT, Msg("Un paso de entrenamiento con GradientTape", "A training step with GradientTape"),
        ("train_step",), (
            Msg("fit hace, con cada lote, tres cosas: calcula la pérdida, la deriva respecto de cada peso "
                "entrenable y deja que el optimizador mueva los pesos. Con tf.GradientTape las haces tú.",
                "fit does three things with each batch: it computes the loss, differentiates it with respect to "
                "every trainable weight and lets the optimizer move the weights. With tf.GradientTape you do them "
                "yourself."),
            Msg("La cinta solo registra lo que ocurre dentro de su bloque: allí van la pasada hacia delante del "
                "modelo, en modo entrenamiento, y la pérdida. Fuera, pide a la cinta los gradientes respecto de las "
                "variables entrenables del modelo y entrégaselos al optimizador, cada uno junto a su variable.",
                "The tape only records what happens inside its block: the model's forward pass, in training "
                "mode, and the loss go there. Outside, ask the tape for the gradients with respect to the model's "
                "trainable variables and hand them to the optimizer, each one next to its variable."),
            Msg("Los pasos: 1) dentro de la cinta, las predicciones del modelo para x y la entropía cruzada "
                "categórica media del lote; 2) los gradientes; 3) el optimizador los aplica; 4) devuelve la "
                "pérdida. Si los pesos no cambian, revisa el paso 3; si la pérdida no coincide, el 1.",
                "The steps: 1) inside the tape, the model's predictions for x and the batch's mean categorical "
                "cross-entropy; 2) the gradients; 3) the optimizer applies them; 4) return the loss. If the "
                "weights do not change, check step 3; if the loss does not match, step 1."),
        ), cases=_train_step_cases, judge_case=_judge_train_step, harness={"train_steps_from": TRAIN_STEPS_FROM}),
    FunctionExercise(
        "3.10", ASSIGNMENT, Msg("Predice: dónde para la parada temprana", "Predict: where early stopping stops"),
        ("early_stopping_epochs",), (
            Msg("La parada temprana recuerda la mejor pérdida de validación vista hasta ahora y cuenta cuántas "
                "épocas seguidas pasan sin superarla.",
                "Early stopping remembers the best validation loss seen so far and counts how many epochs in a "
                "row go by without beating it."),
            Msg("Una época mejora solo si su pérdida es estrictamente menor que la mejor anterior: un empate no "
                "cuenta. El entrenamiento se detiene al terminar la época que completa patience épocas seguidas "
                "sin mejorar, y se recuperan los pesos de la mejor; si eso no ocurre, se entrenan todas. Las épocas "
                "se numeran desde 1.",
                "An epoch improves only if its loss is strictly lower than the best before it: a tie does not "
                "count. Training stops at the end of the epoch that completes patience epochs in a row without "
                "improving, and the best epoch's weights are restored; if that never happens, all are trained. "
                "Epochs are numbered from 1."),
        ), cases=_early_stopping_cases, judge_case=_judge_early_stopping),
    FunctionExercise(
        "3.11", ASSIGNMENT, Msg("Dropout invertido", "Inverted dropout"), ("dropout",), (
            Msg("Al entrenar, el dropout apaga una fracción rate de las neuronas, distinta en cada paso; al "
                "predecir no apaga ninguna. La versión «invertida», la de Keras, corrige al entrenar para que al "
                "predecir no haya que tocar nada.",
                "In training, dropout switches off a fraction rate of the neurons, a different one at each step; "
                "in inference it switches none off. The 'inverted' version, Keras's, corrects during training so "
                "that nothing needs touching in inference."),
            Msg("Piensa en el valor medio de una neurona que sobrevive solo una fracción 1 − rate de las veces: "
                "¿por cuánto hay que multiplicar las que sobreviven para que la media sea la misma que sin dropout?",
                "Think about the mean value of a neuron that survives only a fraction 1 − rate of the time: by how "
                "much must you multiply the survivors for the mean to stay what it is without dropout?"),
            Msg("Los pasos: con training=True, aplica la máscara (1 = se conserva) y reescala lo que queda; con "
                "training=False, devuelve la entrada sin cambios. Comprueba con rate = 0: nada debe cambiar.",
                "The steps: with training=True, apply the mask (1 = kept) and rescale what is left; with "
                "training=False, return the input unchanged. Check with rate = 0: nothing must change."),
        ), cases=_dropout_cases, judge_case=_judge_dropout),
    FunctionExercise(
        "3.12", ASSIGNMENT, Msg("Regularización L2", "L2 regularisation"), ("l2_penalty", "l2_gradient"), (
            Msg("La regularización L2 añade a la pérdida un término que crece con el tamaño de los pesos: "
                "minimizar la suma empuja los pesos hacia 0, y con pesos pequeños la red dibuja funciones más "
                "suaves, que sobreajustan menos.",
                "L2 regularisation adds to the loss a term that grows with the size of the weights: minimising "
                "the sum pushes the weights towards 0, and with small weights the network draws smoother "
                "functions, which overfit less."),
            Msg("Lee en la documentación de keras.regularizers.L2 qué suma y por qué factor multiplica. Para el "
                "gradiente, deriva ese término respecto de un peso cualquiera: los demás sumandos no dependen de él.",
                "Read in keras.regularizers.L2's documentation what it sums and by which factor it multiplies. "
                "For the gradient, differentiate that term with respect to any one weight: the other terms do not "
                "depend on it."),
            Msg("Los pasos: la penalización es un solo número, sumado sobre todos los pesos del array; el gradiente "
                "tiene la forma de los pesos, un valor por peso. Compruébalo con diferencias centrales, como en el "
                "ejercicio 3.3.",
                "The steps: the penalty is a single number, summed over every weight of the array; the gradient "
                "has the weights' shape, one value per weight. Check it with central differences, as in exercise "
                "3.3."),
        ), cases=_l2_cases, judge_case=_judge_l2),
    FunctionExercise(
        "3.13", ASSIGNMENT, Msg("Predice: cuánto se encoge el gradiente", "Predict: how much the gradient shrinks"),
        ("gradient_shrink_factor",), (
            Msg("La retropropagación multiplica, en cada capa que atraviesa, por la derivada de su función de "
                "activación en ese punto. El caso más favorable es que cada derivada tome su valor máximo.",
                "Backpropagation multiplies, at each layer it crosses, by the derivative of that layer's "
                "activation at that point. The most favourable case is that each derivative takes its largest "
                "value."),
            Msg("Busca el máximo de cada derivada (cuaderno 01): σ′(z) = σ(z)(1 − σ(z)), tanh′(z) = 1 − tanh²(z), "
                "y ReLU′ es 1 para z > 0 y 0 para z < 0. ¿En qué z es máxima cada una, y cuál es su valor allí?",
                "Find each derivative's maximum (notebook 01): σ′(z) = σ(z)(1 − σ(z)), tanh′(z) = 1 − tanh²(z), "
                "and ReLU′ is 1 for z > 0 and 0 for z < 0. At which z is each one largest, and what is it there?"),
        ), cases=_shrink_cases, judge_case=_judge_shrink),
]
