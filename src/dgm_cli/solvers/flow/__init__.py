"""Change of variables through an invertible map (Problem 1): ``dgm flow-density``.

For x = f(z) with z ~ p_Z (N(0, I) in the assignment):  p_X(x) = p_Z(f⁻¹(x)) · |det ∂f⁻¹/∂x|.
The inverse and both Jacobians are derived with SymPy from the map itself; numbers come from the same
expressions, evaluated in float64 and log space, or with mpmath where float64 cannot hold them.

The package, by concept:

- :mod:`.model`: the map f, its inverse and the symbolic pieces derived from them (Jacobians, determinants, the
  density), and their numbers on whole columns of points (batch mode's float64 route);
- the inversion: :mod:`.bijections` (a library of bijections of ℝ, one rule per kind of layer) and
  :mod:`.peeling` (the closed form, layer by layer); :mod:`.monotone` and :mod:`.bounds` (a layer without a
  closed form proven strictly monotone), :mod:`.layers` and :mod:`.bisection` (its inverse by bisection on the
  float64 numbers); :mod:`.numeric` (roots found numerically) and :mod:`.witnesses` (that a map is not
  injective); :mod:`.transform` chooses among them for a user's map;
- :mod:`.base`: the base distribution p_Z;
- :mod:`.checks`: each number against an independent route;
- the derivation: :mod:`.prose` (its words and symbols), :mod:`.numbers` (numbers at any size), :mod:`.steps`
  (the steps that do not depend on the point), :mod:`.density_closed` and :mod:`.density_numeric` (the density at
  the point, with and without a closed-form inverse).

The problem's entry points, under the registry's convention (:mod:`dgm_cli.problems`): ``PROBLEM``, ``solve`` and
``records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.derivation import Derivation, Notice, Step
from dgm_cli.errors import InputError, mention
from dgm_cli.problems import Problem
from dgm_cli.solvers.flow.base import STANDARD_NORMAL_BASE, IidBase
from dgm_cli.solvers.flow.bisection import bisect_increasing
from dgm_cli.solvers.flow.density_closed import closed_form_density
from dgm_cli.solvers.flow.density_numeric import numeric_density
from dgm_cli.solvers.flow.model import FlowModel, Invertibility, assignment_flow, assignment_map, density_records
from dgm_cli.solvers.flow.numbers import FLOAT_MAX, short_text
from dgm_cli.solvers.flow.steps import Question, map_step
from dgm_cli.solvers.flow.transform import transform_model

PROBLEM = Problem(
    command="flow-density",
    number=1,
    title="Probability review",
    defaults={"x": (Fraction(0), Fraction(1), Fraction(1, 3))},
)

BOX_LIMIT = 10  # the Monte Carlo box's largest half-width


def _question(model: FlowModel, x: Sequence[Fraction], verify: int, seed: int, box: float | Fraction,
              transform: str | None) -> Question:
    """The point and the check's settings, refused when out of range (each error names its parameter)."""
    n = model.dimension
    if len(x) != n:
        raise InputError(f"expected {n} coordinates, got {len(x)}", "x")
    if verify < 0:
        raise InputError("the number of Monte Carlo samples must be 0 or more", "verify")
    if not 0 < box <= BOX_LIMIT:  # compared before any float(): an exact 1e400 would overflow it
        raise InputError(f"the box half-width must lie in (0, {BOX_LIMIT}]", "box")
    for i, c in enumerate(x):
        if abs(c) > FLOAT_MAX:
            raise InputError(f"x{i + 1} = {short_text(c)} is beyond float64's range (about ±1.8e308)", "x")
    inputs: dict = {"x": [str(c) for c in x], "verify": verify, "seed": seed, "box": float(box)}
    if transform is not None:
        inputs = {"transform": transform, "base": model.base.describe(), **inputs}
    return Question(
        x_point=x,
        x_exact=[sympy.Rational(c.numerator, c.denominator) for c in x],
        point=np.array([float(c) for c in x]),
        inputs=inputs,
        verify=verify,
        seed=seed,
        box=float(box),
    )


def solve(
    x: Sequence[Fraction] = PROBLEM.defaults["x"],
    verify: int = 0,
    seed: int = 0,
    box: float | Fraction = 0.1,
    model: FlowModel | None = None,
    transform: str | None = None,
) -> Derivation:
    """Derive p_X(x) for x = f(z), z ~ p_Z, step by step, with the checks that verify it.

    ``x`` is the point, exact; ``verify`` the number of Monte Carlo samples (0: no Monte Carlo check), drawn with
    ``seed``, counted in a box of half-width ``box`` around x (it may be the exact number given: it is
    range-checked before it becomes a float). ``model`` is the map (:func:`transform_model`; Problem 1's own map
    by default) and ``transform`` the text it was read from, recorded in the inputs.
    Exact forms come from SymPy within a time budget; every number from them is evaluated with mpmath
    at a fixed precision (log space: log p_X is right where p_X itself is 10^(−10^600)).
    """
    model = model or assignment_flow()
    question = _question(model, x, verify, seed, box, transform)
    steps: list[Step] = [map_step(model)]
    warnings: list[Notice] = []
    if not model.closed_form:
        return numeric_density(model, question, steps, warnings)
    return closed_form_density(model, question, steps, warnings)


def check_batch(model: FlowModel) -> None:
    """Batch mode needs a map inverted column by column: refused for one inverted a point at a time."""
    if not model.vectorised:
        raise InputError(
            f"batch mode needs an inverse that is closed-form, given with {mention('inverse')}, or proven layer by "
            "layer; this map's invertibility is not proven, so it is inverted one point at a time: call without "
            f"{mention('input')} for each point",
            "input",
        )


def records(model: FlowModel | None, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode: one record for each row of ``points`` (x, z = f⁻¹(x), log p_X(x), p_X(x)), for ``model``'s map
    (Problem 1's own when None). Refused for a map inverted one point at a time (no inverse proven)."""
    model = model or assignment_flow()
    check_batch(model)
    return density_records(model, points)


__all__ = [
    "PROBLEM",
    "STANDARD_NORMAL_BASE",
    "IidBase",
    "FlowModel",
    "Invertibility",
    "assignment_flow",
    "assignment_map",
    "bisect_increasing",
    "check_batch",
    "density_records",
    "records",
    "solve",
    "transform_model",
]
