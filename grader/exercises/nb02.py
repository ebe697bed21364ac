"""Notebook 02: apples vs oranges with a single sigmoid neuron (NumPy, then Keras).

The judges compare each answer with ``case.expected``, the reference's answer as data: for the
public cases it ships with the package (grader/resources/expected/), when grading the references
in grader/hidden/nb02.py compute it for every case. Nothing here computes a reference answer; the
judges only describe the inputs and the answer to say, in words, what went wrong.
"""
from functools import cache

import numpy as np

from grader.compare import array_mismatch, short_repr
from grader.core import Case
from grader.data import load_fruit
from grader.exercises.base import FunctionExercise, ModelExercise
from grader.i18n import Msg

ASSIGNMENT = "02_apples_vs_oranges"
SPLIT_SEED = 3          # the notebook shuffles with np.random.default_rng(3)
SPLIT_FRACTIONS = (0.70, 0.15)  # train, validation; the rest (15 %) is the test split
NUMPY_TEST_ACCURACY = 0.95      # the hand-written neuron must reach this on the test split
KERAS_TEST_ACCURACY = 0.93      # the Keras neuron, within its budget of 200 epochs
KERAS_UPDATE_BUDGET = 200 * 22  # 200 epochs of 700 fruits in Keras's default batches of 32 (22 per epoch)
REGIMES = ("diverge", "lenta", "adecuada")


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


def _number(value):
    """A single finite-or-not number, or None when the answer is not one number."""
    if np.ndim(value) != 0:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _plain(number) -> str:
    """A number with 4 decimals, never shown as -0.0000."""
    return f"{round(float(number), 4) + 0.0:.4f}"


NOT_A_NUMBER = Msg("debe devolver un solo número", "must return a single number")


# ------------------------------------------------------------- 2.1 losses

def _loss_cases():
    rng = np.random.default_rng(21)
    cases = []
    for name in ("mse_loss", "bce_loss"):
        cases += [
            Case(name, (np.array([1.0]), np.array([0.8]))),
            Case(name, (np.array([1.0, 0.0]), np.array([1.0, 0.0]) if name == "mse_loss" else np.array([1.0, 0.3]))),
            Case(name, (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.4]))),
            Case(name, (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0]))),  # certain: right, then wrong
            Case(name, (rng.integers(0, 2, size=12).astype(float), rng.uniform(0.01, 0.99, size=12))),
        ]
    # A small probability of the right class: log(p + 1e-7) instead of clipping is off by 1.4e-5 here.
    return cases + [Case("bce_loss", (np.array([1.0]), np.array([0.001])))]


def _judge_loss(case, value):
    y_true, y_prob = case.args
    kind, expected = case.function.removesuffix("_loss"), float(case.expected)
    if np.ndim(value) != 0:
        return Msg(f"debe devolver un solo número (la media sobre los ejemplos), no un array de forma {np.shape(value)}",
                   f"must return a single number (the mean over the examples), not an array of shape {np.shape(value)}")
    value = _number(value)
    if value is None:
        return NOT_A_NUMBER
    if not np.isfinite(value):
        return Msg("devolvió un valor no finito: con probabilidades exactamente 0 o 1, log(0) = −∞. Recorta las "
                   "probabilidades al intervalo [1e-7, 1 − 1e-7] antes de tomar el logaritmo",
                   "returned a non-finite value: with probabilities exactly 0 or 1, log(0) = −∞. Clip the "
                   "probabilities to [1e-7, 1 − 1e-7] before taking the logarithm")
    if np.isclose(value, expected, rtol=1e-6, atol=1e-12):
        return None
    if value < 0:
        return Msg(f"devolvió {value:.4g}: una pérdida nunca es negativa (¿falta el signo menos delante de la media?)",
                   f"returned {value:.4g}: a loss is never negative (is the minus sign in front of the mean missing?)")
    if expected != 0 and np.isclose(value, 2 * expected, rtol=1e-6):
        return Msg(f"devolvió {value:.6g}, el doble de lo esperado ({expected:.6g}): el ECM del curso lleva el factor "
                   f"1/(2m)",
                   f"returned {value:.6g}, twice the expected value ({expected:.6g}): the course's MSE has the factor "
                   f"1/(2m)")
    if expected != 0 and len(y_true) > 1 and np.isclose(value, len(y_true) * expected, rtol=1e-6):
        return Msg(f"devolvió {value:.6g}, {len(y_true)} veces lo esperado ({expected:.6g}): la pérdida es la media "
                   f"sobre los ejemplos, no la suma",
                   f"returned {value:.6g}, {len(y_true)} times the expected value ({expected:.6g}): the loss is the "
                   f"mean over the examples, not the sum")
    if kind == "bce" and np.any((y_prob == 0) | (y_prob == 1)):
        return Msg(f"se esperaba {expected:.6g} y se obtuvo {value:.6g}. Con probabilidades exactamente 0 o 1 el "
                   f"valor depende del recorte: el enunciado pide recortar a [1e-7, 1 − 1e-7], ni más ni menos",
                   f"expected {expected:.6g} but got {value:.6g}. With probabilities exactly 0 or 1 the value "
                   f"depends on the clipping: the exercise asks for [1e-7, 1 − 1e-7], no more and no less")
    return array_mismatch(value, expected)


# --------------------------------------------------------- 2.2 gradients

def _gradient_cases():
    rng = np.random.default_rng(22)
    cases = []
    for kind in ("bce", "mse"):
        cases += [
            Case("loss_gradients", (np.array([[2.0]]), np.array([1.0]), np.array([0.5]), 0.0, kind)),
            Case("loss_gradients", (np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -2.0]]), np.array([1.0, 0.0, 1.0]),
                                    np.array([0.5, -0.25]), 0.1, kind)),
            Case("loss_gradients", (rng.normal(size=(20, 3)), rng.integers(0, 2, size=20).astype(float),
                                    rng.normal(size=3), -0.4, kind)),
        ]
    return cases


def _pair(value):
    """(dw, db) as float arrays, or None when the answer is not a pair."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None
    return np.asarray(value[0], dtype=float), np.asarray(value[1], dtype=float)


def _judge_gradients(case, value):
    X, y, w = case.args[:3]
    kind = case.args[4] if len(case.args) > 4 else "bce"
    expected_dw, expected_db, other_dw, other_db = (np.asarray(v, dtype=float) for v in case.expected)
    pair = _pair(value)
    if pair is None:
        return Msg("debe devolver una tupla (dw, db)", "must return a tuple (dw, db)")
    dw, db = pair
    if dw.shape != expected_dw.shape:
        return Msg(f"dw debe tener la forma de w, {expected_dw.shape} (una entrada por columna de X), y tiene "
                   f"{dw.shape}",
                   f"dw must have the shape of w, {expected_dw.shape} (one entry per column of X), but has {dw.shape}")
    if db.size != 1:
        return Msg(f"db debe ser un solo número y tiene forma {db.shape}",
                   f"db must be one number; its shape is {db.shape}")
    db = db.reshape(())

    def close(a, b):
        return np.allclose(a, b, rtol=1e-5, atol=1e-9)

    got, expected = np.append(dw, db), np.append(expected_dw, expected_db)
    if not np.all(np.isfinite(got)):
        return Msg(f"devolvió valores no finitos: dw = {short_repr(dw)}, db = {float(db):.4g}",
                   f"returned non-finite values: dw = {short_repr(dw)}, db = {float(db):.4g}")
    if close(got, expected):
        return None
    shown = Msg(f" (se esperaba dw = {short_repr(expected_dw)}, db = {float(expected_db):.6g}; se obtuvo "
                f"dw = {short_repr(dw)}, db = {float(db):.6g})",
                f" (expected dw = {short_repr(expected_dw)}, db = {float(expected_db):.6g}; got "
                f"dw = {short_repr(dw)}, db = {float(db):.6g})")
    if close(got, -expected):
        return Msg.same("{text}{shown}").format(shown=shown, text=Msg(
            "tiene el signo cambiado: el gradiente apunta hacia donde la pérdida crece",
            "has the wrong sign: the gradient points where the loss grows"))
    if len(y) > 1 and close(got, len(y) * expected):
        return Msg.same("{text}{shown}").format(shown=shown, text=Msg(
            f"sale {len(y)} veces mayor: J es la media sobre los m = {len(y)} ejemplos, no la suma",
            f"it is {len(y)} times too large: J is the mean over the m = {len(y)} examples, not the sum"))
    if close(got, np.append(other_dw, other_db)):
        if kind == "mse":
            text = Msg("con loss='mse' devolvió el gradiente de la entropía cruzada: ¿falta el factor σ′(z) de la "
                       "regla de la cadena?",
                       "with loss='mse' it returned the cross-entropy gradient: is the chain rule's factor σ′(z) "
                       "missing?")
        else:
            text = Msg("con loss='bce' devolvió el gradiente del ECM: deriva la entropía cruzada respecto a p, "
                       "multiplica por σ′(z) y simplifica",
                       "with loss='bce' it returned the MSE gradient: differentiate the cross-entropy with respect "
                       "to p, multiply by σ′(z) and simplify")
        return Msg.same("{text}{shown}").format(text=text, shown=shown)
    if close(dw, expected_dw):
        text = Msg("dw es correcto pero db no: b entra en z con coeficiente 1 en todos los ejemplos",
                   "dw is right but db is not: b enters z with coefficient 1 in every example")
    elif close(db, expected_db):
        text = Msg("db es correcto pero dw no: cada componente de dw pondera el error de cada ejemplo con la "
                   "medida correspondiente de X",
                   "db is right but dw is not: each component of dw weighs each example's error by the matching "
                   "column of X")
    else:
        text = Msg("con loss='{kind}' no coincide con el gradiente de la pérdida",
                   "with loss='{kind}' it does not match the gradient of the loss").format(kind=kind)
    return Msg.same("{text}{shown}").format(text=text, shown=shown)


# ---------------------------------------------------------- 2.3 training

def _small_problem(seed, size, weights, noise):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(size, len(weights)))
    y = (X @ np.asarray(weights) + 0.3 + rng.normal(scale=noise, size=size) > 0).astype(float)
    return X, y


def _train_cases():
    X_small, y_small = _small_problem(23, 30, [1.5, -1.0], 0.5)
    X_train, y_train = fruit_splits()["train"]
    return [
        Case("train_neuron", (np.array([[1.0], [2.0], [-1.0], [-2.0]]), np.array([1.0, 1.0, 0.0, 0.0]), 0.5, 3, "bce")),
        Case("train_neuron", (X_small, y_small, 0.5, 40, "mse")),
        Case("train_neuron", (X_small, y_small, 2.0, 15, "bce")),
        Case("train_neuron", (X_train, y_train, 1.0, 200, "bce")),
    ]


def _judge_train(case, value):
    X, y, learning_rate, epochs = case.args[:4]
    expected_w, expected_b, expected_losses = (np.asarray(v, dtype=float) for v in case.expected)
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        return Msg("debe devolver una tupla (w, b, perdidas)", "must return a tuple (w, b, losses)")
    w, b, losses = (np.asarray(v, dtype=float) for v in value)
    if w.shape != (X.shape[1],) or b.size != 1:
        return Msg(f"w debe tener forma {(X.shape[1],)} y b ser un número; tienen formas {w.shape} y {b.shape}",
                   f"w must have shape {(X.shape[1],)} and b must be a number; their shapes are {w.shape} and {b.shape}")
    b = b.reshape(())
    if losses.shape != (epochs,):
        return Msg(f"perdidas debe tener una entrada por época ({epochs}); tiene forma {losses.shape}",
                   f"losses must have one entry per epoch ({epochs}); its shape is {losses.shape}")

    def close(a, c):
        return np.allclose(a, c, rtol=1e-5, atol=1e-8)

    if not close(losses[0], expected_losses[0]):
        if epochs > 1 and close(losses[0], expected_losses[1]):
            return Msg(f"perdidas[0] es {losses[0]:.6g}, la pérdida tras la primera actualización: guarda la pérdida "
                       f"antes de actualizar, para que perdidas[0] sea la de w = 0 y b = 0 ({expected_losses[0]:.6g})",
                       f"losses[0] is {losses[0]:.6g}, the loss after the first update: store the loss before "
                       f"updating, so that losses[0] is the one at w = 0 and b = 0 ({expected_losses[0]:.6g})")
        return Msg(f"perdidas[0] debe ser la pérdida antes de la primera actualización, con w = 0 y b = 0 "
                   f"({expected_losses[0]:.6g}); es {losses[0]:.6g}",
                   f"losses[0] must be the loss before the first update, with w = 0 and b = 0 "
                   f"({expected_losses[0]:.6g}); it is {losses[0]:.6g}")
    wrong = [epoch for epoch in range(epochs) if not close(losses[epoch], expected_losses[epoch])]
    if wrong:
        epoch = wrong[0]
        rising = Msg.same("")
        if losses[epoch] > losses[epoch - 1] and expected_losses[epoch] < expected_losses[epoch - 1]:
            rising = Msg(" La tuya sube: ¿das el paso a favor del gradiente en lugar de en contra?",
                         " Yours goes up: is the step taken along the gradient instead of against it?")
        return Msg(f"en la época {epoch} la pérdida debería ser {expected_losses[epoch]:.6g} y es "
                   f"{losses[epoch]:.6g}, aunque perdidas[0] es correcta: revisa el paso W ← W − α ∂J/∂W.{{rising}}",
                   f"at epoch {epoch} the loss should be {expected_losses[epoch]:.6g} but is {losses[epoch]:.6g}, "
                   f"although losses[0] is right: check the step W ← W − α ∂J/∂W.{{rising}}").format(rising=rising)
    if not np.allclose(np.append(w, b), np.append(expected_w, expected_b), rtol=1e-4, atol=1e-6):
        return Msg(f"las pérdidas son correctas, pero tras {epochs} épocas se esperaba w = {short_repr(expected_w)}, "
                   f"b = {_plain(expected_b)} y se obtuvo w = {short_repr(w)}, b = {_plain(b)}: ¿devuelves los "
                   f"pesos después de la última actualización?",
                   f"the losses are right, but after {epochs} epochs expected w = {short_repr(expected_w)}, "
                   f"b = {_plain(expected_b)} and got w = {short_repr(w)}, b = {_plain(b)}: do you return the "
                   f"weights after the last update?")
    X_train, _ = fruit_splits()["train"]
    if X.shape == X_train.shape and np.array_equal(X, X_train):
        X_test, y_test = fruit_splits()["test"]
        accuracy = np.mean((X_test @ w + b >= 0) == y_test)
        if accuracy < NUMPY_TEST_ACCURACY:
            return Msg(f"la neurona entrenada tiene una exactitud de {accuracy:.1%} en el conjunto de prueba; debe "
                       f"llegar al {NUMPY_TEST_ACCURACY:.0%}",
                       f"the trained neuron's accuracy on the test split is {accuracy:.1%}; it must reach "
                       f"{NUMPY_TEST_ACCURACY:.0%}")
    return None


# ---------------------------------------------- 2.4 predict: the loss at epoch 0

def _start_cases():
    rng = np.random.default_rng(24)
    return [
        Case("loss_before_training", (np.array([1.0]), 0.0, "bce")),
        Case("loss_before_training", (np.array([1.0, 0.0]), 0.0, "mse")),
        Case("loss_before_training", (np.array([1.0, 1.0, 0.0]), 0.0, "bce")),
        Case("loss_before_training", (np.array([1.0, 1.0, 1.0, 0.0]), 2.0, "bce")),
        Case("loss_before_training", (rng.integers(0, 2, size=20).astype(float), -1.0, "mse")),
    ]


def _judge_start(case, value):
    y, b = case.args[:2]
    kind = case.args[2] if len(case.args) > 2 else "bce"
    expected, other = (float(v) for v in case.expected)
    number = _number(value)
    if number is None:
        return Msg("debe devolver un solo número: la pérdida media antes de entrenar",
                   "must return a single number: the mean loss before training")
    if np.isclose(number, expected, rtol=1e-6, atol=1e-12):
        return None
    if np.isclose(number, other, rtol=1e-6, atol=1e-12):
        asked = {"bce": Msg("la entropía cruzada", "the cross-entropy"), "mse": Msg("el ECM", "the MSE")}
        other = {"bce": Msg("del ECM", "of the MSE"), "mse": Msg("de la entropía cruzada", "of the cross-entropy")}
        return Msg("se pidió {asked} (loss='{kind}') y devolvió el valor {other}.",
                   "{asked} was asked for (loss='{kind}') and it returned the value {other}.").format(
            asked=asked[kind], kind=kind, other=other[kind])
    where = Msg(" Antes de entrenar, w = 0: ¿qué vale z para cada fruta, y qué probabilidad le da la sigmoide?",
                " Before training, w = 0: what is z for each fruit, and what probability does the sigmoid give?")
    return Msg("con b = {b:g}, se esperaba {expected:.6g} y se obtuvo {got:.6g}.{where}",
               "with b = {b:g}, expected {expected:.6g} but got {got:.6g}.{where}").format(
        b=b, expected=expected, got=number, where=where)


# ----------------------------------------- 2.5 what a learning rate does to the curve

def _regime_cases():
    t10, t15 = np.arange(10.0), np.arange(15.0)
    plateau = 0.091 + 0.6 * 0.45 ** np.arange(28.0)
    return [
        Case("loss_regime", (0.25 * 3.0 ** t10,)),                                  # grows every epoch
        Case("loss_regime", (0.7 * 0.97 ** t10,)),                                  # still going down
        Case("loss_regime", (0.1 + 0.6 * 0.4 ** np.arange(12.0),)),                 # flat at the end
        Case("loss_regime", (np.array([0.24, 0.45, 57.3, 1.9e10, 2.7e32, 4e80, 8e200, np.inf, np.nan, np.nan]),)),
        Case("loss_regime", (np.array([0.5, 2.0] * 5 + [0.5]),)),                   # back and forth, no progress
        Case("loss_regime", (np.append([0.693, 0.82], plateau),)),                  # a jump first, then a plateau
        Case("loss_regime", (np.array([0.693, 5.0, 4.0, 3.0, 2.5, 2.2, 2.1, 2.05, 2.02, 2.0]),)),
        Case("loss_regime", (0.6 - 0.004 * t15 - 0.0001 * t15 ** 2,)),
        Case("loss_regime", (0.7 * 0.995 ** np.arange(60.0),)),
        Case("loss_regime", (np.array([0.6, 0.45, 0.4, 0.42, 0.5, 0.58, 0.66]),)),  # only the last epoch is above the first
    ]


def _judge_regime(case, value):
    losses, expected = np.asarray(case.args[0], dtype=float), case.expected
    if not isinstance(value, str) or value not in REGIMES:
        return Msg(f"debe devolver una de las palabras 'diverge', 'lenta' o 'adecuada'; devolvió {short_repr(value)}",
                   f"must return one of the words 'diverge', 'lenta' or 'adecuada'; it returned {short_repr(value)}")
    if value == expected:
        return None
    first, last = losses[0], losses[-1]
    if expected == "diverge" and not np.all(np.isfinite(losses)):
        return Msg(f"la curva es 'diverge' y devolvió '{value}': la pérdida llega a inf o nan; cada época la multiplicó hasta "
                   f"desbordar los números. Ojo: cualquier comparación con nan da False",
                   f"the curve is 'diverge' and it returned '{value}': the loss reaches inf or nan; every epoch multiplied "
                   f"it until the numbers overflowed. Note that any comparison with nan is False")
    if expected == "diverge":
        return Msg(f"la curva es 'diverge' y devolvió '{value}': la pérdida termina en {last:.4g} y empezó en {first:.4g}; "
                   f"no ha bajado, así que los pasos se pasan de largo",
                   f"the curve is 'diverge' and it returned '{value}': the loss ends at {last:.4g} and started at "
                   f"{first:.4g}; it did not go down, so the steps overshoot")
    drops = losses[:-1] - losses[1:]
    if value == "diverge":
        bump = Msg(" Subir en alguna época no es divergir si al final está por debajo.",
                   " Going up at some epoch is not diverging if it ends below.") if np.any(drops < 0) else Msg.same("")
        return Msg(f"la curva es '{expected}' y devolvió 'diverge': la pérdida empieza en {first:.4g} y termina en "
                   f"{last:.4g}, más abajo.{{bump}}",
                   f"the curve is '{expected}' and it returned 'diverge': the loss starts at {first:.4g} and ends at "
                   f"{last:.4g}, lower.{{bump}}").format(bump=bump)
    if expected == "lenta":
        return Msg(f"la curva es 'lenta' y devolvió 'adecuada': en la última época la pérdida aún bajó {drops[-1]:.3g}, y "
                   f"la mayor bajada fue de {drops.max():.3g}; sigue bajando con fuerza, no ha llegado a su meseta",
                   f"the curve is 'lenta' and it returned 'adecuada': in the last epoch the loss still fell by "
                   f"{drops[-1]:.3g}, and the largest fall was {drops.max():.3g}; it is still falling fast, it has "
                   f"not reached its plateau")
    return Msg(f"la curva es 'adecuada' y devolvió 'lenta': en la última época la pérdida bajó solo {drops[-1]:.2g}, frente "
               f"a una bajada máxima de {drops.max():.3g}; ya se ha aplanado",
               f"the curve is 'adecuada' and it returned 'lenta': in the last epoch the loss fell by only {drops[-1]:.2g}, "
               f"against a largest fall of {drops.max():.3g}; it has flattened out")


# ------------------------------------------------------------- 2.6 Keras

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
    if accuracy < KERAS_TEST_ACCURACY:
        return Msg(f"su exactitud en el conjunto de prueba (estandarizado) es {accuracy:.1%}; debe llegar al "
                   f"{KERAS_TEST_ACCURACY:.0%}. ¿Entrenaste con los datos estandarizados? ¿Da el optimizador "
                   f"suficientes pasos, y de buen tamaño, en 200 épocas?",
                   f"its accuracy on the (standardised) test split is {accuracy:.1%}; it must reach "
                   f"{KERAS_TEST_ACCURACY:.0%}. Did you train on the standardised data? Does the optimiser take "
                   f"enough steps, of a good size, in 200 epochs?")
    return None


# What grader.data must find on a grading machine for this notebook: its kernel and its judge read them.
DATASETS = ()

EXERCISES = [
    FunctionExercise(
        "2.1", ASSIGNMENT, Msg("Pérdidas ECM y entropía cruzada binaria", "MSE and binary cross-entropy losses"),
        ("mse_loss", "bce_loss"),
        (Msg("Las dos pérdidas son medias: calcula lo que cuesta cada fruta y promedia sobre los ejemplos. La "
             "función devuelve un número, no un array.",
             "Both losses are means: compute what each fruit costs and average over the examples. The function "
             "returns one number, not an array."),
         Msg("ECM: cada fruta cuesta la mitad del cuadrado de la diferencia entre predicción y etiqueta. Entropía "
             "cruzada: cada fruta cuesta −log de la probabilidad que la neurona dio a su clase verdadera (p si es "
             "naranja, 1 − p si es manzana); la fórmula con y y 1 − y junta los dos casos en uno.",
             "MSE: each fruit costs half the square of the difference between prediction and label. Cross-entropy: "
             "each fruit costs −log of the probability the neuron gave to its true class (p for an orange, 1 − p "
             "for an apple); the formula with y and 1 − y merges both cases."),
         Msg("Con p exactamente 0 o 1 el logaritmo vale −∞: antes de tomarlo, lleva las probabilidades al intervalo "
             "[1e-7, 1 − 1e-7] (NumPy tiene una función que recorta valores a un intervalo). El signo menos va "
             "delante de la media.",
             "With p exactly 0 or 1 the logarithm is −∞: before taking it, bring the probabilities into "
             "[1e-7, 1 − 1e-7] (NumPy has a function that clips values to an interval). The minus sign goes in "
             "front of the mean.")),
        cases=_loss_cases, judge_case=_judge_loss),
    FunctionExercise(
        "2.2", ASSIGNMENT, Msg("Gradientes de la pérdida", "Gradients of the loss"), ("loss_gradients",),
        (Msg("Regla de la cadena: J depende de w y de b solo a través de z_i = x_i·w + b y de p_i = σ(z_i). Deriva "
             "la pérdida de un ejemplo respecto a p_i, después respecto a z_i, y por último pasa a w y a b. "
             "Promedia sobre los m ejemplos.",
             "Chain rule: J depends on w and b only through z_i = x_i·w + b and p_i = σ(z_i). Differentiate one "
             "example's loss with respect to p_i, then z_i, and finally go to w and b. Average over the m "
             "examples."),
         Msg("Las piezas: ∂z_i/∂w_j = x_ij, ∂z_i/∂b = 1 y σ′(z) = σ(z)(1 − σ(z)) (cuaderno 01). Te falta "
             "∂ℓ/∂p: deriva (p − y)²/2 para el ECM y −[y log p + (1 − y) log(1 − p)] para la entropía cruzada.",
             "The pieces: ∂z_i/∂w_j = x_ij, ∂z_i/∂b = 1 and σ′(z) = σ(z)(1 − σ(z)) (notebook 01). What is left is "
             "∂ℓ/∂p: differentiate (p − y)²/2 for the MSE and −[y log p + (1 − y) log(1 − p)] for the "
             "cross-entropy."),
         Msg("Llama δ_i = ∂ℓ_i/∂z_i al producto de ∂ℓ_i/∂p_i por σ′(z_i). Entonces ∂J/∂w_j es la media de δ_i·x_ij "
             "y ∂J/∂b la media de δ_i. En una de las dos pérdidas ese producto se simplifica muchísimo: haz el "
             "álgebra con cuidado. dw tiene una entrada por columna de X.",
             "Call δ_i = ∂ℓ_i/∂z_i the product of ∂ℓ_i/∂p_i and σ′(z_i). Then ∂J/∂w_j is the mean of δ_i·x_ij "
             "and ∂J/∂b the mean of δ_i. For one of the two losses that product simplifies a lot: do the algebra "
             "carefully. dw has one entry per column of X.")),
        cases=_gradient_cases, judge_case=_judge_gradients),
    FunctionExercise(
        "2.3", ASSIGNMENT, Msg("Descenso de gradiente", "Gradient descent"), ("train_neuron",),
        (Msg("Cada época hace tres cosas, en este orden: medir la pérdida con los pesos actuales, calcular el "
             "gradiente con todos los ejemplos y dar un paso en contra del gradiente.",
             "Each epoch does three things, in this order: measure the loss with the current weights, compute the "
             "gradient with all the examples and take a step against the gradient."),
         Msg("perdidas[0] es la pérdida con w = 0 y b = 0, antes de tocar nada; así hay exactamente una entrada "
             "por época. El paso mueve w y b a la vez, con la misma tasa: W ← W − α ∂J/∂W.",
             "losses[0] is the loss at w = 0 and b = 0, before touching anything; that way there is exactly one "
             "entry per epoch. The step moves w and b together, with the same rate: W ← W − α ∂J/∂W."),
         Msg("No repitas trabajo: la pérdida que pide el argumento loss ya la programaste en 2.1 y su gradiente en "
             "2.2 (pásale el mismo loss). Devuelve las pérdidas como array de NumPy.",
             "Do not repeat work: the loss the argument loss asks for is the one you wrote in 2.1, and its "
             "gradient is 2.2 (pass it the same loss). Return the losses as a NumPy array.")),
        cases=_train_cases, judge_case=_judge_train,
        uses={"loss_gradients": "2.2", "bce_loss": "2.1", "mse_loss": "2.1"}),
    FunctionExercise(
        "2.4", ASSIGNMENT, Msg("Predice: la pérdida antes de entrenar", "Predict: the loss before training"),
        ("loss_before_training",),
        (Msg("Antes de entrenar, w = 0. ¿Cuánto vale z = x·w + b para una fruta cualquiera? ¿Depende de sus "
             "medidas?",
             "Before training, w = 0. What is z = x·w + b for any fruit? Does it depend on its measurements?"),
         Msg("Si todas las frutas reciben la misma probabilidad p = σ(b), la pérdida solo depende de p y de las "
             "etiquetas. Con b = 0, ¿qué p es, y cuánto cuesta una naranja? ¿Y una manzana?",
             "If every fruit gets the same probability p = σ(b), the loss depends only on p and the labels. With "
             "b = 0, which p is it, and what does an orange cost? And an apple?"),
         Msg("Pasos: la probabilidad común de todas las frutas, a partir de b; lo que cuesta con ella cada fruta, "
             "con la pérdida que pide el argumento loss (ya la programaste en 2.1); y la media sobre las "
             "etiquetas y. Con b = 0, compara el resultado con lo que predijiste.",
             "Steps: the probability shared by every fruit, from b; what each fruit costs with it, with the loss "
             "the loss argument asks for (you programmed it in 2.1); and the mean over the labels y. With b = 0, "
             "compare the result with what you predicted.")),
        cases=_start_cases, judge_case=_judge_start, uses={"bce_loss": "2.1", "mse_loss": "2.1"}),
    FunctionExercise(
        "2.5", ASSIGNMENT, Msg("¿Qué hizo la tasa de aprendizaje?", "What did the learning rate do?"),
        ("loss_regime",),
        (Msg("Hazte dos preguntas, en este orden. ¿Ha bajado la pérdida? (números no finitos, o terminar igual o "
             "más arriba que al principio, es que no.) Si ha bajado, ¿sigue bajando con fuerza en las últimas "
             "épocas, o ya se ha aplanado?",
             "Ask two questions, in this order. Did the loss go down? (Non-finite numbers, or ending as high as "
             "or higher than at the start, mean no.) If it did, is it still falling fast in the last epochs, or "
             "has it flattened out?"),
         Msg("«Con fuerza» es relativo: compara lo que baja la pérdida en la última época con lo que bajaba cuando "
             "más bajaba. En una curva aplanada ese cociente es casi 0, y en una lenta, claramente mayor: elige tú "
             "el umbral y pruébalo con curvas que inventes (una que baje cada vez menos, otra a ritmo constante).",
             "\"Fast\" is relative: compare what the loss falls in the last epoch with what it fell when it fell "
             "most. For a flat curve that ratio is nearly 0, and for a slow one clearly larger: choose the "
             "threshold yourself and try it on curves you make up (one that falls less and less, one at a steady "
             "pace)."),
         Msg("NumPy tiene una función que dice qué valores son finitos y otra que da la diferencia entre cada "
             "elemento y el siguiente. Cuidado con nan: cualquier comparación con nan da False.",
             "NumPy has a function that says which values are finite and another that gives the difference "
             "between each element and the next. Beware of nan: any comparison with nan is False.")),
        cases=_regime_cases, judge_case=_judge_regime),
    ModelExercise(
        "2.6", ASSIGNMENT, Msg("La misma neurona en Keras", "The same neuron in Keras"), ("fruit_model",),
        (Msg("Una capa densa con una sola neurona y activación sigmoide es tu neurona de NumPy: dos pesos y un "
             "sesgo. Para dos clases y una probabilidad de salida, la pérdida es la entropía cruzada binaria.",
             "A dense layer with a single neuron and a sigmoid activation is your NumPy neuron: two weights and a "
             "bias. For two classes and one output probability, the loss is the binary cross-entropy."),
         Msg("Entrena solo con el conjunto de entrenamiento estandarizado y mira la validación. Si la exactitud se "
             "queda corta, piensa en cuántos pasos da el optimizador y de qué tamaño: con el lote completo, cada "
             "época es un solo paso.",
             "Train on the standardised training set only and watch the validation set. If the accuracy falls "
             "short, think about how many steps the optimiser takes and how big they are: with the full batch, "
             "each epoch is a single step."),
         Msg("Para reproducir tu train_neuron, Keras tiene que hacer lo mismo: descenso de gradiente simple, todos "
             "los ejemplos en cada paso, los mismos pesos iniciales, la misma tasa y las mismas épocas. Y guarda el "
             "modelo en fruit_model.keras: el corrector solo ve el archivo.",
             "To reproduce your train_neuron, Keras must do the same: plain gradient descent, all the examples in "
             "each step, the same initial weights, the same rate and the same epochs. And save the model as "
             "fruit_model.keras: the grader only sees the file.")),
        model_file="fruit_model.keras", judge_model=_judge_fruit_model, update_budget=KERAS_UPDATE_BUDGET,
        budget_advice=Msg(" (las de 200 épocas con lotes de 32, el tamaño por defecto)",
                          " (those of 200 epochs with batches of 32, the default size)")),
]
