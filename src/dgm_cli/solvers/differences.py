"""Jacobians by central differences with Richardson extrapolation, with an error estimate per entry.

The flow checks compare a symbolic Jacobian against differences of the numeric map. SciPy's
``scipy.differentiate.jacobian`` does the same job, but importing it loads SciPy's array-API layer (about
0.1 s of CPU, a fifth of ``import sympy, numpy``) for a 3×3 matrix; this is the same scheme in NumPy:

    D(h) = (f(x + h e_j) − f(x − h e_j)) / 2h = ∂_j f + c₁h² + c₂h⁴ + …

at steps h, h/2, h/4, …, combined by Richardson's table R[k][m] = R[k][m−1] + (R[k][m−1] − R[k−1][m−1])/(4^m − 1)
up to m = 3: error O(h⁸), the same combination of the eight points ±h, ±h/2, ±h/4, ±h/8 as SciPy's default
order-8 stencil. Each further step gives a new estimate; the error estimate is its change from the previous
one, and each entry's iteration stops as SciPy's does: when that change is below √ε·|estimate| + the smallest
normal float64, when it grows tenfold (rounding has taken over), or after ten iterations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ORDER_LEVELS = 3  # Richardson levels beyond the central difference: error O(h^(2·(3 + 1))) = O(h⁸)
MAX_STEPS = 10  # estimates in all, as SciPy's maxiter
RTOL = float(np.finfo(np.float64).eps) ** 0.5
ATOL = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class JacobianEstimate:
    df: np.ndarray  # df[i, j] = ∂f_i/∂x_j
    error: np.ndarray  # per entry: the change made by the last step taken


def jacobian(function: Callable[..., np.ndarray], point: np.ndarray, initial_step: np.ndarray) -> JacobianEstimate:
    """∂f/∂x at ``point`` for ``function(*columns) -> array (n_out, n_points)``, steps starting at ``initial_step``
    (one per coordinate) and halving. Entries whose differences are not finite come out NaN."""
    point = np.asarray(point, dtype=np.float64)
    steps = np.broadcast_to(np.asarray(initial_step, dtype=np.float64), (point.size,)).copy()
    table: list[np.ndarray] = []  # the latest row of Richardson's table
    for _ in range(ORDER_LEVELS + 1):  # the first estimate is of full order, from the first four steps
        table, steps = _richardson_row(function, point, steps, table), steps / 2
    best = table[-1]
    error = np.full_like(best, np.nan)
    active = np.isfinite(best)
    for _ in range(MAX_STEPS - 1):  # MAX_STEPS estimates in all
        table, steps = _richardson_row(function, point, steps, table), steps / 2
        estimate = table[-1]
        # Entry by entry, as SciPy does: the change from the previous estimate is the error estimate; the
        # iteration of an entry ends when it is below the tolerance, or when it grows tenfold (rounding now
        # outgrows truncation; the estimate is kept), or when the estimate stops being finite (NaN).
        change = np.abs(estimate - best)
        best = np.where(active, estimate, best)
        grew = change > 10 * error
        error = np.where(active, change, error)
        best = np.where(active & ~np.isfinite(estimate), np.nan, best)
        active &= np.isfinite(estimate) & ~(change < ATOL + RTOL * np.abs(estimate)) & ~grew
        if not active.any():
            break
    return JacobianEstimate(df=best, error=error)


def _richardson_row(function, point: np.ndarray, steps: np.ndarray, previous: list[np.ndarray]) -> list[np.ndarray]:
    """The next row of Richardson's table: the central difference at ``steps``, then each level from the row before
    R[k][m] = R[k][m−1] + (R[k][m−1] − R[k−1][m−1]) / (4^m − 1), up to ORDER_LEVELS."""
    row = [_central_difference(function, point, steps)]
    for level in range(1, min(len(previous), ORDER_LEVELS) + 1):
        row.append(row[level - 1] + (row[level - 1] - previous[level - 1]) / (4.0**level - 1.0))
    return row


def _central_difference(function, point: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(f(x + h_j e_j) − f(x − h_j e_j)) / 2h_j for every j, in one vectorised call of ``function``."""
    dimension = point.size
    offsets = np.diag(steps)
    columns = np.concatenate([point[:, None] + offsets, point[:, None] - offsets], axis=1)  # (dimension, 2·dimension)
    with np.errstate(all="ignore"):
        values = np.asarray(function(*columns), dtype=np.float64).reshape(-1, 2 * dimension)
        return (values[:, :dimension] - values[:, dimension:]) / (2 * steps)
