"""The flow's words and inline mathematics: labels of displayed equations, the symbols of the prose (f, x, z,
f⁻¹, p_X(x), …) and small helpers that build prose from points and lists. No number is formatted here: points are
SymPy values or :class:`~dgm_cli.derivation.Approx` pieces, printed by the renderers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Math, Prose, m
from dgm_cli.solvers.flow.numbers import DISPLAY_DIGITS, compact
from dgm_cli.solvers.symbolic import Label, equation, to_sympy

COMMAND = "flow-density"

# The left sides of displayed equations.
DET_FORWARD = Label("det ∂f/∂z", r"\det \frac{\partial f}{\partial z}")
DET_INVERSE = Label("det ∂f⁻¹/∂x", r"\det \frac{\partial f^{-1}}{\partial x}")
DENSITY = Label("p_X(x)", "p_X(x)")
MAP_LABEL = Label("f(z)", "f(z)")
JACOBIAN_FORWARD = Label("∂f/∂z", r"\frac{\partial f}{\partial z}")
JACOBIAN_INVERSE = Label("∂f⁻¹/∂x", r"\frac{\partial f^{-1}}{\partial x}")
LOG_DENSITY = Label("log p_X(x)", r"\log p_X(x)")

# Inline mathematics for the prose (the contract: words in str pieces, mathematics in Math or SymPy pieces).
F = m("f", "f")
G = m("g", "g")
X = m("x", "x")
Z = m("z", "z")
F_INV = m(r"f^{-1}", "f⁻¹")
F_OF_Z = m("f(z)", "f(z)")
X_EQ_F_OF_Z = m("x = f(z)", "x = f(z)")
Z_EQ_F_INV = m(r"z = f^{-1}(x)", "z = f⁻¹(x)")
F_OF_Z_EQ_X = m("f(z) = x", "f(z) = x")
G_OF_F_MINUS_Z = m("g(f(z)) - z", "g(f(z)) − z")
F_OF_G_EQ_X = m("f(g(x)) = x", "f(g(x)) = x")
DFDZ = m(r"\partial f/\partial z", "∂f/∂z")
DFINVDX = m(r"\partial f^{-1}/\partial x", "∂f⁻¹/∂x")
DET_DFDZ = m(r"\det \partial f/\partial z", "det ∂f/∂z")
DET_DFINVDX = m(r"\det \partial f^{-1}/\partial x", "det ∂f⁻¹/∂x")
P_X = m("p_X(x)", "p_X(x)")
P_X_EQ = m("p_X(x) =", "p_X(x) =")
P_X_ZERO = m("p_X(x) = 0", "p_X(x) = 0")
P_X_INFINITE = m(r"p_X(x) = \infty", "p_X(x) = ∞")
LOG_P_X = m(r"\log p_X(x)", "log p_X(x)")
LOG_P_X_MINUS_INF = m(r"\log p_X(x) = -\infty", "log p_X(x) = −∞")
LOG_ABS_DET_INVERSE = m(r"\log \lvert \det \partial f^{-1}/\partial x \rvert", "log|det ∂f⁻¹/∂x|")
ONE_OVER_DET_INVERSE = m(r"1/\det \partial f^{-1}/\partial x", "1/det ∂f⁻¹/∂x")
N01 = m(r"\mathcal{N}(0, I)", "N(0, I)")
MINUS_INF = m(r"-\infty", "−∞")
INFINITY = m(r"\infty", "∞")
ZERO = sympy.Integer(0)
_Z_NAME = sympy.Symbol("z")
_X_NAME = sympy.Symbol("x")

DENSITY_TOO_LARGE = (
    P_X, " is above the largest float64, so it prints as ", INFINITY, "; ", LOG_P_X, " is exact.",
)
DENSITY_TOO_SMALL = (P_X, " is below the smallest positive float64, so it prints as 0; ", LOG_P_X, " is exact.")
OUTSIDE_IMAGE = (X, " lies outside the image of ", F, ", so ", P_X_ZERO, ".")
OUTSIDE_SUPPORT = (Z_EQ_F_INV, " lies outside the support of the base, so ", P_X_ZERO, ".")
AT_A_CRITICAL_POINT = (
    X, " is the image of a point where ", DET_DFDZ, " = 0, so ", P_X_INFINITE, " (a limit, on a set of measure zero).",
)


def superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def reals_power(n: int) -> Math:
    """ℝⁿ as inline mathematics (ℝ itself for n = 1)."""
    if n == 1:
        return m(r"\mathbb{R}", "ℝ")
    return m(rf"\mathbb{{R}}^{{{n}}}", f"ℝ{superscript(n)}")


def map_signature(n: int) -> Math:
    """f : ℝⁿ → ℝⁿ."""
    rn = reals_power(n)
    return m(rf"f : {rn.latex} \rightarrow {rn.latex}", f"f : {rn.text} → {rn.text}")


def exact_point(values: Sequence[sympy.Expr]) -> sympy.Basic:
    """An exact point for prose: the number itself in one dimension, else a SymPy tuple (x1, …, xn).

    A rational of more than 30 digits is given as a 15-digit Float (1e-400 stays 1.0e-400, not 0).
    """
    values = [compact(to_sympy(v), DISPLAY_DIGITS) for v in values]
    return values[0] if len(values) == 1 else sympy.Tuple(*values)


def approx_point(values: Sequence[float] | np.ndarray, digits: int = 6) -> Prose:
    """A float64 point for prose, each coordinate to ``digits`` significant digits: (a, b, c), or a alone."""
    numbers = [Approx(float(v), digits) for v in values]
    if len(numbers) == 1:
        return (numbers[0],)
    return ("(", *joined(numbers), ")")


def approx_points(points: Sequence[Sequence[float] | np.ndarray], digits: int = 6) -> Prose:
    """Several float64 points separated by commas, or the word "none"."""
    if not points:
        return ("none",)
    return joined([approx_point(point, digits) for point in points])


def joined(items: Sequence, separator: str = ", ") -> Prose:
    """Prose pieces (SymPy conditions, equations, or prose tuples) separated by words."""
    pieces: list = []
    for i, item in enumerate(items):
        pieces.extend([separator] if i else [])
        pieces.extend(item if isinstance(item, tuple) else (item,))
    return tuple(pieces)


def z_equals(point) -> sympy.Eq:
    """z = point, for prose."""
    return equation(_Z_NAME, point)


def x_equals(point) -> sympy.Eq:
    """x = point, for prose."""
    return equation(_X_NAME, point)
