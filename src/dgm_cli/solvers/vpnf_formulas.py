"""Problem 2's closed forms, derived once with SymPy with their parameters symbolic (and cached on disk).

- :func:`profile_formulas`: the counterexample through its ∞-norm profile g(t), k symbolic: mass(k), E‖x‖², ∫ g log g
  and the normalising k (mass(k) = 1).
- :func:`level_set_formulas`: part (b) with c and τ = h − ε symbolic: the latent disc C = f⁻¹(A), r², vol(C),
  vol(A) = c·vol(C), its maximum over c and the simple bound vol(C) ≤ 1/(ecτ).
- :func:`best_eps_formulas`: the ε that maximises δ(ε) = ε(1 − 1/(e(h − ε))), h symbolic.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from dgm_cli.cache import disk_cached

PLATEAU_AS_WRITTEN = sympy.Rational(9, 10)  # the assignment's 0.9
HALF_SIDE = sympy.Rational(1, 2)  # B = [−½, ½]², so vol(B) = 1


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
    mass: sympy.Expr  # ∫ g dA
    second_moment_unnormalized: sympy.Expr  # ∫ ‖x‖² g dA
    k_normalizing: sympy.Expr  # the positive root of mass(k) = 1
    neg_entropy_correction: sympy.Expr  # R(k) in ∫ (g/Z) log(g/Z) dA = log h + R(k)/mass(k)


def _integrate_polynomial(expr: sympy.Expr, var: sympy.Symbol, low: sympy.Expr, high: sympy.Expr) -> sympy.Expr:
    """∫ from low to high of a polynomial in var (coefficients may hold k): Poly's exact antiderivative, 50× faster
    than integrate."""
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
    area_element = sympy.diff(square_area, t)  # 8t
    moment_element = sympy.diff(square_moment, t)  # 32t³/3

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
    return ProfileFormulas(k, t, profile, ramp_end, mass, second_moment, sympy.radsimp(roots[0]), correction)


@dataclass(frozen=True)
class LevelSetFormulas:
    """Part (b) with c and the threshold τ = h − ε symbolic: C = f⁻¹(A) is a disc of radius r."""

    c: sympy.Symbol
    tau: sympy.Symbol
    flow_density_at_radius: sympy.Expr  # N(z)/c as a function of ρ² = ‖z‖²
    rho_squared: sympy.Symbol
    r_squared: sympy.Expr  # 2 log(1/(2π c τ))
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
    return LevelSetFormulas(c, tau, flow_density, rho_squared, r_squared, volume_A, c_maximizing, upper, volume_C_upper)


@dataclass(frozen=True)
class BestEpsFormulas:
    """The ε that maximises δ(ε) = ε·(1 − 1/(e(h − ε))), with h symbolic."""

    h: sympy.Symbol
    best_eps: sympy.Expr  # h − √(h/e)
    best_tv: sympy.Expr  # (√(e h) − 1)²/e


@disk_cached
def best_eps_formulas() -> BestEpsFormulas:
    """Maximise δ(ε) = ε(1 − 1/(e(h − ε))) over ε ∈ (0, h) in closed form, h symbolic."""
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
    return BestEpsFormulas(h, sympy.expand(best), readable)
