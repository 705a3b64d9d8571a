"""The flow's checks: each number of a derivation against an independent route. The symbolic round trip
f(f⁻¹(x)) = x; the float64 route (batch mode's) against mpmath at 50 digits; both Jacobians against finite
differences; the inverse function theorem in extended precision; numeric roots re-evaluated in mpmath; and a Monte
Carlo count of base samples pushed through f against the integral of p_X over a box (cubature)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Check, Prose, m
from dgm_cli.solvers.differences import jacobian
from dgm_cli.solvers.flow.layers import bisection_inverse
from dgm_cli.solvers.flow.model import TIDY_SECONDS, FlowModel, zero_or_simplified
from dgm_cli.solvers.flow.numeric import ROOT_RESIDUAL, ROOT_SEED, local_log_density
from dgm_cli.solvers.flow.prose import (
    DET_DFDZ,
    DET_DFINVDX,
    DFDZ,
    DFINVDX,
    F_INV,
    F_OF_G_EQ_X,
    F_OF_Z,
    F_OF_Z_EQ_X,
    LOG_P_X,
    P_X,
    Z_EQ_F_INV,
    ZERO,
    F,
    G,
    X,
    Z,
)
from dgm_cli.solvers.symbolic import (
    MP_DIGITS,
    Budget,
    MpOutOfRange,
    MpUndefined,
    mp_to_float,
    mp_value,
    vectorized,
    with_frozen_constants,
)

FD_RANGE = 1e100  # beyond this, a finite-difference step or its products can overflow float64
FD_TOLERANCE = 1e-6  # relative, for Richardson-extrapolated central differences
FD_STEPS = (0.5, 0.5 / 8, 0.5 / 64, 0.5 / 512, 0.5 / 4096)  # initial steps, largest first
FD_SCALE_FREE = 1000.0  # below this |coordinate| the steps are absolute; above it they grow with it
FD_AGREEMENT = 1e-4  # relative: two extrapolated estimates of a smooth map agree far better than this
FLOAT_TRUSTED = (1e-290, 1e290)  # nonzero magnitudes at which float64 differencing keeps its digits
EXACT_TOLERANCE = 1e-12  # relative, float64 pipeline against 50-digit evaluation
# The inverse can cancel (x3³ − x1² near 0) and scale by e^{x1}: allow a few
# thousand ulps rather than a handful.
LATENT_TOLERANCE = 1e-9
MC_Z_LIMIT = 4.0  # a Monte Carlo count this many standard errors away fails
MC_SUBDIVISIONS = 100  # cubature's region budget: about half a second in three dimensions
MC_DISTINCT_SAMPLE = 10_000  # samples looked at for float64 collapsing many z onto one f(z)



def _one_decimal(value: float) -> Approx | float:
    """A count's expectation to one decimal place, as significant digits (what "%.1f" showed)."""
    if not np.isfinite(value) or value == 0:
        return float(value)
    return Approx(float(value), max(1, int(np.floor(np.log10(abs(value)))) + 2))


def _relative_error(computed: np.ndarray, reference: np.ndarray) -> float:
    computed, reference = np.asarray(computed, float), np.asarray(reference, float)
    scale = np.maximum(np.abs(reference), 1.0)
    return float(np.max(np.abs(computed - reference) / scale))


def _float_trusted(values) -> bool:
    """Finite, and every nonzero magnitude far from float64's overflow and underflow."""
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        return False
    magnitudes = np.abs(array[array != 0])
    return bool(np.all((magnitudes > FLOAT_TRUSTED[0]) & (magnitudes < FLOAT_TRUSTED[1])))


def _finite_difference_jacobian(function, point: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """∂function/∂point by adaptive central differences (``differences.jacobian``), with an error estimate per entry.

    The first initial step (0.5, then smaller) whose stencil stays where the function is finite: a step of
    0.5 from x = 0.5 reaches log(0) for the inverse of exp. Beyond |x| = 1000 the steps grow with |x|
    (float64's spacing at 1e17 is 16). The third value says whether a second estimate from steps eight
    times smaller agrees: across a jump (z + sign(z) at 0) the two differ, and differences cannot resolve
    the derivative there. None when no step keeps the stencil finite.
    """
    scale = np.maximum(1.0, np.abs(point) / FD_SCALE_FREE)

    def estimate(step: float):
        result = jacobian(function, point, initial_step=step * scale)
        df, error = result.df, result.error
        return (df, error) if np.all(np.isfinite(df)) else None

    for step in FD_STEPS:
        first = estimate(step)
        if first is None:
            continue
        second = estimate(step / 8)
        smooth = second is None or bool(
            np.all(np.abs(first[0] - second[0]) <= FD_AGREEMENT * np.maximum(np.abs(first[0]), 1.0))
        )
        return first[0], first[1], smooth
    return None


NOT_SMOOTH = (
    "finite differences from two step sizes disagree here: the map is not smooth at this point (a jump or a kink, "
    "a set of measure zero), so they cannot resolve the derivative"
)


def _fd_tolerance(reference: np.ndarray, estimated_error: np.ndarray) -> float:
    """FD_TOLERANCE, or ten times the differences' own relative error estimate where differencing is harder."""
    scale = np.maximum(np.abs(reference), 1.0)
    return float(max(FD_TOLERANCE, 10 * np.max(np.nan_to_num(estimated_error, nan=np.inf) / scale)))


def _not_applicable(name: Prose, method: Prose, computed, tolerance: float, reason: Prose) -> Check:
    return Check(name=name, method=method, computed=computed, reference=None, error=0.0, tolerance=tolerance,
                 detail=reason, applicable=False)


ROUND_TRIP_NAME = (m(r"f(f^{-1}(x)) = x", "f(f⁻¹(x)) = x"),)


def check_round_trip(model: FlowModel, budget: Budget | None = None) -> Check:
    """f(f⁻¹(x)) = x for every x, symbolically (asinh(sinh(u)) = u for real u, and SymPy's simplify).

    Where SymPy does not reduce the residual to zero (its rules or its time budget run out), the check
    cannot decide and says so; the numeric round trip at x and at random points then decides.
    """
    budget = budget or model.budget
    method = ("SymPy simplifies ", m(r"f(f^{-1}(x)) - x", "f(f⁻¹(x)) − x"), " to the zero vector, for every ", X)

    def residual():
        substitution = dict(zip(model.z, model.inverse))
        difference = model.forward.subs(substitution) - sympy.Matrix(model.x)
        return difference.applyfunc(lambda e: with_frozen_constants(zero_or_simplified, e))

    result = budget.attempt(residual, limit=TIDY_SECONDS)
    if result is None or not result.is_zero_matrix:
        why = "within its time budget" if result is None else "with its simplification rules"
        return _not_applicable(
            ROUND_TRIP_NAME, method, None if result is None else list(result), 0.0,
            ("SymPy did not reduce the residual to zero ", why, "; this does not show an error, and the numeric "
             "round trip ", F_OF_G_EQ_X, " at ", X, " and at random points decides"),
        )
    return Check(
        name=ROUND_TRIP_NAME,
        method=method,
        computed=list(result),
        reference=[0] * model.dimension,
        error=0.0,
        tolerance=0.0,
        detail=("the error is ", ZERO, " when the residual simplifies to zero"),
    )


FLOAT_ROUTE = "the float64 route (as batch mode evaluates it)"


def check_latent_point(route_latent: np.ndarray, reference_latent: Sequence) -> Check:
    """The float64 inverse at x (as float64) against the closed form evaluated there with mpmath at 50 digits."""
    computed = np.asarray(route_latent, dtype=float)
    reference = np.array([mp_to_float(v) for v in reference_latent])
    finite = np.isfinite(reference)
    error = _relative_error(computed[finite], reference[finite]) if finite.any() else 0.0
    if not np.all(np.isfinite(computed[finite])) or np.any(computed[~finite] != reference[~finite]):
        error = float("inf")
    return Check(
        name=(Z_EQ_F_INV, ": float64 against exact"),
        method=(FLOAT_ROUTE, " at ", X, " rounded to float64, against the closed form evaluated there with mpmath to ",
                MP_DIGITS, " significant digits"),
        computed=computed.tolist(),
        reference=reference.tolist(),
        error=error,
        tolerance=LATENT_TOLERANCE,
        detail=("maximum error over the coordinates, relative to ", m(r"\max(\lvert z_i \rvert, 1)", "max(|z_i|, 1)"),
                "; a coordinate beyond float64's range must be the same infinity"),
    )


def check_inverse_jacobian(model: FlowModel, point: np.ndarray) -> Check:
    """The symbolic ∂f⁻¹/∂x against the finite-difference Jacobian of the numeric inverse."""
    name = (DFINVDX, ": symbolic against finite differences")
    method = ("central differences of the inverse map with Richardson extrapolation (order 8, adaptive step)",)
    try:
        symbolic = np.array(
            vectorized(list(model.jacobian_inverse), model.x)(*point, errors="raise"), dtype=float
        ).reshape(model.dimension, model.dimension)
    except FloatingPointError:
        symbolic = None
    if symbolic is None or not _float_trusted(symbolic):
        return _not_applicable(name, method, None, FD_TOLERANCE, (
            DFINVDX, " at ", X, " under- or overflows float64 (or comes near it), where differences lose their digits",
        ))
    differences = _finite_difference_jacobian(model.inverse_numeric, point)
    if differences is None or not _float_trusted(differences[0]):
        return _not_applicable(name, method, symbolic.tolist(), FD_TOLERANCE, (
            "every step from ", FD_STEPS[0], " down to ", FD_STEPS[-1], " leaves the domain of ", F_INV,
            " or float64's range, so finite differences cannot resolve the Jacobian here",
        ))
    numeric, estimated_error, smooth = differences
    if not smooth:
        return _not_applicable(name, method, symbolic.tolist(), FD_TOLERANCE, (NOT_SMOOTH,))
    return Check(
        name=name,
        method=method,
        computed=symbolic.tolist(),
        reference=numeric.tolist(),
        error=_relative_error(symbolic, numeric),
        tolerance=_fd_tolerance(numeric, estimated_error),
        detail=(
            "maximum error over the entries, relative to ", m(r"\max(\lvert J_{ij} \rvert, 1)", "max(|J_ij|, 1)"),
            "; tolerance ", FD_TOLERANCE, " or ten times the differences' error estimate",
        ),
    )


def check_forward_jacobian(model: FlowModel, latent: np.ndarray, log_abs_det: float) -> Check:
    """det ∂f/∂z at z, by finite differences of f itself, against 1/|det ∂f⁻¹/∂x| (inverse function theorem)."""
    name = (
        m(
            r"\log \lvert \det \partial f/\partial z \rvert = -\log \lvert \det \partial f^{-1}/\partial x \rvert",
            "log|det ∂f/∂z| = −log|det ∂f⁻¹/∂x|",
        ),
    )
    method = ("determinant of the finite-difference Jacobian of ", F, " at ", Z_EQ_F_INV, " (inverse function theorem)")
    differences = _finite_difference_jacobian(model.forward_numeric, latent)
    if differences is None or not _float_trusted(differences[0]):
        return _not_applicable(name, method, -log_abs_det, FD_TOLERANCE, (
            "the finite-difference Jacobian of ", F, " at ", Z, " under- or overflows float64 (or comes near it), "
            "so it cannot resolve the determinant here",
        ))
    numeric, estimated_error, smooth = differences
    if not smooth:
        return _not_applicable(name, method, -log_abs_det, FD_TOLERANCE, (NOT_SMOOTH,))
    sign, log_det_forward = np.linalg.slogdet(numeric)
    try:
        inverse_norm = float(np.linalg.norm(np.linalg.inv(numeric)))
    except np.linalg.LinAlgError:
        inverse_norm = float("inf")
    if sign == 0 or not np.isfinite(log_det_forward) or not np.isfinite(inverse_norm):
        return _not_applicable(name, method, -log_abs_det, FD_TOLERANCE, (
            "the finite-difference Jacobian of ", F, " at ", Z, " is singular in float64, so it cannot resolve the "
            "determinant here",
        ))
    log_det_forward = float(log_det_forward)
    # First-order propagation of the entries' errors: |Δ log det| <= ||J⁻¹||_F · ||ΔJ||_F.
    propagated = float(inverse_norm * np.linalg.norm(estimated_error))
    return Check(
        name=name,
        method=method,
        computed=-log_abs_det,
        reference=log_det_forward,
        error=abs(log_det_forward + log_abs_det) / max(1.0, abs(log_abs_det)),
        tolerance=max(FD_TOLERANCE, 10 * propagated),
        detail=(
            "relative error of the log-determinants; tolerance ", FD_TOLERANCE,
            " or ten times the differences' error estimate propagated to the log-determinant",
        ),
    )


def check_log_density(route_log_density: float, reference_log_density) -> Check:
    """The float64 log-density at x (as float64) against the closed form evaluated there with mpmath at 50 digits."""
    reference = mp_to_float(reference_log_density)
    computed = float(route_log_density)
    if np.isinf(reference) or np.isinf(computed) or np.isnan(computed):
        error = 0.0 if reference == computed else float("inf")
    else:
        error = abs(computed - reference) / max(1.0, abs(reference))
    return Check(
        name=(LOG_P_X, ": float64 pipeline against exact value"),
        method=(FLOAT_ROUTE, " at ", X, " rounded to float64, against the closed form evaluated there with mpmath to ",
                MP_DIGITS, " significant digits"),
        computed=computed,
        reference=reference,
        error=error,
        tolerance=EXACT_TOLERANCE,
        detail=("relative error; a value beyond float64's range must be the same infinity",),
    )


def _count_in_box(model: FlowModel, samples: int, seed: int, low: np.ndarray, high: np.ndarray) -> tuple[int, float]:
    """How many of ``samples`` base samples f sends into the box, and the fraction of the first ones that give
    distinct float64 points f(z) (in chunks of a million: the memory stays bounded)."""
    rng = np.random.default_rng(seed)
    hits, remaining, chunk = 0, samples, 1_000_000
    distinct = None
    while remaining > 0:
        size = min(chunk, remaining)
        pushed = model.forward_map(model.base.sample(rng, size, model.dimension))
        if distinct is None:  # of the first samples, how many different float64 points f(z) they give
            head = pushed[:MC_DISTINCT_SAMPLE]
            distinct = np.unique(head, axis=0).shape[0] / max(head.shape[0], 1)
        hits += int(np.count_nonzero(np.all((pushed >= low) & (pushed <= high), axis=1)))
        remaining -= size
    return hits, 1.0 if distinct is None else distinct


def _box_integral(model: FlowModel, low: np.ndarray, high: np.ndarray, roots: Sequence[np.ndarray]):
    """∫_box p_X by scipy.integrate.cubature, within a bounded number of regions: a wide box makes adaptive
    cubature subdivide for minutes. Its own error estimate then enters the comparison, so an unconverged
    integral cannot fail the check."""
    from scipy.integrate import cubature

    def box_density(rows: np.ndarray) -> np.ndarray:
        if model.vectorised:
            log_p = model.log_density_at(rows, careful=False)[1]
        else:
            log_p = local_log_density(model, rows, roots)
        # +∞ only at single points (the image of a zero of det ∂f/∂z): they carry no probability.
        return np.exp(np.where(log_p == np.inf, -np.inf, log_p))

    return cubature(box_density, low, high, rtol=1e-8, max_subdivisions=MC_SUBDIVISIONS)


def check_monte_carlo(
    model: FlowModel, point: np.ndarray, density: float, samples: int, seed: int, half_width: float,
    roots: Sequence[np.ndarray] = (),
) -> Check:
    """Push base samples through f; the fraction in a box around x against ∫_box p_X (cubature). Without a
    closed-form inverse, p_X near x comes from Newton's method started at the ``roots`` found at x."""
    low, high = point - half_width, point + half_width
    hits, distinct = _count_in_box(model, samples, seed, low, high)
    name = ("Monte Carlo: ", samples, " samples of ", *model.base.name, " pushed through ", F)
    if distinct < 0.5:
        # f(z) rounds many different z to one float64 (under- or overflow): the samples no longer describe
        # p_X, and no integral over a box of float64 points can be compared with them.
        return _not_applicable(name, ("fraction of ", F_OF_Z, " in a box around ", X), hits / samples, MC_Z_LIMIT, (
            "of the first ", min(samples, MC_DISTINCT_SAMPLE), " samples, only ", Approx(100 * distinct, 2),
            " percent give distinct float64 points ", F_OF_Z, ": float64 cannot resolve this distribution",
        ))
    integral = _box_integral(model, low, high, roots)
    box_probability = float(integral.estimate)
    integration_error = float(integral.error) if np.isfinite(integral.error) else float("inf")
    expected = samples * box_probability
    standard_error = np.sqrt(max(expected * (1 - box_probability), 0.0))
    # The +1 keeps a box with an expected count near 0 from failing on one stray sample.
    z_score = abs(hits - expected) / (standard_error + samples * integration_error + 1.0)
    volume = float(np.prod(high - low))
    return Check(
        name=name,
        method=(
            "fraction of ", F_OF_Z, " in the box of half-width ", half_width, " around ", X, " (volume ",
            Approx(volume, 3), ") against the integral of ", m("p_X", "p_X"),
            " over the box (scipy.integrate.cubature); ",
            P_X, " times the volume is ", Approx(density * volume, 6),
        ),
        computed=hits / samples,
        reference=box_probability,
        error=float(z_score),
        tolerance=MC_Z_LIMIT,
        detail=(
            m(
                r"\lvert \mathrm{hits} - N \cdot P(\mathrm{box}) \rvert / (\mathrm{standard\ error}"
                r" + N \cdot \mathrm{integration\ error} + 1)",
                "|hits − N·P(box)| / (standard error + N·integration error + 1)",
            ),
            "; hits: ", hits, ", expected: ", _one_decimal(expected), " ", m(r"\pm", "±"), " ",
            _one_decimal(standard_error),
            *(("; the cubature stopped at ", MC_SUBDIVISIONS, " regions with an estimated error of ",
               Approx(integration_error, 2)) if integral.status != "converged" else ()),
        ),
    )


INVERSE_POINTS = 32  # random points at which a given (or solved) inverse is tested
INVERSE_TOLERANCE = 1e-9  # relative residual of f(g(x)) − x: round-off through ill-conditioned layers


def check_inverse_numeric(model: FlowModel, x_exact: Sequence[sympy.Expr], seed: int) -> Check:
    """f(g(x)) = x with mpmath at 50 digits, at x and at points f(z) for random base samples z (in the image).

    mpmath, not float64: a map with a constant like e^710 overflows float64 on the way and back.
    """
    import mpmath

    rng = np.random.default_rng(seed)
    samples = model.base.sample(rng, INVERSE_POINTS, model.dimension)
    points = [[mp_value(c) for c in x_exact]]
    for latent in samples:
        try:
            image = [mp_value(c, dict(zip(model.z, map(float, latent)))) for c in model.forward]
        except (MpUndefined, MpOutOfRange):
            continue
        if all(math.isfinite(mp_to_float(v)) for v in image):  # beyond float64, x could not have been typed
            points.append(image)
    errors, first = [], None
    with mpmath.workdps(MP_DIGITS):
        for xs in points:
            try:
                latent = [mp_value(c, dict(zip(model.x, xs))) for c in model.inverse]
                back = [mp_value(c, dict(zip(model.z, latent))) for c in model.forward]
            except (MpUndefined, MpOutOfRange):
                back = None
            if first is None:
                first = back
            if back is None:
                errors.append(float("inf"))
                continue
            errors.append(max(mp_to_float(abs(b - a) / max(abs(a), 1)) for a, b in zip(xs, back)))
    return Check(
        name=(F_OF_G_EQ_X, " at ", X, " and at random points"),
        method=(
            F, " after the inverse ", G, ", evaluated with mpmath to ", MP_DIGITS, " significant digits, at ", X,
            " and at ", F_OF_Z, " for ", INVERSE_POINTS, " random ", Z, " from the base (random number stream ", seed,
            ")",
        ),
        computed=None if first is None else [mp_to_float(v) for v in first],
        reference=[mp_to_float(v) for v in points[0]],
        error=max(errors),
        tolerance=INVERSE_TOLERANCE,
        detail=(
            "maximum over the points and coordinates of ",
            m(r"\lvert f(g(x)) - x \rvert / \max(\lvert x \rvert, 1)", "|f(g(x)) − x| / max(|x|, 1)"),
        ),
    )


def check_roots(model: FlowModel, point: np.ndarray, roots: Sequence[np.ndarray]) -> Check:
    """Each numeric preimage z solves f(z) = x, re-evaluated through the symbolic map with mpmath at 50 digits."""
    import mpmath

    if model.by_bisection:
        return _check_root_residual_in_float_units(model, point, roots[0])

    errors = []
    for root in roots:
        values = dict(zip(model.z, (float(v) for v in root)))
        try:
            with mpmath.workdps(MP_DIGITS):
                image = [mp_value(c, values) for c in model.forward]
                errors.append(max(mp_to_float(abs(v - float(x))) for v, x in zip(image, point)))
        except (MpUndefined, MpOutOfRange):
            errors.append(float("inf"))
    error = max(errors) / max(1.0, float(np.max(np.abs(point))))
    return Check(
        name=(F_OF_Z_EQ_X, " at each preimage found"),
        method=("mpmath evaluates ", F, " at each root to ", MP_DIGITS, " significant digits"),
        computed=[[float(v) for v in r] for r in roots],
        reference=point.tolist(),
        error=error,
        tolerance=1e3 * ROOT_RESIDUAL,
        detail=(
            "maximum ", m(r"\lvert f(z) - x \rvert", "|f(z) − x|"), " relative to ",
            m(r"\max(\lvert x \rvert, 1)", "max(|x|, 1)"),
            *(("; the bisection ends at neighbouring float64 numbers, and the tolerance is that of the numeric root "
               "finder's check (its precision is checked against mpmath's root separately)",) if model.by_bisection else
              ("; the root finder stops at a residual of ", ROOT_RESIDUAL, ", the tolerance allows for the difference "
               "between float64 and evaluation to ", MP_DIGITS, " digits")),
        ),
    )


ROOT_UNITS = 8.0  # |f(z) − x| within this many times what rounding z to float64 allows


def _check_root_residual_in_float_units(model: FlowModel, point: np.ndarray, root: np.ndarray) -> Check:
    """f(z) = x at the preimage found layer by layer, with mpmath at 50 digits, the residual of each component in
    units of what rounding z to float64 allows: Σ_k |∂f_i/∂z_k|·spacing(z_k) + 4ε·(the size of f_i's terms)."""
    import mpmath

    eps = float(np.finfo(np.float64).eps)
    values = {symbol: mpmath.mpf(float(v)) for symbol, v in zip(model.z, root)}
    spacing = [float(np.spacing(abs(float(v)))) for v in root]
    errors, image = [], []
    try:
        with mpmath.workdps(MP_DIGITS):
            for i, component in enumerate(model.forward):
                value = mp_value(component, values)
                image.append(mp_to_float(value))
                residual = abs(value - mpmath.mpf(float(point[i])))
                allowed = mpmath.fsum(abs(mp_value(model.jacobian_forward[i, k], values)) * spacing[k]
                                      for k in range(model.dimension))
                allowed += 4 * eps * mpmath.fsum(abs(mp_value(t, values)) for t in sympy.Add.make_args(component))
                errors.append(mp_to_float(residual / allowed) if allowed else (0.0 if not residual else math.inf))
    except (MpUndefined, MpOutOfRange):
        errors.append(math.inf)
    return Check(
        name=(F_OF_Z_EQ_X, " at the preimage found"),
        method=("mpmath evaluates ", F, " and ", DFDZ, " at the preimage to ", MP_DIGITS, " significant digits"),
        computed=image,
        reference=point.tolist(),
        error=max(errors),
        tolerance=ROOT_UNITS,
        detail=(
            "the largest residual ", m(r"\lvert f_i(z) - x_i \rvert", "|f_i(z) − x_i|"), " in units of what rounding ",
            Z, " to float64 allows, ",
            m(r"\sum_k \lvert \partial f_i/\partial z_k \rvert \, \mathrm{spacing}(z_k) + 4 \epsilon s_i",
              "Σ_k |∂f_i/∂z_k|·spacing(z_k) + 4ε·s_i"),
            " (", m("s_i", "s_i"), " the sum of the absolute values of the terms of ", m("f_i", "f_i"), ")",
        ),
    )


def check_bisection_root(model: FlowModel, point: np.ndarray, root: np.ndarray) -> Check:
    """Each coordinate found by bisection against the root of its layer by mpmath.findroot at 50 digits, given the
    earlier coordinates as found, in units of float64's resolution of that root."""
    import mpmath

    name = (Z_EQ_F_INV, ": bisection against mpmath's root")
    method = (
        "mpmath.findroot at ", MP_DIGITS, " significant digits on each layer solved by bisection, given the earlier "
        "coordinates as found",
    )
    errors, computed, reference = [], [], []
    eps = float(np.finfo(np.float64).eps)
    for layer in model.layers:
        if layer.solution is not None:
            continue
        j, i = model.z.index(layer.variable), model.x.index(layer.target)
        value = float(root[j])
        with mpmath.workdps(MP_DIGITS):
            known = {v: mpmath.mpf(float(root[model.z.index(v)])) for v in layer.earlier}
            target = mpmath.mpf(float(point[i]))
            try:
                exact = mpmath.findroot(
                    lambda v, layer=layer, known=known, target=target:
                        mp_value(layer.component, {**known, layer.variable: v}) - target,
                    mpmath.mpf(value),
                    tol=mpmath.mpf(10) ** (-2 * MP_DIGITS + 10),
                )
                at = {**known, layer.variable: exact}
                slope = abs(mp_value(model.jacobian_forward[i, j], at))
                scale = mpmath.fsum(abs(mp_value(t, at)) for t in sympy.Add.make_args(layer.component))
            except (MpUndefined, MpOutOfRange, ValueError, ZeroDivisionError):
                return _not_applicable(name, method, root.tolist(), 8.0, (
                    "mpmath.findroot did not converge from the bisection's root of the layer in ", layer.variable,
                ))
            # ε·(|z| + s/|f'|), and never finer than the spacing of float64 numbers there (a root of 1e-434 is 0)
            resolution = eps * abs(exact) + (eps * scale / slope if slope else mpmath.inf) + float(
                np.spacing(mp_to_float(abs(exact))))
            error = abs(value - exact) / resolution if resolution else (0 if value == exact else mpmath.inf)
        computed.append(value)
        reference.append(mp_to_float(exact))
        errors.append(mp_to_float(error))
    return Check(
        name=name,
        method=method,
        computed=computed,
        reference=reference,
        error=max(errors) if errors else 0.0,
        tolerance=8.0,
        detail=(
            "largest distance between the two roots in units of float64's resolution of that root, ",
            m(r"\epsilon \, (\lvert z_j \rvert + s / \lvert \partial f_i/\partial z_j \rvert) + \mathrm{spacing}(z_j)",
              "ε·(|z_j| + s/|∂f_i/∂z_j|) + spacing(z_j)"),
            ", where ", m(r"\epsilon", "ε"), " is float64's machine epsilon, ", m("s", "s"),
            " the sum of the absolute values of the layer's terms there, and spacing the distance between "
            "neighbouring float64 numbers",
        ),
    )


def check_image_of_layer(model: FlowModel, index: int, point: np.ndarray) -> Check:
    """The layer's values at many points spread over the reals stay strictly between its limits (its image)."""
    layer = model.layers[index]
    latents, _ = bisection_inverse(model, point[None, :], partial=True)
    earlier = [np.array([latents[0, model.z.index(v)]]) for v in layer.earlier]
    functions = model.layer_functions[index]
    component, limits = functions.component, functions.limits
    assert component is not None and limits is not None
    rng = np.random.default_rng(ROOT_SEED + 3)
    spread = np.concatenate([rng.standard_normal(500), 30 * rng.standard_normal(500),
                             np.array([-1e300, -1e30, -1e3, 0.0, 1e3, 1e30, 1e300])])
    with np.errstate(all="ignore"):
        values = component(spread, *earlier)[0]
        low, high = np.asarray(limits(*earlier), dtype=float).reshape(2)
    values = values[~np.isnan(values)]
    bottom, top = min(low, high), max(low, high)
    # float64 rounds a value within a unit in the last place of a finite limit onto it
    slack = np.spacing(np.abs([bottom, top]))
    inside = bool(np.all((values >= bottom - slack[0]) & (values <= top + slack[1])))
    return Check(
        name=("the image of the layer in ", layer.variable, " lies between its limits"),
        method=("the layer evaluated in float64 at ", values.size, " points spread over the reals (normal samples of "
                "scale 1 and 30, and ", m(r"\pm 10^{300}", "±10³⁰⁰"), ") with the earlier coordinates as found"),
        computed=[float(values.min()), float(values.max())] if values.size else None,
        reference=[float(bottom), float(top)],
        error=0.0 if inside else float("inf"),
        tolerance=0.0,
        detail=("0 when every value lies between the limits (to float64's rounding), infinity otherwise",),
    )


IFT_TOLERANCE = 1e-30  # both determinants at 50 digits or more, from exact values at the point


def check_inverse_function_theorem(det_forward, det_inverse, independent: bool) -> Check:
    """det ∂f/∂z at z = f⁻¹(x) times det ∂f⁻¹/∂x at x is 1, each from its own closed form, with mpmath."""
    import mpmath

    name = (m(r"\det \partial f/\partial z \cdot \det \partial f^{-1}/\partial x = 1",
              "det ∂f/∂z · det ∂f⁻¹/∂x = 1"), " at the point, in extended precision")
    method = (
        DET_DFDZ, " from its own closed form at ", Z_EQ_F_INV, " and ", DET_DFINVDX, " from the inverse's at ", X,
        ", both evaluated exactly at the point with mpmath to ", MP_DIGITS, " significant digits or more "
        "(inverse function theorem)",
    )
    if not independent:
        return _not_applicable(name, method, None, IFT_TOLERANCE, (
            DET_DFDZ, " at the point did not come from its own closed form within the time budget",
        ))
    if not det_inverse or not det_forward or mpmath.isinf(det_inverse) or mpmath.isinf(det_forward):
        return _not_applicable(name, method, None, IFT_TOLERANCE, (
            "a determinant is 0 or infinite at this point (on the set where ", F, " is not differentiable), so the "
            "product is not defined there",
        ))
    product = det_forward * det_inverse
    return Check(
        name=name,
        method=method,
        computed=mp_to_float(product),
        reference=1.0,
        error=mp_to_float(abs(product - 1)),
        tolerance=IFT_TOLERANCE,
        detail=("the error is ",
                m(r"\lvert \det \partial f/\partial z \cdot \det \partial f^{-1}/\partial x - 1 \rvert",
                  "|det ∂f/∂z · det ∂f⁻¹/∂x − 1|"), ", computed at the working precision"),
    )


