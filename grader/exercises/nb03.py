"""Notebook 03: multilayer perceptron on MNIST (NumPy from scratch, then Keras).

References come from Keras/TensorFlow public APIs (count_params, softmax,
categorical cross-entropy, automatic differentiation) and from data the grader
holds (MNIST through grader.data), never from the solution notebook's code.
"""
import numpy as np

from grader.compare import array_mismatch, classification_accuracy, short_repr
from grader.core import Case
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.data import grader_test_set, load_mnist
from grader.i18n import Msg

ASSIGNMENT = "03_mlp_mnist"
KERAS_TEST_ACCURACY = 0.978   # the notebook asks for 98.0 %; the check leaves a small margin
SYNTHETIC_ACCURACY = 0.85     # the from-scratch network on the public disc problem (linear: ~50 %)
MNIST_SUBSET_ACCURACY = 0.80  # the from-scratch network on a small MNIST subset (hidden case)


# ------------------------------------------------------- 3.1 parameter count

def _count_cases():
    return [Case("count_dense_params", (sizes,)) for sizes in
            ([784, 15, 10], [2, 3, 1], [3, 4, 4, 2], [784, 512, 256, 10], [5, 1])]


def _keras_param_count(sizes):
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((sizes[0],))] + [layers.Dense(n) for n in sizes[1:]])
    return model.count_params()


def _judge_count(case, value):
    sizes = case.args[0]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return Msg(f"debe devolver un número entero, no {type(value).__name__}",
                   f"must return an integer, not {type(value).__name__}")
    expected = _keras_param_count(sizes)
    if value == expected:
        return None
    weights_only = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if value == weights_only:
        return Msg(f"devolvió {value}, que son solo los pesos: falta un sesgo por cada neurona de las capas "
                   f"ocultas y de salida (model.count_params() da {expected})",
                   f"returned {value}, which is only the weights: each hidden and output neuron also has a bias "
                   f"(model.count_params() gives {expected})")
    return Msg(f"devolvió {value} y model.count_params() da {expected}",
               f"returned {value} but model.count_params() gives {expected}")


# -------------------------------------------------- 3.2 softmax and cross-entropy

def _softmax_cases():
    rng = np.random.default_rng(32)
    return [
        Case("softmax", (np.array([[1.0, 2.0, 3.0]]),)),
        Case("softmax", (rng.normal(scale=3, size=(4, 10)),)),
        Case("softmax", (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]]),)),
    ]


def _judge_softmax(case, value):
    import keras
    z = case.args[0]
    value = np.asarray(value, dtype=float)
    if value.shape != z.shape:
        return Msg(f"la forma debería ser {z.shape} (una fila de probabilidades por ejemplo) y es {value.shape}",
                   f"the shape should be {z.shape} (one row of probabilities per example) but is {value.shape}")
    if not np.all(np.isfinite(value)):
        return Msg("devolvió nan/inf: con logits grandes np.exp se desborda. Resta el máximo de cada fila antes de "
                   "np.exp (el resultado no cambia)",
                   "returned nan/inf: with large logits np.exp overflows. Subtract each row's maximum before "
                   "np.exp (the result does not change)")
    if not np.allclose(value.sum(axis=-1), 1.0, atol=1e-6):
        return Msg(f"cada fila debe sumar 1 y las sumas son {short_repr(value.sum(axis=-1))} "
                   f"(¿normalizaste sobre el eje correcto, axis=-1 con keepdims=True?)",
                   f"each row must sum to 1 and the sums are {short_repr(value.sum(axis=-1))} "
                   f"(did you normalise over the right axis, axis=-1 with keepdims=True?)")
    expected = keras.ops.convert_to_numpy(keras.activations.softmax(np.asarray(z, dtype="float64"), axis=-1))
    return array_mismatch(value, expected, rtol=1e-5, atol=1e-7)


SEED_004_TABLE = (np.array([[1.0, 0.0, 0.0]] * 3),
                  np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]]))


def _crossentropy_cases():
    rng = np.random.default_rng(33)
    logits = rng.normal(scale=2, size=(6, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    targets = np.eye(4)[rng.integers(0, 4, size=6)]
    return [
        Case("categorical_crossentropy", (targets, probabilities)),
        Case("categorical_crossentropy", SEED_004_TABLE),
    ]


def _judge_crossentropy(case, value):
    import keras
    y_true, y_prob = case.args
    value = np.asarray(value, dtype=float)
    if value.shape != (len(y_true),):
        return Msg(f"debe devolver una pérdida por ejemplo, forma {(len(y_true),)}, y devolvió forma {value.shape}",
                   f"must return one loss per example, shape {(len(y_true),)}, but returned shape {value.shape}")
    if not np.all(np.isfinite(value)):
        return Msg("devolvió nan/inf: con probabilidades exactamente 0, log(0) = -inf y 0·log(0) = nan. Recorta las "
                   "probabilidades con np.clip(y_prob, 1e-7, 1 - 1e-7) antes del logaritmo",
                   "returned nan/inf: with probabilities exactly 0, log(0) = -inf and 0·log(0) = nan. Clip the "
                   "probabilities with np.clip(y_prob, 1e-7, 1 - 1e-7) before taking the logarithm")
    if np.any(value < -1e-9):
        return Msg(f"devolvió pérdidas negativas {short_repr(value)}: ¿falta el signo menos?",
                   f"returned negative losses {short_repr(value)}: is the minus sign missing?")
    p_true = np.sum(y_true * y_prob, axis=1)
    for row, (p, loss) in enumerate(zip(p_true, value)):
        if p == 0 and loss < 10:
            return Msg(f"la fila {row} da probabilidad 0 a la clase correcta: su pérdida es enorme (+∞ en teoría, "
                       f"-log(1e-7) ≈ 16.1 al recortar) y devolvió {loss:.4g}",
                       f"row {row} gives probability 0 to the right class: its loss is huge (+∞ in theory, "
                       f"-log(1e-7) ≈ 16.1 when clipping) but returned {loss:.4g}")
        if p == 1 and loss > 1e-5:
            return Msg(f"la fila {row} acierta con probabilidad 1: su pérdida debe ser 0 y devolvió {loss:.4g}",
                       f"row {row} is right with probability 1: its loss must be 0 but returned {loss:.4g}")
    usual = (p_true > 0) & (p_true < 1)
    expected = keras.ops.convert_to_numpy(keras.losses.categorical_crossentropy(y_true, y_prob))
    return array_mismatch(value[usual], np.asarray(expected, dtype=float)[usual], rtol=1e-5, atol=1e-6)


def _softmax_crossentropy_cases():
    return _softmax_cases() + _crossentropy_cases()


def _judge_softmax_crossentropy(case, value):
    return (_judge_softmax if case.function == "softmax" else _judge_crossentropy)(case, value)


# ------------------------------------------------- 3.3 forward and backward

def _network_args(rng, n, sizes):
    n_in, n_hidden, n_out = sizes
    X = rng.uniform(0, 1, size=(n, n_in))
    Y = np.eye(n_out)[rng.integers(0, n_out, size=n)]
    return X, Y, (rng.normal(size=(n_in, n_hidden)), rng.normal(size=n_hidden),
                  rng.normal(size=(n_hidden, n_out)), rng.normal(size=n_out))


def _forward_cases():
    rng = np.random.default_rng(34)
    cases = []
    for n, sizes in [(5, (4, 4, 4)), (7, (6, 3, 2)), (3, (784, 15, 10))]:
        X, _, params = _network_args(rng, n, sizes)
        cases.append(Case("forward", (X, *params)))
    # non-square first: a transposed gradient then shows up as a shape error, the clearest message
    for n, sizes in [(7, (6, 3, 2)), (4, (10, 5, 3)), (5, (4, 4, 4))]:
        X, Y, params = _network_args(rng, n, sizes)
        cases.append(Case("backward", (X, Y, *params)))
    return cases


def _tf_network(X, Y, W1, b1, W2, b2):
    """Activations and gradients of C = 1/(2n) Σ ||a − y||² by automatic differentiation (float64)."""
    import tensorflow as tf
    variables = [tf.Variable(np.asarray(p, dtype=np.float64)) for p in (W1, b1, W2, b2)]
    with tf.GradientTape() as tape:
        hidden = tf.sigmoid(tf.constant(X, tf.float64) @ variables[0] + variables[1])
        output = tf.sigmoid(hidden @ variables[2] + variables[3])
        cost = tf.reduce_sum((output - tf.constant(Y, tf.float64)) ** 2) / (2 * len(X))
    gradients = tape.gradient(cost, variables)
    return hidden.numpy(), output.numpy(), [g.numpy() for g in gradients]


def _judge_network(case, value):
    if case.function == "forward":
        X, W1, b1, W2, b2 = case.args
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return Msg("debe devolver una tupla (A1, A2): activaciones de la capa oculta y de la salida",
                       "must return a tuple (A1, A2): activations of the hidden and output layers")
        hidden, output, _ = _tf_network(X, np.zeros((len(X), W2.shape[1])), W1, b1, W2, b2)
        for name, got, expected in (("A1", value[0], hidden), ("A2", value[1], output)):
            problem = array_mismatch(got, expected, rtol=1e-6, atol=1e-9)
            if problem:
                return Msg.same("{name}: {problem}").format(name=name, problem=problem)
        return None
    X, Y, W1, b1, W2, b2 = case.args
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        return Msg("debe devolver una tupla (dW1, db1, dW2, db2)", "must return a tuple (dW1, db1, dW2, db2)")
    *_, expected = _tf_network(X, Y, W1, b1, W2, b2)
    for name, got, reference in zip(("dW1", "db1", "dW2", "db2"), value, expected):
        got = np.asarray(got, dtype=float)
        if got.shape != reference.shape:
            return Msg(f"{name} debe tener la forma del parámetro, {reference.shape}, y tiene {got.shape}",
                       f"{name} must have the shape of its parameter, {reference.shape}, but has {got.shape}")
        problem = array_mismatch(got, reference, rtol=1e-5, atol=1e-9)
        if problem:
            return Msg("{name} no coincide con el gradiente de TensorFlow: {problem}",
                       "{name} does not match TensorFlow's gradient: {problem}").format(name=name, problem=problem)
    return None


# ------------------------------------------------------------ 3.4 training

def _disc(n, seed):
    """Points in the square [-1, 1]²; class 1 inside the centred disc of half the square's area.
    No straight line separates it (a linear model gets about half right); one hidden layer does."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    inside = (np.hypot(X[:, 0], X[:, 1]) < np.sqrt(2 / np.pi)).astype(int)
    return X, np.eye(2)[inside]


def _train_cases():
    X, Y = _disc(400, seed=35)
    return [Case("train_network", (X, Y, 10, 60, 10, 3.0, 0))]


def _flat_one_hot(images, labels):
    """MNIST as the from-scratch network takes it: rows of 784 pixels in [0, 1], one-hot labels."""
    return images.reshape(len(images), 784), np.eye(10, dtype=np.float32)[labels]


def _mnist_train_subset(count):
    """The first ``count`` MNIST training images for the hidden training case."""
    (images, labels), _ = load_mnist()
    return _flat_one_hot(images[:count].astype(np.float32) / 255, labels[:count])


def _judge_train(case, value):
    X, Y, n_hidden = case.args[:3]
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        return Msg("debe devolver una tupla (W1, b1, W2, b2)", "must return a tuple (W1, b1, W2, b2)")
    W1, b1, W2, b2 = (np.asarray(v, dtype=float) for v in value)
    shapes = [(X.shape[1], n_hidden), (n_hidden,), (n_hidden, Y.shape[1]), (Y.shape[1],)]
    for name, got, shape in zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2), shapes):
        if got.shape != shape:
            return Msg(f"{name} debería tener forma {shape} y tiene {got.shape}",
                       f"{name} should have shape {shape} but has {got.shape}")
    if X.shape[1] == 784:
        images, labels = grader_test_set("mnist")
        X_test, Y_test = _flat_one_hot(images[:2000], labels[:2000])
        needed, where = MNIST_SUBSET_ACCURACY, Msg("imágenes de prueba de MNIST", "MNIST test images")
    else:
        X_test, Y_test = _disc(1000, seed=36)
        needed, where = SYNTHETIC_ACCURACY, Msg("puntos nuevos del mismo problema", "new points of the same problem")
    hidden, output, _ = _tf_network(X_test, Y_test, W1, b1, W2, b2)
    accuracy = np.mean(np.argmax(output, axis=1) == np.argmax(Y_test, axis=1))
    if not accuracy >= needed:
        return Msg("la red entrenada acierta {accuracy:.1%} de {count} {where}; debe llegar al "
                   "{needed:.0%}. ¿Actualizas todos los parámetros restando learning_rate · gradiente?",
                   "the trained network gets {accuracy:.1%} of {count} {where} right; it must reach "
                   "{needed:.0%}. Do you update every parameter by subtracting learning_rate · gradient?").format(
            accuracy=accuracy, count=len(X_test), where=where, needed=needed)
    return None


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
        return Msg(f"acierta {accuracy:.2%} de las 10 000 imágenes de prueba (píxeles escalados a [0, 1]); debe "
                   f"llegar al {KERAS_TEST_ACCURACY:.1%}",
                   f"gets {accuracy:.2%} of the 10,000 test images right (pixels scaled to [0, 1]); it must reach "
                   f"{KERAS_TEST_ACCURACY:.1%}")
    return None


EXERCISES = [
    FunctionExercise("3.1", ASSIGNMENT, Msg("Contar parámetros", "Counting parameters"), ("count_dense_params",),
             Msg("Entre dos capas de n y m neuronas hay n·m pesos y m sesgos. Suma eso para cada par de capas "
                 "consecutivas (zip(layer_sizes[:-1], layer_sizes[1:])).",
                 "Between layers of n and m neurons there are n·m weights and m biases. Add that up for each "
                 "pair of consecutive layers (zip(layer_sizes[:-1], layer_sizes[1:]))."),
             cases=_count_cases, judge_case=_judge_count),
    FunctionExercise("3.2", ASSIGNMENT, Msg("Softmax y entropía cruzada", "Softmax and cross-entropy"),
             ("softmax", "categorical_crossentropy"),
             Msg("softmax: resta a cada fila su máximo (axis=-1, keepdims=True) antes de np.exp y divide entre la "
                 "suma de la fila. Entropía cruzada: recorta y_prob con np.clip antes del logaritmo, quédate con el "
                 "término de la clase correcta multiplicando por y_true, suma por filas y no olvides el signo menos.",
                 "softmax: subtract each row's maximum (axis=-1, keepdims=True) before np.exp and divide by the "
                 "row's sum. Cross-entropy: clip y_prob with np.clip before the logarithm, keep the right class's "
                 "term by multiplying by y_true, sum over each row and do not forget the minus sign."),
             cases=_softmax_crossentropy_cases, judge_case=_judge_softmax_crossentropy),
    FunctionExercise("3.3", ASSIGNMENT, Msg("Propagación y retropropagación", "Forward and backward pass"),
             ("forward", "backward"),
             Msg("forward: dos capas sigmoide, primero con W1 y b1, después con W2 y b2. backward: empieza por el "
                 "error de la salida, (A2 − Y) por la derivada de la sigmoide A2·(1 − A2) y dividido entre n; "
                 "llévalo a la capa oculta con W2.T y multiplícalo por la derivada de A1. Cada dW es la entrada "
                 "de su capa traspuesta por el error de la capa; cada db, ese error sumado sobre las filas.",
                 "forward: two sigmoid layers, first with W1 and b1, then with W2 and b2. backward: start from the "
                 "output error, (A2 − Y) times the sigmoid's derivative A2·(1 − A2), divided by n; carry it to the "
                 "hidden layer with W2.T and multiply by A1's derivative. Each dW is its layer's input transposed "
                 "times the layer's error; each db is that error summed over the rows."),
             cases=_forward_cases, judge_case=_judge_network),
    FunctionExercise("3.4", ASSIGNMENT, Msg("Descenso de gradiente estocástico por mini-lotes", "Mini-batch SGD"),
             ("train_network",),
             Msg("Inicializa W con rng.normal(size=...) / np.sqrt(entradas) y b con ceros. En cada época baraja "
                 "los índices con rng.permutation, recorre mini-lotes de batch_size filas, calcula los gradientes "
                 "con backward y resta learning_rate · gradiente a cada parámetro.",
                 "Initialise W with rng.normal(size=...) / np.sqrt(inputs) and b with zeros. Each epoch shuffle "
                 "the indices with rng.permutation, go through mini-batches of batch_size rows, compute the "
                 "gradients with backward and subtract learning_rate · gradient from every parameter."),
             cases=_train_cases, judge_case=_judge_train),
    ModelExercise("3.5", ASSIGNMENT, Msg("Un MLP de Keras para MNIST", "A Keras MLP for MNIST"), ("mnist_model",),
             Msg("Flatten, Dense(256, 'relu'), Dropout(0.2), Dense(128, 'relu'), Dropout(0.2), Dense(10, 'softmax'); "
                 "Adam con keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=épocas·pasos por época), "
                 "categorical_crossentropy con Y_train, batch_size=256, 15 épocas y "
                 "EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True). Entrena con x_train / 255.",
                 "Flatten, Dense(256, 'relu'), Dropout(0.2), Dense(128, 'relu'), Dropout(0.2), Dense(10, 'softmax'); "
                 "Adam with keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=epochs·steps per epoch), "
                 "categorical_crossentropy with Y_train, batch_size=256, 15 epochs and "
                 "EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True). Train on x_train / 255."),
             model_file="mnist_mlp.keras", judge_model=_judge_mnist_model),
]

