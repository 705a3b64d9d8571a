"""Numeric inversion, for a map without a closed-form inverse: the roots of f(z) = x found by scipy.optimize.root
from many reproducible starts, and p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over them, in log space (float64 and mpmath)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dgm_cli.solvers.flow.layers import bisection_inverse
from dgm_cli.solvers.numerics import logsumexp
from dgm_cli.solvers.symbolic import MP_DIGITS, MpOutOfRange, MpUndefined, mp_value

if TYPE_CHECKING:
    from dgm_cli.solvers.flow.model import FlowModel

# The residual ‖f(z) − x‖ a root must reach, relative to max(‖x‖, 1), and the distance below which two roots are
# the same (both well above float64 noise for well-conditioned maps, well below any real separation of preimages).
ROOT_RESIDUAL = 1e-10
ROOT_SEPARATION = 1e-6
RANDOM_STARTS = 24  # besides the origin, x itself and the base's centre
ROOT_SEED = 20240901  # fixed: the same starts on every run
NEWTON_ITERATIONS = 30  # quadratic convergence from a root of a nearby point: far more than enough in a small box


def starts(model: FlowModel) -> np.ndarray:
    """Starting points for root finding: the origin, the base's centre and fixed-seed random points."""
    n = model.dimension
    rng = np.random.default_rng(ROOT_SEED)
    spread = np.concatenate([rng.standard_normal((RANDOM_STARTS // 2, n)),
                             3 * rng.standard_normal((RANDOM_STARTS // 2, n))])
    return np.vstack([np.zeros((1, n)), np.full((1, n), model.base.centre), spread])


def _distinct(candidate: np.ndarray, found: Sequence[np.ndarray]) -> bool:
    return all(np.max(np.abs(candidate - other)) > ROOT_SEPARATION * max(1.0, float(np.max(np.abs(other))))
               for other in found)


def preimages(model: FlowModel, point: np.ndarray, extra_starts: Sequence[np.ndarray] = ()) -> list[np.ndarray]:
    """The distinct roots of f(z) = x found by scipy.optimize.root from several starts (for a map proven one
    to one, the one root found layer by layer, or none outside the image)."""
    from scipy.optimize import root

    if model.by_bisection:
        latents, failed = bisection_inverse(model, np.asarray(point, dtype=np.float64)[None, :])
        return [latents[0]] if failed[0] < 0 and np.all(np.isfinite(latents[0])) else []

    point = np.asarray(point, dtype=np.float64)
    # max-norms: the Euclidean norm of (1e300,) overflows, and an infinite tolerance accepts anything
    tolerance = ROOT_RESIDUAL * max(1.0, float(np.max(np.abs(point))))

    def residual(z):
        return model.forward_map(z[None, :])[0] - point

    def jacobian(z):
        return model.jacobian_forward_at(z)[0]

    found: list[np.ndarray] = []
    own = [point] if point.shape == (model.dimension,) else []
    for start in [*extra_starts, *own, *starts(model)]:
        with np.errstate(all="ignore"):
            solution = root(residual, np.asarray(start, dtype=float), jac=jacobian, method="hybr", tol=1e-14)
            candidate = solution.x
            error = float(np.max(np.abs(residual(candidate))))
        if np.all(np.isfinite(candidate)) and error <= tolerance and _distinct(candidate, found):
            found.append(candidate)
    return found


def log_density_from_roots(model: FlowModel, roots: Sequence[np.ndarray]) -> float:
    """log Σ_roots p_Z(z)/|det ∂f/∂z|, in log space."""
    latents = np.asarray(roots, dtype=np.float64)
    with np.errstate(all="ignore"):
        terms = model.base.log_pdf(latents) - model.log_abs_det_forward(latents)
    terms = np.where(np.isnan(terms), -np.inf, terms)
    return float(logsumexp(terms)) if np.isfinite(terms).any() else float("-inf")


def numeric_log_density(model: FlowModel, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, log p_X) for each row: z the first root found, log p_X the sum over all roots found; a row with no root
    found has z = NaN and log p_X = −∞."""
    latents = np.full(points.shape, np.nan)
    log_p = np.full(points.shape[0], -np.inf)
    for row, point in enumerate(points):
        roots = preimages(model, point)
        if roots:
            latents[row] = roots[0]
            log_p[row] = log_density_from_roots(model, roots)
    return latents, log_p


def local_log_density(model: FlowModel, rows: np.ndarray, roots: Sequence[np.ndarray]) -> np.ndarray:
    """log p_X near x without a closed-form inverse: Newton's method, vectorised over rows, from each preimage of x."""
    rows = np.atleast_2d(rows)
    terms = []
    for start in roots:
        latents = np.tile(start, (rows.shape[0], 1))
        for _ in range(NEWTON_ITERATIONS):
            with np.errstate(all="ignore"):
                jacobian = model.jacobian_forward_at(latents)
                residual = (model.forward_map(latents) - rows)[..., None]
                try:
                    step = np.linalg.solve(jacobian, residual)[..., 0]
                except np.linalg.LinAlgError:  # a row where ∂f/∂z is singular (abs at 0): least squares there
                    step = (np.linalg.pinv(np.nan_to_num(jacobian)) @ np.nan_to_num(residual))[..., 0]
            latents = latents - step
        with np.errstate(all="ignore"):
            term = model.base.log_pdf(latents) - model.log_abs_det_forward(latents)
            # Where Newton's method did not land on a root (x outside the image: |z| = x < 0), no preimage.
            missed = ~(np.max(np.abs(model.forward_map(latents) - rows), axis=1)
                       <= 1e3 * ROOT_RESIDUAL * np.maximum(1.0, np.max(np.abs(rows), axis=1)))
            terms.append(np.where(missed, -np.inf, term))
    stacked = np.array(terms)
    stacked = np.where(np.isnan(stacked), -np.inf, stacked)  # nan_to_num would also turn ±inf into ±1.8e308
    return logsumexp(stacked, axis=0)


def log_density_from_roots_mp(model: FlowModel, roots: Sequence[np.ndarray], log_dets: Sequence):
    """log Σ_roots p_Z(z)/|det ∂f/∂z| with mpmath: log p_Z at the float64 roots is exact for them, at any size."""
    import mpmath

    if not roots:
        return -mpmath.inf
    with mpmath.workdps(MP_DIGITS):
        terms = []
        for root, log_det in zip(roots, log_dets):
            latent = [mpmath.mpf(float(v)) for v in root]
            log_base = model.base.log_pdf_mp(latent) if model.base.contains(latent) else -mpmath.inf
            terms.append(log_base - log_det if not math.isnan(log_det) else -mpmath.inf)
        top = max(terms)
        if mpmath.isinf(top):
            return top
        return top + mpmath.log(mpmath.fsum(mpmath.exp(t - top) for t in terms))


def determinants_at_root(model: FlowModel, root: np.ndarray):
    """(det ∂f/∂z at the root, its reciprocal det ∂f⁻¹/∂x at x), as mpmath numbers at 50 digits."""
    import mpmath

    values = {symbol: mpmath.mpf(float(v)) for symbol, v in zip(model.z, root)}
    with mpmath.workdps(MP_DIGITS):
        try:
            det = mp_value(model.det_forward, values) if model.det_forward is not None else None
        except (MpUndefined, MpOutOfRange):
            det = None
        if det is None:
            det = mpmath.mpf(float(np.linalg.det(model.jacobian_forward_at(root)[0])))
        inverse = (1 / det) if det else mpmath.inf
        return det, inverse
