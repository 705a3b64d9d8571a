"""Problem 2's independent checks: every closed form against a route that shares none of its derivation.

- mass(k), E_p‖x‖² and KL(p‖N(0, σ²I)) against Gauss–Legendre quadrature of the density exactly as the assignment
  writes it (:mod:`dgm_cli.solvers.vpnf_quadrature`);
- vol(A) by Monte Carlo through a concrete, anisotropic flow, or with mpmath as the area of that flow's ellipse
  where float64 sampling cannot resolve A; its maximum over c, and the best ε, by Brent's bounded method;
- the sandwich: each lower bound below the KL (and δ) that a concrete flow of its family achieves, and that δ below
  Pinsker's √(KL/2).
"""

from __future__ import annotations

import math
import sys
from typing import Any, NamedTuple

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Check, Math, Prose, m, prose
from dgm_cli.solvers.numerics import log_standard_normal
from dgm_cli.solvers.vpnf_bounds import Bounds, Counterexample, counterexample, pinsker_kl
from dgm_cli.solvers.vpnf_formulas import level_set_formulas, profile_formulas
from dgm_cli.solvers.vpnf_maxima import maximize_bound, minimize_bounded
from dgm_cli.solvers.vpnf_notation import (
    A_M,
    C_IS_1,
    C_M,
    DELTA_M,
    EPS_M,
    K_M,
    KL_GAUSSIAN_M,
    P_M,
    SECOND_MOMENT_M,
    X_M,
    Y_M,
    approx,
    rel,
    shown,
)
from dgm_cli.solvers.vpnf_numbers import as_number, evaluate, float_of, from_log, is_positive, log_of
from dgm_cli.solvers.vpnf_quadrature import (
    GAUSS_NODES,
    KL_QUAD_TOL,
    QUAD_RTOL,
    density_as_written_grid,
    integrate_over_support,
    kl_to_gaussian_by_quadrature,
    tv_to_gaussian,
)

# A Monte Carlo estimate this many standard errors away from the closed form fails.
MC_Z_LIMIT = 4.0
MC_SAMPLES = 200_000
MC_SEED = 0
# Brent's bounded method locates a smooth maximum to ~sqrt(machine ε) relative to the interval
# (so 1e-6·h leaves a wide margin); the maximum value itself is second-order in that error.
OPTIMIZER_ARG_TOL = 1e-6
OPTIMIZER_VALUE_RTOL = 1e-10

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

# An inequality check fails only when it is violated by more than rounding.
INEQUALITY_SLACK = 1e-12

# The concrete flow used to count A by Monte Carlo: z ↦ R(φ)·diag(a, c/a)·z, whose |det| is c
# but which is neither isotropic nor axis-aligned (a = ANISOTROPY·√c).
MC_FLOW_ANGLE = 0.6
MC_FLOW_ANISOTROPY = 1.5

# --------------------------------------------------------------------------- closed forms against quadrature


def _relative(computed: float, reference: float) -> float:
    """|computed − reference|/|reference| (a reference of 0 counts as 1e-300)."""
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
    """mass(k) in closed form against quadrature of the assignment's four cases, taken in order."""
    ramp_end = float_of(example.ramp_end)
    mass = float_of(example.mass)
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
        detail=("relative error",),
    )


def check_second_moment(example: Counterexample, k_float: float) -> Check:
    """E_p‖x‖² in closed form against quadrature of (x² + y²)·p/Z, p as written."""
    ramp_end, mass = float_of(example.ramp_end), float_of(example.mass)
    closed = float_of(example.second_moment)
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
        detail=("relative error",),
    )


def check_kl_gaussian(
    example: Counterexample, k_float: float, variance: sympy.Expr, closed: sympy.Expr, what: Prose
) -> Check:
    """KL(p‖N(0, σ²I)) in closed form against quadrature of p·log(p/q).

    For σ² below KL_SCALE_BELOW the term E‖x‖²/(2σ²) makes the KL too large for float64 (5e-324 gives
    1e322): both sides are then multiplied by σ², which keeps the relative error and every number finite.
    """
    small = bool(variance < KL_SCALE_BELOW)
    scale = float_of(variance) if small else 1.0  # σ² itself, or 1
    numeric, estimate = kl_to_gaussian_by_quadrature(
        k_float,
        float_of(example.ramp_end),
        float_of(example.mass),
        log_of(variance),
        scale,
        1.0 if small else float_of(1 / variance),
    )
    scaled_closed = float_of(variance * closed if small else closed)
    reference = as_number(sympy.Float(numeric, 17) / variance) if small else numeric
    return Check(
        name=(
            KL_GAUSSIAN_M,
            " at ",
            *rel(m(r"\sigma^2", "σ²"), "=", approx(variance, 6)),
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
        computed=as_number(closed),
        reference=reference,
        error=_quadrature_error(scaled_closed, numeric, estimate),
        tolerance=KL_QUAD_TOL * 10,
        detail=("relative error",),
    )


# --------------------------------------------------------------------------- the area of A, three routes


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
    return float(box * fraction), float(box * math.sqrt(fraction * (1 - fraction) / samples))


def _volume_A_name(label: Prose, how: str) -> Prose:
    """The name of a check of vol(A) = c·π·r² at one c (``label``), by one route (``how``)."""
    return (m(r"\operatorname{vol}(A) = c \pi r^2", "vol(A) = c·π·r²"), " at ", *label, ": ", how)


def check_volume_A(
    c: sympy.Expr, threshold: sympy.Expr, r_squared: sympy.Expr, closed: sympy.Expr, label: Prose
) -> list[Check]:
    """vol(A) for |det| = c by Monte Carlo where float64 sampling resolves A, else an exact route.

    Sampling needs c within MC_C_RANGE (the flow's matrix, its inverse and the box stay far inside
    float64) and r² ≥ MC_MIN_R_SQUARED (float64's log p_θ ≥ log τ resolves the disc's edge: near
    r² = 0 the rounding of log(2πcτ) is as large as r² itself). Otherwise the Monte Carlo check is
    not applicable, and the area of the same flow's ellipse is computed with mpmath (50 digits and more) instead.
    """
    low, high = MC_C_RANGE
    if low <= c <= high and r_squared >= MC_MIN_R_SQUARED:
        return [check_volume_A_monte_carlo(float_of(c), log_of(threshold), float_of(r_squared), closed, label)]
    reason = (
        ("the constant ", *rel(C_M, "=", approx(c, 3)), " lies outside ")
        if not low <= c <= high
        else (*rel(m("r^2", "r²"), "=", approx(r_squared, 3)), " is below ")
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
        computed=as_number(closed),
        reference=None,
        error=0.0,
        tolerance=MC_Z_LIMIT,
        detail=(*reason, *limit, "; the multiple-precision check below covers this case"),
        applicable=False,
    )
    return [skipped, check_volume_A_ellipse(c, threshold, r_squared, closed, label)]


# Long by its method's sentence: the computation itself is a dozen lines.
def check_volume_A_ellipse(
    c: sympy.Expr, threshold: sympy.Expr, r_squared: sympy.Expr, closed: sympy.Expr, label: Prose
) -> Check:
    """vol(A) for the flow z ↦ M z, M = R(φ)·diag(a, c/a), with mpmath at 50 digits or more: a route for any c.

    A = {x : N(M⁻¹x)/|det M| ≥ τ} = {x : xᵀQx ≤ s} with Q = (MMᵀ)⁻¹ and s = −2 log(2π|det M|τ),
    found by mpmath's root finder on the log-density; its area is the ellipse's π s/√det Q.
    Compared in log space, so an area of 1e-400 is resolved as well as one of 0.3.
    """
    import mpmath

    # s = −2 log(2π|det M|τ) cancels as many digits as r² has leading zeros (ε just past the
    # c = 1 kink gives r² = 1e-36): add them back, up to a bound.
    lost = max(0, -int(math.floor(log_of(r_squared) / math.log(10))))
    name = _volume_A_name(label, "the area of the same flow's ellipse in multiple precision")
    if lost > ELLIPSE_EXTRA_DIGITS:  # the parser's 400-digit numbers cannot get this close to the edge
        return Check(
            name=name,
            method=("mpmath",),
            computed=as_number(closed),
            reference=None,
            error=0.0,
            tolerance=ELLIPSE_LOG_TOL,
            detail=(
                *rel(m("r^2", "r²"), "=", approx(r_squared, 3)),
                " would need more than ",
                ELLIPSE_EXTRA_DIGITS,
                " extra digits",
            ),
            applicable=False,
        )
    digits = ELLIPSE_DIGITS + lost
    with mpmath.workdps(digits):
        c_mp = mpmath.mpf(evaluate(c, digits + 10))
        tau = mpmath.mpf(evaluate(threshold, digits + 10))
        matrix = mpmath.matrix(_flow_matrix(c_mp, mpmath))
        log_abs_det = mpmath.log(abs(mpmath.det(matrix)))
        s = mpmath.findroot(lambda s: -mpmath.log(2 * mpmath.pi) - s / 2 - log_abs_det - mpmath.log(tau), 1)
        quadratic = (matrix * matrix.T) ** -1
        log_area = mpmath.log(mpmath.pi * s) - mpmath.log(mpmath.det(quadratic)) / 2
        log_closed = mpmath.log(mpmath.mpf(evaluate(closed, digits + 10)))
        error = float(abs(log_area - log_closed))
        area = as_number(sympy.Float(mpmath.exp(log_area), 30))
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
        computed=as_number(closed),
        reference=area,
        error=error,
        tolerance=ELLIPSE_LOG_TOL,
        detail=("absolute difference of the logarithms of the two areas",),
    )


def check_volume_A_monte_carlo(
    c: float, log_threshold: float, rho_squared: float, closed: sympy.Expr, label: Prose
) -> Check:
    """vol(A) in closed form against :func:`monte_carlo_volume_A`, as a z-score."""
    closed_float = float_of(closed)
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
            *rel(m(r"\varphi", "φ"), "=", MC_FLOW_ANGLE),
            " and ",
            *rel(m("a", "a"), "=", MC_FLOW_ANISOTROPY),
            " ",
            m(r"\sqrt{c}", "√c"),
            " (",
            m(r"\lvert \det \rvert = c", "|det| = c"),
            ", not isotropic), counting the points where ",
            m(
                r"p_\theta(x) = \mathcal{N}(f^{-1}(x))\, \lvert \det \partial f^{-1}/\partial x \rvert"
                r" \ge h - \varepsilon",
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
    log_tau = log_of(threshold)
    log_two_pi, log_pi = math.log(2 * math.pi), math.log(math.pi)

    def log_volume(log_c: float) -> float:
        r_squared = -2.0 * (log_two_pi + log_c + log_tau)
        return log_c + log_pi + math.log(r_squared) if r_squared > 0.0 else -math.inf

    # vol(A) > 0 exactly for c < 1/(2π τ); search there, on a log scale of c.
    top = -log_two_pi - log_tau
    found_log_c, found_value = minimize_bounded(lambda log_c: -log_volume(log_c), top - 40.0, top, 1e-12)
    log_closed = log_of(closed)
    return Check(
        name=(m(r"\max_c \operatorname{vol}(A) = 1/(e(h - \varepsilon))", "max over c of vol(A) = 1/(e(h − ε))"),),
        method=(
            "Brent's bounded minimisation (scipy.optimize.minimize_scalar's, restated) of ",
            m(r"-\log(c \pi r^2(c))", "−log(c·π·r²(c))"),
            " over ",
            m(r"\log c", "log c"),
        ),
        computed=as_number(closed),
        reference=from_log(-found_value),
        error=abs(math.expm1(-found_value - log_closed)),
        tolerance=OPTIMIZER_VALUE_RTOL,
        detail=(
            "relative error of the maximum; the maximiser found is ",
            *rel(C_M, "=", approx(from_log(found_log_c), 8)),
        ),
    )


# --------------------------------------------------------------------------- the best ε by Brent


def _optimizer_detail(value_tolerance: float, note: str = "") -> Prose:
    """How an optimiser check's error is measured: the worse of the argument's and the value's errors, scaled."""
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
    h = float_of(plateau)
    d = float_of(plateau - 1 / sympy.E)
    found_t, found_value = minimize_bounded(lambda t: -t * (1.0 - t) / (h - t * d), 0.0, 1.0, 1e-12)
    numeric_eps, scaled_tv = float(found_t) * d, float(-found_value)
    eps_float = float_of(closed_eps)
    scaled_closed_tv = float_of(closed_tv / (plateau - 1 / sympy.E) ** 2)
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
        computed=[as_number(closed_eps), as_number(closed_tv)],
        reference=[numeric_eps, as_number(sympy.Float(scaled_tv, 17) * (plateau - 1 / sympy.E) ** 2)],
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
    """The kink ε = h − 1/(2π) as the best ε for c = 1 (where δ = ε) against Brent's maximisation of the bound."""
    numeric_eps, numeric_tv = maximize_bound(plateau, 1.0)
    return Check(
        name=(
            "best ",
            EPS_M,
            " for ",
            C_IS_1,
            ": ",
            m(r"h - 1/(2\pi)", "h − 1/(2π)"),
            " against numerical maximisation",
        ),
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


# --------------------------------------------------------------------------- the sandwich


def check_inequality(
    name: Prose, method: Prose, lower: Any, upper: Any, detail: Prose = (), uncertainty: float = 0.0
) -> Check:
    """lower ≤ upper, up to rounding: the error is by how much lower exceeds upper, relative to max(1, |upper|).

    Either side may be exact (SymPy) or a float; they are compared at 30 digits, so a lower bound of
    2e-600 or an achieved KL of 1e399 (beyond float64) is compared as it is, not as 0 or ∞. ``uncertainty``
    (a quadrature's error estimate on one side) counts against the inequality: lower + uncertainty ≤ upper.
    """
    low, high = evaluate(lower, 30), evaluate(upper, 30)
    excess = max(low - high + sympy.Float(uncertainty, 30), 0) / max(1, abs(high))
    return Check(
        name=name,
        method=method,
        computed=as_number(low),
        reference=as_number(high),
        error=float(excess),
        tolerance=INEQUALITY_SLACK,
        detail=detail or ("amount by which the left side exceeds the right, over the larger of 1 and the right side",),
    )


class _Inequality(NamedTuple):
    """lower ≤ upper, to be checked: its name and method, and the error estimate of a quadrature on one side."""

    name: Prose
    method: Prose
    lower: Any
    upper: Any
    uncertainty: float = 0.0


_ACHIEVED = ("against the KL of a concrete flow of the family, from the closed form (checked above by quadrature)",)
_BY_QUADRATURE = (
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
_PINSKER = (
    "Pinsker's inequality on a concrete pair: ",
    DELTA_M,
    " by quadrature (its error estimate counting against the inequality) against ",
    m(r"\sqrt{\mathrm{KL}/2}", "√(KL/2)"),
)
_LE_KL_GAUSSIAN = m(r"\le \mathrm{KL}(p \,\|\, \mathcal{N}(0, \sigma^2 I))", "≤ KL(p‖N(0, σ²I))")
_LE_KL_STANDARD = m(r"\le \mathrm{KL}(p \,\|\, \mathcal{N}(0, I))", "≤ KL(p‖N(0, I))")


def _kl_inequalities(b: Bounds) -> list[_Inequality]:
    """Each KL lower bound (every c, c = 1, each at its best ε too) below the KL of a concrete flow of its family."""
    inequalities = [
        _Inequality(
            ("KL lower bound (every ", C_M, ") ", _LE_KL_GAUSSIAN), _ACHIEVED, pinsker_kl(b.tv_every), b.kl_gaussian
        )
    ]
    if b.best_tv is not None:
        inequalities.append(
            _Inequality(
                ("KL lower bound at the best ", EPS_M, " ", _LE_KL_GAUSSIAN),
                _ACHIEVED,
                pinsker_kl(b.best_tv),
                b.kl_gaussian,
            )
        )
    inequalities.append(
        _Inequality(
            ("KL lower bound (", C_IS_1, ") ", _LE_KL_STANDARD), _ACHIEVED, pinsker_kl(b.vp.tv), b.kl_gaussian_vp
        )
    )
    if is_positive(b.best_tv_vp):
        inequalities.append(
            _Inequality(
                ("KL lower bound (", C_IS_1, ") at its best ", EPS_M, " ", _LE_KL_STANDARD),
                _ACHIEVED,
                pinsker_kl(b.best_tv_vp),
                b.kl_gaussian_vp,
            )
        )
    return inequalities


def _tv_inequalities(b: Bounds, tv_gaussian: tuple[float, float], tv_vp: tuple[float, float]) -> list[_Inequality]:
    """The achieved δ of N(0, σ²I) and N(0, I) (by quadrature: value and error estimate) between the lower bound on δ
    and Pinsker's ceiling √(KL/2)."""
    kl_gaussian, kl_vp = float_of(b.kl_gaussian), float_of(b.kl_gaussian_vp)
    return [
        _Inequality(
            (
                DELTA_M,
                " lower bound (every ",
                C_M,
                ") ",
                m(r"\le \delta(p, \mathcal{N}(0, \sigma^2 I))", "≤ δ(p, N(0, σ²I))"),
            ),
            _BY_QUADRATURE,
            b.tv_every,
            *tv_gaussian,  # the quadrature's δ may be as much as its estimate too high
        ),
        _Inequality(
            (DELTA_M, " lower bound (", C_IS_1, ") ", m(r"\le \delta(p, \mathcal{N}(0, I))", "≤ δ(p, N(0, I))")),
            _BY_QUADRATURE,
            b.vp.tv,
            *tv_vp,
        ),
        _Inequality(
            (m(r"\delta(p, \mathcal{N}(0, \sigma^2 I)) \le \sqrt{\mathrm{KL}/2}", "δ(p, N(0, σ²I)) ≤ √(KL/2)"),),
            _PINSKER,
            tv_gaussian[0],
            math.sqrt(kl_gaussian / 2),
            tv_gaussian[1],  # or as much too low
        ),
        _Inequality(
            (m(r"\delta(p, \mathcal{N}(0, I)) \le \sqrt{\mathrm{KL}/2}", "δ(p, N(0, I)) ≤ √(KL/2)"),),
            _PINSKER,
            tv_vp[0],
            math.sqrt(kl_vp / 2),
            tv_vp[1],
        ),
    ]


def _sandwich_checks(b: Bounds, k_float: float) -> tuple[list[Check], float, float]:
    """Each lower bound below what a concrete flow of its own family achieves, and the achieved δ between its lower
    bound and Pinsker's ceiling √(KL/2); with the achieved δ of N(0, σ²I) and of N(0, I), by quadrature."""
    ramp_end, mass = float_of(b.example.ramp_end), float_of(b.example.mass)
    tv_gaussian = tv_to_gaussian(k_float, ramp_end, mass, float_of(b.sigma_squared))
    tv_vp = tv_to_gaussian(k_float, ramp_end, mass, 1.0)
    inequalities = _kl_inequalities(b) + _tv_inequalities(b, tv_gaussian, tv_vp)
    if b.given is not None:
        inequalities.append(
            _Inequality(
                (
                    "KL lower bound (",
                    *rel(C_M, "=", shown(b.given.c)),
                    ") ",
                    m(r"\le \mathrm{KL}(p \,\|\, \mathcal{N}(0, cI))", "≤ KL(p‖N(0, cI))"),
                ),
                _ACHIEVED,
                pinsker_kl(b.given.tv),
                b.kl_gaussian_det,
            )
        )
    checks = [check_inequality(i.name, i.method, i.lower, i.upper, uncertainty=i.uncertainty) for i in inequalities]
    return checks, tv_gaussian[0], tv_vp[0]


# --------------------------------------------------------------------------- every check of one run


def _moment_checks(example: Counterexample, k_float: float) -> list[Check]:
    """mass(k) (and, for a k that does not normalise, mass(k*) = 1) and E_p‖x‖² against quadrature."""
    checks = [check_mass(example, k_float, K_M)]
    if not example.is_normalized:
        # The normalising k, checked by quadrature: the closed form of mass(k*) is exactly 1.
        k_normalizing = profile_formulas().k_normalizing
        checks.append(check_mass(counterexample(k_normalizing), float_of(k_normalizing), m("k^{*}", "k*")))
    checks.append(check_second_moment(example, k_float))
    return checks


def _volume_checks(b: Bounds) -> list[Check]:
    """vol(A) at the maximising c, at c = 1 and at the given c (where A is not empty), and its maximum over c."""
    forms = level_set_formulas()
    r_squared_at_c_star = forms.r_squared.subs({forms.c: b.c_maximizing, forms.tau: b.threshold})  # = 2
    checks = check_volume_A(
        b.c_maximizing,
        b.threshold,
        r_squared_at_c_star,
        b.volume_A_upper_bound,
        (*rel(C_M, "=", approx(b.c_maximizing, 6)), " (the maximising ", C_M, ")"),
    )
    if b.vp.nonempty:
        checks.extend(check_volume_A(sympy.Integer(1), b.threshold, b.vp.r_squared, b.vp.volume_A, (C_IS_1,)))
    if b.given is not None and b.given.nonempty:
        g = b.given
        checks.extend(check_volume_A(g.c, b.threshold, g.r_squared, g.volume_A, rel(C_M, "=", shown(g.c))))
    checks.append(check_volume_A_maximum(b.threshold, b.volume_A_upper_bound))
    return checks


def _best_eps_checks(b: Bounds) -> list[Check]:
    """The best ε in closed form (for every c, and at the c = 1 kink) against Brent's maximisation."""
    checks = []
    if b.best_eps is not None and b.best_tv is not None:
        checks.append(check_best_eps(b.plateau, b.best_eps, b.best_tv))
    if b.best_eps_vp_exact is not None:
        checks.append(check_best_eps_vp(float_of(b.plateau), float_of(b.best_eps_vp)))
    return checks


def _kl_gaussian_checks(b: Bounds, k_float: float) -> list[Check]:
    """KL(p‖N(0, σ²I)) in closed form against quadrature: the best σ², σ² = 1, and the given c."""
    example = b.example
    checks = [
        check_kl_gaussian(example, k_float, b.sigma_squared, b.kl_gaussian, ("the best isotropic Gaussian",)),
        check_kl_gaussian(example, k_float, sympy.Integer(1), b.kl_gaussian_vp, (C_IS_1,)),
    ]
    if b.given is not None and b.given.c != 1 and b.kl_gaussian_det is not None:
        checks.append(
            check_kl_gaussian(example, k_float, b.given.c, b.kl_gaussian_det, rel(C_M, "=", shown(b.given.c)))
        )
    return checks


def run_checks(b: Bounds) -> tuple[list[Check], float, float]:
    """Every independent check of one run, in the order shown, and the achieved δ of the two sandwich flows,
    N(0, σ²I) and N(0, I) (by quadrature), which the result reports."""
    k_float = float_of(b.example.k)
    checks = _moment_checks(b.example, k_float) + _volume_checks(b) + _best_eps_checks(b)
    checks += _kl_gaussian_checks(b, k_float)
    sandwich, tv_gaussian, tv_vp = _sandwich_checks(b, k_float)
    return checks + sandwich, tv_gaussian, tv_vp
