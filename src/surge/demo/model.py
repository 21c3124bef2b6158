"""A small linear model fitted at start-up on synthetic data from a fixed seed (pure Python)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

FEATURE_COUNT = 4
_SEED = 20240601
_SAMPLE_COUNT = 256
# The synthetic data are drawn around these weights; the fit recovers them closely.
_TRUE_WEIGHTS = (1.5, -2.0, 0.75, 3.0)
_TRUE_BIAS = 0.5


@dataclass(frozen=True)
class LinearModel:
    """Least-squares linear regression: prediction = bias + sum(weight_i * feature_i)."""

    weights: tuple[float, ...]
    bias: float

    def predict(self, features: list[float]) -> float:
        if len(features) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} features, got {len(features)}")
        return self.bias + math.fsum(w * x for w, x in zip(self.weights, features, strict=True))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve matrix @ x = vector by Gaussian elimination with partial pivoting."""
    size = len(vector)
    rows = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-12:
            raise ValueError("singular system")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, size + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        tail = math.fsum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - tail) / rows[r][r]
    return solution


def build_model(seed: int = _SEED) -> LinearModel:
    """Draw a synthetic data set from ``seed`` and fit it by the normal equations."""
    rng = random.Random(seed)
    xs = [[rng.uniform(-1.0, 1.0) for _ in range(FEATURE_COUNT)] for _ in range(_SAMPLE_COUNT)]
    ys = [
        _TRUE_BIAS + math.fsum(w * x for w, x in zip(_TRUE_WEIGHTS, row, strict=True)) + rng.gauss(0.0, 0.1)
        for row in xs
    ]
    # Column 0 is the intercept, so the design matrix is [1, x1..x4].
    design = [[1.0, *row] for row in xs]
    width = FEATURE_COUNT + 1
    xtx = [[math.fsum(d[i] * d[j] for d in design) for j in range(width)] for i in range(width)]
    xty = [math.fsum(d[i] * y for d, y in zip(design, ys, strict=True)) for i in range(width)]
    coefficients = _solve(xtx, xty)
    return LinearModel(weights=tuple(coefficients[1:]), bias=coefficients[0])
