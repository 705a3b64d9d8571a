"""The optimal discriminator of a GAN (Problem 3).

For a fixed generator, L(D) = −E_data[log D] − E_g[log(1 − D)] is minimised by
D*(x) = p_data(x) / (p_data(x) + p_g(x)), and L(D*) = log 4 − 2·JSD(p_data‖p_g).
The proof is derived with SymPy; the numbers for two given distributions are
computed in log space, D* = σ(log p_data − log p_g), and checked by exact
arithmetic, quadrature, random perturbations, a fitted discriminator and Monte
Carlo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy

from dgm_cli.cache import disk_cached
from dgm_cli.derivation import Approx, Check, Derivation, Math, Notice, Prose, Step, Table, m
from dgm_cli.distributions import (
    Categorical,
    Distribution,
    Laplace,
    Mixture,
    Normal,
    Offsets,
    PairValues,
    density_pair,
    describe,
    format_fraction,
    short_number,
)
from dgm_cli.errors import InputError
from dgm_cli.solvers.numerics import log_sigmoid, logsumexp, sigmoid
from dgm_cli.solvers.symbolic import Label, equation

COMMAND = "gan-optimal"
LOG2 = math.log(2.0)
LOG4 = math.log(4.0)
EPS = float(np.finfo(np.float64).eps)

MAX_POINTS = 100  # --x values; each gets an exact SymPy evaluation
MAX_DEFAULT_CATEGORIES = 100  # categories listed when --x is omitted
SHOWN_COMPONENTS = 6  # mixtures with more components (both sides together) are not written out in SymPy
EXACT_CATEGORY_LIMIT = 64  # above this many categories the closed forms get too long to show; floats only

# Quadrature: tanh-sinh on each piece between the landmarks of both densities. The integrands are
# smooth on every piece, where tanh-sinh converges to ~1e-15; these ask for that.
MAX_KNOTS = 64  # after thinning: enough for a few separated components, and bounded work for 100 overlapping ones
QUAD_RTOL = 1e-13
QUAD_ATOL = 1e-16
SMALL_JSD = 1e-3  # below this, JSD's quadrature is repeated with an absolute tolerance scaled to its value
# |L(D*) − (log 4 − 2 JSD)|: 10× the quadratures' own error estimates, but at least 1e-11, the
# accumulated rounding of summing O(10) pieces of O(1) integrals.
IDENTITY_FLOOR = 1e-11
NORMALISATION_FLOOR = 1e-11  # |∫p − 1|, same reasoning
# D* in float64 against the exact ratio: h carries a rounding error δ of a few ulps of the log-densities, and
# D* = σ(h) moves by at most δ·σ'(|h| − δ); the bound is 1e-14 plus that (see _d_star_bound).
D_STAR_FLOOR = 1e-14
EXACT_DIGITS = 30

# Perturbations D = (1 − t)·D* + t·u = D* + t·(u − D*), u a random smooth discriminator: |D − D*| < t.
PERTURBATION_AMPLITUDES = (0.3, 0.1, 0.03)
PERTURBATIONS_PER_AMPLITUDE = 4
PERTURBATION_MODES = 4
# The smallest increase must exceed the quadrature error by this factor to count as positive.
PERTURBATION_MARGIN = 100.0

# The fitted discriminator: logistic regression with a Chebyshev polynomial logit on each piece.
# Degree 2 contains the true logit for normal, Laplace and uniform densities (each log-density is a
# polynomial of degree ≤ 2 between kinks); for mixtures the logit is log-sum-exp, approximated.
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
# Mixtures: a piece is halved (at most FIT_MAX_HALVINGS times, FIT_MAX_SEGMENTS in all) while the last two
# Chebyshev coefficients of its fitted logit can move D = σ(f) by more than FIT_TAIL: a log-sum-exp that turns
# sharply within a piece (a narrow component's tail meeting a wide one) is not resolved by one polynomial of
# degree 10 there. The criterion reads the fit alone, never D*, so the check against D* stays independent.
FIT_TAIL = 1e-4
FIT_MAX_HALVINGS = 6
FIT_MAX_SEGMENTS = 512
FIT_GRID_PER_PIECE = 64
# Exact family: Newton's method converges to the optimiser's gradient tolerance; a logit that runs to
# ±∞ (one density 0 on a piece) stops where σ is within ~gtol of 0 or 1.
FIT_TOLERANCE_EXACT = 1e-6
# Mixtures: the error of a degree-10 polynomial approximation of a log-sum-exp on each piece.
FIT_TOLERANCE_MIXTURE = 1e-3

MC_Z_LIMIT = 5.0  # a Monte Carlo estimate this many standard errors away fails
MC_CHUNK = 500_000  # samples drawn and evaluated at a time: bounded memory for up to 1e8 samples

L_LABEL = Label("L(φ; θ)", r"\mathcal{L}(\phi; \theta)")
L_OPT = Label("L(D*)", r"\mathcal{L}(D^*)")
D_STAR = Label("D*", "D^*")
JSD = Label("JSD(p_data ‖ p_g)", r"\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)")

# Inline mathematics for the prose (LaTeX, Unicode).
P_DATA = m(r"p_{\mathrm{data}}", "p_data")
P_G = m("p_g", "p_g")
X = m("x", "x")
D = m("D", "D")
A = m("a", "a")
B = m("b", "b")
T = m("t", "t")
D_STAR_M = m("D^*", "D*")
D_STAR_X = m("D^*(x)", "D*(x)")
JSD_M = m(r"\mathrm{JSD}", "JSD")
L_M = m(r"\mathcal{L}", "L")
L_OPT_M = m(r"\mathcal{L}(D^*)", "L(D*)")
LOG4_MINUS_2JSD = m(r"\log 4 - 2\,\mathrm{JSD}", "log 4 − 2·JSD")
IDENTITY = m(r"\mathcal{L}(D^*) = \log 4 - 2\,\mathrm{JSD}", "L(D*) = log 4 − 2·JSD")
D_STAR_RATIO = m(
    r"D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}", "D*(x) = p_data(x)/(p_data(x) + p_g(x))"
)
EXACT_RATIO = m(r"\frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}", "p_data(x)/(p_data(x) + p_g(x))")
SIGMA_LOG_RATIO = m(r"\sigma(\log p_{\mathrm{data}}(x) - \log p_g(x))", "σ(log p_data(x) − log p_g(x))")
UNIT_INTERVAL = m("(0, 1)", "(0, 1)")


def _both_named(data: Distribution, gen: Distribution) -> Prose:
    """"p_data = … and p_g = …" in a sentence; "the two distributions given" when either is too long to write."""
    first, second = describe(data), describe(gen)
    if all(len(p) == 1 and isinstance(p[0], Math) for p in (first, second)):
        return (*_equals(P_DATA, first), " and ", *_equals(P_G, second))
    return ("the two distributions given",)


def _equals(name: Math, value: Prose) -> Prose:
    """``name = value`` for a distribution given as prose (inline mathematics, or words when it is long)."""
    if len(value) == 1 and isinstance(value[0], Math):
        return (m(f"{name.latex} = {value[0].latex}", f"{name.text} = {value[0].text}"),)
    return (name, " is ", *value)


# --------------------------------------------------------------------------- pointwise quantities


def pair_values(data: Distribution, gen: Distribution, x) -> PairValues:
    """Both log-densities, h = log p_data − log p_g and where D* is defined, at float points x.

    h comes from :class:`dgm_cli.distributions.DensityPair`: term against term, so it is finite wherever it is
    mathematically (h = 2 − 2x for N(0, 1) against N(2, 1) at x = 1e300, where both log-densities are beyond
    float64), never a difference of two rounded log-densities.
    """
    return density_pair(data, gen).evaluate(x)


def optimal_discriminator(data: Distribution, gen: Distribution, x) -> tuple[np.ndarray, np.ndarray]:
    """D*(x) = σ(log p_data(x) − log p_g(x)) and the mask where it is defined (p_data + p_g > 0).

    The sigmoid of the log-ratio is right where both densities underflow (far tails), where the ratio
    p_data/(p_data + p_g) would be 0/0.
    """
    values = pair_values(data, gen, x)
    return sigmoid(values.log_ratio), values.defined


def discriminator_records(data: Distribution, gen: Distribution, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each point (rows of a one-column array): both log-densities and D*.

    Where both densities are 0, D* is undefined (every D is optimal there): the record says ``defined`` is
    false (a boolean array) and carries D = 1/2, the choice that is optimal whatever the two densities do nearby.
    A log-density below float64's range (−5e319 at x = 1e160 for N(0, 1)) is −∞ in its column, while D* is still
    computed from the finite log-ratio.
    """
    x = points[:, 0]
    values = pair_values(data, gen, x)
    return {
        "x": x,
        "log_p_data": values.log_p_data,
        "log_p_gen": values.log_p_gen,
        "d_star": np.where(values.defined, sigmoid(values.log_ratio), 0.5),
        "defined": values.defined,
    }


def _weighted(log_density: np.ndarray, value: np.ndarray) -> np.ndarray:
    """p·value with the convention 0·(anything) = 0 where p = 0, or rounds to 0 (log p = −∞, or below −745)."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        density = np.exp(log_density)
        return np.where(density > 0, density * value, 0.0)


def loss_integrand_at_optimum(lp: np.ndarray, lq: np.ndarray, h: np.ndarray) -> np.ndarray:
    """p_data·(−log D*) + p_g·(−log(1 − D*)), with log D* = log σ(h), log(1 − D*) = log σ(−h): never −∞ by rounding."""
    return _weighted(lp, -log_sigmoid(h)) + _weighted(lq, -log_sigmoid(-h))


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
    return _weighted(log_m, bernoulli_divergence_from_half(h))


# --------------------------------------------------------------------------- quadrature


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

    def values(self, data: Distribution, gen: Distribution, u: np.ndarray, piece: np.ndarray) -> PairValues:
        return density_pair(data, gen).evaluate(u, rows=piece, offsets=self.offsets)


@lru_cache(maxsize=16)
def quadrature_pieces(data: Distribution, gen: Distribution) -> Pieces:
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


def quadrature_knots(data: Distribution, gen: Distribution) -> np.ndarray:
    """The pieces' breakpoints as floats, ±∞ at the ends of an unbounded support."""
    return quadrature_pieces(data, gen).knots


@dataclass(frozen=True)
class Integral:
    value: float
    error: float  # the sum of tanh-sinh's error estimates over the pieces
    converged: bool


# --------------------------------------------------------------------------- tanh-sinh, in NumPy
#
# SciPy's scipy.integrate.tanhsinh, restated in NumPy: importing scipy.integrate loads scipy.special,
# scipy.optimize, scipy.sparse.linalg and scipy.linalg, about 0.4 s of CPU (as much as SymPy and NumPy together),
# for a rule of a few array operations per level. The restatement follows SciPy 1.17's algorithm step for step
# (Bailey, Jeyabalan and Li, "A comparison of three high-precision quadrature schemes", 2005, §4-5): the same
# abscissae and weights, the same levels, sums and error estimate, in the same order of floating-point operations,
# so that every integral and error estimate is the float SciPy gave (tests/test_gan_optimal_quadrature.py compares
# them bit for bit, and against mpmath).
#
# On [a, b] the rule is ∫ f = Σ_j h·w_j·f(x_j), x_j = (a + b)/2 + (b − a)/2·tanh(π/2·sinh(jh)), over j = −N…N; level
# k halves the step, h = h0/2^k, and evaluates f at the new (odd) abscissae only. An end at ±∞ is mapped to a finite
# one first: x = a + 1/t − 1 for t ∈ (0, 1] (dx = −dt/t²), and x ↦ −x for a left end at −∞.
TANH_SINH_MIN_LEVEL = 2  # the first evaluation takes every abscissa of levels 0, 1 and 2: 66 points a piece
TANH_SINH_MAX_LEVEL = 10  # SciPy's default; a piece not converged at level 10 is reported as not converged
TANH_SINH_BASE_STEPS = 8  # abscissae on each side at level 0: h0 = t_max/8


def _tanh_sinh_base_step() -> float:
    """h0 = t_max/8, t_max where 1 − tanh(π/2·sinh t), the complement of the abscissa, reaches 4× the smallest
    normal float: the last abscissa still distinct from the end of the interval."""
    smallest = 4 * np.finfo(np.float64).smallest_normal
    return np.float64(math.asinh(math.log(2 / smallest - 1) / math.pi) / TANH_SINH_BASE_STEPS)


@lru_cache(maxsize=1)
def _tanh_sinh_levels() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each level k = 0…MAX: the complements 1 − x_j of the abscissae on [−1, 1] and their weights w_j.

    Level 0 holds j = 0…8 (j = 0 counted on both sides with half weight), level k ≥ 1 the odd j up to 8·2^k:
    w_j = (π/2)cosh(jh) / cosh²((π/2)sinh(jh)) and 1 − x_j = 1/(e^u cosh u), u = (π/2)sinh(jh), with h = h0/2^k.
    """
    h0 = _tanh_sinh_base_step()
    levels = []
    with np.errstate(over="ignore", under="ignore"):  # the weights at the far ends overflow to 1/∞ = 0
        for k in range(TANH_SINH_MAX_LEVEL + 1):
            h = h0 / 2**k
            last = TANH_SINH_BASE_STEPS * 2**k
            jh = (np.arange(last + 1) if k == 0 else np.arange(1, last + 1, 2)) * h
            u1 = math.pi / 2 * np.cosh(jh)
            u2 = math.pi / 2 * np.sinh(jh)
            weights = u1 / np.cosh(u2) ** 2
            complements = 1 / (np.exp(u2) * np.cosh(u2))
            if k == 0:
                weights[0] = weights[0] / 2
            for array in (complements, weights):
                array.flags.writeable = False
            levels.append((complements, weights))
    return tuple(levels)


@dataclass
class _TanhSinhWork:
    """The state of the pieces still being refined, one row each (rows are dropped as pieces converge)."""

    rows: np.ndarray  # index of each row in the flattened output
    a: np.ndarray  # (rows, 1): the finite interval the rule runs on; [0, 1] for a mapped infinite end
    b: np.ndarray
    a0: np.ndarray  # (rows, 1): the finite end of an interval with an infinite one
    right_infinite: np.ndarray  # (rows,): x = a0 + 1/t − 1 (also for a left end at −∞, after x ↦ −x)
    left_infinite: np.ndarray  # (rows,): x ↦ −x
    args: list  # each (rows, 1)
    estimate: np.ndarray  # S_k, the current level's sum
    previous: np.ndarray  # S_{k−1}
    before_previous: np.ndarray  # S_{k−2}
    error: np.ndarray
    # The outermost abscissa used so far on each side, its integrand value and weight: the last term of the sum
    # bounds the truncation error (Bailey et al.'s d4), and a non-finite value is replaced by the outermost one.
    right_x: np.ndarray
    right_f: np.ndarray
    right_w: np.ndarray
    left_x: np.ndarray
    left_f: np.ndarray
    left_w: np.ndarray

    def keep(self, mask: np.ndarray) -> None:
        for name, value in vars(self).items():
            setattr(self, name, [arg[mask] for arg in value] if name == "args" else value[mask])


def tanh_sinh(integrand, low, high, args: tuple = (), rtol: float = QUAD_RTOL, atol: float = QUAD_ATOL):
    """∫_low^high integrand(x, *args) dx elementwise (low < high or equal, either end may be infinite, not both).

    ``integrand`` gets x of shape (rows, points) and each argument as (rows, 1); low, high and args broadcast to
    the output's shape. A row stops at the first level from 3 on where Bailey's error estimate is below
    max(rtol·|S|, atol) (converged), or where its sum is not finite, or after level 10 (not converged).
    Returns (integrals, error estimates, converged), each of the broadcast shape.
    """
    shape = np.broadcast_shapes(np.shape(low), np.shape(high), *(np.shape(arg) for arg in args))
    a = np.broadcast_to(np.asarray(low, dtype=np.float64), shape).ravel().copy()
    b = np.broadcast_to(np.asarray(high, dtype=np.float64), shape).ravel().copy()
    if np.any(b < a) or np.any(np.isinf(a) & np.isinf(b)):
        raise ValueError("tanh_sinh integrates over low <= high with at most one infinite end")
    flat_args = [np.broadcast_to(np.asarray(arg), shape).ravel().copy()[:, None] for arg in args]
    size = a.size
    integrals, errors = np.zeros(size), np.zeros(size)
    converged = np.zeros(size, dtype=bool)
    empty = a == b  # an empty interval integrates to 0, converged, before any evaluation
    converged[empty] = True
    a[empty], b[empty] = 1.0, 1.0
    left_infinite = np.isinf(a)
    a[left_infinite], b[left_infinite] = -b[left_infinite], -a[left_infinite]
    right_infinite = np.isinf(b)
    a0 = a.copy()
    a[right_infinite], b[right_infinite] = 0.0, 1.0
    running = ~empty

    def column(values: np.ndarray) -> np.ndarray:
        return values[running][:, None]

    count = int(np.count_nonzero(running))
    work = _TanhSinhWork(
        rows=np.flatnonzero(running), a=column(a), b=column(b), a0=column(a0),
        right_infinite=right_infinite[running], left_infinite=left_infinite[running],
        args=[arg[running] for arg in flat_args],
        estimate=np.zeros(count), previous=np.zeros(count), before_previous=np.zeros(count), error=np.zeros(count),
        right_x=np.full(count, -np.inf), right_f=np.full(count, np.nan), right_w=np.zeros(count),
        left_x=np.full(count, np.inf), left_f=np.full(count, np.nan), left_w=np.zeros(count),
    )  # fmt: skip
    h0 = _tanh_sinh_base_step()
    levels = _tanh_sinh_levels()
    eps = np.finfo(np.float64).eps
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for level in range(TANH_SINH_MIN_LEVEL, TANH_SINH_MAX_LEVEL + 1):
            if work.rows.size == 0:
                break
            first = level == TANH_SINH_MIN_LEVEL
            h = h0 / 2**level
            used = levels[: level + 1] if first else levels[level : level + 1]
            complements = np.concatenate([c for c, _ in used])
            weights = np.concatenate([w for _, w in used])
            # The abscissae on [a, b], right half (near b) then left half (near a); a point that rounds onto an end
            # keeps weight 0, as the sum runs over the open interval.
            alpha = (work.b - work.a) / 2
            t = np.concatenate((-alpha * complements + work.b, alpha * complements + work.a), axis=-1)
            w = weights * alpha
            w = np.concatenate((w, w), axis=-1)
            w[(t <= work.a) | (t >= work.b)] = 0
            x = t.copy()
            x[work.right_infinite] = 1 / x[work.right_infinite] - 1 + work.a0[work.right_infinite]
            x[work.left_infinite] *= -1
            f = np.asarray(integrand(x, *work.args), dtype=np.float64)
            f[work.right_infinite] *= t[work.right_infinite] ** -2.0
            terms = _euler_maclaurin_terms(t, f, w, work)
            estimate = np.sum(terms, axis=-1) * h
            if first:
                # S_{k−1} and S_{k−2} from the same terms: levels 0…k−1 and 0…k−2, with steps 2h and 4h.
                half = terms.shape[-1] // 2
                for shift, names in ((1, "previous"), (2, "before_previous")):
                    n = sum(len(c) for c, _ in levels[: level + 1 - shift])
                    coarse = np.reshape(np.reshape(terms, (-1, 2, half))[:, :, :n], (-1, 2 * n))
                    setattr(work, names, np.sum(coarse, axis=-1) * (2**shift * h))
            else:
                estimate = work.previous / 2 + estimate  # the new terms, with the previous level's sum at step 2h
            work.estimate = estimate
            work.error = _tanh_sinh_error(terms, work, eps)
            done = (work.error / np.abs(estimate) < rtol) | (work.error < atol)
            invalid = ~np.isfinite(estimate) & ~done
            stop = done | invalid
            integrals[work.rows[stop]] = estimate[stop]
            errors[work.rows[stop]] = work.error[stop]
            converged[work.rows[stop]] = done[stop]
            work.keep(~stop)
            work.before_previous, work.previous = work.previous, work.estimate
    integrals[work.rows] = work.estimate  # not converged by the last level: the last sums and estimates
    errors[work.rows] = work.error
    return integrals.reshape(shape), errors.reshape(shape), converged.reshape(shape)


def _euler_maclaurin_terms(t: np.ndarray, f: np.ndarray, w: np.ndarray, work: _TanhSinhWork) -> np.ndarray:
    """The terms w_j·f(x_j) of the sum; updates the outermost abscissa of each side and replaces a non-finite value
    (or one at weight 0) by the integrand at that outermost abscissa, as Bailey et al. suggest for singular ends."""
    half = t.shape[-1] // 2
    rows = np.arange(t.shape[0])
    for side, (x_name, f_name, w_name) in enumerate((("right_x", "right_f", "right_w"), ("left_x", "left_f", "left_w"))):
        part = slice(0, half) if side == 0 else slice(half, 2 * half)
        x_side, f_side, w_side = t[:, part].copy(), f[:, part], w[:, part]
        unusable = ~np.isfinite(f_side) | (w_side == 0)
        x_side[unusable] = -np.inf if side == 0 else np.inf
        outermost = np.argmax(x_side, axis=-1) if side == 0 else np.argmin(x_side, axis=-1)
        x_new = x_side[rows, outermost]
        further = x_new > getattr(work, x_name) if side == 0 else x_new < getattr(work, x_name)
        for name, values in ((x_name, x_new), (f_name, f_side[rows, outermost]), (w_name, w_side[rows, outermost])):
            getattr(work, name)[further] = values[further]
        f_side[unusable] = np.broadcast_to(getattr(work, f_name)[:, None], f_side.shape)[unusable]
    return f * w


def _tanh_sinh_error(terms: np.ndarray, work: _TanhSinhWork, eps: float) -> np.ndarray:
    """Bailey et al.'s error estimate of S_k: with d1 = |S_k − S_{k−1}|, d2 = |S_k − S_{k−2}|, d3 = ε·max|w_j f_j|
    and d4 the outermost term, max(d1^(log d1/log d2), d1², d3, d4), clipped to [ε|S_k|, d1]."""
    estimate = work.estimate
    d1 = np.abs(estimate - work.previous)
    d2 = np.abs(estimate - work.before_previous)
    d3 = eps * np.max(np.abs(terms), axis=-1)
    d4 = np.maximum(np.abs(work.left_f * work.left_w), np.abs(work.right_f * work.right_w))
    d5 = eps * np.abs(estimate)
    rate = np.where(d1 > 0, d1 ** (np.log(d1) / np.log(d2)), 0)
    return np.clip(np.max(np.stack([rate, d1**2, d3, d4]), axis=0), d5, d1)


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


def integrate_loss_at_optimum(data: Distribution, gen: Distribution) -> Integral:
    """L(D*) = −∫ p_data log D* − ∫ p_g log(1 − D*), by quadrature in log space."""
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece):
        values = pieces.values(data, gen, u, piece)
        return loss_integrand_at_optimum(values.log_p_data, values.log_p_gen, values.log_ratio)

    return integrate(integrand, pieces)


def integrate_jsd(data: Distribution, gen: Distribution) -> Integral:
    """JSD = ½ KL(p_data‖m) + ½ KL(p_g‖m) = ∫ m·κ(h), m = (p_data + p_g)/2, by its own quadrature."""
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece):
        values = pieces.values(data, gen, u, piece)
        return jsd_integrand(values.log_p_data, values.log_p_gen, values.log_ratio)

    first = integrate(integrand, pieces)
    if 0 < first.value < SMALL_JSD:
        # The absolute tolerance would stop short of relative accuracy (JSD = 2.5e-19 for σ = 1 against
        # σ = 1.000000001): again, with one scaled to the value found.
        return integrate(integrand, pieces, atol=QUAD_RTOL * float(first.value) / 10)
    return first


def integrate_density(data: Distribution, gen: Distribution, side: str) -> Integral:
    """∫ p over the pieces, for p = p_data (side "data") or p_g."""
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece):
        values = pieces.values(data, gen, u, piece)
        with np.errstate(under="ignore"):
            return np.exp(values.log_p_data if side == "data" else values.log_p_gen)

    return integrate(integrand, pieces)


# --------------------------------------------------------------------------- discrete sums


def category_indices(data: Categorical, gen: Categorical) -> np.ndarray:
    return np.arange(max(data.size, gen.size), dtype=np.float64)


@dataclass(frozen=True)
class ExactDiscrete:
    """Closed forms for two categorical distributions: D*, L(D*) and JSD as SymPy expressions in logs of rationals."""

    d_star: list  # a Rational per category, None where p_data = p_g = 0
    loss_at_optimum: sympy.Expr
    jsd: sympy.Expr
    identity_holds: bool  # SymPy expands L(D*) − (log 4 − 2 JSD) to 0
    loss_value: float  # the closed forms' values, from the exact probabilities (see exact_discrete_values)
    jsd_value: float


EXACT_WORKING_DIGITS = 40  # mpmath's working precision for the values of the closed forms: 30 digits and a margin


def _bernoulli_divergence_exact(t: Fraction):
    """κ = ½((1 + t) log(1 + t) + (1 − t) log(1 − t)) for an exact t = 2D* − 1 ∈ [−1, 1], in mpmath.

    For |t| ≤ ½ as Σ t^(2k)/(2k(2k − 1)), k ≥ 1: positive terms, so t = 1e-300 gives 5e-601 to full precision
    where the closed form would cancel 600 digits away.
    """
    import mpmath

    x = mpmath.mpf(t.numerator) / t.denominator
    if abs(t) <= Fraction(1, 2):
        square, power, total, k = x * x, x * x, mpmath.mpf(0), 1
        while True:
            term = power / (2 * k * (2 * k - 1))
            total += term
            if term <= total * mpmath.mpf(10) ** (-EXACT_WORKING_DIGITS - 5):
                return total
            power *= square
            k += 1
    # 1 ± t from the exact t: t = −1 + 2e-300 would leave 1 + t = 0 at 40 digits.
    total = mpmath.mpf(0)
    for end in (1 + t, 1 - t):
        if end > 0:
            value = mpmath.mpf(end.numerator) / end.denominator
            total += value * mpmath.log(value)
    return total / 2


def _entropy_term_exact(a: Fraction):
    """−a log a for an exact a ∈ [0, 1] (0 at a = 0), with log1p near a = 1, in mpmath: never negative."""
    import mpmath

    if a == 0:
        return mpmath.mpf(0)
    x = mpmath.mpf(a.numerator) / a.denominator
    rest = 1 - a
    logarithm = mpmath.log1p(-mpmath.mpf(rest.numerator) / rest.denominator) if rest < Fraction(1, 2) else mpmath.log(x)
    return -x * logarithm


def exact_discrete_values(data: Categorical, gen: Categorical) -> tuple[float, float]:
    """L(D*) = Σ 2m_k·H(D*_k) and JSD = Σ m_k·κ_k from the exact probabilities, m_k = (p_k + q_k)/2: sums of
    nonnegative terms, evaluated by mpmath at EXACT_WORKING_DIGITS digits.

    The closed forms in logs of primes are sums of O(1) terms that cancel: for p_0 = 1e-400 against q_0 = 1e-300
    JSD is 3.5e-301, some 300 digits below its terms, where SymPy's evalf returned 2.8e-163. Written per
    category as a divergence of Bernoulli(D*) from Bernoulli(½), nothing cancels.
    """
    import mpmath

    with mpmath.workdps(EXACT_WORKING_DIGITS):
        loss, jsd = mpmath.mpf(0), mpmath.mpf(0)
        for k in range(max(data.size, gen.size)):
            p = data.probabilities[k] if k < data.size else Fraction(0)
            q = gen.probabilities[k] if k < gen.size else Fraction(0)
            if p + q == 0:
                continue
            mass = mpmath.mpf((p + q).numerator) / (2 * (p + q).denominator)
            d_star = p / (p + q)
            loss += 2 * mass * (_entropy_term_exact(d_star) + _entropy_term_exact(1 - d_star))
            jsd += mass * _bernoulli_divergence_exact(2 * d_star - 1)
        return float(loss), float(jsd)


def log_of_rational(value: sympy.Rational) -> sympy.Expr:
    """log r = Σ e·log(prime) over the factors of r > 0, so that sums of such logs collect by plain addition.

    Trial division only, up to 1e5: a cofactor left over stays as one log, the same one wherever the same number
    appears (no unbounded factoring of user-given 10,000-digit numbers).
    """
    total = sympy.Integer(0)
    for integer, sign in ((value.p, 1), (value.q, -1)):
        factors = sympy.factorint(integer, limit=10**5, use_rho=False, use_pm1=False, use_ecm=False)
        for prime, exponent in factors.items():
            total += sign * exponent * sympy.log(prime)
    return total


def exact_discrete(data: Categorical, gen: Categorical) -> ExactDiscrete:
    """Σ over categories with 0·log 0 = 0: L = −Σ p log(p/(p+q)) − Σ q log(q/(p+q)), JSD = ½Σ p log(2p/(p+q)) + ½Σ q log(2q/(p+q))."""
    loss, jsd, d_star = sympy.Integer(0), sympy.Integer(0), []
    for k in range(max(data.size, gen.size)):
        p, q = data.probability(k), gen.probability(k)
        if p + q == 0:
            d_star.append(None)
            continue
        d_star.append(p / (p + q))
        if p > 0:
            loss -= p * log_of_rational(p / (p + q))
            jsd += p * log_of_rational(2 * p / (p + q)) / 2
        if q > 0:
            loss -= q * log_of_rational(q / (p + q))
            jsd += q * log_of_rational(2 * q / (p + q)) / 2
    loss, jsd = sympy.expand(loss), sympy.expand(jsd)
    # L and JSD were summed separately; log 4 − 2·JSD − L collects to 0 over the prime logs exactly when they agree.
    holds = sympy.expand(loss - (log_of_rational(sympy.Integer(4)) - 2 * jsd)) == 0
    return ExactDiscrete(d_star, loss, jsd, bool(holds), *exact_discrete_values(data, gen))


def float_discrete_sum(values: np.ndarray) -> float:
    return math.fsum(values.tolist())


# --------------------------------------------------------------------------- perturbations


@dataclass(frozen=True)
class Perturbations:
    """D_j = (1 − t_j)·D* + t_j·u_j = D* + t_j·η_j with η_j = u_j − D*, |η_j| < 1, and D_j ∈ (0, 1) without clipping.

    u_j = σ(ψ_j) is a random smooth discriminator: ψ_j(x) = 3·Σ c_jk cos(ω_jk s + φ_jk) / Σ|c_jk|, with
    s = (x − centre)/spread. D_j is as smooth as D*, so quadrature of L(D_j) converges as fast as that of L(D*).
    """

    amplitudes: np.ndarray  # t_j, shape (n,)
    coefficients: np.ndarray  # (n, modes)
    frequencies: np.ndarray
    phases: np.ndarray
    centre: float
    spread: float

    @property
    def count(self) -> int:
        return len(self.amplitudes)

    def logit(self, x: np.ndarray, index: np.ndarray) -> np.ndarray:
        """ψ_index(x), elementwise in x and index, within ±3."""
        j = index.astype(np.int64)
        s = (x - self.centre) / self.spread
        s = np.where(np.isfinite(s), s, 0.0)
        waves = self.coefficients[j] * np.cos(self.frequencies[j] * s[..., None] + self.phases[j])
        return 3.0 * np.sum(waves, axis=-1) / np.sum(np.abs(self.coefficients[j]), axis=-1)

    def log_perturbed(self, h: np.ndarray, x: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log D, log(1 − D)) for D = (1 − t)·σ(h) + t·σ(ψ), each side built from σ(±h) so nothing cancels."""
        t = self.amplitudes[index.astype(np.int64)]
        psi = self.logit(x, index)
        return (
            np.log((1 - t) * sigmoid(h) + t * sigmoid(psi)),
            np.log((1 - t) * sigmoid(-h) + t * sigmoid(-psi)),
        )


def random_perturbations(seed: int, centre: float, spread: float) -> Perturbations:
    rng = np.random.default_rng(seed)
    n = len(PERTURBATION_AMPLITUDES) * PERTURBATIONS_PER_AMPLITUDE
    return Perturbations(
        amplitudes=np.repeat(PERTURBATION_AMPLITUDES, PERTURBATIONS_PER_AMPLITUDE),
        coefficients=rng.standard_normal((n, PERTURBATION_MODES)),
        frequencies=rng.uniform(0.5, 6.0, (n, PERTURBATION_MODES)),
        phases=rng.uniform(0.0, 2 * math.pi, (n, PERTURBATION_MODES)),
        centre=centre,
        spread=spread,
    )


def loss_increase_integrand(
    lp: np.ndarray, lq: np.ndarray, h: np.ndarray, log_d: np.ndarray, log_one_minus_d: np.ndarray
) -> np.ndarray:
    """The integrand of L(D) − L(D*): p_data·(log D* − log D) + p_g·(log(1 − D*) − log(1 − D))."""
    return _weighted(lp, log_sigmoid(h) - log_d) + _weighted(lq, log_sigmoid(-h) - log_one_minus_d)


def _finite_span(data: Distribution, gen: Distribution) -> tuple[float, float]:
    finite = [k for k in quadrature_knots(data, gen) if math.isfinite(k)]
    return min(finite), max(finite)


def perturbation_increases(
    data: Distribution, gen: Distribution, seed: int
) -> tuple[Perturbations, np.ndarray, np.ndarray]:
    """L(D* + t·η) − L(D*) for each random perturbation, and the quadrature error of each."""
    if data.discrete:
        k = category_indices(data, gen)
        centre, spread = float(k.mean()), max(1.0, float(k.max() - k.min()) / 2)
        perturbations = random_perturbations(seed, centre, spread)
        values = pair_values(data, gen, k)
        lp, lq, h = values.log_p_data, values.log_p_gen, values.log_ratio
        increases = []
        for j in range(perturbations.count):
            terms = loss_increase_integrand(lp, lq, h, *perturbations.log_perturbed(h, k, np.full_like(k, j)))
            increases.append(float_discrete_sum(terms))
        increases = np.array(increases)
        # float64 sums of n terms of size ≤ ~40: rounding ≤ n·ε·40
        return perturbations, increases, np.full_like(increases, len(k) * EPS * 40)
    low, high = _finite_span(data, gen)
    perturbations = random_perturbations(seed, (low + high) / 2, max((high - low) / 2, 1e-300))
    pieces = quadrature_pieces(data, gen)

    def integrand(u, piece, index):
        values = pieces.values(data, gen, u, piece)
        # The perturbation varies on the scale of the whole span: x rounded to a float is resolution enough for it.
        x = pieces.anchors[piece.astype(np.int64)] + u
        h = values.log_ratio
        log_d = perturbations.log_perturbed(h, x, index)
        return loss_increase_integrand(values.log_p_data, values.log_p_gen, h, *log_d)

    index = np.arange(perturbations.count, dtype=np.float64)[:, None]
    result = integrate(integrand, pieces, args=(index,))
    return perturbations, np.asarray(result.value), np.asarray(result.error)


# --------------------------------------------------------------------------- the fitted discriminator


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


def _contains_mixture(*distributions: Distribution) -> bool:
    return any(isinstance(d, Mixture) for d in distributions)


@lru_cache(maxsize=8)
def fit_discriminator(data: Distribution, gen: Distribution) -> FittedDiscriminator:
    """Fit D_fit = σ(f) by minimising the expected loss L (by quadrature: no sampling noise) by Newton's method.

    Continuous: a Chebyshev polynomial logit on each piece between the landmarks of the two densities, each
    piece's loss normalised by its mass (in log space, so a far piece still counts). The pieces' parameters
    are separate, so minimising L piece by piece minimises it over the bulk.
    Categorical: one logit per category, the per-category loss normalised by p_data + p_g.
    """
    if data.discrete:
        k = category_indices(data, gen)
        values = pair_values(data, gen, k)
        lp, lq, defined = values.log_p_data, values.log_p_gen, values.defined
        log_total = np.where(defined, np.logaddexp(lp, lq), 0.0)
        with np.errstate(invalid="ignore"):
            weight_data = np.where(defined, np.exp(lp - log_total), 0.0)
            weight_gen = np.where(defined, np.exp(lq - log_total), 0.0)
        logits, iterations = _fit_separable(weight_data, weight_gen)
        return FittedDiscriminator(np.array([]), (logits,), 0, "one logit per category", True, iterations)

    mixture = _contains_mixture(data, gen)
    degree = FIT_DEGREE_MIXTURE if mixture else FIT_DEGREE_EXACT
    pieces = quadrature_pieces(data, gen)
    first = 1 if pieces.knots[0] == -math.inf else 0  # the first piece with two finite ends
    last = len(pieces.knots) - (2 if pieces.knots[-1] == math.inf else 1)
    nodes, node_weights = np.polynomial.legendre.leggauss(FIT_NODES)
    features = np.polynomial.chebyshev.chebvander(nodes, degree)
    iterations = 0

    def fit(piece: int, start: float, end: float) -> tuple[np.ndarray | None, np.ndarray]:
        """The logit's coefficients on [start, end] of the piece's own coordinate (full resolution near any mode),
        and which nodes carry weight in the loss."""
        nonlocal iterations
        u = (start + end) / 2 + (end - start) / 2 * nodes
        values = pieces.values(data, gen, u, np.full(u.shape, piece))
        log_w = np.log((end - start) / 2 * node_weights)
        log_data, log_gen = log_w + values.log_p_data, log_w + values.log_p_gen
        with np.errstate(divide="ignore"):
            mass = logsumexp(np.concatenate([log_data, log_gen]))
        if mass == -np.inf:
            return None, np.zeros(nodes.shape, dtype=bool)
        weight_data, weight_gen = np.exp(log_data - mass), np.exp(log_gen - mass)
        theta, nit = _fit_logistic(features, weight_data, weight_gen)
        iterations += nit
        return theta, weight_data + weight_gen > 0

    # (piece, start, end, halvings): the segments still to fit, in order; each fitted one goes to ``segments``.
    queue = [(piece, 0.0, float(pieces.high[piece]), 0) for piece in range(first, last)]
    segments: list[tuple[int, float, float, np.ndarray | None]] = []
    while queue:
        piece, start, end, halvings = queue.pop(0)
        theta, seen = fit(piece, start, end)
        coarse = mixture and theta is not None and _tail_effect(theta, features[seen]) > FIT_TAIL
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
    count = len(segments)
    family = f"σ(Chebyshev polynomial of degree {degree}) on each of {count} pieces"
    return FittedDiscriminator(
        np.array(edges), coefficients, degree, family, degree == FIT_DEGREE_EXACT, iterations
    )


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


def fit_grid(data: Distribution, gen: Distribution, fitted: FittedDiscriminator) -> np.ndarray:
    """Points covering the bulk of both distributions: every category; or, inside every fitted piece (off its
    end points, where D* may jump), the points within the bulk of p_data or of p_g (μ ± 5σ, μ ± 14b, [a, b]).

    Outside both bulks neither distribution has mass to speak of, so the loss, and any fit to it, hardly
    depends on D there: the fit is only asked to approach D* where the loss can see it.
    """
    if data.discrete:
        return category_indices(data, gen)
    grids = [
        np.linspace(u, v, FIT_GRID_PER_PIECE + 2)[1:-1]
        for u, v, c in zip(fitted.edges[:-1], fitted.edges[1:], fitted.coefficients)
        if c is not None
    ]
    if not grids:
        return np.array([])
    grid = np.concatenate(grids)
    inside = np.zeros(grid.shape, dtype=bool)
    for low, high in (*data.bulk(), *gen.bulk()):
        inside |= (grid >= low) & (grid <= high)
    return grid[inside]


def max_fit_error(data: Distribution, gen: Distribution, fitted: FittedDiscriminator) -> tuple[float, float]:
    """max |D_fit − D*| over the grid where D* is defined, and where it is attained."""
    grid = fit_grid(data, gen, fitted)
    d_star, defined = optimal_discriminator(data, gen, grid)
    errors = np.where(defined, np.abs(fitted(grid) - d_star), 0.0)
    if errors.size == 0:
        return 0.0, math.nan
    worst = int(np.argmax(errors))
    return float(errors[worst]), float(grid[worst])


# --------------------------------------------------------------------------- Monte Carlo


def _sample_terms(
    data: Distribution, gen: Distribution, source: Distribution, samples: int, rng, sign: float
) -> tuple[float, float]:
    """Mean and variance (ddof 0) of −log σ(sign·h(x)) over ``samples`` draws x ~ source, drawn MC_CHUNK at a time.

    Memory stays at a few arrays of MC_CHUNK floats whatever the sample count; chunk statistics are merged with
    Chan et al.'s pairwise update (mean and sum of squared deviations), which keeps the variance accurate. For
    normal, Laplace, uniform and categorical sources, drawing in chunks gives the same numbers as one draw.
    """
    count, mean, squares = 0, 0.0, 0.0
    pair = density_pair(data, gen)
    for start in range(0, samples, MC_CHUNK):
        size = min(MC_CHUNK, samples - start)
        terms = -log_sigmoid(sign * pair.evaluate(source.sample(rng, size)).log_ratio)
        chunk_mean = float(np.mean(terms))
        chunk_squares = float(np.var(terms)) * size
        total = count + size
        delta = chunk_mean - mean
        mean += delta * size / total
        squares += chunk_squares + delta * delta * count * size / total
        count = total
    return mean, squares / count


def monte_carlo_loss(data: Distribution, gen: Distribution, samples: int, seed: int) -> tuple[float, float]:
    """L(D*) ≈ mean over x ~ p_data of −log D*(x) plus mean over x ~ p_g of −log(1 − D*(x)), with its standard error.

    All samples of p_data are drawn before those of p_g, as one draw of each would: the default sample count
    (below MC_CHUNK) gives the numbers of a single draw.
    """
    rng = np.random.default_rng(seed)
    mean_data, variance_data = _sample_terms(data, gen, data, samples, rng, 1.0)
    mean_gen, variance_gen = _sample_terms(data, gen, gen, samples, rng, -1.0)
    estimate = mean_data + mean_gen
    standard_error = math.sqrt((variance_data + variance_gen) / samples)
    return estimate, standard_error


# --------------------------------------------------------------------------- the pointwise proof (SymPy)


@dataclass(frozen=True)
class PointwiseProof:
    """g(D) = −a log D − b log(1 − D) on (0, 1), a = p_data(x), b = p_g(x): everything SymPy derives about it."""

    a: sympy.Symbol
    b: sympy.Symbol
    D: sympy.Symbol
    g: sympy.Expr
    g_prime: sympy.Expr
    g_prime_numerator: sympy.Expr  # the numerator of g′ over its denominator D(1 − D)
    stationary: list
    g_second: sympy.Expr
    g_second_positive: bool
    minimum: sympy.Expr  # g(D*)
    minimum_as_log2: sympy.Expr  # (a + b) log 2 − a log(a/m) − b log(b/m), m = (a + b)/2 substituted
    minimum_with_m: sympy.Expr  # the same with the symbol m, for display
    minimum_identity_holds: bool
    excess_as_kl: sympy.Expr  # (a + b)·KL(Bernoulli(D*) ‖ Bernoulli(D))
    excess_identity_holds: bool
    g_without_data: sympy.Expr  # a = 0
    g_without_data_prime: sympy.Expr
    g_without_gen: sympy.Expr  # b = 0
    g_without_gen_prime: sympy.Expr


def _log_identity(difference: sympy.Expr, D: sympy.Symbol) -> bool:
    """True when a combination of logarithms is identically 0 for a, b > 0 and D ∈ (0, 1).

    D = u/(u + v) with u, v > 0 sweeps (0, 1) and makes 1 − D = v/(u + v) a ratio of positives too, so every
    factored log argument is a product of positive powers and log may be expanded over it.
    """
    u, v = sympy.symbols("u v", positive=True)
    positive = difference.subs(D, u / (u + v))
    factored = positive.replace(sympy.log, lambda argument: sympy.log(sympy.factor(argument)))
    return sympy.cancel(sympy.expand(sympy.expand_log(factored, force=True))) == 0


@disk_cached
def pointwise_proof() -> PointwiseProof:
    """SymPy's derivation about g(D) = −a log D − b log(1 − D): input-independent and deterministic (no time budget),
    so computed once and kept on disk (about 0.2 s of SymPy)."""
    a, b = sympy.symbols("a b", positive=True)
    D = sympy.Symbol("D", positive=True)
    g = -a * sympy.log(D) - b * sympy.log(1 - D)
    g_prime = sympy.diff(g, D)
    # On (0, 1), g′ = 0 exactly where the numerator of g′ over its positive denominator D(1 − D) vanishes:
    # a polynomial in D, whose roots SymPy finds (faster than the general solve).
    numerator = sympy.numer(sympy.together(g_prime))
    stationary = list(sympy.roots(sympy.Poly(numerator, D)))
    g_second = sympy.diff(g, D, 2)
    # D ∈ (0, 1): with D̄ = 1 − D > 0 as well, each term of g″ is a positive over a positive square.
    complement = sympy.Symbol("D̄", positive=True)
    g_second_positive = bool(g_second.subs(1 - D, complement).subs((D - 1) ** 2, complement**2).is_positive)
    (d_star,) = stationary
    minimum = -a * sympy.log(d_star) - b * sympy.log(sympy.cancel(1 - d_star))
    m = (a + b) / 2
    minimum_as_log2 = (a + b) * sympy.log(2) - a * sympy.log(a / m) - b * sympy.log(b / m)
    minimum_identity_holds = _log_identity(minimum - minimum_as_log2, D)
    m_symbol = sympy.Symbol("m", positive=True)
    minimum_with_m = (a + b) * sympy.log(2) - a * sympy.log(a / m_symbol) - b * sympy.log(b / m_symbol)
    excess_as_kl = (a + b) * (
        d_star * sympy.log(d_star / D) + sympy.cancel(1 - d_star) * sympy.log(sympy.cancel(1 - d_star) / (1 - D))
    )
    excess_identity_holds = _log_identity(g - minimum - excess_as_kl, D)
    g_without_data = g.subs(a, 0)
    g_without_gen = g.subs(b, 0)
    return PointwiseProof(
        a, b, D, g, g_prime, numerator, stationary, g_second, g_second_positive, minimum,
        minimum_as_log2, minimum_with_m, bool(minimum_identity_holds), excess_as_kl, bool(excess_identity_holds), g_without_data,
        sympy.diff(g_without_data, D), g_without_gen, sympy.diff(g_without_gen, D),
    )  # fmt: skip


G_OF_D = m("g(D)", "g(D)")
G_PRIME = m("g'(D)", "g′(D)")


def _is(name: Math, value: sympy.Expr) -> Prose:
    """``name = value`` inline: the name as mathematics, the value as a SymPy piece each renderer prints."""
    return (m(f"{name.latex} =", f"{name.text} ="), " ", value)


def proof_steps(discrete: bool) -> list[Step]:
    """The general proof, independent of the distributions: pointwise minimisation and the value log 4 − 2 JSD."""
    proof = pointwise_proof()
    x = sympy.Symbol("x", real=True)
    p_data, p_g, disc = sympy.Function("p_data")(x), sympy.Function("p_g")(x), sympy.Function("D")(x)
    integrand = -p_data * sympy.log(disc) - p_g * sympy.log(1 - disc)
    if discrete:
        k = sympy.Symbol("k", integer=True)
        n = sympy.Symbol("n", integer=True, positive=True)
        total = sympy.Sum(integrand.subs(x, k), (k, 0, n - 1))
        measure: Prose = (
            "a sum over the categories ",
            m(r"k = 0, \dots, n - 1", "k = 0, …, n − 1"),
            " (densities with respect to counting measure)",
        )
        total_word, sum_latex, sum_text = "sum", r"\sum_k", "Σ_k"
    else:
        total = sympy.Integral(integrand, (x, -sympy.oo, sympy.oo))
        measure = ("an integral against ", m("dx", "dx"), " (densities with respect to Lebesgue measure)")
        total_word, sum_latex, sum_text = "integral", r"\int", "∫"
    g_label, d_star = Label("g(D)", "g(D)"), proof.stationary[0]
    a_any, b_any = sympy.symbols("a b", nonnegative=True)  # a + b > 0 stays a condition, not True
    numerator = proof.g_prime_numerator
    steps = [
        Step(
            ("The loss as one ", total_word),
            (
                "For a fixed generator ",
                m(r"\theta", "θ"),
                ", both expectations in ",
                m(
                    r"\mathcal{L}(\phi; \theta) = -\mathbb{E}_{x \sim p_{\mathrm{data}}}[\log D(x)]"
                    r" - \mathbb{E}_{x \sim p_g}[\log(1 - D(x))]",
                    "L(φ; θ) = −E_data[log D(x)] − E_g[log(1 − D(x))]",
                ),
                " are ",
                *measure,
                ", so they combine into one, with ",
                m(r"D(x) = D_\phi(x) \in (0, 1)", "D(x) = D_φ(x) ∈ (0, 1)"),
                ":",
            ),
            equation(L_LABEL, total),
        ),
        Step(
            "Minimise the integrand pointwise",
            (
                f"The {total_word} depends on ",
                D,
                " only through its value ",
                m("D(x)", "D(x)"),
                " at each ",
                X,
                ". Fix ",
                X,
                " and write ",
                m(r"a = p_{\mathrm{data}}(x) \ge 0", "a = p_data(x) ≥ 0"),
                " and ",
                m(r"b = p_g(x) \ge 0", "b = p_g(x) ≥ 0"),
                ": the integrand is ",
                m(r"g(D) = -a \log D - b \log(1 - D)", "g(D) = −a·log D − b·log(1 − D)"),
                " on ",
                UNIT_INTERVAL,
                ". Take ",
                m("a, b > 0", "a, b > 0"),
                " first.",
            ),
            equation(g_label, proof.g),
        ),
        Step("First derivative", "Differentiate with SymPy:", equation(Label("g′(D)", "g'(D)"), proof.g_prime)),
        Step(
            "The stationary point",
            (
                "On ",
                UNIT_INTERVAL,
                ", ",
                m("g'(D) = 0", "g′(D) = 0"),
                " where the numerator of ",
                m("g'", "g′"),
                " over the common denominator ",
                m("D(1 - D) > 0", "D(1 − D) > 0"),
                " vanishes: ",
                numerator,
                " ",
                m("= 0", "= 0"),
                ", linear in ",
                D,
                ", with the single root below (SymPy's roots). It lies in ",
                UNIT_INTERVAL,
                " since ",
                m("a, b > 0", "a, b > 0"),
                ":",
            ),
            equation(D_STAR, d_star),
        ),
        Step(
            "Second derivative: a unique minimum",
            (
                m(r"g''(D) = \frac{a}{D^2} + \frac{b}{(1 - D)^2}", "g″(D) = a/D² + b/(1 − D)²"),
                " is a sum of positive terms on ",
                UNIT_INTERVAL,
                (
                    " (SymPy confirms it is positive)"
                    if proof.g_second_positive
                    else " (SymPy could not confirm the sign by itself)"
                ),
                ", so ",
                m("g", "g"),
                " is strictly convex there, and a strictly convex function has at most one stationary point, its "
                "unique global minimiser. (Consistently, ",
                m("g", "g"),
                " grows without bound at both ends: ",
                m(r"-a \log D \to +\infty", "−a·log D → +∞"),
                " as ",
                m(r"D \to 0^+", "D → 0⁺"),
                " and ",
                m(r"-b \log(1 - D) \to +\infty", "−b·log(1 − D) → +∞"),
                " as ",
                m(r"D \to 1^-", "D → 1⁻"),
                ".)",
            ),
            equation(Label("g″(D)", "g''(D)"), proof.g_second),
        ),
        Step(
            "The value at the minimum",
            (
                "Substitute ",
                D_STAR_M,
                " into ",
                m("g", "g"),
                ": ",
                *_is(m("g(D^*)", "g(D*)"), proof.minimum),
                ". With ",
                m(r"m = \tfrac{1}{2}(a + b)", "m = (a + b)/2"),
                ", the midpoint density, it rewrites as below (",
                (
                    "SymPy expands the difference of the two forms to 0"
                    if proof.minimum_identity_holds
                    else "SymPy could not expand the difference of the two forms to 0"
                ),
                "); this form ",
                "sums" if discrete else "integrates",
                " to the Jensen–Shannon divergence.",
            ),
            equation(Label("g(D*)", "g(D^*)"), proof.minimum_with_m),
        ),
        Step(
            "Another view: the excess is a KL divergence",
            (
                "For every ",
                D,
                " in ",
                UNIT_INTERVAL,
                ", ",
                m(
                    r"g(D) - g(D^*) = (a + b)\,\mathrm{KL}(\mathrm{Bernoulli}(D^*) \,\|\, \mathrm{Bernoulli}(D))",
                    "g(D) − g(D*) = (a + b)·KL(Bernoulli(D*) ‖ Bernoulli(D))",
                ),
                " (",
                (
                    "SymPy expands the difference to 0"
                    if proof.excess_identity_holds
                    else "SymPy could not expand the difference to 0"
                ),
                "), which is ",
                m(r"\ge 0", "≥ 0"),
                " with equality only at ",
                m("D = D^*", "D = D*"),
                " (Gibbs' inequality): the same conclusion without derivatives.",
            ),
            equation(Label("g(D) − g(D*)", "g(D) - g(D^*)"), proof.excess_as_kl),
        ),
        Step(
            ("Edge cases: a density is 0 at ", X),
            (
                "If ",
                m("a = 0 < b", "a = 0 < b"),
                " (",
                X,
                " only produced by the generator): ",
                *_is(G_OF_D, proof.g_without_data),
                " and ",
                *_is(G_PRIME, proof.g_without_data_prime),
                ", which is positive, so ",
                m("g", "g"),
                " increases and its minimum over ",
                m("[0, 1)", "[0, 1)"),
                " is at the boundary ",
                m(r"D = 0 = \frac{a}{a + b}", "D = 0 = a/(a + b)"),
                ".\nIf ",
                m("b = 0 < a", "b = 0 < a"),
                " (",
                X,
                " only in the data): ",
                *_is(G_OF_D, proof.g_without_gen),
                " and ",
                *_is(G_PRIME, proof.g_without_gen_prime),
                ", which is negative, so the minimum over ",
                m("(0, 1]", "(0, 1]"),
                " is at the boundary ",
                m(r"D = 1 = \frac{a}{a + b}", "D = 1 = a/(a + b)"),
                ".\nIf ",
                m("a = b = 0", "a = b = 0"),
                " (",
                X,
                " outside both supports): ",
                m(r"g \equiv 0", "g ≡ 0"),
                ", so every ",
                D,
                " is optimal; ",
                m(r"\frac{a}{a + b}", "a/(a + b)"),
                " is ",
                m("0/0", "0/0"),
                ", undefined, and it does not matter, since neither distribution puts mass there.\nSo ",
                m(r"D^* = \frac{a}{a + b}", "D* = a/(a + b)"),
                " wherever ",
                m("a + b > 0", "a + b > 0"),
                ", allowing the values 0 and 1 (with ",
                m(r"0 \log 0 = 0", "0·log 0 = 0"),
                ").",
            ),
            equation(
                D_STAR,
                sympy.Piecewise(
                    (a_any / (a_any + b_any), a_any + b_any > 0),
                    (Label("any D ∈ [0, 1]", r"\text{any } D \in [0, 1]"), True),
                ),
            ),
        ),
        Step(
            ("Pointwise minimisation minimises the ", total_word),
            (
                "For any discriminator ",
                D,
                " and every ",
                X,
                ", ",
                m(r"g_x(D(x)) \ge g_x(D^*(x))", "g_x(D(x)) ≥ g_x(D*(x))"),
                f"; {'summing' if discrete else 'integrating'} both sides (the {total_word} is monotone) gives ",
                m(r"\mathcal{L}(D) \ge \mathcal{L}(D^*)", "L(D) ≥ L(D*)"),
                ". Equality needs equality at almost every ",
                X,
                " where ",
                m(r"p_{\mathrm{data}} + p_g > 0", "p_data + p_g > 0"),
                " (strict convexity), so ",
                D_STAR_M,
                " is the minimiser, unique up to sets that neither distribution charges. ",
                D_STAR_M,
                " is measurable (a ratio of measurable functions), so it is a legitimate discriminator for a "
                "flexible enough family ",
                m(r"D_\phi", "D_φ"),
                ".",
            ),
            sympy.GreaterThan(Label("L(D)", r"\mathcal{L}(D)"), L_OPT, evaluate=False),
        ),
    ]
    m_x = sympy.Function("m")(x)
    weighted = (p_data + p_g) * sympy.log(2) - p_data * sympy.log(p_data / m_x) - p_g * sympy.log(p_g / m_x)
    value_form = (
        sympy.Sum(weighted.subs(x, k), (k, 0, n - 1))
        if discrete
        else sympy.Integral(weighted, (x, -sympy.oo, sympy.oo))
    )
    steps.append(
        Step(
            "The loss at the optimum",
            (
                f"{'Sum' if discrete else 'Integrate'} ",
                m("g(D^*)", "g(D*)"),
                " from the value step, with ",
                m(
                    r"m(x) = \tfrac{1}{2}(p_{\mathrm{data}}(x) + p_g(x))",
                    "m(x) = (p_data(x) + p_g(x))/2",
                ),
                ": ",
                m(
                    sum_latex + r" (p_{\mathrm{data}} + p_g) \log 2 = 2 \log 2 = \log 4",
                    f"{sum_text} (p_data + p_g)·log 2 = 2 log 2 = log 4",
                ),
                ", and ",
                m(
                    sum_latex + r" p \log\frac{p}{m} = \mathrm{KL}(p \,\|\, m)",
                    f"{sum_text} p log(p/m) = KL(p ‖ m)",
                ),
                ".",
            ),
            equation(L_OPT, value_form),
        )
    )
    steps.append(
        Step(
            (IDENTITY,),
            (
                "So ",
                m(
                    r"\mathcal{L}(D^*) = \log 4 - \mathrm{KL}(p_{\mathrm{data}} \,\|\, m) - \mathrm{KL}(p_g \,\|\, m)"
                    r" = \log 4 - 2\,\mathrm{JSD}(p_{\mathrm{data}} \,\|\, p_g)",
                    "L(D*) = log 4 − KL(p_data ‖ m) − KL(p_g ‖ m) = log 4 − 2·JSD(p_data ‖ p_g)",
                ),
                ", where ",
                m(
                    r"\mathrm{JSD} = \tfrac{1}{2}\mathrm{KL}(p_{\mathrm{data}} \,\|\, m)"
                    r" + \tfrac{1}{2}\mathrm{KL}(p_g \,\|\, m)",
                    "JSD = ½KL(p_data ‖ m) + ½KL(p_g ‖ m)",
                ),
                " lies in ",
                m(r"[0, \log 2]", "[0, log 2]"),
                ": ",
                m(r"\mathcal{L}(D^*) \in [0, \log 4]", "L(D*) ∈ [0, log 4]"),
                ", equal to ",
                m(r"\log 4", "log 4"),
                " exactly when ",
                m(r"p_{\mathrm{data}} = p_g", "p_data = p_g"),
                " (then ",
                m(r"D^* \equiv \tfrac{1}{2}", "D* ≡ ½"),
                ") and to 0 when the supports are disjoint.",
            ),
            equation(L_OPT, sympy.log(4) - 2 * JSD),
        )
    )
    return steps


# --------------------------------------------------------------------------- inputs


def check_compatible(data: Distribution, gen: Distribution) -> None:
    """Both densities must be with respect to one measure: both categorical, or both continuous."""
    if data.discrete != gen.discrete:
        kinds = {True: "discrete (a probability mass function)", False: "continuous (a density)"}
        raise InputError(
            f"{gen} is {kinds[gen.discrete]} but --data {data} is {kinds[data.discrete]}: there is no common "
            "dominating measure, so D* = p_data/(p_data + p_g) is not defined; give both as categorical, or both continuous",
            "--gen",
        )


def default_points(data: Distribution, gen: Distribution) -> list[Fraction]:
    """Every category (up to MAX_DEFAULT_CATEGORIES); for continuous ones, the two means and their midpoint."""
    if data.discrete:
        return [Fraction(k) for k in range(min(max(data.size, gen.size), MAX_DEFAULT_CATEGORIES))]
    first, second = mean(data), mean(gen)
    return sorted({first, (first + second) / 2, second})


def mean(distribution: Distribution) -> Fraction:
    if isinstance(distribution, (Normal, Laplace)):
        return distribution.mu
    if isinstance(distribution, Mixture):
        return sum((w * mean(c) for w, c in zip(distribution.weights, distribution.components)), Fraction(0))
    return (distribution.a + distribution.b) / 2


def check_points(points: Sequence[Fraction], data: Distribution, gen: Distribution) -> None:
    if not points:
        raise InputError("no points given", "--x")
    if len(points) > MAX_POINTS:
        raise InputError(f"{len(points)} points; the limit is {MAX_POINTS}", "--x")
    if data.discrete:
        size = max(data.size, gen.size)
        for point in points:
            if point.denominator != 1 or not 0 <= point < size:
                raise InputError(
                    f"{short_number(point)} is not a category: for categorical distributions the points are the "
                    f"indices 0, …, {size - 1}",
                    "--x",
                )
    else:
        for point in points:
            try:
                float(point)
            except OverflowError:
                raise InputError(
                    f"{short_number(point)} is beyond float64's range (±1.8e308)",
                    "--x",
                ) from None


# --------------------------------------------------------------------------- D* at the points


@dataclass(frozen=True)
class PointValue:
    x: Fraction
    d_star: float | None  # float64, σ(log p_data − log p_g); None where undefined
    exact: sympy.Expr | None  # p_data/(p_data + p_g) exactly; None where undefined
    reference: float | None  # the exact value to 30 digits
    bound: float  # the float64 error bound of this point


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _exact_density(distribution: Distribution, point: Fraction) -> sympy.Expr:
    """The density at a rational point, built at that point (no symbolic x: a 100-component mixture stays fast)."""
    if isinstance(distribution, Categorical):
        return distribution.probability(int(point))
    return distribution.density(_rational(point))


def _components(distribution: Distribution) -> int:
    return len(distribution.components) if isinstance(distribution, Mixture) else 1


def point_values(data: Distribution, gen: Distribution, points: Sequence[Fraction]) -> list[PointValue]:
    """D* at each point twice: σ of the float64 log-ratio, and the exact ratio p_data/(p_data + p_g) in SymPy.

    The float64 route takes each point exactly, as the anchor of its own coordinate (x = point + 0), so that
    1e9 + 1/3 is not first rounded to the float 1000000000.3333334.
    """
    pair = density_pair(data, gen)
    if data.discrete:
        computed = pair.evaluate(np.array([float(p) for p in points]))
    else:
        computed = pair.evaluate(np.zeros(len(points)), rows=np.arange(len(points)), offsets=pair.offsets(points))
    lp, lq, h, defined = computed.log_p_data, computed.log_p_gen, computed.log_ratio, computed.defined
    d_float = sigmoid(h)
    values = []
    for i, point in enumerate(points):
        p, q = _exact_density(data, point), _exact_density(gen, point)
        bound = _d_star_bound(lp[i], lq[i], h[i])
        if p == 0 and q == 0:
            values.append(PointValue(point, None, None, None, bound))
            continue
        if q == 0:
            exact = sympy.Integer(1)
        elif p == 0:
            exact = sympy.Integer(0)
        elif _components(data) + _components(gen) <= SHOWN_COMPONENTS:
            exact = 1 / (1 + sympy.powsimp(sympy.expand_power_base(q / p, force=True)))
        else:  # a closed form too long to read: its value to 30 digits stands in for it
            exact = (p / (p + q)).evalf(EXACT_DIGITS)
        reference = float(exact.evalf(EXACT_DIGITS))
        values.append(PointValue(point, float(d_float[i]) if defined[i] else None, exact, reference, bound))
    return values


def _d_star_bound(lp: float, lq: float, h: float) -> float:
    """A bound on |D* in float64 − D* exactly| at one point: 1e-14 + δ·σ′(|h| − δ), with σ′ = σ(1 − σ) ≤ 1/4.

    δ = 16ε·max(1, |h|, |log p_data|, |log p_g|) bounds the rounding of h: each term difference is a product or
    sum of a few rounded quantities of the size of the log-densities (a log-density below float64's range is left
    out: h is then astronomically large or exactly representable as ±∞, and σ′ of it is 0). Where D* is 0 or 1 to
    float64's precision the bound is 1e-14: the computed value must be that too.
    """
    sizes = [abs(v) for v in (lp, lq, h) if math.isfinite(v)]
    delta = 16 * EPS * max([1.0, *sizes])
    slope_at = max(0.0, abs(h) - delta)
    slope = float(sigmoid(slope_at) * sigmoid(-slope_at)) if math.isfinite(slope_at) else 0.0
    return D_STAR_FLOOR + delta * slope


def _log_ratio_formula(data: Distribution, gen: Distribution) -> sympy.Expr | None:
    """log p_data(x) − log p_g(x) in closed form, for normal and Laplace densities (no Piecewise, no sums)."""
    if not all(isinstance(d, (Normal, Laplace)) for d in (data, gen)):
        return None
    x = sympy.Symbol("x", real=True)
    log_data = sympy.expand_log(sympy.log(data.density(x)), force=True)
    log_gen = sympy.expand_log(sympy.log(gen.density(x)), force=True)
    return sympy.expand(log_data - log_gen)


# --------------------------------------------------------------------------- figure data


@dataclass(frozen=True)
class FigureData:
    """What --plot draws: p_data, p_g, D* and D_fit on a grid (or per category), and D* at the requested points."""

    discrete: bool
    x: np.ndarray
    p_data: np.ndarray
    p_g: np.ndarray
    d_star: np.ndarray  # NaN where undefined: matplotlib leaves a gap
    d_fit: np.ndarray
    points: np.ndarray
    d_star_points: np.ndarray
    data_label: str
    gen_label: str


def figure_data(data: Distribution, gen: Distribution, points: Sequence[Fraction] | None = None) -> FigureData:
    """The curves of the figure, from the same functions as the derivation (D*, the fitted discriminator)."""
    points = points or default_points(data, gen)
    fitted = fit_discriminator(data, gen)
    if data.discrete:
        grid = category_indices(data, gen)
    else:
        low, high = _finite_span(data, gen)
        # Trim the drawing to where either density is above 1e-4 of its peak, to keep the shapes visible.
        wide = np.linspace(low, high, 4001)
        log_peak = np.logaddexp(data.log_pdf(wide), gen.log_pdf(wide))
        visible = wide[log_peak > np.max(log_peak) + math.log(1e-4)]
        margin = 0.05 * (visible.max() - visible.min() + 1e-12)
        grid = np.union1d(np.linspace(visible.min() - margin, visible.max() + margin, 1500), fitted.edges)
        grid = grid[(grid >= visible.min() - margin) & (grid <= visible.max() + margin)]
    d_star, defined = optimal_discriminator(data, gen, grid)
    point_x = np.array([float(p) for p in points])
    d_points, defined_points = optimal_discriminator(data, gen, point_x)
    return FigureData(
        discrete=data.discrete,
        x=grid,
        p_data=np.exp(data.log_pdf(grid)),
        p_g=np.exp(gen.log_pdf(grid)),
        d_star=np.where(defined, d_star, np.nan),
        d_fit=np.where(defined, fitted(grid), np.nan),
        points=point_x,
        d_star_points=np.where(defined_points, d_points, np.nan),
        data_label=f"p_data = {data}",
        gen_label=f"p_g = {gen}",
    )


# --------------------------------------------------------------------------- the derivation


def _densities_step(data: Distribution, gen: Distribution) -> Step:
    both = (*_equals(P_DATA, describe(data)), " and ", *_equals(P_G, describe(gen)))
    if data.discrete:
        size = max(data.size, gen.size)
        labels = sympy.Matrix([Label("p_data", "p_{\\mathrm{data}}"), Label("p_g", "p_g")])
        rows = sympy.Matrix([[data.probability(k) for k in range(size)], [gen.probability(k) for k in range(size)]])
        categories = (m(r"k = 0, \dots, n - 1", "k = 0, …, n − 1"), ", with ", m("n", "n"), " = ", size)
        if size > 12:
            text = (*both, ": too many categories to write the probabilities out.")
            return Step("The two distributions", text)
        text = (
            *both,
            ": the probabilities of the categories ",
            *categories,
            ", as exact rationals (a shorter list has probability 0 past its end).",
        )
        return Step("The two distributions", text, equation(labels, rows))
    text = (*both, ", as exact densities on ", m(r"\mathbb{R}", "ℝ"), ".")
    if _components(data) + _components(gen) > SHOWN_COMPONENTS:
        return Step("The two distributions", (*text, " (Too many mixture components to write the densities out.)"))
    x = sympy.Symbol("x", real=True)
    densities = sympy.Matrix([data.density(x), gen.density(x)])
    labels = sympy.Matrix([Label("p_data(x)", r"p_{\mathrm{data}}(x)"), Label("p_g(x)", "p_g(x)")])
    return Step("The two distributions", text, equation(labels, densities))


def _listing(values: Sequence) -> Prose:
    """Number pieces joined by commas and a final "and": 0.3, 0.1 and 0.03."""
    out: list = []
    for i, value in enumerate(values):
        if i:
            out.append(" and " if i == len(values) - 1 else ", ")
        out.append(value)
    return tuple(out)


def _optimal_discriminator_steps(data: Distribution, gen: Distribution, values: list[PointValue]) -> list[Step]:
    """D* for the two distributions: the optimal logit in closed form where it is short, then D* at the points."""
    formula = None if data.discrete else _log_ratio_formula(data, gen)
    title = (D_STAR_M, " for these distributions")
    if formula is not None:
        h_label = Label("log p_data(x) − log p_g(x)", r"\log p_{\mathrm{data}}(x) - \log p_g(x)")
        first = Step(
            title,
            (
                m(r"D^*(x) = \sigma(h(x))", "D*(x) = σ(h(x))"),
                " with ",
                m(
                    r"h(x) = \log p_{\mathrm{data}}(x) - \log p_g(x) = \log\frac{D^*(x)}{1 - D^*(x)}",
                    "h(x) = log p_data(x) − log p_g(x) = log(D*(x)/(1 − D*(x)))",
                ),
                ", the optimal logit; SymPy expands it in closed form:",
            ),
            equation(h_label, formula),
        )
    elif data.discrete:
        first = Step(
            title,
            (
                D_STAR_RATIO,
                ", computed per category, exactly, as the rational ",
                m(r"\frac{p_{\mathrm{data}}(k)}{p_{\mathrm{data}}(k) + p_g(k)}", "p_data(k)/(p_data(k) + p_g(k))"),
                ".",
            ),
        )
    else:
        first = Step(
            title,
            (
                D_STAR_RATIO,
                ", computed as ",
                SIGMA_LOG_RATIO,
                ", the log-densities in float64 (log-sum-exp for mixtures).",
            ),
        )
    text: Prose = (
        "In float64 as ",
        SIGMA_LOG_RATIO,
        ", so that it stays right where both densities underflow; exactly as ",
        EXACT_RATIO,
        " in SymPy.",
    )
    undefined = [_rational(v.x) for v in values if v.d_star is None]
    if undefined:
        text += (
            " At ",
            X,
            " = ",
            *_listing(undefined),
            " both densities are 0: ",
            D_STAR_M,
            " is undefined there (any ",
            D,
            " is optimal, and neither distribution puts mass there), so no number is given for it.",
        )
    table = Table(
        headers=((X,), (D_STAR_X, " exactly"), (D_STAR_X, " in float64")),
        rows=[
            (
                _rational(v.x),
                v.exact if v.exact is not None else "undefined",
                v.d_star if v.d_star is not None else "undefined",
            )
            for v in values
        ],
    )
    second = Step((D_STAR_M, " at the requested points"), text, table=table)
    return [first, second]


@dataclass(frozen=True)
class OptimumValue:
    """L(D*) computed from its definition, JSD computed on its own, and what the identity check needs."""

    loss_at_optimum: float
    jsd: float
    identity_check: Check
    steps: list[Step]
    checks: list[Check]  # further checks (the densities' normalisation)
    result: dict  # extra result entries
    warnings: list[Notice]

    @property
    def log4_minus_2jsd(self) -> float:
        return LOG4 - 2 * self.jsd


LOG_D_STAR = m(r"\log D^* = \log\sigma(h)", "log D* = log σ(h)")
MINUS_INFINITY = m(r"-\infty", "−∞")


def _optimum_value_discrete(data: Categorical, gen: Categorical) -> OptimumValue:
    """Sums over the categories: float64 in log space, and the exact closed forms in logs of primes."""
    k = category_indices(data, gen)
    values = pair_values(data, gen, k)
    lp, lq, h = values.log_p_data, values.log_p_gen, values.log_ratio
    raw_loss = float_discrete_sum(loss_integrand_at_optimum(lp, lq, h))
    tolerance = len(k) * 64 * EPS  # float64 summation of n terms of size ≤ 1
    # Each term is at most log 4 times its mass, so only the rounding of the sum can pass log 4.
    loss, loss_clipped = _into_range(raw_loss, LOG4, tolerance)
    exact = exact_discrete(data, gen) if len(k) <= EXACT_CATEGORY_LIMIT else None
    steps: list[Step] = []
    result: dict = {}
    if exact is not None:
        # 30 correct digits of an exact value in [0, log 2]: clipping can only remove a last-digit overshoot.
        jsd, jsd_clipped = _into_range(exact.jsd_value, LOG2, tolerance)
        raw_jsd = jsd
        steps.append(
            Step(
                (JSD_M, " for these distributions, exactly"),
                (
                    m(
                        r"\mathrm{JSD} = \tfrac{1}{2}\sum_k p_{\mathrm{data}}(k)"
                        r" \log\frac{2 p_{\mathrm{data}}(k)}{p_{\mathrm{data}}(k) + p_g(k)}"
                        r" + \tfrac{1}{2}\sum_k p_g(k) \log\frac{2 p_g(k)}{p_{\mathrm{data}}(k) + p_g(k)}",
                        "JSD = ½Σ p_data log(2p_data/(p_data + p_g)) + ½Σ p_g log(2p_g/(p_data + p_g))",
                    ),
                    ", over the categories with positive mass, in logs of primes. Its value comes from the exact "
                    "probabilities, each category's two terms combined into ",
                    KAPPA_INTEGRAND,
                    ", a sum of nonnegative terms evaluated with mpmath at ",
                    EXACT_WORKING_DIGITS,
                    " digits: the closed form's terms can cancel far below float64's reach.",
                ),
                equation(JSD, exact.jsd),
                jsd,
            )
        )
        steps.append(
            Step(
                (L_OPT_M, " for these distributions, exactly"),
                (
                    m(
                        r"\mathcal{L}(D^*) = -\sum_k p_{\mathrm{data}}(k) \log D^*(k) - \sum_k p_g(k) \log(1 - D^*(k))",
                        "L(D*) = −Σ p_data log D* − Σ p_g log(1 − D*)",
                    ),
                    ", summed separately from ",
                    JSD_M,
                    "; SymPy collects the difference " if exact.identity_holds else "; SymPy does not collect ",
                    m(r"\mathcal{L}(D^*) - (\log 4 - 2\,\mathrm{JSD})", "L(D*) − (log 4 − 2·JSD)"),
                    " to 0.",
                ),
                equation(L_OPT, exact.loss_at_optimum),
                exact.loss_value,
            )
        )
        result = {"jsd_exact": sympy.sstr(exact.jsd), "loss_at_optimum_exact": sympy.sstr(exact.loss_at_optimum)}
        error = abs(raw_loss - (LOG4 - 2 * jsd)) if exact.identity_holds else math.inf
        method: Prose = (
            L_OPT_M,
            " as a float64 sum over the categories in log space, against ",
            LOG4_MINUS_2JSD,
            " from the exact probabilities evaluated with mpmath at ",
            EXACT_WORKING_DIGITS,
            " digits; SymPy also collects the exact difference to 0"
            if exact.identity_holds
            else " digits; SymPy does not collect the exact difference to 0, which fails the check",
        )
    else:
        raw_jsd = float_discrete_sum(jsd_integrand(lp, lq, h))
        jsd, jsd_clipped = _into_range(raw_jsd, LOG2, tolerance)
        steps.append(
            Step(
                (JSD_M, " for these distributions"),
                (
                    m(
                        r"\mathrm{JSD} = \tfrac{1}{2}\mathrm{KL}(p_{\mathrm{data}} \,\|\, m)"
                        r" + \tfrac{1}{2}\mathrm{KL}(p_g \,\|\, m)",
                        "JSD = ½KL(p_data ‖ m) + ½KL(p_g ‖ m)",
                    ),
                    ", summed in log space, each category's two terms combined into ",
                    KAPPA_INTEGRAND,
                    " (",
                    m(r"m = \tfrac{1}{2}(p_{\mathrm{data}} + p_g)", "m = (p_data + p_g)/2"),
                    "), which is never negative, so that nothing cancels",
                    *_clip_note(JSD_M, raw_jsd, LOG2, jsd_clipped),
                    ".",
                ),
                value=jsd,
            )
        )
        error = abs(raw_loss - (LOG4 - 2 * raw_jsd))
        method = (
            "more than ",
            EXACT_CATEGORY_LIMIT,
            " categories, so no closed form is shown: ",
            L_OPT_M,
            " and ",
            JSD_M,
            " as separate float64 sums over the categories in log space",
        )
    steps.append(
        Step(
            (L_OPT_M, " two ways"),
            (
                "By the definition of ",
                L_M,
                " at ",
                D_STAR_M,
                " (a float64 sum in log space: ",
                LOG_D_STAR,
                ", never ",
                MINUS_INFINITY,
                " by rounding), and from ",
                LOG4_MINUS_2JSD,
                *_clip_note(L_OPT_M, raw_loss, LOG4, loss_clipped),
                ":",
            ),
            value=[loss, LOG4 - 2 * jsd],
        )
    )
    check = Check(
        name=(IDENTITY,),
        method=method,
        computed=raw_loss,
        reference=LOG4 - 2 * raw_jsd,
        error=error,
        tolerance=tolerance,
        detail=("absolute error; tolerance ", m(r"64\varepsilon", "64ε"), " per category (float64 summation)"),
    )
    return OptimumValue(loss, jsd, check, steps, [], result, [])


def _optimum_value_continuous(data: Distribution, gen: Distribution) -> OptimumValue:
    """Two separate tanh-sinh quadratures, of L(D*)'s integrand and of JSD's, plus ∫p = 1 for the pieces."""
    pieces = quadrature_pieces(data, gen)
    loss_integral = integrate_loss_at_optimum(data, gen)
    jsd_integral = integrate_jsd(data, gen)
    raw_loss, raw_jsd = float(loss_integral.value), float(jsd_integral.value)
    # The integrands are ≥ 0 and below log 2·m and log 4·m, so only the quadrature's own rounding of ∫m = 1 can
    # take a value past log 2 or log 4: by no more than the allowance of the identity check below.
    allowance = max(IDENTITY_FLOOR, 10 * float(loss_integral.error + 2 * jsd_integral.error))
    jsd, jsd_clipped = _into_range(raw_jsd, LOG2, allowance)
    loss, loss_clipped = _into_range(raw_loss, LOG4, allowance)
    steps = [
        Step(
            (JSD_M, " for these distributions"),
            (
                m(
                    r"\mathrm{JSD} = \tfrac{1}{2}\int p_{\mathrm{data}} \log\frac{p_{\mathrm{data}}}{m}"
                    r" + \tfrac{1}{2}\int p_g \log\frac{p_g}{m}",
                    "JSD = ½∫ p_data log(p_data/m) + ½∫ p_g log(p_g/m)",
                ),
                " with ",
                m(r"m = \tfrac{1}{2}(p_{\mathrm{data}} + p_g)", "m = (p_data + p_g)/2"),
                ". Since ",
                m(r"p_{\mathrm{data}} = 2m D^*", "p_data = 2m·D*"),
                " and ",
                m(r"p_g = 2m(1 - D^*)", "p_g = 2m·(1 − D*)"),
                ", the integrand is ",
                KAPPA_INTEGRAND,
                ", a divergence between two Bernoulli distributions at every ",
                X,
                ", never negative (for ",
                m(r"\lvert h \rvert \le 1", "|h| ≤ 1"),
                " it is computed as ",
                KAPPA_NEAR,
                ", two terms that do not cancel), so two nearly equal densities give a small positive ",
                JSD_M,
                ", not a difference of two numbers near ",
                m(r"\log 2", "log 2"),
                ". Integrated by tanh-sinh quadrature on ",
                len(pieces.low),
                " pieces between the densities' landmarks, each in a coordinate measured from an exact end point "
                "of the piece, so that a mode far from 0 is resolved at its own scale",
                *_clip_note(JSD_M, raw_jsd, LOG2, jsd_clipped),
                ".",
            ),
            value=jsd,
        ),
        Step(
            (L_OPT_M, " two ways"),
            (
                "By quadrature of ",
                m(r"-p_{\mathrm{data}} \log D^* - p_g \log(1 - D^*)", "−p_data·log D* − p_g·log(1 − D*)"),
                ", with ",
                LOG_D_STAR,
                " and ",
                m(r"\log(1 - D^*) = \log\sigma(-h)", "log(1 − D*) = log σ(−h)"),
                " (",
                m(r"h = \log p_{\mathrm{data}} - \log p_g", "h = log p_data − log p_g"),
                ", never ",
                MINUS_INFINITY,
                " by rounding; a term whose density is 0 counts 0), and from ",
                LOG4_MINUS_2JSD,
                *_clip_note(L_OPT_M, raw_loss, LOG4, loss_clipped),
                ":",
            ),
            value=[loss, LOG4 - 2 * jsd],
        ),
    ]
    integration_error = float(loss_integral.error + 2 * jsd_integral.error)
    check = Check(
        name=(IDENTITY,),
        method=(
            L_OPT_M,
            " and ",
            JSD_M,
            " by two separate tanh-sinh quadratures (scipy.integrate.tanhsinh's algorithm, computed in NumPy) of "
            "different integrands",
        ),
        computed=raw_loss,
        reference=LOG4 - 2 * raw_jsd,
        error=abs(raw_loss - (LOG4 - 2 * raw_jsd)),
        tolerance=allowance,
        detail=(
            "absolute error, between the two quadratures as computed (before any clipping into range); tolerance "
            "the larger of ",
            IDENTITY_FLOOR,
            " and ten times the quadratures' error estimates",
        ),
    )
    normalisation_checks = []
    for name, distribution, side in ((P_DATA, data, "data"), (P_G, gen, "gen")):
        integral = integrate_density(data, gen, side)
        normalisation_checks.append(
            Check(
                name=(m(rf"\int {name.latex} = 1", f"∫ {name.text} = 1"), " over the quadrature pieces"),
                method=(
                    "tanh-sinh quadrature of the density of ",
                    *describe(distribution),
                    " (the exponential of its log-density): the pieces cover its support",
                ),
                computed=float(integral.value),
                reference=1.0,
                error=abs(float(integral.value) - 1.0),
                tolerance=max(NORMALISATION_FLOOR, 10 * float(integral.error)),
                detail=(
                    "absolute error; tolerance the larger of ",
                    NORMALISATION_FLOOR,
                    " and ten times the quadrature's error estimate",
                ),
            )
        )
    warnings = []
    if not (loss_integral.converged and jsd_integral.converged):
        warnings.append(
            Notice("Tanh-sinh quadrature did not converge on every piece; the error estimates say how far off.")
        )
    return OptimumValue(
        loss, jsd, check, steps, normalisation_checks, {"integration_error": integration_error}, warnings
    )


KAPPA_INTEGRAND = m(
    r"m \left(\log 2 + D^* \log D^* + (1 - D^*) \log(1 - D^*)\right)"
    r" = m\,\mathrm{KL}(\mathrm{Bernoulli}(D^*) \,\|\, \mathrm{Bernoulli}(\tfrac{1}{2}))",
    "m·(log 2 + D*·log D* + (1 − D*)·log(1 − D*)) = m·KL(Bernoulli(D*) ‖ Bernoulli(½))",
)
KAPPA_NEAR = m(
    r"\tfrac{1}{2}\left(t h + \log(1 - t^2)\right),\ t = \tanh(h/2)",
    "½(t·h + log(1 − t²)), t = tanh(h/2)",
)


def _into_range(value: float, upper: float, allowance: float) -> tuple[float, bool]:
    """``value`` clipped into [0, upper] when rounding put it outside by at most ``allowance``; else unchanged."""
    if -allowance <= value < 0:
        return 0.0, True
    if upper < value <= upper + allowance:
        return upper, True
    return value, False


def _clip_note(name: Math, raw: float, bound: float, clipped: bool) -> Prose:
    """A parenthesis saying that a value was clipped into its range, and by how much; nothing when it was not."""
    if not clipped:
        return ()
    upper = m(r"\log 2", "log 2") if bound == LOG2 else m(r"\log 4", "log 4")
    above = raw > bound
    end = upper if above else 0
    return (
        " (the computed ",
        name,
        " was ",
        "above " if above else "below ",
        end,
        " by ",
        Approx(raw - bound if above else -raw, 2),
        ", outside its range ",
        m(rf"[0, {upper.latex}]", f"[0, {upper.text}]"),
        " by less than the rounding the computation allows, as ",
        m(r"\int m = 1", "∫ m = 1"),
        " only to rounding: ",
        end,
        " is shown)",
    )


def _point_check(values: list[PointValue]) -> Check | None:
    compared = [v for v in values if v.d_star is not None]
    if not compared:
        return None
    return Check(
        name=(D_STAR_X, " in float64 against the exact ratio"),
        method=(EXACT_RATIO, " in exact arithmetic (SymPy), evaluated to ", EXACT_DIGITS, " digits"),
        computed=[v.d_star for v in compared],
        reference=[v.reference for v in compared],
        error=float(max(abs(v.d_star - v.reference) for v in compared)),
        tolerance=float(max(v.bound for v in compared)),
        detail=(
            "maximum absolute error over the points; tolerance ",
            m(r"10^{-14} + \delta\,\sigma'(\lvert h \rvert - \delta)", "1e-14 + δ·σ′(|h| − δ)"),
            " at the point where it is largest, where ",
            m(
                r"\delta = 16\varepsilon \max(1, \lvert h \rvert, \lvert\log p_{\mathrm{data}}\rvert,"
                r" \lvert\log p_g\rvert)",
                "δ = 16ε·max(1, |h|, |log p_data|, |log p_g|)",
            ),
            " bounds the rounding of the log-ratio ",
            m("h", "h"),
        ),
    )


LOSS_INCREASE = m(r"\mathcal{L}(D) - \mathcal{L}(D^*)", "L(D) − L(D*)")


def _perturbation_step(data: Distribution, gen: Distribution, seed: int) -> tuple[Step, Check, float]:
    perturbations, increases, errors = perturbation_increases(data, gen, seed)
    smallest = int(np.argmin(increases))
    min_increase = float(increases[smallest])
    ratio = float(np.max(errors)) / min_increase if min_increase > 0 else math.inf
    how = "summed over the categories" if data.discrete else "integrated directly"
    total_latex, total_text = (r"\sum_k", "Σ_k") if data.discrete else (r"\int", "∫")
    step = Step(
        ("Verification: perturb ", D_STAR_M),
        (
            perturbations.count,
            " random bounded perturbations ",
            m(r"D = D^* + t\eta", "D = D* + t·η"),
            " with ",
            m(r"\eta = u - D^*", "η = u − D*"),
            ", that is ",
            m(r"D = (1 - t) D^* + t u", "D = (1 − t)·D* + t·u"),
            ", where ",
            m(r"u = \sigma(\psi)", "u = σ(ψ)"),
            " is a random smooth discriminator (",
            m(r"\psi", "ψ"),
            " a sum of ",
            PERTURBATION_MODES,
            " random cosines, within ",
            m(r"\pm 3", "±3"),
            ", drawn by NumPy's random generator from random state ",
            seed,
            ") and ",
            T,
            " is one of ",
            *_listing(PERTURBATION_AMPLITUDES),
            ": ",
            m(r"\lvert D - D^* \rvert < t", "|D − D*| < t"),
            ", and ",
            D,
            " stays inside ",
            UNIT_INTERVAL,
            " without clipping, even where ",
            D_STAR_M,
            " is 0 or 1. ",
            LOSS_INCREASE,
            f" is {how}, as ",
            m(
                total_latex + r" p_{\mathrm{data}} (\log D^* - \log D) + p_g (\log(1 - D^*) - \log(1 - D))",
                f"{total_text} p_data·(log D* − log D) + p_g·(log(1 − D*) − log(1 − D))",
            ),
            ". The smallest increase, at ",
            T,
            " = ",
            float(perturbations.amplitudes[smallest]),
            ":",
        ),
        value=min_increase,
    )
    error_kind = "float64 summation error" if data.discrete else "quadrature error estimate"
    check = Check(
        name=(m(r"\mathcal{L}(D^* + \text{perturbation}) > \mathcal{L}(D^*)", "L(D* + perturbation) > L(D*)"),),
        method=("the smallest of ", perturbations.count, " increases ", LOSS_INCREASE, ", against the ", error_kind),
        computed=min_increase,
        reference=0.0,
        error=ratio,
        tolerance=1.0 / PERTURBATION_MARGIN,
        detail=(
            f"largest {error_kind} divided by the smallest increase (at most ",
            1.0 / PERTURBATION_MARGIN,
            ": positive beyond doubt); the increases range from ",
            Approx(float(increases.min()), 3),
            " to ",
            Approx(float(increases.max()), 3),
        ),
    )
    return step, check, min_increase


D_FIT = m(r"D_{\mathrm{fit}}", "D_fit")


def _family_prose(fitted: FittedDiscriminator) -> Prose:
    """The fitted family in words and mathematics (``fitted.family`` is the same in plain text, for the result)."""
    if len(fitted.edges) == 0:
        return ("one logit per category",)
    return (
        m(r"\sigma(f)", "σ(f)"),
        ", with ",
        m("f", "f"),
        " a Chebyshev polynomial of degree ",
        fitted.degree,
        " on each of ",
        len(fitted.edges) - 1,
        " pieces",
    )


def _fit_step(data: Distribution, gen: Distribution) -> tuple[Step, Check, FittedDiscriminator, float]:
    fitted = fit_discriminator(data, gen)
    fit_error, worst_x = max_fit_error(data, gen, fitted)
    grid_size = len(fit_grid(data, gen, fitted))
    family = _family_prose(fitted)
    if data.discrete:
        how: Prose = ("the expected loss ", L_M, ", an exact weighted sum over the categories")
        contains: Prose = ("One free logit per category contains ", D_STAR_M, " exactly.")
        grid_text: Prose = ("every category (", grid_size, ")")
        definition: Prose = (" with ", *family)
    else:
        how = (
            "the expected loss ",
            L_M,
            " computed by Gauss–Legendre quadrature (",
            FIT_NODES,
            " nodes a piece), each piece's share normalised by its mass",
        )
        contains = (
            (
                "This family contains ",
                D_STAR_M,
                " (the optimal logit is a polynomial of degree at most 2 on each piece), so the fit should recover it.",
            )
            if fitted.contains_optimum
            else (
                "A mixture's optimal logit is a log-sum-exp, not a polynomial: the fit approximates it, on pieces "
                "halved where the last two coefficients of a fitted polynomial could still move ",
                D,
                " by more than ",
                FIT_TAIL,
                " (a criterion that reads the fit alone).",
            )
        )
        grid_text = (grid_size, " points inside the pieces, within the bulk of either distribution")
        definition = (" = ", *family)
    max_error = m(r"\max \lvert D_{\mathrm{fit}} - D^* \rvert", "max |D_fit − D*|")
    step = Step(
        "Verification: fit a discriminator",
        (
            "A discriminator ",
            D_FIT,
            *definition,
            ", fitted by Newton's method (the exact gradient and Hessian, a backtracking line search, stopped when "
            "the gradient's norm is at most ",
            FIT_GTOL_CATEGORICAL if data.discrete else FIT_GTOL,
            "; the loss is convex in the coefficients) to ",
            *how,
            ": deterministic, no sampling noise. ",
            *contains,
            " The largest error ",
            max_error,
            " over ",
            *grid_text,
            ":",
        ),
        value=fit_error,
    )
    where: Prose = (" (worst at ", X, " = ", Approx(worst_x, 6), ")") if math.isfinite(worst_x) else ()
    check = Check(
        name=("fitted discriminator approaches ", D_STAR_M),
        method=(*family, ", fitted by minimising the expected loss, against ", SIGMA_LOG_RATIO),
        computed=fit_error,
        reference=0.0,
        error=fit_error,
        tolerance=FIT_TOLERANCE_EXACT if fitted.contains_optimum else FIT_TOLERANCE_MIXTURE,
        detail=(
            max_error,
            " over ",
            *grid_text,
            *where,
            "; tolerance ",
            *(
                (FIT_TOLERANCE_EXACT, ": the family contains ", D_STAR_M)
                if fitted.contains_optimum
                else (FIT_TOLERANCE_MIXTURE, ": the family's approximation error")
            ),
        ),
    )
    return step, check, fitted, fit_error


def _monte_carlo_check(data: Distribution, gen: Distribution, samples: int, seed: int, reference: float) -> Check:
    """The sample mean of L(D*)'s terms against log 4 − 2·JSD, in units of (standard error + 1/N).

    A region of probability below ~1/N can go unsampled (nearly disjoint distributions put part of L there), and
    then the sample variance cannot see it either; the 1/N, one sample's worth of an O(1) term, covers it, as the
    +1 on counts does in flow-density's Monte Carlo check.
    """
    estimate, standard_error = monte_carlo_loss(data, gen, samples, seed)
    return Check(
        name=("Monte Carlo: ", L_OPT_M, " from ", samples, " samples of each distribution"),
        method=(
            m(r"-\operatorname{mean} \log D^*(x)", "−mean log D*(x)"),
            " over ",
            m(r"x \sim p_{\mathrm{data}}", "x ~ p_data"),
            ", plus ",
            m(r"-\operatorname{mean} \log(1 - D^*(x))", "−mean log(1 − D*(x))"),
            " over ",
            m(r"x \sim p_g", "x ~ p_g"),
            " (NumPy's random generator, random state ",
            seed,
            "), against ",
            LOG4_MINUS_2JSD,
        ),
        computed=estimate,
        reference=reference,
        error=float(abs(estimate - reference) / (standard_error + 1.0 / samples)),
        tolerance=MC_Z_LIMIT,
        detail=(
            m(
                r"\lvert \text{estimate} - \text{reference} \rvert / (\text{standard error} + 1/N)",
                "|estimate − reference| / (standard error + 1/N)",
            ),
            "; standard error ",
            Approx(standard_error, 3),
        ),
    )


# Problem 3 as the assignment states it, with its equations (1) and (2).
QUESTION: Prose = (
    "In class, we covered that the optimal discriminator satisfies the following condition\n",
    m(
        r"D_G^*(\mathbf{x}) = \frac{p_{\mathrm{data}}(\mathbf{x})}{p_{\mathrm{data}}(\mathbf{x}) + p_g(\mathbf{x})}",
        "D_G*(x) = p_data(x)/(p_data(x) + p_g(x))",
    ),
    "   (1)\nfor arbitrary values of ",
    m(r"\mathbf{x}", "x"),
    ". In this problem, you will prove the optimality of this discriminator. To be more specific, for a fixed "
    "generator ",
    m(r"\theta", "θ"),
    ", show that ",
    m(r"D_\phi^*(\mathbf{x})", "D_φ*(x)"),
    " minimizes the following loss function:\n",
    m(
        r"\mathcal{L}(\phi; \theta) = -\mathbb{E}_{\mathbf{x} \sim p_{\mathrm{data}}}[\log D_\phi(\mathbf{x})]"
        r" - \mathbb{E}_{\mathbf{x} \sim p_\theta(\mathbf{x})}[\log(1 - D_\phi(\mathbf{x}))]",
        "L(φ; θ) = −E_{x∼p_data}[log D_φ(x)] − E_{x∼p_θ(x)}[log(1 − D_φ(x))]",
    ),
    "   (2)",
)


def gan_optimal(
    data: Distribution,
    gen: Distribution,
    points: Sequence[Fraction] | None = None,
    samples: int = 100_000,
    seed: int = 0,
) -> Derivation:
    """Prove that D* = p_data/(p_data + p_g) minimises L, and compute and verify D*, JSD and L(D*) for two distributions."""
    check_compatible(data, gen)
    warnings: list[Notice] = []
    if not points:
        points = default_points(data, gen)
        if data.discrete and max(data.size, gen.size) > len(points):
            warnings.append(
                Notice(
                    (
                        D_STAR_M,
                        " is listed at the first ",
                        len(points),
                        " of ",
                        max(data.size, gen.size),
                        " categories only; choose the points ",
                        X,
                        " to list others.",
                    ),
                    key="d_star",
                )
            )
    check_points(points, data, gen)
    if samples < 0:
        raise InputError("the number of Monte Carlo samples must be 0 or more", "--samples")

    values = point_values(data, gen, points)
    steps = [_densities_step(data, gen), *proof_steps(data.discrete), *_optimal_discriminator_steps(data, gen, values)]
    optimum = _optimum_value_discrete(data, gen) if data.discrete else _optimum_value_continuous(data, gen)
    steps.extend(optimum.steps)
    warnings.extend(optimum.warnings)
    checks = [*optimum.checks, optimum.identity_check]
    point_check = _point_check(values)
    if point_check is not None:
        checks.append(point_check)

    perturbation_step, perturbation_check, min_increase = _perturbation_step(data, gen, seed)
    fit_step, fit_check, fitted, fit_error = _fit_step(data, gen)
    steps.extend([perturbation_step, fit_step])
    checks.extend([perturbation_check, fit_check])
    if samples:
        checks.append(_monte_carlo_check(data, gen, samples, seed, optimum.log4_minus_2jsd))

    result = {
        "points": [format_fraction(v.x) for v in values],
        "d_star": [v.d_star for v in values],
        "d_star_exact": [sympy.sstr(v.exact) if v.exact is not None else "undefined" for v in values],
        "jsd": optimum.jsd,
        "loss_at_optimum": optimum.loss_at_optimum,
        "log4_minus_2jsd": optimum.log4_minus_2jsd,
        "identity_error": optimum.identity_check.error,
        **optimum.result,
        "min_perturbation_increase": min_increase,
        "max_fit_error": fit_error,
        "fit_family": fitted.family,
    }
    if samples:
        result["loss_monte_carlo"] = checks[-1].computed
    result["checks_passed"] = all(c.passed for c in checks)
    answer = (
        "For a fixed generator, ",
        m(r"D^* = \frac{p_{\mathrm{data}}}{p_{\mathrm{data}} + p_g}", "D* = p_data/(p_data + p_g)"),
        " minimises ",
        L_M,
        " pointwise, with ",
        IDENTITY,
        "; for ",
        *_both_named(data, gen),
        ", ",
        JSD_M,
        " = ",
        optimum.jsd,
        " and ",
        L_OPT_M,
        " = ",
        optimum.loss_at_optimum,
        ".",
    )
    return Derivation(
        command=COMMAND,
        title=(
            "The optimal discriminator: ",
            m(r"D^* = \frac{p_{\mathrm{data}}}{p_{\mathrm{data}} + p_g}", "D* = p_data/(p_data + p_g)"),
            " minimises ",
            L_M,
            ", and ",
            IDENTITY,
        ),
        inputs={
            "data": str(data),
            "gen": str(gen),
            "x": [format_fraction(p) for p in points],
            "samples": samples,
            "seed": seed,
        },
        steps=steps,
        result=result,
        checks=checks,
        warnings=warnings,
        question=QUESTION,
        answer=answer,
    )
