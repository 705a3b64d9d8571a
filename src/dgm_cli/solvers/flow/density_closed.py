"""The density at x with a closed-form inverse: p_X(x) = p_Z(f⁻¹(x))·|det ∂f⁻¹/∂x|, exactly (SymPy, within a time
budget) and as numbers (mpmath at a fixed precision, in log space: log p_X is right where p_X itself is
10^(−10^600)), each number checked by an independent route. Outside the image of f, p_X(x) = 0."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy

from dgm_cli.derivation import Check, Derivation, Notice, Prose, Step, m
from dgm_cli.errors import InputError
from dgm_cli.solvers.flow.checks import (
    FD_RANGE,
    FLOAT_ROUTE,
    check_forward_jacobian,
    check_inverse_function_theorem,
    check_inverse_jacobian,
    check_inverse_numeric,
    check_latent_point,
    check_log_density,
    check_monte_carlo,
    check_round_trip,
)
from dgm_cli.solvers.flow.model import TIDY_SECONDS, FlowModel, PointValues, tidy
from dgm_cli.solvers.flow.numbers import (
    FLOAT_TINY,
    density_from_log,
    density_shown,
    density_text,
    digits_before_point,
    exact_text,
    float_representable,
    for_display,
    shown,
    signed_text,
)
from dgm_cli.solvers.flow.prose import (
    AT_A_CRITICAL_POINT,
    COMMAND,
    DENSITY,
    DENSITY_TOO_LARGE,
    DENSITY_TOO_SMALL,
    DET_DFDZ,
    DET_DFINVDX,
    DET_FORWARD,
    DET_INVERSE,
    F_OF_Z_EQ_X,
    INFINITY,
    LOG_ABS_DET_INVERSE,
    LOG_DENSITY,
    LOG_P_X,
    LOG_P_X_MINUS_INF,
    MINUS_INF,
    OUTSIDE_IMAGE,
    OUTSIDE_SUPPORT,
    P_X_INFINITE,
    P_X_ZERO,
    X_EQ_F_OF_Z,
    Z_EQ_F_INV,
    F,
    X,
    Z,
    exact_point,
    x_equals,
)
from dgm_cli.solvers.flow.steps import (
    TIME_BUDGET_STEP,
    Question,
    closed_form_answer,
    invertibility_step,
    jacobian_steps,
    left_out,
    nondifferentiable_steps,
    problem_question,
    verdict_name,
)
from dgm_cli.solvers.symbolic import (
    MP_DIGITS,
    Budget,
    MpOutOfRange,
    MpUndefined,
    equation,
    mp_to_float,
    mp_value,
    with_frozen_constants,
)

POINT_SECONDS = 1.5  # symbolic work at one point (exact values, simplifications for display, the round trip)
MAX_MP_DIGITS = 640  # the most digits ever asked of mpmath: p_X's 15-digit mantissa down to about 10^(−10^600)
DET_ZERO = m(r"\det \partial f^{-1}/\partial x = 0", "det ∂f⁻¹/∂x = 0")


@dataclass(frozen=True)
class AtPoint:
    """The closed form at the point: exact values where SymPy produced them in time, numbers from mpmath."""

    values: PointValues  # z, det ∂f⁻¹/∂x, log p_X with mpmath
    latent_exact: list | None
    det_display: sympy.Expr | None  # det ∂f⁻¹/∂x at x, tidied
    det_forward_exact: sympy.Expr | None  # det ∂f/∂z at z, from its own closed form
    det_forward_mp: object
    det_forward_own: bool  # whether det_forward_mp came from its own closed form (else 1/det ∂f⁻¹/∂x)

    @property
    def latent_float(self) -> list[float]:
        return [mp_to_float(v) for v in self.values.latent]


@dataclass(frozen=True)
class DensityAtPoint:
    """p_X(x) and log p_X(x) at the point: exact where SymPy gave them, and as numbers."""

    zero: bool  # outside the base's support, or where det ∂f⁻¹/∂x = 0
    infinite: bool  # the image of a zero of det ∂f/∂z
    exact: sympy.Expr | None
    value: object  # for display: a number, or 10^L beyond any float
    text: str  # the result's decimal string
    number: float  # as float64
    log_exact: sympy.Expr | None


# --------------------------------------------------------------------------- values at the point


def _point_values(model: FlowModel, at_point: dict, latent_exact, det_exact, digits: int) -> PointValues:
    """The closed form at the point with mpmath: from the exact values when SymPy produced them, else from x."""
    if latent_exact is not None and det_exact is not None:
        try:
            return model.values_at({}, digits, latent_exact, det_exact)
        except (MpUndefined, MpOutOfRange):  # SymPy's zoo at a pole: the limit is taken from x instead
            pass
    return model.values_at(at_point, digits)


def _values_to_enough_digits(model: FlowModel, at_point: dict, latent_exact, det_exact) -> PointValues:
    """The values at MP_DIGITS digits, again at more when 15 digits of p_X = e^(log p_X) need log p_X to 15 digits
    after its decimal point (up to MAX_MP_DIGITS)."""
    import mpmath

    values = _point_values(model, at_point, latent_exact, det_exact, MP_DIGITS)
    if mpmath.isfinite(values.log_density):
        needed = 20 + digits_before_point(values.log_density)
        if MP_DIGITS < needed <= MAX_MP_DIGITS:
            values = _point_values(model, at_point, latent_exact, det_exact, needed)
    return values


def _forward_determinant_exact(model: FlowModel, latent_exact, budget: Budget) -> sympy.Expr | None:
    """det ∂f/∂z at the exact latent point, from its own closed form (SymPy, within the budget); None without one."""
    det_forward = model.det_forward
    if det_forward is None or latent_exact is None:
        return None
    raw = budget.attempt(lambda: det_forward.subs(dict(zip(model.z, latent_exact))), limit=TIDY_SECONDS)
    if raw is None:
        return None
    value = budget.attempt(lambda: with_frozen_constants(tidy, raw), lambda: raw, limit=TIDY_SECONDS)
    if value.has(sympy.zoo, sympy.nan, sympy.I) or value.free_symbols:
        # 1/0 where a cube root's argument is 0: the determinant is +∞ there (its limit), det ∂f⁻¹/∂x is 0
        pole = value.has(sympy.zoo) and not value.has(sympy.nan, sympy.I) and not value.free_symbols
        return sympy.oo if pole else None
    return value


def _forward_determinant_mp(exact: sympy.Expr | None, values: PointValues) -> tuple[object, bool]:
    """det ∂f/∂z at the point with mpmath, and whether it came from its own exact value at the point (else, by the
    inverse function theorem, it is the reciprocal of det ∂f⁻¹/∂x)."""
    import mpmath

    with mpmath.workdps(values.digits):
        if exact is not None:
            try:
                return mp_value(exact, digits=values.digits), True
            except (MpUndefined, MpOutOfRange):
                pass
        return (1 / values.det if values.det else mpmath.inf), False


def _failed_image_condition(model: FlowModel, at_point: dict) -> sympy.Basic | None:
    """The first condition of the inverse that x is known to fail (p_X(x) = 0 off the image of f)."""
    for condition in model.image_conditions:
        try:
            holds = mp_value(condition, at_point)
        except (MpUndefined, MpOutOfRange):
            holds = None
        if holds is False:
            return condition
    return None


def _at_point(model: FlowModel, at_point: dict, budget: Budget) -> AtPoint | None:
    """The closed form at x, exactly and in mpmath; None where f⁻¹(x) has no real value (x outside the image).

    Raises InputError where det ∂f⁻¹/∂x has no value at x, or x is beyond what bounded precision resolves.
    """
    # Exact values at the point, for display; numbers from them come from mpmath at bounded precision.
    latent_exact = budget.attempt(lambda: [c.subs(at_point) for c in model.inverse], limit=TIDY_SECONDS)
    det_exact = budget.attempt(lambda: model.det_inverse.subs(at_point), limit=TIDY_SECONDS)
    try:
        values = _values_to_enough_digits(model, at_point, latent_exact, det_exact)
    except MpUndefined:
        try:
            [mp_value(c, at_point) for c in model.inverse]
        except (MpUndefined, MpOutOfRange):
            return None
        raise InputError(
            "det ∂f⁻¹/∂x has no value at x (a point of a measure-zero set where f is not differentiable); "
            "the density is undefined there", "x",
        ) from None
    except MpOutOfRange as error:
        raise InputError(f"x is too extreme to evaluate at bounded precision: {error}", "x") from None
    det_display = None if det_exact is None else budget.attempt(
        lambda: with_frozen_constants(tidy, det_exact), lambda: det_exact, limit=TIDY_SECONDS
    )
    # The Jacobian of f itself (what the assignment asks for), at the latent point: from det ∂f/∂z's own closed
    # form, evaluated at z; the reciprocal of det ∂f⁻¹/∂x by the inverse function theorem (a check compares them).
    det_forward_exact = _forward_determinant_exact(model, latent_exact, budget)
    det_forward_mp, det_forward_own = _forward_determinant_mp(det_forward_exact, values)
    return AtPoint(values, latent_exact, det_display, det_forward_exact, det_forward_mp, det_forward_own)


def _density_at(model: FlowModel, at_point: dict, values: PointValues, budget: Budget) -> DensityAtPoint:
    """p_X(x) and its logarithm at the point: 0 outside the support or where det ∂f⁻¹/∂x = 0, ∞ at the image of a
    zero of det ∂f/∂z, else the closed form (unsimplified: simplify rewrites exp(−a·e²⁰) into cosh and sinh)."""
    import mpmath

    zero = not values.inside_support or values.log_abs_det == -mpmath.inf
    infinite = not zero and values.log_density == mpmath.inf
    exact: sympy.Expr | None
    log_exact: sympy.Expr | None
    if zero or infinite:
        exact, log_exact = (sympy.Integer(0), -sympy.oo) if zero else (sympy.oo, sympy.oo)
    else:
        exact = budget.attempt(lambda: model.density.subs(at_point), limit=TIDY_SECONDS)
        log_exact = budget.attempt(
            lambda: with_frozen_constants(lambda e: sympy.expand_log(e, force=True), model.log_density.subs(at_point)),
            limit=TIDY_SECONDS,
        )
    density_mp = density_from_log(values.log_density, values.digits)
    return DensityAtPoint(
        zero, infinite, exact, density_shown(values.log_density, values.digits),
        # density_decimal is a result value (its own string); the steps hold numbers.
        density_text(values.log_density, values.digits),
        mp_to_float(density_mp) if density_mp is not None else 0.0,
        log_exact,
    )


# --------------------------------------------------------------------------- steps at the point


def _latent_and_determinant_steps(
    model: FlowModel, question: Question, at: AtPoint, warnings: list[Notice]
) -> list[Step]:
    """z = f⁻¹(x), det ∂f⁻¹/∂x at x and det ∂f/∂z at z, each exactly where it can be printed, with its value."""
    values = at.values
    latent_display = None if at.latent_exact is None else for_display(sympy.Matrix(at.latent_exact))
    latent = Step(
        ("The latent point ", Z_EQ_F_INV),
        ("At ", x_equals(exact_point(question.x_exact)), ":",
         *(() if latent_display is not None else (" ", *left_out(at.latent_exact)))),
        None if latent_display is None else equation(sympy.Matrix(model.z), latent_display),
        [shown(v) for v in values.latent],
    )
    if any(math.isinf(v) for v in at.latent_float):
        warnings.append(
            Notice(("A coordinate of ", Z_EQ_F_INV, " is beyond float64's range, so it prints as ",
                    m(r"\pm\infty", "±∞"), "; the latent-point step holds its value."), key="z")
        )
    det_display = for_display(at.det_display)
    determinant = Step(
        ("Determinant at the point",),
        (DET_DFINVDX, " evaluated at ", X, "."),
        equation(DET_INVERSE, det_display) if det_display is not None else None,
        shown(values.det),
    )
    det_forward_display = for_display(at.det_forward_exact)
    forward = Step(
        ("Jacobian determinant of ", F, " at the point"),
        (
            "The Jacobian determinant of ", F, " itself, ", DET_DFDZ, ", evaluated at ", Z_EQ_F_INV,
            ": by the inverse function theorem it is the reciprocal of ", DET_DFINVDX, " at ", X, ".",
        ),
        None if det_forward_display is None else equation(DET_FORWARD, det_forward_display),
        shown(at.det_forward_mp),
    )
    det_forward_float, det_inverse_float = mp_to_float(at.det_forward_mp), mp_to_float(values.det)
    if any(math.isinf(v) or (v == 0 and w) for v, w in ((det_forward_float, at.det_forward_mp),
                                                        (det_inverse_float, values.det))):
        warnings.append(
            Notice((DET_DFDZ, " or ", DET_DFINVDX, " at the point is beyond float64's range; the determinant steps "
                    "hold its value."), key="det_jacobian_f")
        )
    return [latent, determinant, forward]


def _density_step(model: FlowModel, density: DensityAtPoint) -> Step:
    density_formula = (
        m(
            r"p_X(x) = \mathcal{N}(f^{-1}(x); 0, I) \, \lvert \det \partial f^{-1}/\partial x \rvert",
            "p_X(x) = N(f⁻¹(x); 0, I) · |det ∂f⁻¹/∂x|",
        )
        if model.base.is_standard_normal
        else m(
            r"p_X(x) = p_Z(f^{-1}(x)) \, \lvert \det \partial f^{-1}/\partial x \rvert",
            "p_X(x) = p_Z(f⁻¹(x)) · |det ∂f⁻¹/∂x|",
        )
    )
    display = for_display(density.exact)
    return Step(
        ("Density",),
        (density_formula, ", exactly:" if display is not None else ("; ", *left_out(density.exact))),
        None if display is None else equation(DENSITY, display),
        density.value,
    )


def _log_space_reason(model: FlowModel, values: PointValues, density: DensityAtPoint,
                      warnings: list[Notice]) -> Prose:
    """log p_X = log p_Z(z) + log|det ∂f⁻¹/∂x|, and what prints as 0 or an infinity in float64."""
    log_base = (
        m(r"\log \mathcal{N}(z; 0, I)", "log N(z; 0, I)") if model.base.is_standard_normal
        else m(r"\log p_Z(z)", "log p_Z(z)")
    )
    float_log_density = mp_to_float(values.log_density)
    if density.number == 0.0 and math.isfinite(float_log_density):
        warnings.append(Notice(DENSITY_TOO_SMALL, key="density"))
    if math.isinf(density.number):
        warnings.append(Notice(DENSITY_TOO_LARGE, key="density"))
    if math.isinf(float_log_density):
        warnings.append(
            Notice(
                (LOG_P_X, " is beyond float64's range, so it prints as ",
                 MINUS_INF if float_log_density < 0 else INFINITY, "; the Log-density step holds its value."),
                key="log_density",
            )
        )
    return (
        "Computed in log space: ", log_base, " + ", LOG_ABS_DET_INVERSE,
        ", finite even where ", m("p_X", "p_X"), " underflows; evaluated with mpmath at ", values.digits,
        " significant digits from the exact values above.",
    )


def _log_density_reason(model: FlowModel, values: PointValues, density: DensityAtPoint,
                        warnings: list[Notice]) -> Prose:
    """Why log p_X has its value: outside the support, on a measure-zero set (0 or ∞), or in log space."""
    if not values.inside_support:
        warnings.append(Notice(OUTSIDE_SUPPORT, key="density"))
        where: list = []
        for i, (low, high) in enumerate(model.base.support_ends()):
            where.extend([", or between "] if i else [])
            where.extend([low, " and ", high])
        return (
            Z_EQ_F_INV, " lies outside the support of the base (each coordinate between ", *where, "), so ",
            X, " is outside the image of the base's support under ", F, ": ", P_X_ZERO, " and ", LOG_P_X_MINUS_INF, ".",
        )
    if density.zero:
        warnings.append(Notice((X, " lies where ", DET_ZERO, ", a set of measure zero, so ", P_X_ZERO, "."),
                               key="density"))
        return (
            DET_ZERO, " here: ", X, " lies on the image of the set where ", F, " is not differentiable, so ", P_X_ZERO,
            " and ", LOG_P_X_MINUS_INF, " (this measure-zero set carries no probability).",
        )
    if density.infinite:
        warnings.append(Notice(AT_A_CRITICAL_POINT, key="density"))
        return (
            m(r"\lvert \det \partial f^{-1}/\partial x \rvert = \infty", "|det ∂f⁻¹/∂x| = ∞"), " here: ", X,
            " is the image of a point where ", DET_DFDZ, " is 0, so the formula gives ", P_X_INFINITE,
            " (its limit; a single point carries no probability, and the density may take any value there).",
        )
    return _log_space_reason(model, values, density, warnings)


def _log_density_step(model: FlowModel, values: PointValues, density: DensityAtPoint,
                      warnings: list[Notice]) -> Step:
    reason = _log_density_reason(model, values, density, warnings)
    if math.isinf(mp_to_float(values.log_abs_det)) and not density.zero and not density.infinite:
        warnings.append(
            Notice((LOG_ABS_DET_INVERSE, " is beyond float64's range, so it prints as an infinity; the determinant "
                    "step holds its value."), key="log_abs_det_jacobian")
        )
    display = for_display(density.log_exact)
    return Step(
        ("Log-density",), (*reason, *(() if display is not None else (" Here ", *left_out(density.log_exact)))),
        None if display is None else equation(LOG_DENSITY, display),
        shown(values.log_density),
    )


# --------------------------------------------------------------------------- checks at the point


def _float_route_checks(model: FlowModel, question: Question, at: AtPoint) -> tuple[list[Check], Check | None]:
    """The float64 route (batch mode's) at x as float64, against mpmath at that same point: z now, log p_X later
    (returned apart, to keep the checks in their order). None for the latter when x is not a normal float64."""
    import mpmath

    point = question.point
    route_latent, route_log = model.log_density_at(point[None, :])
    reference = None
    if question.representable:
        try:
            reference = model.values_at({s: mpmath.mpf(float(v)) for s, v in zip(model.x, point)})
        except (MpUndefined, MpOutOfRange):
            reference = None
    if reference is None:
        return [], None
    return [check_latent_point(route_latent[0], reference.latent)], check_log_density(
        float(route_log[0]), reference.log_density)


def _differentiable_here(model: FlowModel, at_point: dict) -> bool:
    """Whether no cube root's argument is 0 at x."""
    differentiable = True
    for _, w_in_x in model.nondifferentiable_sets:
        try:
            differentiable &= bool(mp_value(w_in_x, at_point) != 0)
        except (MpUndefined, MpOutOfRange):
            differentiable = False
    return differentiable


def _finite_difference_checks(model: FlowModel, question: Question, at: AtPoint, steps: list[Step]) -> list[Check]:
    """Both Jacobians against finite differences, where there is room around the point for a step."""
    point, latent_float = question.point, at.latent_float
    latent_representable = float_representable(latent_float) and all(
        (not v) or FLOAT_TINY <= abs(mp_to_float(v)) for v in at.values.latent
    )
    # Finite differences need room around the point: near float64's limits a step overflows.
    fd_safe = bool(
        question.representable and latent_representable
        and max(np.max(np.abs(point)), max(abs(v) for v in latent_float)) < FD_RANGE
    )
    differentiable_here = _differentiable_here(model, question.substitution(model))
    if not fd_safe:
        steps.append(
            Step(
                ("Finite-difference checks skipped",),
                (
                    X, " or ", Z_EQ_F_INV, " has a coordinate beyond ", FD_RANGE, " in absolute value, or one that "
                    "float64 cannot hold as a normal number, where a finite-difference step overflows or loses its "
                    "digits; the symbolic Jacobians above are exact regardless.",
                ),
            )
        )
        return []
    checks = [check_inverse_jacobian(model, point)]
    log_abs_det = mp_to_float(at.values.log_abs_det)
    if differentiable_here and math.isfinite(log_abs_det):
        checks.append(check_forward_jacobian(model, np.array(latent_float), log_abs_det))
    return checks


FLOAT_CHECKS_SKIPPED = Step(
    ("Float64 checks skipped",),
    (X, " has a coordinate that float64 cannot hold as a normal number (or rounding it to float64 leaves "
     "the image of ", F, "), so the float64 route cannot be compared at this point; the values above come "
     "from mpmath at the exact point."),
)


def _closed_form_checks(model: FlowModel, question: Question, at: AtPoint, density: DensityAtPoint, budget: Budget,
                        steps: list[Step]) -> list[Check]:
    """Each number by an independent route, in order: the symbolic round trip, the inverse numerically (unless
    peeled and proven), the float64 route's z, both Jacobians by finite differences, the inverse function theorem,
    the float64 route's log p_X, and Monte Carlo."""
    checks = []
    round_trip = check_round_trip(model, budget)
    checks.append(round_trip)
    if model.inverse_method != "peeling" or not round_trip.applicable:
        checks.append(check_inverse_numeric(model, question.x_exact, question.seed))
    latent_check, log_density_check = _float_route_checks(model, question, at)
    checks.extend(latent_check)
    checks.extend(_finite_difference_checks(model, question, at, steps))
    checks.append(check_inverse_function_theorem(at.det_forward_mp, at.values.det, at.det_forward_own))
    if log_density_check is not None:
        checks.append(log_density_check)
    else:
        steps.append(FLOAT_CHECKS_SKIPPED)
    if question.verify:
        checks.append(check_monte_carlo(model, question.point, density.number, question.verify, question.seed,
                                        question.box))
    return checks


# --------------------------------------------------------------------------- the result


def _exact_texts(exprs, numbers, budget: Budget) -> list[str | None]:
    """SymPy's text of each exact value (for a result's ``*_exact`` strings), or None where there is none."""
    out: list[str | None] = []
    for expr in exprs if exprs is not None else [None] * len(numbers):
        out.append(None if expr is None else budget.attempt(functools.partial(exact_text, expr), lambda: None))
    return out


def _result(model: FlowModel, at: AtPoint, density: DensityAtPoint, checks: list[Check], budget: Budget) -> dict:
    values = at.values
    name = verdict_name(model)
    density_exact = density.exact
    return {
        "invertible": name in ("bijective", "injective"),
        "invertibility": name,
        "inverse_method": model.inverse_method,
        "z": at.latent_float,
        # the exact coordinates (a coordinate beyond float64 prints as an infinity in "z")
        "z_exact": _exact_texts(at.latent_exact, values.latent, budget),
        "density": density.number,
        "density_decimal": density.text,
        "log_density": mp_to_float(values.log_density),
        "log_density_decimal": signed_text(values.log_density),
        "log_abs_det_jacobian": mp_to_float(values.log_abs_det),  # log|det ∂f⁻¹/∂x| at x
        "det_jacobian_f": mp_to_float(at.det_forward_mp),  # det ∂f/∂z at z = f⁻¹(x)
        "det_jacobian_f_exact": _exact_texts([at.det_forward_exact], [at.det_forward_mp], budget)[0],
        "det_jacobian_f_inverse": mp_to_float(values.det),  # det ∂f⁻¹/∂x at x
        "det_jacobian_f_inverse_exact": _exact_texts([at.det_display], [values.det], budget)[0],
        "density_exact": density.text if density_exact is None else budget.attempt(
            lambda: exact_text(density_exact), lambda: density.text
        ),
        "checks_passed": all(c.passed for c in checks),
    }


def _answer(model: FlowModel, question: Question, at: AtPoint, density: DensityAtPoint, budget: Budget) -> Prose:
    """The answer's sentence: the exact density when it is short, the determinant at the point when it is."""
    density_display = for_display(density.exact)
    det_forward_display = for_display(at.det_forward_exact)
    short_density = None if density_display is None or density.zero or budget.attempt(
        lambda: sympy.count_ops(density.exact) > 25, lambda: True) else density_display
    short_determinant = det_forward_display if det_forward_display is not None and budget.attempt(
        lambda: sympy.count_ops(det_forward_display) <= 12, lambda: False) else shown(at.det_forward_mp)
    return closed_form_answer(model, question.x_exact, short_density, density.value, short_determinant)


# --------------------------------------------------------------------------- the derivation


def closed_form_density(model: FlowModel, question: Question, steps: list[Step], warnings: list[Notice]) -> Derivation:
    """p_X(x) = p_Z(f⁻¹(x))·|det ∂f⁻¹/∂x| at the point, after the map's own steps (invertibility, Jacobians)."""
    budget = Budget(POINT_SECONDS)
    at_point = question.substitution(model)
    steps.append(invertibility_step(model, warnings))
    steps.extend(nondifferentiable_steps(model, budget))
    steps.extend(jacobian_steps(model))
    condition = _failed_image_condition(model, at_point)
    if condition is not None:  # a question with a known answer: p_X(x) = 0 off the image of f
        return outside_image(model, question, steps, warnings, budget, condition)
    at = _at_point(model, at_point, budget)
    if at is None:
        return outside_image(model, question, steps, warnings, budget, None)
    steps.extend(_latent_and_determinant_steps(model, question, at, warnings))
    density = _density_at(model, at_point, at.values, budget)
    steps.append(_density_step(model, density))
    steps.append(_log_density_step(model, at.values, density, warnings))
    checks = _closed_form_checks(model, question, at, density, budget, steps)
    if model.budget.ran_out or budget.ran_out:
        steps.append(TIME_BUDGET_STEP)
    return Derivation(
        command=COMMAND,
        title=(
            "Change of variables: the density of ", X_EQ_F_OF_Z, ", ",
            m(r"z \sim \mathcal{N}(0, I)", "z ~ N(0, I)") if model.base.is_standard_normal
            else m(r"z \sim p_Z", "z ~ p_Z"),
        ),
        inputs=question.inputs,
        steps=steps,
        result=_result(model, at, density, checks, budget),
        checks=checks,
        warnings=warnings,
        question=problem_question(model, question.x_exact),
        answer=_answer(model, question, at, density, budget),
    )


def _float_route_outside(model: FlowModel, point: np.ndarray) -> Check:
    """The float64 route also finds x outside the image (log p_X = −∞), testing the inverse's conditions."""
    _, route_log = model.log_density_at(point[None, :])
    return Check(
        name=(LOG_P_X, ": the float64 route agrees"),
        method=(FLOAT_ROUTE, " at ", X, " rounded to float64, testing the conditions of the inverse in float64"),
        computed=float(route_log[0]),
        reference=float("-inf"),
        error=0.0 if route_log[0] == -np.inf else float("inf"),
        tolerance=0.0,
        detail=("0 when it also gives ", LOG_P_X_MINUS_INF, ", infinity otherwise"),
    )


def _outside_result(model: FlowModel, checks: list[Check]) -> dict:
    """The result outside the image: p_X = 0, no latent point, no determinants."""
    n = model.dimension
    name = verdict_name(model)
    return {
        "invertible": name in ("bijective", "injective"),
        "invertibility": name,
        "inverse_method": model.inverse_method,
        "z": [None] * n,
        "z_exact": [None] * n,
        "density": 0.0,
        "density_decimal": "0",
        "log_density": float("-inf"),
        "log_density_decimal": "-Infinity",
        "log_abs_det_jacobian": None,
        "det_jacobian_f": None,
        "det_jacobian_f_exact": None,
        "det_jacobian_f_inverse": None,
        "det_jacobian_f_inverse_exact": None,
        "density_exact": "0",
        "checks_passed": all(c.passed for c in checks),
    }


def outside_image(model: FlowModel, question: Question, steps: list[Step], warnings: list[Notice], budget: Budget,
                  condition: sympy.Basic | None) -> Derivation:
    """x outside the image of f: no z has f(z) = x, so p_X(x) = 0 and log p_X(x) = −∞ (a valid question, answered)."""
    at = x_equals(exact_point(question.x_exact))
    if condition is not None:
        short = budget.attempt(lambda: sympy.count_ops(condition) <= 20, lambda: False)
        needs = ("The inverse needs ", condition, ", which fails at ", at) if short else (
            "A condition of the inverse fails at ", at)
        why: Prose = (*needs, ": ", X, " lies outside the image of ", F, ".")
    else:
        why = (Z_EQ_F_INV, " has no real value at ", at, ": ", X, " lies outside the image of ", F, ".")
    steps.append(
        Step(
            ("Outside the image of ", F),
            (*why, " No ", Z, " has ", F_OF_Z_EQ_X, ", and the density of ", X_EQ_F_OF_Z,
             " is 0 off the image of ", F, ": ", P_X_ZERO, " and ", LOG_P_X_MINUS_INF, "."),
        )
    )
    steps.append(Step(("Density",), (P_X_ZERO, ": no point of the base is sent to ", X, "."), value=sympy.Integer(0)))
    steps.append(Step(("Log-density",), (LOG_P_X_MINUS_INF, "."), value=float("-inf")))
    warnings.append(Notice(OUTSIDE_IMAGE, key="density"))
    checks = [check_round_trip(model, budget)]
    if float_representable(question.point):
        checks.append(_float_route_outside(model, question.point))
    name = verdict_name(model)
    verdict = (F, " is injective") if name in ("bijective", "injective") else (
        "the inverse given for ", F, " is not proven symbolically")
    return Derivation(
        command=COMMAND,
        title=("Change of variables: the density of ", X_EQ_F_OF_Z, " outside the image of ", F),
        inputs=question.inputs,
        steps=steps,
        result=_outside_result(model, checks),
        checks=checks,
        warnings=warnings,
        question=problem_question(model, question.x_exact),
        answer=(*verdict, "; ", at, " lies outside its image, so ", P_X_ZERO, "."),
    )

