"""SymPy building blocks shared by the solvers.

- :class:`real_cbrt`, the real cube root (SymPy's ``cbrt`` is the principal,
  complex one: ``cbrt(-8)`` is ``1 + sqrt(3)*I``, not ``-2``);
- :func:`vectorized`, SymPy expressions turned once into NumPy functions;
- :func:`invert_triangular`, the closed-form inverse of a map whose components
  can be solved one variable at a time, with the reasons each step is a bijection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from dgm_cli.derivation import Math, Prose, m, prose


class real_cbrt(sympy.Function):  # noqa: N801 - the name lambdify looks up in NUMPY_MODULES
    """The real cube root: real_cbrt(w)³ = w for every real w, and real_cbrt(−8) = −2."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Rational:
            return -sympy.root(-arg, 3) if arg.is_negative else sympy.root(arg, 3)
        if arg.is_Pow and arg.exp == 3 and arg.base.is_extended_real:
            return arg.base
        if arg.could_extract_minus_sign():
            return -cls(-arg)  # an odd function
        return None

    def fdiff(self, argindex=1):
        # d/dw w^(1/3) = 1 / (3 w^(2/3)), infinite at w = 0
        return 1 / (3 * real_cbrt(self.args[0]) ** 2)

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        return self.args[0].is_positive

    def _eval_is_negative(self):
        return self.args[0].is_negative

    def _eval_is_zero(self):
        return self.args[0].is_zero

    def _eval_power(self, exponent):
        if exponent == 3:
            return self.args[0]
        return None

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_Number:
            return None
        magnitude = sympy.Abs(value) ** sympy.Rational(1, 3)
        return (-magnitude if value.is_negative else magnitude)._eval_evalf(prec)

    def _sympystr(self, printer):
        return f"cbrt({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        body = rf"\sqrt[3]{{{printer._print(self.args[0])}}}"
        return rf"\left({body}\right)^{{{exp}}}" if exp else body

    def _pretty(self, printer):
        return printer._print_nth_root(self.args[0], sympy.Integer(3))


#: The names lambdify needs beyond NumPy's own; np.cbrt is the real cube root.
NUMPY_MODULES: list = [{"real_cbrt": np.cbrt}, "numpy"]


def _small_powers_as_products(expr: sympy.Expr) -> sympy.Expr:
    """w**2, w**3, w**4 as w*w*…: NumPy's power() is a slow general loop for any exponent but 2."""
    return expr.replace(
        lambda e: e.is_Pow and e.exp.is_Integer and 3 <= e.exp <= 4,
        lambda e: sympy.Mul(*([e.base] * int(e.exp)), evaluate=False),
    )


def vectorized(exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]) -> Callable[..., np.ndarray]:
    """Turn expressions into one NumPy function: columns in, an array of shape (len(exprs), n) out.

    All expressions are lambdified together, once, with common subexpressions
    computed once; a constant component is broadcast to the shape of the inputs.
    """
    function = sympy.lambdify(
        list(symbols), [_small_powers_as_products(e) for e in exprs], modules=NUMPY_MODULES, cse=True
    )

    def evaluate(*columns: np.ndarray) -> np.ndarray:
        arrays = [np.asarray(c, dtype=np.float64) for c in columns]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        with np.errstate(all="ignore"):
            return np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in function(*arrays)])

    return evaluate


# --------------------------------------------------------------------------- inversion


# Inline mathematics for the layers' reasons (prose pieces: words, Math and SymPy expressions).
REALS = m(r"\mathbb{R}", "ℝ")
POSITIVE_HALF_LINE = m(r"(0, \infty)", "(0, ∞)")
NEGATIVE_HALF_LINE = m(r"(-\infty, 0)", "(−∞, 0)")
CLOSED_HALF_LINE = m(r"[0, \infty)", "[0, ∞)")
NONZERO_REALS = m(r"\mathbb{R} \setminus \{0\}", "ℝ∖{0}")
OPEN_UNIT_INTERVAL = m(r"(-1, 1)", "(−1, 1)")
_W = sympy.Symbol("w", real=True)  # the argument of a layer, in its reason


def _as_text(reason: Prose) -> str:
    """A reason as one line of text, for the exception's own message (no renderer involved)."""
    return "".join(
        piece if isinstance(piece, str) else piece.text if isinstance(piece, Math) else sympy.sstr(piece)
        for piece in prose(reason)
    )


class NotInvertible(Exception):
    """The peeling inverter could not isolate a variable; ``reason`` (prose) says why.

    When a layer is not injective, ``not_injective`` is True and ``inner`` with
    ``values`` name two values of the layer's argument that give the same image
    (the seed of a witness: two points z with f(z) equal).
    """

    def __init__(self, reason: Prose, not_injective: bool = False, inner=None, values=None) -> None:
        reason = prose(reason)
        super().__init__(_as_text(reason))
        self.reason = reason
        self.not_injective = not_injective
        self.inner = inner
        self.values = values


@dataclass(frozen=True)
class InverseStep:
    """One solved component: ``variable = solution`` from ``target = component``, and why it is a bijection.

    Each reason is prose (a tuple of words, Math and SymPy pieces).
    """

    variable: sympy.Symbol
    target: sympy.Symbol
    component: sympy.Expr
    solution: sympy.Expr
    reasons: tuple[Prose, ...]
    image_conditions: tuple[sympy.Basic, ...]  # conditions on the target for a solution to exist
    domain_conditions: tuple[sympy.Basic, ...] = ()  # conditions on z for the component to be defined


# Layers that are not injective: the function, why, and two arguments with the same image.
_NOT_INJECTIVE = {
    sympy.sin: (
        (m(r"\sin", "sin"), " is periodic, so not injective: ", m(r"\sin 0 = \sin \pi", "sin(0) = sin(π)")),
        (sympy.Integer(0), sympy.pi),
    ),
    sympy.cos: (
        (m(r"\cos", "cos"), " is even and periodic, so not injective: ", m(r"\cos 1 = \cos(-1)", "cos(1) = cos(−1)")),
        (sympy.Integer(1), sympy.Integer(-1)),
    ),
    sympy.Abs: (
        ("the absolute value is not injective: ", m(r"\lvert 1 \rvert = \lvert -1 \rvert", "|1| = |−1|")),
        (sympy.Integer(1), sympy.Integer(-1)),
    ),
    sympy.sign: (
        (
            m(r"\operatorname{sign}", "sign"), " takes only the values ", m(r"-1, 0, 1", "−1, 0, 1"),
            ", so it is not injective: ", m(r"\operatorname{sign}(1) = \operatorname{sign}(2)", "sign(1) = sign(2)"),
        ),
        (sympy.Integer(1), sympy.Integer(2)),
    ),
}


def _solve_layer(
    expr: sympy.Expr, var: sympy.Symbol, rhs: sympy.Expr, reasons: list[Prose], conditions: list, domain: list | None = None
):
    """Solve expr(var) = rhs for var by peeling one bijective layer at a time.

    ``conditions`` collects conditions on rhs (the image), ``domain`` conditions
    on the argument for the layer to be defined (log needs a positive argument).
    """
    domain = [] if domain is None else domain
    while expr != var:
        if not expr.has(var):
            raise NotInvertible((expr, " does not depend on ", var))
        if expr.is_Add:
            rest, term = expr.as_independent(var, as_Add=True)
            if term.is_Add:
                raise NotInvertible((var, " appears in more than one term of ", expr))
            if rest != 0:
                reasons.append(("adding ", rest, " is a shift, a bijection of ", REALS))
            expr, rhs = term, rhs - rest
        elif expr.is_Mul:
            factor, term = expr.as_independent(var, as_Add=False)
            if term.is_Mul:
                raise NotInvertible((var, " appears in more than one factor of ", expr))
            if factor.is_positive or factor.is_negative:
                sign = "positive" if factor.is_positive else "negative"
                if factor.free_symbols:
                    reasons.append(
                        ("the factor ", factor, f" is {sign} for every real input, so scaling by it is a bijection of ", REALS)
                    )
                else:
                    reasons.append(("scaling by the nonzero constant ", factor, " is a bijection of ", REALS))
            else:
                raise NotInvertible(("the factor ", factor, " of ", expr, " is not shown to be nonzero"))
            expr, rhs = term, rhs / factor
        elif isinstance(expr, real_cbrt):
            reasons.append(("the real cube root is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.args[0], rhs**3
        elif expr.is_Pow and not expr.base.has(var):
            # A positive constant base to a variable power: b**w = exp(w·log b).
            base = expr.base
            if not (base.is_positive and base != 1):
                raise NotInvertible(("the base ", base, " of ", expr, " is not a positive number other than 1"))
            reasons.append(
                (sympy.Pow(base, _W, evaluate=False), " is strictly monotone from ", REALS, " onto ", POSITIVE_HALF_LINE)
            )
            conditions.append(sympy.StrictGreaterThan(rhs, 0))
            expr, rhs = expr.exp, sympy.log(rhs) / sympy.log(base)
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp < 0:
            w = expr.base ** (-expr.exp)
            if w.is_positive or w.is_negative:
                side = POSITIVE_HALF_LINE if w.is_positive else NEGATIVE_HALF_LINE
                reasons.append(
                    (w, f" is {'positive' if w.is_positive else 'negative'}, and ", m(r"1/w", "1/w"),
                     " is strictly decreasing on ", side, " onto ", side)
                )
                conditions.append(sympy.StrictGreaterThan(rhs, 0) if w.is_positive else sympy.StrictLessThan(rhs, 0))
            else:
                reasons.append((m(r"1/w", "1/w"), " is a bijection of ", NONZERO_REALS, " onto itself"))
                domain.append(sympy.Ne(w, 0))
                conditions.append(sympy.Ne(rhs, 0))
            expr, rhs = w, 1 / rhs
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp.is_odd and expr.exp > 0:
            reasons.append(("the power ", _W**expr.exp, " is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.base, real_cbrt(rhs) if expr.exp == 3 else sympy.real_root(rhs, expr.exp)
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp.is_even and expr.exp > 0:
            k = expr.exp
            if expr.base.is_positive:
                reasons.append(
                    (expr.base, " is positive, and ", _W**k, " is strictly increasing on ", POSITIVE_HALF_LINE,
                     " onto ", POSITIVE_HALF_LINE)
                )
                conditions.append(sympy.StrictGreaterThan(rhs, 0))
                expr, rhs = expr.base, rhs ** sympy.Rational(1, k)
            else:
                raise NotInvertible(
                    ("the even power ", _W**k, " is not injective: ",
                     equation(sympy.Pow(-1, k, evaluate=False), sympy.Pow(1, k, evaluate=False))),
                    not_injective=True, inner=expr.base, values=(sympy.Integer(1), sympy.Integer(-1)),
                )
        elif expr.is_Pow and expr.exp == sympy.Rational(1, 2):
            reasons.append(
                (m(r"\sqrt{w}", "√w"), " is strictly increasing from ", CLOSED_HALF_LINE, " onto ", CLOSED_HALF_LINE)
            )
            domain.append(sympy.GreaterThan(expr.base, 0))
            conditions.append(sympy.GreaterThan(rhs, 0))
            expr, rhs = expr.base, rhs**2
        elif isinstance(expr, sympy.exp):
            reasons.append((m(r"\exp", "exp"), " is strictly increasing from ", REALS, " onto ", POSITIVE_HALF_LINE))
            conditions.append(sympy.StrictGreaterThan(rhs, 0))
            expr, rhs = expr.args[0], sympy.log(rhs)
        elif isinstance(expr, sympy.log):
            reasons.append((m(r"\log", "log"), " is strictly increasing from ", POSITIVE_HALF_LINE, " onto ", REALS))
            domain.append(sympy.StrictGreaterThan(expr.args[0], 0))
            expr, rhs = expr.args[0], sympy.exp(rhs)
        elif isinstance(expr, sympy.sinh):
            reasons.append((m(r"\sinh", "sinh"), " is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.args[0], sympy.asinh(rhs)
        elif isinstance(expr, sympy.asinh):
            reasons.append((m(r"\operatorname{arcsinh}", "arcsinh"), " is strictly increasing and maps ", REALS, " onto ", REALS))
            expr, rhs = expr.args[0], sympy.sinh(rhs)
        elif isinstance(expr, sympy.tanh):
            reasons.append((m(r"\tanh", "tanh"), " is strictly increasing from ", REALS, " onto ", OPEN_UNIT_INTERVAL))
            conditions.append(sympy.StrictLessThan(sympy.Abs(rhs), 1))
            expr, rhs = expr.args[0], sympy.atanh(rhs)
        elif type(expr) in _NOT_INJECTIVE:
            reason, values = _NOT_INJECTIVE[type(expr)]
            raise NotInvertible(reason, not_injective=True, inner=expr.args[0], values=values)
        else:
            raise NotInvertible(("no closed-form rule to invert ", expr, " in ", var))
    return rhs


def invert_triangular(
    components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol]
) -> list[InverseStep]:
    """Solve x = f(z) for z when some order of the components involves one new variable at a time.

    The components are taken in the order in which each depends on exactly one
    variable not yet solved; the solutions found so far are substituted in.
    """
    solved: dict[sympy.Symbol, sympy.Expr] = {}
    remaining = list(range(len(components)))
    steps: list[InverseStep] = []
    while remaining:
        for i in remaining:
            unknown = components[i].free_symbols & set(z) - set(solved)
            if len(unknown) == 1:
                break
        else:
            raise NotInvertible(("no component depends on exactly one unsolved variable: the map is not triangular",))
        (var,) = unknown
        reasons: list[Prose] = []
        conditions: list = []
        domain: list = []
        known = {v: s for v, s in solved.items()}
        # Solve with the earlier variables still symbolic (they are fixed when
        # this one is solved), then express the answer in x.
        solution = _solve_layer(components[i], var, x[i], reasons, conditions, domain)
        solution = sympy.factor_terms(sympy.expand(solution.subs(known)))
        solved[var] = solution
        steps.append(
            InverseStep(
                var, x[i], components[i], solution, tuple(reasons), tuple(c.subs(known) for c in conditions), tuple(domain)
            )
        )
        remaining.remove(i)
    return steps


class Label(sympy.Symbol):
    """A name for the left side of a displayed equation: plain text on a terminal, its own LaTeX in a write-up."""

    def __new__(cls, text: str, latex: str):
        obj = super().__new__(cls, text)
        obj.latex_form = latex
        return obj

    def _latex(self, printer):
        return self.latex_form


def equation(lhs: sympy.Basic, rhs: sympy.Basic) -> sympy.Eq:
    """lhs = rhs for display, never evaluated to True or False."""
    return sympy.Eq(lhs, rhs, evaluate=False)
