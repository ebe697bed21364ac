"""Grading-only material for notebook 03: hidden cases, the references' answers and the reference
version of backward. Instructors only; never shipped to students.

The references come from Keras/TensorFlow public APIs (count_params, softmax, categorical
cross-entropy, automatic differentiation, the EarlyStopping rule) or from the statements' own
contracts (the training replay of 3.4), never from the solution notebook's code.
"""
import hashlib
import math
from functools import cache

import numpy as np

from grader.core import Case
from grader.data import load_mnist
from grader.exercises.nb03 import _disc, _network_args, one_hot_rows


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


# ---------------------------------------------------------------- 3.6, 3.7, 3.8: the questions

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
    "3.7": _early_stopping_cases,
    "3.8": lambda: [Case("gradient_shrink_factor", (activation, depth), hidden=True)
                    for activation, depth in (("sigmoid", 20), ("relu", 3), ("tanh", 12), ("sigmoid", 2))],
}

REFERENCES = {exercise_id: _memoised(reference) for exercise_id, reference in {
    "3.1": _count_reference,
    "3.2": _softmax_crossentropy_reference,
    "3.3": _network_reference,
    "3.4": _train_reference,
    "3.6": _initial_loss_reference,
    "3.7": _early_stopping_reference,
    "3.8": _shrink_reference,
}.items()}
REFERENCE_FUNCTIONS = {"backward": BACKWARD_SOURCE}
