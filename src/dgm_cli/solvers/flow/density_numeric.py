"""The density at x without a closed-form inverse: p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x. For a
map proven one to one, the one root, found layer by layer by bisection (or none, outside the image); otherwise the
roots found numerically from many starts, with whatever they show about injectivity."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Check, Derivation, Notice, Prose, Step, m
from dgm_cli.solvers.flow.bisection import BISECTION_STEPS
from dgm_cli.solvers.flow.checks import (
    FD_RANGE,
    check_bisection_root,
    check_forward_jacobian,
    check_image_of_layer,
    check_monte_carlo,
    check_roots,
)
from dgm_cli.solvers.flow.layers import bisection_inverse
from dgm_cli.solvers.flow.model import FlowModel, Invertibility, triangular_determinant
from dgm_cli.solvers.flow.numbers import (
    DISPLAY_DIGITS,
    compact,
    density_from_log,
    density_shown,
    density_text,
    shown,
    signed_text,
)
from dgm_cli.solvers.flow.numeric import (
    ROOT_RESIDUAL,
    ROOT_SEPARATION,
    determinants_at_root,
    log_density_from_roots_mp,
    preimages,
    starts,
)
from dgm_cli.solvers.flow.prose import (
    AT_A_CRITICAL_POINT,
    COMMAND,
    DENSITY_TOO_LARGE,
    DENSITY_TOO_SMALL,
    DET_DFDZ,
    DET_DFINVDX,
    DET_FORWARD,
    DFDZ,
    F_OF_Z_EQ_X,
    JACOBIAN_FORWARD,
    LOG_P_X,
    LOG_P_X_MINUS_INF,
    MINUS_INF,
    OUTSIDE_IMAGE,
    OUTSIDE_SUPPORT,
    P_X,
    P_X_EQ,
    P_X_ZERO,
    X_EQ_F_OF_Z,
    Z_EQ_F_INV,
    F,
    X,
    Z,
    approx_points,
    exact_point,
    joined,
    reals_power,
    x_equals,
    z_equals,
)
from dgm_cli.solvers.flow.steps import Question, problem_question
from dgm_cli.solvers.symbolic import MP_DIGITS, equation, mp_to_float, to_sympy


@dataclass
class Roots:
    """The preimages of x found, with log|det ∂f/∂z| at each (mpmath, or float64 where finite), and for a map proven
    one to one, the first layer whose image misses x (None inside the image) and whether the root lies beyond
    float64's range."""

    roots: list[np.ndarray]
    log_dets: list
    outside_layer: int | None = None
    beyond: bool = False
    invertibility: Invertibility | None = field(default=None)


def _jacobian_steps(model: FlowModel) -> list[Step]:
    """∂f/∂z (and its determinant, when it finished in time)."""
    det_forward = model.det_forward
    steps = [Step((DFDZ,), ("Differentiate each component of ", F, " with respect to ", Z, *(
        ("; the matrix is triangular, so its determinant is the product of the diagonal.",)
        if det_forward is not None and triangular_determinant(model.jacobian_forward) is not None else (".",))),
        equation(JACOBIAN_FORWARD, model.jacobian_forward))]
    if det_forward is not None:
        steps.append(Step((DET_DFDZ,), (), equation(DET_FORWARD, det_forward)))
    return steps


def _by_bisection(model: FlowModel, question: Question, steps: list[Step]) -> Roots:
    """The one preimage, layer by layer (a layer without a closed form by bisection), or the layer that misses x."""
    latents, failed = bisection_inverse(model, question.point[None, :])
    inside = bool(failed[0] < 0)
    beyond = inside and not np.all(np.isfinite(latents[0]))
    roots = [latents[0]] if inside and not beyond else []
    found: Prose = (
        ("At ", x_equals(exact_point(question.x_exact)), ": ",
         z_equals(exact_point([sympy.Float(v, 15) for v in roots[0]])), ".") if roots else ()
    )
    steps.append(
        Step(
            ("The latent point ", Z_EQ_F_INV, ", by bisection"),
            (
                "Each layer, in turn, is solved for its new variable given the earlier ones: a layer with a closed "
                "form by it, any other by bisection on the float64 numbers themselves (in the order of their bit "
                "patterns), from the whole float64 range down to two neighbouring floats in at most ",
                BISECTION_STEPS, " halvings, keeping the one whose value is nearer (where float64 gives exactly ",
                X, " on a run of floats, the middle of the run). A layer is strictly monotone, so the bracket "
                "always holds the one root. ", *found,
            ),
            value=[float(v) for v in roots[0]] if roots else None,
        )
    )
    log_dets = [model.log_abs_det_forward_mp(r) for r in roots]
    return Roots(roots, log_dets, None if inside else int(failed[0]), beyond)


def _numerically(model: FlowModel, question: Question, steps: list[Step]) -> Roots:
    """The distinct roots found from many starts, the likeliest first."""
    roots = preimages(model, question.point)
    if roots:
        roots.sort(key=lambda r: -float(model.base.log_pdf(r[None, :])[0] - model.log_abs_det_forward(r)[0]))
    log_dets = [float(model.log_abs_det_forward(r)[0]) for r in roots]
    log_dets = [v if math.isfinite(v) else model.log_abs_det_forward_mp(r) for v, r in zip(log_dets, roots)]
    steps.append(
        Step(
            ("Preimages of ", X, ", numerically"),
            (
                "scipy.optimize.root (hybrid Powell, with the symbolic Jacobian) from ", len(starts(model)) + 1,
                " starts: the origin, ", X, ", the base's centre and reproducible random points; roots whose residual ",
                m(r"\lVert f(z) - x \rVert", "‖f(z) − x‖"), " is at most ", ROOT_RESIDUAL, " times ",
                m(r"\max(\lVert x \rVert, 1)", "max(‖x‖, 1)"), ", kept when more than ", ROOT_SEPARATION,
                " apart. Found ", len(roots), ": ", *approx_points(roots), ".",
            ),
            value=[r.tolist() for r in roots],
        )
    )
    return Roots(roots, log_dets)


def _outside_layer_text(model: FlowModel, question: Question, index: int) -> Prose:
    """Why x misses the image of f: the first layer whose image (at the earlier coordinates) does not hold x_i."""
    layer = model.layers[index]
    i = model.x.index(layer.target)
    latents, _ = bisection_inverse(model, question.point[None, :], partial=True)
    earlier = [float(latents[0, model.z.index(v)]) for v in layer.earlier]
    at_earlier = (" at the earlier coordinates ",
                  *joined([equation(v, Approx(e, 6)) for v, e in zip(layer.earlier, earlier)])) if layer.earlier else ()
    layer_eq = equation(layer.target, layer.component)
    value = equation(layer.target, compact(to_sympy(question.x_exact[i]), DISPLAY_DIGITS))
    if layer.solution is not None:
        return ("its layer ", layer_eq, " reaches only values with ", *joined(layer.image_conditions, " and "),
                *at_earlier, ", which ", value, " does not satisfy")
    assert layer.limits is not None
    low, high = layer.limits
    if layer.earlier:
        limits = model.layer_functions[index].limits
        assert limits is not None
        bounds = np.asarray(limits(*[np.array([e]) for e in earlier])).reshape(2)
        low, high = Approx(float(bounds[0]), 6), Approx(float(bounds[1]), 6)
    return ("its layer ", layer_eq, " takes only values strictly between ", low, " and ", high, *at_earlier,
            ", and ", value, " does not lie strictly between them")


def _determinants_step(roots: Roots, model: FlowModel) -> tuple[Step | None, tuple | None]:
    """det ∂f/∂z at the (first) preimage and, by the inverse function theorem, det ∂f⁻¹/∂x at x."""
    if not roots.roots:
        return None, None
    det_f, det_inverse = determinants_at_root(model, roots.roots[0])
    step = Step(
        ("Jacobian determinants at the point",),
        (
            DET_DFDZ, " at the preimage ", Z, " is ", shown(det_f), "; by the inverse function theorem, ",
            DET_DFINVDX, " at ", X, " is its reciprocal, ", shown(det_inverse), ".",
        ),
        value=shown(det_f),
    )
    return step, (det_f, det_inverse)


def _density_reason(model: FlowModel, question: Question, roots: Roots, warnings: list[Notice]) -> Prose:
    """Why p_X(x) has its value: outside the image, a preimage beyond float64, no root found, one root (and
    whether it lies in the support), or a sum over several."""
    import mpmath

    found = roots.roots
    if roots.outside_layer is not None:
        why = _outside_layer_text(model, question, roots.outside_layer)
        warnings.append(Notice(OUTSIDE_IMAGE, key="density"))
        return (X, " lies outside the image of ", F, ": ", *why, ". No ", Z, " has ", F_OF_Z_EQ_X, ", so ", P_X_ZERO,
                " and ", LOG_P_X_MINUS_INF, ".")
    if roots.beyond:
        warnings.append(Notice(("The preimage of ", X, " lies beyond float64's range, so ", P_X,
                                " prints as 0."), key="density"))
        return (
            "The preimage ", Z, " has a coordinate beyond float64's range (its layer does not reach ", X,
            " at the largest float64), where the base density is below ", m(r"e^{-10^{308}}", "e^(−10³⁰⁸)"),
            ": ", P_X, " is 0 and ", LOG_P_X, " is ", MINUS_INF, " in float64.",
        )
    if not found:
        warnings.append(
            Notice(("No root of ", F_OF_Z_EQ_X, " was found, so ", X, " appears to lie outside the image of ", F, "."),
                   key="density")
        )
        return (
            "No root of ", F_OF_Z_EQ_X, " was found from ", len(starts(model)) + 1, " starts: ", X,
            " appears to lie outside the image of ", F, ", where ", P_X_ZERO, " (not proven: a root finder can miss a "
            "root).",
        )
    if len(found) == 1:
        reason: Prose = (
            m(r"p_X(x) = p_Z(z) / \lvert \det \partial f/\partial z \rvert", "p_X(x) = p_Z(z) / |det ∂f/∂z|"),
            " at the root ", Z, " (inverse function theorem), in log space.",
        )
        if not model.base.contains([mpmath.mpf(float(v)) for v in found[0]]):
            warnings.append(Notice(OUTSIDE_SUPPORT, key="density"))
            reason = (*reason, " The root lies outside the support of the base, so ", P_X_ZERO, ".")
        return reason
    return (
        F, " is not injective, so the density of ", X_EQ_F_OF_Z, " sums over the preimages: ",
        m(r"p_X(x) = \sum p_Z(z) / \lvert \det \partial f/\partial z \rvert", "p_X(x) = Σ p_Z(z) / |det ∂f/∂z|"),
        " over the ", len(found), " roots found (other preimages may exist), in log space (logsumexp).",
    )


def _log_density_step(model: FlowModel, roots: Roots, log_density_mp) -> Step:
    found = roots.roots
    text: Prose = (
        (LOG_P_X, ": ", m(r"\log p_Z(z)", "log p_Z(z)"), " with mpmath at the root found in float64, ",
         m(r"\log \lvert \det \partial f/\partial z \rvert", "log|det ∂f/∂z|"),
         " with mpmath" if model.by_bisection else " in float64", ", summed in log space." if len(found) > 1 else ".")
        if found else (LOG_P_X_MINUS_INF, ", as ", P_X_ZERO, ".")
    )
    return Step(("Log-density",), text, value=shown(log_density_mp))


def _float_range_warnings(density: float, log_density_mp, warnings: list[Notice]) -> None:
    """What prints as 0 or an infinity in float64 although its logarithm is known."""
    import mpmath

    log_density = mp_to_float(log_density_mp)
    if math.isinf(density) and math.isfinite(log_density):
        warnings.append(Notice(DENSITY_TOO_LARGE, key="density"))
    if density == 0.0 and math.isfinite(log_density):
        warnings.append(Notice(DENSITY_TOO_SMALL, key="density"))
    if log_density_mp == mpmath.inf:
        warnings.append(Notice(AT_A_CRITICAL_POINT, key="density"))
    elif math.isinf(log_density) and log_density_mp != -mpmath.inf:
        warnings.append(
            Notice((LOG_P_X, " is beyond float64's range, so it prints as an infinity; the Log-density step holds its "
                    "value."), key="log_density")
        )


def _checks(model: FlowModel, question: Question, roots: Roots, density: float) -> list[Check]:
    """The roots re-evaluated in mpmath (and each bisected coordinate against mpmath's root), det ∂f/∂z by finite
    differences, and Monte Carlo; outside a layer's image, that the layer stays between its limits."""
    import mpmath

    point, found = question.point, roots.roots
    checks = []
    if found:
        checks.append(check_roots(model, point, found))
        if model.by_bisection:
            checks.append(check_bisection_root(model, point, found[0]))
        for root, log_det in zip(found[:1], roots.log_dets[:1]):
            # Finite differences need room around the point: near float64's limits a step overflows.
            if mpmath.isfinite(log_det) and max(np.max(np.abs(root)), np.max(np.abs(point))) < FD_RANGE:
                checks.append(check_forward_jacobian(model, root, -mp_to_float(log_det)))
        if question.verify:
            checks.append(check_monte_carlo(model, point, density, question.verify, question.seed, question.box,
                                            roots=found))
    elif roots.outside_layer is not None and model.layers[roots.outside_layer].solution is None:
        checks.append(check_image_of_layer(model, roots.outside_layer, point))
    return checks


def _answer(model: FlowModel, question: Question, invertibility: Invertibility, roots: Roots, density_value) -> Prose:
    if model.by_bisection:
        kind = ((F, " is a bijection of ", reals_power(model.dimension)) if invertibility.verdict == "bijective"
                else (F, " is injective"))
        verdict: Prose = (*kind, " (proved layer by layer) without a closed-form inverse")
    elif invertibility.verdict == "not invertible":
        verdict = (F, " is not injective")
    else:
        verdict = (F, " has no closed-form inverse and is inverted numerically")
    at = x_equals(exact_point(question.x_exact))
    if roots.outside_layer is not None:
        return (*verdict, "; ", at, " lies outside its image, so ", P_X_ZERO, ".")
    summed = (", summed over the ", len(roots.roots), " preimages found") if len(roots.roots) > 1 else ()
    return (*verdict, "; at ", at, ", ", P_X_EQ, " ", density_value, *summed, ".")


def _result(model: FlowModel, invertibility: Invertibility, roots: Roots, log_density_mp, determinants,
            checks: list[Check]) -> dict:
    found = roots.roots
    density_mp = density_from_log(log_density_mp, MP_DIGITS)
    witness = invertibility.witness
    result = {
        "invertible": True if model.by_bisection else False if invertibility.verdict == "not invertible" else None,
        "invertibility": invertibility.verdict,
        "inverse_method": model.inverse_method,
        "z": found[0].tolist() if found else [None] * model.dimension,
        "preimages": [r.tolist() for r in found],
        "density": mp_to_float(density_mp) if density_mp is not None else 0.0,
        "density_decimal": density_text(log_density_mp, MP_DIGITS),
        "log_density": mp_to_float(log_density_mp),
        "log_density_decimal": signed_text(log_density_mp),
        "log_abs_det_jacobian": -mp_to_float(roots.log_dets[0]) if found else None,
        "det_jacobian_f": mp_to_float(determinants[0]) if determinants else None,
        "det_jacobian_f_exact": None,
        "det_jacobian_f_inverse": mp_to_float(determinants[1]) if determinants else None,
        "det_jacobian_f_inverse_exact": None,
        # Two points with one image; a sign change of det ∂f/∂z is evidence, not such a pair.
        "witness": list(witness) if witness is not None and not invertibility.sign_change else None,
        "checks_passed": all(c.passed for c in checks),
    }
    if invertibility.witness_exact is not None:
        result["witness_exact"] = list(invertibility.witness_exact)
    return result


def numeric_density(model: FlowModel, question: Question, steps: list[Step], warnings: list[Notice]) -> Derivation:
    """p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x: for a map proven one to one, the one root, found
    layer by layer by bisection (or none, outside the image); otherwise the roots found numerically from many starts."""
    invertibility = model.invertibility
    assert invertibility is not None  # a map without a closed-form inverse comes with what is shown about it
    steps.append(Step(("Invertibility",), invertibility.text))
    if invertibility.verdict == "not invertible":
        warnings.append(Notice(invertibility.summary, key="invertible"))
    steps.extend(_jacobian_steps(model))
    roots = _by_bisection(model, question, steps) if model.by_bisection else _numerically(model, question, steps)
    found = roots.roots
    if len(found) > 1 and invertibility.verdict != "not invertible":
        text = (F, " is not injective: ", len(found), " distinct points map to ", X, ": ", *approx_points(found), ".")
        summary = (F, " is not injective: ", len(found), " distinct points map to ", X, ".")
        invertibility = Invertibility("not invertible", text, (found[0].tolist(), found[1].tolist()), None, summary)
        steps.append(Step(("Invertibility, from the roots",), text))
        warnings.append(Notice(summary, key="invertible"))
    determinants_step, determinants = _determinants_step(roots, model)
    if determinants_step is not None:
        steps.append(determinants_step)
    log_density_mp = log_density_from_roots_mp(model, found, roots.log_dets)
    reason = _density_reason(model, question, roots, warnings)
    density_value = density_shown(log_density_mp, MP_DIGITS)
    steps.append(Step(("Density",), reason, value=density_value))
    steps.append(_log_density_step(model, roots, log_density_mp))
    density_mp = density_from_log(log_density_mp, MP_DIGITS)
    density = mp_to_float(density_mp) if density_mp is not None else 0.0
    if found:
        _float_range_warnings(density, log_density_mp, warnings)
    checks = _checks(model, question, roots, density)
    how = "by bisection" if model.by_bisection else "numerically"
    return Derivation(
        command=COMMAND,
        title=("Change of variables: the density of ", X_EQ_F_OF_Z, ", ", F, f" inverted {how}"),
        inputs=question.inputs,
        steps=steps,
        result=_result(model, invertibility, roots, log_density_mp, determinants, checks),
        checks=checks,
        warnings=warnings,
        question=problem_question(model, question.x_exact),
        answer=_answer(model, question, invertibility, roots, density_value),
    )
