"""Comparison helpers shared by the exercise checks: short printing, array mismatches, accuracy."""
import numpy as np

from grader.i18n import Msg


def short_repr(value, limit: int = 60) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, separator=", ", threshold=8, edgeitems=2)
        text = " ".join(text.split())
        if value.size > 8:
            text += f" ({'×'.join(str(side) for side in value.shape)})"  # the shape, in words of no language
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def array_mismatch(value, expected, rtol=1e-6, atol=1e-8) -> Msg | None:
    """How an answer differs from the expected array (shape, finiteness, values); None when it matches."""
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    if value.shape != expected.shape:
        return Msg("la forma debería ser {expected} y es {got}",
                   "the shape should be {expected} but is {got}").format(expected=expected.shape, got=value.shape)
    if not np.all(np.isfinite(value)):
        return Msg("devolvió valores no finitos (nan/inf): {value}",
                   "returned non-finite values (nan/inf): {value}").format(value=short_repr(value))
    if np.allclose(value, expected, rtol=rtol, atol=atol):
        return None
    worst = np.unravel_index(np.argmax(np.abs(value - expected)), expected.shape)
    where = Msg(" en la posición [{index}]", " at position [{index}]").format(
        index=", ".join(str(int(i)) for i in worst)) if worst else Msg.same("")
    return Msg("se esperaba{where} {expected:.6g} y se obtuvo {got:.6g}",
               "expected{where} {expected:.6g} but got {got:.6g}").format(
        where=where, expected=expected[worst], got=value[worst])


def classification_accuracy(model, images, labels) -> float:
    """Share of images whose most probable class, as the Keras model predicts it, is the label."""
    probabilities = np.asarray(model.predict(images, batch_size=1000, verbose=0))
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def shift_images(images, down: int, right: int):
    """``images`` (n, height, width) moved ``down`` rows and ``right`` columns (negative: up, left); the
    uncovered border is 0. The grader measures models on shifted test images to spot training on test."""
    moved = np.zeros_like(images)
    height, width = images.shape[1:3]
    moved[:, max(down, 0):height + min(down, 0), max(right, 0):width + min(right, 0)] = \
        images[:, max(-down, 0):height + min(-down, 0), max(-right, 0):width + min(-right, 0)]
    return moved
