"""The flow's derivation steps that do not depend on the point: the problem as the assignment states it, the map,
why it is invertible (the reasons of each peeled layer), where it is not differentiable, both Jacobians, and the
one-sentence answer. Steps hold prose and SymPy values; the renderers print them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from dgm_cli.derivation import Notice, Prose, Step, m
from dgm_cli.solvers.flow.bijections import REALS
from dgm_cli.solvers.flow.model import TIDY_SECONDS, FlowModel, assignment_map, triangular_determinant
from dgm_cli.solvers.flow.numbers import DISPLAY_DIGITS, compact, float_representable
from dgm_cli.solvers.flow.prose import (
    DENSITY,
    DET_DFINVDX,
    DET_FORWARD,
    DET_INVERSE,
    DFDZ,
    F_INV,
    JACOBIAN_FORWARD,
    JACOBIAN_INVERSE,
    MAP_LABEL,
    ONE_OVER_DET_INVERSE,
    P_X,
    P_X_EQ,
    X_EQ_F_OF_Z,
    Z_EQ_F_INV,
    ZERO,
    F,
    Z,
    exact_point,
    joined,
    map_signature,
    reals_power,
    x_equals,
)
from dgm_cli.solvers.symbolic import Budget, equation, real_cbrt, to_sympy


@dataclass(frozen=True)
class Question:
    """The point asked about (as given, exactly, in float64), the Monte Carlo check's settings, and the inputs as
    the derivation records them."""

    x_point: Sequence[Fraction]  # as given
    x_exact: list[sympy.Rational]
    point: np.ndarray  # as float64
    inputs: dict
    verify: int
    seed: int
    box: float

    @property
    def representable(self) -> bool:
        """Whether float64 holds each coordinate of x as a normal number or 0 (and a nonzero x as nonzero)."""
        return float_representable(self.point) and all(
            Fraction(float(c)) == c or float(c) != 0 for c in self.x_point
        )

    def substitution(self, model: FlowModel) -> dict:
        """x ↦ the exact coordinates."""
        return dict(zip(model.x, self.x_exact))


ASSIGNMENT_POINT = (sympy.Integer(0), sympy.Integer(1), sympy.Rational(1, 3))
ASSIGNMENT_MAP = m(
    r"X = f(Z) = \begin{bmatrix} z_1 & z_2 e^{z_1} & (z_3 e^{-z_1} + z_1^2)^{\frac{1}{3}} \end{bmatrix}",
    "X = f(Z) = [z₁  z₂·e^z₁  (z₃·e^(−z₁) + z₁²)^(1/3)]",
)


def is_assignment_model(model: FlowModel) -> bool:
    """Whether the model is Problem 1 itself: the assignment's map (given or typed) with the base N(0, I)."""
    components, z, _ = assignment_map()
    return model.base.is_standard_normal and model.z == tuple(z) and model.forward == sympy.Matrix(components)


def problem_question(model: FlowModel, x_exact: Sequence[sympy.Expr]) -> Prose:
    """Problem 1 as the assignment states it (at the point asked), or the same questions for another map."""
    x_exact = [to_sympy(c) for c in x_exact]
    if is_assignment_model(model):
        at = (
            m(r"x = [0 \;\; 1 \;\; 1/3]^T", "x = [0  1  1/3]ᵀ")
            if tuple(x_exact) == ASSIGNMENT_POINT
            else x_equals(sympy.Transpose(sympy.Matrix([[compact(v, DISPLAY_DIGITS) for v in x_exact]])))
        )
        return (
            "Consider the transformation ", map_signature(3), ", ", ASSIGNMENT_MAP,
            ". Is this an invertible transformation? What's the Jacobian of this transformation? Now assume we have a "
            "Multivariate Normal base distribution ", m(r"p(Z) \sim N_3(0, I)", "p(Z) ~ N₃(0, I)"),
            " on the domain of ",
            F, ". What's ", m("p(x)", "p(x)"), " at ", at, "? (", m("p(X)", "p(X)"), " and ", m("p(Z)", "p(Z)"),
            " are probability density functions.)",
        )
    n = model.dimension
    forward = model.forward[0] if n == 1 else model.forward.T
    return (
        "Consider the transformation ", map_signature(n), ", ", equation(MAP_LABEL, forward),
        ". Is it invertible? What is its Jacobian? With ", *model.base.describe_prose(), ", what is ", P_X, " at ",
        x_equals(exact_point(x_exact)), "?",
    )


def map_step(model: FlowModel) -> Step:
    """The map, its base distribution, and which cube root it means."""
    cube_root_note = (
        (
            " The cube root is the real one: a negative argument has a negative root (Python's ",
            m(r"(-8)^{1/3}", "(−8)**(1/3)"), " and SymPy's default root are complex).",
        )
        if model.forward.has(real_cbrt) else ()
    )
    return Step(
        ("The map",),
        (map_signature(model.dimension), ", with ", *model.base.describe_prose(), ".", *cube_root_note),
        equation(MAP_LABEL, model.forward),
    )


def _peeled_text(model: FlowModel, warnings: list[Notice]) -> Prose:
    """Why a peeled map is invertible: each layer's reasons, then the verdict and where f is defined."""
    lines: list = []
    for s in model.inverse_steps:
        why = joined(s.reasons, "; ") if s.reasons else (equation(s.target, s.variable), " is the identity")
        lines.extend(["\n", equation(s.target, s.component), ", solved for ", s.variable, ": ", *why, "."])
    image = [c for s in model.inverse_steps for c in s.image_conditions]
    domain = [c for s in model.inverse_steps for c in s.domain_conditions]
    rn = reals_power(model.dimension)
    if not image and not domain:
        verdict: Prose = (
            "\nEach layer is a bijection of ", REALS, ", so ", F, " is a bijection of ", rn, " onto ", rn,
            ", with the inverse below.",
        )
    else:
        verdict = ("\n", F, " is injective, with the inverse below on its image",
                   *((": ", *joined(image)) if image else ()), ".")
    if domain:
        verdict = (*verdict, " ", F, " is defined only where ", *joined(domain), ".")
        if model.base.covers_the_reals:
            warnings.append(
                Notice((F, " is defined only where ", *joined(domain),
                        ", so this density integrates to less than one."), key="density")
            )
    return (
        F, " is triangular: each component, in turn, involves one new latent variable, and solving for it peels off "
        "one strictly monotone layer at a time.", *lines, *verdict,
    )


def invertibility_step(model: FlowModel, warnings: list[Notice]) -> Step:
    """Why f is invertible (the peeled layers' reasons, or the argument made for the inverse found), and f⁻¹."""
    if model.inverse_method == "peeling":
        text = _peeled_text(model, warnings)
    else:
        assert model.invertibility is not None  # every inverse but the peeled one comes with its argument
        text = model.invertibility.text
    return Step(("Invertibility",), text, equation(sympy.Matrix(model.z), model.inverse))


def _zero_set_argument(w: sympy.Expr) -> sympy.Expr:
    """The innermost expression that is 0 exactly where w is: cbrt(u) = 0 and u**k = 0 (k > 0) iff u = 0."""
    while isinstance(w, real_cbrt) or (w.is_Pow and w.exp.is_positive):
        w = w.args[0]
    return w


def _zero_set(w: sympy.Expr) -> list[dict]:
    """SymPy's solutions of w = 0 (of its innermost argument that vanishes with it)."""
    return sympy.solve(sympy.Eq(_zero_set_argument(w), 0), dict=True)


def nondifferentiable_steps(model: FlowModel, budget: Budget) -> list[Step]:
    """Where a cube root's argument is 0, f is not differentiable: a set of measure zero, named in x where SymPy
    solves for it in time."""
    steps = []
    for w, w_in_x in model.nondifferentiable_sets:
        zero_set = budget.attempt(functools.partial(_zero_set, w_in_x), lambda: [], limit=TIDY_SECONDS)
        where = joined([joined([equation(k, v) for k, v in sol.items()]) for sol in zero_set or []], " or ") or (
            equation(w_in_x, 0),
        )
        steps.append(
            Step(
                ("Where ", F, " is not differentiable"),
                (
                    "The cube root has an infinite derivative at ", ZERO, ", so ", F, " is not differentiable where ",
                    equation(w, 0), ", that is, where ", *where, ". This set has Lebesgue measure zero, so the "
                    "change-of-variables formula holds almost everywhere, and a density may take any value on it "
                    "without changing a single probability; the formula's value there is the continuous extension.",
                ),
                equation(w, 0),
            )
        )
    return steps


def jacobian_steps(model: FlowModel) -> list[Step]:
    """∂f/∂z and its determinant, then ∂f⁻¹/∂x (differentiated from the closed-form inverse) and its determinant."""
    jacobian_forward = model.jacobian_forward
    triangular_forward = triangular_determinant(jacobian_forward) is not None
    det_forward = model.det_forward
    forward = Step(
        ("Jacobian of ", F),
        (
            "Differentiate each component of ", F, " with respect to ", Z,
            "; the matrix is triangular, so its determinant is the product of the diagonal."
            if triangular_forward else ".",
            *(() if det_forward is not None else (
                " Its determinant did not finish expanding within the time budget; by the inverse function theorem it "
                "is ", ONE_OVER_DET_INVERSE, " at ", X_EQ_F_OF_Z, ".",
            )),
        ),
        equation(DET_FORWARD, det_forward) if det_forward is not None else None,
    )
    forward_matrix = Step((DFDZ,), (), equation(JACOBIAN_FORWARD, jacobian_forward))
    triangular_inverse = triangular_determinant(model.jacobian_inverse) is not None
    inverse = Step(
        ("Jacobian of ", F_INV),
        (
            "Differentiating the closed-form inverse gives a triangular matrix again; by"
            if triangular_inverse and triangular_forward else "Differentiate the closed-form inverse; by",
            " the inverse function theorem its determinant is ", m(r"1/\det \partial f/\partial z", "1/det ∂f/∂z"),
            " at ", Z_EQ_F_INV, ".",
        ),
        equation(JACOBIAN_INVERSE, model.jacobian_inverse),
    )
    return [forward, forward_matrix, inverse, Step((DET_DFINVDX,), (), equation(DET_INVERSE, model.det_inverse))]


def left_out(exact) -> Prose:
    """Why a step shows no exact form at the point (its value is still there, from mpmath)."""
    if exact is None:
        return ("the exact form at this point did not finish within the time budget, so it is left out; the value is "
                "from mpmath.",)
    return ("the exact form at this point raises e to numbers beyond ", sympy.Pow(10, 15, evaluate=False),
            ", which no renderer can write out, so "
            "it is left out; the value is from mpmath.")


TIME_BUDGET_STEP = Step(
    ("Time budget",),
    ("Some of SymPy's simplifications did not finish within their time budget of a few seconds: the formulas "
     "concerned are shown as derived, unsimplified. Every number comes from evaluating the same closed forms "
     "with mpmath at a fixed precision.",),
)


def verdict_name(model: FlowModel) -> str:
    """What is shown about f: bijective for Problem 1's own map (peeled, every layer onto ℝ)."""
    return model.invertibility.verdict if model.invertibility else "bijective"


def closed_form_answer(
    model: FlowModel, x_exact: Sequence[sympy.Expr], density_exact: sympy.Expr | None, density_value,
    det_at_point=None,
) -> Prose:
    """One sentence: whether f is invertible, its Jacobian determinant (and its value at f⁻¹(x)), and p_X(x) at the
    point.

    ``density_exact`` is the closed form at the point when it is short enough for a sentence, else None.
    """
    verdict = {
        "bijective": (F, " is a bijection of ", reals_power(model.dimension)),
        "injective": (F, " is injective"),
    }.get(verdict_name(model), ("the inverse given for ", F, " is not proven symbolically"))
    if density_exact is not None:
        density = (equation(DENSITY, density_exact), ", about ", density_value)
    else:
        density = (P_X_EQ, " ", density_value)
    determinant = (
        ("its Jacobian determinant is ", equation(DET_FORWARD, model.det_forward))
        if model.det_forward is not None
        else ("its Jacobian determinant is ", ONE_OVER_DET_INVERSE)
    )
    at_point = (", equal to ", det_at_point, " at ", Z_EQ_F_INV) if det_at_point is not None else ()
    return (
        *verdict, "; ", *determinant, *at_point, "; at ", x_equals(exact_point(x_exact)), " the density is ",
        *density, ".",
    )
