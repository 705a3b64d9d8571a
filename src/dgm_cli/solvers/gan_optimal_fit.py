"""A discriminator fitted to the expected loss (Problem 3's verification): D_fit = σ(f) against D*.

Continuous: f is a Chebyshev polynomial on each piece between the densities' landmarks, fitted by Newton's method
to the loss computed by Gauss–Legendre quadrature; categorical: one logit per category. The fit never reads D*,
so that D_fit approaching D* is an independent check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dgm_cli.distributions import AnyDistribution, Categorical, Continuous
from dgm_cli.solvers.gan_optimal_categorical import category_indices
from dgm_cli.solvers.gan_optimal_integrals import (
    CategoricalPair,
    Pieces,
    optimal_discriminator,
    pair_values,
    quadrature_pieces,
    typed_pair,
)
from dgm_cli.solvers.numerics import logsumexp, sigmoid

EPS = float(np.finfo(np.float64).eps)

# The fitted discriminator: logistic regression with a Chebyshev polynomial logit on each piece.
# Degree 2 contains the true logit for normal, Laplace and uniform densities (each log-density is a
# polynomial of degree ≤ 2 between kinks); for mixtures (a log-sum-exp) and logistic densities (a softplus term)
# the logit is no polynomial, and degree 10 approximates it.
FIT_DEGREE_EXACT = 2
FIT_DEGREE_MIXTURE = 10
FIT_NODES = 48  # Gauss–Legendre nodes per piece for the expected loss
# Newton's method converges quadratically, so a gradient tolerance near rounding costs a few iterations more; it
# matters where the weights of one piece span many orders of magnitude (a narrow spike inside a wide density,
# σ = 1e-9 against σ = 1e9), where the light end of the piece is only resolved by a tight tolerance.
FIT_GTOL = 1e-14
FIT_GTOL_CATEGORICAL = 1e-10
FIT_MAX_ITERATIONS = 500  # Newton needs a few dozen at most: about one per unit of a logit that runs to ±∞
NEWTON_ARMIJO = 1e-4  # sufficient decrease of the line search
NEWTON_HALVINGS = 50  # step lengths tried: 1, 1/2, …, 2^−50
# Mixtures and logistic densities: a piece is halved (at most FIT_MAX_HALVINGS times, FIT_MAX_SEGMENTS in all)
# while the last two Chebyshev coefficients of its fitted logit can move D = σ(f) by more than FIT_TAIL: a
# log-sum-exp that turns sharply within a piece (a narrow component's tail meeting a wide one) is not resolved by
# one polynomial of degree 10 there. The criterion reads the fit alone, never D*, so the check against D* stays
# independent.
FIT_TAIL = 1e-4
FIT_MAX_HALVINGS = 6
FIT_MAX_SEGMENTS = 512
FIT_GRID_PER_PIECE = 64
# Exact family: Newton's method converges to the optimiser's gradient tolerance; a logit that runs to
# ±∞ (one density 0 on a piece) stops where σ is within ~gtol of 0 or 1.
FIT_TOLERANCE_EXACT = 1e-6
# Mixtures and logistic densities: the error of a degree-10 polynomial approximation of the logit on a piece.
FIT_TOLERANCE_MIXTURE = 1e-3


@dataclass(frozen=True)
class FittedDiscriminator:
    """D_fit(x) = σ(f(x)): on each piece [edges[i], edges[i+1]] f is a Chebyshev polynomial with coefficients[i].

    A piece where both densities vanish has no coefficients: D is arbitrary there, as D* is.
    For categorical distributions there is one logit per category (edges empty).
    """

    edges: np.ndarray
    coefficients: tuple
    degree: int
    family: str
    contains_optimum: bool  # the family contains D* (up to logits of ±∞)
    iterations: int

    def logit(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if len(self.edges) == 0:  # one logit per category
            logits = np.asarray(self.coefficients[0])
            valid = (x >= 0) & (x < len(logits)) & (x == np.floor(x))
            return np.where(valid, logits[np.where(valid, x, 0).astype(np.int64)], 0.0)
        piece = np.clip(np.searchsorted(self.edges, x, side="right") - 1, 0, len(self.edges) - 2)
        out = np.zeros_like(x)
        for i, coefficients in enumerate(self.coefficients):
            mine = piece == i
            if coefficients is None or not np.any(mine):
                continue
            u, v = self.edges[i], self.edges[i + 1]
            out[mine] = np.polynomial.chebyshev.chebval((2 * x[mine] - u - v) / (v - u), coefficients)
        return out

    def __call__(self, x) -> np.ndarray:
        return sigmoid(self.logit(x))


def _logistic_loss(features: np.ndarray, weight_data: np.ndarray, weight_gen: np.ndarray, theta: np.ndarray):
    """F(θ) = Σ w_data·softplus(−f) + w_gen·softplus(f) with f = features·θ, its gradient
    featuresᵀ((w_data + w_gen)σ(f) − w_data), and f."""
    f = features @ theta
    value = np.sum(weight_data * np.logaddexp(0.0, -f) + weight_gen * np.logaddexp(0.0, f))
    return value, features.T @ ((weight_data + weight_gen) * sigmoid(f) - weight_data), f


def _accepted(value: float, trial_value: float, slope: float, length: float, gradient_norm: float, trial_norm: float):
    """The line search's test: Armijo's sufficient decrease F(θ + s·d) ≤ F(θ) + 1e-4·s·gᵀd; or, where F is flat to
    its rounding (at the optimum, F changes by ~g², far below ε·F), a step that shrinks the gradient without F rising
    by more than that rounding."""
    if trial_value <= value + NEWTON_ARMIJO * length * slope:
        return True
    return trial_value <= value + 8 * EPS * abs(value) and trial_norm < gradient_norm


def _fit_logistic(features: np.ndarray, weight_data: np.ndarray, weight_gen: np.ndarray) -> tuple[np.ndarray, int]:
    """argmin_θ Σ w_data·softplus(−f) + w_gen·softplus(f), f = features·θ: the expected loss, convex in θ, by Newton's
    method with a backtracking line search.

    The Hessian is featuresᵀ diag((w_data + w_gen)σ(f)σ(−f)) features. The step d solves H·d = −g (least squares
    where H is singular: a logit that runs to ±∞ on a piece where one density is 0 has curvature 0 in the limit);
    its length s halves from 1 until :func:`_accepted`. Converged when ‖g‖₂ ≤ FIT_GTOL; it also stops when no
    length down to 2^−NEWTON_HALVINGS is accepted (θ is then optimal to float64's rounding of F and g), or after
    FIT_MAX_ITERATIONS. Newton's method rather than scipy.optimize.minimize (trust-exact, the same exact gradient
    and Hessian, and the same stopping tolerance): importing scipy.optimize costs about 0.4 s of CPU, as much as
    SymPy and NumPy together, for a convex problem of at most 11 unknowns.
    """
    total = weight_data + weight_gen
    theta = np.zeros(features.shape[1])
    value, gradient, f = _logistic_loss(features, weight_data, weight_gen, theta)
    iterations = 0
    while iterations < FIT_MAX_ITERATIONS:
        gradient_norm = float(np.linalg.norm(gradient))
        if not gradient_norm > FIT_GTOL:
            break
        iterations += 1
        curvature = total * sigmoid(f) * sigmoid(-f)
        hessian = features.T @ (curvature[:, None] * features)
        step = np.linalg.lstsq(hessian, -gradient, rcond=None)[0]
        slope, length = float(gradient @ step), 1.0
        for _ in range(NEWTON_HALVINGS + 1):
            trial = theta + length * step
            trial_value, trial_gradient, trial_f = _logistic_loss(features, weight_data, weight_gen, trial)
            if _accepted(value, trial_value, slope, length, gradient_norm, float(np.linalg.norm(trial_gradient))):
                break
            length /= 2
        else:
            break  # no length makes progress: optimal to rounding
        theta, value, gradient, f = trial, trial_value, trial_gradient, trial_f
    return theta, iterations


@lru_cache(maxsize=8)
def fit_discriminator(data: AnyDistribution, gen: AnyDistribution) -> FittedDiscriminator:
    """Fit D_fit = σ(f) by minimising the expected loss L (by quadrature: no sampling noise) by Newton's method.

    Continuous: a Chebyshev polynomial logit on each piece between the landmarks of the two densities, each
    piece's loss normalised by its mass (in log space, so a far piece still counts). The pieces' parameters
    are separate, so minimising L piece by piece minimises it over the bulk.
    Categorical: one logit per category, the per-category loss normalised by p_data + p_g.
    """
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        return _fit_categories(pair.data, pair.gen)
    return _fit_pieces(pair.data, pair.gen)


def _fit_categories(data: Categorical, gen: Categorical) -> FittedDiscriminator:
    """One logit per category, each category's loss weighted by p_data/(p_data + p_g) and p_g/(p_data + p_g)."""
    k = category_indices(data, gen)
    values = pair_values(data, gen, k)
    lp, lq, defined = values.log_p_data, values.log_p_gen, values.defined
    log_total = np.where(defined, np.logaddexp(lp, lq), 0.0)
    with np.errstate(invalid="ignore"):
        weight_data = np.where(defined, np.exp(lp - log_total), 0.0)
        weight_gen = np.where(defined, np.exp(lq - log_total), 0.0)
    logits, iterations = _fit_separable(weight_data, weight_gen)
    return FittedDiscriminator(np.array([]), (logits,), 0, "one logit per category", True, iterations)


@dataclass
class _PieceFit:
    """Fits the logit on one segment of a piece, in the piece's own coordinate (full resolution near any mode),
    and counts Newton's iterations over all segments."""

    data: Continuous
    gen: Continuous
    pieces: Pieces
    degree: int
    iterations: int = 0

    def __post_init__(self) -> None:
        self.nodes, self.node_weights = np.polynomial.legendre.leggauss(FIT_NODES)
        self.features = np.polynomial.chebyshev.chebvander(self.nodes, self.degree)

    def __call__(self, piece: int, start: float, end: float) -> tuple[np.ndarray | None, np.ndarray]:
        """The logit's coefficients on [start, end], and which nodes carry weight in the loss."""
        nodes, node_weights = self.nodes, self.node_weights
        u = (start + end) / 2 + (end - start) / 2 * nodes
        values = self.pieces.values(self.data, self.gen, u, np.full(u.shape, piece))
        log_w = np.log((end - start) / 2 * node_weights)
        log_data, log_gen = log_w + values.log_p_data, log_w + values.log_p_gen
        with np.errstate(divide="ignore"):
            mass = logsumexp(np.concatenate([log_data, log_gen]))
        if mass == -np.inf:
            return None, np.zeros(nodes.shape, dtype=bool)
        weight_data, weight_gen = np.exp(log_data - mass), np.exp(log_gen - mass)
        theta, nit = _fit_logistic(self.features, weight_data, weight_gen)
        self.iterations += nit
        return theta, weight_data + weight_gen > 0


def _fit_pieces(data: Continuous, gen: Continuous) -> FittedDiscriminator:
    """A Chebyshev polynomial logit on each finite piece: of degree 2 where both log-densities are polynomials of
    degree at most 2 between kinks (the optimal logit is then one too); else of degree 10, a piece halved while the
    fit's tail says one polynomial does not resolve it (see FIT_TAIL)."""
    approximate = data.log_density_degree() is None or gen.log_density_degree() is None
    degree = FIT_DEGREE_MIXTURE if approximate else FIT_DEGREE_EXACT
    pieces = quadrature_pieces(data, gen)
    first = 1 if pieces.knots[0] == -math.inf else 0  # the first piece with two finite ends
    last = len(pieces.knots) - (2 if pieces.knots[-1] == math.inf else 1)
    fit = _PieceFit(data, gen, pieces, degree)
    # (piece, start, end, halvings): the segments still to fit, in order; each fitted one goes to ``segments``.
    queue = [(piece, 0.0, float(pieces.high[piece]), 0) for piece in range(first, last)]
    segments: list[tuple[int, float, float, np.ndarray | None]] = []
    while queue:
        piece, start, end, halvings = queue.pop(0)
        theta, seen = fit(piece, start, end)
        coarse = approximate and theta is not None and _tail_effect(theta, fit.features[seen]) > FIT_TAIL
        if coarse and halvings < FIT_MAX_HALVINGS and len(segments) + len(queue) + 2 <= FIT_MAX_SEGMENTS:
            middle = (start + end) / 2
            queue[:0] = [(piece, start, middle, halvings + 1), (piece, middle, end, halvings + 1)]
            continue
        segments.append((piece, start, end, theta))
    # Edges as floats: a knot itself where a segment ends at one, else the anchor plus the local coordinate.
    edges = [pieces.knots[first]]
    for piece, _, end, _ in segments:
        edges.append(pieces.knots[piece + 1] if end == pieces.high[piece] else pieces.anchors[piece] + end)
    coefficients = tuple(theta for *_, theta in segments)
    family = f"σ(Chebyshev polynomial of degree {degree}) on each of {len(segments)} pieces"
    exact_family = degree == FIT_DEGREE_EXACT
    return FittedDiscriminator(np.array(edges), coefficients, degree, family, exact_family, fit.iterations)


def _tail_effect(theta: np.ndarray, features: np.ndarray) -> float:
    """How far the last two Chebyshev terms of a fitted logit f can move σ(f): (|c_{d−1}| + |c_d|)·max σ′(f), the
    maximum over the nodes that carry weight in the loss (the rows of ``features`` given).

    Where σ(f) is saturated at 0 or 1, a large but unresolved tail changes nothing the fit is judged by; nor does
    it at a node where both densities underflow against the piece's mass (there D is arbitrary, as D* is, and
    the loss leaves the logit undetermined: Newton's least-squares step keeps it moderate there).
    """
    f = features @ theta
    return float((abs(theta[-1]) + abs(theta[-2])) * np.max(sigmoid(f) * sigmoid(-f)))


def _fit_separable(weight_data: np.ndarray, weight_gen: np.ndarray) -> tuple[np.ndarray, int]:
    """One logit θ_k per category, minimising Σ_k w_data,k·softplus(−θ_k) + w_gen,k·softplus(θ_k).

    The loss is a sum of one-dimensional convex terms, so Newton's method runs on each logit at once: the step is
    −g_k/H_k, g_k = (w_data,k + w_gen,k)σ(θ_k) − w_data,k and H_k = (w_data,k + w_gen,k)σ(θ_k)σ(−θ_k), its length
    halved per category until that category's term passes the test of :func:`_accepted`. Converged when ‖g‖₂ ≤
    FIT_GTOL_CATEGORICAL over the categories still moving; a category whose term no length improves, or whose
    curvature has underflowed to 0, is left where it is (optimal to rounding). (Replaces
    scipy.optimize.minimize with trust-region Newton-CG, for its import cost, as in :func:`_fit_logistic`.)
    """
    total = weight_data + weight_gen

    def terms(theta):
        values = weight_data * np.logaddexp(0.0, -theta) + weight_gen * np.logaddexp(0.0, theta)
        return values, total * sigmoid(theta) - weight_data

    theta = np.zeros(len(total))
    values, gradient = terms(theta)
    stalled = np.zeros(len(total), dtype=bool)
    iterations = 0
    while iterations < FIT_MAX_ITERATIONS and np.linalg.norm(np.where(stalled, 0.0, gradient)) > FIT_GTOL_CATEGORICAL:
        iterations += 1
        curvature = total * sigmoid(theta) * sigmoid(-theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(curvature > 0, -gradient / curvature, 0.0)
        length = np.ones(len(total))
        pending = ~stalled & (step != 0)
        new_theta, new_values, new_gradient = theta.copy(), values.copy(), gradient.copy()
        for _ in range(NEWTON_HALVINGS + 1):
            if not np.any(pending):
                break
            trial = theta + length * step
            trial_values, trial_gradient = terms(trial)
            accepted = pending & (
                (trial_values <= values + NEWTON_ARMIJO * length * gradient * step)
                | ((trial_values <= values + 8 * EPS * np.abs(values)) & (np.abs(trial_gradient) < np.abs(gradient)))
            )
            new_theta[accepted], new_values[accepted] = trial[accepted], trial_values[accepted]
            new_gradient[accepted] = trial_gradient[accepted]
            pending &= ~accepted
            length[pending] /= 2
        stalled |= pending | (step == 0)  # no length improved these, or no curvature is left: optimal to rounding
        theta, values, gradient = new_theta, new_values, new_gradient
    return theta, iterations


def fit_grid(data: AnyDistribution, gen: AnyDistribution, fitted: FittedDiscriminator) -> np.ndarray:
    """Points covering the bulk of both distributions: every category; or, inside every fitted piece (off its
    end points, where D* may jump), the points within the bulk of p_data or of p_g (μ ± 5σ, μ ± 14b, [a, b]).

    Outside both bulks neither distribution has mass to speak of, so the loss, and any fit to it, hardly
    depends on D there: the fit is only asked to approach D* where the loss can see it.
    """
    pair = typed_pair(data, gen)
    if isinstance(pair, CategoricalPair):
        return category_indices(pair.data, pair.gen)
    grids = [
        np.linspace(u, v, FIT_GRID_PER_PIECE + 2)[1:-1]
        for u, v, c in zip(fitted.edges[:-1], fitted.edges[1:], fitted.coefficients)
        if c is not None
    ]
    if not grids:
        return np.array([])
    grid = np.concatenate(grids)
    inside = np.zeros(grid.shape, dtype=bool)
    for low, high in (*pair.data.bulk(), *pair.gen.bulk()):
        inside |= (grid >= low) & (grid <= high)
    return grid[inside]


def max_fit_error(data: AnyDistribution, gen: AnyDistribution, fitted: FittedDiscriminator) -> tuple[float, float]:
    """max |D_fit − D*| over the grid where D* is defined, and where it is attained."""
    grid = fit_grid(data, gen, fitted)
    d_star, defined = optimal_discriminator(data, gen, grid)
    errors = np.where(defined, np.abs(fitted(grid) - d_star), 0.0)
    if errors.size == 0:
        return 0.0, math.nan
    worst = int(np.argmax(errors))
    return float(errors[worst]), float(grid[worst])
