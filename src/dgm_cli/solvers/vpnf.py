"""Volume-preserving flows are not universal: the counterexample and its Pinsker bounds (Problem 2).

The target is the assignment's "pyramid frustum" density, normalised: p = g(‖x‖∞)/Z with
g = 0.9 on B = [−½, ½]² and a linear ramp 0.9 − k(‖x‖∞ − ½) down to 0 at
‖x‖∞ = ½ + 0.9/k. A flow with constant |det ∂f/∂z| = c and latent N(0, I₂) has
p_θ(x) = N(f⁻¹(x))/c, so its upper level sets are images of discs whose area is
bounded whatever θ and c are; on the plateau B it must fall short of p by ε on
most of B, and Pinsker's inequality KL ≥ 2δ² (δ = sup_E |P(E) − Q(E)|) turns that
into a lower bound on KL(p‖p_θ) that does not depend on θ.

Closed forms are derived with SymPy; each is checked by an independent route:
Gauss–Legendre quadrature of the density exactly as the assignment writes it (case by case,
first match wins), Monte Carlo through a concrete flow, Brent's bounded minimisation, and mpmath.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
import sympy

from dgm_cli.cache import disk_cached
from dgm_cli.derivation import Approx, Check, Derivation, Math, Notice, Step, Table, m, prose
from dgm_cli.errors import InputError
from dgm_cli.solvers.numerics import log_standard_normal
from dgm_cli.solvers.symbolic import Label, equation, to_sympy
from dgm_cli.solvers.vpnf_limits import check_parameters

COMMAND = "vpnf-bound"

PLATEAU_AS_WRITTEN = sympy.Rational(9, 10)  # the assignment's 0.9
HALF_SIDE = sympy.Rational(1, 2)  # B = [−½, ½]², so vol(B) = 1

# Tolerances, each with the reason for its size.
# Gauss–Legendre over the pieces where the density is a polynomial of degree ≤ 1 (times ‖x‖² at most) is exact up
# to rounding; 1e-10 leaves room for the summation of ~10⁴ nodes.
QUAD_RTOL = 1e-10
# p·log(p/q) has a logarithmic singularity in its derivative where p falls to 0 at the edge of the support; the
# panels graded toward that edge reach ~1e-15, and adaptive quad, before them, ~1e-9.
KL_QUAD_TOL = 1e-8
# δ = ∫(p − q)₊: the inner integral in y is closed-form (normal CDF differences) and the outer one in x is
# smooth between the break points where p = q meets y = 0 or y = x, so Gauss–Legendre reaches ~1e-15 there.
# δ is printed in full (tv_gaussian), so its rule is refined 100× past this, to ~1e-15 or to rounding, where it
# agrees with 30-digit mpmath to ~1e-16 as quad's did; its estimate counts against the inequalities that use it.
TV_QUAD_TOL = 1e-13
# The quadrature rules (see integrate_over_support): nodes per panel, exact for polynomials of degree 15; the
# panels graded toward the edge of the support, the last one 2⁻²⁰ of its piece; at most this many refinements
# when a rule's error estimate exceeds its tolerance; the rounds of halving of the adaptive rule in one variable.
GAUSS_NODES = 8
EDGE_GRADING_LEVELS = 20
QUAD_REFINEMENTS = 2
ADAPTIVE_MAX_ROUNDS = 100
QUAD_CHUNK_NODES = 2**18  # the most nodes of the double rule evaluated in one call (a few MB per array)
# A Monte Carlo estimate this many standard errors away from the closed form fails.
MC_Z_LIMIT = 4.0
MC_SAMPLES = 200_000
MC_SEED = 0
# Brent's bounded method locates a smooth maximum to ~sqrt(machine ε) relative to the interval
# (so 1e-6·h leaves a wide margin); the maximum value itself is second-order in that error.
OPTIMIZER_ARG_TOL = 1e-6
OPTIMIZER_VALUE_RTOL = 1e-10
BRENT_MAX_EVALUATIONS = 500  # scipy.optimize.minimize_scalar's default for method="bounded"
# The smallest k accepted: below it the support's half-side 0.5 + 0.9/k, mass(k) ≈ 0.97/k² and
# E_p‖x‖² ≈ 0.9/k² leave the range where the float64 quadrature checks can integrate them.
# Monte Carlo counts A only where float64 resolves it: c within this range keeps the flow's matrix
# (entries ~√c), its inverse and the sampling box far from overflow and underflow; r² below
# MC_MIN_R_SQUARED is lost in the rounding of log p_θ ≥ log τ (|log(2πcτ)| ~ 1, rounded at 1e-16).
MC_C_RANGE = (sympy.Rational(1, 10**200), sympy.Integer(10) ** 200)
MC_MIN_R_SQUARED = 1e-8
# Outside those, the area of the flow's ellipse with mpmath at 50 digits (plus those r² cancels): the
# logarithms agree to ~1e-48.
ELLIPSE_DIGITS = 50
ELLIPSE_EXTRA_DIGITS = 2000  # at most this many more, for r² as small as 1e-2000 (ε just past the c = 1 kink)
ELLIPSE_LOG_TOL = 1e-40
# Below this σ² the quadrature check of KL(p‖N(0, σ²I)) multiplies both sides by σ² (E‖x‖²/(2σ²)
# would leave float64 near σ² = 1e-308).
KL_SCALE_BELOW = sympy.Rational(1, 10**100)
# The most digits SymPy may use to settle a value (see _evaluate: 40, 80, …, 2560): a log within 1e-2500 of 0 needs
# that many; the parser's 400-digit numbers cannot come closer to a tie than ~1e-800.
EVALUATION_MAX_DIGITS = 5000
# An inequality check fails only when it is violated by more than rounding.
INEQUALITY_SLACK = 1e-12

# The concrete flow used to count A by Monte Carlo: z ↦ R(φ)·diag(a, c/a)·z, whose |det| is c
# but which is neither isotropic nor axis-aligned (a = ANISOTROPY·√c).
MC_FLOW_ANGLE = 0.6
MC_FLOW_ANISOTROPY = 1.5


# --------------------------------------------------------------------------- labels

DENSITY = Label("p(x, y)", "p(x, y)")
MASS = Label("mass(k)", r"\operatorname{mass}(k)")
K_NORMALIZING = Label("k*", "k^{*}")
FLOW_DENSITY = Label("p_θ(x)", r"p_\theta(x)")
R_SQUARED = Label("r²", "r^2")
VOLUME_A = Label("vol(A)", r"\operatorname{vol}(A)")
VOLUME_A_UPPER = Label("max_c vol(A)", r"\max_c \operatorname{vol}(A)")
BEST_EPS = Label("ε_best", r"\varepsilon_{\mathrm{best}}")
KL_GAUSSIAN = Label("KL(p‖N(0, σ²I))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, \sigma^2 I))")
H, EPS, C, TAU, SIGMA2 = (
    Label("h", "h"),
    Label("ε", r"\varepsilon"),
    Label("c", "c"),
    Label("τ", r"\tau"),
    Label("σ²", r"\sigma^2"),
)
DELTA = Label("δ", r"\delta")
KL = Label("KL(p‖p_θ)", r"D_{\mathrm{KL}}(p \,\|\, p_\theta)")
GAP_B = Label("P(B) − P_θ(B)", r"P(B) - P_\theta(B)")
GAP_A_BAR = Label("P(Ā) − P_θ(Ā)", r"P(\bar A) - P_\theta(\bar A)")
NEG_ENTROPY = Label("∫ p log p", r"\int p \log p")


# --------------------------------------------------------------------------- symbolic derivations


@dataclass(frozen=True)
class ProfileFormulas:
    """The counterexample written through its ∞-norm profile, with k symbolic.

    p(x, y) = g(t) at t = max(|x|, |y|); the square {‖x‖∞ ≤ t} has area 4t², so
    ∫ φ(‖x‖∞) dA = ∫ φ(t)·8t dt, and ∫_{‖x‖∞ ≤ t} (x² + y²) dA = 8t⁴/3.
    """

    k: sympy.Symbol
    t: sympy.Symbol
    profile: sympy.Expr  # g(t) as a Piecewise
    ramp_end: sympy.Expr  # ½ + 0.9/k, where the ramp reaches 0
    area_element: sympy.Expr  # d/dt vol{‖x‖∞ ≤ t} = 8t
    moment_element: sympy.Expr  # d/dt ∫_{‖x‖∞ ≤ t} ‖x‖² = 32t³/3
    mass: sympy.Expr  # ∫ g dA
    second_moment_unnormalized: sympy.Expr  # ∫ ‖x‖² g dA
    g_log_g: sympy.Expr  # ∫ g log g dA
    k_normalizing: sympy.Expr  # the positive root of mass(k) = 1
    second_moment: sympy.Expr  # E_p‖x‖² of the normalised density, a rational function of k
    neg_entropy_correction: sympy.Expr  # R(k) in ∫ (g/Z) log(g/Z) dA = log h + R(k)/mass(k)


def _integrate_polynomial(expr: sympy.Expr, var: sympy.Symbol, low: sympy.Expr, high: sympy.Expr) -> sympy.Expr:
    """∫ from low to high of a polynomial in var (coefficients may hold k): Poly's exact antiderivative, 50× faster than integrate."""
    antiderivative = sympy.Poly(sympy.expand(expr), var).integrate().as_expr()
    return antiderivative.subs(var, high) - antiderivative.subs(var, low)


def _integrate_polynomial_times_log(expr: sympy.Expr, u: sympy.Symbol, high: sympy.Expr) -> sympy.Expr:
    """∫₀^high P(u)·log u du, by parts: with Q(u) = ∫₀ᵘ P (so Q(0) = 0 and Q(u) log u → 0 as u → 0⁺),
    it is Q(high)·log(high) − ∫₀^high Q(u)/u du, and Q(u)/u is a polynomial."""
    antiderivative = sympy.Poly(sympy.expand(expr), u).integrate()  # no constant term: Q(0) = 0
    quotient, remainder = antiderivative.div(sympy.Poly(u, u))
    if not remainder.is_zero:
        raise RuntimeError("Q(u)/u is not a polynomial")
    return antiderivative.as_expr().subs(u, high) * sympy.log(high) - _integrate_polynomial(
        quotient.as_expr(), u, 0, high
    )


@disk_cached
def profile_formulas() -> ProfileFormulas:
    """Derive mass(k), ∫‖x‖²g and ∫g log g in closed form (once per process)."""
    k = sympy.Symbol("k", positive=True)
    t = sympy.Symbol("t", nonnegative=True)
    s = sympy.Symbol("s", real=True)
    u = sympy.Symbol("u", positive=True)
    ramp_end = HALF_SIDE + PLATEAU_AS_WRITTEN / k
    ramp = PLATEAU_AS_WRITTEN - k * (t - HALF_SIDE)
    profile = sympy.Piecewise((PLATEAU_AS_WRITTEN, t <= HALF_SIDE), (ramp, t <= ramp_end), (0, True))

    # Area and second moment of the square of half-side t, differentiated in t:
    # ∫∫ (x² + y²) over [−t, t]² = 2·(2t)·∫ s² ds.
    side = 2 * t
    square_area = side**2
    square_moment = 2 * side * _integrate_polynomial(s**2, s, -t, t)
    area_element = sympy.diff(square_area, t)
    moment_element = sympy.diff(square_moment, t)

    def over_support(weight: sympy.Expr) -> sympy.Expr:
        plateau_part = _integrate_polynomial(PLATEAU_AS_WRITTEN * weight, t, 0, HALF_SIDE)
        ramp_part = _integrate_polynomial(ramp * weight, t, HALF_SIDE, ramp_end)
        return sympy.expand(plateau_part + ramp_part)

    mass = over_support(area_element)
    second_moment = over_support(moment_element)

    # ∫ g log g dA: on the ramp substitute u = g (t = ½ + (0.9 − u)/k, dt = −du/k, u from 0.9 down to 0).
    t_of_u = HALF_SIDE + (PLATEAU_AS_WRITTEN - u) / k
    ramp_g_log_g = _integrate_polynomial_times_log(u * area_element.subs(t, t_of_u) / k, u, PLATEAU_AS_WRITTEN)
    plateau_g_log_g = PLATEAU_AS_WRITTEN * sympy.log(PLATEAU_AS_WRITTEN) * square_area.subs(t, HALF_SIDE)
    g_log_g = sympy.expand(plateau_g_log_g + ramp_g_log_g)

    # mass(k) = 1 is a quadratic in k once multiplied by k² (sympy.roots is far faster than solve).
    quadratic = sympy.Poly(sympy.numer(sympy.together(mass - 1)), k)
    roots = [r for r in sympy.roots(quadratic) if r.is_positive]
    if len(roots) != 1:  # mass is strictly decreasing in k from ∞ to 0.9: exactly one root
        raise RuntimeError(f"expected one positive normalising k, found {roots}")
    # ∫ (g/Z) log(g/Z) = ∫ g log g / Z − log Z, and log 0.9 − log Z = log h: what is left over is R(k)/Z.
    correction = sympy.factor(
        sympy.expand(sympy.expand_log(g_log_g - mass * sympy.log(PLATEAU_AS_WRITTEN), force=True))
    )
    return ProfileFormulas(
        k,
        t,
        profile,
        ramp_end,
        area_element,
        moment_element,
        mass,
        second_moment,
        g_log_g,
        sympy.radsimp(roots[0]),
        sympy.cancel(second_moment / mass),
        correction,
    )


@dataclass(frozen=True)
class LevelSetFormulas:
    """Part (b) with c and the threshold τ = h − ε symbolic: C = f⁻¹(A) is a disc of radius r."""

    c: sympy.Symbol
    tau: sympy.Symbol
    flow_density_at_radius: sympy.Expr  # N(z)/c as a function of ρ² = ‖z‖²
    rho_squared: sympy.Symbol
    r_squared: sympy.Expr  # 2 log(1/(2π c τ))
    volume_C: sympy.Expr  # π r²
    volume_A: sympy.Expr  # c π r²
    c_maximizing: sympy.Expr  # 1/(2π e τ)
    volume_A_upper_bound: sympy.Expr  # 1/(e τ)
    volume_C_upper_bound: sympy.Expr  # 1/(e c τ), from log u ≤ u/e


@disk_cached
def level_set_formulas() -> LevelSetFormulas:
    """Solve N(z)/c = τ for ‖z‖², then maximise vol(A) = c·π·r² over c (once per process)."""
    c, tau, rho_squared = sympy.symbols("c tau rho2", positive=True)
    flow_density = sympy.exp(-rho_squared / 2) / (2 * sympy.pi) / c
    # Taking logs makes N(z)/c = τ linear in ρ² = ‖z‖².
    (solution,) = sympy.solveset(sympy.expand_log(sympy.log(flow_density) - sympy.log(tau), force=True), rho_squared)
    r_squared = 2 * sympy.log(1 / (2 * sympy.pi * c * tau))
    if sympy.expand_log(solution - r_squared, force=True) != 0:
        raise RuntimeError(f"SymPy's radius {solution} differs from the stated form {r_squared}")
    volume_C = sympy.pi * r_squared
    volume_A = c * volume_C  # |det ∂f/∂z| = c everywhere, so vol(f(C)) = c·vol(C)
    stationary = sympy.solveset(
        sympy.expand_log(sympy.diff(volume_A, c), force=True), c, sympy.Interval.open(0, sympy.oo)
    )
    (c_maximizing,) = stationary
    # vol(A) is concave in c (second derivative −2π/c < 0), so the stationary point is the maximum.
    if not sympy.diff(volume_A, c, 2).is_negative:
        raise RuntimeError("vol(A) is not concave in c")
    upper = volume_A.subs(c, c_maximizing)
    # The simple bound on vol(C): log u ≤ u/e for u > 0 (the tangent of the concave log at u = e), since
    # u/e − log u is convex with its only stationary point at u = e, where it is 0. With u = 1/(2πcτ):
    # vol(C) = 2π log u ≤ 2πu/e = 1/(ecτ), and c·vol(C) ≤ 1/(eτ), the maximum over c found above.
    u = sympy.Symbol("u", positive=True)
    gap = u / sympy.E - sympy.log(u)
    (touching,) = sympy.solveset(sympy.diff(gap, u), u, sympy.Interval.open(0, sympy.oo))
    if touching != sympy.E or gap.subs(u, touching) != 0 or not sympy.diff(gap, u, 2).is_positive:
        raise RuntimeError("log u ≤ u/e does not hold as stated")
    volume_C_upper = sympy.simplify(2 * sympy.pi * (1 / (2 * sympy.pi * c * tau)) / sympy.E)
    if sympy.simplify(c * volume_C_upper - upper) != 0:
        raise RuntimeError("c times the bound on vol(C) is not the maximum of vol(A)")
    return LevelSetFormulas(
        c, tau, flow_density, rho_squared, r_squared, volume_C, volume_A, c_maximizing, upper, volume_C_upper
    )


@dataclass(frozen=True)
class BestEpsFormulas:
    """The ε that maximises δ(ε) = ε·(1 − 1/(e(h − ε))), with h symbolic."""

    h: sympy.Symbol
    eps: sympy.Symbol
    tv_bound: sympy.Expr
    best_eps: sympy.Expr  # h − √(h/e)
    best_tv: sympy.Expr  # (√(e h) − 1)²/e


@disk_cached
def best_eps_formulas() -> BestEpsFormulas:
    h, eps = sympy.symbols("h epsilon", positive=True)
    tv_bound = eps * (1 - 1 / (sympy.E * (h - eps)))
    # dδ/dε = 0 is a quadratic in ε once the denominator is cleared; its roots are h ∓ √(h/e),
    # and only the first lies in (0, h).
    stationary = sympy.Poly(sympy.numer(sympy.together(sympy.diff(tv_bound, eps))), eps)
    (best,) = [r for r in sympy.roots(stationary) if (r - h).could_extract_minus_sign()]
    value = tv_bound.subs(eps, best)
    readable = (sympy.sqrt(sympy.E * h) - 1) ** 2 / sympy.E  # the same value, as the text states it
    if (
        sympy.expand(sympy.powsimp(sympy.expand(value - readable), force=True)) != 0
        and sympy.simplify(value - readable) != 0
    ):
        raise RuntimeError(f"the best bound {value} differs from {readable}")
    return BestEpsFormulas(h, eps, tv_bound, sympy.expand(best), readable)


# --------------------------------------------------------------------------- the density, numerically


def density_as_written_grid(x: np.ndarray, y: np.ndarray, k: float, ramp_end: float) -> np.ndarray:
    """The assignment's four cases in order, first match wins, with the ramp ending at ½ + 0.9/k (unnormalised), on
    arrays."""
    ax, ay = np.abs(x), np.abs(y)
    case_plateau = (ax <= 0.5) & (ay <= 0.5)
    case_x = (ax >= 0.5) & (ax <= ramp_end) & (ay <= ax)
    case_y = (ay >= 0.5) & (ay <= ramp_end) & (ax <= ay)
    with np.errstate(invalid="ignore", over="ignore"):  # k = ∞ makes ∞·0 in branches that np.select then discards
        ramps = [0.9 - k * (ax - 0.5), 0.9 - k * (ay - 0.5)]
    return np.select([case_plateau, case_x, case_y], [0.9, *ramps], 0.0)


# --------------------------------------------------------------------------- quadrature on the pieces
#
# The checks integrate the density exactly as the assignment writes it. It is a polynomial on each piece cut out by
# |x| = ½, |y| = ½ and |y| = |x| (and 0 beyond ‖x‖∞ = L): the break points scipy.integrate.quad was given before.
# Fixed Gauss–Legendre rules on those pieces, every node evaluated in one NumPy call, replace quad, whose import
# (scipy.integrate pulls scipy.special, scipy.optimize, scipy.sparse.linalg: ≈ 0.4 s) cost more than the rest of the
# command, and whose nesting made ~10⁵ Python callbacks. Each rule is compared with the same rule on its panels halved:
# the difference is its error estimate, and a rule whose estimate exceeds the tolerance is refined.


@lru_cache(maxsize=32)
def _panel_rule(nodes: int, levels: int, halved: bool) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [0, 1]: ``nodes`` per panel, on one panel (``levels`` = 0) or on panels
    graded toward 1 with edges 1 − 2⁻ʲ, j = 0, …, levels; with ``halved`` every panel is split in two."""
    from numpy.polynomial.legendre import leggauss

    edges = np.array([0.0, 1.0]) if levels == 0 else np.append(1.0 - 0.5 ** np.arange(levels + 1), 1.0)
    if halved:
        edges = np.sort(np.concatenate([edges, (edges[:-1] + edges[1:]) / 2]))
    reference, weights = leggauss(nodes)
    widths = np.diff(edges)
    points = edges[:-1, None] + widths[:, None] * (reference + 1.0) / 2.0
    return points.ravel(), (widths[:, None] * weights / 2.0).ravel()


def _quadrant_rule(integrand, ramp_end: float, nodes: int, levels: int, halved: bool) -> float:
    """∫∫ integrand over [0, L]² (L = ramp_end): iterated Gauss–Legendre on the pieces where the density is a
    polynomial.

    x ∈ [0, ½] with y ∈ [0, x], [x, ½], [½, L]; x ∈ [½, L] with y ∈ [0, ½], [½, x], [x, L]. The pieces that end at
    ‖x‖∞ = L, where the density falls to 0, are graded toward L (``levels``): p·log p has an infinite slope there.
    """
    smooth = _panel_rule(nodes, 0, halved)
    toward_edge = _panel_rule(nodes, levels, halved)
    diagonal = None  # an inner limit equal to the outer variable: y = x
    pieces = [((0.0, 0.5), smooth, [(0.0, diagonal, smooth), (diagonal, 0.5, smooth)])]
    if ramp_end > 0.5:  # for k beyond ~1e16 the ramp is thinner than float64 resolves: nothing to integrate
        pieces[0][2].append((0.5, ramp_end, toward_edge))
        ramp = [(0.0, 0.5, smooth), (0.5, diagonal, smooth), (diagonal, ramp_end, toward_edge)]
        pieces.append(((0.5, ramp_end), toward_edge, ramp))
    total = 0.0
    for (a, b), (r, w), inner in pieces:
        # Outer nodes a chunk at a time, so that a refined rule (~10⁶ nodes in all) never builds large arrays.
        chunk = max(1, QUAD_CHUNK_NODES // max(len(s) for _, _, (s, _) in inner))
        for start in range(0, len(r), chunk):
            x = a + (b - a) * r[start : start + chunk]
            x_weights = (b - a) * w[start : start + chunk]
            for low, high, (s, v) in inner:
                y_low = x if low is diagonal else np.full_like(x, low)
                y_high = x if high is diagonal else np.full_like(x, high)
                y = y_low[:, None] + (y_high - y_low)[:, None] * s
                weights = (x_weights * (y_high - y_low))[:, None] * v
                total += float(np.sum(integrand(x[:, None], y) * weights))
    return total


def integrate_over_support(
    integrand, ramp_end: float, tolerance: float, edge_singular: bool = False
) -> tuple[float, float]:
    """∫∫ integrand(x, y) over [−L, L]², L = ramp_end, and an estimate of its error: 4 × the first quadrant.

    ``integrand`` takes arrays and is symmetric in x and y separately. With GAUSS_NODES = n nodes a panel the rule is
    exact for polynomials of degree 2n − 1, so for the mass and E‖x‖² (degree ≤ 3 on each piece) the estimate is
    rounding.
    ``edge_singular`` (p·log p, which behaves as u·log u at u = L − ‖x‖∞ → 0) grades the pieces ending at L: the last
    panel, 2⁻ᴶ of its piece, leaves an error of order 4⁻ᴶ. The estimate is the rule against the rule with every panel
    halved (the halved value is returned); while it exceeds tolerance·|value| the rule is refined, more nodes and more
    levels, up to QUAD_REFINEMENTS times, and the last estimate is returned however large.
    """
    levels = EDGE_GRADING_LEVELS if edge_singular else 0
    nodes = GAUSS_NODES
    for _ in range(QUAD_REFINEMENTS + 1):
        coarse = _quadrant_rule(integrand, ramp_end, nodes, levels, halved=False)
        fine = _quadrant_rule(integrand, ramp_end, nodes, levels, halved=True)
        estimate = abs(fine - coarse)
        if estimate <= tolerance * abs(fine):
            break
        nodes, levels = nodes + GAUSS_NODES, levels + EDGE_GRADING_LEVELS // 2
    return 4.0 * fine, 4.0 * estimate


def integrate_adaptively(integrand, edges: list[float], tolerance: float) -> tuple[float, float]:
    """∫ integrand over [edges[0], edges[−1]] and an estimate of its error, for an integrand smooth between edges.

    Gauss–Legendre panels (``GAUSS_NODES`` nodes), each compared with the sum over its two halves; while those
    differences add up to more than tolerance·|value|, the panels whose difference exceeds an equal share are halved
    (globally adaptive, as quad's QAGP, but every new node of a round evaluated in one NumPy call).
    """
    r, w = _panel_rule(GAUSS_NODES, 0, False)
    low = np.asarray(edges[:-1], dtype=np.float64)  # the panels not yet evaluated
    high = np.asarray(edges[1:], dtype=np.float64)
    panels_low, panels_high, value, error = np.empty(0), np.empty(0), np.empty(0), np.empty(0)
    for _ in range(ADAPTIVE_MAX_ROUNDS):
        # The rule on each new panel and on its two halves, in one call of the integrand.
        middle = (low + high) / 2.0
        starts = np.concatenate([low, middle, low])
        widths = np.concatenate([middle - low, high - middle, high - low])
        sums = (integrand((starts[:, None] + widths[:, None] * r).ravel()).reshape(-1, len(r)) @ w) * widths
        count = len(low)
        halves = sums[:count] + sums[count : 2 * count]
        panels_low, panels_high = np.concatenate([panels_low, low]), np.concatenate([panels_high, high])
        value = np.concatenate([value, halves])
        error = np.concatenate([error, np.abs(halves - sums[2 * count :])])
        total, total_error = float(np.sum(value)), float(np.sum(error))
        # Below a few roundings of each panel's value the differences are noise: halving would not lower them.
        allowed = max(tolerance * abs(total), 8.0 * sys.float_info.epsilon * float(np.sum(np.abs(value))))
        if total_error <= allowed:
            break
        middle = (panels_low + panels_high) / 2.0
        split = (middle > panels_low) & (middle < panels_high) & (error > allowed / len(error))
        if not split.any():  # what is left is too narrow for float64 to halve: the estimate is reported as it is
            break
        low = np.concatenate([panels_low[split], middle[split]])
        high = np.concatenate([middle[split], panels_high[split]])
        keep = ~split
        panels_low, panels_high, value, error = panels_low[keep], panels_high[keep], value[keep], error[keep]
    return total, total_error


def kl_to_gaussian_by_quadrature(
    k: float, ramp_end: float, mass: float, log_variance: float, scale: float = 1.0, scale_over_variance: float | None = None
) -> tuple[float, float]:
    """scale·KL(p‖N(0, σ²I)) = ∫ scale·p·log(p/q), p the as-written density over its mass, by quadrature, and an
    estimate of its error.

    log q = −log 2π − log σ² − ‖x‖²/(2σ²) is written through log σ² and scale/σ², so that neither
    2πσ² (σ² = 1e308) nor ‖x‖²/σ² (σ² = 5e-324) overflows: with scale = σ² the integrand is
    σ²·p·(log p + log 2π + log σ²) + p‖x‖²/2.
    """
    if scale_over_variance is None:
        scale_over_variance = scale * math.exp(-log_variance)
    log_two_pi = math.log(2 * math.pi)

    def integrand(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        p = density_as_written_grid(x, y, k, ramp_end) / mass
        inside = p > 0.0
        log_p = np.log(np.where(inside, p, 1.0))
        # (x² + y²)·scale/σ² first: p·scale/σ² alone can underflow (1e-200 · 6e-200 when k = 1e-100)
        value = scale * p * (log_p + log_two_pi + log_variance) + p * ((x * x + y * y) * scale_over_variance) / 2
        return np.where(inside, value, 0.0)

    return integrate_over_support(integrand, ramp_end, KL_QUAD_TOL, edge_singular=True)


_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _standard_normal_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Φ(b) − Φ(a) for 0 ≤ a ≤ b, elementwise: (erfc(a/√2) − erfc(b/√2))/2 from the upper tails when a > 0, so that two
    values near 1 do not cancel, and erf(b/√2)/2 when a = 0. (math.erf, math.erfc elementwise: scipy.special.ndtr
    would import scipy.special, ≈ 0.15 s, for a few thousand values.)"""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    root_two = math.sqrt(2.0)
    tails = (_erfc(a / root_two) - _erfc(b / root_two)).astype(np.float64) / 2.0
    from_zero = _erf(b / root_two).astype(np.float64) / 2.0
    return np.where(a > 0.0, tails, from_zero)


def _bisect_root(f, low: float, high: float) -> float:
    """The root of f in [low, high] (0 < low, f(low)·f(high) < 0), to neighbouring floats, by bisection.

    Bisection in log x while high > 2·low, so that a bracket as wide as [½, 1e150] takes ~10 steps, then in x:
    about 70 evaluations. (scipy.optimize.brentq, which this replaces, would import scipy.optimize, ≈ 0.3 s.)
    """
    f_low = f(low)
    while True:
        middle = math.sqrt(low) * math.sqrt(high) if high > 2.0 * low else low + (high - low) / 2.0
        if not low < middle < high:
            return low if abs(f_low) <= abs(f(high)) else high
        f_middle = f(middle)
        if f_middle == 0.0:
            return middle
        if (f_middle > 0.0) == (f_low > 0.0):
            low, f_low = middle, f_middle
        else:
            high = middle


def tv_break_points(k: float, ramp_end: float, mass: float, variance: float) -> list[float]:
    """The kinks of x ↦ ∫₀ˣ (p − q)₊ dy on the octant 0 ≤ y ≤ x: x = ½, and where the curve p = q meets y = 0 or y = x.

    With p = g(x)/Z on the octant, q < p ⟺ x² + y² > s(x) = −2σ²(log(g(x)/Z) + log 2πσ²): the curve meets y = 0
    where F₁ = s − x² vanishes and y = x where F₂ = s − 2x² does. On the plateau s is constant (one root each).
    On the ramp F_m″ = 2σ²k²/g² − 2m (m = 1, 2) increases with x, so each F_m is concave, then convex: split at
    the inflection and at the stationary points, and each remaining piece is monotone, with at most one root,
    found by bisection (at k = 1, σ² = E‖x‖²/2 the ramp holds three roots, two of them 0.026 apart).
    """
    log_two_pi_variance = math.log(2.0 * math.pi * variance)

    def g(x: float) -> float:
        return 0.9 if x <= 0.5 else 0.9 - k * (x - 0.5)

    def s(x: float) -> float:
        return -2.0 * variance * (math.log(g(x) / mass) + log_two_pi_variance)

    def root(f, low: float, high: float) -> float | None:
        f_low, f_high = f(low), f(high)
        if not (math.isfinite(f_low) and math.isfinite(f_high)) or f_low * f_high >= 0.0:
            return None
        return _bisect_root(f, low, high)

    points = []
    plateau_end = min(0.5, ramp_end)
    s_plateau = s(0.0)
    for factor in (1.0, 2.0):
        if s_plateau > 0.0 and math.sqrt(s_plateau / factor) < plateau_end:
            points.append(math.sqrt(s_plateau / factor))
    if ramp_end > 0.5:
        points.append(0.5)
        top = ramp_end  # the last x where g > 0 in float64 (g(ramp_end) rounds to ±1e-16)
        for _ in range(64):
            if g(top) > 0.0:
                break
            top = math.nextafter(top, 0.5)
        for factor in (1.0, 2.0):

            def f(x: float, factor: float = factor) -> float:
                return s(x) - factor * x * x

            def slope(x: float, factor: float = factor) -> float:
                return 2.0 * variance * k / g(x) - 2.0 * factor * x

            inflection = 0.5 + (0.9 - math.sqrt(variance / factor) * k) / k
            edges = [0.5] + ([inflection] if 0.5 < inflection < top else []) + [top]
            monotone = [0.5]
            for low, high in pairwise(edges):
                stationary = root(slope, low, high)
                monotone += ([stationary] if stationary is not None else []) + [high]
            for low, high in pairwise(monotone):
                found = root(f, low, high)
                if found is not None:
                    points.append(found)
    return sorted({x for x in points if 0.0 < x < ramp_end})


def tv_to_gaussian(k: float, ramp_end: float, mass: float, variance: float) -> tuple[float, float]:
    """δ(p, N(0, σ²I)) = sup_E (P(E) − Q(E)) = ∫ (p − q)₊, attained at E = {p > q}, and an estimate of its error.

    By symmetry, 8 times the octant 0 ≤ y ≤ x, where p = g(x)/Z depends on x alone and q decreases in y.
    For each x the inner integral runs over y ∈ [y₀, x], y₀ where q = p, in closed form:
    p·(x − y₀) − e^(−x²/(2σ²))/(σ√(2π))·(Φ(x/σ) − Φ(y₀/σ)). The outer integral is adaptive Gauss–Legendre
    in x (:func:`integrate_adaptively`) from break points at the kinks (:func:`tv_break_points`); between them the
    integrand is smooth, and the result agrees with 30-digit mpmath to about 1e-15 relative.
    """
    sigma = math.sqrt(variance)
    log_two_pi_variance = math.log(2.0 * math.pi * variance)
    gaussian_scale = 1.0 / (sigma * math.sqrt(2.0 * math.pi))

    def inner(x: np.ndarray) -> np.ndarray:
        p = density_as_written_grid(x, 0.0, k, ramp_end) / mass  # on the octant p(x, y) = p(x, 0)
        inside = p > 0.0
        # q(x, y) < p ⟺ x² + y² > −2σ² log(2πσ² p)
        y0_squared = -2.0 * variance * (np.log(np.where(inside, p, 1.0)) + log_two_pi_variance) - x * x
        y0 = np.where(y0_squared > 0.0, np.minimum(np.sqrt(np.maximum(y0_squared, 0.0)), x), 0.0)
        gaussian = gaussian_scale * np.exp(-x * x / (2.0 * variance)) * _standard_normal_mass(y0 / sigma, x / sigma)
        return np.where(inside, p * (x - y0) - gaussian, 0.0)

    # Beside the kinks, break points at σ, 2σ, …, 16σ: on a support much wider than σ (small k) the first panels
    # would miss the Gaussian part, which is below e^(−128) beyond 16σ.
    scales = [sigma * 2.0**j for j in range(5)]
    points = sorted({*tv_break_points(k, ramp_end, mass, variance), *(x for x in scales if 0.0 < x < ramp_end)})
    value, estimate = integrate_adaptively(inner, [0.0, *points, ramp_end], TV_QUAD_TOL / 100)
    # δ ≤ 1 for any two densities; when q > p only on a negligible disc (k = 1e-150, σ² = 1) the sum of the
    # pieces can round to 1 + 2e-16.
    return min(8.0 * value, 1.0), 8.0 * estimate


# --------------------------------------------------------------------------- bounds as float functions


def volume_A_for_det(c: float, threshold: float) -> float:
    """vol(A) = c·π·max(r², 0), r² = 2 log(1/(2π c (h − ε))): A is empty when r² ≤ 0."""
    r_squared = -2.0 * math.log(2 * math.pi * c * threshold)
    return c * math.pi * max(r_squared, 0.0)


def tv_lower_bound_for_det(eps: float, plateau: float, c: float) -> float:
    """δ ≥ ε·(1 − min(1, vol(A))) for flows with |det| = c: part (a) when A = ∅, part (c) otherwise."""
    return eps * (1.0 - min(1.0, volume_A_for_det(c, plateau - eps)))


def tv_lower_bound_every_det(eps: float, plateau: float) -> float:
    """δ ≥ ε·(1 − min(1, 1/(e(h − ε)))): the worst case over c, valid for every constant-det flow."""
    return eps * (1.0 - min(1.0, 1.0 / (math.e * (plateau - eps))))


def pinsker_kl_lower_bound(tv: float) -> float:
    """Pinsker: δ ≤ √(KL/2), so KL ≥ 2δ² (δ the supremum over events, without a factor ½)."""
    return 2.0 * tv * tv


def positive_eps_range(plateau: float, c: float | None) -> float:
    """The right end of the ε range where the bound is positive (it is 0 beyond): vol(A)'s bound reaches 1 there.

    Every c: 1/(e(h − ε)) = 1 at ε = h − 1/e. One c: 2πc·log(1/(2πc(h − ε))) = 1 at
    ε = h − e^(−1/(2πc))/(2πc). A value ≤ 0 means no ε gives a positive bound.
    """
    if c is None:
        return plateau - 1.0 / math.e
    return plateau - math.exp(-1.0 / (2 * math.pi * c)) / (2 * math.pi * c)


def _sign_or_one(value: float) -> float:
    """NumPy's sign(value) + (value == 0): ±1, and 1 at 0."""
    if value != value:  # NaN stays NaN, as in NumPy
        return value
    return 1.0 if value >= 0.0 else -1.0


def minimize_bounded(f, low: float, high: float, xatol: float) -> tuple[float, float]:
    """The minimiser of f on [low, high] and f there, by Brent's bounded method (golden section and parabolic steps).

    scipy.optimize.minimize_scalar(method="bounded") restated: SciPy 1.17's _minimize_scalar_bounded, operation for
    operation and in the same order, so that it returns the same floats (tests/test_vpnf_quadrature.py compares them
    bit for bit). Importing scipy.optimize costs ~0.3 s of CPU, as much as the rest of the run; the algorithm is
    these few lines (Brent, "Algorithms for Minimization without Derivatives", 1973, ch. 5).
    """
    sqrt_eps = math.sqrt(2.2e-16)
    golden_mean = 0.5 * (3.0 - math.sqrt(5.0))
    a, b = low, high
    fulc = a + golden_mean * (b - a)
    nfc, xf = fulc, fulc
    rat = e = 0.0
    x = xf
    fx = f(x)
    evaluations = 1
    ffulc = fnfc = fx
    xm = 0.5 * (a + b)
    tol1 = sqrt_eps * abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    while abs(xf - xm) > (tol2 - 0.5 * (b - a)):
        golden = True
        if abs(e) > tol1:  # a parabola through the three best points, if its step is acceptable
            golden = False
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            r = e
            e = rat
            if abs(p) < abs(0.5 * q * r) and p > q * (a - xf) and p < q * (b - xf):
                rat = (p + 0.0) / q
                x = xf + rat
                if (x - a) < tol2 or (b - x) < tol2:
                    rat = tol1 * _sign_or_one(xm - xf)
            else:
                golden = True
        if golden:  # a golden-section step into the larger part of the bracket
            e = (a - xf) if xf >= xm else (b - xf)
            rat = golden_mean * e
        x = xf + _sign_or_one(rat) * max(abs(rat), tol1)
        fu = f(x)
        evaluations += 1
        if fu <= fx:
            if x >= xf:
                a = xf
            else:
                b = xf
            fulc, ffulc = nfc, fnfc
            nfc, fnfc = xf, fx
            xf, fx = x, fu
        else:
            if x < xf:
                a = x
            else:
                b = x
            if (fu <= fnfc) or (nfc == xf):
                fulc, ffulc = nfc, fnfc
                nfc, fnfc = x, fu
            elif (fu <= ffulc) or (fulc == xf) or (fulc == nfc):
                fulc, ffulc = x, fu
        xm = 0.5 * (a + b)
        tol1 = sqrt_eps * abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        if evaluations >= BRENT_MAX_EVALUATIONS:
            break
    return xf, fx


def maximize_bound(plateau: float, c: float | None) -> tuple[float, float]:
    """The ε that maximises the bound on δ (every c when c is None, else that c), and the bound there.

    Brent's bounded method (:func:`minimize_bounded`) on the ε range where the bound is positive (it is flat 0
    beyond, where a bracketing search would stall); (0, 0) when that range is empty.
    """
    end = min(positive_eps_range(plateau, c), plateau)
    if end <= 0.0:
        return 0.0, 0.0

    def bound(e: float) -> float:
        return tv_lower_bound_every_det(e, plateau) if c is None else tv_lower_bound_for_det(e, plateau, c)

    found_eps, found_value = minimize_bounded(lambda e: -bound(e), 0.0, end, 1e-12 * end)
    return float(found_eps), float(-found_value)


def best_eps_for_vp(plateau: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """The ε that maximises the c = 1 bound, numerically, and the bound there (exact for that ε); None if none is positive.

    The bound is positive for ε < end = h − τ₀, τ₀ = e^(−1/(2π))/(2π) (from the exact h). When
    h ≤ 1/(2π), A ≠ ∅ for every ε and δ = ε(1 − 2π log(1/(2πτ))) = ε·2π·log1p((end − ε)/τ₀); with
    ε = t·end, δ/end² = t(1 − t)·(2π/τ₀)·log1p(y)/y, y = end(1 − t)/τ₀, which Brent maximises
    without cancellation however small end is (h above the limit by 1e-60 still has a best ε).
    """
    tau0 = sympy.exp(-1 / (2 * sympy.pi)) / (2 * sympy.pi)
    end = plateau - tau0
    if not _is_positive(end):
        return None
    if _is_positive(plateau - 1 / (2 * sympy.pi)):  # A = ∅ for small ε; end > 1/(2π) − τ₀ ≈ 0.024
        eps_float, _ = maximize_bound(_float(plateau), 1.0)
        eps = sympy.Rational(eps_float)
    else:
        end_float, tau0_float = _float(end), _float(tau0)

        def scaled_bound(t: float) -> float:
            y = end_float * (1.0 - t) / tau0_float
            return t * (1.0 - t) * (2 * math.pi / tau0_float) * (math.log1p(y) / y if y > 0.0 else 1.0)

        found_t, _ = minimize_bounded(lambda t: -scaled_bound(t), 0.0, 1.0, 1e-12)
        eps = sympy.Rational(float(found_t)) * end
    return eps, bound_for_det(sympy.Integer(1), eps, plateau).tv


# --------------------------------------------------------------------------- one k


@dataclass(frozen=True)
class Counterexample:
    """The counterexample for one k: its mass, its normalised plateau and its moments, exact."""

    k: sympy.Expr

    @cached_property
    def formulas(self) -> ProfileFormulas:
        return profile_formulas()

    def _at_k(self, expr: sympy.Expr) -> sympy.Expr:
        value = expr.subs(self.formulas.k, self.k)
        # The default k* = (81 + 9√93)/10 leaves nested radicals; rationalising twice flattens them.
        return sympy.radsimp(sympy.expand(sympy.radsimp(value))) if self.k.is_irrational else value

    @cached_property
    def mass(self) -> sympy.Expr:
        return self._at_k(self.formulas.mass)

    @cached_property
    def is_normalized(self) -> bool:
        return sympy.simplify(self.mass - 1) == 0

    @cached_property
    def ramp_end(self) -> sympy.Expr:
        return self._at_k(self.formulas.ramp_end)

    @cached_property
    def plateau(self) -> sympy.Expr:
        """h = 0.9/Z, the plateau height of the normalised density p/Z."""
        return sympy.radsimp(PLATEAU_AS_WRITTEN / self.mass)

    @cached_property
    def second_moment(self) -> sympy.Expr:
        """E_p‖x‖² for p/Z."""
        return self._at_k(self.formulas.second_moment_unnormalized) / self.mass

    @cached_property
    def neg_entropy(self) -> sympy.Expr:
        """∫ (p/Z) log(p/Z) = log h + R(k)/Z."""
        return sympy.log(self.plateau) + self._at_k(self.formulas.neg_entropy_correction) / self.mass

    def kl_to_gaussian(self, variance: sympy.Expr) -> sympy.Expr:
        """KL(p‖N(0, σ²I)) = ∫p log p + log(2πσ²) + E‖x‖²/(2σ²)."""
        return self.neg_entropy + sympy.log(2 * sympy.pi * variance) + self.second_moment / (2 * variance)


_EXACT_VALUES = ("mass", "is_normalized", "ramp_end", "plateau", "second_moment", "neg_entropy")


@disk_cached
def _normalizing_counterexample_values() -> dict[str, Any]:
    """The exact values of the counterexample at the normalising k, the default: flattening their nested radicals
    (radsimp) takes ~0.1 s, and they do not depend on the input, so they are derived once, as for any k."""
    example = Counterexample(default_k())
    return {name: getattr(example, name) for name in _EXACT_VALUES}


def counterexample(k: sympy.Expr) -> Counterexample:
    """The counterexample for k; at the normalising k its exact values come from the cache."""
    example = Counterexample(k)
    if k == default_k():
        # A cached_property keeps its value in the instance's __dict__ (a frozen dataclass too): fill it in.
        example.__dict__.update(_normalizing_counterexample_values())
    return example


def _evaluate(expr: Any, digits: int = 30) -> sympy.Float:
    """expr to ``digits`` significant digits, raising SymPy's working precision until two evaluations agree.

    sympy.N(log(x), 20) returns 0 when x is within 1e-30 of 1 (r² = 2 log(1/(2πcτ)) just past the edge
    of A): its precision is set by the argument, not the result. Doubling the precision until the value
    is stable resolves that, up to EVALUATION_MAX_DIGITS; a value that never settles is 0 to that precision.
    """
    expr = to_sympy(expr)
    if expr.is_Rational:
        return sympy.Float(expr, digits)
    return _evaluate_settled(expr, digits)


@lru_cache(maxsize=1024)
def _evaluate_settled(expr: sympy.Expr, digits: int) -> sympy.Float:
    """:func:`_evaluate` of an expression that is not a Rational. Kept per (expression, digits): one run evaluates the
    same 60 values about 200 times (h − 1/e, KL, the plateau…), each at two or more precisions."""
    previous = None
    precision = digits + 10
    while precision <= EVALUATION_MAX_DIGITS:
        value = sympy.N(expr, precision)
        if value.has(sympy.nan, sympy.zoo, sympy.oo) or (value.is_Number and not value.is_finite):
            value = sympy.Integer(0)  # log(N(r²)) with r² still 0 at this precision: go on
        elif not value.is_Number:
            raise RuntimeError(f"{expr} does not evaluate to a number")
        # Two zeros in a row are not proof: N(log(1 + 1e-100), 80) is 0 too. Only an exact zero
        # (already a Rational above) or agreement to the digits asked ends the search early.
        if previous is not None and not value.is_zero:
            if abs(value - previous) <= abs(value) * sympy.Float(10, 30) ** (-digits - 2):
                return sympy.Float(value, digits)
        previous = value
        precision *= 2
    return sympy.Float(0, digits)


def _float(expr: Any) -> float:
    return float(_evaluate(expr, 30))


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _is_positive(expr: sympy.Expr) -> bool:
    """expr > 0 for a real constant, decided numerically (relative digits, not an absolute threshold).

    SymPy's own comparison can refuse: near 2π(h − ε) = 1 it reports log(…) as "non-real".
    :func:`_evaluate` settles the digits, so a value of 1e-400 is positive; an exact tie (the c = 1
    kink ε = h − 1/(2π), where r² = 2 log 1) evaluates to 0, and a value that cannot be told from 0
    within EVALUATION_MAX_DIGITS digits is treated as 0 too (not positive).
    """
    return bool(_evaluate(expr, 20) > 0)


def _sstr(expr: sympy.Expr) -> str:
    """An exact value as a string, for the result mapping (never for prose or a message)."""
    return sympy.sstr(expr)


def _short(value: Any) -> str:
    """A number for a one-line message: 3 significant digits, like f"{x:.3g}", never through a float64.

    Exact inputs (Fraction, SymPy) are rounded at 15 digits by SymPy, whose exponent is unbounded, so
    1e-400 stays 1e-400 instead of underflowing to 0 and 1e308 is not spelled as a 309-digit integer.
    """
    if isinstance(value, Fraction):
        value = _rational(value)
    number = _evaluate(value, 15)
    if number.is_zero:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, exponent = _mantissa_exponent(abs(number), 3)
    if -4 <= exponent < 3:
        return f"{sign}{float(mantissa) * 10.0**exponent:.3g}"
    return f"{sign}{mantissa:.3g}e{exponent:+03d}"


def _mantissa_exponent(number: sympy.Float, digits: int) -> tuple[float, int]:
    """number = mantissa·10^exponent with 1 ≤ mantissa < 10 after rounding to ``digits`` digits (number > 0)."""
    import mpmath

    with mpmath.workdps(30):
        x = mpmath.mpf(number)
        exponent = int(mpmath.floor(mpmath.log10(x)))
        mantissa = round(float(x / mpmath.mpf(10) ** exponent), digits - 1)
    if mantissa >= 10.0:  # 9.996 rounds to 10.0: carry into the exponent
        mantissa, exponent = mantissa / 10.0, exponent + 1
    elif mantissa < 1.0:  # log10 rounding just below a power of ten
        mantissa, exponent = round(mantissa * 10.0, digits - 1), exponent - 1
    return mantissa, exponent


def _number(expr: Any) -> float | sympy.Float:
    """A value for the result and the prose: a float64 where one holds it, else a 15-digit SymPy Float.

    float64 cannot hold 1e-400 (it underflows to 0) or 1e400 (it overflows to ∞), and below
    2.2e-308 it loses digits; SymPy's Float has an unbounded exponent, and every renderer prints it.
    """
    if isinstance(expr, float):
        return expr
    value = _evaluate(expr, 30)
    if value.is_zero:
        return 0.0
    as_float = float(value)
    if math.isfinite(as_float) and abs(as_float) >= sys.float_info.min:
        return as_float
    return sympy.Float(value, 15)


# --------------------------------------------------------------------------- inline mathematics

EPS_M = m(r"\varepsilon", "ε")
DELTA_M = m(r"\delta", "δ")
THETA_M = m(r"\theta", "θ")
TAU_M = m(r"\tau", "τ")
K_M = m("k", "k")
C_M = m("c", "c")
H_M = m("h", "h")
P_M = m("p", "p")
X_M, Y_M, T_M = m("x", "x"), m("y", "y"), m("t", "t")
A_M, B_M = m("A", "A"), m("B", "B")
P_THETA = m(r"p_\theta", "p_θ")
VOL_A_M = m(r"\operatorname{vol}(A)", "vol(A)")
C_IS_1 = m("c = 1", "c = 1")
A_EMPTY = m(r"A = \emptyset", "A = ∅")
ABS_DET = m(r"\lvert \det \rvert", "|det|")
THRESHOLD_M = m(r"h - \varepsilon", "h − ε")
ONE_OVER_E = m(r"1/e", "1/e")
KL_M = m(r"\mathrm{KL}(p \,\|\, p_\theta)", "KL(p‖p_θ)")
SECOND_MOMENT_M = m(r"\mathbb{E}_p \lVert x \rVert^2", "E_p‖x‖²")
NEG_ENTROPY_M = m(r"\int p \log p", "∫ p log p")
KL_GAUSSIAN_M = m(r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, \sigma^2 I))", "KL(p‖N(0, σ²I))")
KL_STANDARD_M = m(r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, I))", "KL(p‖N(0, I))")
KL_DET_M = m(r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, cI))", "KL(p‖N(0, cI))")

_RELATIONS = {"=": ("=", "="), ">=": (r"\ge", "≥"), "<=": (r"\le", "≤"), "<": ("<", "<"), ">": (">", ">")}


def _rel(lhs: Math, relation: str, value: Any) -> tuple:
    """``lhs = value`` (or ≥, ≤, <, >) as prose.

    An exact SymPy value makes one SymPy relation (``ε = 1/20`` typeset as one formula); a float or an
    Approx stays a number piece after the symbol and the relation in math.
    """
    if isinstance(value, sympy.Basic) and value.is_number:
        make = {
            "=": sympy.Eq,
            ">=": sympy.GreaterThan,
            "<=": sympy.LessThan,
            "<": sympy.StrictLessThan,
            ">": sympy.StrictGreaterThan,
        }[relation]
        return (make(Label(lhs.text, lhs.latex), value, evaluate=False),)
    latex, text = _RELATIONS[relation]
    return (m(f"{lhs.latex} {latex}", f"{lhs.text} {text}"), " ", value)


def _approx(expr: Any, digits: int = 8) -> Approx | sympy.Float:
    """A value shown to ``digits`` significant digits (the step's own value holds it in full).

    Beyond float64 (1e-400, 1e400) a SymPy Float of that many digits, which keeps its exponent.
    """
    value = _number(expr)
    return Approx(value, digits) if isinstance(value, float) else sympy.Float(value, digits)


def _shown(value: sympy.Expr) -> sympy.Expr:
    """An exact input for prose: itself, or a 15-digit SymPy Float when float64 could not hold it.

    A 400-digit rational like 1e-400 is printed as a float by the renderers, which would show 0.0.
    """
    number = _number(value)
    return value if isinstance(number, float) else number


def _for_display(expr: Any) -> Any:
    """A displayed formula with every rational that float64 cannot hold (1e-400, 5e-324) as a 15-digit SymPy Float.

    The renderers shorten long rationals through a float, which would print 1e-400 as 0.
    """
    if not isinstance(expr, sympy.Basic):
        return expr
    replace = {a: sympy.Float(a, 15) for a in expr.atoms(sympy.Rational) if not isinstance(_number(a), float)}
    return expr.xreplace(replace) if replace else expr


def _kl(tv: Any) -> sympy.Expr:
    """Pinsker's KL ≥ 2δ², exact (a δ of 1e-300 gives 2e-600, which float64 would print as 0)."""
    return 2 * to_sympy(tv) ** 2


# --------------------------------------------------------------------------- checks


def _relative(computed: float, reference: float) -> float:
    return abs(computed - reference) / max(abs(reference), 1e-300)


def _quadrature_error(closed: float, numeric: float, estimate: float) -> float:
    """The relative error of a closed form against quadrature: the larger of their difference and the rule's own
    error estimate, so that a check never passes on a rule that did not reach its tolerance."""
    return max(_relative(closed, numeric), estimate / max(abs(numeric), 1e-300))


_PIECES = (
    " on the pieces where the density is a polynomial, split at ",
    m(r"\lvert x \rvert = \tfrac12", "|x| = ½"),
    ", ",
    m(r"\lvert y \rvert = \tfrac12", "|y| = ½"),
    " and ",
    m(r"\lvert y \rvert = \lvert x \rvert", "|y| = |x|"),
)
_ESTIMATE = (
    "; the error is the larger of the difference and the rule's own estimate (the rule against itself on halved "
    "panels, refined while above the tolerance)"
)


def check_mass(example: Counterexample, k_float: float, label: Math) -> Check:
    ramp_end = _float(example.ramp_end)
    mass = _float(example.mass)
    numeric, estimate = integrate_over_support(
        lambda x, y: density_as_written_grid(x, y, k_float, ramp_end), ramp_end, QUAD_RTOL
    )
    return Check(
        name=(
            m(rf"\operatorname{{mass}}({label.latex})", f"mass({label.text})"),
            ": closed form against quadrature of the density as written",
        ),
        method=(
            "Gauss–Legendre rules (",
            GAUSS_NODES,
            " nodes a panel, iterated in ",
            X_M,
            " and ",
            Y_M,
            ") of the assignment's four cases, taken in order,",
            *_PIECES,
            _ESTIMATE,
        ),
        computed=mass,
        reference=numeric,
        error=_quadrature_error(mass, numeric, estimate),
        tolerance=QUAD_RTOL * 10,
        detail="relative error",
    )


def check_second_moment(example: Counterexample, k_float: float) -> Check:
    ramp_end, mass = _float(example.ramp_end), _float(example.mass)
    closed = _float(example.second_moment)
    # Divided by the mass inside the integrand: for k = 1e-100 the unnormalised ∫‖x‖² g ≈ 1e400 overflows.
    numeric, estimate = integrate_over_support(
        lambda x, y: (x * x + y * y) * (density_as_written_grid(x, y, k_float, ramp_end) / mass), ramp_end, QUAD_RTOL
    )
    return Check(
        name=(SECOND_MOMENT_M, ": closed form against quadrature"),
        method=(
            "Gauss–Legendre rules of ",
            m(r"(x^2 + y^2)\, p(x, y)/Z", "(x² + y²)·p(x, y)/Z"),
            " with ",
            P_M,
            " as written,",
            *_PIECES,
            _ESTIMATE,
        ),
        computed=closed,
        reference=numeric,
        error=_quadrature_error(closed, numeric, estimate),
        tolerance=QUAD_RTOL * 10,
        detail="relative error",
    )


def _log(expr: Any) -> float:
    """log of a positive exact value, in float64 (the logarithm of 1e-400 is −921, though 1e-400 is not a float64)."""
    return float(_evaluate(sympy.log(expr), 30))


def _from_log(log_value: float) -> float | sympy.Float:
    """exp(log_value) as :func:`_number` gives it: a float64 where it holds, else a 15-digit SymPy Float."""
    import mpmath

    with mpmath.workdps(30):
        return _number(sympy.Float(mpmath.exp(mpmath.mpf(log_value)), 30))


def check_kl_gaussian(
    example: Counterexample, k_float: float, variance: sympy.Expr, closed: sympy.Expr, what: tuple | str
) -> Check:
    """KL(p‖N(0, σ²I)) in closed form against quadrature of p·log(p/q).

    For σ² below KL_SCALE_BELOW the term E‖x‖²/(2σ²) makes the KL too large for float64 (5e-324 gives
    1e322): both sides are then multiplied by σ², which keeps the relative error and every number finite.
    """
    small = bool(variance < KL_SCALE_BELOW)
    scale = _float(variance) if small else 1.0  # σ² itself, or 1
    numeric, estimate = kl_to_gaussian_by_quadrature(
        k_float,
        _float(example.ramp_end),
        _float(example.mass),
        _log(variance),
        scale,
        1.0 if small else _float(1 / variance),
    )
    scaled_closed = _float(variance * closed if small else closed)
    reference = _number(sympy.Float(numeric, 17) / variance) if small else numeric
    return Check(
        name=(
            KL_GAUSSIAN_M,
            " at ",
            *_rel(m(r"\sigma^2", "σ²"), "=", _approx(variance, 6)),
            " (",
            *prose(what),
            "): closed form against quadrature",
        ),
        method=(
            "Gauss–Legendre rules of ",
            m(r"p \log(p/q)", "p·log(p/q)"),
            ", ",
            P_M,
            " the density as written divided by its mass,",
            *_PIECES,
            ", the pieces that end at the edge of the support graded toward it (there ",
            m(r"p \log p", "p·log p"),
            " has an infinite slope)",
            *(
                (
                    "; both sides times ",
                    m(r"\sigma^2", "σ²"),
                    ", since ",
                    m(r"\mathbb{E}_p \lVert x \rVert^2 / (2\sigma^2)", "E_p‖x‖²/(2σ²)"),
                    " alone would leave float64's range",
                )
                if small
                else ()
            ),
            _ESTIMATE,
        ),
        computed=_number(closed),
        reference=reference,
        error=_quadrature_error(scaled_closed, numeric, estimate),
        tolerance=KL_QUAD_TOL * 10,
        detail="relative error",
    )


def _flow_matrix(c: Any, module: Any) -> Any:
    """The concrete flow's matrix R(φ)·diag(a, c/a), a = ANISOTROPY·√c, with |det| = c, in NumPy or mpmath."""
    a = MC_FLOW_ANISOTROPY * module.sqrt(c)
    cos, sin = module.cos(MC_FLOW_ANGLE), module.sin(MC_FLOW_ANGLE)
    return [[cos * a, -sin * c / a], [sin * a, cos * c / a]]


def monte_carlo_volume_A(
    c: float, log_threshold: float, rho_squared: float, samples: int = MC_SAMPLES, seed: int = MC_SEED
) -> tuple[float, float]:
    """Area of A = {x : p_θ(x) ≥ h − ε} for the flow z ↦ R(φ)·diag(a, c/a)·z, by uniform sampling; (estimate, SE).

    p_θ(x) = N(f⁻¹(x); 0, I)·|det ∂f⁻¹/∂x| with the matrix inverse and determinant from NumPy,
    so nothing here uses the disc formula. ``rho_squared`` (the latent radius², from the closed
    form) only sizes the sampling box, with a 5 % margin.
    """
    matrix = np.array(_flow_matrix(c, math))
    inverse = np.linalg.inv(matrix)
    log_abs_det_inverse = math.log(abs(np.linalg.det(inverse)))
    # A lies in the image of the disc {‖z‖ ≤ ρ} where N(z) ≥ c·threshold, i.e. inside the
    # disc of radius ‖matrix‖₂·ρ; sample a square around it.
    half_width = 1.05 * np.linalg.norm(matrix, 2) * math.sqrt(rho_squared)
    rng = np.random.default_rng(seed)
    points = rng.uniform(-half_width, half_width, size=(samples, 2))
    log_p_theta = log_standard_normal(points @ inverse.T) + log_abs_det_inverse
    fraction = float(np.mean(log_p_theta >= log_threshold))
    box = (2 * half_width) ** 2
    return box * fraction, box * math.sqrt(fraction * (1 - fraction) / samples)


def _volume_A_name(label: tuple, how: str) -> tuple:
    return (m(r"\operatorname{vol}(A) = c \pi r^2", "vol(A) = c·π·r²"), " at ", *label, ": ", how)


def check_volume_A(c: sympy.Expr, threshold: sympy.Expr, r_squared: sympy.Expr, closed: sympy.Expr, label: tuple) -> list[Check]:
    """vol(A) for |det| = c by Monte Carlo where float64 sampling resolves A, else an exact route.

    Sampling needs c within MC_C_RANGE (the flow's matrix, its inverse and the box stay far inside
    float64) and r² ≥ MC_MIN_R_SQUARED (float64's log p_θ ≥ log τ resolves the disc's edge: near
    r² = 0 the rounding of log(2πcτ) is as large as r² itself). Otherwise the Monte Carlo check is
    not applicable, and the area of the same flow's ellipse is computed with mpmath (50 digits and more) instead.
    """
    low, high = MC_C_RANGE
    if low <= c <= high and r_squared >= MC_MIN_R_SQUARED:
        return [check_volume_A_monte_carlo(_float(c), _log(threshold), _float(r_squared), closed, label)]
    reason = (
        ("the constant ", *_rel(C_M, "=", _approx(c, 3)), " lies outside ")
        if not low <= c <= high
        else (*_rel(m("r^2", "r²"), "=", _approx(r_squared, 3)), " is below ")
    )
    limit = (
        (m(r"[10^{-200}, 10^{200}]", "[1e-200, 1e200]"), ", where float64 sampling can resolve ", A_M)
        if not low <= c <= high
        else (
            MC_MIN_R_SQUARED,
            ", where float64 cannot resolve the edge of the disc (the rounding of ",
            m(r"\log(2\pi c \tau)", "log(2πcτ)"),
            " is as large as ",
            m("r^2", "r²"),
            ")",
        )
    )
    skipped = Check(
        name=_volume_A_name(label, "Monte Carlo through a concrete flow"),
        method=("uniform sampling of a box around ", A_M, " for the flow below"),
        computed=_number(closed),
        reference=None,
        error=0.0,
        tolerance=MC_Z_LIMIT,
        detail=(*reason, *limit, "; the multiple-precision check below covers this case"),
        applicable=False,
    )
    return [skipped, check_volume_A_ellipse(c, threshold, r_squared, closed, label)]


def check_volume_A_ellipse(
    c: sympy.Expr, threshold: sympy.Expr, r_squared: sympy.Expr, closed: sympy.Expr, label: tuple
) -> Check:
    """vol(A) for the flow z ↦ M z, M = R(φ)·diag(a, c/a), with mpmath at 50 digits or more: a route for any c.

    A = {x : N(M⁻¹x)/|det M| ≥ τ} = {x : xᵀQx ≤ s} with Q = (MMᵀ)⁻¹ and s = −2 log(2π|det M|τ),
    found by mpmath's root finder on the log-density; its area is the ellipse's π s/√det Q.
    Compared in log space, so an area of 1e-400 is resolved as well as one of 0.3.
    """
    import mpmath

    # s = −2 log(2π|det M|τ) cancels as many digits as r² has leading zeros (ε just past the
    # c = 1 kink gives r² = 1e-36): add them back, up to a bound.
    lost = max(0, -int(math.floor(_log(r_squared) / math.log(10))))
    name = _volume_A_name(label, "the area of the same flow's ellipse in multiple precision")
    if lost > ELLIPSE_EXTRA_DIGITS:  # the parser's 400-digit numbers cannot get this close to the edge
        return Check(
            name=name,
            method=("mpmath",),
            computed=_number(closed),
            reference=None,
            error=0.0,
            tolerance=ELLIPSE_LOG_TOL,
            detail=(*_rel(m("r^2", "r²"), "=", _approx(r_squared, 3)), " would need more than ", ELLIPSE_EXTRA_DIGITS,
                    " extra digits"),
            applicable=False,
        )
    digits = ELLIPSE_DIGITS + lost
    with mpmath.workdps(digits):
        c_mp = mpmath.mpf(_evaluate(c, digits + 10))
        tau = mpmath.mpf(_evaluate(threshold, digits + 10))
        matrix = mpmath.matrix(_flow_matrix(c_mp, mpmath))
        log_abs_det = mpmath.log(abs(mpmath.det(matrix)))
        s = mpmath.findroot(lambda s: -mpmath.log(2 * mpmath.pi) - s / 2 - log_abs_det - mpmath.log(tau), 1)
        quadratic = (matrix * matrix.T) ** -1
        log_area = mpmath.log(mpmath.pi * s) - mpmath.log(mpmath.det(quadratic)) / 2
        log_closed = mpmath.log(mpmath.mpf(_evaluate(closed, digits + 10)))
        error = float(abs(log_area - log_closed))
        area = _number(sympy.Float(mpmath.exp(log_area), 30))
    return Check(
        name=name,
        method=(
            "mpmath at ",
            digits,
            " digits for ",
            m(r"f(z) = R(\varphi) \operatorname{diag}(a, c/a)\, z", "f(z) = R(φ)·diag(a, c/a)·z"),
            ": ",
            m(r"A = \{x : x^\top (MM^\top)^{-1} x \le s\}", "A = {x : xᵀ(MMᵀ)⁻¹x ≤ s}"),
            " with ",
            m("s", "s"),
            " the root of ",
            m(
                r"\log \mathcal{N}(z) - \log \lvert \det M \rvert = \log(h - \varepsilon)",
                "log N(z) − log|det M| = log(h − ε)",
            ),
            " in ",
            m(r"s = \lVert z \rVert^2", "s = ‖z‖²"),
            ", and area ",
            m(r"\pi s / \sqrt{\det (MM^\top)^{-1}}", "π s/√det((MMᵀ)⁻¹)"),
        ),
        computed=_number(closed),
        reference=area,
        error=error,
        tolerance=ELLIPSE_LOG_TOL,
        detail=("absolute difference of the logarithms of the two areas",),
    )


def check_volume_A_monte_carlo(c: float, log_threshold: float, rho_squared: float, closed: sympy.Expr, label: tuple) -> Check:
    closed_float = _float(closed)
    estimate, standard_error = monte_carlo_volume_A(c, log_threshold, rho_squared)
    z_score = abs(estimate - closed_float) / max(standard_error, sys.float_info.min)
    return Check(
        name=_volume_A_name(label, "Monte Carlo through a concrete flow"),
        method=(
            MC_SAMPLES,
            " uniform points around ",
            A_M,
            " for ",
            m(r"f(z) = R(\varphi) \operatorname{diag}(a, c/a)\, z", "f(z) = R(φ)·diag(a, c/a)·z"),
            " with ",
            *_rel(m(r"\varphi", "φ"), "=", MC_FLOW_ANGLE),
            " and ",
            *_rel(m("a", "a"), "=", MC_FLOW_ANISOTROPY),
            " ",
            m(r"\sqrt{c}", "√c"),
            " (",
            m(r"\lvert \det \rvert = c", "|det| = c"),
            ", not isotropic), counting the points where ",
            m(
                r"p_\theta(x) = \mathcal{N}(f^{-1}(x))\, \lvert \det \partial f^{-1}/\partial x \rvert \ge h - \varepsilon",
                "p_θ(x) = N(f⁻¹(x))·|det ∂f⁻¹/∂x| ≥ h − ε",
            ),
        ),
        computed=closed_float,
        reference=estimate,
        error=z_score,
        tolerance=MC_Z_LIMIT,
        detail=(
            "distance of the estimate from the closed form in standard errors; the estimate is ",
            Approx(estimate, 6),
            " ",
            m(r"\pm", "±"),
            " ",
            Approx(standard_error, 2),
        ),
    )


def check_volume_A_maximum(threshold: sympy.Expr, closed: sympy.Expr) -> Check:
    """max over c of vol(A) = c·π·r²(c) by Brent's method, in log space so that any τ is resolved.

    log vol(A) = log c + log π + log r², r² = −2(log 2π + log c + log τ): with log τ from the exact τ,
    every term stays moderate even when τ = 1e-400 and the maximising c is 1e399.
    """
    log_tau = _log(threshold)
    log_two_pi, log_pi = math.log(2 * math.pi), math.log(math.pi)

    def log_volume(log_c: float) -> float:
        r_squared = -2.0 * (log_two_pi + log_c + log_tau)
        return log_c + log_pi + math.log(r_squared) if r_squared > 0.0 else -math.inf

    # vol(A) > 0 exactly for c < 1/(2π τ); search there, on a log scale of c.
    top = -log_two_pi - log_tau
    found_log_c, found_value = minimize_bounded(lambda log_c: -log_volume(log_c), top - 40.0, top, 1e-12)
    log_closed = _log(closed)
    return Check(
        name=(m(r"\max_c \operatorname{vol}(A) = 1/(e(h - \varepsilon))", "max over c of vol(A) = 1/(e(h − ε))"),),
        method=(
            "Brent's bounded minimisation (scipy.optimize.minimize_scalar's, restated) of ",
            m(r"-\log(c \pi r^2(c))", "−log(c·π·r²(c))"),
            " over ",
            m(r"\log c", "log c"),
        ),
        computed=_number(closed),
        reference=_from_log(-found_value),
        error=abs(math.expm1(-found_value - log_closed)),
        tolerance=OPTIMIZER_VALUE_RTOL,
        detail=(
            "relative error of the maximum; the maximiser found is ",
            *_rel(C_M, "=", _approx(_from_log(found_log_c), 8)),
        ),
    )


def _optimizer_detail(value_tolerance: float, note: str = "") -> tuple:
    return (
        "the larger of ",
        m(r"\lvert \Delta\varepsilon \rvert / h", "|Δε|/h"),
        " over ",
        OPTIMIZER_ARG_TOL,
        " and the relative error of ",
        DELTA_M,
        " over ",
        value_tolerance,
        note,
        "; 1 or less passes",
    )


def check_best_eps(plateau: sympy.Expr, closed_eps: sympy.Expr, closed_tv: sympy.Expr) -> Check:
    """The best ε against bounded Brent on δ(ε) = ε(1 − 1/(e(h − ε))), written so that any h > 1/e is resolved.

    With d = h − 1/e (from the exact h) and ε = t·d, e(h − ε) − 1 = e·d(1 − t), so
    δ = d²·t(1 − t)/(h − t·d): no cancellation, even when h exceeds 1/e by 1e-60 and ε is 1e-63.
    """
    h = _float(plateau)
    d = _float(plateau - 1 / sympy.E)
    found_t, found_value = minimize_bounded(lambda t: -t * (1.0 - t) / (h - t * d), 0.0, 1.0, 1e-12)
    numeric_eps, scaled_tv = float(found_t) * d, float(-found_value)
    eps_float = _float(closed_eps)
    scaled_closed_tv = _float(closed_tv / (plateau - 1 / sympy.E) ** 2)
    return Check(
        name=("best ", EPS_M, ": closed form against numerical maximisation"),
        method=(
            "Brent's bounded minimisation (scipy.optimize.minimize_scalar's, restated) of ",
            m(r"-\delta(\varepsilon)", "−δ(ε)"),
            " over ",
            m(r"(0, h - 1/e)", "(0, h − 1/e)"),
            ", where ",
            m(r"\delta(\varepsilon) > 0", "δ(ε) > 0"),
            ", as ",
            m(r"\delta = d^2 t(1 - t)/(h - td)", "δ = d²·t(1 − t)/(h − td)"),
            " with ",
            m(r"d = h - 1/e", "d = h − 1/e"),
            " and ",
            m(r"\varepsilon = td", "ε = td"),
        ),
        computed=[_number(closed_eps), _number(closed_tv)],
        reference=[numeric_eps, _number(sympy.Float(scaled_tv, 17) * (plateau - 1 / sympy.E) ** 2)],
        error=max(
            abs(eps_float - numeric_eps) / (OPTIMIZER_ARG_TOL * d),
            _relative(scaled_closed_tv, scaled_tv) / OPTIMIZER_VALUE_RTOL,
        ),
        tolerance=1.0,
        detail=(
            "the larger of ",
            m(r"\lvert \Delta\varepsilon \rvert / d", "|Δε|/d"),
            " over ",
            OPTIMIZER_ARG_TOL,
            " and the relative error of ",
            DELTA_M,
            " over ",
            OPTIMIZER_VALUE_RTOL,
            "; 1 or less passes",
        ),
    )


def check_best_eps_vp(plateau: float, closed_eps: float) -> Check:
    numeric_eps, numeric_tv = maximize_bound(plateau, 1.0)
    return Check(
        name=("best ", EPS_M, " for ", C_IS_1, ": ", m(r"h - 1/(2\pi)", "h − 1/(2π)"), " against numerical maximisation"),
        method=(
            "Brent's bounded minimisation (scipy.optimize.minimize_scalar's, restated) of ",
            m(r"-\delta(\varepsilon)", "−δ(ε)"),
            " for ",
            C_IS_1,
            ", where ",
            m(r"\delta(\varepsilon) > 0", "δ(ε) > 0"),
        ),
        computed=[closed_eps, closed_eps],
        reference=[numeric_eps, numeric_tv],
        error=max(
            abs(closed_eps - numeric_eps) / (OPTIMIZER_ARG_TOL * plateau),
            _relative(closed_eps, numeric_tv) / OPTIMIZER_ARG_TOL,
        ),
        tolerance=1.0,
        detail=_optimizer_detail(OPTIMIZER_ARG_TOL, " (a kink, so Brent is first-order there)"),
    )


def check_inequality(
    name: tuple, method: tuple, lower: Any, upper: Any, detail: tuple | str = (), uncertainty: float = 0.0
) -> Check:
    """lower ≤ upper, up to rounding: the error is by how much lower exceeds upper, relative to max(1, |upper|).

    Either side may be exact (SymPy) or a float; they are compared at 30 digits, so a lower bound of
    2e-600 or an achieved KL of 1e399 (beyond float64) is compared as it is, not as 0 or ∞. ``uncertainty``
    (a quadrature's error estimate on one side) counts against the inequality: lower + uncertainty ≤ upper.
    """
    low, high = _evaluate(lower, 30), _evaluate(upper, 30)
    excess = max(low - high + sympy.Float(uncertainty, 30), 0) / max(1, abs(high))
    return Check(
        name=name,
        method=method,
        computed=_number(low),
        reference=_number(high),
        error=float(excess),
        tolerance=INEQUALITY_SLACK,
        detail=detail or "amount by which the left side exceeds the right, over the larger of 1 and the right side",
    )


# --------------------------------------------------------------------------- one run: every number


def parse_eps(text: str) -> Fraction | str:
    """--eps: the word 'best', or a number read exactly by the project's parser."""
    from dgm_cli.parsing import parse_number

    if isinstance(text, str) and text.strip().lower() == "best":
        return "best"
    return parse_number(text, "--eps")


def default_k() -> sympy.Expr:
    """The normalising k, derived at run time (not typed in): the positive root of mass(k) = 1."""
    return profile_formulas().k_normalizing


@dataclass(frozen=True)
class ForDet:
    """Parts (b), (a) and (c) for flows with one value of the constant c = |det ∂f/∂z|."""

    c: sympy.Expr
    r_squared: sympy.Expr  # 2 log(1/(2πc(h − ε)))
    nonempty: bool  # r² > 0: C is a disc of positive area
    volume_C: sympy.Expr
    volume_A: sympy.Expr
    tv: sympy.Expr  # the lower bound on δ: part (a) when A = ∅, part (c) otherwise, never below 0
    volume_C_upper_bound: sympy.Expr  # 1/(e c (h − ε)): log u ≤ u/e

    @property
    def kl(self) -> sympy.Expr:
        return 2 * self.tv**2

    @property
    def is_point(self) -> bool:
        """r² = 0 exactly (ε = h − 1/(2π) for c = 1): C = {0} and A = {f(0)} are single points, of area 0, not empty."""
        return bool(self.r_squared.is_zero)


def bound_for_det(c: sympy.Expr, eps: sympy.Expr, plateau: sympy.Expr) -> ForDet:
    """C, A and the bound on δ for |det| = c: δ ≥ ε if A = ∅, δ ≥ ε(1 − vol(A)) if 0 < vol(A) < 1, else only δ ≥ 0."""
    forms = level_set_formulas()
    r_squared = forms.r_squared.subs({forms.c: c, forms.tau: plateau - eps})
    nonempty = _is_positive(r_squared)
    volume_C = sympy.pi * r_squared if nonempty else sympy.Integer(0)
    volume_A = c * volume_C
    if not nonempty:
        tv = eps
    elif _is_positive(1 - volume_A):
        tv = eps * (1 - volume_A)
    else:
        tv = sympy.Integer(0)
    volume_C_upper = forms.volume_C_upper_bound.subs({forms.c: c, forms.tau: plateau - eps})
    return ForDet(c, r_squared, nonempty, volume_C, volume_A, tv, volume_C_upper)


@dataclass(frozen=True)
class Bounds:
    """Every quantity of one run, exact (SymPy) where a closed form exists."""

    k_given: bool
    example: Counterexample
    eps: sympy.Expr
    eps_is_best: bool
    eps_best_for_vp: bool  # --eps best fell back to the c = 1 bound (h ≤ 1/e)
    c_maximizing: sympy.Expr
    volume_A_upper_bound: sympy.Expr  # 1/(e(h − ε))
    tv_nonempty_A: sympy.Expr  # ε(1 − 1/(e(h − ε))): part (c), may be ≤ 0
    vp: ForDet
    given: ForDet | None
    best_eps: sympy.Expr | None  # None when h ≤ 1/e: no ε gives a positive bound for every c
    best_tv: sympy.Expr | None
    best_eps_vp: sympy.Expr  # the ε that maximises the c = 1 bound (0 when none is positive)
    best_tv_vp: sympy.Expr  # the c = 1 bound there (0 when none is positive)
    best_eps_vp_exact: sympy.Expr | None  # h − 1/(2π) when the maximum sits at that kink
    sigma_squared: sympy.Expr  # E_p‖x‖²/2
    kl_gaussian: sympy.Expr  # KL(p‖N(0, σ²I)) at that σ²
    kl_gaussian_vp: sympy.Expr  # KL(p‖N(0, I))
    kl_gaussian_det: sympy.Expr | None  # KL(p‖N(0, cI)) for --det c

    @property
    def plateau(self) -> sympy.Expr:
        return self.example.plateau

    @property
    def threshold(self) -> sympy.Expr:
        return self.example.plateau - self.eps

    @property
    def eps_shown(self) -> Any:
        """ε for prose: exact as the user gave it, or to 8 digits when the best ε was chosen."""
        return _approx(self.eps, 8) if self.eps_is_best else _shown(self.eps)

    @property
    def tv_every(self) -> sympy.Expr:
        """The bound for every θ and every c: the smaller of parts (a) and (c), never below 0."""
        return self.tv_nonempty_A if _is_positive(self.tv_nonempty_A) else sympy.Integer(0)


def solve_bounds(k_value: Fraction | None, eps_value: Fraction | str, det: Fraction | None) -> Bounds:
    """Validate the inputs and compute every quantity; InputError (exit 2) for a value out of range."""
    check_parameters(k_value, eps_value, det)
    k = default_k() if k_value is None else _rational(k_value)
    example = counterexample(k)
    plateau = example.plateau

    best = best_eps_formulas()
    if _is_positive(plateau - 1 / sympy.E):  # ε(1 − 1/(e(h − ε))) > 0 for some ε ∈ (0, h) iff h > 1/e
        best_eps, best_tv = best.best_eps.subs(best.h, plateau), best.best_tv.subs(best.h, plateau)
    else:
        best_eps = best_tv = None
    # For c = 1 the bound is δ = ε up to the kink ε = h − 1/(2π), where A appears, and beyond it
    # ε(1 + 2π log(2π(h − ε))), whose slope at the kink is 1 − 4π²ε: the kink is the maximum
    # exactly when h − 1/(2π) ≥ 1/(4π²); otherwise the maximum is interior (numerical only).
    kink = plateau - 1 / (2 * sympy.pi)
    best_eps_vp_exact = kink if _is_positive(kink - 1 / (4 * sympy.pi**2)) else None
    if best_eps_vp_exact is not None:
        best_vp: tuple[sympy.Expr, sympy.Expr] | None = (kink, kink)  # A = ∅ there, so δ = ε
    else:
        best_vp = best_eps_for_vp(plateau)

    eps_best_for_vp = False
    if eps_value == "best":
        if best_eps is not None:
            eps = best_eps
        elif best_vp is not None:
            # The numerical maximiser is an exact value (a rational t times the exact end of the range):
            # every closed form downstream is then exact for this ε (a 17-digit Float would leave
            # r² ≈ 1e-10 with 7 digits).
            eps = best_vp[0]
            eps_best_for_vp = True
        else:
            raise InputError(
                f"no ε in (0, h) gives a positive bound at k = {_short(k)}: h = {_short(plateau)} is below 1/e, "
                "and too low even for c = 1; give --eps a number to see the steps",
                "--eps",
            )
    else:
        eps = _rational(eps_value)  # in (0, h): checked by check_parameters

    forms = level_set_formulas()
    threshold = plateau - eps
    volume_A_upper = forms.volume_A_upper_bound.subs(forms.tau, threshold)
    sigma_squared = example.second_moment / 2
    given = bound_for_det(_rational(det), eps, plateau) if det is not None else None
    return Bounds(
        k_given=k_value is not None,
        example=example,
        eps=eps,
        eps_is_best=eps_value == "best",
        eps_best_for_vp=eps_best_for_vp,
        c_maximizing=forms.c_maximizing.subs(forms.tau, threshold),
        volume_A_upper_bound=volume_A_upper,
        tv_nonempty_A=eps * (1 - volume_A_upper),
        vp=bound_for_det(sympy.Integer(1), eps, plateau),
        given=given,
        best_eps=best_eps,
        best_tv=best_tv,
        best_eps_vp=best_vp[0] if best_vp is not None else sympy.Integer(0),
        best_tv_vp=best_vp[1] if best_vp is not None else sympy.Integer(0),
        best_eps_vp_exact=best_eps_vp_exact,
        sigma_squared=sigma_squared,
        kl_gaussian=example.kl_to_gaussian(sigma_squared),
        kl_gaussian_vp=example.kl_to_gaussian(sympy.Integer(1)),
        kl_gaussian_det=example.kl_to_gaussian(given.c) if given is not None else None,
    )


# --------------------------------------------------------------------------- the derivation, step by step


def _at_least(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.GreaterThan:
    """lhs ≥ rhs for display, never evaluated to True or False."""
    return sympy.GreaterThan(lhs, _for_display(rhs), evaluate=False)


def _k_shown(b: Bounds) -> Any:
    """k for prose: exact as the user gave it, or the normalising k* to 8 digits."""
    return _shown(b.example.k) if b.k_given else _approx(b.example.k, 8)


def _kl_at_least(value: Any) -> tuple:
    return _rel(KL_M, ">=", value)


def _setup_steps(b: Bounds, warnings: list[Notice]) -> list[Step]:
    """The counterexample, its normalisation, the sets B, A, Ā and Pinsker's inequality: before the parts."""
    formulas = profile_formulas()
    example, k = b.example, b.example.k
    mass_float, plateau_float = _float(example.mass), _float(b.plateau)
    x, y = sympy.symbols("x y", real=True)
    ax, ay, ks = sympy.Abs(x), sympy.Abs(y), formulas.k
    as_written = sympy.Piecewise(
        (PLATEAU_AS_WRITTEN, (ax <= HALF_SIDE) & (ay <= HALF_SIDE)),
        (PLATEAU_AS_WRITTEN - ks * (ax - HALF_SIDE), (ax >= HALF_SIDE) & (ax <= formulas.ramp_end) & (ay <= ax)),
        (PLATEAU_AS_WRITTEN - ks * (ay - HALF_SIDE), (ay >= HALF_SIDE) & (ay <= formulas.ramp_end) & (ax <= ay)),
        (0, True),
    )
    written_end = PLATEAU_AS_WRITTEN * k + HALF_SIDE
    corrected_end = _float(example.ramp_end)
    ramp_zero = m(r"0.5 + 0.9/k", "0.5 + 0.9/k")
    written = m(r"0.9k + 0.5", "0.9k + 0.5")
    if k != 1:  # at k = 1 the assignment's 0.9k + 0.5 and the ramp's zero 0.5 + 0.9/k coincide: nothing to correct
        warnings.append(
            Notice(
                ("The ramp is used up to its zero ", ramp_zero, ", not up to the assignment's ", written, "."),
                "ramp_end",
            )
        )
    steps = [
        Step(
            "The counterexample (with the ramp's end corrected)",
            (
                "The target density, case by case as the assignment writes it; the first case that matches wins. "
                "The model is any normalizing flow ",
                P_THETA,
                " with latent ",
                m(r"z \sim \mathcal{N}(0, I_2)", "z ~ N(0, I₂)"),
                " and constant ",
                m(r"\lvert \det \partial f_\theta / \partial z \rvert = c", "|det ∂f_θ/∂z| = c"),
                ".",
            ),
            equation(DENSITY, as_written),
        ),
        Step(
            ("Correction: the ramp ends at ", ramp_zero, ", not at ", written),
            (
                "The assignment writes ",
                m(r"\lvert x \rvert \in [0.5, 0.9k + 0.5]", "|x| ∈ [0.5, 0.9k + 0.5]"),
                ". But the ramp ",
                m(r"0.9 - k(\lvert x \rvert - 0.5)", "0.9 − k(|x| − 0.5)"),
                " reaches 0 at ",
                m(r"\lvert x \rvert = 0.5 + 0.9/k", "|x| = 0.5 + 0.9/k"),
                " and past it would be a negative density: at ",
                *_rel(K_M, "=", _k_shown(b)),
                " the assignment's end is ",
                *_rel(written, "=", _approx(written_end, 8)),
                ", the ramp's zero ",
                Approx(corrected_end, 8),
                ". The ramp is used up to its zero, so ",
                P_M,
                " is continuous and non-negative; the two ends agree only at ",
                m("k = 1", "k = 1"),
                ", as here, so nothing changes." if k == 1 else ".",
                "\nA second reading is consistent too: the slope is ",
                m("1/k", "1/k"),
                ", that is the ramp ",
                m(r"0.9 - (\lvert x \rvert - 0.5)/k", "0.9 − (|x| − 0.5)/k"),
                ", which does reach 0 at ",
                m(r"\lvert x \rvert = 0.9k + 0.5", "|x| = 0.9k + 0.5"),
                " as written. It is the same family with ",
                K_M,
                " replaced by ",
                m("1/k", "1/k"),
": under it, the density with parameter ",
                K_M,
                " is the density used here with parameter ",
                m("1/k", "1/k"),
                ". So the choice loses nothing: every result below, at ",
                *_rel(K_M, "=", _k_shown(b)),
                ", is that of the second reading at ",
                *_rel(m("1/k", "1/k"), "=", _approx(1 / k, 8)),
                ".",
            ),
            equation(Label("ramp end", r"\text{ramp end}"), formulas.ramp_end),
            corrected_end,
        ),
        Step(
            "Which case covers which region",
            (
                "Case 1 is the plateau ",
                m(r"B = [-\tfrac12, \tfrac12]^2", "B = [−½, ½]²"),
                ". Case 2 (",
                m(r"\tfrac12 \le \lvert x \rvert \le \tfrac12 + 0.9/k", "½ ≤ |x| ≤ ½ + 0.9/k"),
                " and ",
                m(r"\lvert y \rvert \le \lvert x \rvert", "|y| ≤ |x|"),
                ") is two trapezoids left and right of ",
                B_M,
                ", bounded by the diagonals ",
                m(r"\lvert y \rvert = \lvert x \rvert", "|y| = |x|"),
                ": at their outer edge they reach ",
                m(r"\lvert y \rvert = \tfrac12 + 0.9/k", "|y| = ½ + 0.9/k"),
                ", so they also cover the halves of the four corner squares on the side ",
                m(r"\lvert y \rvert \le \lvert x \rvert", "|y| ≤ |x|"),
                " of the diagonals, not just strips beside ",
                B_M,
                ". Case 3 is the same with ",
                X_M,
                " and ",
                Y_M,
                " exchanged (above and below ",
                B_M,
                ", and the other halves of the corners). Case 2 meets case 1 only on the sides ",
                m(r"\lvert x \rvert = \tfrac12,\ \lvert y \rvert \le \tfrac12", "|x| = ½, |y| ≤ ½"),
                " of ",
                B_M,
                ", and case 3 meets case 1 only on the sides ",
                m(r"\lvert y \rvert = \tfrac12,\ \lvert x \rvert \le \tfrac12", "|y| = ½, |x| ≤ ½"),
                "; cases 2 and 3 meet only on the diagonals ",
                m(
                    r"\lvert x \rvert = \lvert y \rvert,\ \tfrac12 \le \lvert x \rvert \le \tfrac12 + 0.9/k",
                    "|x| = |y|, ½ ≤ |x| ≤ ½ + 0.9/k",
                ),
                ". These are segments, of area zero, and on them the cases agree anyway (",
                m("0.9", "0.9"),
                " on the sides of ",
                B_M,
                ", ",
                m(r"0.9 - k(\lvert x \rvert - \tfrac12)", "0.9 − k(|x| − ½)"),
                " on the diagonals), so the order of the cases changes no probability. Together they tile the "
                "square of half-side ",
                m(r"\tfrac12 + 0.9/k", "½ + 0.9/k"),
                ", and on all of it ",
                P_M,
                " depends only on ",
                m(
                    r"t = \max(\lvert x \rvert, \lvert y \rvert) = \lVert (x, y) \rVert_\infty",
                    "t = max(|x|, |y|) = ‖(x, y)‖∞",
                ),
                ": a pyramid frustum, flat on ",
                B_M,
                " and falling linearly to 0 at the edge. Every integral below is one in ",
                T_M,
                ", with ",
                m(r"dA = 8t\, dt", "dA = 8t dt"),
                " (the square ",
                m(r"\lVert x \rVert_\infty \le t", "‖x‖∞ ≤ t"),
                " has area ",
                m("4t^2", "4t²"),
                ").",
            ),
            equation(DENSITY, formulas.profile.subs(formulas.t, Label("‖(x, y)‖∞", r"\|(x, y)\|_\infty"))),
        ),
        Step(
            ("Total mass as a function of ", K_M),
            (
                m(r"0.9 \operatorname{vol}(B)", "0.9·vol(B)"),
                " plus ",
                m(
                    r"\int_{1/2}^{1/2 + 0.9/k} \bigl(0.9 - k(t - \tfrac12)\bigr)\, 8t \, dt",
                    "∫ from ½ to ½ + 0.9/k of (0.9 − k(t − ½))·8t dt",
                ),
                ", integrated by SymPy:",
            ),
            equation(MASS, formulas.mass),
        ),
        Step(
            ("The normalising ", K_M),
            (
                m(r"\operatorname{mass}(k)", "mass(k)"),
                " falls from ",
                m(r"\infty", "∞"),
                " (",
                m(r"k \to 0", "k → 0"),
                ") to ",
                m("0.9", "0.9"),
                " (",
                m(r"k \to \infty", "k → ∞"),
                "), so ",
                m(r"\operatorname{mass}(k) = 1", "mass(k) = 1"),
                " has exactly one positive root: the default value of ",
                K_M,
                ".",
            ),
            equation(K_NORMALIZING, formulas.k_normalizing),
            _float(formulas.k_normalizing),
        ),
    ]
    k_name = m("k^{*}", "k*") if not b.k_given else None
    if example.is_normalized:
        steps.append(
            Step(
                (k_name, " normalises ", P_M) if k_name else (*_rel(K_M, "=", k), " normalises ", P_M),
                (
                    *_rel(m(r"\operatorname{mass}(k)", "mass(k)"), "=", example.mass),
                    ": ",
                    P_M,
                    " is a probability density as written, with plateau height ",
                    m("h = 0.9", "h = 0.9"),
                    ".",
                ),
                equation(H, _for_display(b.plateau)),
                plateau_float,
            )
        )
    else:
        warnings.append(
            Notice(
                (
                    "NOT A DENSITY: at ",
                    *_rel(K_M, "=", _k_shown(b)),
                    " the density as written integrates to ",
                    mass_float,
                    ", so it is divided by that mass.",
                ),
                "mass",
            )
        )
        steps.append(
            Step(
                (
                    "NOT A DENSITY at ",
                    *_rel(K_M, "=", _k_shown(b)),
                    ": normalised by ",
                    *_rel(m("Z", "Z"), "=", Approx(mass_float, 8)),
                ),
                (
                    *_rel(m(r"Z = \operatorname{mass}(k)", "Z = mass(k)"), "=", example.mass),
                    " = ",
                    Approx(mass_float, 10),
                    " ",
                    m(r"\ne 1", "≠ 1"),
                    ". Pinsker's inequality holds only between probability densities, so every step below uses the "
                    "normalised density ",
                    m("p/Z", "p/Z"),
                    ". Its plateau height is ",
                    m("h = 0.9/Z", "h = 0.9/Z"),
                    " (not ",
                    m("0.9", "0.9"),
                    "), and ",
                    A_M,
                    " is defined with the threshold ",
                    THRESHOLD_M,
                    " (not ",
                    m(r"0.9 - \varepsilon", "0.9 − ε"),
                    ").",
                ),
                equation(H, _for_display(b.plateau)),
                plateau_float,
            )
        )
    if b.eps_best_for_vp:
        chosen = (" (the best ", EPS_M, " for ", C_IS_1, ", in part (c))")
    elif b.eps_is_best:
        chosen = (" (the best ", EPS_M, ", in part (c))")
    else:
        chosen = ()
    steps.append(
        Step(
            ("The sets ", B_M, ", ", A_M, " and ", m(r"\bar A", "Ā")),
            (
                m(r"B = [-\tfrac12, \tfrac12]^2", "B = [−½, ½]²"),
                ", ",
                m(r"\operatorname{vol}(B) = 1", "vol(B) = 1"),
                ", ",
                *_rel(m(r"P(B) = h \operatorname{vol}(B)", "P(B) = h·vol(B)"), "=", _approx(b.plateau, 8)),
                ". ",
                m(r"A = \{x : p_\theta(x) \ge h - \varepsilon\}", "A = {x : p_θ(x) ≥ h − ε}"),
                " with ",
                *_rel(EPS_M, "=", b.eps_shown),
                *chosen,
                ", so the threshold is ",
                *_rel(THRESHOLD_M, "=", _approx(b.threshold, 8)),
                ". ",
                m(r"\bar A = B \setminus A", "Ā = B∖A"),
                " is the part of the plateau where the flow's density is more than ",
                EPS_M,
                " below that of ",
                P_M,
                ".",
            ),
            equation(Label("h − ε", r"h - \varepsilon"), _for_display(b.threshold)),
            _number(b.threshold),
        )
    )
    steps.append(
        Step(
            "Which KL, and Pinsker",
            (
                DELTA_M,
                " is the supremum over events ",
                m("E", "E"),
                " of ",
                m(r"\lvert P(E) - P_\theta(E) \rvert", "|P(E) − P_θ(E)|"),
                ", as the assignment defines it, with no factor ",
                m(r"\tfrac12", "½"),
                " (it equals ",
                m(r"\tfrac12 \int \lvert p - p_\theta \rvert", "½∫|p − p_θ|"),
                "). Pinsker's inequality ",
                m(r"\delta \le \sqrt{\mathrm{KL}/2}", "δ ≤ √(KL/2)"),
                " gives ",
                m(r"\mathrm{KL} \ge 2\delta^2", "KL ≥ 2δ²"),
                ". The bounds are stated for ",
                KL_M,
                ", the maximum-likelihood objective; Pinsker holds in both directions, so they bound ",
                m(r"\mathrm{KL}(p_\theta \,\|\, p)", "KL(p_θ‖p)"),
                " too, which is in fact ",
                m(r"+\infty", "+∞"),
                " here: ",
                m(r"p_\theta > 0", "p_θ > 0"),
                " everywhere, while ",
                P_M,
                " vanishes outside a bounded square.",
            ),
        )
    )
    return steps


def _part_a_steps(b: Bounds) -> list[Step]:
    return [
        Step(
            ("Part (a): ", A_EMPTY, ", event ", m(r"E = \bar A = B", "E = Ā = B")),
            (
                "If ",
                A_M,
                " is empty, ",
                m(r"p_\theta < h - \varepsilon", "p_θ < h − ε"),
                " everywhere, in particular on ",
                B_M,
                ", where ",
                m("p = h", "p = h"),
                ". Take ",
                m(r"E = \bar A = B \setminus \emptyset = B", "E = Ā = B∖∅ = B"),
                ": ",
                m(
                    r"P(B) - P_\theta(B) = \int_B (p - p_\theta) > \varepsilon \operatorname{vol}(B) = \varepsilon",
                    "P(B) − P_θ(B) = ∫_B (p − p_θ) > ε·vol(B) = ε",
                ),
                ". So ",
                m(r"\delta \ge \varepsilon > 0", "δ ≥ ε > 0"),
                " for every ",
                EPS_M,
                " in ",
                m("(0, h)", "(0, h)"),
                ", and by Pinsker ",
                m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge 2\varepsilon^2", "KL(p‖p_θ) ≥ 2ε²"),
                ". Here ",
                *_rel(DELTA_M, ">=", _approx(b.eps, 8)),
                " and ",
                *_kl_at_least(_approx(_kl(b.eps), 8)),
                ".",
            ),
            _at_least(GAP_B, EPS),
            _number(b.eps),
            part="a",
        )
    ]


def _at_most(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.LessThan:
    """lhs ≤ rhs for display, never evaluated to True or False."""
    return sympy.LessThan(lhs, _for_display(rhs), evaluate=False)


def _volumes_for_det(d: ForDet, r_squared_name: Math, bound_name: Math, threshold: tuple) -> tuple:
    """Part (b) at one c, as prose: r², then C and A (a disc, a single point, or empty), vol(C) beside its bound."""
    bound = (*_rel(bound_name, "=", _approx(d.volume_C_upper_bound, 8)),)
    largest = (*_rel(m(r"1/(2\pi c)", "1/(2πc)"), "=", _approx(1 / (2 * sympy.pi * d.c), 8)),)
    if d.nonempty:
        return (
            *_rel(r_squared_name, "=", _approx(d.r_squared, 8)),
            " ",
            m("> 0", "> 0"),
            ": ",
            m("C", "C"),
            " is a disc of area ",
            *_rel(m(r"\operatorname{vol}(C) = \pi r^2", "vol(C) = π r²"), "=", _approx(d.volume_C, 8)),
            ", below its simple bound ",
            *bound,
            ", and ",
            *_rel(m(r"\operatorname{vol}(A) = c \operatorname{vol}(C)", "vol(A) = c·vol(C)"), "=", _approx(d.volume_A, 8)),
            ".",
        )
    if d.is_point:
        return (
            *_rel(m("r^2", "r²"), "=", sympy.Integer(0)),
            ": ",
            *threshold,
            " is exactly the largest value ",
            *largest,
            " of ",
            P_THETA,
            ", reached only at ",
            m("f(0)", "f(0)"),
            ". So ",
            m(r"C = \{0\}", "C = {0}"),
            " and ",
            m(r"A = \{f(0)\}", "A = {f(0)}"),
            " are single points: not empty, but ",
            m(r"\operatorname{vol}(C) = \operatorname{vol}(A) = 0", "vol(C) = vol(A) = 0"),
            " (the simple bound is ",
            *bound,
            ").",
        )
    return (
        *_rel(r_squared_name, "=", _approx(d.r_squared, 8)),
        " ",
        m("< 0", "< 0"),
        ", because ",
        *threshold,
        " exceeds the largest value ",
        *largest,
        " of ",
        P_THETA,
        ": ",
        m(r"C = \emptyset", "C = ∅"),
        " and ",
        A_EMPTY,
        ", so ",
        m(r"\operatorname{vol}(C) = \operatorname{vol}(A) = 0", "vol(C) = vol(A) = 0"),
        " (the simple bound is ",
        *bound,
        ").",
    )


def _part_b_steps(b: Bounds) -> list[Step]:
    forms = level_set_formulas()
    z_label = Label("‖z‖²", r"\|z\|^2")
    display = {forms.c: C, forms.tau: TAU}
    vol_c = m(r"\operatorname{vol}(C)", "vol(C)")
    steps = [
        Step(
            "The family of flows",
            (
                "By the change of variables with ",
                m(r"\lvert \det \partial f / \partial z \rvert = c", "|det ∂f/∂z| = c"),
                " everywhere, ",
                m(r"\lvert \det \partial f^{-1} / \partial x \rvert = 1/c", "|det ∂f⁻¹/∂x| = 1/c"),
                ", so ",
                m(r"p_\theta(x) = \mathcal{N}(f^{-1}(x); 0, I_2)/c", "p_θ(x) = N(f⁻¹(x); 0, I₂)/c"),
                ": it depends on ",
                X_M,
                " only through ",
                m(r"\lVert f^{-1}(x) \rVert^2", "‖f⁻¹(x)‖²"),
                ", and never exceeds ",
                m(r"1/(2\pi c)", "1/(2πc)"),
                ". The strictly volume-preserving flows are ",
                C_IS_1,
                "; the statement's family (any constant ",
                C_M,
                ") contains them.",
            ),
            equation(FLOW_DENSITY, forms.flow_density_at_radius.subs({forms.rho_squared: z_label, forms.c: C})),
            part="b",
        ),
        Step(
            ("Part (b): the event ", m(r"C = f^{-1}(A)", "C = f⁻¹(A)"), " in latent space"),
            (
                m(
                    r"p_\theta(f(z)) \ge h - \varepsilon \iff \mathcal{N}(z)/c \ge \tau \iff \lVert z \rVert^2 \le r^2",
                    "p_θ(f(z)) ≥ h − ε ⟺ N(z)/c ≥ τ ⟺ ‖z‖² ≤ r²",
                ),
                " (with ",
                m(r"\tau = h - \varepsilon", "τ = h − ε"),
                "), solved by SymPy: ",
                m("C", "C"),
                " is the disc of radius ",
                m("r", "r"),
                " around 0 when ",
                m("r^2 > 0", "r² > 0"),
                ", the single point 0 when ",
                m("r^2 = 0", "r² = 0"),
                ", and empty when ",
                m("r^2 < 0", "r² < 0"),
                ". Because ",
                m("f", "f"),
                " multiplies every area by the constant ",
                C_M,
                ", ",
                m(
                    r"\operatorname{vol}(A) = \operatorname{vol}(f(C)) = c \operatorname{vol}(C)",
                    "vol(A) = vol(f(C)) = c·vol(C)",
                ),
                ", that is ",
                m(r"\operatorname{vol}(C) = \operatorname{vol}(A)/c", "vol(C) = vol(A)/c"),
                ": for a volume-preserving flow the two volumes are equal.",
            ),
            equation(R_SQUARED, forms.r_squared.subs(display)),
            part="b",
        ),
        Step(
            ("Part (b): the volume of ", m("C", "C"), " and a simple upper bound"),
            (
                m("C", "C"),
                " is a disc (the hint's circle), so ",
                m(
                    r"\operatorname{vol}(C) = \pi r^2 = 2\pi \log\bigl(1/(2\pi c \tau)\bigr)",
                    "vol(C) = π r² = 2π log(1/(2πcτ))",
                ),
                " when ",
                m("r^2 > 0", "r² > 0"),
                ", and ",
                m(r"\operatorname{vol}(C) = 0", "vol(C) = 0"),
                " otherwise. A simple upper bound: ",
                m(r"\log", "log"),
                " is concave, so it lies below its tangent at ",
                m("u = e", "u = e"),
                ", ",
                m(r"\log u \le u/e", "log u ≤ u/e"),
                " for every ",
                m("u > 0", "u > 0"),
                ", with equality only at ",
                m("u = e", "u = e"),
                " (SymPy). With ",
                m(r"u = 1/(2\pi c \tau)", "u = 1/(2πcτ)"),
                " this gives ",
                m(r"\operatorname{vol}(C) = 2\pi \log u \le 2\pi u/e", "vol(C) = 2π log u ≤ 2πu/e"),
                ", that is ",
                m(
                    r"\operatorname{vol}(C) \le 1/(ec\tau) = 1/\bigl(ec(h - \varepsilon)\bigr)",
                    "vol(C) ≤ 1/(ecτ) = 1/(ec(h − ε))",
                ),
                ", with equality exactly when ",
                m("r^2 = 2", "r² = 2"),
                ".\nThis bound, like ",
                vol_c,
                " itself, depends on ",
                C_M,
                ", and no bound on ",
                vol_c,
                " holds for every ",
                C_M,
                ": as ",
                m(r"c \to 0", "c → 0"),
                ", ",
                m(
                    r"\operatorname{vol}(C) = 2\pi \log\bigl(1/(2\pi c \tau)\bigr) \to \infty",
                    "vol(C) = 2π log(1/(2πcτ)) → ∞",
                ),
                " (a flow with a small ",
                C_M,
                " squeezes an ever larger latent disc into ",
                A_M,
                "). The factor ",
                C_M,
                " makes up for it: ",
                m(
                    r"\operatorname{vol}(A) = c \operatorname{vol}(C) \le 1/(e\tau)",
                    "vol(A) = c·vol(C) ≤ 1/(eτ)",
                ),
                " for every ",
                C_M,
                ". That is why the proof bounds ",
                VOL_A_M,
                " and not ",
                vol_c,
                ": part (c) needs ",
                m(
                    r"\operatorname{vol}(\bar A) \ge \operatorname{vol}(B) - \operatorname{vol}(A)",
                    "vol(Ā) ≥ vol(B) − vol(A)",
                ),
                ", a statement about areas in the plane of ",
                P_M,
                ", and needs it for every flow of the family at once.",
            ),
            _at_most(Label("vol(C)", r"\operatorname{vol}(C)"), forms.volume_C_upper_bound.subs(display)),
            part="b",
        ),
        Step(
            ("Part (b): the volume of ", A_M),
            (
                m(r"\operatorname{vol}(A) = c \operatorname{vol}(C) = c \pi r^2", "vol(A) = c·vol(C) = c·π·r²"),
                " when ",
                m("r^2 > 0", "r² > 0"),
                " (else 0):",
            ),
            equation(VOLUME_A, forms.volume_A.subs(display)),
            part="b",
        ),
        Step(
            ("Part (b): a bound on ", VOL_A_M, " for every ", C_M),
            (
                "Multiplying the bound on ",
                vol_c,
                " by ",
                C_M,
                " removes ",
                C_M,
                ": ",
                m(r"\operatorname{vol}(A) \le 1/(e\tau)", "vol(A) ≤ 1/(eτ)"),
                ". It is the maximum over ",
                C_M,
                ", not just a bound: ",
                VOL_A_M,
                " is concave in ",
                C_M,
                " (second derivative ",
                m(r"-2\pi/c", "−2π/c"),
                "); its derivative vanishes at ",
                m(r"c = 1/(2\pi e \tau)", "c = 1/(2πeτ)"),
                ", where ",
                m("r^2 = 2", "r² = 2"),
                ", ",
                m(r"\operatorname{vol}(C) = 2\pi", "vol(C) = 2π"),
                " and ",
                m(r"\operatorname{vol}(A) = 1/(e\tau)", "vol(A) = 1/(eτ)"),
                ". At ",
                *_rel(TAU_M, "=", _approx(b.threshold, 8)),
                " the maximising ",
                C_M,
                " is ",
                _approx(b.c_maximizing, 8),
                "; every flow in the family has",
            ),
            equation(VOLUME_A_UPPER, forms.volume_A_upper_bound.subs(forms.tau, H - EPS)),
            _number(b.volume_A_upper_bound),
            part="b",
        ),
    ]
    vp = b.vp
    threshold_vp = (*_rel(THRESHOLD_M, "=", _approx(b.threshold, 8)),)
    steps.append(
        Step(
            ("Part (b) for volume-preserving flows (", C_IS_1, ")"),
            _volumes_for_det(
                vp,
                m(r"r^2 = 2\log\bigl(1/(2\pi(h - \varepsilon))\bigr)", "r² = 2 log(1/(2π(h − ε)))"),
                m(r"1/\bigl(e(h - \varepsilon)\bigr)", "1/(e(h − ε))"),
                threshold_vp,
            ),
            equation(VOLUME_A, _for_display(vp.volume_A)),
            _number(vp.volume_A),
            part="b",
        )
    )
    if b.given is not None:
        g = b.given
        steps.append(
            Step(
                ("Part (b) for the given constant ", *_rel(C_M, "=", _shown(g.c))),
                _volumes_for_det(
                    g,
                    m(r"r^2 = 2\log\bigl(1/(2\pi c(h - \varepsilon))\bigr)", "r² = 2 log(1/(2πc(h − ε)))"),
                    m(r"1/\bigl(ec(h - \varepsilon)\bigr)", "1/(ec(h − ε))"),
                    threshold_vp,
                ),
                equation(VOLUME_A, _for_display(g.volume_A)),
                _number(g.volume_A),
                part="b",
            )
        )
    return steps


def _positive_if(b: Bounds) -> tuple:
    """When the bound for every c is positive: ε < h − 1/e, or never when h ≤ 1/e."""
    if b.best_eps is not None:
        return _rel(m(r"\varepsilon < h - 1/e", "ε < h − 1/e"), "=", Approx(_float(b.plateau) - 1 / math.e, 8))
    return (
        m(r"h - \varepsilon > 1/e", "h − ε > 1/e"),
        ", impossible for ",
        m(r"\varepsilon > 0", "ε > 0"),
        " since ",
        m(r"h \le 1/e", "h ≤ 1/e"),
        " here",
    )


def _part_c_steps(b: Bounds, warnings: list[Notice]) -> list[Step]:
    plateau_float = _float(b.plateau)
    case_c_positive, every_positive = _is_positive(b.tv_nonempty_A), _is_positive(b.tv_every)
    positive_if = _positive_if(b)
    steps = [
        Step(
            ("Part (c): ", m(r"A \ne \emptyset", "A ≠ ∅"), ", event ", m(r"E = \bar A = B \setminus A", "E = Ā = B∖A")),
            (
                "On ",
                m(r"\bar A \subset B", "Ā ⊂ B"),
                ", ",
                m("p = h", "p = h"),
                " and ",
                m(r"p_\theta < h - \varepsilon", "p_θ < h − ε"),
                ", so ",
                m(
                    r"P(\bar A) - P_\theta(\bar A) \ge \varepsilon \operatorname{vol}(\bar A)",
                    "P(Ā) − P_θ(Ā) ≥ ε·vol(Ā)",
                ),
                ", and ",
                m(
                    r"\operatorname{vol}(\bar A) \ge \operatorname{vol}(B) - \operatorname{vol}(A) "
                    r"\ge 1 - 1/(e(h - \varepsilon))",
                    "vol(Ā) ≥ vol(B) − vol(A) ≥ 1 − 1/(e(h − ε))",
                ),
                " by part (b). This is positive exactly when the bound on ",
                VOL_A_M,
                " is below ",
                m(r"\operatorname{vol}(B) = 1", "vol(B) = 1"),
                ", i.e. when ",
                *positive_if,
                ". Here ",
                *_rel(m(r"\varepsilon(1 - 1/(e(h - \varepsilon)))", "ε(1 − 1/(e(h − ε)))"), "=", _approx(b.tv_nonempty_A, 8)),
                *(
                    (".",)
                    if case_c_positive
                    else (
                        ": not positive. The bound on the area of ",
                        A_M,
                        " exceeds the area of ",
                        B_M,
                        ", so this case proves only ",
                        m(r"\delta \ge 0", "δ ≥ 0"),
                        ".",
                    )
                ),
            ),
            _at_least(GAP_A_BAR, EPS * (1 - 1 / (sympy.E * (H - EPS)))),
            _number(b.tv_nonempty_A),
            part="c",
        ),
    ]
    if every_positive:
        text = (
            "Every flow has ",
            A_EMPTY,
            " (part (a): ",
            m(r"\delta \ge \varepsilon", "δ ≥ ε"),
            ") or ",
            m(r"A \ne \emptyset", "A ≠ ∅"),
            " (part (c): ",
            m(r"\delta \ge \varepsilon(1 - 1/(e(h - \varepsilon)))", "δ ≥ ε(1 − 1/(e(h − ε)))"),
            "). The smaller, part (c), holds for every ",
            THETA_M,
            " and every ",
            C_M,
            ": ",
            *_rel(DELTA_M, ">=", _approx(b.tv_every, 8)),
            ", and by Pinsker ",
            *_rel(m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge 2\delta^2", "KL(p‖p_θ) ≥ 2δ²"), "=", _approx(_kl(b.tv_every), 8)),
            " ",
            m("> 0", "> 0"),
            ".",
        )
    else:
        if b.best_eps is not None:
            best_tv = _float(b.best_tv)
            advice = (
                "; the best ",
                EPS_M,
                " for this ",
                K_M,
                " is ",
                _approx(b.best_eps, 8),
                ", where ",
                *_rel(DELTA_M, ">=", Approx(best_tv, 8)),
                " and ",
                *_rel(m(r"\mathrm{KL}", "KL"), ">=", Approx(pinsker_kl_lower_bound(best_tv), 8)),
                ".",
            )
        else:
            advice = (
                ": ",
                *_rel(H_M, "=", Approx(plateau_float, 8)),
                " ",
                m(r"\le 1/e", "≤ 1/e"),
                ", so at this ",
                K_M,
                " the argument gives no positive bound valid for every ",
                C_M,
                ", whatever ",
                EPS_M,
                ".",
            )
        text = (
            "NO POSITIVE BOUND at ",
            *_rel(EPS_M, "=", b.eps_shown),
            ": the bound on ",
            VOL_A_M,
            ", ",
            _approx(b.volume_A_upper_bound, 8),
            ", is not below the area of ",
            B_M,
            ", 1, so part (c) proves only ",
            m(r"\delta \ge 0", "δ ≥ 0"),
            ". A positive bound needs ",
            *positive_if,
            *advice,
        )
        warnings.append(
            Notice(
                (
                    "At ",
                    *_rel(EPS_M, "=", b.eps_shown),
                    " no positive bound holds for every ",
                    C_M,
                    ": the bound on ",
                    VOL_A_M,
                    " is not below ",
                    m(r"\operatorname{vol}(B) = 1", "vol(B) = 1"),
                    ".",
                ),
                "tv_lower_bound",
            )
        )
    steps.append(
        Step(
            ("The bound for every flow with constant ", ABS_DET, " (every ", THETA_M, ", every ", C_M, ")"),
            text,
            _at_least(KL, 2 * b.tv_every**2),
            _number(_kl(b.tv_every)),
            part="c",
        )
    )

    vp = b.vp
    if vp.is_point:
        text = (
            "For ",
            C_IS_1,
            ", ",
            m(r"A = \{f(0)\}", "A = {f(0)}"),
            " is a single point, of area 0 (part (b)), so part (c) with ",
            m(r"\operatorname{vol}(A) = 0", "vol(A) = 0"),
            " holds for every volume-preserving flow: ",
            *_rel(m(r"\delta \ge \varepsilon", "δ ≥ ε"), "=", _approx(vp.tv, 8)),
        )
    elif not vp.nonempty:
        text = (
            "For ",
            C_IS_1,
            ", ",
            A_EMPTY,
            " (part (b)), so part (a) holds for every volume-preserving flow: ",
            *_rel(m(r"\delta \ge \varepsilon", "δ ≥ ε"), "=", _approx(vp.tv, 8)),
        )
    elif _is_positive(vp.tv):
        text = (
            "For ",
            C_IS_1,
            ", ",
            *_rel(VOL_A_M, "=", _approx(vp.volume_A, 8)),
            " ",
            m("< 1", "< 1"),
            " exactly, so part (c) gives ",
            *_rel(m(r"\delta \ge \varepsilon(1 - \operatorname{vol}(A))", "δ ≥ ε(1 − vol(A))"), "=", _approx(vp.tv, 8)),
        )
    else:
        text = (
            "For ",
            C_IS_1,
            ", ",
            *_rel(VOL_A_M, "=", _approx(vp.volume_A, 8)),
            " ",
            m(r"\ge 1", "≥ 1"),
            ", so at this ",
            EPS_M,
            " the argument gives only ",
            m(r"\delta \ge 0", "δ ≥ 0"),
        )
    steps.append(
        Step(
            ("The bound for volume-preserving flows (", C_IS_1, ")"),
            (
                *text,
                ", and ",
                *_rel(
                    m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge 2\delta^2", "KL(p‖p_θ) ≥ 2δ²"),
                    "=",
                    _approx(_kl(vp.tv), 8),
                ),
                ". This is never weaker than the bound for every ",
                C_M,
                ", since ",
                VOL_A_M,
                " at ",
                C_IS_1,
                " is at most its maximum over ",
                C_M,
                ".",
            ),
            _at_least(KL, vp.kl),
            _number(_kl(vp.tv)),
            part="c",
        )
    )
    if b.given is not None:
        g = b.given
        if g.is_point:
            which = ("Part (c) with ", m(r"\operatorname{vol}(A) = 0", "vol(A) = 0"), " (", A_M, " is a single point)")
        elif not g.nonempty:
            which = ("Part (a), ", A_EMPTY)
        elif _is_positive(g.tv):
            which = ("Part (c)",)
        else:
            which = ("Part (c), which proves only ", m(r"\delta \ge 0", "δ ≥ 0"), " here")
        steps.append(
            Step(
                ("The bound for the given constant ", *_rel(C_M, "=", _shown(g.c))),
                (
                    *which,
                    ": ",
                    *_rel(DELTA_M, ">=", _approx(g.tv, 8)),
                    ", ",
                    *_kl_at_least(_approx(_kl(g.tv), 8)),
                    ".",
                ),
                _at_least(KL, g.kl),
                _number(_kl(g.tv)),
                part="c",
            )
        )

    best = best_eps_formulas()
    kl_short = m(r"\mathrm{KL}", "KL")
    if _is_positive(b.best_tv_vp):
        vp_best_text = (
            "For ",
            C_IS_1,
            " alone the best ",
            EPS_M,
            " is ",
            _approx(b.best_eps_vp, 8),
            *(
                (
                    " ",
                    m(r"= h - 1/(2\pi)", "= h − 1/(2π)"),
                    ", the largest ",
                    EPS_M,
                    " at which ",
                    m(r"\operatorname{vol}(A) = 0", "vol(A) = 0"),
                    ": there ",
                    m(r"h - \varepsilon = 1/(2\pi)", "h − ε = 1/(2π)"),
                    ", the largest value of ",
                    P_THETA,
                    ", so ",
                    A_M,
                    " is the single point ",
                    m("f(0)", "f(0)"),
                    " (below it ",
                    A_EMPTY,
                    "; beyond it ",
                    A_M,
                    " is a disc of positive area and the bound, concave there, falls from the slope ",
                    m(r"1 - 4\pi^2\varepsilon < 0", "1 − 4π²ε < 0"),
                    ")",
                )
                if b.best_eps_vp_exact is not None
                else (" (found numerically)",)
            ),
            ", with ",
            *_rel(DELTA_M, ">=", _approx(b.best_tv_vp, 8)),
            " and ",
            *_rel(kl_short, ">=", _approx(_kl(b.best_tv_vp), 8)),
            ".",
        )
    else:
        vp_best_text = ("Even for ", C_IS_1, " no ", EPS_M, " gives a positive bound.")
    if b.best_eps is not None:
        best_eps, best_tv = _float(b.best_eps), _float(b.best_tv)
        steps.append(
            Step(
                ("The best ", EPS_M),
                (
                    m(
                        r"\delta(\varepsilon) = \varepsilon(1 - 1/(e(h - \varepsilon)))",
                        "δ(ε) = ε(1 − 1/(e(h − ε)))",
                    ),
                    " is concave on ",
                    m("(0, h)", "(0, h)"),
                    "; its derivative vanishes at ",
                    m(r"\varepsilon = h - \sqrt{h/e}", "ε = h − √(h/e)"),
                    " (SymPy), where ",
                    m(r"\delta = (\sqrt{eh} - 1)^2/e", "δ = (√(eh) − 1)²/e"),
                    ". For ",
                    *_rel(H_M, "=", Approx(plateau_float, 8)),
                    ": ",
                    *_rel(m(r"\varepsilon_{\mathrm{best}}", "ε_best"), "=", Approx(best_eps, 10)),
                    ", ",
                    *_rel(DELTA_M, ">=", Approx(best_tv, 10)),
                    " and ",
                    *_rel(kl_short, ">=", Approx(pinsker_kl_lower_bound(best_tv), 10)),
                    " for every flow with constant ",
                    ABS_DET,
                    ". ",
                    *vp_best_text,
                ),
                equation(BEST_EPS, best.best_eps.subs(best.h, H)),
                best_eps,
                part="c",
            )
        )
        steps.append(
            Step(
                ("The bound at the best ", EPS_M),
                (),
                _at_least(DELTA, best.best_tv.subs(best.h, H)),
                best_tv,
                part="c",
            )
        )
    else:
        steps.append(
            Step(
                ("The best ", EPS_M),
                (
                    *_rel(H_M, "=", Approx(plateau_float, 8)),
                    " ",
                    *_rel(m(r"\le 1/e", "≤ 1/e"), "=", Approx(1 / math.e, 8)),
                    ", so the bound on ",
                    VOL_A_M,
                    " is at least 1 for every ",
                    EPS_M,
                    " in ",
                    m("(0, h)", "(0, h)"),
                    ": no ",
                    EPS_M,
                    " gives a positive bound valid for every ",
                    C_M,
                    " at this ",
                    K_M,
                    ". ",
                    *vp_best_text,
                ),
                part="c",
            )
        )
    if b.eps_best_for_vp:
        warnings.append(
            Notice(
                (
                    "Since ",
                    m(r"h \le 1/e", "h ≤ 1/e"),
                    ", the best ",
                    EPS_M,
                    " was taken for ",
                    C_IS_1,
                    " alone: ",
                    *_rel(EPS_M, "=", _approx(b.best_eps_vp, 8)),
                    ".",
                ),
                "eps",
            )
        )
    return steps


def _sandwich_steps(b: Bounds) -> list[Step]:
    formulas = profile_formulas()
    example = b.example
    kl_gaussian, kl_vp = _float(b.kl_gaussian), _float(b.kl_gaussian_vp)
    second_moment = Label("E_p‖x‖²", r"\mathbb{E}_p \|x\|^2")
    general = NEG_ENTROPY + sympy.log(2 * sympy.pi * SIGMA2) + second_moment / (2 * SIGMA2)
    steps = [
        Step(
            ("The sandwich: ", SECOND_MOMENT_M, " and ", NEG_ENTROPY_M, " in closed form"),
            (
                "Through the profile in ",
                T_M,
                " (SymPy): ",
                m(
                    r"\mathbb{E}_p \lVert x \rVert^2 = \int g(t)\, \tfrac{32 t^3}{3} \, dt \big/ \operatorname{mass}(k)",
                    "E_p‖x‖² = ∫ g(t)·(32t³/3) dt / mass(k)",
                ),
                " (the square ",
                m(r"\lVert x \rVert_\infty \le t", "‖x‖∞ ≤ t"),
                " carries ",
                m(r"\int (x^2 + y^2)\, dA = 8t^4/3", "∫(x² + y²) dA = 8t⁴/3"),
                "), and ",
                m(
                    r"\int p \log p = \int g \log g \, dA \big/ \operatorname{mass}(k) - \log \operatorname{mass}(k)",
                    "∫ p log p = ∫ g log g dA / mass(k) − log mass(k)",
                ),
                ", which simplifies to the form below (",
                m(r"\log 0.9 - \log \operatorname{mass}(k) = \log h", "log 0.9 − log mass(k) = log h"),
                "). Here ",
                *_rel(SECOND_MOMENT_M, "=", _approx(example.second_moment, 10)),
                " and ",
                *_rel(NEG_ENTROPY_M, "=", _approx(example.neg_entropy, 10)),
                ".",
            ),
            equation(NEG_ENTROPY, sympy.log(H) + formulas.neg_entropy_correction / MASS),
            _float(example.neg_entropy),
            part="d",
        ),
        Step(
            "The sandwich: the best isotropic Gaussian flow",
            (
                "The affine flow ",
                m(r"z \mapsto \sigma z", "z ↦ σz"),
                " has ",
                m(r"\lvert \det \rvert = \sigma^2", "|det| = σ²"),
                " and ",
                m(r"p_\theta = \mathcal{N}(0, \sigma^2 I)", "p_θ = N(0, σ²I)"),
                ", so it belongs to the family. ",
                KL_GAUSSIAN_M,
                " is smallest at ",
                *_rel(
                    m(r"\sigma^2 = \mathbb{E}_p \lVert x \rVert^2 / 2", "σ² = E_p‖x‖²/2"),
                    "=",
                    _approx(b.sigma_squared, 10),
                ),
                ", where it is ",
                Approx(kl_gaussian, 10),
                ". The infimum of ",
                KL_M,
                " over the family is at most the KL of any of its flows (an infimum: no flow need attain it), "
                "so ",
                _approx(_kl(b.tv_every), 6),
                " ",
                m(
                    r"\le \inf_{\theta, c} \mathrm{KL}(p \,\|\, p_\theta) \le",
                    "≤ inf over θ and c of KL(p‖p_θ) ≤",
                ),
                " ",
                Approx(kl_gaussian, 6),
                ".",
            ),
            equation(KL_GAUSSIAN, general),
            kl_gaussian,
            part="d",
        ),
        Step(
            ("The sandwich for ", C_IS_1),
            (
                "Among volume-preserving affine flows ",
                m(r"z \mapsto Mz", "z ↦ Mz"),
                " (",
                m(r"\lvert \det M \rvert = 1", "|det M| = 1"),
                "), ",
                m(
                    r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, MM^\top)) = \mathrm{const} + \tfrac12 "
                    r"\operatorname{tr}\bigl((MM^\top)^{-1}\bigr)\, \mathbb{E}_p \lVert x \rVert^2 / 2 "
                    r"+ \tfrac12 \log \det(MM^\top)",
                    "KL(p‖N(0, MMᵀ)) = const + ½·tr((MMᵀ)⁻¹)·E_p‖x‖²/2 + ½·log det(MMᵀ)",
                ),
                "; with ",
                m(r"\det(MM^\top) = 1", "det(MMᵀ) = 1"),
                " the trace is smallest at ",
                m(r"MM^\top = I", "MMᵀ = I"),
                " (AM–GM on the eigenvalues), so the best is ",
                m(r"\mathcal{N}(0, I)", "N(0, I)"),
                ", with ",
                *_rel(m(r"\mathrm{KL}", "KL"), "=", Approx(kl_vp, 10)),
                ", against the lower bound ",
                _approx(_kl(b.vp.tv), 6),
                " for ",
                C_IS_1,
                ". (The lower bound for ",
                C_IS_1,
                " may exceed the first sandwich's ",
                Approx(kl_gaussian, 6),
                ": that flow has ",
                m(r"c = \sigma^2 \ne 1", "c = σ² ≠ 1"),
                ".)",
            ),
            equation(Label("KL(p‖N(0, I))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, I))"), general.subs(SIGMA2, 1)),
            kl_vp,
            part="d",
        ),
    ]
    if b.given is not None:
        steps.append(
            Step(
                ("The sandwich for the given constant ", *_rel(C_M, "=", _shown(b.given.c))),
                (
                    "The flow ",
                    m(r"z \mapsto \sqrt{c}\, z", "z ↦ √c·z"),
                    " has ",
                    m(r"\lvert \det \rvert = c", "|det| = c"),
                    ": ",
                    *_rel(KL_DET_M, "=", _approx(b.kl_gaussian_det, 10)),
                    ", against the lower bound ",
                    _approx(_kl(b.given.tv), 6),
                    " for this ",
                    C_M,
                    ".",
                ),
                equation(
                    Label("KL(p‖N(0, cI))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, cI))"),
                    _for_display(general.subs(SIGMA2, b.given.c)),
                ),
                _number(b.kl_gaussian_det),
                part="d",
            )
        )
    return steps


def _summary_table(b: Bounds) -> Table:
    """The bounds of parts (a)–(c) beside the KL that a concrete flow of the same family achieves."""
    kl = pinsker_kl_lower_bound
    tv_every, vp_tv = b.tv_every, b.vp.tv
    kl_gaussian, kl_vp = _float(b.kl_gaussian), _float(b.kl_gaussian_vp)
    rows: list[tuple] = [
        (("every constant ", C_M), b.eps_shown, _approx(tv_every, 8), _approx(_kl(tv_every), 8), Approx(kl_gaussian, 8))
    ]
    if b.best_tv is not None and not b.eps_is_best:
        best_tv = _float(b.best_tv)
        rows.append(
            (
                ("every constant ", C_M, ", best ", EPS_M),
                _approx(b.best_eps, 8),
                Approx(best_tv, 8),
                Approx(kl(best_tv), 8),
                Approx(kl_gaussian, 8),
            )
        )
    rows.append((("volume-preserving, ", C_IS_1), b.eps_shown, _approx(vp_tv, 8), _approx(_kl(vp_tv), 8), Approx(kl_vp, 8)))
    if _is_positive(b.best_tv_vp) and not b.eps_best_for_vp:
        rows.append(
            (
                ("volume-preserving, best ", EPS_M),
                _approx(b.best_eps_vp, 8),
                _approx(b.best_tv_vp, 8),
                _approx(_kl(b.best_tv_vp), 8),
                Approx(kl_vp, 8),
            )
        )
    if b.given is not None:
        g_tv = b.given.tv
        rows.append(
            (
                ("the given ", *_rel(C_M, "=", _shown(b.given.c))),
                b.eps_shown,
                _approx(g_tv, 8),
                _approx(_kl(g_tv), 8),
                _approx(b.kl_gaussian_det, 8),
            )
        )
    return Table(
        headers=(
            "flows",
            (EPS_M,),
            ("lower bound on ", DELTA_M),
            ("lower bound on ", KL_M),
            ("KL of a concrete flow of the family",),
        ),
        rows=tuple(rows),
        note=(
            "The concrete flows are ",
            m(r"z \mapsto \sigma z", "z ↦ σz"),
            " with the best ",
            m(r"\sigma^2", "σ²"),
            ", ",
            m(r"\mathcal{N}(0, I)", "N(0, I)"),
            " for ",
            C_IS_1,
            " and ",
            m(r"z \mapsto \sqrt{c}\, z", "z ↦ √c·z"),
            " for a given ",
            C_M,
            ".",
        ),
    )


def _conclusion(b: Bounds) -> Step:
    vp_kl = _kl(b.vp.tv)
    best_kl = _kl(b.best_tv) if b.best_tv is not None else None
    kl_at_least = m(r"\mathrm{KL}(p \,\|\, p_\theta) \ge", "KL(p‖p_θ) ≥")
    if _is_positive(b.tv_every):
        text: tuple = (
            "Whatever ",
            THETA_M,
            " and whatever the constant ",
            C_M,
            ", ",
            *_kl_at_least(_approx(_kl(b.tv_every), 8)),
            " (",
            *_rel(EPS_M, "=", b.eps_shown),
            ")",
        )
        if best_kl is not None and not b.eps_is_best:
            text += (", and ", kl_at_least, " ", _approx(best_kl, 8), " with the best ", EPS_M)
        text += ("; for volume-preserving flows (", C_IS_1, "), ", *_kl_at_least(_approx(vp_kl, 8)), ".")
    elif best_kl is not None:
        text = (
            "At ",
            *_rel(EPS_M, "=", b.eps_shown),
            " the argument proves no positive bound for every ",
            C_M,
            ", but at ",
            *_rel(EPS_M, "=", _approx(b.best_eps, 8)),
            " it proves ",
            *_kl_at_least(_approx(best_kl, 8)),
            " for every ",
            THETA_M,
            " and every ",
            C_M,
            "; for ",
            C_IS_1,
            " at ",
            *_rel(EPS_M, "=", b.eps_shown),
            ", ",
            *_kl_at_least(_approx(vp_kl, 8)),
            ".",
        )
    else:
        text = (
            "At this ",
            K_M,
            " (",
            m(r"h \le 1/e", "h ≤ 1/e"),
            ") the argument proves no positive bound valid for every ",
            C_M,
            "; for volume-preserving flows (",
            C_IS_1,
            ") it proves ",
            *_kl_at_least(_approx(vp_kl, 8)),
            " at ",
            *_rel(EPS_M, "=", b.eps_shown),
            ".",
        )
    text += (
        "\nA universal approximator under KL needs, for this ",
        P_M,
        ", flows ",
        m(r"p_{\theta_n}", "p_θn"),
        " in the family with ",
        m(r"\mathrm{KL}(p \,\|\, p_{\theta_n}) \to 0", "KL(p‖p_θn) → 0"),
        ". A positive lower bound that does not depend on ",
        THETA_M,
        " rules that out: no flow of the family, however deep or wide, comes closer to ",
        P_M,
        " than the bound. The reason is rigidity. With a constant Jacobian determinant a flow can move the Gaussian's "
        "mass around but cannot reshape its density values: the set where ",
        m(r"p_\theta \ge \tau", "p_θ ≥ τ"),
        " has area at most ",
        m(r"1/(e\tau)", "1/(eτ)"),
        " whatever ",
        C_M,
        " (it is ",
        m(r"2\pi c \log\bigl(1/(2\pi c\tau)\bigr)", "c·2π·log(1/(2πcτ))"),
        " when that is positive, else 0), while ",
        P_M,
        " is flat at height ",
        H_M,
        " over an area of 1. So flows with constant ",
        ABS_DET,
        ", and volume-preserving flows in particular, are not universal distribution approximators.",
    )
    return Step("Part (d): conclusion", text, table=_summary_table(b), part="d")


def _checks(b: Bounds) -> tuple[list[Check], float, float]:
    """The independent checks, and the achieved δ of the two sandwich flows (by quadrature)."""
    formulas = profile_formulas()
    example = b.example
    k_float, ramp_end, mass = _float(example.k), _float(example.ramp_end), _float(example.mass)
    checks = [check_mass(example, k_float, K_M)]
    if not example.is_normalized:
        # The normalising k, checked by quadrature: the closed form of mass(k*) is exactly 1.
        checks.append(
            check_mass(counterexample(formulas.k_normalizing), _float(formulas.k_normalizing), m("k^{*}", "k*"))
        )
    checks.append(check_second_moment(example, k_float))
    forms = level_set_formulas()
    r_squared_at_c_star = forms.r_squared.subs({forms.c: b.c_maximizing, forms.tau: b.threshold})  # = 2
    checks.extend(
        check_volume_A(
            b.c_maximizing,
            b.threshold,
            r_squared_at_c_star,
            b.volume_A_upper_bound,
            (*_rel(C_M, "=", _approx(b.c_maximizing, 6)), " (the maximising ", C_M, ")"),
        )
    )
    if b.vp.nonempty:
        checks.extend(check_volume_A(sympy.Integer(1), b.threshold, b.vp.r_squared, b.vp.volume_A, (C_IS_1,)))
    if b.given is not None and b.given.nonempty:
        g = b.given
        checks.extend(check_volume_A(g.c, b.threshold, g.r_squared, g.volume_A, _rel(C_M, "=", _shown(g.c))))
    checks.append(check_volume_A_maximum(b.threshold, b.volume_A_upper_bound))
    if b.best_eps is not None:
        checks.append(check_best_eps(b.plateau, b.best_eps, b.best_tv))
    if b.best_eps_vp_exact is not None:
        checks.append(check_best_eps_vp(_float(b.plateau), _float(b.best_eps_vp)))
    kl_gaussian, kl_vp = _float(b.kl_gaussian), _float(b.kl_gaussian_vp)
    checks.append(check_kl_gaussian(example, k_float, b.sigma_squared, b.kl_gaussian, "the best isotropic Gaussian"))
    checks.append(check_kl_gaussian(example, k_float, sympy.Integer(1), b.kl_gaussian_vp, (C_IS_1,)))
    if b.given is not None and b.given.c != 1:
        checks.append(
            check_kl_gaussian(example, k_float, b.given.c, b.kl_gaussian_det, _rel(C_M, "=", _shown(b.given.c)))
        )

    # The sandwich: each lower bound below what a concrete flow of its own family achieves, and
    # the achieved δ between its lower bound and Pinsker's ceiling √(KL/2).
    tv_gaussian, tv_gaussian_estimate = tv_to_gaussian(k_float, ramp_end, mass, _float(b.sigma_squared))
    tv_vp, tv_vp_estimate = tv_to_gaussian(k_float, ramp_end, mass, 1.0)
    achieved = ("against the KL of a concrete flow of the family, from the closed form (checked above by quadrature)",)
    by_quadrature = (
        "against ",
        m(r"\delta = \int (p - q)_+", "δ = ∫(p − q)₊"),
        " of the same flow, by quadrature (normal CDF differences in ",
        Y_M,
        ", adaptive Gauss–Legendre in ",
        X_M,
        " with break points where ",
        m("p = q", "p = q"),
        " meets ",
        m("y = 0", "y = 0"),
        " or ",
        m("y = x", "y = x"),
        "; its error estimate counts against the inequality)",
    )
    pinsker = (
        "Pinsker's inequality on a concrete pair: ",
        DELTA_M,
        " by quadrature (its error estimate counting against the inequality) against ",
        m(r"\sqrt{\mathrm{KL}/2}", "√(KL/2)"),
    )
    le_kl_gaussian = m(r"\le \mathrm{KL}(p \,\|\, \mathcal{N}(0, \sigma^2 I))", "≤ KL(p‖N(0, σ²I))")
    le_kl_standard = m(r"\le \mathrm{KL}(p \,\|\, \mathcal{N}(0, I))", "≤ KL(p‖N(0, I))")
    tv_every, vp_tv = b.tv_every, b.vp.tv
    inequalities = [
        (("KL lower bound (every ", C_M, ") ", le_kl_gaussian), achieved, _kl(tv_every), b.kl_gaussian),
        (("KL lower bound (", C_IS_1, ") ", le_kl_standard), achieved, _kl(vp_tv), b.kl_gaussian_vp),
        (
            (DELTA_M, " lower bound (every ", C_M, ") ", m(r"\le \delta(p, \mathcal{N}(0, \sigma^2 I))", "≤ δ(p, N(0, σ²I))")),
            by_quadrature,
            tv_every,
            tv_gaussian,
            tv_gaussian_estimate,  # the quadrature's δ may be this much too high
        ),
        (
            (DELTA_M, " lower bound (", C_IS_1, ") ", m(r"\le \delta(p, \mathcal{N}(0, I))", "≤ δ(p, N(0, I))")),
            by_quadrature,
            vp_tv,
            tv_vp,
            tv_vp_estimate,
        ),
        (
            (m(r"\delta(p, \mathcal{N}(0, \sigma^2 I)) \le \sqrt{\mathrm{KL}/2}", "δ(p, N(0, σ²I)) ≤ √(KL/2)"),),
            pinsker,
            tv_gaussian,
            math.sqrt(kl_gaussian / 2),
            tv_gaussian_estimate,  # or this much too low
        ),
        (
            (m(r"\delta(p, \mathcal{N}(0, I)) \le \sqrt{\mathrm{KL}/2}", "δ(p, N(0, I)) ≤ √(KL/2)"),),
            pinsker,
            tv_vp,
            math.sqrt(kl_vp / 2),
            tv_vp_estimate,
        ),
    ]
    if _is_positive(b.best_tv_vp):
        inequalities.insert(
            2,
            (
                ("KL lower bound (", C_IS_1, ") at its best ", EPS_M, " ", le_kl_standard),
                achieved,
                _kl(b.best_tv_vp),
                b.kl_gaussian_vp,
            ),
        )
    if b.best_tv is not None:
        inequalities.insert(
            1,
            (
                ("KL lower bound at the best ", EPS_M, " ", le_kl_gaussian),
                achieved,
                _kl(b.best_tv),
                b.kl_gaussian,
            ),
        )
    if b.given is not None:
        inequalities.append(
            (
                (
                    "KL lower bound (",
                    *_rel(C_M, "=", _shown(b.given.c)),
                    ") ",
                    m(r"\le \mathrm{KL}(p \,\|\, \mathcal{N}(0, cI))", "≤ KL(p‖N(0, cI))"),
                ),
                achieved,
                _kl(b.given.tv),
                b.kl_gaussian_det,
            )
        )
    checks.extend(
        check_inequality(name, method, lower, upper, uncertainty=estimate[0] if estimate else 0.0)
        for name, method, lower, upper, *estimate in inequalities
    )
    return checks, tv_gaussian, tv_vp


def _result(b: Bounds, tv_gaussian: float, tv_gaussian_vp: float, checks: list[Check]) -> dict[str, Any]:
    """The flat named values. Each is a float64 where one holds it, else a 15-digit SymPy Float (1e-400, 1e400)."""
    formulas, example = profile_formulas(), b.example
    n = _number
    result: dict[str, Any] = {
        "k": n(example.k),
        "k_exact": _sstr(example.k),
        "eps": n(b.eps),
        "eps_exact": _sstr(b.eps),
        "mass": n(example.mass),
        "mass_exact": _sstr(example.mass),
        "normalized": example.is_normalized,
        "k_normalizing": n(formulas.k_normalizing),
        "k_normalizing_exact": _sstr(formulas.k_normalizing),
        "ramp_end": n(example.ramp_end),
        "plateau": n(b.plateau),
        "plateau_exact": _sstr(b.plateau),
        "threshold": n(b.threshold),
        "c_maximizing_volume_A": n(b.c_maximizing),
        "volume_A_upper_bound": n(b.volume_A_upper_bound),
        "r_squared_vp": n(b.vp.r_squared),
        "volume_C_vp": n(b.vp.volume_C),
        "volume_C_upper_bound_vp": n(b.vp.volume_C_upper_bound),
        "volume_A_vp": n(b.vp.volume_A),
        "tv_lower_bound_empty_A": n(b.eps),
        "tv_lower_bound_nonempty_A": n(b.tv_nonempty_A) if _is_positive(b.tv_nonempty_A) else 0.0,
        "tv_lower_bound": n(b.tv_every),
        "kl_lower_bound": n(_kl(b.tv_every)),
        "bound_positive": _is_positive(b.tv_every),
        "tv_lower_bound_vp": n(b.vp.tv),
        "kl_lower_bound_vp": n(_kl(b.vp.tv)),
        "best_eps": n(b.best_eps) if b.best_eps is not None else None,
        "best_tv_lower_bound": n(b.best_tv) if b.best_tv is not None else None,
        "best_kl_lower_bound": n(_kl(b.best_tv)) if b.best_tv is not None else None,
        "best_eps_vp": n(b.best_eps_vp),
        "best_kl_lower_bound_vp": n(_kl(b.best_tv_vp)),
        "second_moment": n(example.second_moment),
        "neg_entropy": n(example.neg_entropy),
        "sigma_squared_gaussian": n(b.sigma_squared),
        "kl_gaussian_upper": n(b.kl_gaussian),
        "tv_gaussian": tv_gaussian,
        "kl_gaussian_vp": n(b.kl_gaussian_vp),
        "tv_gaussian_vp": tv_gaussian_vp,
    }
    if b.given is not None:
        g = b.given
        result.update(
            {
                "det": n(g.c),
                "r_squared_det": n(g.r_squared),
                "volume_C_det": n(g.volume_C),
                "volume_C_upper_bound_det": n(g.volume_C_upper_bound),
                "volume_A_det": n(g.volume_A),
                "tv_lower_bound_det": n(g.tv),
                "kl_lower_bound_det": n(_kl(g.tv)),
                "kl_gaussian_det": n(b.kl_gaussian_det),
            }
        )
    result["checks_passed"] = all(c.passed for c in checks)
    return result



# --------------------------------------------------------------------------- the problem as the assignment states it

_DETERMINANT = r"\left\lvert \det \frac{\partial f_\theta(\mathbf{z})}{\partial \mathbf{z}} \right\rvert"
_AS_WRITTEN_LATEX = (
    r"p(x, y) = \begin{cases} 0.9 & \text{if } (x, y) \in [-0.5, 0.5] \times [-0.5, 0.5], \\ "
    r"0.9 - k \cdot (\lvert x \rvert - 0.5) & \text{if } \lvert x \rvert \in [0.5, 0.9k + 0.5] "
    r"\text{ and } \lvert y \rvert \in [0, \lvert x \rvert], \\ "
    r"0.9 - k \cdot (\lvert y \rvert - 0.5) & \text{if } \lvert y \rvert \in [0.5, 0.9k + 0.5] "
    r"\text{ and } \lvert x \rvert \in [0, \lvert y \rvert], \\ "
    r"0 & \text{otherwise.} \end{cases}"
)
_AS_WRITTEN_TEXT = (
    "p(x, y) = 0.9 if (x, y) ∈ [−0.5, 0.5] × [−0.5, 0.5]; "
    "0.9 − k·(|x| − 0.5) if |x| ∈ [0.5, 0.9k + 0.5] and |y| ∈ [0, |x|]; "
    "0.9 − k·(|y| − 0.5) if |y| ∈ [0.5, 0.9k + 0.5] and |x| ∈ [0, |y|]; 0 otherwise"
)
_E_DIFFERENCE = m(r"\lvert p_\theta(E) - p(E) \rvert > 0", "|p_θ(E) − p(E)| > 0")

QUESTION = (
    "Remember a Normalizing Flow formulated as ",
    m(
        r"p_\theta(\mathbf{x}) = p(z = f_\theta^{-1}(\mathbf{x})) "
        r"\left\lvert \det \frac{\partial f_\theta^{-1}(\mathbf{x})}{\partial \mathbf{x}} \right\rvert",
        "p_θ(x) = p(z = f_θ⁻¹(x)) |det ∂f_θ⁻¹(x)/∂x|",
    ),
    ". In a Volume-Preserving Normalizing Flow (VP-NF), the determinant of the Jacobian matrix of each "
    "transformation is constant, specifically ",
    m(_DETERMINANT + " = 1", "|det ∂f_θ(z)/∂z| = 1"),
    ". This implies that the transformation preserves volume in the latent space, meaning the model can rearrange "
    "the probability mass but cannot scale it.\nA set of probability distributions ",
    m(r"\mathcal{P}", "𝒫"),
    " is called a distributional universal approximator if for every possible target distribution ",
    m("p(x)", "p(x)"),
    " there is a sequence of distributions ",
    m(r"p_n(x) \in \mathcal{P}", "p_n(x) ∈ 𝒫"),
    " such that ",
    m(r"\lim_{n \to \infty} p_n(x) \sim p(x)", "lim_{n→∞} p_n(x) ~ p(x)"),
    " with a chosen type of convergence.\nWe want to prove: The family of Normalizing Flows with constant Jacobian "
    "determinant ",
    m(_DETERMINANT + r" = \mathrm{const}", "|det ∂f_θ(z)/∂z| = const"),
    " with latent ",
    m(r"z \sim \mathcal{N}(0, 1)", "z ~ N(0, 1)"),
    " is not a universal distribution approximator under KL divergence. We do this by finding a lower bound for "
    "the KL objective. Use the Pinsker's inequality as below and the counter example given: ",
    m(
        r"\delta(p_\theta, q) = \sup_{E:\ \text{a measurable event}} \{\lvert p_\theta(E) - q(E) \rvert\} "
        r"\le \sqrt{\tfrac12 D_{\mathrm{KL}}(p \,\|\, q)}",
        "δ(p_θ, q) = sup over measurable events E of {|p_θ(E) − q(E)|} ≤ √(½ D_KL(p‖q))",
    ),
    ".\nCounter example: ",
    m(_AS_WRITTEN_LATEX, _AS_WRITTEN_TEXT),
    "; ",
    m(
        r"A = \{(x, y) \in \mathbb{R}^2 : p_\theta(x, y) \ge 0.9 - \epsilon\}",
        "A = {(x, y) ∈ ℝ² : p_θ(x, y) ≥ 0.9 − ε}",
    ),
    ", ",
    m(r"B = [-0.5, 0.5] \times [-0.5, 0.5]", "B = [−0.5, 0.5] × [−0.5, 0.5]"),
    " and ",
    m(r"\bar A = B \setminus A", "Ā = B∖A"),
    ".",
)

PARTS = (
    (
        "a",
        (
            "(a) Prove there exists an event ",
            m("E", "E"),
            " such that ",
            _E_DIFFERENCE,
            " when ",
            A_EMPTY,
            ", and show the lower bound for KL divergence can be positive for some ",
            m(r"\epsilon > 0", "ε > 0"),
            ", using Pinsker's inequality. (Hint: prove ",
            m(r"\bar A", "Ā"),
            " can be such ",
            m("E", "E"),
            ".)",
        ),
    ),
    (
        "b",
        (
            "(b) Using the change of variables formula, create the event ",
            m("C", "C"),
            " in latent space resulting from ",
            A_M,
            ". Compare its volume with ",
            A_M,
            ". Then compute its volume and provide a simple upper bound for it. (Hint: volume here is a 2D circle "
            "because of the normal distribution.)",
        ),
    ),
    (
        "c",
        (
            "(c) Now show that there is an event ",
            m("E", "E"),
            " such that ",
            _E_DIFFERENCE,
            " when ",
            m(r"A \neq \emptyset", "A ≠ ∅"),
            ", and show the lower bound for KL divergence can be positive for some ",
            m(r"\epsilon > 0", "ε > 0"),
            ", using Pinsker's inequality.",
        ),
    ),
    ("d", "(d) Now briefly explain why this means VP-NFs can't approximate every distribution."),
)


def _answer(b: Bounds) -> tuple:
    vp_kl = _kl(b.vp.tv)
    not_universal = ", so VP-NFs are not universal approximators under KL."
    if _is_positive(b.tv_every):
        return (
            "Every flow with constant ",
            ABS_DET,
            " has ",
            *_kl_at_least(_approx(_kl(b.tv_every), 8)),
            " at ",
            *_rel(EPS_M, "=", b.eps_shown),
            ", and every volume-preserving flow has ",
            *_kl_at_least(_approx(vp_kl, 8)),
            not_universal,
        )
    if b.best_tv is not None:
        return (
            "At ",
            *_rel(EPS_M, "=", b.eps_shown),
            " only volume-preserving flows are bounded, with ",
            *_kl_at_least(_approx(vp_kl, 8)),
            ", but at the best ",
            *_rel(EPS_M, "=", _approx(b.best_eps, 8)),
            " every flow with constant ",
            ABS_DET,
            " has ",
            *_kl_at_least(_approx(_kl(b.best_tv), 8)),
            not_universal,
        )
    if _is_positive(b.vp.tv):
        return (
            "At this ",
            K_M,
            " (",
            m(r"h \le 1/e", "h ≤ 1/e"),
            ") the bound holds for volume-preserving flows only: ",
            *_kl_at_least(_approx(vp_kl, 8)),
            " at ",
            *_rel(EPS_M, "=", b.eps_shown),
            not_universal,
        )
    return (
        "At this ",
        K_M,
        " and ",
        *_rel(EPS_M, "=", b.eps_shown),
        " the argument gives no positive lower bound on ",
        KL_M,
        "; a smaller ",
        EPS_M,
        " is needed to show that VP-NFs are not universal approximators.",
    )


def vpnf_bound(
    k_value: Fraction | None = None, eps_value: Fraction | str = Fraction(1, 10), det: Fraction | None = None
) -> Derivation:
    """Parts (a)–(d) of Problem 2 for one k and ε: the counterexample, the sets, the bounds, the sandwich, the checks.

    ``k_value`` None means the normalising k; ``eps_value`` may be "best"; ``det`` adds one given c.
    The steps come in the assignment's order: the set-up, then parts (a), (b), (c) and (d).
    """
    b = solve_bounds(k_value, eps_value, det)
    warnings: list[Notice] = []
    steps = (
        _setup_steps(b, warnings)
        + _part_a_steps(b)
        + _part_b_steps(b)
        + _part_c_steps(b, warnings)
        + _sandwich_steps(b)
        + [_conclusion(b)]
    )
    checks, tv_gaussian, tv_gaussian_vp = _checks(b)
    return Derivation(
        command=COMMAND,
        title=("Volume-preserving flows are not universal: Pinsker lower bounds on ", KL_M),
        inputs={
            "k": "normalising" if k_value is None else str(k_value),
            "eps": "best" if eps_value == "best" else str(eps_value),
            "det": None if det is None else str(det),
        },
        steps=steps,
        result=_result(b, tv_gaussian, tv_gaussian_vp, checks),
        checks=checks,
        warnings=warnings,
        question=QUESTION,
        answer=_answer(b),
        parts=PARTS,
    )


# --------------------------------------------------------------------------- many (k, ε) at once

SWEEP_KEYS = ("k", "eps", "plateau", "tv_lower_bound", "kl_lower_bound", "tv_lower_bound_vp", "kl_lower_bound_vp")


def bound_records(pairs: list[tuple[Fraction | None, Fraction | str]]) -> dict[str, np.ndarray]:
    """The bounds of parts (a)–(c) for many (k, ε) in one process: k, ε, h, the bound on δ and KL ≥ 2δ² for
    every constant c and for c = 1 (a k of None is the normalising k, an ε of "best" the maximising ε).

    The same closed forms as :func:`vpnf_bound`, without its derivation and checks; ``bound_positive`` says
    whether the bound for every c is positive."""
    columns: dict[str, list] = {key: [] for key in SWEEP_KEYS}
    positive = []
    for k_value, eps_value in pairs:
        b = solve_bounds(k_value, eps_value, None)
        values = (b.example.k, b.eps, b.plateau, b.tv_every, _kl(b.tv_every), b.vp.tv, _kl(b.vp.tv))
        for key, value in zip(SWEEP_KEYS, values):
            columns[key].append(float(_number(value)))
        positive.append(_is_positive(b.tv_every))
    record = {key: np.array(values, dtype=np.float64) for key, values in columns.items()}
    record["bound_positive"] = np.array(positive, dtype=bool)
    return record


def bound_records_of_rows(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode: one ``k ε`` pair per row, each read back as the shortest decimal of its float (0.1 is 1/10)."""
    return bound_records([(Fraction(repr(float(k))), Fraction(repr(float(eps)))) for k, eps in rows])


# --------------------------------------------------------------------------- plot data


class _PlotNumber(float):
    """A value beyond float64 for the figure: drawn as its float (0 or ∞), formatted as itself (1e-400 in a label)."""

    def __new__(cls, value: sympy.Float) -> _PlotNumber:
        number = super().__new__(cls, float(value))
        number.exact = value
        return number

    def __format__(self, spec: str) -> str:
        return format(self.exact, spec)


def plot_data(derivation: Derivation, points: int = 401) -> dict[str, Any]:
    """Arrays for the figure, from a solved run: the normalised density on a grid, B, the largest possible A, δ(ε)."""
    # Values beyond float64 (a SymPy Float in the result) are drawn at 0 or ∞, but labelled as they are.
    r = {key: _PlotNumber(value) if isinstance(value, sympy.Float) else value for key, value in derivation.result.items()}
    k, ramp_end, mass, plateau, eps = r["k"], r["ramp_end"], r["mass"], r["plateau"], r["eps"]
    half = 1.15 * max(ramp_end, 0.5 + 1e-9)
    axis = np.linspace(-half, half, points)
    xx, yy = np.meshgrid(axis, axis)
    eps_grid = np.linspace(0.0, plateau, 802)[1:-1]
    tv_every = np.array([tv_lower_bound_every_det(e, plateau) for e in eps_grid])
    tv_vp = np.array([tv_lower_bound_for_det(e, plateau, 1.0) for e in eps_grid])
    # The largest A over c is attained by z ↦ √c*·z, c* = 1/(2πe(h − ε)), where r² = 2: a disc of radius √(2c*).
    return {
        "k": k,
        "plateau": plateau,
        "eps": eps,
        "axis": axis,
        "density": density_as_written_grid(xx, yy, k, ramp_end) / mass,  # k may be ∞ (k = 1e400): its ramp is empty
        # A disc far larger than the window is drawn just outside it (so invisible, as it should be):
        # matplotlib dashes the whole circumference, and at radius 3e13 (ε = h − 1e-28) that takes gigabytes.
        "largest_A_radius": min(math.sqrt(2 * r["c_maximizing_volume_A"]), 2 * half),
        "volume_A_upper_bound": r["volume_A_upper_bound"],
        "eps_grid": eps_grid,
        "tv_lower_bound": tv_every,
        "tv_lower_bound_vp": tv_vp,
        "kl_lower_bound": 2 * tv_every**2,
        "kl_lower_bound_vp": 2 * tv_vp**2,
        "best_eps": r["best_eps"],
        "best_eps_vp": r["best_eps_vp"],
        "kl_lower_bound_at_eps": r["kl_lower_bound"],
        "kl_lower_bound_vp_at_eps": r["kl_lower_bound_vp"],
        "kl_gaussian_upper": r["kl_gaussian_upper"],
        "kl_gaussian_vp": r["kl_gaussian_vp"],
    }
