"""Evidence that a map is not injective: two points z_a ≠ z_b with f(z_a) = f(z_b) (exactly, when SymPy confirms
it, else to float64), or a change of sign of det ∂f/∂z, which no continuous injective map of ℝⁿ has."""

from __future__ import annotations

import numpy as np
import sympy

from dgm_cli.derivation import Approx, m
from dgm_cli.solvers.flow.base import IidBase
from dgm_cli.solvers.flow.bijections import NotInvertible
from dgm_cli.solvers.flow.model import FlowModel, Invertibility, simplifies_to_zero
from dgm_cli.solvers.flow.numeric import ROOT_SEED, preimages
from dgm_cli.solvers.flow.prose import DET_DFDZ, F_OF_Z, F, Z, approx_point, exact_point, reals_power, z_equals

SIGN_SAMPLES = 256  # random points at which det ∂f/∂z is evaluated, looking for a sign change
DET_SIGN_FLOOR = 1e-8  # |det| below this is not trusted to have a sign
Z_IS = m("z =", "z =")


def _exact_point(values: np.ndarray) -> list[sympy.Expr] | None:
    """Small rationals (or simple constants) within 1e-9 of each coordinate, or None."""
    exact = []
    for v in values:
        guess = sympy.nsimplify(float(v), [sympy.pi], tolerance=1e-9, rational=False)
        if abs(float(guess) - float(v)) > 1e-9 or sympy.count_ops(guess) > 6:
            return None
        exact.append(guess)
    return exact


def _candidates(model: FlowModel, hint: NotInvertible | None) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """Points z_a to look for a second preimage of, each with extra starts for the root finder."""
    n = model.dimension
    rng = np.random.default_rng(ROOT_SEED + 1)
    candidates: list[tuple[np.ndarray, list[np.ndarray]]] = []
    if hint is not None and hint.inner is not None and hint.inner in model.z:
        # The non-injective layer acts on one variable directly: try its two values, the others at 0.
        index = model.z.index(hint.inner)
        z_a, z_b = np.zeros(n), np.zeros(n)
        z_a[index], z_b[index] = float(hint.values[0]), float(hint.values[1])
        candidates.append((z_a, [z_b]))
    for _ in range(4):
        candidates.append((rng.standard_normal(n), []))
    return candidates


def _exact_witness(model: FlowModel, z_a: np.ndarray, z_b: np.ndarray) -> Invertibility | None:
    """The two points as small exact numbers, when SymPy confirms that f maps both to one point."""
    exact_a, exact_b = model.budget.attempt(lambda: (_exact_point(z_a), _exact_point(z_b)), lambda: (None, None))
    if exact_a is None or exact_b is None:
        return None
    image_a = model.budget.attempt(lambda: model.forward.subs(dict(zip(model.z, exact_a))))
    image_b = model.budget.attempt(lambda: model.forward.subs(dict(zip(model.z, exact_b))))
    if image_a is None or image_b is None or not simplifies_to_zero(image_a - image_b, model.budget):
        return None
    point_a, point_b = z_equals(exact_point(exact_a)), z_equals(exact_point(exact_b))
    text = (F, " is not injective: ", point_a, " and ", point_b, " both map to ", exact_point(list(image_a)),
            ", exactly (SymPy).")
    summary = (F, " is not injective: ", point_a, " and ", point_b, " have the same image.")
    # sstr here is the result's exact witness (a result value), not prose.
    exact = ([sympy.sstr(v) for v in exact_a], [sympy.sstr(v) for v in exact_b])
    return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()), exact, summary)


def _float_witness(model: FlowModel, z_a: np.ndarray, z_b: np.ndarray, x_a: np.ndarray) -> Invertibility:
    """The two points as float64, with the distance between their images."""
    gap = float(np.linalg.norm(model.forward_map(z_b[None, :])[0] - x_a))
    text = (
        F, " is not injective: ", Z_IS, " ", *approx_point(z_a), " and ", Z_IS, " ", *approx_point(z_b),
        " both map to ", *approx_point(x_a), " (", m(r"\lVert f(z_a) - f(z_b) \rVert =", "‖f(z_a) − f(z_b)‖ ="), " ",
        Approx(gap, 2), " in float64, the two points ", Approx(float(np.linalg.norm(z_b - z_a)), 3), " apart).",
    )
    summary = (F, " is not injective: two distinct points ", Z, " have the same image ", F_OF_Z, ".")
    return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()), None, summary)


def find_witness(model: FlowModel, hint: NotInvertible | None = None) -> Invertibility | None:
    """Two points z_a ≠ z_b with f(z_a) = f(z_b), exactly where SymPy can confirm it, else to float64."""
    for z_a, extra in _candidates(model, hint):
        x_a = model.forward_map(z_a[None, :])[0]
        if not np.all(np.isfinite(x_a)):
            continue
        for z_b in preimages(model, x_a, extra_starts=extra):
            if np.linalg.norm(z_b - z_a) <= 1e-3 * max(1.0, float(np.linalg.norm(z_a))):
                continue
            return _exact_witness(model, z_a, z_b) or _float_witness(model, z_a, z_b, x_a)
    return None


def jacobian_sign_change(model: FlowModel, base: IidBase) -> Invertibility | None:
    """det ∂f/∂z positive at one point and negative at another: no continuous injective map does that."""
    if model.forward.has(sympy.sign):
        return None  # sign() is not continuous: the degree argument does not apply
    rng = np.random.default_rng(ROOT_SEED + 2)
    latents = np.vstack([base.sample(rng, SIGN_SAMPLES // 2, model.dimension),
                         3 * rng.standard_normal((SIGN_SAMPLES // 2, model.dimension))])
    with np.errstate(all="ignore"):
        sign, log_abs = np.linalg.slogdet(model.jacobian_forward_at(latents))
    trusted = np.isfinite(log_abs) & (log_abs > np.log(DET_SIGN_FLOOR))
    positive, negative = np.flatnonzero(trusted & (sign > 0)), np.flatnonzero(trusted & (sign < 0))
    if positive.size == 0 or negative.size == 0:
        return None
    z_a, z_b = latents[positive[0]], latents[negative[0]]
    det_a = float(np.linalg.det(model.jacobian_forward_at(z_a)[0]))
    det_b = float(np.linalg.det(model.jacobian_forward_at(z_b)[0]))
    rn = reals_power(model.dimension)
    text = (
        DET_DFDZ, " changes sign: ", Approx(det_a, 4), " at ", Z_IS, " ", *approx_point(z_a), " and ",
        Approx(det_b, 4), " at ", Z_IS, " ", *approx_point(z_b), ". ", F, " reverses orientation somewhere "
        "and preserves it elsewhere; a continuous injective map of ", rn, " has the same local degree (the sign of ",
        DET_DFDZ, " wherever it is nonzero) everywhere, so ", F, " is not injective and not a diffeomorphism of ", rn,
        ".",
    )
    summary = (F, " is not injective: ", DET_DFDZ, " changes sign.")
    return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()), None, summary, sign_change=True)
