"""f⁻¹ layer by layer, for a triangular map proven one to one (:mod:`.monotone`): each layer solved for its new
variable given the earlier ones, a peeled layer from its closed form, any other by bisection on the float64
numbers (:mod:`.bisection`), on whole columns of points."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import sympy

from dgm_cli.solvers.flow.bisection import bisect_increasing
from dgm_cli.solvers.flow.monotone import MonotoneLayer
from dgm_cli.solvers.symbolic import MP_DIGITS, MpOutOfRange, MpUndefined, mp_to_float, mp_value, vectorized

if TYPE_CHECKING:
    from dgm_cli.solvers.flow.model import FlowModel

Vectorized = Callable[..., np.ndarray]


@dataclass(frozen=True)
class LayerFunctions:
    """A layer in NumPy: a peeled layer's ``solution`` (in its target and the earlier variables) and the indicator
    of its ``image``; another layer's ``component`` (in its variable and the earlier ones) and its ``limits`` at
    ±∞ (in the earlier ones)."""

    solution: Vectorized | None = None
    image: Vectorized | None = None
    component: Vectorized | None = None
    limits: Vectorized | None = None


def layer_functions(layers: Sequence[MonotoneLayer]) -> list[LayerFunctions]:
    """Each layer lambdified once."""
    functions = []
    for layer in layers:
        if layer.solution is not None:
            conditions = [c for c in layer.image_conditions if c is not sympy.true]
            image = vectorized([sympy.Piecewise((1, c), (0, True)) for c in conditions],
                               (layer.target, *layer.earlier), saturate=True) if conditions else None
            functions.append(LayerFunctions(solution=vectorized([layer.solution], (layer.target, *layer.earlier)),
                                            image=image))
        else:
            assert layer.limits is not None  # a layer without a closed form is known by its limits
            functions.append(LayerFunctions(
                component=vectorized([layer.component], (layer.variable, *layer.earlier), saturate=True),
                limits=vectorized(list(layer.limits), layer.earlier, saturate=True),
            ))
    return functions


def _peeled(functions: LayerFunctions, target: np.ndarray, earlier: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A peeled layer's values from its closed form, and where the target lies in its image."""
    assert functions.solution is not None
    value = functions.solution(target, *earlier)[0]
    inside = ~np.isnan(value)
    if functions.image is not None:
        inside &= np.all(functions.image(target, *earlier) == 1.0, axis=0)
    return value, inside


def _limits_hold(functions: LayerFunctions, target: np.ndarray, earlier: list[np.ndarray]) -> np.ndarray:
    """Where the target lies strictly between the layer's limits (its image): NaN limits do not hold it."""
    assert functions.limits is not None
    rows = target.shape[0]
    with np.errstate(all="ignore"):
        low, high = np.broadcast_to(np.asarray(functions.limits(*earlier)).reshape(2, -1), (2, rows))
        return (target > np.minimum(low, high)) & (target < np.maximum(low, high))


def _bisected(layer: MonotoneLayer, functions: LayerFunctions, target: np.ndarray, earlier: list[np.ndarray],
              run: np.ndarray) -> np.ndarray:
    """A layer's roots by bisection at the rows ``run`` (NaN elsewhere); where float64 overflows beside a root, the
    nearer of its two neighbouring floats is decided in mpmath."""
    component = functions.component
    assert component is not None
    value = np.full(target.shape[0], np.nan)
    if not run.size:
        return value
    sign = 1.0 if layer.increasing else -1.0
    columns = [e[run] for e in earlier]
    roots, left, right, unresolved = bisect_increasing(
        lambda v: sign * component(v, *columns)[0], sign * target[run], full=True)
    for i in np.flatnonzero(unresolved):
        known = {v: float(e[run[i]]) for v, e in zip(layer.earlier, earlier)}
        roots[i] = nearer_in_mpmath(layer, known, float(target[run[i]]), left[i], right[i])
    value[run] = roots
    return value


def bisection_inverse(model: FlowModel, points: np.ndarray, partial: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """z = f⁻¹(x) for each row, layer by layer: a peeled layer from its closed form, any other by bisection
    (it is strictly monotone in its variable, with the open interval between its limits as its image).

    Returns the latents (every coordinate NaN in a row outside the image of f) and, for each row, the index
    of the first layer whose image misses x (−1 for a row inside the image). With ``partial``, a row outside
    keeps the coordinates of the layers before the one that misses x (for saying why).
    """
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    latents = np.full(points.shape, np.nan)
    failed = np.full(points.shape[0], -1)
    for k, (layer, functions) in enumerate(zip(model.layers, model.layer_functions)):
        target = points[:, model.x.index(layer.target)]
        earlier = [latents[:, model.z.index(v)] for v in layer.earlier]
        if layer.solution is not None:
            value, inside = _peeled(functions, target, earlier)
        else:
            inside = _limits_hold(functions, target, earlier)
            value = _bisected(layer, functions, target, earlier, np.flatnonzero((failed < 0) & inside))
        failed[(failed < 0) & ~inside] = k
        latents[:, model.z.index(layer.variable)] = np.where(failed < 0, value, np.nan)
    if not partial:
        latents[failed >= 0] = np.nan
    return latents, failed


def bisection_log_density(model: FlowModel, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, log p_X) by bisection: log p_Z(z) − log|det ∂f/∂z| at z; −∞ outside the image. A row whose float64
    evaluation breaks down (∞ − ∞) is evaluated again with mpmath from its float64 latent point."""
    latents, failed = bisection_inverse(model, points)
    inside = failed < 0
    with np.errstate(all="ignore"):
        log_p = model.base.log_pdf(latents) - model.log_abs_det_forward(np.nan_to_num(latents))
    log_p[~inside] = -np.inf
    # A latent coordinate beyond float64 (|z| > 1.8e308): p_Z is below e^(−1.8e308) for every base family.
    beyond = inside & np.any(np.isinf(latents), axis=1)
    log_p[beyond] = -np.inf
    for row in np.flatnonzero(inside & ~beyond & np.isnan(log_p)):
        log_p[row] = mp_to_float(model.log_density_at_latent_mp(latents[row]))
    return latents, log_p


def nearer_in_mpmath(layer: MonotoneLayer, known: dict, target: float, left: float, right: float) -> float:
    """Of two neighbouring floats bracketing a layer's root, the one whose value is nearer the target, evaluated
    with mpmath at 50 digits (where float64 overflows beside the root)."""
    import mpmath

    gaps = []
    for candidate in (left, right):
        try:
            with mpmath.workdps(MP_DIGITS):
                value = mp_value(layer.component, {**known, layer.variable: candidate})
                gaps.append(abs(value - mpmath.mpf(target)))
        except (MpUndefined, MpOutOfRange):
            gaps.append(mpmath.inf)
    return left if gaps[0] < gaps[1] else right
