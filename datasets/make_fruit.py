"""Generate grader/resources/fruit.csv (package data, so any install of the kit has it): apples vs oranges, two measurements per fruit.

Run from the repository root:  python datasets/make_fruit.py [OUTPUT.csv]
The output is fully determined by SEED, so re-running it rewrites the same file.

Each fruit has
  weight_g   weight in grams (rounded to 1 g);
  roughness  peel roughness index in [0, 1] (0 = perfectly smooth, 1 = very rough),
             rounded to 0.01; think of a texture sensor on a sorting belt;
  fruit      "manzana" or "naranja";
  label      0 for an apple, 1 for an orange.

Both classes are drawn from Gaussian distributions that overlap on purpose
(oranges are heavier and rougher on average, but small rough apples and smooth
light oranges exist), so the best linear classifier is right about 95-97 % of
the time, never 100 %.
"""
import csv
import sys
from pathlib import Path

import numpy as np

SEED = 2029
N_PER_CLASS = 500
# (mean, standard deviation) of each measurement
APPLE = {"weight_g": (150.0, 25.0), "roughness": (0.35, 0.08)}
ORANGE = {"weight_g": (185.0, 28.0), "roughness": (0.62, 0.08)}
OUTPUT = Path(__file__).resolve().parents[1] / "grader" / "resources" / "fruit.csv"


def make_fruit(seed: int = SEED, n_per_class: int = N_PER_CLASS) -> list[tuple]:
    rng = np.random.default_rng(seed)
    rows = []
    for name, label, params in (("manzana", 0, APPLE), ("naranja", 1, ORANGE)):
        weight = rng.normal(*params["weight_g"], size=n_per_class).clip(60, 320)
        roughness = rng.normal(*params["roughness"], size=n_per_class).clip(0, 1)
        rows += [(int(round(w)), round(float(r), 2), name, label) for w, r in zip(weight, roughness)]
    order = rng.permutation(len(rows))  # shuffle so the file is not sorted by class
    return [rows[i] for i in order]


def main(output: Path = OUTPUT) -> None:
    rows = make_fruit()
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["weight_g", "roughness", "fruit", "label"])
        writer.writerows((w, f"{r:.2f}", name, label) for w, r, name, label in rows)
    print(f"wrote {len(rows)} rows to {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
