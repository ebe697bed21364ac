"""Submissions of notebook 01 for the similarity tests: students who wrote their own code, and one who copied.

Each student starts from the student notebook and replaces some exercise cells with their own code; the
Keras cells (1.10, 1.11) stay untouched. `original` and `copier` are the planted pair: the copier took the
original's code, renamed the variables, wrote other comments and reformatted it. `other_approach` solved
the same exercises another way; `solution` is the kit's solution notebook. No other pair is a copy.
"""
import nbformat

from helpers import NB01, NOTEBOOKS, SOLUTIONS

ORIGINAL = {
    "1.1": '''def step(z):
    z = np.array(z, dtype=float)
    out = np.zeros_like(z)
    out[z >= 0] = 1.0
    return out
''',
    "1.2": '''def sigmoid(z):
    z = np.array(z, dtype=float)
    result = np.empty_like(z)
    positive = z >= 0
    result[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    result[~positive] = exp_z / (1.0 + exp_z)
    return result


def tanh(z):
    z = np.array(z, dtype=float)
    return 2.0 * sigmoid(2.0 * z) - 1.0


def relu(z):
    z = np.array(z, dtype=float)
    return z * (z > 0)


def leaky_relu(z, alpha=0.1):
    z = np.array(z, dtype=float)
    return np.maximum(z, 0) + alpha * np.minimum(z, 0)


def elu(z, alpha=1.0):
    z = np.array(z, dtype=float)
    negative = np.minimum(z, 0.0)
    return np.maximum(z, 0.0) + alpha * (np.exp(negative) - 1.0)
''',
    "1.3": '''def sigmoid_derivative(z):
    value = sigmoid(z)
    return value - value ** 2


def tanh_derivative(z):
    t = tanh(z)
    return 1.0 - t * t


def relu_derivative(z):
    z = np.array(z, dtype=float)
    return (z > 0).astype(float)


def leaky_relu_derivative(z, alpha=0.1):
    z = np.array(z, dtype=float)
    grad = np.ones_like(z)
    grad[z <= 0] = alpha
    return grad


def elu_derivative(z, alpha=1.0):
    z = np.array(z, dtype=float)
    grad = np.ones_like(z)
    grad[z <= 0] = alpha * np.exp(z[z <= 0])
    return grad
''',
    "1.4": '''def perceptron_forward(X, w, b):
    outputs = []
    for row in X:
        outputs.append(step(np.dot(row, w) + b))
    return np.array(outputs)
''',
    "1.5": '''def perceptron_update(x, target, w, b, learning_rate):
    prediction = step(np.dot(x, w) + b)
    delta = learning_rate * (target - prediction)
    new_w = w + delta * x
    new_b = b + delta
    return new_w, new_b
''',
    "1.6": '''def train_perceptron(X, targets, w, b, learning_rate, epochs):
    rows = []
    epoch = 0
    while epoch < epochs:
        mistakes = 0
        for i in range(len(X)):
            z = float(np.dot(X[i], w) + b)
            y = step(z)
            w, b = perceptron_update(X[i], targets[i], w, b, learning_rate)
            rows.append(list(X[i]) + [z, y, targets[i]] + list(w) + [b])
            if y != targets[i]:
                mistakes += 1
        epoch += 1
        if mistakes == 0:
            break
    return w, b, np.array(rows)
''',
    "1.8": '''def collapse_linear_layers(W1, b1, W2, b2):
    W = np.matmul(W1, W2)
    b = np.matmul(b1, W2) + b2
    return W, b
''',
    "1.7": '''def is_linearly_separable(targets):
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    wanted = np.array(targets, dtype=float)
    w, b, _ = train_perceptron(corners, wanted, np.zeros(2), 0.0, 1.0, 25)
    predicted = perceptron_forward(corners, w, b)
    return bool((predicted == wanted).all())
''',
    "1.9": '''def optimizer_updates(n_examples, batch_size, epochs):
    per_epoch = n_examples // batch_size
    if n_examples % batch_size:
        per_epoch += 1
    return per_epoch * epochs
''',
    "1.12": '''def distinct_hidden_units(initial_kernel):
    kernel = np.asarray(initial_kernel)
    seen = []
    for column in kernel.T:
        if not any(np.array_equal(column, other) for other in seen):
            seen.append(column)
    return len(seen)
''',
}

# The original's code with every local name changed, other comments, other spacing and line breaks.
COPIER = {
    "1.1": '''def step(z):
    # 1 donde z es mayor o igual que cero
    valores = np.array(z, dtype = float)
    salida = np.zeros_like(valores)
    salida[valores >= 0] = 1.0

    return salida
''',
    "1.2": '''def sigmoid(z):
    # para no desbordar la exponencial separo los positivos
    entrada = np.array(z, dtype = float)
    s = np.empty_like(entrada)
    pos = entrada >= 0
    s[pos] = 1.0 / (1.0 + np.exp(-entrada[pos]))
    e = np.exp(entrada[~pos])
    s[~pos] = e / (1.0 + e)
    return s

def tanh(z):
    entrada = np.array(z, dtype = float)
    return 2.0 * sigmoid(2.0 * entrada) - 1.0  # identidad con la sigmoide

def relu(z):
    entrada = np.array(z, dtype = float)
    return entrada * (entrada > 0)

def leaky_relu(z, alpha=0.1):
    entrada = np.array(z, dtype = float)
    return (np.maximum(entrada, 0)
            + alpha * np.minimum(entrada, 0))

def elu(z, alpha=1.0):
    entrada = np.array(z, dtype = float)
    neg = np.minimum(entrada, 0.0)
    return np.maximum(entrada, 0.0) + alpha * (np.exp(neg) - 1.0)
''',
    "1.3": '''def sigmoid_derivative(z):
    sig = sigmoid(z)
    return sig - sig ** 2

def tanh_derivative(z):
    th = tanh(z)
    return 1.0 - th * th

def relu_derivative(z):
    entrada = np.array(z, dtype = float)
    return (entrada > 0).astype(float)

def leaky_relu_derivative(z, alpha=0.1):
    entrada = np.array(z, dtype = float)
    derivada = np.ones_like(entrada)
    derivada[entrada <= 0] = alpha
    return derivada

def elu_derivative(z, alpha=1.0):
    entrada = np.array(z, dtype = float)
    derivada = np.ones_like(entrada)
    derivada[entrada <= 0] = alpha * np.exp(entrada[entrada <= 0])
    return derivada
''',
    "1.4": '''def perceptron_forward(X, w, b):
    salidas = []
    for fila in X:  # una salida por fila
        salidas.append(step(np.dot(fila, w) + b))
    return np.array(salidas)
''',
    "1.5": '''def perceptron_update(x, target, w, b, learning_rate):
    pred = step(np.dot(x, w) + b)
    paso = learning_rate * (target - pred)   # regla de Rosenblatt
    w_nuevo = w + paso * x
    b_nuevo = b + paso
    return w_nuevo, b_nuevo
''',
    "1.6": '''def train_perceptron(X, targets, w, b, learning_rate, epochs):
    tabla = []
    e = 0
    while e < epochs:
        errores = 0
        for k in range(len(X)):
            suma = float(np.dot(X[k], w) + b)
            salida = step(suma)
            w, b = perceptron_update(X[k], targets[k], w, b, learning_rate)
            tabla.append(list(X[k]) + [suma, salida, targets[k]] + list(w) + [b])
            if salida != targets[k]:
                errores += 1
        e += 1
        if errores == 0:
            break  # ya no se equivoca
    return w, b, np.array(tabla)
''',
    "1.8": '''def collapse_linear_layers(W1, b1, W2, b2):
    peso = np.matmul(W1, W2)
    sesgo = np.matmul(b1, W2) + b2
    return peso, sesgo
''',
    "1.7": '''def is_linearly_separable(targets):
    esquinas = np.array([[0.0, 0.0], [0.0, 1.0],
                         [1.0, 0.0], [1.0, 1.0]])
    objetivo = np.array(targets, dtype = float)
    pesos, sesgo, _ = train_perceptron(esquinas, objetivo, np.zeros(2), 0.0, 1.0, 25)
    prediccion = perceptron_forward(esquinas, pesos, sesgo)
    return bool((prediccion == objetivo).all())
''',
    "1.9": '''def optimizer_updates(n_examples, batch_size, epochs):
    lotes = n_examples // batch_size
    if n_examples % batch_size:
        lotes += 1  # el último lote incompleto
    return lotes * epochs
''',
    "1.12": '''def distinct_hidden_units(initial_kernel):
    matriz = np.asarray(initial_kernel)
    vistas = []
    for col in matriz.T:
        if not any(np.array_equal(col, otra) for otra in vistas):
            vistas.append(col)
    return len(vistas)
''',
}

# The same exercises solved another way, by a student who saw neither the original nor the solution.
OTHER_APPROACH = {
    "1.1": '''def step(z):
    return (np.asarray(z) >= 0).astype(float)
''',
    "1.2": '''def sigmoid(z):
    clipped = np.clip(np.asarray(z, dtype=float), -500, 500)
    return 1 / (1 + np.exp(-clipped))


def tanh(z):
    return np.tanh(np.asarray(z, dtype=float))


def relu(z):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, 0.0)


def leaky_relu(z, alpha=0.1):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, z, z * alpha)


def elu(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, z, alpha * np.expm1(np.minimum(z, 0)))
''',
    "1.3": '''def sigmoid_derivative(z):
    s = 1 / (1 + np.exp(-np.clip(z, -500, 500)))
    return s * (1 - s)


def tanh_derivative(z):
    return 1 / np.cosh(np.clip(z, -350, 350)) ** 2


def relu_derivative(z):
    return np.heaviside(z, 0.0)


def leaky_relu_derivative(z, alpha=0.1):
    return np.where(np.asarray(z) > 0, 1.0, alpha)


def elu_derivative(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, elu(z, alpha) + alpha)
''',
    "1.4": '''def perceptron_forward(X, w, b):
    return (X @ w + b >= 0).astype(float)
''',
    "1.5": '''def perceptron_update(x, target, w, b, learning_rate):
    error = target - perceptron_forward(x[None, :], w, b)[0]
    return w + learning_rate * error * x, b + learning_rate * error
''',
    "1.6": '''def train_perceptron(X, targets, w, b, learning_rate, epochs):
    history = []
    for epoch in range(epochs):
        changed = False
        for x, target in zip(X, targets):
            z = x @ w + b
            y = step(z)
            new_w, new_b = perceptron_update(x, target, w, b, learning_rate)
            changed = changed or y != target
            w, b = new_w, new_b
            history.append(np.concatenate([x, [z, y, target], w, [b]]))
        if not changed:
            break
    return w, b, np.array(history)
''',
    "1.8": '''def collapse_linear_layers(W1, b1, W2, b2):
    return np.dot(W1, W2), np.dot(b1, W2) + b2
''',
    "1.7": '''def is_linearly_separable(targets):
    points = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    targets = np.asarray(targets, dtype=float)
    grid = np.arange(-2, 2.5, 0.5)
    for w1 in grid:
        for w2 in grid:
            for b in grid:
                if np.array_equal(step(points @ np.array([w1, w2]) + b), targets):
                    return True
    return False
''',
    "1.9": '''def optimizer_updates(n_examples, batch_size, epochs):
    return epochs * -(-n_examples // batch_size)
''',
    "1.12": '''def distinct_hidden_units(initial_kernel):
    return len({tuple(column) for column in np.asarray(initial_kernel).T})
''',
}


def with_code(code: dict):
    """The student notebook of 01 with the exercise cells in ``code`` written by the student."""
    notebook = nbformat.read(NOTEBOOKS / f"{NB01}.ipynb", as_version=4)
    for cell in notebook.cells:
        exercise = cell.get("metadata", {}).get("grader", {}).get("exercise")
        if exercise in code:
            cell.source = code[exercise]
    return notebook


def build_similar(folder) -> dict:
    """Write one folder per student with their notebook 01; returns {student: path}."""
    notebooks = {"original": with_code(ORIGINAL), "copier": with_code(COPIER),
                 "other_approach": with_code(OTHER_APPROACH),
                 "solution": nbformat.read(SOLUTIONS / f"{NB01}.ipynb", as_version=4)}
    paths = {}
    for student, notebook in notebooks.items():
        (folder / student).mkdir(parents=True)
        paths[student] = folder / student / f"{NB01}.ipynb"
        nbformat.write(notebook, paths[student])
    return paths
