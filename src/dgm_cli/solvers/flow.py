"""Change of variables through an invertible map (Problem 1).

For x = f(z) with z ~ N(0, I):  p_X(x) = N(f⁻¹(x); 0, I) · |det ∂f⁻¹/∂x|.
The inverse and both Jacobians are derived with SymPy from the map itself;
numbers come from the same expressions, evaluated in float64 and log space.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Check, Derivation, Math, Notice, Prose, Step, m
from dgm_cli.errors import InputError
from dgm_cli.solvers.numerics import LOG_2PI, log_sigmoid, log_standard_normal, logsumexp
from dgm_cli.solvers.symbolic import (
    MP_DIGITS,
    REALS,
    Budget,
    InverseStep,
    Label,
    MpOutOfRange,
    MpUndefined,
    NotInvertible,
    OutOfTime,
    cancel_inverse_pairs,
    equation,
    invert_triangular,
    log_abs,
    mp_to_float,
    mp_value,
    real_cbrt,
    time_limit,
    vectorized,
    with_frozen_constants,
)

COMMAND = "flow-density"

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
LOG_P_X = m(r"\log p_X(x)", "log p_X(x)")
LOG_P_X_MINUS_INF = m(r"\log p_X(x) = -\infty", "log p_X(x) = −∞")
N01 = m(r"\mathcal{N}(0, I)", "N(0, I)")
MINUS_INF = m(r"-\infty", "−∞")
ZERO = sympy.Integer(0)
_Z_NAME = sympy.Symbol("z")
_X_NAME = sympy.Symbol("x")


def reals_power(n: int) -> Math:
    """ℝⁿ as inline mathematics (ℝ itself for n = 1)."""
    if n == 1:
        return REALS
    return m(rf"\mathbb{{R}}^{{{n}}}", f"ℝ{_superscript(n)}")


def exact_point(values: Sequence[sympy.Expr]) -> sympy.Basic:
    """An exact point for prose: the number itself in one dimension, else a SymPy tuple (x1, …, xn).

    A rational of more than 30 digits is given as a 15-digit Float (1e-400 stays 1.0e-400, not 0).
    """
    values = [_compact(sympy.sympify(v), DISPLAY_DIGITS) for v in values]
    return values[0] if len(values) == 1 else sympy.Tuple(*values)


def approx_point(values: Sequence[float], digits: int = 6) -> Prose:
    """A float64 point for prose, each coordinate to ``digits`` significant digits: (a, b, c), or a alone."""
    numbers = [Approx(float(v), digits) for v in values]
    if len(numbers) == 1:
        return (numbers[0],)
    pieces: list = ["("]
    for i, number in enumerate(numbers):
        pieces.extend([", "] if i else [])
        pieces.append(number)
    pieces.append(")")
    return tuple(pieces)


def approx_points(points: Sequence[Sequence[float]], digits: int = 6) -> Prose:
    """Several float64 points separated by commas, or the word "none"."""
    if not points:
        return ("none",)
    pieces: list = []
    for i, point in enumerate(points):
        pieces.extend([", "] if i else [])
        pieces.extend(approx_point(point, digits))
    return tuple(pieces)


def joined(items: Sequence, separator: str = ", ") -> Prose:
    """Prose pieces (SymPy conditions, equations) separated by words."""
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


def _one_decimal(value: float) -> Approx | float:
    """A count's expectation to one decimal place, as significant digits (what "%.1f" showed)."""
    if not np.isfinite(value) or value == 0:
        return float(value)
    return Approx(float(value), max(1, int(np.floor(np.log10(abs(value)))) + 2))


def assignment_map() -> tuple[list[sympy.Expr], tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...]]:
    """Problem 1's map: f(z) = [z1, z2·e^{z1}, (z3·e^{−z1} + z1²)^{1/3}], the cube root being the real one."""
    z = sympy.symbols("z1:4", real=True)
    x = sympy.symbols("x1:4", real=True)
    z1, z2, z3 = z
    components = [z1, z2 * sympy.exp(z1), real_cbrt(z3 * sympy.exp(-z1) + z1**2)]
    return components, z, x


@dataclass(frozen=True)
class Base:
    """The base distribution p_Z: i.i.d. coordinates of one family (normal, uniform, logistic, laplace)."""

    family: str = "normal"
    parameters: tuple[Fraction, ...] = (Fraction(0), Fraction(1))

    @property
    def is_standard_normal(self) -> bool:
        return self.family == "normal" and tuple(self.parameters) == (0, 1)

    @property
    def exact_parameters(self) -> tuple[sympy.Rational, ...]:
        return tuple(sympy.Rational(p.numerator, p.denominator) for p in self.parameters)

    def describe(self) -> str:
        """The base as the inputs record it (plain text)."""
        if self.is_standard_normal:
            return "N(0, I)"
        return f"{self.family}({', '.join(str(p) for p in self.parameters)}) in each coordinate, independently"

    @property
    def name(self) -> Prose:
        """The base's family with its parameters, as prose: N(0, I), or "the Laplace distribution with location 1 and scale 2"."""
        if self.is_standard_normal:
            return (N01,)
        p1, p2 = self.exact_parameters
        if self.family == "uniform":
            return ("the uniform distribution between ", p1, " and ", p2)
        if self.family == "normal":
            return ("the normal distribution with mean ", p1, " and standard deviation ", p2)
        family = {"logistic": "logistic", "laplace": "Laplace"}[self.family]
        return (f"the {family} distribution with location ", p1, " and scale ", p2)

    def describe_prose(self) -> Prose:
        """The base for a sentence: "the base distribution N(0, I)", or "each coordinate of z drawn independently from …"."""
        if self.is_standard_normal:
            return ("the base distribution ", *self.name)
        return ("each coordinate of ", Z, " drawn independently from ", *self.name)

    @property
    def support(self) -> tuple[float, float]:
        if self.family == "uniform":
            return float(self.parameters[0]), float(self.parameters[1])
        return -np.inf, np.inf

    def density_expr(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """p_Z(z) in closed form, inside the support."""
        n = len(latents)
        p1, p2 = self.exact_parameters
        if self.is_standard_normal:
            squared_norm = sum(c**2 for c in latents)
            return sympy.exp(-squared_norm / 2) / (2 * sympy.pi) ** sympy.Rational(n, 2)
        if self.family == "normal":
            squared = sum((c - p1) ** 2 for c in latents)
            return sympy.exp(-squared / (2 * p2**2)) / ((2 * sympy.pi) ** sympy.Rational(n, 2) * p2**n)
        if self.family == "uniform":
            return 1 / (p2 - p1) ** n
        if self.family == "logistic":
            return sympy.Mul(*[sympy.exp(-(c - p1) / p2) / (p2 * (1 + sympy.exp(-(c - p1) / p2)) ** 2) for c in latents])
        return sympy.exp(-sum(sympy.Abs(c - p1) for c in latents) / p2) / (2 * p2) ** n  # laplace

    def log_density_expr(self, latents: Sequence[sympy.Expr]) -> sympy.Expr:
        """log p_Z(z) in closed form, inside the support."""
        n = len(latents)
        p1, p2 = self.exact_parameters
        if self.is_standard_normal:
            return -sympy.Rational(n, 2) * sympy.log(2 * sympy.pi) - sum(c**2 for c in latents) / 2
        if self.family == "normal":
            return (-sympy.Rational(n, 2) * sympy.log(2 * sympy.pi) - n * sympy.log(p2)
                    - sum((c - p1) ** 2 for c in latents) / (2 * p2**2))
        if self.family == "uniform":
            return -n * sympy.log(p2 - p1)
        if self.family == "logistic":
            return sum(-(c - p1) / p2 - sympy.log(p2) - 2 * sympy.log(1 + sympy.exp(-(c - p1) / p2)) for c in latents)
        return -n * sympy.log(2 * p2) - sum(sympy.Abs(c - p1) for c in latents) / p2  # laplace

    def contains(self, latents: Sequence[sympy.Expr]) -> bool:
        """Whether the exact point z lies in the support (always, except for uniform)."""
        if self.family != "uniform":
            return True
        low, high = self.exact_parameters
        try:
            return all(bool(low <= c) and bool(c <= high) for c in latents)
        except TypeError:  # a comparison SymPy cannot decide exactly
            return all(float(low) <= float(c.evalf(30)) <= float(high) for c in latents)

    def log_pdf(self, latents: np.ndarray) -> np.ndarray:
        """log p_Z over the last axis, in float64 and log space; −∞ outside the support."""
        z = np.asarray(latents, dtype=np.float64)
        p1, p2 = float(self.parameters[0]), float(self.parameters[1])
        # The logarithms of the scale and width from the exact parameters: log(1e-400) is finite where 1e-400 is 0.
        log_scale = _log_of_fraction(self.parameters[1])
        with np.errstate(all="ignore"):
            if self.is_standard_normal:
                return log_standard_normal(z)
            if self.family == "normal":
                u = (z - p1) / p2
                per = -log_scale - 0.5 * LOG_2PI - 0.5 * u * u
            elif self.family == "uniform":
                log_width = _log_of_fraction(self.parameters[1] - self.parameters[0])
                per = np.where((z >= p1) & (z <= p2), -log_width, -np.inf)
            elif self.family == "logistic":
                u = (z - p1) / p2
                per = log_sigmoid(u) + log_sigmoid(-u) - log_scale
            else:
                per = -math.log(2) - log_scale - np.abs(z - p1) / p2
            return np.sum(per, axis=-1)

    def contains_mp(self, latents: Sequence) -> bool:
        """Whether the point z (mpmath numbers) lies in the support."""
        if self.family != "uniform":
            return True
        low, high = (_mp_fraction(p) for p in self.parameters)
        return all(low <= c <= high for c in latents)

    def log_pdf_mp(self, latents: Sequence):
        """log p_Z(z) in mpmath at the current precision, inside the support; no overflow at any size of z."""
        import mpmath

        n = len(latents)
        p1, p2 = (_mp_fraction(p) for p in self.parameters)
        if self.family == "normal":
            squares = mpmath.fsum(((c - p1) / p2) ** 2 for c in latents)
            return -n * (mpmath.log(2 * mpmath.pi) / 2 + mpmath.log(p2)) - squares / 2
        if self.family == "uniform":
            return -n * mpmath.log(p2 - p1)
        if self.family == "logistic":
            # log σ(u) + log σ(−u) = −|u| − 2·log(1 + e^(−|u|)), stable at any |u|
            terms = []
            for c in latents:
                u = abs((c - p1) / p2)
                tail = mpmath.exp(-u) if u < 2**40 else mpmath.mpf(0)
                terms.append(-u - 2 * mpmath.log1p(tail) - mpmath.log(p2))
            return mpmath.fsum(terms)
        return -n * mpmath.log(2 * p2) - mpmath.fsum(abs(c - p1) for c in latents) / p2  # laplace

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        p1, p2 = float(self.parameters[0]), float(self.parameters[1])
        if self.family == "normal":
            return p1 + p2 * rng.standard_normal((size, n))
        if self.family == "uniform":
            if math.isfinite(p2 - p1):
                return rng.uniform(p1, p2, (size, n))
            u = rng.random((size, n))  # a width beyond float64 (uniform(-1e308, 1e308)): interpolate instead
            return p1 * (1 - u) + p2 * u
        if self.family == "logistic":
            return rng.logistic(p1, p2, (size, n))
        return rng.laplace(p1, p2, (size, n))


STANDARD_NORMAL = Base()

# Numeric inversion: the residual ‖f(z) − x‖ a root must reach, relative to max(‖x‖, 1),
# and the distance below which two roots are the same (both well above float64 noise
# for well-conditioned maps, well below any real separation of preimages).
ROOT_RESIDUAL = 1e-10
ROOT_SEPARATION = 1e-6
RANDOM_STARTS = 24  # besides the origin, x itself and the base's centre
ROOT_SEED = 20240901  # fixed: the same starts on every run


@dataclass(frozen=True)
class Invertibility:
    """What is shown about f: ``verdict`` is bijective, injective, not invertible or not proven.

    ``text`` is the argument (prose), ``summary`` one sentence for a warning. ``witness`` holds two
    points: z_a ≠ z_b with f(z_a) = f(z_b), or, when ``sign_change`` is set, two points where
    det ∂f/∂z has opposite signs (evidence of non-injectivity, not a pair with one image).
    """

    verdict: str
    text: Prose
    witness: tuple[list[float], list[float]] | None = None
    witness_exact: tuple[list[str], list[str]] | None = None
    summary: Prose = ()
    sign_change: bool = False


MODEL_SECONDS = 2.5  # symbolic work on one map (tidying the Jacobians, the determinant), in total
POINT_SECONDS = 1.5  # symbolic work at one point (exact values, simplifications for display, the round trip)
TIDY_SECONDS = 1.0  # at most this much on any one simplification
DIFFERENTIATE_SECONDS = 3.0  # a Jacobian, on its own clock: it is needed, not a nicety
INVERT_SECONDS = 3.0  # the peeling inverter; past it, the map is inverted numerically
MAX_MP_DIGITS = 640  # the most digits ever asked of mpmath: p_X's 15-digit mantissa down to about 10^(−10^600)
READABLE_EXPONENT_DIGITS = 15  # a number beyond float64 whose exponent has more digits is shown as ±10^L


@lru_cache(maxsize=64)
def _log_of_fraction(value: Fraction) -> float:
    """log(value) for a positive exact number, as float64 (finite for 1e-400 and 1e400)."""
    import mpmath

    with mpmath.workdps(30):
        return float(mpmath.log(_mp_fraction(value)))


def _mp_fraction(value: Fraction):
    import mpmath

    return mpmath.mpf(int(value.numerator)) / int(value.denominator)


@dataclass(frozen=True)
class PointValues:
    """The closed form at one point x, evaluated with mpmath at bounded precision.

    ``latent`` is z = f⁻¹(x); ``det`` is det ∂f⁻¹/∂x and ``log_abs_det`` its log|·| (−∞ where the determinant is 0);
    ``log_base`` is log p_Z(z) (−∞ outside the support); ``log_density`` their sum.
    """

    latent: list
    det: object
    log_abs_det: object
    log_base: object
    log_density: object
    inside_support: bool
    digits: int


def _differentiated(work, what: str) -> sympy.Matrix:
    """A Jacobian from SymPy, within its own time limit (differentiation is linear in the size of the map)."""
    jacobian = Budget(DIFFERENTIATE_SECONDS).attempt(work)
    if jacobian is None:
        raise InputError(f"{what} could not be differentiated within {DIFFERENTIATE_SECONDS:g} s", "--transform")
    return jacobian


def _almost_everywhere(expr: sympy.Expr) -> sympy.Expr:
    """A derivative where it exists: DiracDelta (from sign) is 0 off a null set, and so is d sign(u);
    sign(u)² (from the derivative of a real root |u|^(1/k)·sign(u)) is 1 off that set."""
    if not isinstance(expr, sympy.Basic):
        return expr
    expr = expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
    expr = expr.replace(
        lambda e: e.is_Pow and isinstance(e.base, sympy.sign) and e.exp.is_Integer and e.exp.is_even and e.exp > 0,
        lambda e: sympy.Integer(1),
    )

    def derivative(e):
        inner, variables = e.expr, e.variable_count
        if isinstance(inner, sympy.sign):
            return sympy.Integer(0)
        if isinstance(inner, sympy.Abs):
            return sympy.sign(inner.args[0]) * sympy.Derivative(inner.args[0], *variables).doit()
        return e

    return expr.replace(lambda e: isinstance(e, sympy.Derivative), derivative)


def _permutation_sign(order: Sequence[int]) -> int:
    inversions = sum(1 for i in range(len(order)) for j in range(i + 1, len(order)) if order[i] > order[j])
    return -1 if inversions % 2 else 1


def triangular_determinant(matrix: sympy.Matrix) -> sympy.Expr | None:
    """det of a matrix that is triangular after permuting rows and columns: ± the product of the pivots.

    A triangular map's Jacobian is one (in the order its components were solved); None for any other.
    """
    n = matrix.rows
    rows, columns = list(range(n)), list(range(matrix.cols))
    pivots: list[tuple[int, int]] = []
    while rows:
        for r in rows:
            nonzero = [c for c in columns if matrix[r, c] != 0]
            if len(nonzero) <= 1:
                break
        else:
            return None
        if not nonzero:
            return sympy.Integer(0)
        pivots.append((r, nonzero[0]))
        rows.remove(r)
        columns.remove(nonzero[0])
    sign = _permutation_sign([r for r, _ in pivots]) * _permutation_sign([c for _, c in pivots])
    return sign * sympy.Mul(*[matrix[r, c] for r, c in pivots])


@dataclass(frozen=True)
class FlowModel:
    """A map f and everything derived from it symbolically: inverse, Jacobians, log-density.

    With a closed-form inverse (peeled, found by SymPy, or given and verified)
    the density is p_Z(f⁻¹(x))·|det ∂f⁻¹/∂x|; without one, f is inverted
    numerically at each point and p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x.
    Every simplification draws on ``budget``; past it, the derived forms stay as differentiated.
    """

    z: tuple[sympy.Symbol, ...]
    x: tuple[sympy.Symbol, ...]
    forward: sympy.Matrix  # f(z)
    inverse_steps: tuple[InverseStep, ...]
    base: Base = STANDARD_NORMAL
    given_inverse: sympy.Matrix | None = None  # from --inverse or sympy.solve, when not peeled
    inverse_method: str = "peeling"  # peeling, user, sympy.solve, numeric
    invertibility: Invertibility | None = None
    budget: Budget = field(default_factory=lambda: Budget(MODEL_SECONDS), compare=False, repr=False)

    @property
    def dimension(self) -> int:
        return len(self.z)

    @property
    def closed_form(self) -> bool:
        return self.inverse_method != "numeric"

    def tidied(self, expr: sympy.Expr) -> sympy.Expr:
        """:func:`tidy` within the budget (large constants held as symbols); the expression itself past it."""
        return self.budget.attempt(lambda: with_frozen_constants(tidy, expr), lambda: expr, limit=TIDY_SECONDS)

    @cached_property
    def inverse(self) -> sympy.Matrix:
        """f⁻¹(x), in the order of z."""
        if self.given_inverse is not None:
            return self.given_inverse
        solutions = {s.variable: s.solution for s in self.inverse_steps}
        return sympy.Matrix([solutions[v] for v in self.z])

    @cached_property
    def jacobian_forward(self) -> sympy.Matrix:
        return _differentiated(lambda: self.forward.jacobian(self.z).applyfunc(_almost_everywhere), "f")

    def _determinant(self, matrix: sympy.Matrix) -> sympy.Expr | None:
        product = triangular_determinant(matrix)
        if product is not None:
            return product
        return self.budget.attempt(lambda: matrix.det(method="berkowitz"))

    @cached_property
    def det_forward(self) -> sympy.Expr | None:
        # Triangular maps have a triangular Jacobian: the determinant is the
        # product of the diagonal, which stays readable where .det() would not.
        # None when a dense Jacobian's determinant does not finish within the budget.
        det = self._determinant(self.jacobian_forward)
        return None if det is None else self.tidied(det)

    @cached_property
    def jacobian_inverse(self) -> sympy.Matrix:
        raw = _differentiated(lambda: self.inverse.jacobian(self.x).applyfunc(_almost_everywhere), "the inverse of f")
        return raw.applyfunc(self.tidied)

    @cached_property
    def det_inverse(self) -> sympy.Expr:
        """det ∂f⁻¹/∂x, derived from the closed-form inverse."""
        det = self._determinant(self.jacobian_inverse)
        if det is None:
            raise InputError(
                "the Jacobian determinant of the inverse is too large to derive within the time budget", "--transform"
            )
        return self.budget.attempt(
            lambda: with_frozen_constants(lambda e: sympy.factor(tidy(e)), det), lambda: det, limit=TIDY_SECONDS
        )

    @cached_property
    def abs_det_inverse(self) -> sympy.Expr:
        return sympy.Abs(self.det_inverse)

    @cached_property
    def log_abs_det_jacobian(self) -> sympy.Expr:
        """log |det ∂f⁻¹/∂x|."""
        return sympy.log(self.abs_det_inverse)

    @cached_property
    def log_abs_det_in_log_space(self) -> sympy.Expr:
        """log |det ∂f⁻¹/∂x| as a sum of logarithms (log 3 + 2 log|x3|): finite where the determinant underflows."""
        return log_abs(self.det_inverse)

    @cached_property
    def density(self) -> sympy.Expr:
        """p_X(x) = p_Z(f⁻¹(x)) · |det ∂f⁻¹/∂x|; for N(0, I), (2π)^{−n/2} · exp(−‖f⁻¹(x)‖²/2) · |det ∂f⁻¹/∂x|."""
        return self.base.density_expr(list(self.inverse)) * self.abs_det_inverse

    @cached_property
    def log_density(self) -> sympy.Expr:
        return self.base.log_density_expr(list(self.inverse)) + self.log_abs_det_jacobian

    @cached_property
    def nondifferentiable_sets(self) -> list[tuple[sympy.Expr, sympy.Expr]]:
        """The cube roots' arguments w(z), each paired with w(f⁻¹(x)): f is not differentiable where w = 0."""
        arguments = sorted({atom.args[0] for atom in self.forward.atoms(real_cbrt)}, key=sympy.default_sort_key)
        substitution = dict(zip(self.z, self.inverse))
        pairs = []
        for w in arguments:
            w_in_x = Budget(DIFFERENTIATE_SECONDS).attempt(lambda w=w: w.subs(substitution))
            if w_in_x is not None:  # past its time, the set is not named (it still has measure zero)
                pairs.append((w, self.tidied(w_in_x)))
        return pairs

    @cached_property
    def image_conditions(self) -> tuple[sympy.Basic, ...]:
        """Conditions on x for f⁻¹(x) to exist (x1 > 0 for a layer exp); empty for a bijection of ℝⁿ."""
        return tuple(c for s in self.inverse_steps for c in s.image_conditions)

    # Numeric functions, lambdified once and vectorised over rows of points.
    @cached_property
    def _inverse_numeric(self):
        return vectorized(list(self.inverse), self.x)

    @cached_property
    def _forward_numeric(self):
        return vectorized(list(self.forward), self.z, saturate=True)

    @cached_property
    def _log_abs_det_numeric(self):
        return vectorized([self.log_abs_det_in_log_space], self.x)

    @cached_property
    def _image_numeric(self):
        conditions = [c for c in self.image_conditions if c is not sympy.true]
        return vectorized([sympy.Piecewise((1, c), (0, True)) for c in conditions], self.x, saturate=True) if conditions else None

    def inverse_map(self, points: np.ndarray) -> np.ndarray:
        """f⁻¹ applied to each row of ``points`` (shape (m, n)); returns shape (m, n)."""
        return self._inverse_numeric(*_columns(points)).T

    def forward_map(self, latents: np.ndarray) -> np.ndarray:
        """f applied to each row of ``latents``."""
        return self._forward_numeric(*np.asarray(latents, dtype=np.float64).T).T

    def log_abs_det(self, points: np.ndarray) -> np.ndarray:
        """log |det ∂f⁻¹/∂x| at each row of ``points``; −∞ where the determinant is 0."""
        return self._log_abs_det_numeric(*_columns(points))[0]

    def inside_image(self, points: np.ndarray) -> np.ndarray:
        """Whether each row of ``points`` satisfies the image conditions (so that f⁻¹ is defined there)."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if self._image_numeric is None:
            return np.ones(points.shape[0], dtype=bool)
        return np.all(self._image_numeric(*_columns(points)) == 1.0, axis=0)

    def values_at(self, values: dict, digits: int = MP_DIGITS, latent_exprs=None, det_expr=None) -> PointValues:
        """z, log|det ∂f⁻¹/∂x| and log p_X at one point, in mpmath at ``digits`` digits.

        ``values`` maps x to numbers; or pass the closed forms already evaluated exactly at the point
        (``latent_exprs``, ``det_expr``: SymPy constants) and an empty mapping. Raises MpUndefined
        where f⁻¹(x) has no real value and MpOutOfRange where bounded precision cannot resolve it.
        """
        import mpmath

        latent_exprs = list(self.inverse) if latent_exprs is None else latent_exprs
        det_expr = self.det_inverse if det_expr is None else det_expr
        with mpmath.workdps(digits):
            latent = [mp_value(e, values, digits) for e in latent_exprs]
            det = mp_value(det_expr, values, digits)
            log_abs_det = mpmath.log(abs(det)) if det else -mpmath.inf
            inside = self.base.contains_mp(latent)
            log_base = self.base.log_pdf_mp(latent) if inside else -mpmath.inf
            log_density = -mpmath.inf if not inside or log_abs_det == -mpmath.inf else log_base + log_abs_det
            if mpmath.isnan(log_density):
                raise MpOutOfRange("the log-density is infinity minus infinity")
        return PointValues(latent, det, log_abs_det, log_base, log_density, inside, digits)

    def _values_at_row(self, row: np.ndarray) -> tuple[np.ndarray, float]:
        """One row in mpmath from its exact float64 coordinates: (z, log p_X) as float64."""
        import mpmath

        values = {symbol: mpmath.mpf(float(v)) for symbol, v in zip(self.x, row)}
        try:
            result = self.values_at(values)
        except MpUndefined:  # f⁻¹(x) has no real value: x is outside the image, where p_X = 0
            return np.full(self.dimension, np.nan), float("-inf")
        except MpOutOfRange:  # beyond what bounded precision resolves: unknown, not zero
            return np.full(self.dimension, np.nan), float("nan")
        return np.array([mp_to_float(v) for v in result.latent]), mp_to_float(result.log_density)

    def log_density_at(self, points: np.ndarray, careful: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(z, log p_X) for each row of ``points``, in float64: log p_Z(z) + log|det ∂f⁻¹/∂x|.

        Rows outside the image of f have log p_X = −∞ (z is NaN where its formula has no value). A row whose float64
        evaluation overflows, underflows or breaks down (e^(−x1) overflowing next to (x3³ − x1²)
        underflowing) is evaluated again with mpmath at bounded precision from its exact coordinates,
        so each value is the float64 nearest the true one (±∞ or 0 only where the value is beyond float64).
        With ``careful`` False only rows that came out NaN are evaluated again (p_X for an integral, where
        e^(log p_X) underflows to 0 whatever the exact value).
        Without a closed-form inverse, z is the first root of f(z) = x found
        numerically and log p_X = logsumexp over all roots found of
        log p_Z(z) − log|det ∂f/∂z|; a row with no root found has z = NaN and log p_X = −∞.
        """
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if not self.closed_form:
            latents = np.full(points.shape, np.nan)
            log_p = np.full(points.shape[0], -np.inf)
            for row, point in enumerate(points):
                roots = self.preimages(point)
                if roots:
                    latents[row] = roots[0]
                    log_p[row] = self.log_density_from_roots(roots)
            return latents, log_p
        inside = self.inside_image(points)
        latents, log_p, clean = self._float_route(points, careful)
        if not careful:  # only the rows where float64 broke down (NaN): enough for an integral of p_X
            clean = ~np.isnan(log_p) & ~np.any(np.isnan(latents), axis=1)
            # A NaN coordinate set to the base's mode gives an upper bound on p_X; when even that is 0 (another
            # coordinate overflowed), the row's density is 0 without evaluating it again.
            broken = np.flatnonzero(~clean)
            if broken.size:
                mode = float(sum(self.base.parameters) / 2) if self.base.family == "uniform" else float(self.base.parameters[0])
                bounded = np.where(np.isnan(latents[broken]), mode, latents[broken])
                with np.errstate(all="ignore"):
                    bound = self.base.log_pdf(bounded) + self.log_abs_det(points[broken])
                zero = broken[bound == -np.inf]
                log_p[zero] = -np.inf
                clean[zero] = True
        for row in np.flatnonzero(inside & ~clean):
            latents[row], log_p[row] = self._values_at_row(points[row])
        # Outside the image p_X = 0. No z solves f(z) = x there; the inverse's formula may still give some
        # coordinates (x2 for a first layer exp), and NaN where it has no finite value (log x1 for x1 <= 0).
        outside = latents[~inside]
        outside[~np.isfinite(outside)] = np.nan
        latents[~inside] = outside
        log_p[~inside] = -np.inf
        return latents, log_p

    def _float_route(self, points: np.ndarray, careful: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """z and log p_X in float64, and which rows got there without any floating-point exception
        (not looked for unless ``careful``)."""
        columns = _columns(points)

        def evaluate(cols, errors):
            latents = self._inverse_numeric(*cols, errors=errors).T
            log_det = self._log_abs_det_numeric(*cols, errors=errors)[0]
            with np.errstate(all="ignore"):  # ‖z‖² overflowing is right: log p_Z is then beyond float64
                log_p = self.base.log_pdf(latents) + log_det
            return latents, log_p

        if not careful:
            latents, log_p = evaluate(columns, "ignore")
            return latents, log_p, np.ones(points.shape[0], dtype=bool)
        try:
            latents, log_p = evaluate(columns, "raise")
            clean = np.ones(points.shape[0], dtype=bool)
        except FloatingPointError:
            latents, log_p = evaluate(columns, "ignore")
            clean = np.zeros(points.shape[0], dtype=bool)
            suspects = np.isfinite(log_p) & np.all(np.isfinite(latents), axis=1)

            def bisect(rows: np.ndarray) -> None:
                try:
                    evaluate(columns[:, rows], "raise")
                    clean[rows] = True
                except FloatingPointError:
                    if rows.size > 1:
                        bisect(rows[: rows.size // 2])
                        bisect(rows[rows.size // 2:])

            candidates = np.flatnonzero(suspects)
            if candidates.size:
                bisect(candidates)
        clean &= np.isfinite(log_p) & np.all(np.isfinite(latents), axis=1)
        return latents, log_p, clean

    # Numeric inversion, for maps without a closed-form inverse.
    @cached_property
    def _jacobian_forward_numeric(self):
        return vectorized(list(self.jacobian_forward), self.z, saturate=True)

    def jacobian_forward_at(self, latents: np.ndarray) -> np.ndarray:
        """∂f/∂z at each row of ``latents``: shape (m, n, n)."""
        latents = np.atleast_2d(np.asarray(latents, dtype=np.float64))
        n = self.dimension
        return np.moveaxis(self._jacobian_forward_numeric(*latents.T), -1, 0).reshape(-1, n, n)

    def log_abs_det_forward(self, latents: np.ndarray) -> np.ndarray:
        """log |det ∂f/∂z| at each row of ``latents`` (slogdet of the lambdified symbolic Jacobian)."""
        return np.linalg.slogdet(self.jacobian_forward_at(latents))[1]

    def log_density_from_roots(self, roots: Sequence[np.ndarray]) -> float:
        """log Σ_roots p_Z(z)/|det ∂f/∂z|, in log space."""
        roots = np.asarray(roots, dtype=np.float64)
        with np.errstate(all="ignore"):
            terms = self.base.log_pdf(roots) - self.log_abs_det_forward(roots)
        terms = np.where(np.isnan(terms), -np.inf, terms)
        return float(logsumexp(terms)) if np.isfinite(terms).any() else float("-inf")

    def starts(self) -> np.ndarray:
        """Starting points for root finding: the origin, the base's centre and fixed-seed random points."""
        n = self.dimension
        rng = np.random.default_rng(ROOT_SEED)
        centre = float(sum(self.base.parameters) / 2) if self.base.family == "uniform" else float(self.base.parameters[0])
        spread = np.concatenate([rng.standard_normal((RANDOM_STARTS // 2, n)), 3 * rng.standard_normal((RANDOM_STARTS // 2, n))])
        return np.vstack([np.zeros((1, n)), np.full((1, n), centre), spread])

    def preimages(self, point: np.ndarray, extra_starts: Sequence[np.ndarray] = ()) -> list[np.ndarray]:
        """The distinct roots of f(z) = x found by scipy.optimize.root from several starts."""
        from scipy.optimize import root

        point = np.asarray(point, dtype=np.float64)
        # max-norms: the Euclidean norm of (1e300,) overflows, and an infinite tolerance accepts anything
        tolerance = ROOT_RESIDUAL * max(1.0, float(np.max(np.abs(point))))

        def residual(z):
            return self.forward_map(z[None, :])[0] - point

        def jacobian(z):
            return self.jacobian_forward_at(z)[0]

        found: list[np.ndarray] = []
        starts = [*extra_starts, point, *self.starts()] if point.shape == (self.dimension,) else [*extra_starts, *self.starts()]
        for start in starts:
            with np.errstate(all="ignore"):
                solution = root(residual, np.asarray(start, dtype=float), jac=jacobian, method="hybr", tol=1e-14)
                candidate = solution.x
                error = float(np.max(np.abs(residual(candidate))))
            if not np.all(np.isfinite(candidate)) or not error <= tolerance:
                continue
            if all(np.max(np.abs(candidate - other)) > ROOT_SEPARATION * max(1.0, float(np.max(np.abs(other))))
                   for other in found):
                found.append(candidate)
        return found


def _columns(points: np.ndarray) -> np.ndarray:
    """The coordinates of rows of points as contiguous columns: NumPy's loops run faster on unit strides."""
    return np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)


def density_records(model: FlowModel, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each row of ``points``: x, z = f⁻¹(x), log p_X(x) and p_X(x).

    NaN only where a value does not exist (a coordinate of z outside the image of f); ±∞ only where the
    value is beyond float64 (or is infinite); each row that float64 cannot evaluate is evaluated with mpmath.
    """
    latents, log_p = model.log_density_at(points)
    with np.errstate(over="ignore"):  # p_X above float64's range is written as ∞; log p_X holds its value
        density = np.exp(log_p)
    return {"x": points, "z": latents, "log_density": log_p, "density": density}


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """A cheap simplification first (expand, then gather powers and common factors); SymPy's general
    ``simplify`` only when that leaves something that is not visibly simpler. ``simplify`` costs seconds."""
    quick = sympy.factor_terms(sympy.powsimp(sympy.expand(expr)))
    if quick == 0 or sympy.count_ops(quick) <= sympy.count_ops(expr):
        return quick
    return sympy.simplify(expr)


def zero_or_simplified(expr: sympy.Expr) -> sympy.Expr:
    """For a zero test: 0 when the cheap rewrite shows it, else SymPy's full ``simplify``.

    asinh(sinh(u)) and atanh(tanh(u)) are cancelled first (u real): SymPy's simplify leaves them.
    """
    expr = cancel_inverse_pairs(expr)
    quick = sympy.factor_terms(sympy.powsimp(sympy.expand(expr)))
    return quick if quick == 0 else sympy.simplify(expr)


def simplifies_to_zero(matrix: sympy.Matrix, budget: Budget) -> bool | None:
    """True when SymPy reduces every entry to 0 within the budget; False when it does not; None when out of time."""
    def work():
        return matrix.applyfunc(lambda e: with_frozen_constants(zero_or_simplified, e)).is_zero_matrix

    result = budget.attempt(work, lambda: None, limit=TIDY_SECONDS)
    return None if result is None else bool(result)


def derive_flow(
    components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol], base: Base = STANDARD_NORMAL
) -> FlowModel:
    """Derive the inverse of a triangular map; raise NotInvertible when it cannot be isolated."""
    budget = Budget(MODEL_SECONDS)
    steps = invert_triangular(components, z, x, budget)
    return FlowModel(tuple(z), tuple(x), sympy.Matrix(components), tuple(steps), base, budget=budget)


@lru_cache(maxsize=1)
def assignment_flow() -> FlowModel:
    """Problem 1's map with its derived inverse (derived once per process)."""
    return derive_flow(*assignment_map())


# --------------------------------------------------------------------------- user-defined maps

SOLVE_TIME_LIMIT = 1.5  # seconds for sympy.solve (within the map's budget); beyond it we invert numerically
SOLVE_MAX_OPS = 40  # sympy.solve is only tried on small maps (count_ops of all components)
SIGN_SAMPLES = 256  # random points at which det ∂f/∂z is evaluated, looking for a sign change
DET_SIGN_FLOOR = 1e-8  # |det| below this is not trusted to have a sign


def _exact_point(values: np.ndarray) -> list[sympy.Expr] | None:
    """Small rationals (or simple constants) within 1e-9 of each coordinate, or None."""
    exact = []
    for v in values:
        guess = sympy.nsimplify(float(v), [sympy.pi], tolerance=1e-9, rational=False)
        if abs(float(guess) - float(v)) > 1e-9 or sympy.count_ops(guess) > 6:
            return None
        exact.append(guess)
    return exact


def find_witness(model: FlowModel, hint: NotInvertible | None = None) -> Invertibility | None:
    """Two points z_a ≠ z_b with f(z_a) = f(z_b), exactly where SymPy can confirm it, else to float64."""
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
    for z_a, extra in candidates:
        x_a = model.forward_map(z_a[None, :])[0]
        if not np.all(np.isfinite(x_a)):
            continue
        for z_b in model.preimages(x_a, extra_starts=extra):
            if np.linalg.norm(z_b - z_a) <= 1e-3 * max(1.0, float(np.linalg.norm(z_a))):
                continue
            exact_a, exact_b = model.budget.attempt(lambda: (_exact_point(z_a), _exact_point(z_b)), lambda: (None, None))
            if exact_a is not None and exact_b is not None:
                image_a = model.budget.attempt(lambda: model.forward.subs(dict(zip(model.z, exact_a))))
                image_b = model.budget.attempt(lambda: model.forward.subs(dict(zip(model.z, exact_b))))
                if image_a is not None and image_b is not None and simplifies_to_zero(image_a - image_b, model.budget):
                    point_a, point_b = z_equals(exact_point(exact_a)), z_equals(exact_point(exact_b))
                    text = (
                        F, " is not injective: ", point_a, " and ", point_b, " both map to ", exact_point(list(image_a)),
                        ", exactly (SymPy).",
                    )
                    summary = (F, " is not injective: ", point_a, " and ", point_b, " have the same image.")
                    return Invertibility(
                        "not invertible", text, (z_a.tolist(), z_b.tolist()),
                        # sstr here is the result's exact witness (a value for --json), not prose.
                        ([sympy.sstr(v) for v in exact_a], [sympy.sstr(v) for v in exact_b]),
                        summary,
                    )
            gap = float(np.linalg.norm(model.forward_map(z_b[None, :])[0] - x_a))
            text = (
                F, " is not injective: ", m("z =", "z ="), " ", *approx_point(z_a), " and ", m("z =", "z ="), " ",
                *approx_point(z_b), " both map to ", *approx_point(x_a), " (",
                m(r"\lVert f(z_a) - f(z_b) \rVert =", "‖f(z_a) − f(z_b)‖ ="), " ", Approx(gap, 2),
                " in float64, the two points ", Approx(float(np.linalg.norm(z_b - z_a)), 3), " apart).",
            )
            summary = (F, " is not injective: two distinct points ", Z, " have the same image ", F_OF_Z, ".")
            return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()), None, summary)
    return None


def _jacobian_sign_change(model: FlowModel, base: Base) -> Invertibility | None:
    """det ∂f/∂z positive at one point and negative at another: no continuous injective map does that."""
    if model.forward.has(sympy.sign):
        return None  # sign() is not continuous: the degree argument does not apply
    rng = np.random.default_rng(ROOT_SEED + 2)
    latents = np.vstack([base.sample(rng, SIGN_SAMPLES // 2, model.dimension), 3 * rng.standard_normal((SIGN_SAMPLES // 2, model.dimension))])
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
        DET_DFDZ, " changes sign: ", Approx(det_a, 4), " at ", m("z =", "z ="), " ", *approx_point(z_a), " and ",
        Approx(det_b, 4), " at ", m("z =", "z ="), " ", *approx_point(z_b), ". ", F, " reverses orientation somewhere "
        "and preserves it elsewhere; a continuous injective map of ", rn, " has the same local degree (the sign of ",
        DET_DFDZ, " wherever it is nonzero) everywhere, so ", F, " is not injective and not a diffeomorphism of ", rn, ".",
    )
    summary = (F, " is not injective: ", DET_DFDZ, " changes sign.")
    return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()), None, summary, sign_change=True)


def _solve_with_time_limit(components, z, x, budget: Budget) -> list[dict] | None:
    """sympy.solve(f(z) = x) within the budget; None on a timeout, an error, or a map too large to try."""
    if sum(sympy.count_ops(c) for c in components) > SOLVE_MAX_OPS or len(z) > 2:
        return None
    return budget.attempt(
        lambda: sympy.solve([c - xi for c, xi in zip(components, x)], list(z), dict=True), limit=SOLVE_TIME_LIMIT
    )


def refuse_without_density(model: FlowModel) -> None:
    """Refuse a map whose Jacobian determinant vanishes wherever f is differentiable: f(Z) then has no density.

    A component built from sign() is locally constant, so its row of ∂f/∂z is 0 almost everywhere;
    a map that ignores a variable has a column of zeros.
    """
    jacobian = model.jacobian_forward
    if jacobian.has(sympy.Derivative):
        raise InputError("f is not differentiable in closed form (a derivative SymPy cannot evaluate)", "--transform")
    n = model.dimension
    for i in range(n):
        if all(jacobian[i, j] == 0 for j in range(n)):
            raise InputError(
                f"component {i + 1} of f is locally constant (its derivative is 0 wherever it exists), so det ∂f/∂z = 0 "
                "almost everywhere and f(z) has no density",
                "--transform",
            )
    for j in range(n):
        if all(jacobian[i, j] == 0 for i in range(n)):
            raise InputError(
                f"f does not depend on {model.z[j]}, so det ∂f/∂z = 0 everywhere and f(z) has no density", "--transform"
            )


def transform_model(
    components: Sequence[sympy.Expr],
    z: Sequence[sympy.Symbol],
    x: Sequence[sympy.Symbol],
    base: Base = STANDARD_NORMAL,
    inverse: Sequence[sympy.Expr] | None = None,
) -> FlowModel:
    """A user's map with the best inverse we can justify and what is shown about its invertibility.

    Order: a given inverse (verified later, in the checks); the peeling inverter
    (triangular maps, with the reasons each layer is a bijection); sympy.solve on
    small maps, kept only when g(f(z)) = z simplifies to z; otherwise numeric
    inversion at each point. A non-injective layer or a sign change of det ∂f/∂z
    gives a witness. All symbolic work shares one time budget (MODEL_SECONDS).
    """
    budget = Budget(MODEL_SECONDS)
    z, x, forward = tuple(z), tuple(x), sympy.Matrix(components)
    if inverse is not None:
        given = sympy.Matrix(list(inverse))
        refuse_without_density(FlowModel(z, x, forward, (), base, given, "user", None, budget))
        determinant = budget.attempt(lambda: sympy.Matrix([given.jacobian(x).det(method="berkowitz")]))
        if determinant is not None and simplifies_to_zero(determinant, budget):
            raise InputError(
                "det ∂g/∂x is identically 0, so g collapses a dimension and cannot be the inverse of f", "--inverse"
            )
        left = simplifies_to_zero(given.subs(dict(zip(x, forward))) - sympy.Matrix(z), budget)
        text = (
            (
                "The inverse ", G, " was given. SymPy simplifies ", G_OF_F_MINUS_Z, " to ", ZERO, " for every ", Z, ": ",
                G, " undoes ", F, ", so ", F, " is injective, and ",
                m(r"p_X(x) = p_Z(g(x)) \, \lvert \det \partial g/\partial x \rvert", "p_X(x) = p_Z(g(x))·|det ∂g/∂x|"),
                " on the image of ", F, ".",
            )
            if left
            else (
                "The inverse ", G, " was given. SymPy could not simplify ", G_OF_F_MINUS_Z, " to ", ZERO,
                ", so injectivity is not proven; the checks below test ", F_OF_G_EQ_X, " at the point and at random points.",
            )
        )
        verdict = Invertibility("injective" if left else "not proven", text)
        return FlowModel(z, x, forward, (), base, given, "user", verdict, budget)
    hint = None
    try:
        with time_limit(INVERT_SECONDS):
            steps = invert_triangular(components, z, x, budget)
    except NotInvertible as error:
        hint = error
    except OutOfTime:
        hint = NotInvertible(("peeling ", F, " layer by layer did not finish within its time limit",))
    else:
        conditions = [c for s in steps for c in s.image_conditions]
        domain = [c for s in steps for c in s.domain_conditions]
        bijective = not conditions and not domain
        verdict = Invertibility("bijective" if bijective else "injective", "")
        model = FlowModel(z, x, forward, tuple(steps), base, None, "peeling", verdict, budget)
        refuse_without_density(model)
        return model
    numeric = FlowModel(z, x, forward, (), base, None, "numeric", None, budget)
    refuse_without_density(numeric)
    witness = find_witness(numeric, hint) if hint.not_injective else None
    if witness is None:
        witness = _jacobian_sign_change(numeric, base)
    if witness is not None:
        text = ("The peeling inverter stopped: ", *hint.reason, ". ", *witness.text)
        verdict = Invertibility(
            "not invertible", text, witness.witness, witness.witness_exact, witness.summary, witness.sign_change
        )
        return FlowModel(z, x, forward, (), base, None, "numeric", verdict, budget)
    solutions = _solve_with_time_limit(components, z, x, budget)
    if solutions is not None and len(solutions) == 1 and set(solutions[0]) == set(z):
        candidate = sympy.Matrix([solutions[0][v] for v in z])
        round_trip = budget.attempt(lambda: candidate.subs(dict(zip(x, forward))) - sympy.Matrix(z))
        if not candidate.has(sympy.I) and round_trip is not None and simplifies_to_zero(round_trip, budget):
            text = (
                "The peeling inverter stopped (", *hint.reason, "); sympy.solve found one solution ", G,
                ", and SymPy simplifies ", G_OF_F_MINUS_Z, " to ", ZERO, " for every ", Z, ": ", G, " undoes ", F,
                ", so ", F, " is injective.",
            )
            return FlowModel(z, x, forward, (), base, candidate, "sympy.solve", Invertibility("injective", text), budget)
    tried = "sympy.solve found no single closed form" if solutions is not None else (
        "sympy.solve was not tried (it is only run on small maps of one or two variables) or ran out of time"
    )
    text = (
        "No closed-form inverse: the peeling inverter stopped (", *hint.reason, ") and ", tried, ". ", F,
        " is inverted numerically at the point (scipy.optimize.root from the origin, ", X,
        " and reproducible random starts). Invertibility is not proven: no sign change of ", DET_DFDZ,
        " was seen at ", SIGN_SAMPLES, " random points and the root search is reported below.",
    )
    return FlowModel(z, x, forward, (), base, None, "numeric", Invertibility("not proven", text), budget)


# --------------------------------------------------------------------------- checks

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
    """∂function/∂point by SciPy's adaptive central differences, with SciPy's own error estimate per entry.

    The first initial step (0.5, then smaller) whose stencil stays where the function is finite: a step of
    0.5 from x = 0.5 reaches log(0) for the inverse of exp. Beyond |x| = 1000 the steps grow with |x|
    (float64's spacing at 1e17 is 16). The third value says whether a second estimate from steps eight
    times smaller agrees: across a jump (z + sign(z) at 0) the two differ, and differences cannot resolve
    the derivative there. None when no step keeps the stencil finite.
    """
    from scipy.differentiate import jacobian

    scale = np.maximum(1.0, np.abs(point) / FD_SCALE_FREE)

    def estimate(step: float):
        with np.errstate(all="ignore"):
            result = jacobian(lambda columns: function(*columns), point, initial_step=step * scale)
        df, error = np.asarray(result.df), np.asarray(result.error)
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


DENSITY_TOO_LARGE = (
    P_X, " is above the largest float64, so it prints as ", m(r"\infty", "∞"), "; ", LOG_P_X, " is exact.",
)
NOT_SMOOTH = (
    "finite differences from two step sizes disagree here: the map is not smooth at this point (a jump or a kink, "
    "a set of measure zero), so they cannot resolve the derivative"
)


def _fd_tolerance(reference: np.ndarray, estimated_error: np.ndarray) -> float:
    """FD_TOLERANCE, or ten times SciPy's own relative error estimate where differencing is harder than that."""
    scale = np.maximum(np.abs(reference), 1.0)
    return float(max(FD_TOLERANCE, 10 * np.max(np.nan_to_num(estimated_error, nan=np.inf) / scale)))


def _matrix_value(matrix: sympy.Matrix) -> list[list[float]]:
    return [[float(entry) for entry in row] for row in matrix.tolist()]


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
    """The symbolic ∂f⁻¹/∂x against SciPy's finite-difference Jacobian of the numeric inverse."""
    name = (DFINVDX, ": symbolic against finite differences")
    method = "scipy.differentiate.jacobian (central differences with Richardson extrapolation) of the inverse map"
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
    numeric = _finite_difference_jacobian(model._inverse_numeric, point)
    if numeric is None or not _float_trusted(numeric[0]):
        return _not_applicable(name, method, symbolic.tolist(), FD_TOLERANCE, (
            "every step from ", FD_STEPS[0], " down to ", FD_STEPS[-1], " leaves the domain of ", F_INV,
            " or float64's range, so finite differences cannot resolve the Jacobian here",
        ))
    numeric, estimated_error, smooth = numeric
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
            "; tolerance ", FD_TOLERANCE, " or ten times SciPy's error estimate",
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
    numeric = _finite_difference_jacobian(model._forward_numeric, latent)
    if numeric is None or not _float_trusted(numeric[0]):
        return _not_applicable(name, method, -log_abs_det, FD_TOLERANCE, (
            "the finite-difference Jacobian of ", F, " at ", Z, " under- or overflows float64 (or comes near it), "
            "so it cannot resolve the determinant here",
        ))
    numeric, estimated_error, smooth = numeric
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
            " or ten times SciPy's error estimate propagated to the log-determinant",
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


def local_log_density(model: FlowModel, rows: np.ndarray, preimages: Sequence[np.ndarray]) -> np.ndarray:
    """log p_X near x without a closed-form inverse: Newton's method, vectorised over rows, from each preimage of x."""
    rows = np.atleast_2d(rows)
    terms = []
    for start in preimages:
        latents = np.tile(start, (rows.shape[0], 1))
        for _ in range(NEWTON_ITERATIONS):
            with np.errstate(all="ignore"):
                jacobian = model.jacobian_forward_at(latents)
                residual = (model.forward_map(latents) - rows)[..., None]
                try:
                    step = np.linalg.solve(jacobian, residual)[..., 0]
                except np.linalg.LinAlgError:  # a row where ∂f/∂z is singular (abs at 0): least squares there
                    step = (np.linalg.pinv(np.nan_to_num(jacobian)) @ np.nan_to_num(residual))[..., 0]
            latents = latents - step
        with np.errstate(all="ignore"):
            term = model.base.log_pdf(latents) - model.log_abs_det_forward(latents)
            # Where Newton's method did not land on a root (x outside the image: |z| = x < 0), no preimage.
            missed = ~(np.max(np.abs(model.forward_map(latents) - rows), axis=1)
                       <= 1e3 * ROOT_RESIDUAL * np.maximum(1.0, np.max(np.abs(rows), axis=1)))
            terms.append(np.where(missed, -np.inf, term))
    stacked = np.array(terms)
    stacked = np.where(np.isnan(stacked), -np.inf, stacked)  # nan_to_num would also turn ±inf into ±1.8e308
    return logsumexp(stacked, axis=0)


NEWTON_ITERATIONS = 30  # quadratic convergence from a root of a nearby point: far more than enough in a small box


def check_monte_carlo(
    model: FlowModel, point: np.ndarray, density: float, samples: int, seed: int, half_width: float,
    preimages: Sequence[np.ndarray] = (),
) -> Check:
    """Push N(0, I) samples through f; the fraction in a box around x against ∫_box p_X (cubature)."""
    from scipy.integrate import cubature

    low, high = point - half_width, point + half_width
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
    name = ("Monte Carlo: ", samples, " samples of ", *model.base.name, " pushed through ", F)
    if distinct is not None and distinct < 0.5:
        # f(z) rounds many different z to one float64 (under- or overflow): the samples no longer describe
        # p_X, and no integral over a box of float64 points can be compared with them.
        return _not_applicable(name, ("fraction of ", F_OF_Z, " in a box around ", X), hits / samples, MC_Z_LIMIT, (
            "of the first ", min(samples, MC_DISTINCT_SAMPLE), " samples, only ", Approx(100 * distinct, 2),
            " percent give distinct float64 points ", F_OF_Z, ": float64 cannot resolve this distribution",
        ))

    def box_density(rows: np.ndarray) -> np.ndarray:
        if model.closed_form:
            log_p = model.log_density_at(rows, careful=False)[1]
        else:
            log_p = local_log_density(model, rows, preimages)
        # +∞ only at single points (the image of a zero of det ∂f/∂z): they carry no probability.
        return np.exp(np.where(log_p == np.inf, -np.inf, log_p))

    # A bounded number of regions: a wide box makes adaptive cubature subdivide for minutes. Its own
    # error estimate then enters the comparison, so an unconverged integral cannot fail the check.
    integral = cubature(box_density, low, high, rtol=1e-8, max_subdivisions=MC_SUBDIVISIONS)
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
            Approx(volume, 3), ") against the integral of ", m("p_X", "p_X"), " over the box (scipy.integrate.cubature); ",
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
            "; hits: ", hits, ", expected: ", _one_decimal(expected), " ", m(r"\pm", "±"), " ", _one_decimal(standard_error),
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
            " and at ", F_OF_Z, " for ", INVERSE_POINTS, " random ", Z, " from the base (random number stream ", seed, ")",
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
            m(r"\max(\lvert x \rvert, 1)", "max(|x|, 1)"), "; the root finder stops at a residual of ", ROOT_RESIDUAL,
            ", the tolerance allows for the difference between float64 and evaluation to ", MP_DIGITS, " digits",
        ),
    )


def _log_density_from_roots_mp(model: FlowModel, roots: Sequence[np.ndarray], log_dets: Sequence[float]):
    """log Σ_roots p_Z(z)/|det ∂f/∂z| with mpmath: log p_Z at the float64 roots is exact for them, at any size."""
    import mpmath

    if not roots:
        return -mpmath.inf
    with mpmath.workdps(MP_DIGITS):
        terms = []
        for root, log_det in zip(roots, log_dets):
            latent = [mpmath.mpf(float(v)) for v in root]
            log_base = model.base.log_pdf_mp(latent) if model.base.contains_mp(latent) else -mpmath.inf
            terms.append(log_base - log_det if not math.isnan(log_det) else -mpmath.inf)
        top = max(terms)
        if mpmath.isinf(top):
            return top
        return top + mpmath.log(mpmath.fsum(mpmath.exp(t - top) for t in terms))


def _numeric_flow_density(
    model: FlowModel, x_exact: list[sympy.Rational], point: np.ndarray, steps: list[Step], warnings: list[Notice],
    inputs: dict, verify: int, seed: int, box: float,
) -> Derivation:
    """p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x found numerically."""
    import mpmath

    invertibility = model.invertibility
    steps.append(Step("Invertibility", invertibility.text))
    if invertibility.verdict == "not invertible":
        warnings.append(Notice(invertibility.summary, key="invertible"))
    steps.append(Step((DFDZ,), ("Differentiate each component of ", F, " with respect to ", Z, "."),
                      equation(JACOBIAN_FORWARD, model.jacobian_forward)))
    roots = model.preimages(point)
    if roots:
        roots.sort(key=lambda r: -float(model.base.log_pdf(r[None, :])[0] - model.log_abs_det_forward(r)[0]))
    log_dets = [float(model.log_abs_det_forward(r)[0]) for r in roots]
    starts = len(model.starts()) + 1
    steps.append(
        Step(
            ("Preimages of ", X, ", numerically"),
            (
                "scipy.optimize.root (hybrid Powell, with the symbolic Jacobian) from ", starts, " starts: the origin, ",
                X, ", the base's centre and reproducible random points; roots whose residual ",
                m(r"\lVert f(z) - x \rVert", "‖f(z) − x‖"), " is at most ", ROOT_RESIDUAL, " times ",
                m(r"\max(\lVert x \rVert, 1)", "max(‖x‖, 1)"), ", kept when more than ", ROOT_SEPARATION,
                " apart. Found ", len(roots), ": ", *approx_points(roots), ".",
            ),
            value=[r.tolist() for r in roots],
        )
    )
    if len(roots) > 1 and invertibility.verdict != "not invertible":
        text = (F, " is not injective: ", len(roots), " distinct points map to ", X, ": ", *approx_points(roots), ".")
        summary = (F, " is not injective: ", len(roots), " distinct points map to ", X, ".")
        invertibility = Invertibility("not invertible", text, (roots[0].tolist(), roots[1].tolist()), None, summary)
        steps.append(Step("Invertibility, from the roots", text))
        warnings.append(Notice(summary, key="invertible"))
    log_density_mp = _log_density_from_roots_mp(model, roots, log_dets)
    log_density = mp_to_float(log_density_mp)
    if not roots:
        reason = (
            "No root of ", F_OF_Z_EQ_X, " was found from ", starts, " starts: ", X, " appears to lie outside the image of ",
            F, ", where ", P_X_ZERO, " (not proven: a root finder can miss a root).",
        )
        warnings.append(
            Notice(("No root of ", F_OF_Z_EQ_X, " was found, so ", X, " appears to lie outside the image of ", F, "."),
                   key="density")
        )
    elif len(roots) == 1:
        reason = (
            m(r"p_X(x) = p_Z(z) / \lvert \det \partial f/\partial z \rvert", "p_X(x) = p_Z(z) / |det ∂f/∂z|"),
            " at the root ", Z, " (inverse function theorem), in log space.",
        )
    else:
        reason = (
            F, " is not injective, so the density of ", X_EQ_F_OF_Z, " sums over the preimages: ",
            m(r"p_X(x) = \sum p_Z(z) / \lvert \det \partial f/\partial z \rvert", "p_X(x) = Σ p_Z(z) / |det ∂f/∂z|"),
            " over the ", len(roots), " roots found (other preimages may exist), in log space (logsumexp).",
        )
    density_mp = _density_from_log(log_density_mp, MP_DIGITS)
    density = mp_to_float(density_mp) if density_mp is not None else 0.0
    density_value = shown(density_mp) if density_mp is not None else sympy.Pow(
        10, shown(log_density_mp / mpmath.ln10), evaluate=False
    )
    steps.append(Step("Density", reason, value=density_value))
    steps.append(
        Step("Log-density", (LOG_P_X, ": ", m(r"\log p_Z(z)", "log p_Z(z)"), " with mpmath at the root found in float64, ",
                             m(r"\log \lvert \det \partial f/\partial z \rvert", "log|det ∂f/∂z|"), " in float64."),
             value=shown(log_density_mp))
    )
    if roots and math.isinf(density) and math.isfinite(log_density):
        warnings.append(Notice(DENSITY_TOO_LARGE, key="density"))
    if roots and density == 0.0 and math.isfinite(log_density):
        warnings.append(
            Notice((P_X, " is below the smallest positive float64, so it prints as 0; ", LOG_P_X, " is exact."), key="density")
        )
    if roots and log_density_mp == mpmath.inf:
        warnings.append(
            Notice((X, " is the image of a point where ", DET_DFDZ, " = 0, so ", m(r"p_X(x) = \infty", "p_X(x) = ∞"),
                    " (a limit, on a set of measure zero)."), key="density")
        )
    elif roots and math.isinf(log_density) and log_density_mp != -mpmath.inf:
        warnings.append(
            Notice((LOG_P_X, " is beyond float64's range, so it prints as an infinity; the Log-density step holds its value."),
                   key="log_density")
        )

    checks = []
    if roots:
        checks.append(check_roots(model, point, roots))
        for root, log_det in zip(roots[:1], log_dets[:1]):
            # Finite differences need room around the point: near float64's limits a step overflows.
            if np.isfinite(log_det) and max(np.max(np.abs(root)), np.max(np.abs(point))) < FD_RANGE:
                checks.append(check_forward_jacobian(model, root, -log_det))
        if verify:
            checks.append(check_monte_carlo(model, point, density, verify, seed, box, preimages=roots))
    result = {
        "invertible": False if invertibility.verdict == "not invertible" else None,
        "invertibility": invertibility.verdict,
        "inverse_method": "numeric",
        "z": roots[0].tolist() if roots else [],
        "preimages": [r.tolist() for r in roots],
        "density": density,
        "density_decimal": _density_text(log_density_mp, MP_DIGITS),
        "log_density": log_density,
        "log_abs_det_jacobian": -log_dets[0] if roots else float("-inf"),
        # Two points with one image; a sign change of det ∂f/∂z is evidence, not such a pair.
        "witness": list(invertibility.witness) if invertibility.witness is not None and not invertibility.sign_change else None,
        "checks_passed": all(c.passed for c in checks),
    }
    if invertibility.witness_exact is not None:
        result["witness_exact"] = list(invertibility.witness_exact)
    verdict = (
        (F, " is not injective") if invertibility.verdict == "not invertible"
        else (F, " has no closed-form inverse and is inverted numerically")
    )
    summed = (", summed over the ", len(roots), " preimages found") if len(roots) > 1 else ()
    answer = (*verdict, "; at ", x_equals(exact_point(x_exact)), ", ", P_X_EQ, " ", density_value, *summed, ".")
    return Derivation(
        command=COMMAND,
        title=("Change of variables: the density of ", X_EQ_F_OF_Z, ", ", F, " inverted numerically"),
        inputs=inputs,
        steps=steps,
        result=result,
        checks=checks,
        warnings=warnings,
        question=problem_question(model, x_exact),
        answer=answer,
    )


# --------------------------------------------------------------------------- the derivation


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


ASSIGNMENT_POINT = (sympy.Integer(0), sympy.Integer(1), sympy.Rational(1, 3))
ASSIGNMENT_MAP = m(
    r"X = f(Z) = \begin{bmatrix} z_1 & z_2 e^{z_1} & (z_3 e^{-z_1} + z_1^2)^{\frac{1}{3}} \end{bmatrix}",
    "X = f(Z) = [z₁  z₂·e^z₁  (z₃·e^(−z₁) + z₁²)^(1/3)]",
)


def is_assignment_model(model: FlowModel) -> bool:
    """Whether the model is Problem 1 itself: the assignment's map (given or typed) with the base N(0, I)."""
    components, z, _ = assignment_map()
    return model.base.is_standard_normal and model.z == tuple(z) and model.forward == sympy.Matrix(components)


def _map_signature(n: int) -> Math:
    rn = reals_power(n)
    return m(rf"f : {rn.latex} \rightarrow {rn.latex}", f"f : {rn.text} → {rn.text}")


def problem_question(model: FlowModel, x_exact: Sequence[sympy.Expr]) -> Prose:
    """Problem 1 as the assignment states it (at the point asked), or the same questions for another map."""
    x_exact = [sympy.sympify(c) for c in x_exact]
    if is_assignment_model(model):
        at = (
            m(r"x = [0 \;\; 1 \;\; 1/3]^T", "x = [0  1  1/3]ᵀ")
            if tuple(x_exact) == ASSIGNMENT_POINT
            else x_equals(sympy.Transpose(sympy.Matrix([[_compact(v, DISPLAY_DIGITS) for v in x_exact]])))
        )
        return (
            "Consider the transformation ", _map_signature(3), ", ", ASSIGNMENT_MAP,
            ". Is this an invertible transformation? What's the Jacobian of this transformation? Now assume we have a "
            "Multivariate Normal base distribution ", m(r"p(Z) \sim N_3(0, I)", "p(Z) ~ N₃(0, I)"), " on the domain of ",
            F, ". What's ", m("p(x)", "p(x)"), " at ", at, "? (", m("p(X)", "p(X)"), " and ", m("p(Z)", "p(Z)"),
            " are probability density functions.)",
        )
    n = model.dimension
    forward = model.forward[0] if n == 1 else model.forward.T
    return (
        "Consider the transformation ", _map_signature(n), ", ", equation(MAP_LABEL, forward),
        ". Is it invertible? What is its Jacobian? With ", *model.base.describe_prose(), ", what is ", P_X, " at ",
        x_equals(exact_point(x_exact)), "?",
    )


FLOAT_MAX = Fraction(np.finfo(np.float64).max)
FLOAT_TINY = float(np.finfo(np.float64).tiny)  # the smallest normal float64


def _short(value: Fraction) -> str:
    """A number for a message: three significant digits, whatever its size (no 300-digit integer)."""
    import mpmath

    with mpmath.workdps(15):
        return mpmath.nstr(_mp_fraction(value), 3)


def _exponent_digits(value) -> int:
    """How many digits the decimal exponent of an mpmath number has (0 for a number near 1)."""
    import mpmath

    if not value or mpmath.isinf(value):
        return 0
    exponent = abs(int(mpmath.mag(value))) * 30103 // 100000  # integer arithmetic: the magnitude may exceed a float
    return exponent.bit_length() * 30103 // 100000 + 1


def _mp_text(value) -> str:
    """An mpmath number as text with 15 significant digits; ±10^(…) when its exponent has more than 15 digits."""
    import mpmath

    if _exponent_digits(value) <= READABLE_EXPONENT_DIGITS:
        return mpmath.nstr(value, 15)
    with mpmath.workdps(30):
        return ("-" if value < 0 else "") + f"10^({_mp_text(mpmath.log10(abs(value)))})"


def shown(value):
    """A number for display: the float64 when it holds the value as a normal number, else SymPy's Float
    (an exponent of up to 15 digits), else ±10^L."""
    import mpmath

    number = mp_to_float(value)
    if mpmath.isinf(value) or not value or FLOAT_TINY <= abs(number) < math.inf:
        return number
    if _exponent_digits(value) <= READABLE_EXPONENT_DIGITS:
        return sympy.Float(value, 15)
    with mpmath.workdps(30):
        power = sympy.Pow(10, shown(mpmath.log10(abs(value))), evaluate=False)
    return -power if value < 0 else power


def _digits_before_point(value) -> int:
    """How many decimal digits the integer part of |value| has (from its binary magnitude: no huge int is built)."""
    import mpmath

    if not value or mpmath.isinf(value):
        return 0
    return max(1, int(mpmath.mag(value)) * 30103 // 100000 + 1)


def _density_from_log(log_density, digits: int):
    """p_X = e^(log p_X) as an mpmath number when its 15-digit mantissa is known at ``digits`` digits; else None.

    The mantissa needs log p_X to about 17 digits after the decimal point, so ``digits`` must cover the
    digits before it as well: 10^(−10^600) is the smallest density written out in decimal.
    """
    import mpmath

    if log_density == -mpmath.inf:
        return mpmath.mpf(0)
    if log_density == mpmath.inf:
        return mpmath.inf
    if digits < 17 + _digits_before_point(log_density):
        return None
    with mpmath.workdps(digits):
        return mpmath.exp(log_density)


def _density_text(log_density, digits: int) -> str:
    """p_X as a decimal string with 15 significant digits; 10^(log10 p_X) when the mantissa is beyond reach."""
    import mpmath

    if log_density == mpmath.inf:
        return "Infinity"
    density = _density_from_log(log_density, digits)
    if density is not None:
        return sympy.sstr(sympy.Float(density, 15)) if density else "0"
    with mpmath.workdps(digits):
        return f"10^({_mp_text(log_density / mpmath.ln10)})"


DISPLAY_DIGITS = 30  # the renderers show a longer exact integer or fraction as a 15-digit Float
RESULT_DIGITS = 300  # the result's exact string keeps rationals up to this many digits


def _compact(expr: sympy.Basic, digits: int = RESULT_DIGITS) -> sympy.Basic:
    """The expression with every rational of more than ``digits`` digits as a 15-digit Float, nothing evaluated.

    Evaluation is held back: exp(Float(-1e307)) would be evaluated by SymPy at once (and overflow its
    integer arithmetic), while exp(-10**307) stays exact.
    """
    bits = digits * 3.33
    long = [a for a in expr.atoms(sympy.Rational) if max(int(abs(a.p)).bit_length(), int(a.q).bit_length()) > bits]
    if not long:
        return expr
    with sympy.evaluate(False):
        return expr.xreplace({a: sympy.Float(mp_value(a), 15) for a in long})


def _exact_text(expr: sympy.Basic) -> str:
    """SymPy's text of an exact value; rationals beyond Python's 4,300-digit conversion limit as 15-digit Floats."""
    try:
        return sympy.sstr(expr)
    except ValueError:
        return sympy.sstr(_compact(expr))


def _display_safe(expr: sympy.Basic) -> bool:
    """Whether the renderers can print the exact value: they turn long rationals into Floats, and SymPy then
    evaluates a function of a Float at once (e^(1e307) overflows its integer arithmetic)."""
    for function in expr.atoms(sympy.Function, sympy.Pow):
        arguments = function.args if isinstance(function, sympy.Function) else function.args[1:]
        for a in arguments:  # only a bare number becomes a bare Float; exp(Float·exp(2)) stays unevaluated
            if a.is_Rational and abs(a) > 10**15 and max(int(abs(a.p)).bit_length(), int(a.q).bit_length()) > DISPLAY_DIGITS * 3.33:
                return False
    return True


def _for_display(expr):
    """An exact value at the point for a step, or None when no renderer could print it (see _display_safe)."""
    if expr is None or not _display_safe(expr):
        return None
    # Shortened here as the renderers would: they cannot measure a rational beyond Python's 4,300-digit
    # conversion limit, and print a matrix's entries without shortening them.
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(lambda e: _compact(e, DISPLAY_DIGITS))
    return _compact(expr, DISPLAY_DIGITS)


def _left_out(exact) -> Prose:
    """Why a step shows no exact form at the point (its value is still there, from mpmath)."""
    if exact is None:
        return ("the exact form at this point did not finish within the time budget, so it is left out; the value is "
                "from mpmath.",)
    return ("the exact form at this point raises e to numbers beyond ", sympy.Pow(10, 15, evaluate=False),
            ", which no renderer can write out, so "
            "it is left out; the value is from mpmath.")


def _zero_set_argument(w: sympy.Expr) -> sympy.Expr:
    """The innermost expression that is 0 exactly where w is: cbrt(u) = 0 and u**k = 0 (k > 0) iff u = 0."""
    while isinstance(w, real_cbrt) or (w.is_Pow and w.exp.is_positive):
        w = w.args[0]
    return w


def _point_values(model: FlowModel, at_point: dict, latent_exact, det_exact, digits: int) -> PointValues:
    """The closed form at the point with mpmath: from the exact values when SymPy produced them, else from x."""
    if latent_exact is not None and det_exact is not None:
        try:
            return model.values_at({}, digits, latent_exact, det_exact)
        except (MpUndefined, MpOutOfRange):  # SymPy's zoo at a pole: the limit is taken from x instead
            pass
    return model.values_at(at_point, digits)


def _float_representable(values: Sequence) -> bool:
    return all(v == 0 or FLOAT_TINY <= abs(float(v)) < math.inf for v in values)


def flow_density(
    x_point: Sequence[Fraction],
    verify: int = 0,
    seed: int = 0,
    box: float | Fraction = 0.1,
    model: FlowModel | None = None,
    transform: str | None = None,
) -> Derivation:
    """Derive p_X(x) for x = f(z), z ~ p_Z, step by step, with the checks that verify it.

    ``transform`` is the text the user typed (recorded in the inputs); ``model`` the map derived from it.
    ``box`` may be the exact number typed (a Fraction): it is range-checked before it becomes a float.
    Exact forms come from SymPy within a time budget; every number from them is evaluated with mpmath
    at a fixed precision (log space: log p_X is right where p_X itself is 10^(−10^600)).
    """
    import mpmath

    model = model or assignment_flow()
    n = model.dimension
    if len(x_point) != n:
        raise InputError(f"expected {n} coordinates, got {len(x_point)}", "--x")
    if verify < 0:
        raise InputError("the number of Monte Carlo samples must be 0 or more", "--verify")
    if not 0 < box <= 10:  # compared before any float(): an exact 1e400 would overflow it
        raise InputError("the box half-width must lie in (0, 10]", "--box")
    box = float(box)
    for i, c in enumerate(x_point):
        if abs(c) > FLOAT_MAX:
            raise InputError(f"x{i + 1} = {_short(c)} is beyond float64's range (about ±1.8e308)", "--x")
    x_exact = [sympy.Rational(c.numerator, c.denominator) for c in x_point]
    at_point = dict(zip(model.x, x_exact))
    point = np.array([float(c) for c in x_point])
    budget = Budget(POINT_SECONDS)
    steps: list[Step] = []
    warnings: list[Notice] = []
    rn = reals_power(n)

    cube_root_note = (
        (
            " The cube root is the real one: a negative argument has a negative root (Python's ",
            m(r"(-8)^{1/3}", "(−8)**(1/3)"), " and SymPy's default root are complex).",
        )
        if model.forward.has(real_cbrt) else ()
    )
    steps.append(
        Step(
            "The map",
            (_map_signature(n), ", with ", *model.base.describe_prose(), ".", *cube_root_note),
            equation(MAP_LABEL, model.forward),
        )
    )
    inputs = {"x": [str(c) for c in x_point], "verify": verify, "seed": seed, "box": box}
    if transform is not None:
        inputs = {"transform": transform, "base": model.base.describe(), **inputs}
    if not model.closed_form:
        return _numeric_flow_density(model, x_exact, point, steps, warnings, inputs, verify, seed, box)

    # Invertibility, from the peeling solver's reasons.
    if model.inverse_method == "peeling":
        lines: list = []
        for s in model.inverse_steps:
            why = joined(s.reasons, "; ") if s.reasons else (equation(s.target, s.variable), " is the identity")
            lines.extend(["\n", equation(s.target, s.component), ", solved for ", s.variable, ": ", *why, "."])
        image = [c for s in model.inverse_steps for c in s.image_conditions]
        domain = [c for s in model.inverse_steps for c in s.domain_conditions]
        if not image and not domain:
            verdict: Prose = (
                "\nEach layer is a bijection of ", REALS, ", so ", F, " is a bijection of ", rn, " onto ", rn,
                ", with the inverse below.",
            )
        else:
            verdict = (
                "\n", F, " is injective, with the inverse below on its image",
                *((": ", *joined(image)) if image else ()), ".",
            )
        if domain:
            verdict = (*verdict, " ", F, " is defined only where ", *joined(domain), ".")
            if model.base.family != "uniform":
                warnings.append(
                    Notice((F, " is defined only where ", *joined(domain), ", so this density integrates to less than one."),
                           key="density")
                )
        invertibility_text: Prose = (
            F, " is triangular: each component, in turn, involves one new latent variable, and solving for it peels off "
            "one strictly monotone layer at a time.", *lines, *verdict,
        )
    else:
        invertibility_text = model.invertibility.text
    steps.append(Step("Invertibility", invertibility_text, equation(sympy.Matrix(model.z), model.inverse)))

    for w, w_in_x in model.nondifferentiable_sets:
        zero_set = budget.attempt(
            lambda w_in_x=w_in_x: sympy.solve(sympy.Eq(_zero_set_argument(w_in_x), 0), dict=True),
            lambda: [], limit=TIDY_SECONDS,
        )
        where = joined([joined([equation(k, v) for k, v in sol.items()]) for sol in zero_set or []], " or ") or (
            equation(w_in_x, 0),
        )
        steps.append(
            Step(
                ("Where ", F, " is not differentiable"),
                (
                    "The cube root has an infinite derivative at ", ZERO, ", so ", F, " is not differentiable where ",
                    equation(w, 0), ", that is, where ", *where, ". This set has Lebesgue measure zero, so the "
                    "change-of-variables formula holds almost everywhere, and a density may take any value on it without "
                    "changing a single probability; the formula's value there is the continuous extension.",
                ),
                equation(w, 0),
            )
        )

    jacobian_forward = model.jacobian_forward
    triangular_forward = triangular_determinant(jacobian_forward) is not None
    det_forward = model.det_forward
    steps.append(
        Step(
            ("Jacobian of ", F),
            (
                "Differentiate each component of ", F, " with respect to ", Z,
                "; the matrix is triangular, so its determinant is the product of the diagonal."
                if triangular_forward else ".",
                *(() if det_forward is not None else (
                    " Its determinant did not finish expanding within the time budget; by the inverse function theorem it "
                    "is ", m(r"1/\det \partial f^{-1}/\partial x", "1/det ∂f⁻¹/∂x"), " at ", X_EQ_F_OF_Z, ".",
                )),
            ),
            equation(DET_FORWARD, det_forward) if det_forward is not None else None,
        )
    )
    steps.append(Step((DFDZ,), (), equation(JACOBIAN_FORWARD, jacobian_forward)))
    triangular_inverse = triangular_determinant(model.jacobian_inverse) is not None
    steps.append(
        Step(
            ("Jacobian of ", F_INV),
            (
                "Differentiating the closed-form inverse gives a triangular matrix again; by"
                if triangular_inverse and triangular_forward else "Differentiate the closed-form inverse; by",
                " the inverse function theorem its determinant is ", m(r"1/\det \partial f/\partial z", "1/det ∂f/∂z"),
                " at ", Z_EQ_F_INV, ".",
            ),
            equation(JACOBIAN_INVERSE, model.jacobian_inverse),
        )
    )
    steps.append(Step((DET_DFINVDX,), (), equation(DET_INVERSE, model.det_inverse)))

    for condition in model.image_conditions:
        try:
            holds = mp_value(condition, at_point)
        except (MpUndefined, MpOutOfRange):
            holds = None
        if holds is False:
            needs = sympy.sstr(condition)
            needs = f": the inverse needs {needs}" if len(needs) <= 80 else " (a condition of the inverse fails there)"
            raise InputError(f"x lies outside the image of f, so p_X(x) = 0 there{needs}", "--x")
    # Exact values at the point, for display; numbers from them come from mpmath at bounded precision.
    latent_exact = budget.attempt(lambda: [c.subs(at_point) for c in model.inverse], limit=TIDY_SECONDS)
    det_exact = budget.attempt(lambda: model.det_inverse.subs(at_point), limit=TIDY_SECONDS)
    try:
        values = _point_values(model, at_point, latent_exact, det_exact, MP_DIGITS)
        if mpmath.isfinite(values.log_density):
            # 15 digits of p_X = e^(log p_X) need log p_X to 15 digits after its decimal point.
            needed = 20 + _digits_before_point(values.log_density)
            if MP_DIGITS < needed <= MAX_MP_DIGITS:
                values = _point_values(model, at_point, latent_exact, det_exact, needed)
    except MpUndefined:
        try:
            [mp_value(c, at_point) for c in model.inverse]
        except (MpUndefined, MpOutOfRange):
            raise InputError("x lies outside the image of f (f⁻¹(x) is not real), so p_X(x) = 0 there", "--x") from None
        raise InputError(
            "det ∂f⁻¹/∂x has no value at x (a point of a measure-zero set where f is not differentiable); "
            "the density is undefined there", "--x",
        ) from None
    except MpOutOfRange as error:
        raise InputError(f"x is too extreme to evaluate at bounded precision: {error}", "--x") from None
    latent_float = [mp_to_float(v) for v in values.latent]
    latent_display = None if latent_exact is None else _for_display(sympy.Matrix(latent_exact))
    steps.append(
        Step(
            ("The latent point ", Z_EQ_F_INV),
            ("At ", x_equals(exact_point(x_exact)), ":", *(() if latent_display is not None else (" ", *_left_out(latent_exact)))),
            None if latent_display is None else equation(sympy.Matrix(model.z), latent_display),
            [shown(v) for v in values.latent],
        )
    )
    if any(math.isinf(v) for v in latent_float):
        warnings.append(
            Notice(("A coordinate of ", Z_EQ_F_INV, " is beyond float64's range, so it prints as ", m(r"\pm\infty", "±∞"),
                    "; the latent-point step holds its value."), key="z")
        )
    det_display = None if det_exact is None else budget.attempt(
        lambda: with_frozen_constants(tidy, det_exact), lambda: det_exact, limit=TIDY_SECONDS
    )
    steps.append(
        Step(
            "Determinant at the point",
            (DET_DFINVDX, " evaluated at ", X, "."),
            equation(DET_INVERSE, _for_display(det_display)) if _for_display(det_display) is not None else None,
            shown(values.det),
        )
    )

    zero_density = not values.inside_support or values.log_abs_det == -mpmath.inf
    infinite_density = not zero_density and values.log_density == mpmath.inf
    if zero_density:
        density_exact = sympy.Integer(0)
    elif infinite_density:
        density_exact = sympy.oo
    else:  # no simplify: it rewrites exp(−a·e²⁰) into cosh and sinh
        density_exact = budget.attempt(lambda: model.density.subs(at_point), limit=TIDY_SECONDS)
    density_mp = _density_from_log(values.log_density, values.digits)
    density_value = shown(density_mp) if density_mp is not None else (
        sympy.Pow(10, shown(values.log_density / mpmath.ln10), evaluate=False)
    )
    # density_decimal is a result value (its own string, for --json and --quiet); the steps hold numbers.
    density_text = _density_text(values.log_density, values.digits)
    density_float = mp_to_float(density_mp) if density_mp is not None else 0.0
    if zero_density or infinite_density:
        log_density_exact = -sympy.oo if zero_density else sympy.oo
    else:
        log_density_exact = budget.attempt(
            lambda: with_frozen_constants(lambda e: sympy.expand_log(e, force=True), model.log_density.subs(at_point)),
            limit=TIDY_SECONDS,
        )
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
    density_display = _for_display(density_exact)
    steps.append(
        Step(
            "Density",
            (density_formula, ", exactly:" if density_display is not None else ("; ", *_left_out(density_exact))),
            None if density_display is None else equation(DENSITY, density_display),
            density_value,
        )
    )

    float_log_density = mp_to_float(values.log_density)
    log_abs_det = mp_to_float(values.log_abs_det)
    if not values.inside_support:
        low, high = model.base.exact_parameters
        reason: Prose = (
            Z_EQ_F_INV, " lies outside the support of the base (each coordinate between ", low, " and ", high, "), so ",
            X, " is outside the image of the base's support under ", F, ": ", P_X_ZERO, " and ", LOG_P_X_MINUS_INF, ".",
        )
        warnings.append(Notice((Z_EQ_F_INV, " lies outside the support of the base, so ", P_X_ZERO, "."), key="density"))
    elif zero_density:
        reason = (
            m(r"\det \partial f^{-1}/\partial x = 0", "det ∂f⁻¹/∂x = 0"), " here: ", X, " lies on the image of the set "
            "where ", F, " is not differentiable, so ", P_X_ZERO, " and ", LOG_P_X_MINUS_INF,
            " (this measure-zero set carries no probability).",
        )
        warnings.append(
            Notice(
                (X, " lies where ", m(r"\det \partial f^{-1}/\partial x = 0", "det ∂f⁻¹/∂x = 0"),
                 ", a set of measure zero, so ", P_X_ZERO, "."),
                key="density",
            )
        )
    elif infinite_density:
        reason = (
            m(r"\lvert \det \partial f^{-1}/\partial x \rvert = \infty", "|det ∂f⁻¹/∂x| = ∞"), " here: ", X,
            " is the image of a point where ", DET_DFDZ, " is 0, so the formula gives ",
            m(r"p_X(x) = \infty", "p_X(x) = ∞"), " (its limit; a single point carries no probability, and the density "
            "may take any value there).",
        )
        warnings.append(
            Notice((X, " is the image of a point where ", DET_DFDZ, " = 0, so ", m(r"p_X(x) = \infty", "p_X(x) = ∞"),
                    " (a limit, on a set of measure zero)."), key="density")
        )
    else:
        log_base = (
            m(r"\log \mathcal{N}(z; 0, I)", "log N(z; 0, I)") if model.base.is_standard_normal
            else m(r"\log p_Z(z)", "log p_Z(z)")
        )
        reason = (
            "Computed in log space: ", log_base, " + ", m(r"\log \lvert \det \partial f^{-1}/\partial x \rvert",
                                                        "log|det ∂f⁻¹/∂x|"),
            ", finite even where ", m("p_X", "p_X"), " underflows; evaluated with mpmath at ", values.digits,
            " significant digits from the exact values above.",
        )
        if density_float == 0.0 and math.isfinite(float_log_density):
            warnings.append(
                Notice((P_X, " is below the smallest positive float64, so it prints as 0; ", LOG_P_X, " is exact."),
                       key="density")
            )
        if math.isinf(density_float):
            warnings.append(Notice(DENSITY_TOO_LARGE, key="density"))
        if math.isinf(float_log_density):
            warnings.append(
                Notice(
                    (LOG_P_X, " is beyond float64's range, so it prints as ",
                     MINUS_INF if float_log_density < 0 else m(r"\infty", "∞"), "; the Log-density step holds its value."),
                    key="log_density",
                )
            )
    if math.isinf(log_abs_det) and not zero_density and not infinite_density:
        warnings.append(
            Notice((m(r"\log \lvert \det \partial f^{-1}/\partial x \rvert", "log|det ∂f⁻¹/∂x|"),
                    " is beyond float64's range, so it prints as an infinity; the determinant step holds its value."),
                   key="log_abs_det_jacobian")
        )
    log_density_display = _for_display(log_density_exact)
    steps.append(
        Step(
            "Log-density", (*reason, *(() if log_density_display is not None else (" Here ", *_left_out(log_density_exact)))),
            None if log_density_display is None else equation(LOG_DENSITY, log_density_display),
            shown(values.log_density),
        )
    )

    # Checks, each by an independent route.
    checks = []
    round_trip = check_round_trip(model, budget)
    checks.append(round_trip)
    if model.inverse_method != "peeling" or not round_trip.applicable:
        checks.append(check_inverse_numeric(model, x_exact, seed))
    # The float64 route (batch mode's) at x as float64, against mpmath at that same point.
    x_representable = _float_representable(point) and all(
        Fraction(float(c)) == c or float(c) != 0 for c in x_point
    )
    route_latent, route_log = model.log_density_at(point[None, :])
    reference = None
    if x_representable:
        try:
            reference = model.values_at({s: mpmath.mpf(float(v)) for s, v in zip(model.x, point)})
        except (MpUndefined, MpOutOfRange):
            reference = None
    if reference is not None:
        checks.append(check_latent_point(route_latent[0], reference.latent))
    latent_representable = _float_representable(latent_float) and all(
        (not v) or FLOAT_TINY <= abs(mp_to_float(v)) for v in values.latent
    )
    # Finite differences need room around the point: near float64's limits a step overflows.
    fd_safe = bool(
        x_representable and latent_representable
        and max(np.max(np.abs(point)), max(abs(v) for v in latent_float)) < FD_RANGE
    )
    differentiable_here = True
    for _, w_in_x in model.nondifferentiable_sets:
        try:
            differentiable_here &= bool(mp_value(w_in_x, at_point) != 0)
        except (MpUndefined, MpOutOfRange):
            differentiable_here = False
    if fd_safe:
        checks.append(check_inverse_jacobian(model, point))
        if differentiable_here and math.isfinite(log_abs_det):
            checks.append(check_forward_jacobian(model, np.array(latent_float), log_abs_det))
    else:
        steps.append(
            Step(
                "Finite-difference checks skipped",
                (
                    X, " or ", Z_EQ_F_INV, " has a coordinate beyond ", FD_RANGE, " in absolute value, or one that "
                    "float64 cannot hold as a normal number, where a finite-difference step overflows or loses its "
                    "digits; the symbolic Jacobians above are exact regardless.",
                ),
            )
        )
    if reference is not None:
        checks.append(check_log_density(float(route_log[0]), reference.log_density))
    else:
        steps.append(
            Step(
                "Float64 checks skipped",
                (X, " has a coordinate that float64 cannot hold as a normal number (or rounding it to float64 leaves "
                 "the image of ", F, "), so the float64 route cannot be compared at this point; the values above come "
                 "from mpmath at the exact point."),
            )
        )
    if verify:
        checks.append(check_monte_carlo(model, point, density_float, verify, seed, box))
    if model.budget.ran_out or budget.ran_out:
        steps.append(
            Step(
                "Time budget",
                ("Some of SymPy's simplifications did not finish within their time budget of a few seconds: the formulas "
                 "concerned are shown as derived, unsimplified. Every number comes from evaluating the same closed forms "
                 "with mpmath at a fixed precision."),
            )
        )

    verdict_name = model.invertibility.verdict if model.invertibility else "bijective"
    result = {
        "invertible": verdict_name in ("bijective", "injective"),
        "invertibility": verdict_name,
        "inverse_method": model.inverse_method,
        "z": latent_float,
        "density": density_float,
        "density_decimal": density_text,
        "log_density": float_log_density,
        "log_abs_det_jacobian": log_abs_det,
        "density_exact": density_text if density_exact is None else budget.attempt(
            lambda: _exact_text(density_exact), lambda: density_text
        ),
        "checks_passed": all(c.passed for c in checks),
    }
    return Derivation(
        command=COMMAND,
        title=(
            "Change of variables: the density of ", X_EQ_F_OF_Z, ", ",
            m(r"z \sim \mathcal{N}(0, I)", "z ~ N(0, I)") if model.base.is_standard_normal else m(r"z \sim p_Z", "z ~ p_Z"),
        ),
        inputs=inputs,
        steps=steps,
        result=result,
        checks=checks,
        warnings=warnings,
        question=problem_question(model, x_exact),
        answer=_closed_form_answer(
            model, x_exact, None if density_display is None or zero_density
            or budget.attempt(lambda: sympy.count_ops(density_exact) > 25, lambda: True) else density_display,
            density_value,
        ),
    )


def _closed_form_answer(
    model: FlowModel, x_exact: Sequence[sympy.Expr], density_exact: sympy.Expr | None, density_value
) -> Prose:
    """One sentence: whether f is invertible, its Jacobian determinant, and p_X(x) at the point.

    ``density_exact`` is the closed form at the point when it is short enough for a sentence, else None.
    """
    verdict_name = model.invertibility.verdict if model.invertibility else "bijective"
    verdict = {
        "bijective": (F, " is a bijection of ", reals_power(model.dimension)),
        "injective": (F, " is injective"),
    }.get(verdict_name, ("the inverse given for ", F, " is not proven symbolically"))
    if density_exact is not None:
        density = (equation(DENSITY, density_exact), ", about ", density_value)
    else:
        density = (P_X_EQ, " ", density_value)
    determinant = (
        ("its Jacobian determinant is ", equation(DET_FORWARD, model.det_forward))
        if model.det_forward is not None
        else ("its Jacobian determinant is ", m(r"1/\det \partial f^{-1}/\partial x", "1/det ∂f⁻¹/∂x"))
    )
    return (
        *verdict, "; ", *determinant, "; at ", x_equals(exact_point(x_exact)), " the density is ", *density, ".",
    )
