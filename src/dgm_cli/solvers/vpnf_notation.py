"""Problem 2's notation: the labels of its displayed formulas, its inline mathematics, and how values are shown.

A value is shown exactly when float64 can hold it, else as a SymPy Float that keeps its exponent (1e-400 is not 0);
relations (ε = 1/20, KL ≥ 0.02) are one SymPy relation for an exact value, math and a number piece otherwise.
"""

from __future__ import annotations

from typing import Any

import sympy

from dgm_cli.derivation import Approx, Math, Prose, m
from dgm_cli.solvers.symbolic import Label
from dgm_cli.solvers.vpnf_numbers import as_number

# --------------------------------------------------------------------------- labels (displayed formulas)

DENSITY = Label("p(x, y)", "p(x, y)")
MASS = Label("mass(k)", r"\operatorname{mass}(k)")
K_NORMALIZING = Label("k*", "k^{*}")
FLOW_DENSITY = Label("p_θ(x)", r"p_\theta(x)")
R_SQUARED = Label("r²", "r^2")
VOLUME_A = Label("vol(A)", r"\operatorname{vol}(A)")
VOLUME_A_UPPER = Label("max_c vol(A)", r"\max_c \operatorname{vol}(A)")
BEST_EPS = Label("ε_best", r"\varepsilon_{\mathrm{best}}")
KL_GAUSSIAN = Label("KL(p‖N(0, σ²I))", r"D_{\mathrm{KL}}(p \,\|\, \mathcal{N}(0, \sigma^2 I))")
H, EPS, C, TAU, SIGMA2 = (
    Label("h", "h"),
    Label("ε", r"\varepsilon"),
    Label("c", "c"),
    Label("τ", r"\tau"),
    Label("σ²", r"\sigma^2"),
)
DELTA = Label("δ", r"\delta")
KL = Label("KL(p‖p_θ)", r"D_{\mathrm{KL}}(p \,\|\, p_\theta)")
GAP_B = Label("P(B) − P_θ(B)", r"P(B) - P_\theta(B)")
GAP_A_BAR = Label("P(Ā) − P_θ(Ā)", r"P(\bar A) - P_\theta(\bar A)")
NEG_ENTROPY = Label("∫ p log p", r"\int p \log p")


# --------------------------------------------------------------------------- inline mathematics (prose)

EPS_M = m(r"\varepsilon", "ε")
DELTA_M = m(r"\delta", "δ")
THETA_M = m(r"\theta", "θ")
TAU_M = m(r"\tau", "τ")
K_M = m("k", "k")
C_M = m("c", "c")
H_M = m("h", "h")
P_M = m("p", "p")
X_M, Y_M, T_M = m("x", "x"), m("y", "y"), m("t", "t")
A_M, B_M = m("A", "A"), m("B", "B")
P_THETA = m(r"p_\theta", "p_θ")
VOL_A_M = m(r"\operatorname{vol}(A)", "vol(A)")
C_IS_1 = m("c = 1", "c = 1")
A_EMPTY = m(r"A = \emptyset", "A = ∅")
ABS_DET = m(r"\lvert \det \rvert", "|det|")
THRESHOLD_M = m(r"h - \varepsilon", "h − ε")
KL_M = m(r"\mathrm{KL}(p \,\|\, p_\theta)", "KL(p‖p_θ)")
SECOND_MOMENT_M = m(r"\mathbb{E}_p \lVert x \rVert^2", "E_p‖x‖²")
NEG_ENTROPY_M = m(r"\int p \log p", "∫ p log p")
KL_GAUSSIAN_M = m(r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, \sigma^2 I))", "KL(p‖N(0, σ²I))")
KL_DET_M = m(r"\mathrm{KL}(p \,\|\, \mathcal{N}(0, cI))", "KL(p‖N(0, cI))")


# --------------------------------------------------------------------------- values in prose and formulas

_RELATIONS = {"=": ("=", "="), ">=": (r"\ge", "≥"), "<=": (r"\le", "≤"), "<": ("<", "<"), ">": (">", ">")}


def rel(lhs: Math, relation: str, value: Any) -> Prose:
    """``lhs = value`` (or ≥, ≤, <, >) as prose.

    An exact SymPy value makes one SymPy relation (``ε = 1/20`` typeset as one formula); a float or an
    Approx stays a number piece after the symbol and the relation in math.
    """
    if isinstance(value, sympy.Basic) and value.is_number:
        make = {
            "=": sympy.Eq,
            ">=": sympy.GreaterThan,
            "<=": sympy.LessThan,
            "<": sympy.StrictLessThan,
            ">": sympy.StrictGreaterThan,
        }[relation]
        return (make(Label(lhs.text, lhs.latex), value, evaluate=False),)
    latex, text = _RELATIONS[relation]
    return (m(f"{lhs.latex} {latex}", f"{lhs.text} {text}"), " ", value)


def approx(expr: Any, digits: int = 8) -> Approx | sympy.Float:
    """A value shown to ``digits`` significant digits (the step's own value holds it in full).

    Beyond float64 (1e-400, 1e400) a SymPy Float of that many digits, which keeps its exponent.
    """
    value = as_number(expr)
    return Approx(value, digits) if isinstance(value, float) else sympy.Float(value, digits)


def shown(value: sympy.Expr) -> sympy.Expr:
    """An exact input for prose: itself, or a 15-digit SymPy Float when float64 could not hold it.

    A 400-digit rational like 1e-400 is printed as a float by the renderers, which would show 0.0.
    """
    number = as_number(value)
    return value if isinstance(number, float) else number


def for_display(expr: Any) -> Any:
    """A displayed formula with every rational that float64 cannot hold (1e-400, 5e-324) as a 15-digit SymPy Float.

    The renderers shorten long rationals through a float, which would print 1e-400 as 0.
    """
    if not isinstance(expr, sympy.Basic):
        return expr
    replace = {a: sympy.Float(a, 15) for a in expr.atoms(sympy.Rational) if not isinstance(as_number(a), float)}
    return expr.xreplace(replace) if replace else expr


def at_least(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.GreaterThan:
    """lhs ≥ rhs for display, never evaluated to True or False."""
    return sympy.GreaterThan(lhs, for_display(rhs), evaluate=False)


def kl_at_least(value: Any) -> Prose:
    """KL(p‖p_θ) ≥ value, as prose."""
    return rel(KL_M, ">=", value)


def at_most(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.LessThan:
    """lhs ≤ rhs for display, never evaluated to True or False."""
    return sympy.LessThan(lhs, for_display(rhs), evaluate=False)
