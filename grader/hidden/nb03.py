"""Grading-only material for notebook 03: hidden cases, the references' answers and the reference
version of backward. Instructors only; never shipped to students.

The references come from Keras/TensorFlow public APIs (count_params, softmax, categorical
cross-entropy, automatic differentiation, the EarlyStopping rule, keras.optimizers.SGD and Adam
stepped from a given state, model.train_on_batch, layers.Dropout, regularizers.L2) or from the
statements' own contracts (the training replay of 3.4), never from the solution notebook's code.
"""
import hashlib
import math
from functools import cache

import numpy as np

from grader.core import Case
from grader.data import load_mnist
from grader.exercises.nb03 import _batch, _disc, _mlp_weights, _network_args, one_hot_rows


def _rng():
    return np.random.default_rng(9003)


def _key(value):
    """A hashable stand-in for a case's arguments (arrays by content)."""
    if isinstance(value, (tuple, list)):
        return tuple(_key(item) for item in value)
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype.str, hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest()
    return repr(value)


def _memoised(reference):
    """The same reference, computed once per distinct case: grading and mutation testing ask many times."""
    answers = {}

    def cached(case):
        key = (case.function, _key(case.args))
        if key not in answers:
            answers[key] = reference(case)
        return answers[key]
    return cached


# ---------------------------------------------------------------- 3.1

def _count_reference(case):
    """(Keras's count, the weights alone, weights and biases with biases on the input layer too)."""
    import keras
    from keras import layers
    sizes = case.args[0]
    model = keras.Sequential([keras.Input((sizes[0],))] + [layers.Dense(n) for n in sizes[1:]])
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return model.count_params(), weights, weights + sum(sizes)


# ---------------------------------------------------------------- 3.2

def _softmax_crossentropy_reference(case):
    import keras
    if case.function == "softmax":
        return keras.ops.convert_to_numpy(keras.activations.softmax(np.asarray(case.args[0], "float64"), axis=-1))
    y_true, y_prob = (np.asarray(a, "float64") for a in case.args)
    return keras.ops.convert_to_numpy(keras.losses.categorical_crossentropy(y_true, y_prob)).astype("float64")


# ---------------------------------------------------------------- 3.3

def _tf_network(X, Y, W1, b1, W2, b2, output_derivative=True, hidden_derivative=True):
    """Activations and gradients of C = 1/(2n) Σ ||a − y||² by automatic differentiation (float64).
    Without a layer's derivative (a mistake the judge names), that sigmoid is applied forwards but
    differentiated as if it were the identity."""
    import tensorflow as tf

    def sigmoid(z, differentiated):
        return tf.sigmoid(z) if differentiated else z + tf.stop_gradient(tf.sigmoid(z) - z)

    variables = [tf.Variable(np.asarray(p, dtype=np.float64)) for p in (W1, b1, W2, b2)]
    with tf.GradientTape() as tape:
        hidden = sigmoid(tf.constant(X, tf.float64) @ variables[0] + variables[1], hidden_derivative)
        output = sigmoid(hidden @ variables[2] + variables[3], output_derivative)
        cost = tf.reduce_sum((output - tf.constant(Y, tf.float64)) ** 2) / (2 * len(X))
    gradients = tuple(g.numpy() for g in tape.gradient(cost, variables))
    return hidden.numpy(), output.numpy(), gradients


def _network_reference(case):
    """forward: (A1, A2). backward: (gradients, and the gradients of four typical mistakes: the
    output layer's σ′ missing, the hidden layer's σ′ missing, the sum instead of the mean over the
    examples, and the opposite sign)."""
    if case.function == "forward":
        X, W1, b1, W2, b2 = case.args
        hidden, output, _ = _tf_network(X, np.zeros((len(X), W2.shape[1])), W1, b1, W2, b2)
        return hidden, output
    X = case.args[0]
    *_, gradients = _tf_network(*case.args)
    *_, no_output_derivative = _tf_network(*case.args, output_derivative=False)
    *_, no_hidden_derivative = _tf_network(*case.args, hidden_derivative=False)
    summed = tuple(g * len(X) for g in gradients)
    flipped = tuple(-g for g in gradients)
    return gradients, no_output_derivative, no_hidden_derivative, summed, flipped


def _network_cases():
    rng = _rng()
    X, Y, params = _network_args(rng, 9, (8, 5, 4))
    big = tuple(p * 4 for p in params)  # large weights: saturated sigmoids, tiny derivatives
    return [Case("forward", (X, *params), hidden=True), Case("backward", (X, Y, *params), hidden=True),
            Case("backward", (X, Y, *big), hidden=True)]


# ---------------------------------------------------------------- 3.4: the training replay

# The reference backward, as source: 3.4 is graded with it (Exercise.uses), and the replay below runs the very
# same function, so the comparison is exact up to the student's loop arithmetic. It computes its own forward
# pass, so a wrong student `forward` cannot reach it.
BACKWARD_SOURCE = '''import numpy as np
def backward(X, Y, W1, b1, W2, b2):
    A1 = 1.0 / (1.0 + np.exp(-np.clip(X @ W1 + b1, -500, 500)))
    A2 = 1.0 / (1.0 + np.exp(-np.clip(A1 @ W2 + b2, -500, 500)))
    output_error = (A2 - Y) * A2 * (1 - A2) / len(X)
    hidden_error = (output_error @ W2.T) * A1 * (1 - A1)
    return X.T @ hidden_error, hidden_error.sum(axis=0), A1.T @ output_error, output_error.sum(axis=0)
'''


def _reference_backward():
    namespace = {}
    exec(BACKWARD_SOURCE, namespace)
    return namespace["backward"]


def _replay(X, Y, n_hidden, epochs, batch_size, learning_rate, seed, shuffle="each"):
    """Parameters after each epoch (index 0: the initial ones) of the run the statement of 3.4 fixes:
    one generator; W1 then W2 drawn from a standard normal and divided by √(inputs); zero biases;
    each epoch one permutation of the rows, cut into consecutive mini-batches of batch_size rows (the
    last one may be shorter); one plain gradient-descent step per mini-batch with backward's gradients.
    ``shuffle`` replays two typical mistakes: "never" (no permutation) and "once" (one permutation
    drawn before the first epoch and reused)."""
    backward = _reference_backward()
    rng = np.random.default_rng(seed)
    W1 = rng.normal(size=(X.shape[1], n_hidden)) / np.sqrt(X.shape[1])
    W2 = rng.normal(size=(n_hidden, Y.shape[1])) / np.sqrt(n_hidden)
    params = (W1, np.zeros(n_hidden), W2, np.zeros(Y.shape[1]))
    snapshots = [params]
    once = rng.permutation(len(X)) if shuffle == "once" else None
    for _ in range(epochs):
        order = {"each": None, "never": np.arange(len(X)), "once": once}[shuffle]
        if order is None:
            order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            gradients = backward(X[rows], Y[rows], *params)
            params = tuple(p - learning_rate * g for p, g in zip(params, gradients))
        snapshots.append(params)
    return snapshots


def _train_reference(case):
    """(the reference's parameters, the initial ones, one epoch less, one epoch more, never shuffling,
    shuffling only once). A variant that does not apply (one epoch less of 0 epochs) is None."""
    X, Y, n_hidden, epochs, batch_size, learning_rate, seed = case.args
    snapshots = _replay(X, Y, n_hidden, epochs + 1, batch_size, learning_rate, seed)
    never = _replay(X, Y, n_hidden, epochs, batch_size, learning_rate, seed, shuffle="never")[-1]
    once = _replay(X, Y, n_hidden, epochs, batch_size, learning_rate, seed, shuffle="once")[-1]
    return (snapshots[epochs], snapshots[0], snapshots[epochs - 1] if epochs > 0 else None, snapshots[epochs + 1],
            never, once)


@cache
def _mnist_train_subset(count):
    """The first ``count`` MNIST training images, as the from-scratch network takes them."""
    (images, labels), _ = load_mnist()
    return images[:count].reshape(count, 784).astype(np.float64) / 255, one_hot_rows(labels[:count], 10)


def _train_cases():
    rng = _rng()
    X_small = np.round(rng.uniform(-1, 1, size=(7, 3)), 2)
    Y_small = one_hot_rows(rng.integers(0, 2, size=7), 2)
    return [Case("train_network", (X_small, Y_small, 4, 3, 3, 0.5, 11), hidden=True),
            Case("train_network", (*_disc(300, seed=9003), 12, 40, 7, 3.0, 7), hidden=True),
            Case("train_network", (*_mnist_train_subset(3000), 15, 2, 10, 3.0, 1), hidden=True)]


# ---------------------------------------------------------------- 3.6, 3.10, 3.13: the questions

def _initial_loss_reference(case):
    """(the cross-entropy of uniform probabilities, as Keras computes it; in bits; in decimal digits;
    the probability itself): the last three name typical slips."""
    import keras
    classes = case.args[0]
    uniform = np.full((1, classes), 1.0 / classes)
    loss = float(keras.ops.convert_to_numpy(keras.losses.categorical_crossentropy(np.eye(classes)[:1], uniform))[0])
    return loss, math.log2(classes), math.log10(classes), 1.0 / classes


def _early_stopping(val_losses, patience, ties_improve=False):
    """(epochs run, epoch whose weights are restored), numbered from 1, following
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    with min_delta=0: an epoch improves when its loss is strictly below the best so far; training
    stops at the end of the epoch that completes ``patience`` epochs without improving."""
    best, best_epoch, wait = None, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        wait += 1
        if best is None or loss < best or (ties_improve and loss == best):
            best, best_epoch, wait = loss, epoch, 0
            continue
        if wait >= patience and epoch > 1:
            return epoch, best_epoch
    return len(val_losses), best_epoch


def _early_stopping_reference(case):
    """(the answer, the answer if a tie counted as an improvement)."""
    return _early_stopping(*case.args), _early_stopping(*case.args, ties_improve=True)


def _early_stopping_cases():
    rng = _rng()
    noisy = [round(float(v), 3) for v in 0.3 + 0.5 * np.exp(-np.arange(30) / 4) + 0.004 * np.arange(30)
             + rng.normal(scale=0.01, size=30)]
    return [Case("early_stopping_epochs", (noisy, 5), hidden=True),
            Case("early_stopping_epochs", (noisy, 2), hidden=True),
            Case("early_stopping_epochs", ([0.7, 0.8, 0.7, 0.7, 0.69, 0.71, 0.72], 3), hidden=True),
            Case("early_stopping_epochs", ([0.4, 0.3, 0.2], 10), hidden=True)]


def _max_derivative(activation):
    """The largest value of the activation's derivative, measured with automatic differentiation."""
    import keras
    import tensorflow as tf
    z = tf.Variable(np.linspace(-6, 6, 1201))  # includes z = 0, where sigmoid′ and tanh′ peak
    with tf.GradientTape() as tape:
        output = getattr(keras.activations, activation)(z)
    return float(np.max(tape.gradient(output, z).numpy()))


def _shrink_reference(case):
    activation, depth = case.args
    return _max_derivative(activation) ** depth


# ---------------------------------------------------------------- 3.7, 3.8: optimizers, one step

def _keras_step(optimizer, w, gradient, slots, iterations=0):
    """One keras optimizer step on a float64 variable from the given state. ``slots``: {suffix of the
    optimizer variable's path: its value}. Returns (w, {suffix: new value, or None if the optimizer keeps
    no such slot, as SGD without momentum})."""
    import keras
    import tensorflow as tf
    variable = keras.Variable(np.asarray(w, dtype="float64"))
    optimizer.build([variable])
    for slot in optimizer.variables:
        if slot.path.endswith("iteration"):
            slot.assign(iterations)
        for suffix, value in slots.items():
            if slot.path.endswith(suffix):
                slot.assign(np.asarray(value, dtype="float64"))
    optimizer.apply_gradients([(tf.constant(np.asarray(gradient, dtype="float64")), variable)])
    state = {suffix: next((s.numpy() for s in optimizer.variables if s.path.endswith(suffix)), None)
             for suffix in slots}
    return variable.numpy(), state


def _momentum_reference(case):
    """(Keras's (w, velocity), and three typical mistakes: gradients accumulated as v ← βv + g with
    w ← w − lr·v, w moved by the old velocity, plain SGD)."""
    import keras
    w, velocity, gradient, learning_rate, momentum = case.args
    new_w, state = _keras_step(keras.optimizers.SGD(learning_rate, momentum=momentum), w, gradient,
                               {"_momentum": velocity})
    new_velocity = new_w - w if state["_momentum"] is None else state["_momentum"]  # momentum 0: no slot
    accumulated = momentum * velocity + gradient
    return ((new_w, new_velocity), (w - learning_rate * accumulated, accumulated),
            (w + velocity, new_velocity), (w - learning_rate * gradient, -learning_rate * gradient))


def _adam_reference(case):
    """(Keras's (w, m, v); the same step written as in Kingma and Ba's paper, whose ε sits next to the
    corrected v (also accepted); the step without bias correction)."""
    import keras
    w, m, v, t, gradient, learning_rate, beta_1, beta_2, epsilon = case.args
    new_w, state = _keras_step(keras.optimizers.Adam(learning_rate, beta_1, beta_2, epsilon), w, gradient,
                               {"_momentum": m, "_velocity": v}, iterations=t - 1)
    new_m, new_v = state["_momentum"], state["_velocity"]
    learning_rate = float(np.float32(learning_rate))  # Keras keeps the rate in float32
    paper = w - learning_rate * (new_m / (1 - beta_1 ** t)) / (np.sqrt(new_v / (1 - beta_2 ** t)) + epsilon)
    uncorrected = w - learning_rate * new_m / (np.sqrt(new_v) + epsilon)
    return (new_w, new_m, new_v), (paper, new_m, new_v), (uncorrected, new_m, new_v)


def _momentum_cases():
    rng = _rng()
    return [Case("momentum_step", (rng.normal(size=(4, 3)), rng.normal(scale=0.05, size=(4, 3)),
                                   rng.normal(size=(4, 3)), 0.05, 0.99), hidden=True),
            Case("momentum_step", (np.array([3.0]), np.array([0.2]), np.array([-1.0]), 0.3, 0.6), hidden=True)]


def _adam_cases():
    rng = _rng()
    shape = (4, 3)
    return [Case("adam_step", (rng.normal(size=shape), np.zeros(shape), np.zeros(shape), 1, rng.normal(size=shape),
                               0.001, 0.9, 0.999, 1e-7), hidden=True),
            Case("adam_step", (rng.normal(size=shape), rng.normal(scale=0.1, size=shape),
                               rng.uniform(0, 0.01, size=shape), 7, rng.normal(size=shape), 0.02, 0.8, 0.99, 1e-6),
                 hidden=True),
            Case("adam_step", (np.array([1.0]), np.array([0.0]), np.array([0.0]), 5, np.array([5e-4]), 0.05,
                               0.9, 0.999, 1e-2), hidden=True)]


# ---------------------------------------------------------------- 3.9: train_step, against train_on_batch

def _train_on_batch(weights, x, y, optimizer_name, learning_rate, batches, summed=False):
    """(loss of each batch, weights after the last) of the network train_steps_from builds, trained with
    model.train_on_batch on the same consecutive batches. ``summed`` replays a typical mistake:
    differentiating the sum of the batch's losses instead of their mean."""
    import keras
    from keras import layers
    kernels = weights[0::2]
    model = keras.Sequential([keras.Input((kernels[0].shape[0],), dtype="float64")]
                             + [layers.Dense(k.shape[1], activation="relu", dtype="float64") for k in kernels[:-1]]
                             + [layers.Dense(kernels[-1].shape[1], activation="softmax", dtype="float64")])
    model.set_weights([np.asarray(w, dtype="float64") for w in weights])

    optimizer = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[optimizer_name](learning_rate)
    # in float64, as the network: a compiled loss computes in float32 unless told
    loss = keras.losses.CategoricalCrossentropy(reduction="sum" if summed else "sum_over_batch_size", dtype="float64")
    model.compile(optimizer=optimizer, loss=loss)
    losses = [float(np.asarray(model.train_on_batch(x[rows], y[rows])))
              for rows in np.array_split(np.arange(len(x)), batches)]
    return np.array(losses), model.get_weights()


def _train_step_reference(case):
    return _train_on_batch(*case.args), _train_on_batch(*case.args, summed=True)


def _train_step_cases():
    rng = _rng()
    return [Case("train_steps_from", (_mlp_weights(rng, [7, 5, 4]), *_batch(rng, 10, 7, 4), "adam", 0.05, 2),
                 hidden=True),
            Case("train_steps_from", (_mlp_weights(rng, [6, 8, 8, 2]), *_batch(rng, 9, 6, 2), "sgd", 0.2, 3),
                 hidden=True)]


# ---------------------------------------------------------------- 3.11, 3.12: regularisation

def _dropout_reference(case):
    """(keras.layers.Dropout's output with this mask, [(index of a typical mistake, what it returns)]).
    Keras draws its own mask, so its scale is measured on ones: what a kept unit becomes."""
    import keras
    a, mask, rate, training = case.args
    layer = keras.layers.Dropout(rate, dtype="float64")
    if not training:
        return keras.ops.convert_to_numpy(layer(a, training=False)), [(3, a * mask), (3, a * mask / (1 - rate)),
                                                                      (3, a * (1 - rate))]
    kept = keras.ops.convert_to_numpy(layer(np.ones(10000), training=True))
    scale = float(kept.max())
    variants = [(0, a * mask), (2, a * (1 - mask) * scale)]
    if rate > 0:
        variants.insert(1, (1, a * mask * (1 - rate)))
    return a * mask * scale, variants


def _l2_reference(case):
    """(keras.regularizers.L2's penalty or TensorFlow's gradient of it; half of it; the penalty with the
    mean instead of the sum)."""
    import keras
    import tensorflow as tf
    w, factor = case.args
    variable = tf.Variable(np.asarray(w, dtype="float64"))
    with tf.GradientTape() as tape:
        penalty = keras.regularizers.L2(factor)(variable)
    if case.function == "l2_penalty":
        value = float(penalty.numpy())
        return value, value / 2, value / np.size(w)
    gradient = tape.gradient(penalty, variable).numpy()
    return gradient, gradient / 2, gradient / np.size(w)


def _dropout_cases():
    rng = _rng()
    a = rng.normal(size=(4, 6))
    return [Case("dropout", (a, (rng.uniform(size=a.shape) > 0.1).astype(float), 0.1, True), hidden=True),
            Case("dropout", (a, (rng.uniform(size=a.shape) > 0.9).astype(float), 0.9, False), hidden=True),
            Case("dropout", (rng.normal(size=(2, 2, 5)), (rng.uniform(size=(2, 2, 5)) > 0.3).astype(float), 0.3,
                             True), hidden=True)]


def _l2_cases():
    rng = _rng()
    inputs = [(rng.normal(size=(5, 3)), 0.02), (rng.normal(size=(2, 3, 4)), 1e-4)]
    return [Case(function, args, hidden=True) for function in ("l2_penalty", "l2_gradient") for args in inputs]


HIDDEN_CASES = {
    "3.1": lambda: [Case("count_dense_params", ([10, 20, 30, 40, 5],), hidden=True),
                    Case("count_dense_params", ([1, 1],), hidden=True),
                    Case("count_dense_params", ([64, 3, 64],), hidden=True)],
    "3.2": lambda: [Case("softmax", (_rng().normal(scale=50, size=(3, 5)),), hidden=True),
                    Case("softmax", (np.array([[-1e4, -1e4 + 1.0, -1e4 + 2.0]]),), hidden=True),
                    Case("softmax", (np.array([[0.0, 3.0], [-800.0, -801.0], [5.0, 5.0]]),), hidden=True),
                    Case("categorical_crossentropy", (one_hot_rows(_rng().integers(0, 5, size=8), 5),
                                                      _rng().dirichlet(np.ones(5), size=8)), hidden=True)],
    "3.3": _network_cases,
    "3.4": _train_cases,
    "3.6": lambda: [Case("initial_loss", (classes,), hidden=True) for classes in (1000, 7, 26)],
    "3.7": _momentum_cases,
    "3.8": _adam_cases,
    "3.9": _train_step_cases,
    "3.10": _early_stopping_cases,
    "3.11": _dropout_cases,
    "3.12": _l2_cases,
    "3.13": lambda: [Case("gradient_shrink_factor", (activation, depth), hidden=True)
                    for activation, depth in (("sigmoid", 20), ("relu", 3), ("tanh", 12), ("sigmoid", 2))],
}

REFERENCES = {exercise_id: _memoised(reference) for exercise_id, reference in {
    "3.1": _count_reference,
    "3.2": _softmax_crossentropy_reference,
    "3.3": _network_reference,
    "3.4": _train_reference,
    "3.6": _initial_loss_reference,
    "3.7": _momentum_reference,
    "3.8": _adam_reference,
    "3.9": _train_step_reference,
    "3.10": _early_stopping_reference,
    "3.11": _dropout_reference,
    "3.12": _l2_reference,
    "3.13": _shrink_reference,
}.items()}
REFERENCE_FUNCTIONS = {"backward": BACKWARD_SOURCE}
