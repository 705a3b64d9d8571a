"""Change of variables through an invertible map (Problem 1).

For x = f(z) with z ~ N(0, I):  p_X(x) = N(f⁻¹(x); 0, I) · |det ∂f⁻¹/∂x|.
The inverse and both Jacobians are derived with SymPy from the map itself;
numbers come from the same expressions, evaluated in float64 and log space.
A triangular map without a closed-form inverse is proven one to one layer by
layer (each layer strictly monotone in its new variable, with its limits at ±∞)
and inverted by bisection on the float64 numbers, on whole columns of points.
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
from dgm_cli.solvers.differences import jacobian
from dgm_cli.solvers.numerics import LOG_2PI, log_sigmoid, log_standard_normal, logsumexp
from dgm_cli.solvers.symbolic import (
    MP_DIGITS,
    REALS,
    Budget,
    InverseStep,
    Label,
    MonotoneLayer,
    MpOutOfRange,
    MpUndefined,
    NotInvertible,
    OutOfTime,
    cancel_inverse_pairs,
    equation,
    to_sympy,
    invert_triangular,
    log_abs,
    mp_to_float,
    mp_value,
    prove_triangular,
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
    values = [_compact(to_sympy(v), DISPLAY_DIGITS) for v in values]
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
    inverse_method: str = "peeling"  # peeling, user, sympy.solve, bisection, numeric
    invertibility: Invertibility | None = None
    budget: Budget = field(default_factory=lambda: Budget(MODEL_SECONDS), compare=False, repr=False)
    # A triangular map proven one to one layer by layer, some layers without a closed form (inverse_method
    # "bisection"): f⁻¹ is computed layer by layer, those layers by bisection.
    layers: tuple[MonotoneLayer, ...] = field(default=(), compare=False, repr=False)

    @property
    def dimension(self) -> int:
        return len(self.z)

    @property
    def closed_form(self) -> bool:
        return self.inverse_method not in ("numeric", "bisection")

    @property
    def by_bisection(self) -> bool:
        """f proven one to one, its inverse computed layer by layer (bisection where a layer has no closed form)."""
        return self.inverse_method == "bisection"

    @property
    def vectorised(self) -> bool:
        """Whether f⁻¹ is evaluated on whole columns of points (a closed form, or bisection)."""
        return self.closed_form or self.by_bisection

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
        if self.by_bisection:
            return self._bisection_log_density(points)
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
        # Outside the image p_X = 0, and no z solves f(z) = x: no coordinate of z has a value there (NaN, written
        # as null or an empty cell), even where the inverse's formula would give one (x2 for a first layer exp).
        latents[~inside] = np.nan
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

    # f⁻¹ layer by layer, for a map proven one to one (inverse_method "bisection").
    @cached_property
    def _layer_numeric(self) -> list[tuple]:
        functions = []
        for layer in self.layers:
            if layer.solution is not None:
                conditions = [c for c in layer.image_conditions if c is not sympy.true]
                image = vectorized([sympy.Piecewise((1, c), (0, True)) for c in conditions],
                                   (layer.target, *layer.earlier), saturate=True) if conditions else None
                functions.append((vectorized([layer.solution], (layer.target, *layer.earlier)), image))
            else:
                functions.append((vectorized([layer.component], (layer.variable, *layer.earlier), saturate=True),
                                  vectorized(list(layer.limits), layer.earlier, saturate=True)))
        return functions

    def bisection_inverse(self, points: np.ndarray, partial: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """z = f⁻¹(x) for each row, layer by layer: a peeled layer from its closed form, any other by bisection
        (it is strictly monotone in its variable, with the open interval between its limits as its image).

        Returns the latents (every coordinate NaN in a row outside the image of f) and, for each row, the index
        of the first layer whose image misses x (−1 for a row inside the image). With ``partial``, a row outside
        keeps the coordinates of the layers before the one that misses x (for saying why).
        """
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        rows = points.shape[0]
        latents = np.full(points.shape, np.nan)
        failed = np.full(rows, -1)
        for k, (layer, (first, second)) in enumerate(zip(self.layers, self._layer_numeric)):
            target = points[:, self.x.index(layer.target)]
            earlier = [latents[:, self.z.index(v)] for v in layer.earlier]
            if layer.solution is not None:
                value = first(*([target, *earlier]))[0]
                ok = ~np.isnan(value)
                if second is not None:
                    ok &= np.all(second(target, *earlier) == 1.0, axis=0)
            else:
                with np.errstate(all="ignore"):
                    low, high = np.broadcast_to(np.asarray(second(*earlier)).reshape(2, -1), (2, rows))
                    ok = (target > np.minimum(low, high)) & (target < np.maximum(low, high))  # NaN: not inside
                value = np.full(rows, np.nan)
                run = np.flatnonzero((failed < 0) & ok)
                if run.size:
                    sign = 1.0 if layer.increasing else -1.0
                    columns = [e[run] for e in earlier]
                    roots, left, right, unresolved = bisect_increasing(
                        lambda v, sign=sign, first=first, columns=columns: sign * first(v, *columns)[0],
                        sign * target[run], full=True)
                    for i in np.flatnonzero(unresolved):  # float64 overflows beside the root: decide in mpmath
                        known = {v: float(latents[run[i], self.z.index(v)]) for v in layer.earlier}
                        roots[i] = _nearer_in_mpmath(layer, known, float(target[run[i]]), left[i], right[i])
                    value[run] = roots
            failed[(failed < 0) & ~ok] = k
            latents[:, self.z.index(layer.variable)] = np.where(failed < 0, value, np.nan)
        if not partial:
            latents[failed >= 0] = np.nan
        return latents, failed

    def _bisection_log_density(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, log p_X) by bisection: log p_Z(z) − log|det ∂f/∂z| at z; −∞ outside the image. A row whose float64
        evaluation breaks down (∞ − ∞) is evaluated again with mpmath from its float64 latent point."""
        latents, failed = self.bisection_inverse(points)
        inside = failed < 0
        with np.errstate(all="ignore"):
            log_p = self.base.log_pdf(latents) - self.log_abs_det_forward(np.nan_to_num(latents))
        log_p[~inside] = -np.inf
        # A latent coordinate beyond float64 (|z| > 1.8e308): p_Z is below e^(−1.8e308) for every base family.
        beyond = inside & np.any(np.isinf(latents), axis=1)
        log_p[beyond] = -np.inf
        for row in np.flatnonzero(inside & ~beyond & np.isnan(log_p)):
            log_p[row] = mp_to_float(self.log_density_at_latent_mp(latents[row]))
        return latents, log_p

    def log_abs_det_forward_mp(self, latent: Sequence[float]):
        """log|det ∂f/∂z| at a float64 latent point, with mpmath at 50 digits (no overflow at any size)."""
        import mpmath

        values = {symbol: mpmath.mpf(float(v)) for symbol, v in zip(self.z, latent)}
        with mpmath.workdps(MP_DIGITS):
            if self.det_forward is not None:
                det = mp_value(self.det_forward, values)
            else:
                det = mpmath.det(mpmath.matrix([[mp_value(e, values) for e in row] for row in self.jacobian_forward.tolist()]))
            return mpmath.log(abs(det)) if det else -mpmath.inf

    def log_density_at_latent_mp(self, latent: Sequence[float]):
        """log p_Z(z) − log|det ∂f/∂z| at a float64 latent point, with mpmath at 50 digits; −∞ where it has no value."""
        import mpmath

        with mpmath.workdps(MP_DIGITS):
            point = [mpmath.mpf(float(v)) for v in latent]
            if not self.base.contains_mp(point):
                return -mpmath.inf
            try:
                log_det = self.log_abs_det_forward_mp(latent)
            except (MpUndefined, MpOutOfRange):
                return -mpmath.inf
            value = self.base.log_pdf_mp(point) - log_det
            return -mpmath.inf if mpmath.isnan(value) else value

    def preimages(self, point: np.ndarray, extra_starts: Sequence[np.ndarray] = ()) -> list[np.ndarray]:
        """The distinct roots of f(z) = x found by scipy.optimize.root from several starts (for a map proven one
        to one, the one root found layer by layer, or none outside the image)."""
        from scipy.optimize import root

        if self.by_bisection:
            latents, failed = self.bisection_inverse(np.asarray(point, dtype=np.float64)[None, :])
            return [latents[0]] if failed[0] < 0 and np.all(np.isfinite(latents[0])) else []

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


# --------------------------------------------------------------------------- bisection on the float64 numbers

_MAGNITUDE_BITS = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_SIGN_BIT = np.int64(-0x8000_0000_0000_0000)
_LARGEST = float(np.finfo(np.float64).max)


def _float_keys(values: np.ndarray) -> np.ndarray:
    """Each float64 as an int64 in the same order (−0.0 just below +0.0): neighbouring floats, neighbouring keys."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, -1 - (bits & _MAGNITUDE_BITS), bits)


def _key_floats(keys: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_float_keys`."""
    keys = np.asarray(keys, dtype=np.int64)
    bits = np.where(keys < 0, (-1 - keys) | _SIGN_BIT, keys)
    return np.ascontiguousarray(bits).view(np.float64)


BISECTION_STEPS = 64  # halvings of the 2^64 float64 keys: from the whole range to two neighbouring floats
_LOWEST_KEY = int(_float_keys(np.array([-_LARGEST]))[0])
_HIGHEST_KEY = int(_float_keys(np.array([_LARGEST]))[0])


def _first_key(values, target: np.ndarray, strict: bool) -> np.ndarray:
    """For each entry, the key of the smallest finite float64 v with f(v) >= target (> with ``strict``), for an
    increasing f given as ``values(keys)``; one past the largest float when there is none. A bisection on the keys:
    at most 64 halvings of the 2^64 of them."""
    low = np.full(target.shape, _LOWEST_KEY - 1, dtype=np.int64)  # −inf: never evaluated, taken as below
    high = np.full(target.shape, _HIGHEST_KEY + 1, dtype=np.int64)  # +inf: never evaluated, taken as above
    for _ in range(BISECTION_STEPS + 2):
        active = high - 1 > low
        if not active.any():
            break
        middle = (low >> 1) + (high >> 1) + (low & high & 1)  # no overflow of low + high
        f = values(middle)
        reached = (f > target) if strict else (f >= target)
        low = np.where(active & ~reached, middle, low)
        high = np.where(active & reached, middle, high)
    return high


def bisect_increasing(function, target: np.ndarray, full: bool = False):
    """The root of function(v) = target for each entry, for a continuous strictly increasing ``function``
    evaluated on whole columns: bisection on the float64 numbers themselves (their ordered bit patterns), from
    the whole float64 range down to neighbouring floats in at most 64 halvings.

    Where float64 evaluates f to exactly the target on a run of floats (f flat to float64's precision there:
    z³ + z⁵ near 0 underflows), the root is the middle of that run; otherwise, of the two neighbouring floats
    that bracket it, the one whose value is nearer. A root beyond float64's range is ±inf. NaN from
    ``function`` (∞ − ∞ far out) counts as the limit on that side.

    With ``full``, also returns the two neighbouring floats that bracket each root and where float64 could not
    tell which is nearer (f overflows next to the root: e^1000·tanh(z) at z = 5e-324), for a caller to decide
    with extended precision.
    """
    target = np.asarray(target, dtype=np.float64)

    def values(keys):
        v = _key_floats(keys)
        with np.errstate(all="ignore"):
            f = np.asarray(function(v), dtype=np.float64)
        return np.where(np.isnan(f), np.where(v > 0, np.inf, -np.inf), f)

    reach = _first_key(values, target, strict=False)  # the first float at which f >= x
    past = _first_key(values, target, strict=True)  # the first float at which f > x
    last = past - 1  # the last float at which f <= x
    reach_c, last_c = np.clip(reach, _LOWEST_KEY, _HIGHEST_KEY), np.clip(last, _LOWEST_KEY, _HIGHEST_KEY)
    start, stop = _key_floats(reach_c), _key_floats(last_c)
    middle = start / 2 + stop / 2  # a run of floats at which f = x exactly (no overflow at the largest floats)
    below = _key_floats(np.clip(reach_c - 1, _LOWEST_KEY, _HIGHEST_KEY))
    with np.errstate(all="ignore"):
        gap_above = values(reach_c) - target
        gap_below = target - values(np.clip(reach_c - 1, _LOWEST_KEY, _HIGHEST_KEY))
    nearer = np.where(gap_above <= gap_below, start, below)
    root = np.where(reach <= last, middle, nearer)
    root = np.where(reach > _HIGHEST_KEY, np.inf, root)  # f stays below x up to the largest float
    root = np.where(last < _LOWEST_KEY, -np.inf, root)  # f is above x already at the lowest float
    # f at the lowest float already reaching x (and above it): the root lies below float64's range
    with np.errstate(all="ignore"):
        starts_above = (reach == _LOWEST_KEY) & (values(np.full(target.shape, _LOWEST_KEY)) > target)
    root = np.where(starts_above, -np.inf, root)
    if not full:
        return root + 0.0  # −0.0 as 0.0
    unresolved = (reach > last) & ~(np.isfinite(gap_above) & np.isfinite(gap_below)) & np.isfinite(root)
    return root + 0.0, below + 0.0, start + 0.0, unresolved


def _nearer_in_mpmath(layer: MonotoneLayer, known: dict, target: float, left: float, right: float) -> float:
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


PROVE_SECONDS = 6.0  # the layer-by-layer argument for a map without a closed-form inverse (limits, bounds)


def layer_derivative_label(index: int, variable: sympy.Symbol) -> Label:
    """∂f_i/∂z_j, the derivative of the i-th component (1-based) in its layer's variable, as a display name."""
    from sympy.printing.pretty.pretty_symbology import pretty_symbol

    return Label(f"∂f{_subscript(index)}/∂{pretty_symbol(variable.name)}",
                 rf"\partial f_{{{index}}}/\partial {sympy.latex(variable)}")


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _proven_one_to_one(components, z, x, hint: NotInvertible) -> tuple[tuple[MonotoneLayer, ...], Invertibility] | None:
    """The layer-by-layer argument for a triangular map that does not peel in closed form: each layer one to one
    in its new variable (peeled, or strictly monotone and continuous with its limits at ±∞). None when some layer
    has no argument, or the map is not triangular."""
    labels = [layer_derivative_label(i + 1, sympy.Symbol("z")) for i in range(len(z))]
    budget = Budget(PROVE_SECONDS)

    def attempt():
        # Labels name each layer's own variable, known only once the order of the layers is.
        order = _triangular_order(components, z)
        if order is None:
            return None
        named = list(labels)
        for i, variable in order:
            named[i] = layer_derivative_label(i + 1, variable)
        return prove_triangular(components, z, x, budget, named)

    layers = budget.attempt(attempt, limit=PROVE_SECONDS)
    if not layers:
        return None
    layers = tuple(layers)
    n = len(z)
    rn = reals_power(n)
    lines: list = []
    for layer in layers:
        why = joined(layer.reasons, "; ") if layer.solution is not None else joined(layer.reasons, " ")
        if layer.solution is not None and not layer.reasons:
            why = (equation(layer.target, layer.variable), " is the identity")
        ending = "." if layer.solution is not None else ""
        lines.extend(["\n", equation(layer.target, layer.component), ", in ", layer.variable, ": ", *why, ending])
    bijective = all(layer.onto_reals for layer in layers)
    triangular = (
        (F, " is triangular: each component, in turn, involves one new latent variable; each layer is one to one in "
         "that variable for every value of the earlier ones.")
        if n > 1 else (F, " has no closed-form inverse, but it is one to one:")
    )
    if bijective:
        verdict: Prose = (
            "\nEach layer maps ", REALS, " onto ", REALS, " one to one, so ", F, " is a bijection of ", rn, " onto ", rn,
            ". Its inverse has no closed form: ", Z_EQ_F_INV, " is computed layer by layer, each layer without a "
            "closed form by bisection on the float64 numbers.",
        )
    else:
        verdict = (
            "\nEach layer is one to one, so ", F, " is injective; ", X, " lies in its image exactly when each "
            "coordinate lies in the image of its layer at the earlier coordinates, and there ", Z_EQ_F_INV,
            " is computed layer by layer, each layer without a closed form by bisection on the float64 numbers.",
        )
    peeled = ("The peeling inverter stopped (", *hint.reason, "). ") if hint is not None else ()
    text = (*peeled, *triangular, *lines, *verdict)
    summary = (F, " is one to one (proved layer by layer); its inverse is computed by bisection.")
    return layers, Invertibility("bijective" if bijective else "injective", text, summary=summary)


def _triangular_order(components, z) -> list[tuple[int, sympy.Symbol]] | None:
    """The order in which each component involves exactly one new variable, as (component index, variable)."""
    solved: set = set()
    remaining = list(range(len(components)))
    order = []
    while remaining:
        for i in remaining:
            unknown = components[i].free_symbols & set(z) - solved
            if len(unknown) == 1:
                break
        else:
            return None
        (variable,) = unknown
        order.append((i, variable))
        solved.add(variable)
        remaining.remove(i)
    return order


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
        hint.timed_out = True
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
    if not getattr(hint, "timed_out", False):
        proven = _proven_one_to_one(components, z, x, hint)
        if proven is not None:
            layers, verdict = proven
            return FlowModel(z, x, forward, (), base, None, "bisection", verdict, budget, layers=layers)
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


DENSITY_TOO_LARGE = (
    P_X, " is above the largest float64, so it prints as ", m(r"\infty", "∞"), "; ", LOG_P_X, " is exact.",
)
NOT_SMOOTH = (
    "finite differences from two step sizes disagree here: the map is not smooth at this point (a jump or a kink, "
    "a set of measure zero), so they cannot resolve the derivative"
)


def _fd_tolerance(reference: np.ndarray, estimated_error: np.ndarray) -> float:
    """FD_TOLERANCE, or ten times the differences' own relative error estimate where differencing is harder."""
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
    """The symbolic ∂f⁻¹/∂x against the finite-difference Jacobian of the numeric inverse."""
    name = (DFINVDX, ": symbolic against finite differences")
    method = "central differences of the inverse map with Richardson extrapolation (order 8, adaptive step)"
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
        if model.vectorised:
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


def _determinants_at_root(model: FlowModel, root: np.ndarray):
    """(det ∂f/∂z at the root, its reciprocal det ∂f⁻¹/∂x at x), as mpmath numbers at 50 digits."""
    import mpmath

    values = {symbol: mpmath.mpf(float(v)) for symbol, v in zip(model.z, root)}
    with mpmath.workdps(MP_DIGITS):
        try:
            det = mp_value(model.det_forward, values) if model.det_forward is not None else None
        except (MpUndefined, MpOutOfRange):
            det = None
        if det is None:
            det = mpmath.mpf(float(np.linalg.det(model.jacobian_forward_at(root)[0])))
        inverse = (1 / det) if det else mpmath.inf
        return det, inverse


def _outside_layer_text(model: FlowModel, point: np.ndarray, x_exact: Sequence[sympy.Expr], index: int) -> Prose:
    """Why x misses the image of f: the first layer whose image (at the earlier coordinates) does not hold x_i."""
    layer = model.layers[index]
    i = model.x.index(layer.target)
    latents, _ = model.bisection_inverse(point[None, :], partial=True)
    earlier = [float(latents[0, model.z.index(v)]) for v in layer.earlier]
    at_earlier = (" at the earlier coordinates ", *joined([equation(v, Approx(e, 6)) for v, e in zip(layer.earlier, earlier)]),
                  ) if layer.earlier else ()
    layer_eq = equation(layer.target, layer.component)
    value = equation(layer.target, _compact(to_sympy(x_exact[i]), DISPLAY_DIGITS))
    if layer.solution is not None:
        return ("its layer ", layer_eq, " reaches only values with ", *joined(layer.image_conditions, " and "),
                *at_earlier, ", which ", value, " does not satisfy")
    low, high = layer.limits
    if layer.earlier:
        bounds = np.asarray(model._layer_numeric[index][1](*[np.array([e]) for e in earlier])).reshape(2)
        low, high = Approx(float(bounds[0]), 6), Approx(float(bounds[1]), 6)
    return ("its layer ", layer_eq, " takes only values strictly between ", low, " and ", high, *at_earlier,
            ", and ", value, " does not lie strictly between them")


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
    latents, _ = model.bisection_inverse(point[None, :], partial=True)
    earlier = [np.array([latents[0, model.z.index(v)]]) for v in layer.earlier]
    component, limits = model._layer_numeric[index]
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
        detail="0 when every value lies between the limits (to float64's rounding), infinity otherwise",
    )


def _numeric_flow_density(
    model: FlowModel, x_exact: list[sympy.Rational], point: np.ndarray, steps: list[Step], warnings: list[Notice],
    inputs: dict, verify: int, seed: int, box: float,
) -> Derivation:
    """p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x: for a map proven one to one, the one root, found
    layer by layer by bisection (or none, outside the image); otherwise the roots found numerically from many starts."""
    import mpmath

    proven = model.by_bisection
    n = model.dimension
    invertibility = model.invertibility
    steps.append(Step("Invertibility", invertibility.text))
    if invertibility.verdict == "not invertible":
        warnings.append(Notice(invertibility.summary, key="invertible"))
    det_forward = model.det_forward
    steps.append(Step((DFDZ,), ("Differentiate each component of ", F, " with respect to ", Z, *(
        ("; the matrix is triangular, so its determinant is the product of the diagonal.",)
        if det_forward is not None and triangular_determinant(model.jacobian_forward) is not None else (".",))),
        equation(JACOBIAN_FORWARD, model.jacobian_forward)))
    if det_forward is not None:
        steps.append(Step((DET_DFDZ,), (), equation(DET_FORWARD, det_forward)))
    outside_layer = None
    beyond = False
    if proven:
        latents, failed = model.bisection_inverse(point[None, :])
        inside = bool(failed[0] < 0)
        outside_layer = None if inside else int(failed[0])
        beyond = inside and not np.all(np.isfinite(latents[0]))
        roots = [latents[0]] if inside and not beyond else []
        found: Prose = (
            ("At ", x_equals(exact_point(x_exact)), ": ", z_equals(exact_point([sympy.Float(v, 15) for v in roots[0]])),
             ".") if roots else ()
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
    else:
        roots = model.preimages(point)
        if roots:
            roots.sort(key=lambda r: -float(model.base.log_pdf(r[None, :])[0] - model.log_abs_det_forward(r)[0]))
        log_dets = [float(model.log_abs_det_forward(r)[0]) for r in roots]
        log_dets = [v if math.isfinite(v) else model.log_abs_det_forward_mp(r) for v, r in zip(log_dets, roots)]
        starts = len(model.starts()) + 1
        steps.append(
            Step(
                ("Preimages of ", X, ", numerically"),
                (
                    "scipy.optimize.root (hybrid Powell, with the symbolic Jacobian) from ", starts, " starts: the "
                    "origin, ", X, ", the base's centre and reproducible random points; roots whose residual ",
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
    determinants = None
    if roots:
        det_f, det_inverse = _determinants_at_root(model, roots[0])
        determinants = (det_f, det_inverse)
        steps.append(
            Step(
                ("Jacobian determinants at the point"),
                (
                    DET_DFDZ, " at the preimage ", Z, " is ", shown(det_f), "; by the inverse function theorem, ",
                    DET_DFINVDX, " at ", X, " is its reciprocal, ", shown(det_inverse), ".",
                ),
                value=shown(det_f),
            )
        )
    log_density_mp = _log_density_from_roots_mp(model, roots, log_dets)
    log_density = mp_to_float(log_density_mp)
    if outside_layer is not None:
        why = _outside_layer_text(model, point, x_exact, outside_layer)
        reason: Prose = (
            X, " lies outside the image of ", F, ": ", *why, ". No ", Z, " has ", F_OF_Z_EQ_X, ", so ", P_X_ZERO,
            " and ", LOG_P_X_MINUS_INF, ".",
        )
        warnings.append(Notice((X, " lies outside the image of ", F, ", so ", P_X_ZERO, "."), key="density"))
    elif beyond:
        reason = (
            "The preimage ", Z, " has a coordinate beyond float64's range (its layer does not reach ", X,
            " at the largest float64), where the base density is below ", m(r"e^{-10^{308}}", "e^(−10³⁰⁸)"),
            ": ", P_X, " is 0 and ", LOG_P_X, " is ", MINUS_INF, " in float64.",
        )
        warnings.append(Notice(("The preimage of ", X, " lies beyond float64's range, so ", P_X,
                                " prints as 0."), key="density"))
    elif not roots:
        starts = len(model.starts()) + 1
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
        if not model.base.contains_mp([mpmath.mpf(float(v)) for v in roots[0]]):
            reason = (*reason, " The root lies outside the support of the base, so ", P_X_ZERO, ".")
            warnings.append(Notice((Z_EQ_F_INV, " lies outside the support of the base, so ", P_X_ZERO, "."),
                                   key="density"))
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
    log_text: Prose = (
        (LOG_P_X, ": ", m(r"\log p_Z(z)", "log p_Z(z)"), " with mpmath at the root found in float64, ",
         m(r"\log \lvert \det \partial f/\partial z \rvert", "log|det ∂f/∂z|"),
         " with mpmath" if proven else " in float64", ", summed in log space." if len(roots) > 1 else ".")
        if roots else (LOG_P_X_MINUS_INF, ", as ", P_X_ZERO, ".")
    )
    steps.append(Step("Log-density", log_text, value=shown(log_density_mp)))
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
        if proven:
            checks.append(check_bisection_root(model, point, roots[0]))
        for root, log_det in zip(roots[:1], log_dets[:1]):
            # Finite differences need room around the point: near float64's limits a step overflows.
            if mpmath.isfinite(log_det) and max(np.max(np.abs(root)), np.max(np.abs(point))) < FD_RANGE:
                checks.append(check_forward_jacobian(model, root, -mp_to_float(log_det)))
        if verify:
            checks.append(check_monte_carlo(model, point, density, verify, seed, box, preimages=roots))
    elif outside_layer is not None and model.layers[outside_layer].solution is None:
        checks.append(check_image_of_layer(model, outside_layer, point))
    witness = invertibility.witness
    result = {
        "invertible": True if proven else False if invertibility.verdict == "not invertible" else None,
        "invertibility": invertibility.verdict,
        "inverse_method": model.inverse_method,
        "z": roots[0].tolist() if roots else [None] * n,
        "preimages": [r.tolist() for r in roots],
        "density": density,
        "density_decimal": _density_text(log_density_mp, MP_DIGITS),
        "log_density": log_density,
        "log_density_decimal": _mp_text_signed(log_density_mp),
        "log_abs_det_jacobian": -mp_to_float(log_dets[0]) if roots else None,
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
    if proven:
        kind = (F, " is a bijection of ", reals_power(n)) if invertibility.verdict == "bijective" else (F, " is injective")
        verdict = (*kind, " (proved layer by layer) without a closed-form inverse")
    elif invertibility.verdict == "not invertible":
        verdict = (F, " is not injective")
    else:
        verdict = (F, " has no closed-form inverse and is inverted numerically")
    summed = (", summed over the ", len(roots), " preimages found") if len(roots) > 1 else ()
    if outside_layer is not None:
        answer = (*verdict, "; ", x_equals(exact_point(x_exact)), " lies outside its image, so ", P_X_ZERO, ".")
    else:
        answer = (*verdict, "; at ", x_equals(exact_point(x_exact)), ", ", P_X_EQ, " ", density_value, *summed, ".")
    title_how = "by bisection" if proven else "numerically"
    return Derivation(
        command=COMMAND,
        title=("Change of variables: the density of ", X_EQ_F_OF_Z, ", ", F, f" inverted {title_how}"),
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
    x_exact = [to_sympy(c) for c in x_exact]
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


def _mp_text_signed(value) -> str:
    """A log-density as a decimal string with 15 significant digits, "-Infinity" or "Infinity" where it is infinite
    (for a result value: the exact exponent of a density beyond float64)."""
    import mpmath

    if mpmath.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    with mpmath.workdps(30):
        return _mp_text(value)


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
        if holds is False:  # a question with a known answer: p_X(x) = 0 off the image of f
            return _outside_image(model, x_exact, point, steps, warnings, inputs, budget, condition)
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
            return _outside_image(model, x_exact, point, steps, warnings, inputs, budget, None)
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
    # The Jacobian of f itself (what the assignment asks for), at the latent point: from det ∂f/∂z's own closed
    # form, evaluated at z; the reciprocal of det ∂f⁻¹/∂x by the inverse function theorem (a check compares them).
    det_forward_exact = _forward_determinant_exact(model, latent_exact, budget)
    det_forward_mp, det_forward_own = _forward_determinant_mp(det_forward_exact, values)
    det_forward_display = _for_display(det_forward_exact)
    steps.append(
        Step(
            ("Jacobian determinant of ", F, " at the point"),
            (
                "The Jacobian determinant of ", F, " itself, ", DET_DFDZ, ", evaluated at ", Z_EQ_F_INV,
                ": by the inverse function theorem it is the reciprocal of ", DET_DFINVDX, " at ", X, ".",
            ),
            None if det_forward_display is None else equation(DET_FORWARD, det_forward_display),
            shown(det_forward_mp),
        )
    )
    det_forward_float, det_inverse_float = mp_to_float(det_forward_mp), mp_to_float(values.det)
    if any(math.isinf(v) or (v == 0 and w) for v, w in ((det_forward_float, det_forward_mp), (det_inverse_float, values.det))):
        warnings.append(
            Notice((DET_DFDZ, " or ", DET_DFINVDX, " at the point is beyond float64's range; the determinant steps hold "
                    "its value."), key="det_jacobian_f")
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
    checks.append(check_inverse_function_theorem(det_forward_mp, values.det, det_forward_own))
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
        # the exact coordinates (a coordinate beyond float64 prints as an infinity in "z")
        "z_exact": _exact_texts(latent_exact, values.latent, budget),
        "density": density_float,
        "density_decimal": density_text,
        "log_density": float_log_density,
        "log_density_decimal": _mp_text_signed(values.log_density),
        "log_abs_det_jacobian": log_abs_det,  # log|det ∂f⁻¹/∂x| at x
        "det_jacobian_f": det_forward_float,  # det ∂f/∂z at z = f⁻¹(x)
        "det_jacobian_f_exact": _exact_texts([det_forward_exact], [det_forward_mp], budget)[0],
        "det_jacobian_f_inverse": det_inverse_float,  # det ∂f⁻¹/∂x at x
        "det_jacobian_f_inverse_exact": _exact_texts([det_display], [values.det], budget)[0],
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
            det_forward_display if det_forward_display is not None and budget.attempt(
                lambda: sympy.count_ops(det_forward_display) <= 12, lambda: False) else shown(det_forward_mp),
        ),
    )


def _forward_determinant_exact(model: FlowModel, latent_exact, budget: Budget) -> sympy.Expr | None:
    """det ∂f/∂z at the exact latent point, from its own closed form (SymPy, within the budget); None without one."""
    if model.det_forward is None or latent_exact is None:
        return None
    raw = budget.attempt(lambda: model.det_forward.subs(dict(zip(model.z, latent_exact))), limit=TIDY_SECONDS)
    if raw is None:
        return None
    value = budget.attempt(lambda: with_frozen_constants(tidy, raw), lambda: raw, limit=TIDY_SECONDS)
    if value.has(sympy.zoo, sympy.nan, sympy.I) or value.free_symbols:
        # 1/0 where a cube root's argument is 0: the determinant is +∞ there (its limit), det ∂f⁻¹/∂x is 0
        return sympy.oo if value.has(sympy.zoo) and not value.has(sympy.nan, sympy.I) and not value.free_symbols else None
    return value


def _forward_determinant_mp(exact: sympy.Expr | None, values: PointValues) -> tuple[object, bool]:
    """det ∂f/∂z at the point with mpmath, and whether it came from its own exact value at the point (else, by the
    inverse function theorem, it is the reciprocal of det ∂f⁻¹/∂x)."""
    import mpmath

    with mpmath.workdps(values.digits):
        if exact is not None:
            try:
                return mp_value(exact, digits=values.digits), True
            except (MpUndefined, MpOutOfRange):
                pass
        return (1 / values.det if values.det else mpmath.inf), False


def _exact_texts(exprs, numbers, budget: Budget) -> list[str | None]:
    """SymPy's text of each exact value (for a result's ``*_exact`` strings), or None where there is none."""
    out: list[str | None] = []
    for expr in exprs if exprs is not None else [None] * len(numbers):
        out.append(None if expr is None else budget.attempt(lambda e=expr: _exact_text(e), lambda: None))
    return out


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
        detail=("the error is ", m(r"\lvert \det \partial f/\partial z \cdot \det \partial f^{-1}/\partial x - 1 \rvert",
                                   "|det ∂f/∂z · det ∂f⁻¹/∂x − 1|"), ", computed at the working precision"),
    )


def _outside_image(
    model: FlowModel, x_exact: Sequence[sympy.Expr], point: np.ndarray, steps: list[Step], warnings: list[Notice],
    inputs: dict, budget: Budget, condition: sympy.Basic | None,
) -> Derivation:
    """x outside the image of f: no z has f(z) = x, so p_X(x) = 0 and log p_X(x) = −∞ (a valid question, answered)."""
    n = model.dimension
    at = x_equals(exact_point(x_exact))
    if condition is not None:
        short = budget.attempt(lambda: sympy.count_ops(condition) <= 20, lambda: False)
        needs = ("The inverse needs ", condition, ", which fails at ", at) if short else (
            "A condition of the inverse fails at ", at)
        why: Prose = (*needs, ": ", X, " lies outside the image of ", F, ".")
    else:
        why = (Z_EQ_F_INV, " has no real value at ", at, ": ", X, " lies outside the image of ", F, ".")
    steps.append(
        Step(
            ("Outside the image of ", F),
            (*why, " No ", Z, " has ", F_OF_Z_EQ_X, ", and the density of ", X_EQ_F_OF_Z, " is 0 off the image of ",
             F, ": ", P_X_ZERO, " and ", LOG_P_X_MINUS_INF, "."),
        )
    )
    steps.append(Step("Density", (P_X_ZERO, ": no point of the base is sent to ", X, "."), value=sympy.Integer(0)))
    steps.append(Step("Log-density", (LOG_P_X_MINUS_INF, "."), value=float("-inf")))
    warnings.append(Notice((X, " lies outside the image of ", F, ", so ", P_X_ZERO, "."), key="density"))
    checks = [check_round_trip(model, budget)]
    if _float_representable(point):
        _, route_log = model.log_density_at(point[None, :])
        checks.append(Check(
            name=(LOG_P_X, ": the float64 route agrees"),
            method=(FLOAT_ROUTE, " at ", X, " rounded to float64, testing the conditions of the inverse in float64"),
            computed=float(route_log[0]),
            reference=float("-inf"),
            error=0.0 if route_log[0] == -np.inf else float("inf"),
            tolerance=0.0,
            detail=("0 when it also gives ", LOG_P_X_MINUS_INF, ", infinity otherwise"),
        ))
    verdict_name = model.invertibility.verdict if model.invertibility else "bijective"
    result = {
        "invertible": verdict_name in ("bijective", "injective"),
        "invertibility": verdict_name,
        "inverse_method": model.inverse_method,
        "z": [None] * n,
        "z_exact": [None] * n,
        "density": 0.0,
        "density_decimal": "0",
        "log_density": float("-inf"),
        "log_density_decimal": "-Infinity",
        "log_abs_det_jacobian": None,
        "det_jacobian_f": None,
        "det_jacobian_f_exact": None,
        "det_jacobian_f_inverse": None,
        "det_jacobian_f_inverse_exact": None,
        "density_exact": "0",
        "checks_passed": all(c.passed for c in checks),
    }
    verdict = (F, " is injective") if verdict_name in ("bijective", "injective") else (
        "the inverse given for ", F, " is not proven symbolically")
    return Derivation(
        command=COMMAND,
        title=("Change of variables: the density of ", X_EQ_F_OF_Z, " outside the image of ", F),
        inputs=inputs,
        steps=steps,
        result=result,
        checks=checks,
        warnings=warnings,
        question=problem_question(model, x_exact),
        answer=(*verdict, "; ", at, " lies outside its image, so ", P_X_ZERO, "."),
    )


def _closed_form_answer(
    model: FlowModel, x_exact: Sequence[sympy.Expr], density_exact: sympy.Expr | None, density_value,
    det_at_point=None,
) -> Prose:
    """One sentence: whether f is invertible, its Jacobian determinant (and its value at f⁻¹(x)), and p_X(x) at the point.

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
    at_point = (", equal to ", det_at_point, " at ", Z_EQ_F_INV) if det_at_point is not None else ()
    return (
        *verdict, "; ", *determinant, *at_point, "; at ", x_equals(exact_point(x_exact)), " the density is ", *density, ".",
    )
