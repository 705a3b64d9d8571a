"""The optimal discriminator's integrals (Problem 3): L(D*), JSD and ∫p by quadrature, in log space.

The two distributions are densities with respect to one measure (:func:`typed_pair`): counting measure (both
categorical) or Lebesgue measure (both continuous). D* = σ(h) with h = log p_data − log p_g, computed term
against term (:class:`dgm_cli.distributions.DensityPair`); L(D*)'s integrand p_data·(−log σ(h)) + p_g·(−log σ(−h))
and JSD's m·κ(h) are never −∞ or negative by rounding. Each is integrated by tanh-sinh on the pieces between both
densities' landmarks, in a local coordinate per piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dgm_cli.distributions import AnyDistribution, Categorical, Continuous, Offsets, PairValues, density_pair
from dgm_cli.errors import InputError, mention
from dgm_cli.solvers.numerics import log_sigmoid, sigmoid
from dgm_cli.solvers.quadrature import QUAD_ATOL, QUAD_RTOL, tanh_sinh

LOG2 = math.log(2.0)

# Quadrature: tanh-sinh on each piece between the landmarks of both densities.
MAX_KNOTS = 64  # after thinning: enough for a few separated components, and bounded work for 100 overlapping ones
SMALL_JSD = 1e-3  # below this, JSD's quadrature is repeated with an absolute tolerance scaled to its value

@dataclass(frozen=True)
class CategoricalPair:
    """p_data and p_g as probability mass functions over the categories 0, 1, …"""

    data: Categorical
    gen: Categorical


@dataclass(frozen=True)
class ContinuousPair:
    """p_data and p_g as densities on the real line."""

    data: Continuous
    gen: Continuous


def typed_pair(data: AnyDistribution, gen: AnyDistribution) -> CategoricalPair | ContinuousPair:
    """Both distributions as densities with respect to one measure; InputError (naming gen) when there is none."""
    if isinstance(data, Categorical) and isinstance(gen, Categorical):
        return CategoricalPair(data, gen)
    if not isinstance(data, Categorical) and not isinstance(gen, Categorical):
        return ContinuousPair(data, gen)

    def kind(distribution: AnyDistribution) -> str:
        if isinstance(distribution, Categorical):
            return "discrete (a probability mass function)"
        return "continuous (a density)"

    raise InputError(
        f"{gen} is {kind(gen)} but {mention('data')} {data} is {kind(data)}: there is no common dominating measure, "
        "so D* = p_data/(p_data + p_g) is not defined; give both as categorical, or both continuous",
        "gen",
    )

# --------------------------------------------------------------------------- pointwise quantities


def pair_values(data: AnyDistribution, gen: AnyDistribution, x) -> PairValues:
    """Both log-densities, h = log p_data − log p_g and where D* is defined, at float points x.

    h comes from :class:`dgm_cli.distributions.DensityPair`: term against term, so it is finite wherever it is
    mathematically (h = 2 − 2x for N(0, 1) against N(2, 1) at x = 1e300, where both log-densities are beyond
    float64), never a difference of two rounded log-densities.
    """
    return density_pair(data, gen).evaluate(x)


def optimal_discriminator(data: AnyDistribution, gen: AnyDistribution, x) -> tuple[np.ndarray, np.ndarray]:
    """D*(x) = σ(log p_data(x) − log p_g(x)) and the mask where it is defined (p_data + p_g > 0).

    The sigmoid of the log-ratio is right where both densities underflow (far tails), where the ratio
    p_data/(p_data + p_g) would be 0/0.
    """
    values = pair_values(data, gen, x)
    return sigmoid(values.log_ratio), values.defined


def weighted(log_density: np.ndarray, value: np.ndarray) -> np.ndarray:
    """p·value with the convention 0·(anything) = 0 where p = 0, or rounds to 0 (log p = −∞, or below −745)."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        density = np.exp(log_density)
        return np.where(density > 0, density * value, 0.0)


def loss_integrand_at_optimum(lp: np.ndarray, lq: np.ndarray, h: np.ndarray) -> np.ndarray:
    """p_data·(−log D*) + p_g·(−log(1 − D*)), with log D* = log σ(h), log(1 − D*) = log σ(−h): never −∞ by rounding."""
    return weighted(lp, -log_sigmoid(h)) + weighted(lq, -log_sigmoid(-h))


def bernoulli_divergence_from_half(h: np.ndarray) -> np.ndarray:
    """κ(h) = KL(Bernoulli(D*) ‖ Bernoulli(½)) = log 2 − H(D*), D* = σ(h), H the binary entropy in nats: in [0, log 2].

    For |h| ≤ 1, with t = tanh(h/2) = 2D* − 1: κ = ½(t·h + log(1 − t²)), two terms of the order of h² that do not
    cancel (κ ≈ h²/8), where log 2 − H would lose everything to the cancellation of log 2. For |h| > 1:
    κ = log 2 + D* log D* + (1 − D*) log(1 − D*), whose terms are below log 2 and 0·log 0 = 0. The result is
    ≥ 0 in exact arithmetic; the final max(·, 0) only guards the last rounding of a value of order ε·h².
    """
    h = np.asarray(h, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore", under="ignore", divide="ignore"):
        t = np.tanh(h / 2)
        near = 0.5 * (t * h + np.log1p(-t * t))
        d, one_minus_d = sigmoid(h), sigmoid(-h)
        far = (
            LOG2
            + np.where(d > 0, d * log_sigmoid(h), 0.0)
            + np.where(one_minus_d > 0, one_minus_d * log_sigmoid(-h), 0.0)
        )
        return np.maximum(np.where(np.abs(h) <= 1, near, far), 0.0)


def jsd_integrand(lp: np.ndarray, lq: np.ndarray, h: np.ndarray) -> np.ndarray:
    """½ p log(p/m) + ½ q log(q/m) = m·κ(h), m = (p + q)/2: with p = 2m·D*, q = 2m·(1 − D*), the two terms combine
    into m·(log 2 − H(D*)), nonnegative at every point, so that the integral of two nearly equal densities is a
    small positive number and not a difference of two O(1) numbers."""
    with np.errstate(invalid="ignore"):
        log_m = np.logaddexp(lp, lq) - LOG2
    return weighted(log_m, bernoulli_divergence_from_half(h))


# --------------------------------------------------------------------------- the pieces


def _thinned(knots: np.ndarray, fixed: np.ndarray, limit: int) -> np.ndarray:
    """The indices of the knots :func:`thin_knots` keeps."""
    kept, fixed = np.arange(len(knots)), fixed.copy()
    while len(kept) > limit:
        merged = np.full(len(kept), np.inf)
        merged[1:-1] = knots[kept[2:]] - knots[kept[:-2]]
        merged[fixed] = np.inf
        drop = int(np.argmin(merged))
        if not np.isfinite(merged[drop]):
            break
        kept, fixed = np.delete(kept, drop), np.delete(fixed, drop)
    return kept


def thin_knots(knots: np.ndarray, fixed: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` knots: repeatedly drop the knot (not a fixed one) whose two pieces merge into the narrowest.

    Many overlapping mixture components give hundreds of landmarks, most of them inside other components' bulk;
    the narrowest merged pieces are where the knots are densest, so resolution survives where it is sparse.
    """
    return knots[_thinned(knots, fixed, limit)]


@dataclass(frozen=True)
class Pieces:
    """The quadrature pieces [knots[i], knots[i+1]], each integrated in a local coordinate u = x − anchor[i].

    The anchor is the piece's finite end nearest −∞ (its left knot, or its right one for (−∞, knot]), an exact
    number; ``offsets`` holds anchor[i] − location of term c, rounded once (see DensityPair). Near a mode at
    μ = 1e9 with σ = 1, x itself carries only 1.2e-7 of resolution and tanh-sinh cannot converge on an integrand
    that rounding makes rough; u has full resolution.
    """

    knots: np.ndarray  # floats, ±∞ at the ends of an unbounded support
    low: np.ndarray  # the pieces in u
    high: np.ndarray
    anchors: np.ndarray  # each anchor as a float, for smooth functions of x itself
    offsets: Offsets
    index: np.ndarray  # 0, 1, …, as floats: tanh-sinh's argument that names the piece

    def values(self, data: AnyDistribution, gen: AnyDistribution, u: np.ndarray, piece: np.ndarray) -> PairValues:
        return density_pair(data, gen).evaluate(u, rows=piece, offsets=self.offsets)


@lru_cache(maxsize=16)
def quadrature_pieces(data: Continuous, gen: Continuous) -> Pieces:
    """Pieces between both densities' landmarks (kinks, μ + kσ, exact), closed by ±∞ when the support is unbounded.

    Kinks (uniform ends, Laplace modes) are always knots, so every piece has a smooth integrand; the other
    landmarks are thinned to at most MAX_KNOTS. Every landmark lies in its own distribution's support, so in
    the union of both.
    """
    kinks = {*data.kinks(), *gen.kinks()}
    exact = sorted({*data.landmarks(), *gen.landmarks(), *kinks})
    floats = np.array([float(k) for k in exact])
    exact = [exact[i] for i in _thinned(floats, np.array([k in kinks for k in exact]), MAX_KNOTS)]
    low = min(data.support()[0], gen.support()[0])
    high = max(data.support()[1], gen.support()[1])
    ends: list = ([-math.inf] if low == -math.inf else []) + exact + ([math.inf] if high == math.inf else [])
    anchors, lows, highs = [], [], []
    for left, right in zip(ends[:-1], ends[1:]):
        if left == -math.inf:
            anchors.append(right)
            lows.append(-math.inf)
            highs.append(0.0)
        else:
            anchors.append(left)
            lows.append(0.0)
            highs.append(math.inf if right == math.inf else float(right - left))
    pieces = Pieces(
        knots=np.array([float(k) for k in ends]),
        low=np.array(lows),
        high=np.array(highs),
        anchors=np.array([float(a) for a in anchors]),
        offsets=density_pair(data, gen).offsets(anchors),
        index=np.arange(len(anchors), dtype=np.float64),
    )
    for array in (pieces.knots, pieces.low, pieces.high, pieces.anchors, pieces.offsets.lower, pieces.offsets.upper):
        array.flags.writeable = False  # cached: shared between callers
    return pieces


def quadrature_knots(data: Continuous, gen: Continuous) -> np.ndarray:
    """The pieces' breakpoints as floats, ±∞ at the ends of an unbounded support."""
    return quadrature_pieces(data, gen).knots


def finite_span(data: Continuous, gen: Continuous) -> tuple[float, float]:
    """The first and the last finite knot: the span where both densities' landmarks lie."""
    finite = [k for k in quadrature_knots(data, gen) if math.isfinite(k)]
    return min(finite), max(finite)


@dataclass(frozen=True)
class Integral:
    """An integral over the pieces: a float, or an array of them for an integrand vectorised over arguments."""

    value: np.ndarray | float
    error: np.ndarray | float  # the sum of tanh-sinh's error estimates over the pieces
    converged: bool


def integrate(integrand, pieces: Pieces, args: tuple = (), atol: float = QUAD_ATOL) -> Integral:
    """∫ integrand over the union of the pieces, by tanh-sinh on each piece in its local coordinate.

    ``integrand(u, piece, *args)`` gets the local coordinates and the index of their piece (as floats, broadcast
    against u); vectorised over pieces and args.
    """
    values, errors, converged = tanh_sinh(
        integrand, pieces.low, pieces.high, args=(pieces.index, *args), rtol=QUAD_RTOL, atol=atol
    )
    return Integral(
        value=np.sum(values, axis=-1),
        error=np.sum(errors, axis=-1),
        converged=bool(np.all(converged)),
    )


def integrate_loss_at_optimum(data: Continuous, gen: Continuous) -> Integral:
    """L(D*) = −∫ p_data log D* − ∫ p_g log(1 − D*), by quadrature in log space."""
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece):
        values = pieces.values(data, gen, u, piece)
        return loss_integrand_at_optimum(values.log_p_data, values.log_p_gen, values.log_ratio)

    return integrate(integrand, pieces)


def integrate_jsd(data: Continuous, gen: Continuous) -> Integral:
    """JSD = ½ KL(p_data‖m) + ½ KL(p_g‖m) = ∫ m·κ(h), m = (p_data + p_g)/2, by its own quadrature."""
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece):
        values = pieces.values(data, gen, u, piece)
        return jsd_integrand(values.log_p_data, values.log_p_gen, values.log_ratio)

    first = integrate(integrand, pieces)
    if 0 < float(first.value) < SMALL_JSD:
        # The absolute tolerance would stop short of relative accuracy (JSD = 2.5e-19 for σ = 1 against
        # σ = 1.000000001): again, with one scaled to the value found.
        return integrate(integrand, pieces, atol=QUAD_RTOL * float(first.value) / 10)
    return first


def integrate_density(data: Continuous, gen: Continuous, side: str) -> Integral:
    """∫ p over the pieces, for p = p_data (side "data") or p_g."""
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece):
        values = pieces.values(data, gen, u, piece)
        with np.errstate(under="ignore"):
            return np.exp(values.log_p_data if side == "data" else values.log_p_gen)

    return integrate(integrand, pieces)
