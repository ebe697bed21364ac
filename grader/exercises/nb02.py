"""Notebook 02: apples vs oranges with a single sigmoid neuron (NumPy, then Keras).

References are the loss formulas stated in the notebook, numerical derivatives
of those formulas, and the fruit table's held-out split; never the solution
notebook's code.
"""
from functools import cache

import numpy as np

from grader.compare import array_mismatch
from grader.core import Case
from grader.data import load_fruit
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.i18n import Msg

ASSIGNMENT = "02_apples_vs_oranges"
SPLIT_SEED = 3          # the notebook shuffles with np.random.default_rng(3)
SPLIT_FRACTIONS = (0.70, 0.15)  # train, validation; the rest (15 %) is the test split
NUMPY_TEST_ACCURACY = 0.95      # the hand-written neuron must reach this on the test split
KERAS_MARGIN = 0.02             # the Keras neuron may be at most 2 points below


# ------------------------------------------------------------------ data

@cache
def fruit_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The notebook's 70-15-15 split, standardised with the training mean and standard deviation."""
    X, y = load_fruit()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(X))
    n_train, n_val = int(SPLIT_FRACTIONS[0] * len(X)), int(SPLIT_FRACTIONS[1] * len(X))
    parts = {"train": order[:n_train], "val": order[n_train:n_train + n_val], "test": order[n_train + n_val:]}
    mean, std = X[parts["train"]].mean(axis=0), X[parts["train"]].std(axis=0)
    return {name: ((X[index] - mean) / std, y[index]) for name, index in parts.items()}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def _reference_loss(kind, y_true, y_prob):
    # Keras's own losses (float64 in, float64 out): MSE halved as in the course's cost
    # J = 1/(2m) Σ (ŷ − y)², and cross-entropy clipped at 1e-7 like the exercise asks.
    import keras
    loss = keras.losses.mean_squared_error if kind == "mse" else keras.losses.binary_crossentropy
    value = float(np.mean(keras.ops.convert_to_numpy(loss(np.asarray(y_true, float), np.asarray(y_prob, float)))))
    return value / 2 if kind == "mse" else value


def _neuron_loss(kind, X, y, w, b):
    return _reference_loss(kind, y, _sigmoid(X @ w + b))


def _numerical_gradient(kind, X, y, w, b, h=1e-6):
    """Central differences of the loss with respect to every weight and the bias."""
    params = np.append(np.asarray(w, dtype=float), float(b))
    gradient = np.zeros_like(params)
    for i in range(len(params)):
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        gradient[i] = (_neuron_loss(kind, X, y, up[:-1], up[-1]) - _neuron_loss(kind, X, y, down[:-1], down[-1])) / (2 * h)
    return gradient[:-1], gradient[-1]


def _pair(value, what_es, what_en):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, Msg(f"debe devolver una tupla {what_es}", f"must return a tuple {what_en}")
    return value, None


# ------------------------------------------------------------- 2.1 losses

def _loss_cases():
    rng = np.random.default_rng(21)
    labels = rng.integers(0, 2, size=12).astype(float)
    cases = []
    for name in ("mse_loss", "bce_loss"):
        cases += [
            Case(name, (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.4]))),
            Case(name, (labels, rng.uniform(0.01, 0.99, size=12))),
            Case(name, (np.array([1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0]))),  # certain, and certainly wrong
        ]
    return cases


def _judge_loss(case, value):
    y_true, y_prob = case.args
    kind = case.function.removesuffix("_loss")
    if np.ndim(value) != 0:
        return Msg(f"debe devolver un solo número (la media sobre los ejemplos), no un array de forma {np.shape(value)}",
                   f"must return a single number (the mean over the examples), not an array of shape {np.shape(value)}")
    value = float(value)
    if not np.isfinite(value):
        return Msg("devolvió un valor no finito: con probabilidades exactamente 0 o 1, log(0) = -inf. Recorta las "
                   "probabilidades con np.clip(y_prob, 1e-7, 1 - 1e-7) antes del logaritmo",
                   "returned a non-finite value: with probabilities exactly 0 or 1, log(0) = -inf. Clip the "
                   "probabilities with np.clip(y_prob, 1e-7, 1 - 1e-7) before taking the logarithm")
    if value < 0:
        return Msg(f"devolvió {value:.4g}: una pérdida nunca es negativa (¿falta el signo menos delante de la suma?)",
                   f"returned {value:.4g}: a loss is never negative (is the minus sign in front of the sum missing?)")
    expected = _reference_loss(kind, y_true, y_prob)
    extreme = np.any((y_prob == 0) | (y_prob == 1))
    if extreme and kind == "bce":
        # only the clipping constant changes the value here: demand "finite and very large"
        if value < 5:
            return Msg(f"una predicción segura y equivocada debe costar muchísimo (≈ -log(1e-7)/3 ≈ 5.4 o más); "
                       f"devolvió {value:.4g}",
                       f"a confident wrong prediction must cost a lot (≈ -log(1e-7)/3 ≈ 5.4 or more); "
                       f"returned {value:.4g}")
        return None
    if kind == "mse" and np.isclose(value, 2 * expected, rtol=1e-6):
        return Msg(f"devolvió {value:.6g}, el doble de lo esperado: el ECM del curso lleva el factor 1/(2m)",
                   f"returned {value:.6g}, twice the expected value: the course's MSE has the factor 1/(2m)")
    return array_mismatch(value, expected)


# --------------------------------------------------------- 2.2 gradients

def _gradient_cases():
    rng = np.random.default_rng(22)
    cases = []
    for kind in ("bce", "mse"):
        cases += [
            Case("loss_gradients", (np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -2.0]]), np.array([1.0, 0.0, 1.0]),
                                    np.array([0.5, -0.25]), 0.1, kind)),
            Case("loss_gradients", (rng.normal(size=(20, 3)), rng.integers(0, 2, size=20).astype(float),
                                    rng.normal(size=3), -0.4, kind)),
        ]
    return cases


def _judge_gradients(case, value):
    X, y, w, b, kind = case.args
    value, problem = _pair(value, "(dw, db)", "(dw, db)")
    if problem:
        return problem
    dw, db = np.asarray(value[0], dtype=float), np.asarray(value[1], dtype=float)
    expected_dw, expected_db = _numerical_gradient(kind, X, y, w, b)
    if dw.shape != expected_dw.shape:
        return Msg(f"dw debe tener la forma de w, {expected_dw.shape}, y tiene {dw.shape}",
                   f"dw must have the shape of w, {expected_dw.shape}, but has {dw.shape}")
    if db.size != 1:
        return Msg(f"db debe ser un solo número y tiene forma {db.shape}", f"db must be one number; its shape is {db.shape}")
    got, expected = np.append(dw, db.reshape(())), np.append(expected_dw, expected_db)
    if np.allclose(got, -expected, rtol=1e-4, atol=1e-8) and not np.allclose(expected, 0):
        return Msg("tiene el signo cambiado: ∂J/∂W apunta hacia donde la pérdida crece",
                   "has the wrong sign: ∂J/∂W points where the loss grows")
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-8):
        scale = got / np.where(expected == 0, np.nan, expected)
        factor = Msg.same("")
        if np.allclose(scale, len(y), rtol=1e-3):
            factor = Msg(" (sale multiplicado por m: ¿falta dividir entre el número de ejemplos?)",
                         " (it is m times too large: did you forget to divide by the number of examples?)")
        error = np.linalg.norm(got - expected) / (np.linalg.norm(got) + np.linalg.norm(expected))
        return Msg("con pérdida '{kind}' no coincide con el gradiente numérico (error relativo {error:.2g}){factor}",
                   "with loss '{kind}' it does not match the numerical gradient (relative error {error:.2g}){factor}"
                   ).format(kind=kind, error=error, factor=factor)
    return None


# ---------------------------------------------------------- 2.3 training

def _train_cases():
    rng = np.random.default_rng(23)
    X_train, y_train = fruit_splits()["train"]
    X_small = rng.normal(size=(30, 2))
    y_small = (X_small @ np.array([1.5, -1.0]) + 0.3 + rng.normal(scale=0.5, size=30) > 0).astype(float)
    return [
        Case("train_neuron", (X_train, y_train, 1.0, 200, "bce")),
        Case("train_neuron", (X_small, y_small, 0.5, 40, "mse")),
        Case("train_neuron", (X_small, y_small, 2.0, 15, "bce")),
    ]


def _judge_train(case, value):
    X, y, learning_rate, epochs, kind = case.args
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        return Msg("debe devolver una tupla (w, b, perdidas)", "must return a tuple (w, b, losses)")
    w, b, losses = (np.asarray(v, dtype=float) for v in value)
    if w.shape != (X.shape[1],) or b.size != 1:
        return Msg(f"w debe tener forma {(X.shape[1],)} y b ser un número; tienen formas {w.shape} y {b.shape}",
                   f"w must have shape {(X.shape[1],)} and b must be a number; their shapes are {w.shape} and {b.shape}")
    if losses.shape != (epochs,):
        return Msg(f"perdidas debe tener una entrada por época ({epochs}); tiene forma {losses.shape}",
                   f"losses must have one entry per epoch ({epochs}); its shape is {losses.shape}")
    start = _neuron_loss(kind, X, y, np.zeros(X.shape[1]), 0.0)
    if not np.isclose(losses[0], start, rtol=1e-5):
        return Msg(f"perdidas[0] debe ser la pérdida antes de la primera actualización, con w = 0 y b = 0 "
                   f"({start:.6g}); es {losses[0]:.6g}",
                   f"losses[0] must be the loss before the first update, with w = 0 and b = 0 "
                   f"({start:.6g}); it is {losses[0]:.6g}")
    # Replay full-batch gradient descent with numerical gradients of the stated loss.
    expected_w, expected_b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        dw, db = _numerical_gradient(kind, X, y, expected_w, expected_b)
        expected_w, expected_b = expected_w - learning_rate * dw, expected_b - learning_rate * db
    got, expected = np.append(w, b.reshape(())), np.append(expected_w, expected_b)
    if not np.allclose(got, expected, rtol=1e-3, atol=1e-5):
        return Msg(f"tras {epochs} épocas de descenso de gradiente (W ← W − α ∂J/∂W, partiendo de ceros) se esperaba "
                   f"w = {np.round(expected_w, 4)}, b = {expected_b:.4f} y se obtuvo w = {np.round(w, 4)}, "
                   f"b = {float(b.reshape(())):.4f}",
                   f"after {epochs} epochs of gradient descent (W ← W − α ∂J/∂W, starting from zeros) expected "
                   f"w = {np.round(expected_w, 4)}, b = {expected_b:.4f} but got w = {np.round(w, 4)}, "
                   f"b = {float(b.reshape(())):.4f}")
    X_train, _ = fruit_splits()["train"]
    if X.shape == X_train.shape and np.array_equal(X, X_train):
        X_test, y_test = fruit_splits()["test"]
        accuracy = np.mean((X_test @ w + b.reshape(()) >= 0) == y_test)
        if accuracy < NUMPY_TEST_ACCURACY:
            return Msg(f"la neurona entrenada acierta {accuracy:.1%} del conjunto de prueba; debe llegar al "
                       f"{NUMPY_TEST_ACCURACY:.0%}",
                       f"the trained neuron gets {accuracy:.1%} of the test split right; it must reach "
                       f"{NUMPY_TEST_ACCURACY:.0%}")
    return None


# ------------------------------------------------------------- 2.4 Keras

def _judge_fruit_model(model):
    if model.count_params() != 3:
        return Msg(f"una neurona con dos entradas (peso y rugosidad) tiene 3 parámetros; el modelo tiene "
                   f"{model.count_params()}",
                   f"a neuron with two inputs (weight and roughness) has 3 parameters; the model has "
                   f"{model.count_params()}")
    if model.layers[-1].get_config().get("activation") != "sigmoid":
        return Msg("la neurona de salida debe usar activación sigmoide, como la de NumPy",
                   "the output neuron must use a sigmoid activation, like the NumPy one")
    X_test, y_test = fruit_splits()["test"]
    probability = np.asarray(model.predict(X_test, verbose=0), dtype=float).reshape(-1)
    accuracy = np.mean((probability >= 0.5) == y_test)
    needed = NUMPY_TEST_ACCURACY - KERAS_MARGIN
    if accuracy < needed:
        return Msg(f"acierta {accuracy:.1%} del conjunto de prueba (estandarizado); debe llegar al {needed:.0%}. "
                   f"¿Entrenaste con los datos estandarizados y suficientes épocas?",
                   f"gets {accuracy:.1%} of the (standardised) test split right; it must reach {needed:.0%}. "
                   f"Did you train on the standardised data for enough epochs?")
    return None


EXERCISES = [
    FunctionExercise("2.1", ASSIGNMENT, Msg("Pérdidas ECM y entropía cruzada binaria", "MSE and binary cross-entropy losses"),
             ("mse_loss", "bce_loss"),
             Msg("ECM: la media de los cuadrados de las diferencias, dividida entre 2. Entropía cruzada: recorta "
                 "y_prob a [1e-7, 1 − 1e-7] con np.clip antes del logaritmo, y no olvides el signo menos.",
                 "MSE: the mean of the squared differences, divided by 2. Cross-entropy: clip y_prob to "
                 "[1e-7, 1 − 1e-7] with np.clip before the logarithm, and do not forget the minus sign."),
             cases=_loss_cases, judge_case=_judge_loss),
    FunctionExercise("2.2", ASSIGNMENT, Msg("Gradientes de la pérdida", "Gradients of the loss"), ("loss_gradients",),
             Msg("Con p = sigmoid(X @ w + b) y m ejemplos: para 'bce' el error por ejemplo es δ = p − y; para 'mse' es "
                 "δ = (p − y)·p·(1 − p). Entonces dw = X.T @ δ / m y db = δ.mean().",
                 "With p = sigmoid(X @ w + b) and m examples: for 'bce' the per-example error is δ = p − y; for 'mse' "
                 "it is δ = (p − y)·p·(1 − p). Then dw = X.T @ δ / m and db = δ.mean()."),
             cases=_gradient_cases, judge_case=_judge_gradients),
    FunctionExercise("2.3", ASSIGNMENT, Msg("Descenso de gradiente", "Gradient descent"), ("train_neuron",),
             Msg("Empieza con w = np.zeros(X.shape[1]) y b = 0.0. En cada época: guarda la pérdida actual, calcula "
                 "(dw, db) con loss_gradients y actualiza w = w - learning_rate * dw, b = b - learning_rate * db.",
                 "Start with w = np.zeros(X.shape[1]) and b = 0.0. Each epoch: store the current loss, compute "
                 "(dw, db) with loss_gradients and update w = w - learning_rate * dw, b = b - learning_rate * db."),
             cases=_train_cases, judge_case=_judge_train),
    ModelExercise("2.4", ASSIGNMENT, Msg("La misma neurona en Keras", "The same neuron in Keras"), ("fruit_model",),
             Msg("keras.Sequential([keras.Input((2,)), layers.Dense(1, activation='sigmoid')]); compila con "
                 "binary_crossentropy y SGD(learning_rate=1.0) y entrena con X_train_std unas 200 épocas "
                 "con batch_size=len(X_train_std).",
                 "keras.Sequential([keras.Input((2,)), layers.Dense(1, activation='sigmoid')]); compile with "
                 "binary_crossentropy and SGD(learning_rate=1.0) and train on X_train_std for about 200 epochs "
                 "with batch_size=len(X_train_std)."),
             model_file="fruit_model.keras", judge_model=_judge_fruit_model),
]
