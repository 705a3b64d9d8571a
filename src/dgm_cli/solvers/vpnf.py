"""Volume-preserving flows are not universal: the counterexample and its Pinsker bounds (Problem 2).

The target is the seed's "pyramid frustum" density, normalised: p = g(‖x‖∞)/Z with
g = 0.9 on B = [−½, ½]² and a linear ramp 0.9 − k(‖x‖∞ − ½) down to 0 at
‖x‖∞ = ½ + 0.9/k. A flow with constant |det ∂f/∂z| = c and latent N(0, I₂) has
p_θ(x) = N(f⁻¹(x))/c, so its upper level sets are images of discs whose area is
bounded whatever θ and c are; on the plateau B it must fall short of p by ε on
most of B, and Pinsker's inequality KL ≥ 2δ² (δ = sup_E |P(E) − Q(E)|) turns that
into a lower bound on KL(p‖p_θ) that does not depend on θ.

Closed forms are derived with SymPy; each is checked by an independent route:
adaptive quadrature of the density exactly as the seed writes it (case by case,
first match wins), Monte Carlo through a concrete flow, and SciPy's optimisers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import sympy

from dgm_cli.derivation import Check, Derivation, Step
from dgm_cli.errors import InputError
from dgm_cli.solvers.numerics import log_standard_normal
from dgm_cli.solvers.symbolic import Label, equation

COMMAND = "vpnf-bound"

PLATEAU_AS_WRITTEN = sympy.Rational(9, 10)  # the seed's 0.9
HALF_SIDE = sympy.Rational(1, 2)  # B = [−½, ½]², so vol(B) = 1

# Tolerances, each with the reason for its size.
# Nested adaptive Gauss–Kronrod over the pieces where the density is a polynomial of
# degree ≤ 1 is exact up to rounding; 1e-10 leaves room for the summation of ~10³ nodes.
QUAD_RTOL = 1e-10
# p·log(p/q) has a logarithmic singularity in its derivative where p falls to 0 at the
# edge of the support, and (p − q)₊ has a kink along p = q: adaptive quad reaches ~1e-9.
KL_QUAD_TOL = 1e-8
TV_QUAD_TOL = 1e-7
# A Monte Carlo estimate this many standard errors away from the closed form fails.
MC_Z_LIMIT = 4.0
MC_SAMPLES = 200_000
MC_SEED = 0
# Brent's bounded method locates a smooth maximum to ~sqrt(machine ε) relative to the interval
# (so 1e-6·h leaves a wide margin); the maximum value itself is second-order in that error.
OPTIMIZER_ARG_TOL = 1e-6
OPTIMIZER_VALUE_RTOL = 1e-10
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


@lru_cache(maxsize=1)
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


@lru_cache(maxsize=1)
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
    return LevelSetFormulas(c, tau, flow_density, rho_squared, r_squared, volume_C, volume_A, c_maximizing, upper)


@dataclass(frozen=True)
class BestEpsFormulas:
    """The ε that maximises δ(ε) = ε·(1 − 1/(e(h − ε))), with h symbolic."""

    h: sympy.Symbol
    eps: sympy.Symbol
    tv_bound: sympy.Expr
    best_eps: sympy.Expr  # h − √(h/e)
    best_tv: sympy.Expr  # (√(e h) − 1)²/e


@lru_cache(maxsize=1)
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


def density_as_written(x: float, y: float, k: float, ramp_end: float) -> float:
    """The seed's four cases in order, first match wins, with the ramp ending at ½ + 0.9/k (unnormalised)."""
    ax, ay = abs(x), abs(y)
    if ax <= 0.5 and ay <= 0.5:
        return 0.9
    if 0.5 <= ax <= ramp_end and ay <= ax:
        return 0.9 - k * (ax - 0.5)
    if 0.5 <= ay <= ramp_end and ax <= ay:
        return 0.9 - k * (ay - 0.5)
    return 0.0


def density_as_written_grid(x: np.ndarray, y: np.ndarray, k: float, ramp_end: float) -> np.ndarray:
    """:func:`density_as_written` on arrays, the cases applied in the same order."""
    ax, ay = np.abs(x), np.abs(y)
    case_plateau = (ax <= 0.5) & (ay <= 0.5)
    case_x = (ax >= 0.5) & (ax <= ramp_end) & (ay <= ax)
    case_y = (ay >= 0.5) & (ay <= ramp_end) & (ax <= ay)
    return np.select([case_plateau, case_x, case_y], [0.9, 0.9 - k * (ax - 0.5), 0.9 - k * (ay - 0.5)], 0.0)


def integrate_over_support(integrand, ramp_end: float, tolerance: float) -> float:
    """∫∫ integrand(x, y) over [−L, L]², L = ramp_end, by nested adaptive quadrature.

    The density is a polynomial between the lines |x| = ½, |y| = ½, |y| = |x| and
    ‖x‖∞ = L, so those are given to quad as break points. The integrand is symmetric
    in x and y separately, so the first quadrant is integrated and multiplied by 4.
    """
    from scipy.integrate import quad

    def breaks(*values: float) -> list[float]:
        return sorted({v for v in values if 0.0 < v < ramp_end})

    def inner(x: float) -> float:
        return quad(
            lambda y: integrand(x, y),
            0.0,
            ramp_end,
            points=breaks(0.5, x) or None,
            epsabs=0.0,
            epsrel=tolerance,
            limit=200,
        )[0]

    outer = quad(inner, 0.0, ramp_end, points=breaks(0.5) or None, epsabs=0.0, epsrel=tolerance, limit=200)[0]
    return 4.0 * outer


def _gaussian_log_density(x: float, y: float, variance: float) -> float:
    return -math.log(2 * math.pi * variance) - (x * x + y * y) / (2 * variance)


def kl_to_gaussian_by_quadrature(k: float, ramp_end: float, mass: float, variance: float) -> float:
    """KL(p‖N(0, σ²I)) = ∫ p log(p/q), p the as-written density over its mass, by quadrature."""

    def integrand(x: float, y: float) -> float:
        p = density_as_written(x, y, k, ramp_end) / mass
        return p * (math.log(p) - _gaussian_log_density(x, y, variance)) if p > 0.0 else 0.0

    return integrate_over_support(integrand, ramp_end, KL_QUAD_TOL)


def tv_to_gaussian(k: float, ramp_end: float, mass: float, variance: float) -> float:
    """δ(p, N(0, σ²I)) = sup_E (P(E) − Q(E)) = ∫ (p − q)₊, attained at E = {p > q}.

    By symmetry, 8 times the octant 0 ≤ y ≤ x, where p = g(x)/Z depends on x alone and
    q decreases in y: for each x the inner integral runs over y ∈ [y₀, x], y₀ where q = p,
    in closed form with erf; the outer integral is adaptive quadrature in x.
    """
    from scipy.integrate import quad
    from scipy.special import erf

    sigma = math.sqrt(variance)
    root2_sigma = math.sqrt(2.0) * sigma

    def inner(x: float) -> float:
        p = density_as_written(x, 0.0, k, ramp_end) / mass  # on the octant p(x, y) = p(x, 0)
        if p <= 0.0:
            return 0.0
        # q(x, y) < p ⟺ x² + y² > −2σ² log(2πσ² p)
        y0_squared = -2.0 * variance * math.log(2.0 * math.pi * variance * p) - x * x
        y0 = min(math.sqrt(y0_squared), x) if y0_squared > 0.0 else 0.0
        gaussian_part = (
            math.exp(-x * x / (2.0 * variance)) / (2.0 * math.pi * variance) * sigma * math.sqrt(math.pi / 2.0)
        ) * (erf(x / root2_sigma) - erf(y0 / root2_sigma))
        return p * (x - y0) - gaussian_part

    return (
        8.0
        * quad(
            inner, 0.0, ramp_end, points=[0.5] if ramp_end > 0.5 else None, epsabs=0.0, epsrel=TV_QUAD_TOL, limit=200
        )[0]
    )


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


def maximize_bound(plateau: float, c: float | None) -> tuple[float, float]:
    """The ε that maximises the bound on δ (every c when c is None, else that c), and the bound there.

    SciPy's bounded Brent method on the ε range where the bound is positive (it is flat 0
    beyond, where a bracketing search would stall); (0, 0) when that range is empty.
    """
    from scipy.optimize import minimize_scalar

    end = min(positive_eps_range(plateau, c), plateau)
    if end <= 0.0:
        return 0.0, 0.0

    def bound(e: float) -> float:
        return tv_lower_bound_every_det(e, plateau) if c is None else tv_lower_bound_for_det(e, plateau, c)

    found = minimize_scalar(lambda e: -bound(e), bounds=(0.0, end), method="bounded", options={"xatol": 1e-12 * end})
    return float(found.x), float(-found.fun)


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


def _float(expr: Any) -> float:
    return float(sympy.N(expr, 30))


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _is_positive(expr: sympy.Expr) -> bool:
    """expr > 0 for a real constant, decided numerically at 60 digits.

    SymPy's own comparison can refuse: near 2π(h − ε) = 1 it reports log(…) as "non-real".
    An exact tie (the c = 1 kink ε = h − 1/(2π), where r² = 2 log 1) evaluates to 0 exactly;
    a value within 1e-50 of 0 is treated as 0 too (not positive).
    """
    value = sympy.N(expr, 60)
    if not value.is_Number:
        raise RuntimeError(f"cannot decide the sign of {expr}")
    return bool(value > sympy.Float("1e-50", 60))


def _sstr(expr: sympy.Expr) -> str:
    return sympy.sstr(expr)


def _g(value: float, digits: int = 6) -> str:
    return f"{value:.{digits}g}"


# --------------------------------------------------------------------------- checks


def _relative(computed: float, reference: float) -> float:
    return abs(computed - reference) / max(abs(reference), 1e-300)


def check_mass(example: Counterexample, k_float: float, label: str) -> Check:
    ramp_end = _float(example.ramp_end)
    mass = _float(example.mass)
    numeric = integrate_over_support(lambda x, y: density_as_written(x, y, k_float, ramp_end), ramp_end, QUAD_RTOL)
    return Check(
        name=f"mass({label}): closed form against quadrature of the density as written",
        method="nested adaptive Gauss–Kronrod (scipy.integrate.quad) of the seed's four cases, taken in order, "
        "with break points at |x| = ½, |y| = ½ and |y| = |x|",
        computed=mass,
        reference=numeric,
        error=_relative(mass, numeric),
        tolerance=QUAD_RTOL * 10,
        detail="relative error",
    )


def check_second_moment(example: Counterexample, k_float: float) -> Check:
    ramp_end, mass = _float(example.ramp_end), _float(example.mass)
    closed = _float(example.second_moment)
    numeric = (
        integrate_over_support(
            lambda x, y: (x * x + y * y) * density_as_written(x, y, k_float, ramp_end), ramp_end, QUAD_RTOL
        )
        / mass
    )
    return Check(
        name="E_p‖x‖²: closed form against quadrature",
        method="nested adaptive quadrature of (x² + y²)·p(x, y)/Z with p as written",
        computed=closed,
        reference=numeric,
        error=_relative(closed, numeric),
        tolerance=QUAD_RTOL * 10,
        detail="relative error",
    )


def check_kl_gaussian(example: Counterexample, k_float: float, variance: sympy.Expr, closed: float, what: str) -> Check:
    numeric = kl_to_gaussian_by_quadrature(k_float, _float(example.ramp_end), _float(example.mass), _float(variance))
    return Check(
        name=f"KL(p‖N(0, σ²I)) at σ² = {_g(_float(variance))} ({what}): closed form against quadrature",
        method="nested adaptive quadrature of p·log(p/q), p the density as written divided by its mass",
        computed=closed,
        reference=numeric,
        error=_relative(closed, numeric),
        tolerance=KL_QUAD_TOL * 10,
        detail="relative error",
    )


def monte_carlo_volume_A(
    c: float, threshold: float, samples: int = MC_SAMPLES, seed: int = MC_SEED
) -> tuple[float, float]:
    """Area of A = {x : p_θ(x) ≥ h − ε} for the flow z ↦ R(φ)·diag(a, c/a)·z, by uniform sampling; (estimate, SE).

    p_θ(x) = N(f⁻¹(x); 0, I)·|det ∂f⁻¹/∂x| with the matrix inverse and determinant from NumPy,
    so nothing here uses the disc formula.
    """
    a = MC_FLOW_ANISOTROPY * math.sqrt(c)
    rotation = np.array(
        [[math.cos(MC_FLOW_ANGLE), -math.sin(MC_FLOW_ANGLE)], [math.sin(MC_FLOW_ANGLE), math.cos(MC_FLOW_ANGLE)]]
    )
    matrix = rotation @ np.diag([a, c / a])
    inverse = np.linalg.inv(matrix)
    log_abs_det_inverse = math.log(abs(np.linalg.det(inverse)))
    # A lies in the image of the disc {‖z‖ ≤ ρ} where N(z) ≥ c·threshold, i.e. inside the
    # disc of radius ‖matrix‖₂·ρ; sample a square around it.
    rho_squared = max(-2.0 * math.log(2 * math.pi * c * threshold), 0.0)
    half_width = 1.05 * np.linalg.norm(matrix, 2) * math.sqrt(rho_squared) + 1e-12
    rng = np.random.default_rng(seed)
    points = rng.uniform(-half_width, half_width, size=(samples, 2))
    log_p_theta = log_standard_normal(points @ inverse.T) + log_abs_det_inverse
    fraction = float(np.mean(log_p_theta >= math.log(threshold)))
    box = (2 * half_width) ** 2
    return box * fraction, box * math.sqrt(fraction * (1 - fraction) / samples)


def check_volume_A_monte_carlo(c: float, threshold: float, closed: float, label: str) -> Check:
    estimate, standard_error = monte_carlo_volume_A(c, threshold)
    z_score = abs(estimate - closed) / max(standard_error, 1e-300)
    return Check(
        name=f"vol(A) = c·π·r² at {label}: Monte Carlo through a concrete flow",
        method=f"{MC_SAMPLES:,} uniform points around A for f(z) = R({MC_FLOW_ANGLE})·diag(a, c/a)·z, "
        f"a = {MC_FLOW_ANISOTROPY}·√c (|det| = c, not isotropic), counting p_θ(x) = N(f⁻¹(x))·|det ∂f⁻¹/∂x| ≥ h − ε",
        computed=closed,
        reference=estimate,
        error=z_score,
        tolerance=MC_Z_LIMIT,
        detail=f"|estimate − closed form| / standard error; estimate {estimate:.6g} ± {standard_error:.2g}",
    )


def check_volume_A_maximum(threshold: float, closed: float) -> Check:
    from scipy.optimize import minimize_scalar

    # vol(A) > 0 exactly for c < 1/(2π τ); search there, on a log scale of c.
    top = math.log(1 / (2 * math.pi * threshold))
    found = minimize_scalar(
        lambda log_c: -volume_A_for_det(math.exp(log_c), threshold),
        bounds=(top - 40.0, top),
        method="bounded",
        options={"xatol": 1e-12},
    )
    numeric = float(-found.fun)
    return Check(
        name="max over c of vol(A) = 1/(e(h − ε))",
        method="scipy.optimize.minimize_scalar (bounded Brent) of −c·π·r²(c) over log c",
        computed=closed,
        reference=numeric,
        error=_relative(closed, numeric),
        tolerance=OPTIMIZER_VALUE_RTOL,
        detail=f"relative error of the maximum; the maximiser found is c = {math.exp(found.x):.8g}",
    )


def check_best_eps(plateau: float, closed_eps: float, closed_tv: float) -> Check:
    numeric_eps, numeric_tv = maximize_bound(plateau, None)
    return Check(
        name="best ε: closed form against numerical maximisation",
        method="scipy.optimize.minimize_scalar (bounded Brent) of −δ(ε) over (0, h − 1/e), where δ(ε) > 0",
        computed=[closed_eps, closed_tv],
        reference=[numeric_eps, numeric_tv],
        error=max(
            abs(closed_eps - numeric_eps) / (OPTIMIZER_ARG_TOL * plateau),
            _relative(closed_tv, numeric_tv) / OPTIMIZER_VALUE_RTOL,
        ),
        tolerance=1.0,
        detail=f"max(|Δε|/({OPTIMIZER_ARG_TOL:g}·h), relative Δδ/{OPTIMIZER_VALUE_RTOL:g}); 1 or less passes",
    )


def check_best_eps_vp(plateau: float, closed_eps: float) -> Check:
    numeric_eps, numeric_tv = maximize_bound(plateau, 1.0)
    return Check(
        name="best ε for c = 1: h − 1/(2π) against numerical maximisation",
        method="scipy.optimize.minimize_scalar (bounded Brent) of −δ(ε) for c = 1, where δ(ε) > 0",
        computed=[closed_eps, closed_eps],
        reference=[numeric_eps, numeric_tv],
        error=max(
            abs(closed_eps - numeric_eps) / (OPTIMIZER_ARG_TOL * plateau),
            _relative(closed_eps, numeric_tv) / OPTIMIZER_ARG_TOL,
        ),
        tolerance=1.0,
        detail=f"max(|Δε|/({OPTIMIZER_ARG_TOL:g}·h), relative Δδ/{OPTIMIZER_ARG_TOL:g}) (a kink, so Brent is first-order there); 1 or less passes",
    )


def check_inequality(name: str, method: str, lower: float, upper: float, detail: str = "") -> Check:
    """lower ≤ upper, up to rounding: the error is by how much lower exceeds upper."""
    return Check(
        name=name,
        method=method,
        computed=lower,
        reference=upper,
        error=max(lower - upper, 0.0),
        tolerance=INEQUALITY_SLACK * max(1.0, abs(upper)),
        detail=detail or "amount by which the left side exceeds the right",
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

    @property
    def kl(self) -> sympy.Expr:
        return 2 * self.tv**2


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
    return ForDet(c, r_squared, nonempty, volume_C, volume_A, tv)


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
    best_eps_vp: float  # the ε that maximises the c = 1 bound (0 when none is positive)
    best_tv_vp: float
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
    def eps_text(self) -> str:
        """ε as the user typed it (exactly), or its value when --eps best chose it."""
        return _g(_float(self.eps), 8) if self.eps_is_best else _sstr(self.eps)

    @property
    def tv_every(self) -> sympy.Expr:
        """The bound for every θ and every c: the smaller of parts (a) and (c), never below 0."""
        return self.tv_nonempty_A if _is_positive(self.tv_nonempty_A) else sympy.Integer(0)


def solve_bounds(k_value: Fraction | None, eps_value: Fraction | str, det: Fraction | None) -> Bounds:
    """Validate the inputs and compute every quantity; InputError (exit 2) for a value out of range."""
    k = default_k() if k_value is None else _rational(k_value)
    if not k.is_positive:
        raise InputError(f"k must be positive (got {_sstr(k)})", "--k")
    if det is not None and det <= 0:
        raise InputError(f"the constant c = |det ∂f/∂z| must be positive (got {det})", "--det")
    example = Counterexample(k)
    plateau = example.plateau
    plateau_float = _float(plateau)
    if not (plateau_float > 0.0 and math.isfinite(_float(example.mass)) and math.isfinite(_float(example.ramp_end))):
        raise InputError(
            f"k = {_g(_float(k))} is too extreme for float64 (the plateau height or the support overflows)", "--k"
        )

    best = best_eps_formulas()
    if _is_positive(plateau - 1 / sympy.E):  # ε(1 − 1/(e(h − ε))) > 0 for some ε ∈ (0, h) iff h > 1/e
        best_eps, best_tv = best.best_eps.subs(best.h, plateau), best.best_tv.subs(best.h, plateau)
    else:
        best_eps = best_tv = None
    best_eps_vp, best_tv_vp = maximize_bound(plateau_float, 1.0)
    # For c = 1 the bound is δ = ε up to the kink ε = h − 1/(2π), where A appears, and beyond it
    # ε(1 + 2π log(2π(h − ε))), whose slope at the kink is 1 − 4π²ε: the kink is the maximum
    # exactly when h − 1/(2π) ≥ 1/(4π²); otherwise the maximum is interior (numerical only).
    kink = plateau - 1 / (2 * sympy.pi)
    best_eps_vp_exact = kink if _is_positive(kink - 1 / (4 * sympy.pi**2)) else None

    eps_best_for_vp = False
    if eps_value == "best":
        if best_eps is not None:
            eps = best_eps
        elif best_tv_vp > 0.0:
            eps = best_eps_vp_exact if best_eps_vp_exact is not None else sympy.Float(best_eps_vp, 17)
            eps_best_for_vp = True
        else:
            raise InputError(
                f"no ε in (0, h) gives a positive bound at k = {_g(_float(k))}: h = {_g(plateau_float)} is below 1/e, "
                "and too low even for c = 1; give --eps a number to see the steps",
                "--eps",
            )
    else:
        eps = _rational(eps_value)
        if not (eps > 0 and _is_positive(plateau - eps)):
            raise InputError(
                f"ε must lie in (0, h) = (0, {_g(plateau_float, 8)}) for k = {_g(_float(k), 8)}, h being the plateau "
                f"height of the normalised density; got {_sstr(eps)}",
                "--eps",
            )

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
        best_eps_vp=_float(best_eps_vp_exact) if best_eps_vp_exact is not None else best_eps_vp,
        best_tv_vp=_float(best_eps_vp_exact) if best_eps_vp_exact is not None else best_tv_vp,
        best_eps_vp_exact=best_eps_vp_exact,
        sigma_squared=sigma_squared,
        kl_gaussian=example.kl_to_gaussian(sigma_squared),
        kl_gaussian_vp=example.kl_to_gaussian(sympy.Integer(1)),
        kl_gaussian_det=example.kl_to_gaussian(given.c) if given is not None else None,
    )


# --------------------------------------------------------------------------- the derivation, step by step


def _at_least(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.GreaterThan:
    """lhs ≥ rhs for display, never evaluated to True or False."""
    return sympy.GreaterThan(lhs, rhs, evaluate=False)


def _counterexample_steps(b: Bounds, warnings: list[str]) -> list[Step]:
    formulas = profile_formulas()
    example, k = b.example, b.example.k
    k_float, mass_float, plateau_float = _float(k), _float(example.mass), _float(b.plateau)
    x, y = sympy.symbols("x y", real=True)
    ax, ay, ks = sympy.Abs(x), sympy.Abs(y), formulas.k
    as_written = sympy.Piecewise(
        (PLATEAU_AS_WRITTEN, (ax <= HALF_SIDE) & (ay <= HALF_SIDE)),
        (PLATEAU_AS_WRITTEN - ks * (ax - HALF_SIDE), (ax >= HALF_SIDE) & (ax <= formulas.ramp_end) & (ay <= ax)),
        (PLATEAU_AS_WRITTEN - ks * (ay - HALF_SIDE), (ay >= HALF_SIDE) & (ay <= formulas.ramp_end) & (ax <= ay)),
        (0, True),
    )
    written_end = _float(PLATEAU_AS_WRITTEN * k + HALF_SIDE)
    corrected_end = _float(example.ramp_end)
    if k != 1:  # at k = 1 the seed's 0.9k + 0.5 and the ramp's zero 0.5 + 0.9/k coincide: nothing to correct
        warnings.append(
            "the seed writes the ramp as |x| ∈ [0.5, 0.9k + 0.5], but 0.9 − k(|x| − 0.5) reaches 0 at |x| = 0.5 + 0.9/k "
            f"and would be negative beyond: the ramp is used up to 0.5 + 0.9/k = {_g(corrected_end, 8)} "
            f"(the seed's end is {_g(written_end, 8)} at k = {_g(k_float, 8)}; the two agree only at k = 1)"
        )
    steps = [
        Step(
            "The counterexample (with the ramp's end corrected)",
            "The target density, case by case as the seed writes it; the first case that matches wins. The model is any "
            "normalizing flow p_θ with latent z ~ N(0, I₂) and constant |det ∂f_θ/∂z| = c.",
            equation(DENSITY, as_written),
        ),
        Step(
            "Correction: the ramp ends at 0.5 + 0.9/k, not 0.9k + 0.5",
            "The seed writes |x| ∈ [0.5, 0.9k + 0.5]. But the ramp 0.9 − k(|x| − 0.5) reaches 0 at |x| = 0.5 + 0.9/k and "
            f"past it would be a negative density: at k = {_g(k_float, 8)} the seed's end is 0.9k + 0.5 = "
            f"{_g(written_end, 8)}, the ramp's zero {_g(corrected_end, 8)}. The ramp is used up to its zero, so p is "
            "continuous and non-negative; the two ends agree only at k = 1"
            + (", as here, so nothing changes." if k == 1 else "."),
            equation(Label("ramp end", r"\text{ramp end}"), formulas.ramp_end),
            corrected_end,
        ),
        Step(
            "Which case covers which region",
            "Case 1 is the plateau B = [−½, ½]². Case 2 (½ ≤ |x| ≤ ½ + 0.9/k and |y| ≤ |x|) is two trapezoids left and "
            "right of B, bounded by the diagonals |y| = |x|: at their outer edge they reach |y| = ½ + 0.9/k, so they also "
            "cover the halves of the four corner squares below the diagonals, not just strips beside B. Case 3 is the "
            "same with x and y exchanged (above and below B, and the other halves of the corners). Case 2 meets case 1 "
            "only on the segments |x| = ½, and case 3 only on the diagonals |x| = |y|: lines of area zero, on which the "
            "values agree anyway, so the order of the cases changes no probability. Together they tile the square of "
            "half-side ½ + 0.9/k, and on all of it p depends only on t = max(|x|, |y|) = ‖(x, y)‖∞: a pyramid frustum, "
            "flat on B and falling linearly to 0 at the edge. Every integral below is one in t, with dA = 8t dt "
            "(the square ‖x‖∞ ≤ t has area 4t²).",
            equation(DENSITY, formulas.profile.subs(formulas.t, Label("‖(x, y)‖∞", r"\|(x, y)\|_\infty"))),
        ),
        Step(
            "Total mass as a function of k",
            "0.9·vol(B) plus ∫ from ½ to ½ + 0.9/k of (0.9 − k(t − ½))·8t dt, integrated by SymPy:",
            equation(MASS, formulas.mass),
        ),
        Step(
            "The normalising k",
            "mass(k) falls from ∞ (k → 0) to 0.9 (k → ∞), so mass(k) = 1 has exactly one positive root: the default "
            "of --k.",
            equation(K_NORMALIZING, formulas.k_normalizing),
            _float(formulas.k_normalizing),
        ),
    ]
    k_text = "k*" if not b.k_given else _sstr(k)
    if example.is_normalized:
        steps.append(
            Step(
                f"k = {k_text} normalises p",
                f"mass({k_text}) = {_sstr(example.mass)}: p is a probability density as written, with plateau height "
                "h = 0.9.",
                equation(H, b.plateau),
                plateau_float,
            )
        )
    else:
        warnings.append(
            f"NOT A DENSITY: at k = {_g(k_float, 8)} the density as written integrates to {_g(mass_float, 8)}, not 1 (only "
            f"k = {_g(_float(formulas.k_normalizing), 8)} normalises it). Pinsker's inequality holds only between "
            f"probability densities, so everything is computed for p/Z, Z = {_g(mass_float, 8)}: plateau "
            f"h = 0.9/Z = {_g(plateau_float, 8)} instead of 0.9, and A uses the threshold h − ε"
        )
        steps.append(
            Step(
                f"NOT A DENSITY at k = {k_text}: normalised by Z = {_g(mass_float, 8)}",
                f"mass({k_text}) = {_sstr(example.mass)} = {_g(mass_float, 10)} ≠ 1. Pinsker's inequality holds only "
                "between probability densities, so every step below uses the normalised density p/Z. Its plateau height "
                "is h = 0.9/Z (not 0.9), and A is defined with the threshold h − ε (not 0.9 − ε).",
                equation(H, b.plateau),
                plateau_float,
            )
        )
    steps.append(
        Step(
            "The sets B, A and Ā",
            f"B = [−½, ½]², vol(B) = 1, P(B) = h·vol(B) = {_g(plateau_float, 8)}. A = {{x : p_θ(x) ≥ h − ε}} with "
            f"ε = {b.eps_text}"
            + (" (the best ε, below)" if b.eps_is_best else "")
            + f", so the threshold is h − ε = {_g(_float(b.threshold), 8)}. Ā = B∖A is the part of the plateau "
            "where the flow's density is more than ε below p's.",
            equation(Label("h − ε", r"h - \varepsilon"), b.threshold),
            _float(b.threshold),
        )
    )
    return steps


def _part_b_steps(b: Bounds) -> list[Step]:
    forms = level_set_formulas()
    threshold_float = _float(b.threshold)
    z_label = Label("‖z‖²", r"\|z\|^2")
    display = {forms.c: C, forms.tau: TAU}
    steps = [
        Step(
            "The family of flows",
            "By the change of variables with |det ∂f/∂z| = c everywhere, |det ∂f⁻¹/∂x| = 1/c, so p_θ(x) = "
            "N(f⁻¹(x); 0, I₂)/c: it depends on x only through ‖f⁻¹(x)‖², and never exceeds 1/(2πc). The strictly "
            "volume-preserving flows are c = 1; the statement's family (any constant c) contains them.",
            equation(FLOW_DENSITY, forms.flow_density_at_radius.subs({forms.rho_squared: z_label, forms.c: C})),
        ),
        Step(
            "Part (b): the event C = f⁻¹(A) in latent space",
            "p_θ(f(z)) ≥ h − ε ⟺ N(z)/c ≥ τ (τ = h − ε) ⟺ ‖z‖² ≤ r², solved by SymPy: C is the disc of radius r "
            "around 0, empty when r² ≤ 0 (a single point, of area 0, when r² = 0). vol(C) = π r², and because f "
            "multiplies every area by the constant c, vol(A) = vol(f(C)) = c·vol(C): for a volume-preserving flow the "
            "two volumes are equal.",
            equation(R_SQUARED, forms.r_squared.subs(display)),
        ),
        Step("Part (b): the volume of A", "", equation(VOLUME_A, forms.volume_A.subs(display))),
        Step(
            "Part (b): a bound on vol(A) for every c",
            "vol(A) is concave in c (second derivative −2π/c); its derivative vanishes at c = 1/(2πeτ), where r² = 2 "
            f"and vol(A) = 1/(eτ). At τ = {_g(threshold_float, 8)} the maximising c is {_g(_float(b.c_maximizing), 8)}; "
            "every flow in the family has",
            equation(VOLUME_A_UPPER, forms.volume_A_upper_bound.subs(forms.tau, H - EPS)),
            _float(b.volume_A_upper_bound),
        ),
    ]
    vp = b.vp
    if vp.nonempty:
        text = (
            f"r² = 2 log(1/(2π(h − ε))) = {_g(_float(vp.r_squared), 8)} > 0: C is a disc of area π r² = "
            f"{_g(_float(vp.volume_C), 8)}, and A = f(C) has the same area."
        )
    else:
        text = (
            f"r² = 2 log(1/(2π(h − ε))) = {_g(_float(vp.r_squared), 8)} ≤ 0, because h − ε = {_g(threshold_float, 6)} "
            f"exceeds the largest value of any volume-preserving p_θ, 1/(2π) = {_g(1 / (2 * math.pi), 6)}: C = ∅ and "
            "A = ∅ for every volume-preserving flow."
        )
    steps.append(
        Step("Part (b) for volume-preserving flows (c = 1)", text, equation(VOLUME_A, vp.volume_A), _float(vp.volume_A))
    )
    if b.given is not None:
        g = b.given
        text = f"r² = {_g(_float(g.r_squared), 8)}; " + (
            f"vol(C) = π r² = {_g(_float(g.volume_C), 8)}, vol(A) = c·vol(C) = {_g(_float(g.volume_A), 8)}."
            if g.nonempty
            else "r² ≤ 0, so C = ∅ and A = ∅: a flow with this c never reaches h − ε."
        )
        steps.append(
            Step(f"Part (b) for c = {_sstr(g.c)} (--det)", text, equation(VOLUME_A, g.volume_A), _float(g.volume_A))
        )
    return steps


def _bound_steps(b: Bounds, warnings: list[str]) -> list[Step]:
    eps_float, plateau_float = _float(b.eps), _float(b.plateau)
    case_c = _float(b.tv_nonempty_A)
    tv_every = _float(b.tv_every)
    positive_if = (
        f"ε < h − 1/e = {_g(plateau_float - 1 / math.e, 8)}"
        if b.best_eps is not None
        else "h − ε > 1/e, impossible for ε > 0 since h ≤ 1/e here"
    )
    steps = [
        Step(
            "Part (a): A = ∅, event E = Ā = B",
            "If A is empty, p_θ < h − ε everywhere, in particular on B, where p = h. Take E = Ā = B∖∅ = B: "
            "P(B) − P_θ(B) = ∫_B (p − p_θ) > ε·vol(B) = ε. So δ ≥ ε > 0 for every ε in (0, h), and by Pinsker "
            f"KL(p‖p_θ) ≥ 2ε². Here δ ≥ {_g(eps_float, 8)} and KL ≥ {_g(pinsker_kl_lower_bound(eps_float), 8)}.",
            _at_least(GAP_B, EPS),
            eps_float,
        ),
        Step(
            "Part (c): A ≠ ∅, event E = Ā = B∖A",
            "On Ā ⊂ B, p = h and p_θ < h − ε, so P(Ā) − P_θ(Ā) ≥ ε·vol(Ā), and vol(Ā) ≥ vol(B) − vol(A) ≥ 1 − 1/(e(h − ε)) "
            "by part (b). This is positive exactly when the bound on vol(A) is below vol(B) = 1, i.e. when "
            f"{positive_if}. Here ε(1 − 1/(e(h − ε))) = {_g(case_c, 8)}"
            + (
                "."
                if case_c > 0
                else ": not positive. The bound on the area of A exceeds the area of B, so this case proves only δ ≥ 0."
            ),
            _at_least(GAP_A_BAR, EPS * (1 - 1 / (sympy.E * (H - EPS)))),
            case_c,
        ),
    ]
    kl_every = pinsker_kl_lower_bound(tv_every)
    if tv_every > 0:
        text = (
            "Every flow has A = ∅ (part (a): δ ≥ ε) or A ≠ ∅ (part (c): δ ≥ ε(1 − 1/(e(h − ε)))). The smaller, part (c), "
            f"holds for every θ and every c: δ ≥ {_g(tv_every, 8)}, and by Pinsker KL(p‖p_θ) ≥ 2δ² = {_g(kl_every, 8)} > 0."
        )
    else:
        text = (
            f"NO POSITIVE BOUND at ε = {b.eps_text}: the bound on vol(A), {_g(_float(b.volume_A_upper_bound), 8)}, is "
            f"not below the area of B, 1, so part (c) proves only δ ≥ 0. A positive bound needs {positive_if}"
            + (
                f"; the best ε for this k is {_g(_float(b.best_eps), 8)}, where δ ≥ {_g(_float(b.best_tv), 8)} and "
                f"KL ≥ {_g(pinsker_kl_lower_bound(_float(b.best_tv)), 8)}."
                if b.best_eps is not None
                else f": h = {_g(plateau_float, 8)} ≤ 1/e, so at this k the argument gives no positive bound valid for every "
                "c, whatever ε."
            )
        )
        warnings.append(
            f"ε = {b.eps_text} gives no positive bound valid for every c: the bound on vol(A), "
            f"{_g(_float(b.volume_A_upper_bound), 6)}, is not below vol(B) = 1"
            + (
                f"; the best ε for this k is {_g(_float(b.best_eps), 8)}"
                if b.best_eps is not None
                else "; h ≤ 1/e, so no ε gives one"
            )
        )
    steps.append(
        Step(
            "The bound for every flow with constant |det| (every θ, every c)",
            text,
            _at_least(KL, 2 * b.tv_every**2),
            kl_every,
        )
    )

    vp, vp_tv = b.vp, _float(b.vp.tv)
    if not vp.nonempty:
        text = (
            f"For c = 1, A = ∅ (part (b)), so part (a) holds for every volume-preserving flow: δ ≥ ε = {_g(vp_tv, 8)}"
        )
    elif vp_tv > 0:
        text = f"For c = 1, vol(A) = {_g(_float(vp.volume_A), 8)} < 1 exactly, so part (c) gives δ ≥ ε(1 − vol(A)) = {_g(vp_tv, 8)}"
    else:
        text = f"For c = 1, vol(A) = {_g(_float(vp.volume_A), 8)} ≥ 1, so at this ε the argument gives only δ ≥ 0"
    steps.append(
        Step(
            "The bound for volume-preserving flows (c = 1)",
            text
            + f", and KL(p‖p_θ) ≥ 2δ² = {_g(pinsker_kl_lower_bound(vp_tv), 8)}. This is stronger than the bound for "
            "every c, because a flow with c = 1 can never raise its density above 1/(2π).",
            _at_least(KL, vp.kl),
            pinsker_kl_lower_bound(vp_tv),
        )
    )
    if b.given is not None:
        g, g_tv = b.given, _float(b.given.tv)
        which = "(a), A = ∅" if not g.nonempty else ("(c)" if g_tv > 0 else "(c), which proves only δ ≥ 0 here")
        steps.append(
            Step(
                f"The bound for c = {_sstr(g.c)} (--det)",
                f"Part {which}: δ ≥ {_g(g_tv, 8)}, KL(p‖p_θ) ≥ {_g(pinsker_kl_lower_bound(g_tv), 8)}.",
                _at_least(KL, g.kl),
                pinsker_kl_lower_bound(g_tv),
            )
        )

    best = best_eps_formulas()
    vp_best_text = (
        f"For c = 1 alone the best ε is {_g(b.best_eps_vp, 8)}"
        + (
            " = h − 1/(2π), the largest ε at which A is still empty (beyond it the bound's slope 1 − 4π²ε is negative)"
            if b.best_eps_vp_exact is not None
            else " (found numerically)"
        )
        + f", with δ ≥ {_g(b.best_tv_vp, 8)} and KL ≥ {_g(pinsker_kl_lower_bound(b.best_tv_vp), 8)}."
        if b.best_tv_vp > 0
        else "Even for c = 1 no ε gives a positive bound."
    )
    if b.best_eps is not None:
        best_eps, best_tv = _float(b.best_eps), _float(b.best_tv)
        steps.append(
            Step(
                "The best ε",
                "δ(ε) = ε(1 − 1/(e(h − ε))) is concave on (0, h); its derivative vanishes at ε = h − √(h/e) (SymPy), where "
                f"δ = (√(eh) − 1)²/e. For h = {_g(plateau_float, 8)}: ε_best = {_g(best_eps, 10)}, δ ≥ {_g(best_tv, 10)} and "
                f"KL ≥ {_g(pinsker_kl_lower_bound(best_tv), 10)} for every flow with constant |det|. " + vp_best_text,
                equation(BEST_EPS, best.best_eps.subs(best.h, H)),
                best_eps,
            )
        )
        steps.append(Step("The bound at the best ε", "", _at_least(DELTA, best.best_tv.subs(best.h, H)), best_tv))
    else:
        steps.append(
            Step(
                "The best ε",
                f"h = {_g(plateau_float, 8)} ≤ 1/e = {_g(1 / math.e, 8)}, so the bound on vol(A) is at least 1 for every ε in "
                "(0, h): no ε gives a positive bound valid for every c at this k. " + vp_best_text,
            )
        )
    if b.eps_best_for_vp:
        warnings.append(
            f"h = {_g(plateau_float, 6)} ≤ 1/e, so no ε gives a positive bound valid for every c; --eps best took the ε "
            f"that maximises the c = 1 bound instead ({_g(b.best_eps_vp, 8)})"
        )
    steps.append(
        Step(
            "Which KL, and Pinsker",
            "δ is sup over events E of |P(E) − P_θ(E)|, as the seed defines it, with no factor ½ (it equals ½∫|p − p_θ|). "
            "Pinsker's inequality δ ≤ √(KL/2) gives KL ≥ 2δ². The bounds are stated for KL(p‖p_θ), the maximum-"
            "likelihood objective; Pinsker holds in both directions, so they bound KL(p_θ‖p) too, which is in fact +∞ "
            "here: p_θ > 0 everywhere, while p vanishes outside a bounded square.",
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
            "The sandwich: E_p‖x‖² and ∫ p log p in closed form",
            "Through the profile in t (SymPy): E_p‖x‖² = ∫ g(t)·(32t³/3) dt / mass(k) (the square ‖x‖∞ ≤ t carries "
            "∫(x² + y²) dA = 8t⁴/3), and ∫ p log p = ∫ g log g dA / mass(k) − log mass(k), which simplifies to the form "
            f"below (log 0.9 − log mass(k) = log h). Here E_p‖x‖² = {_g(_float(example.second_moment), 10)} and "
            f"∫ p log p = {_g(_float(example.neg_entropy), 10)}.",
            equation(NEG_ENTROPY, sympy.log(H) + formulas.neg_entropy_correction / MASS),
            _float(example.neg_entropy),
        ),
        Step(
            "The sandwich: the best isotropic Gaussian flow",
            "The affine flow z ↦ σz has |det| = σ² and p_θ = N(0, σ²I), so it belongs to the family. "
            "KL(p‖N(0, σ²I)) is smallest at σ² = E_p‖x‖²/2 = "
            f"{_g(_float(b.sigma_squared), 10)}, where it is {_g(kl_gaussian, 10)}. The best flow of the family does at "
            f"least as well, so {_g(pinsker_kl_lower_bound(_float(b.tv_every)), 6)} ≤ min over the family of KL ≤ "
            f"{_g(kl_gaussian, 6)}.",
            equation(KL_GAUSSIAN, general),
            kl_gaussian,
        ),
        Step(
            "The sandwich for c = 1",
            "Among volume-preserving affine flows z ↦ Mz (|det M| = 1), KL(p‖N(0, MMᵀ)) = const + ½·tr((MMᵀ)⁻¹)·E_p‖x‖²/2 "
            "+ ½·log det(MMᵀ); with det(MMᵀ) = 1 the trace is smallest at MMᵀ = I (AM–GM on the eigenvalues), so the "
            f"best is N(0, I), with KL = {_g(kl_vp, 10)}, against the lower bound {_g(pinsker_kl_lower_bound(_float(b.vp.tv)), 6)} "
            f"for c = 1. (The c = 1 lower bound may exceed the first sandwich's {_g(kl_gaussian, 6)}: that flow has "
            "c = σ² ≠ 1.)",
            equation(Label("KL(p‖N(0, I))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, I))"), general.subs(SIGMA2, 1)),
            kl_vp,
        ),
    ]
    if b.given is not None:
        steps.append(
            Step(
                f"The sandwich for c = {_sstr(b.given.c)} (--det)",
                f"The flow z ↦ √c·z has |det| = c: KL(p‖N(0, cI)) = {_g(_float(b.kl_gaussian_det), 10)}, against the "
                f"lower bound {_g(pinsker_kl_lower_bound(_float(b.given.tv)), 6)} for this c.",
                equation(
                    Label("KL(p‖N(0, cI))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, cI))"),
                    general.subs(SIGMA2, b.given.c),
                ),
                _float(b.kl_gaussian_det),
            )
        )
    return steps


def _conclusion(b: Bounds) -> Step:
    eps_text = b.eps_text
    tv_every, vp_kl = _float(b.tv_every), pinsker_kl_lower_bound(_float(b.vp.tv))
    best_kl = pinsker_kl_lower_bound(_float(b.best_tv)) if b.best_tv is not None else None
    if tv_every > 0:
        text = f"Whatever θ and whatever the constant c, KL(p‖p_θ) ≥ {_g(pinsker_kl_lower_bound(tv_every), 8)} (ε = {eps_text})"
        if best_kl is not None and not b.eps_is_best:
            text += f", and ≥ {_g(best_kl, 8)} with the best ε"
        text += f"; for volume-preserving flows (c = 1), KL(p‖p_θ) ≥ {_g(vp_kl, 8)}. "
    elif best_kl is not None:
        text = (
            f"At ε = {eps_text} the argument proves no positive bound for every c, but at ε = {_g(_float(b.best_eps), 8)} it "
            f"proves KL(p‖p_θ) ≥ {_g(best_kl, 8)} for every θ and every c; for c = 1 at ε = {eps_text}, KL(p‖p_θ) ≥ "
            f"{_g(vp_kl, 8)}. "
        )
    else:
        text = (
            "At this k (h ≤ 1/e) the argument proves no positive bound valid for every c; for volume-preserving flows "
            f"(c = 1) it proves KL(p‖p_θ) ≥ {_g(vp_kl, 8)} at ε = {eps_text}. "
        )
    text += (
        "A universal approximator under KL needs, for this p, flows p_θn in the family with KL(p‖p_θn) → 0. A positive "
        "lower bound that does not depend on θ rules that out: no flow of the family, however deep or wide, comes "
        "closer to p than the bound. The reason is rigidity. With a constant Jacobian determinant a flow can move the "
        "Gaussian's mass around but cannot reshape its density values: the set where p_θ ≥ τ always has area "
        "c·2π·log(1/(2πcτ)) ≤ 1/(eτ), while p is flat at height h over an area of 1. So flows with constant |det|, and "
        "volume-preserving flows in particular, are not universal distribution approximators."
    )
    return Step("Part (d): conclusion", text)


def _checks(b: Bounds) -> tuple[list[Check], float, float]:
    """The independent checks, and the achieved δ of the two sandwich flows (by quadrature)."""
    formulas = profile_formulas()
    example = b.example
    k_float, ramp_end, mass = _float(example.k), _float(example.ramp_end), _float(example.mass)
    threshold = _float(b.threshold)
    checks = [check_mass(example, k_float, "k")]
    if not example.is_normalized:
        # The normalising k, checked by quadrature: the closed form of mass(k*) is exactly 1.
        checks.append(check_mass(Counterexample(formulas.k_normalizing), _float(formulas.k_normalizing), "k*"))
    checks.append(check_second_moment(example, k_float))
    c_star = _float(b.c_maximizing)
    checks.append(
        check_volume_A_monte_carlo(
            c_star, threshold, _float(b.volume_A_upper_bound), f"c = {_g(c_star)} (the maximising c)"
        )
    )
    if b.vp.nonempty:
        checks.append(check_volume_A_monte_carlo(1.0, threshold, _float(b.vp.volume_A), "c = 1"))
    if b.given is not None and b.given.nonempty:
        checks.append(
            check_volume_A_monte_carlo(
                _float(b.given.c), threshold, _float(b.given.volume_A), f"c = {_sstr(b.given.c)}"
            )
        )
    checks.append(check_volume_A_maximum(threshold, _float(b.volume_A_upper_bound)))
    if b.best_eps is not None:
        checks.append(check_best_eps(_float(b.plateau), _float(b.best_eps), _float(b.best_tv)))
    if b.best_eps_vp_exact is not None:
        checks.append(check_best_eps_vp(_float(b.plateau), b.best_eps_vp))
    kl_gaussian, kl_vp = _float(b.kl_gaussian), _float(b.kl_gaussian_vp)
    checks.append(check_kl_gaussian(example, k_float, b.sigma_squared, kl_gaussian, "the best isotropic Gaussian"))
    checks.append(check_kl_gaussian(example, k_float, sympy.Integer(1), kl_vp, "c = 1"))
    if b.given is not None and b.given.c != 1:
        checks.append(
            check_kl_gaussian(example, k_float, b.given.c, _float(b.kl_gaussian_det), f"c = {_sstr(b.given.c)}")
        )

    # The sandwich: each lower bound below what a concrete flow of its own family achieves, and
    # the achieved δ between its lower bound and Pinsker's ceiling √(KL/2).
    tv_gaussian = tv_to_gaussian(k_float, ramp_end, mass, _float(b.sigma_squared))
    tv_vp = tv_to_gaussian(k_float, ramp_end, mass, 1.0)
    achieved = "against the KL of a concrete flow of the family, from the closed form (checked above by quadrature)"
    by_quadrature = "against δ = ∫(p − q)₊ of the same flow, by quadrature (erf in y, adaptive in x)"
    pinsker = "Pinsker's inequality on a concrete pair: δ by quadrature against √(KL/2)"
    tv_every, vp_tv = _float(b.tv_every), _float(b.vp.tv)
    inequalities = [
        ("KL lower bound (every c) ≤ KL(p‖N(0, σ²I))", achieved, pinsker_kl_lower_bound(tv_every), kl_gaussian),
        ("KL lower bound (c = 1) ≤ KL(p‖N(0, I))", achieved, pinsker_kl_lower_bound(vp_tv), kl_vp),
        ("δ lower bound (every c) ≤ δ(p, N(0, σ²I))", by_quadrature, tv_every, tv_gaussian),
        ("δ lower bound (c = 1) ≤ δ(p, N(0, I))", by_quadrature, vp_tv, tv_vp),
        ("δ(p, N(0, σ²I)) ≤ √(KL/2)", pinsker, tv_gaussian, math.sqrt(kl_gaussian / 2)),
        ("δ(p, N(0, I)) ≤ √(KL/2)", pinsker, tv_vp, math.sqrt(kl_vp / 2)),
    ]
    if b.best_tv_vp > 0:
        inequalities.insert(
            2,
            (
                "KL lower bound (c = 1) at its best ε ≤ KL(p‖N(0, I))",
                achieved,
                pinsker_kl_lower_bound(b.best_tv_vp),
                kl_vp,
            ),
        )
    if b.best_tv is not None:
        inequalities.insert(
            1,
            (
                "KL lower bound at the best ε ≤ KL(p‖N(0, σ²I))",
                achieved,
                pinsker_kl_lower_bound(_float(b.best_tv)),
                kl_gaussian,
            ),
        )
    if b.given is not None:
        inequalities.append(
            (
                f"KL lower bound (c = {_sstr(b.given.c)}) ≤ KL(p‖N(0, cI))",
                achieved,
                pinsker_kl_lower_bound(_float(b.given.tv)),
                _float(b.kl_gaussian_det),
            )
        )
    checks.extend(check_inequality(name, method, lower, upper) for name, method, lower, upper in inequalities)
    return checks, tv_gaussian, tv_vp


def _result(b: Bounds, tv_gaussian: float, tv_gaussian_vp: float, checks: list[Check]) -> dict[str, Any]:
    formulas, example = profile_formulas(), b.example
    tv_every = _float(b.tv_every)
    result: dict[str, Any] = {
        "k": _float(example.k),
        "k_exact": _sstr(example.k),
        "eps": _float(b.eps),
        "eps_exact": _sstr(b.eps),
        "mass": _float(example.mass),
        "mass_exact": _sstr(example.mass),
        "normalized": example.is_normalized,
        "k_normalizing": _float(formulas.k_normalizing),
        "k_normalizing_exact": _sstr(formulas.k_normalizing),
        "ramp_end": _float(example.ramp_end),
        "plateau": _float(b.plateau),
        "plateau_exact": _sstr(b.plateau),
        "threshold": _float(b.threshold),
        "c_maximizing_volume_A": _float(b.c_maximizing),
        "volume_A_upper_bound": _float(b.volume_A_upper_bound),
        "r_squared_vp": _float(b.vp.r_squared),
        "volume_A_vp": _float(b.vp.volume_A),
        "tv_lower_bound_empty_A": _float(b.eps),
        "tv_lower_bound_nonempty_A": max(_float(b.tv_nonempty_A), 0.0),
        "tv_lower_bound": tv_every,
        "kl_lower_bound": pinsker_kl_lower_bound(tv_every),
        "bound_positive": tv_every > 0,
        "tv_lower_bound_vp": _float(b.vp.tv),
        "kl_lower_bound_vp": pinsker_kl_lower_bound(_float(b.vp.tv)),
        "best_eps": _float(b.best_eps) if b.best_eps is not None else None,
        "best_tv_lower_bound": _float(b.best_tv) if b.best_tv is not None else None,
        "best_kl_lower_bound": pinsker_kl_lower_bound(_float(b.best_tv)) if b.best_tv is not None else None,
        "best_eps_vp": b.best_eps_vp,
        "best_kl_lower_bound_vp": pinsker_kl_lower_bound(b.best_tv_vp),
        "second_moment": _float(example.second_moment),
        "neg_entropy": _float(example.neg_entropy),
        "sigma_squared_gaussian": _float(b.sigma_squared),
        "kl_gaussian_upper": _float(b.kl_gaussian),
        "tv_gaussian": tv_gaussian,
        "kl_gaussian_vp": _float(b.kl_gaussian_vp),
        "tv_gaussian_vp": tv_gaussian_vp,
    }
    if b.given is not None:
        g = b.given
        result.update(
            {
                "det": _float(g.c),
                "r_squared_det": _float(g.r_squared),
                "volume_C_det": _float(g.volume_C),
                "volume_A_det": _float(g.volume_A),
                "tv_lower_bound_det": _float(g.tv),
                "kl_lower_bound_det": pinsker_kl_lower_bound(_float(g.tv)),
                "kl_gaussian_det": _float(b.kl_gaussian_det),
            }
        )
    result["checks_passed"] = all(c.passed for c in checks)
    return result


def vpnf_bound(
    k_value: Fraction | None = None, eps_value: Fraction | str = Fraction(1, 10), det: Fraction | None = None
) -> Derivation:
    """Parts (a)–(d) of Problem 2 for one k and ε: the counterexample, the sets, the bounds, the sandwich, the checks.

    ``k_value`` None means the normalising k; ``eps_value`` may be "best"; ``det`` adds one given c.
    """
    b = solve_bounds(k_value, eps_value, det)
    warnings: list[str] = []
    steps = _counterexample_steps(b, warnings) + _part_b_steps(b) + _bound_steps(b, warnings) + _sandwich_steps(b)
    steps.append(_conclusion(b))
    checks, tv_gaussian, tv_gaussian_vp = _checks(b)
    steps.extend(Step(f"Check: {check.name}", check.method, check=check) for check in checks)
    return Derivation(
        command=COMMAND,
        title="Volume-preserving flows are not universal: Pinsker lower bounds on KL(p‖p_θ)",
        inputs={
            "k": "normalising" if k_value is None else str(k_value),
            "eps": "best" if eps_value == "best" else str(eps_value),
            "det": None if det is None else str(det),
        },
        steps=steps,
        result=_result(b, tv_gaussian, tv_gaussian_vp, checks),
        warnings=warnings,
    )


# --------------------------------------------------------------------------- plot data


def plot_data(derivation: Derivation, points: int = 401) -> dict[str, Any]:
    """Arrays for the figure, from a solved run: the normalised density on a grid, B, the largest possible A, δ(ε)."""
    r = derivation.result
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
        "density": density_as_written_grid(xx, yy, k, ramp_end) / mass,
        "largest_A_radius": math.sqrt(2 * r["c_maximizing_volume_A"]),
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
