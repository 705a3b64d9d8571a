"""Change of variables through an invertible map (Problem 1).

For x = f(z) with z ~ N(0, I):  p_X(x) = N(f⁻¹(x); 0, I) · |det ∂f⁻¹/∂x|.
The inverse and both Jacobians are derived with SymPy from the map itself;
numbers come from the same expressions, evaluated in float64 and log space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache

import numpy as np
import sympy

from dgm_cli.derivation import Approx, Check, Derivation, Math, Notice, Prose, Step, m
from dgm_cli.errors import InputError
from dgm_cli.solvers.numerics import LOG_2PI, log_sigmoid, log_standard_normal, logsumexp
from dgm_cli.solvers.symbolic import (
    InverseStep,
    Label,
    NotInvertible,
    REALS,
    equation,
    invert_triangular,
    real_cbrt,
    vectorized,
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
    """An exact point for prose: the number itself in one dimension, else a SymPy tuple (x1, …, xn)."""
    values = [sympy.sympify(v) for v in values]
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
        with np.errstate(all="ignore"):
            if self.is_standard_normal:
                return log_standard_normal(z)
            if self.family == "normal":
                u = (z - p1) / p2
                per = -np.log(p2) - 0.5 * LOG_2PI - 0.5 * u * u
            elif self.family == "uniform":
                per = np.where((z >= p1) & (z <= p2), -np.log(p2 - p1), -np.inf)
            elif self.family == "logistic":
                u = (z - p1) / p2
                per = log_sigmoid(u) + log_sigmoid(-u) - np.log(p2)
            else:
                per = -np.log(2 * p2) - np.abs(z - p1) / p2
            return np.sum(per, axis=-1)

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        p1, p2 = float(self.parameters[0]), float(self.parameters[1])
        if self.family == "normal":
            return p1 + p2 * rng.standard_normal((size, n))
        if self.family == "uniform":
            return rng.uniform(p1, p2, (size, n))
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


@dataclass(frozen=True)
class FlowModel:
    """A map f and everything derived from it symbolically: inverse, Jacobians, log-density.

    With a closed-form inverse (peeled, found by SymPy, or given and verified)
    the density is p_Z(f⁻¹(x))·|det ∂f⁻¹/∂x|; without one, f is inverted
    numerically at each point and p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x.
    """

    z: tuple[sympy.Symbol, ...]
    x: tuple[sympy.Symbol, ...]
    forward: sympy.Matrix  # f(z)
    inverse_steps: tuple[InverseStep, ...]
    base: Base = STANDARD_NORMAL
    given_inverse: sympy.Matrix | None = None  # from --inverse or sympy.solve, when not peeled
    inverse_method: str = "peeling"  # peeling, user, sympy.solve, numeric
    invertibility: Invertibility | None = None

    @property
    def dimension(self) -> int:
        return len(self.z)

    @property
    def closed_form(self) -> bool:
        return self.inverse_method != "numeric"

    @cached_property
    def inverse(self) -> sympy.Matrix:
        """f⁻¹(x), in the order of z."""
        if self.given_inverse is not None:
            return self.given_inverse
        solutions = {s.variable: s.solution for s in self.inverse_steps}
        return sympy.Matrix([solutions[v] for v in self.z])

    @cached_property
    def jacobian_forward(self) -> sympy.Matrix:
        return self.forward.jacobian(self.z)

    @cached_property
    def det_forward(self) -> sympy.Expr:
        # Triangular maps have a triangular Jacobian: the determinant is the
        # product of the diagonal, which stays readable where .det() would not.
        return tidy(self.jacobian_forward.det(method="berkowitz"))

    @cached_property
    def jacobian_inverse(self) -> sympy.Matrix:
        return self.inverse.jacobian(self.x).applyfunc(tidy)

    @cached_property
    def det_inverse(self) -> sympy.Expr:
        """det ∂f⁻¹/∂x, derived from the closed-form inverse."""
        return sympy.factor(tidy(self.jacobian_inverse.det(method="berkowitz")))

    @cached_property
    def abs_det_inverse(self) -> sympy.Expr:
        return sympy.Abs(self.det_inverse)

    @cached_property
    def log_abs_det_jacobian(self) -> sympy.Expr:
        """log |det ∂f⁻¹/∂x|."""
        return sympy.log(self.abs_det_inverse)

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
        return [(w, tidy(w.subs(substitution))) for w in arguments]

    # Numeric functions, lambdified once and vectorised over rows of points.
    @cached_property
    def _inverse_numeric(self):
        return vectorized(list(self.inverse), self.x)

    @cached_property
    def _forward_numeric(self):
        return vectorized(list(self.forward), self.z)

    @cached_property
    def _log_abs_det_numeric(self):
        return vectorized([self.log_abs_det_jacobian], self.x)

    def inverse_map(self, points: np.ndarray) -> np.ndarray:
        """f⁻¹ applied to each row of ``points`` (shape (m, n)); returns shape (m, n)."""
        return self._inverse_numeric(*_columns(points)).T

    def forward_map(self, latents: np.ndarray) -> np.ndarray:
        """f applied to each row of ``latents``."""
        return self._forward_numeric(*np.asarray(latents, dtype=np.float64).T).T

    def log_abs_det(self, points: np.ndarray) -> np.ndarray:
        """log |det ∂f⁻¹/∂x| at each row of ``points``; −∞ where the determinant is 0."""
        return self._log_abs_det_numeric(*_columns(points))[0]

    def log_density_at(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, log p_X) for each row of ``points``, in float64: log p_Z(z) + log|det ∂f⁻¹/∂x|.

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
        columns = _columns(points)
        latents = self._inverse_numeric(*columns).T
        with np.errstate(all="ignore"):
            log_p = self.base.log_pdf(latents) + self._log_abs_det_numeric(*columns)[0]
        # An overflowing z makes ‖z‖² = inf: the true log-density is below −1.8e308.
        return latents, np.where(np.isnan(log_p), -np.inf, log_p)

    # Numeric inversion, for maps without a closed-form inverse.
    @cached_property
    def _jacobian_forward_numeric(self):
        return vectorized(list(self.jacobian_forward), self.z)

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
        tolerance = ROOT_RESIDUAL * max(1.0, float(np.linalg.norm(point)))

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
                error = np.linalg.norm(residual(candidate))
            if not np.all(np.isfinite(candidate)) or not error <= tolerance:
                continue
            if all(np.linalg.norm(candidate - other) > ROOT_SEPARATION * max(1.0, float(np.linalg.norm(other))) for other in found):
                found.append(candidate)
        return found


def _columns(points: np.ndarray) -> np.ndarray:
    """The coordinates of rows of points as contiguous columns: NumPy's loops run faster on unit strides."""
    return np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)


def density_records(model: FlowModel, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each row of ``points``: x, z = f⁻¹(x), log p_X(x) and p_X(x)."""
    latents, log_p = model.log_density_at(points)
    return {"x": points, "z": latents, "log_density": log_p, "density": np.exp(log_p)}


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """A cheap simplification first (expand, then gather powers and common factors); SymPy's general
    ``simplify`` only when that leaves something that is not visibly simpler. ``simplify`` costs seconds."""
    quick = sympy.factor_terms(sympy.powsimp(sympy.expand(expr)))
    if quick == 0 or sympy.count_ops(quick) <= sympy.count_ops(expr):
        return quick
    return sympy.simplify(expr)


def zero_or_simplified(expr: sympy.Expr) -> sympy.Expr:
    """For a zero test: 0 when the cheap rewrite shows it, else SymPy's full ``simplify``."""
    quick = sympy.factor_terms(sympy.powsimp(sympy.expand(expr)))
    return quick if quick == 0 else sympy.simplify(expr)


def derive_flow(components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol]) -> FlowModel:
    """Derive the inverse of a triangular map; raise NotInvertible when it cannot be isolated."""
    steps = invert_triangular(components, z, x)
    return FlowModel(tuple(z), tuple(x), sympy.Matrix(components), tuple(steps))


@lru_cache(maxsize=1)
def assignment_flow() -> FlowModel:
    """Problem 1's map with its derived inverse (derived once per process)."""
    return derive_flow(*assignment_map())


# --------------------------------------------------------------------------- user-defined maps

SOLVE_TIME_LIMIT = 3.0  # seconds for sympy.solve, in a daemon thread; beyond it we invert numerically
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
            exact_a, exact_b = _exact_point(z_a), _exact_point(z_b)
            if exact_a is not None and exact_b is not None:
                image_a = model.forward.subs(dict(zip(model.z, exact_a)))
                image_b = model.forward.subs(dict(zip(model.z, exact_b)))
                if sympy.simplify(image_a - image_b).is_zero_matrix:
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


def _solve_with_time_limit(components, z, x) -> list[dict] | None:
    """sympy.solve(f(z) = x) in a daemon thread; None on a timeout, an error, or a map too large to try."""
    import threading

    if sum(sympy.count_ops(c) for c in components) > SOLVE_MAX_OPS or len(z) > 2:
        return None
    box: dict = {}

    def work():
        try:
            box["solutions"] = sympy.solve([c - xi for c, xi in zip(components, x)], list(z), dict=True)
        except Exception:  # noqa: BLE001 - SymPy raises NotImplementedError and others for unsolvable systems
            box["solutions"] = None

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(SOLVE_TIME_LIMIT)
    return box.get("solutions")


def _simplifies_to_zero(matrix: sympy.Matrix) -> bool:
    return matrix.applyfunc(zero_or_simplified).is_zero_matrix


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
    gives a witness.
    """
    z, x, forward = tuple(z), tuple(x), sympy.Matrix(components)
    if inverse is not None:
        given = sympy.Matrix(list(inverse))
        if _simplifies_to_zero(sympy.Matrix([given.jacobian(x).det()])):
            raise InputError(
                "det ∂g/∂x is identically 0, so g collapses a dimension and cannot be the inverse of f", "--inverse"
            )
        left = _simplifies_to_zero(given.subs(dict(zip(x, forward))) - sympy.Matrix(z))
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
        return FlowModel(z, x, forward, (), base, given, "user", verdict)
    hint = None
    try:
        steps = invert_triangular(components, z, x)
    except NotInvertible as error:
        hint = error
    else:
        conditions = [c for s in steps for c in s.image_conditions]
        domain = [c for s in steps for c in s.domain_conditions]
        bijective = not conditions and not domain
        verdict = Invertibility("bijective" if bijective else "injective", "")
        return FlowModel(z, x, forward, tuple(steps), base, None, "peeling", verdict)
    numeric = FlowModel(z, x, forward, (), base, None, "numeric", None)
    witness = find_witness(numeric, hint) if hint.not_injective else None
    if witness is None:
        witness = _jacobian_sign_change(numeric, base)
    if witness is not None:
        text = ("The peeling inverter stopped: ", *hint.reason, ". ", *witness.text)
        verdict = Invertibility(
            "not invertible", text, witness.witness, witness.witness_exact, witness.summary, witness.sign_change
        )
        return FlowModel(z, x, forward, (), base, None, "numeric", verdict)
    solutions = _solve_with_time_limit(components, z, x)
    if solutions is not None and len(solutions) == 1 and set(solutions[0]) == set(z):
        candidate = sympy.Matrix([solutions[0][v] for v in z])
        if not candidate.has(sympy.I) and _simplifies_to_zero(candidate.subs(dict(zip(x, forward))) - sympy.Matrix(z)):
            text = (
                "The peeling inverter stopped (", *hint.reason, "); sympy.solve found one solution ", G,
                ", and SymPy simplifies ", G_OF_F_MINUS_Z, " to ", ZERO, " for every ", Z, ": ", G, " undoes ", F,
                ", so ", F, " is injective.",
            )
            return FlowModel(z, x, forward, (), base, candidate, "sympy.solve", Invertibility("injective", text))
    tried = "sympy.solve found no single closed form" if solutions is not None else (
        "sympy.solve was not tried (it is only run on small maps of one or two variables) or ran out of time"
    )
    text = (
        "No closed-form inverse: the peeling inverter stopped (", *hint.reason, ") and ", tried, ". ", F,
        " is inverted numerically at the point (scipy.optimize.root from the origin, ", X,
        " and reproducible random starts). Invertibility is not proven: no sign change of ", DET_DFDZ,
        " was seen at ", SIGN_SAMPLES, " random points and the root search is reported below.",
    )
    return FlowModel(z, x, forward, (), base, None, "numeric", Invertibility("not proven", text))


# --------------------------------------------------------------------------- checks

FD_RANGE = 1e100  # beyond this, a finite-difference step or its products can overflow float64
FD_TOLERANCE = 1e-6  # relative, for Richardson-extrapolated central differences
EXACT_TOLERANCE = 1e-12  # relative, float64 pipeline against 30-digit exact evaluation
# The inverse can cancel (x3³ − x1² near 0) and scale by e^{x1}: allow a few
# thousand ulps rather than a handful.
LATENT_TOLERANCE = 1e-9
MC_Z_LIMIT = 4.0  # a Monte Carlo count this many standard errors away fails


def _relative_error(computed: np.ndarray, reference: np.ndarray) -> float:
    computed, reference = np.asarray(computed, float), np.asarray(reference, float)
    scale = np.maximum(np.abs(reference), 1.0)
    return float(np.max(np.abs(computed - reference) / scale))


def _finite_difference_jacobian(function, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂function/∂point by SciPy's adaptive central differences, with SciPy's own error estimate per entry."""
    from scipy.differentiate import jacobian

    result = jacobian(lambda columns: function(*columns), point, initial_step=0.5)
    return np.asarray(result.df), np.asarray(result.error)


def _fd_tolerance(reference: np.ndarray, estimated_error: np.ndarray) -> float:
    """FD_TOLERANCE, or ten times SciPy's own relative error estimate where differencing is harder than that."""
    scale = np.maximum(np.abs(reference), 1.0)
    return float(max(FD_TOLERANCE, 10 * np.max(np.nan_to_num(estimated_error, nan=np.inf) / scale)))


def _matrix_value(matrix: sympy.Matrix) -> list[list[float]]:
    return [[float(entry) for entry in row] for row in matrix.tolist()]


def check_round_trip(model: FlowModel) -> Check:
    """f(f⁻¹(x)) = x for every x, symbolically."""
    substitution = dict(zip(model.z, model.inverse))
    residual = (model.forward.subs(substitution) - sympy.Matrix(model.x)).applyfunc(zero_or_simplified)
    return Check(
        name=(m(r"f(f^{-1}(x)) = x", "f(f⁻¹(x)) = x"),),
        method=("SymPy simplifies ", m(r"f(f^{-1}(x)) - x", "f(f⁻¹(x)) − x"), " to the zero vector, for every ", X),
        computed=list(residual),
        reference=[0] * model.dimension,
        error=0.0 if residual.is_zero_matrix else 1.0,
        tolerance=0.0,
        detail=("the error is ", ZERO, " when the residual simplifies to zero"),
    )


def check_latent_point(model: FlowModel, point: np.ndarray, latent_exact: list[sympy.Expr]) -> Check:
    """The float64 inverse map at x against the exact latent point evaluated to 30 digits."""
    computed = model.inverse_map(point[None, :])[0]
    reference = np.array([_as_float(c) for c in latent_exact])
    finite = np.isfinite(reference)
    error = _relative_error(computed[finite], reference[finite]) if finite.any() else 0.0
    if not np.array_equal(np.isfinite(computed), finite):
        error = float("inf")
    return Check(
        name=(Z_EQ_F_INV, ": float64 against exact"),
        method=("the lambdified inverse in float64 against SymPy's exact ", Z, " evaluated to ", 30, " significant digits"),
        computed=computed.tolist(),
        reference=reference.tolist(),
        error=error,
        tolerance=LATENT_TOLERANCE,
        detail=("maximum error over the coordinates, relative to ", m(r"\max(\lvert z_i \rvert, 1)", "max(|z_i|, 1)")),
    )


def check_inverse_jacobian(model: FlowModel, point: np.ndarray) -> Check:
    """The symbolic ∂f⁻¹/∂x against SciPy's finite-difference Jacobian of the numeric inverse."""
    symbolic = np.array(vectorized(list(model.jacobian_inverse), model.x)(*point), dtype=float).reshape(
        model.dimension, model.dimension
    )
    numeric, estimated_error = _finite_difference_jacobian(model._inverse_numeric, point)
    return Check(
        name=(DFINVDX, ": symbolic against finite differences"),
        method="scipy.differentiate.jacobian (central differences with Richardson extrapolation) of the inverse map",
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
    numeric, estimated_error = _finite_difference_jacobian(model._forward_numeric, latent)
    log_det_forward = float(np.linalg.slogdet(numeric)[1])
    # First-order propagation of the entries' errors: |Δ log det| <= ||J⁻¹||_F · ||ΔJ||_F.
    propagated = float(np.linalg.norm(np.linalg.inv(numeric)) * np.linalg.norm(estimated_error))
    return Check(
        name=(
            m(
                r"\log \lvert \det \partial f/\partial z \rvert = -\log \lvert \det \partial f^{-1}/\partial x \rvert",
                "log|det ∂f/∂z| = −log|det ∂f⁻¹/∂x|",
            ),
        ),
        method=("determinant of the finite-difference Jacobian of ", F, " at ", Z_EQ_F_INV, " (inverse function theorem)"),
        computed=-log_abs_det,
        reference=log_det_forward,
        error=abs(log_det_forward + log_abs_det) / max(1.0, abs(log_abs_det)),
        tolerance=max(FD_TOLERANCE, 10 * propagated),
        detail=(
            "relative error of the log-determinants; tolerance ", FD_TOLERANCE,
            " or ten times SciPy's error estimate propagated to the log-determinant",
        ),
    )


def check_log_density(exact_log_density: sympy.Expr, float_log_density: float) -> Check:
    """The float64 log-density against the exact expression evaluated to 30 digits."""
    reference = float(exact_log_density.evalf(30)) if exact_log_density != -sympy.oo else float("-inf")
    if reference < -1.7976931348623157e308:  # beyond float64: the float pipeline's -inf is the right answer
        reference = float("-inf")
    if np.isinf(reference) or np.isinf(float_log_density):
        error = 0.0 if reference == float_log_density else float("inf")
    else:
        error = abs(float_log_density - reference) / max(1.0, abs(reference))
    return Check(
        name=(LOG_P_X, ": float64 pipeline against exact value"),
        method=("SymPy/mpmath evaluation of the exact closed form to ", 30, " significant digits"),
        computed=float_log_density,
        reference=reference,
        error=error,
        tolerance=EXACT_TOLERANCE,
        detail="relative error",
    )


def local_log_density(model: FlowModel, rows: np.ndarray, preimages: Sequence[np.ndarray]) -> np.ndarray:
    """log p_X near x without a closed-form inverse: Newton's method, vectorised over rows, from each preimage of x."""
    rows = np.atleast_2d(rows)
    terms = []
    for start in preimages:
        latents = np.tile(start, (rows.shape[0], 1))
        for _ in range(NEWTON_ITERATIONS):
            with np.errstate(all="ignore"):
                step = np.linalg.solve(model.jacobian_forward_at(latents), (model.forward_map(latents) - rows)[..., None])[..., 0]
            latents = latents - step
        with np.errstate(all="ignore"):
            terms.append(model.base.log_pdf(latents) - model.log_abs_det_forward(latents))
    stacked = np.nan_to_num(np.array(terms), nan=-np.inf)
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
    while remaining > 0:
        size = min(chunk, remaining)
        pushed = model.forward_map(model.base.sample(rng, size, model.dimension))
        hits += int(np.count_nonzero(np.all((pushed >= low) & (pushed <= high), axis=1)))
        remaining -= size

    def box_density(rows: np.ndarray) -> np.ndarray:
        if model.closed_form:
            return np.exp(model.log_density_at(rows)[1])
        return np.exp(local_log_density(model, rows, preimages))

    box_probability = float(cubature(box_density, low, high, rtol=1e-8).estimate)
    expected = samples * box_probability
    standard_error = np.sqrt(max(expected * (1 - box_probability), 0.0))
    # The +1 keeps a box with an expected count near 0 from failing on one stray sample.
    z_score = abs(hits - expected) / (standard_error + 1.0)
    volume = float(np.prod(high - low))
    return Check(
        name=("Monte Carlo: ", samples, " samples of ", *model.base.name, " pushed through ", F),
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
                r"\lvert \mathrm{hits} - N \cdot P(\mathrm{box}) \rvert / (\mathrm{standard\ error} + 1)",
                "|hits − N·P(box)| / (standard error + 1)",
            ),
            "; hits: ", hits, ", expected: ", _one_decimal(expected), " ", m(r"\pm", "±"), " ", _one_decimal(standard_error),
        ),
    )


INVERSE_POINTS = 32  # random points at which a given (or solved) inverse is tested
INVERSE_TOLERANCE = 1e-9  # relative residual of f(g(x)) − x: float64 round-off through a few layers


def check_inverse_numeric(model: FlowModel, point: np.ndarray, seed: int) -> Check:
    """f(g(x)) = x numerically, at x and at points f(z) for random base samples z (so they lie in the image)."""
    rng = np.random.default_rng(seed)
    images = model.forward_map(model.base.sample(rng, INVERSE_POINTS, model.dimension))
    points = np.vstack([point[None, :], images[np.all(np.isfinite(images), axis=1)]])
    round_trip = model.forward_map(model.inverse_map(points))
    scale = np.maximum(np.abs(points), 1.0)
    errors = np.abs(round_trip - points) / scale
    error = float(np.max(np.nan_to_num(errors, nan=np.inf)))
    return Check(
        name=(F_OF_G_EQ_X, " at ", X, " and at random points"),
        method=(
            "the lambdified ", F, " after the lambdified inverse ", G, ", at ", X, " and at ", F_OF_Z, " for ",
            INVERSE_POINTS, " random ", Z, " from the base (random number stream ", seed, ")",
        ),
        computed=round_trip[0].tolist(),
        reference=point.tolist(),
        error=error,
        tolerance=INVERSE_TOLERANCE,
        detail=(
            "maximum over the points and coordinates of ",
            m(r"\lvert f(g(x)) - x \rvert / \max(\lvert x \rvert, 1)", "|f(g(x)) − x| / max(|x|, 1)"),
        ),
    )


def check_roots(model: FlowModel, point: np.ndarray, roots: Sequence[np.ndarray]) -> Check:
    """Each numeric preimage z solves f(z) = x, re-evaluated through the symbolic map at 30 digits."""
    errors = []
    for root in roots:
        image = model.forward.subs(dict(zip(model.z, [sympy.Float(float(v), 30) for v in root])))
        errors.append(max(abs(float(image[i].evalf(30)) - point[i]) for i in range(model.dimension)))
    error = max(errors) / max(1.0, float(np.max(np.abs(point))))
    return Check(
        name=(F_OF_Z_EQ_X, " at each preimage found"),
        method=("SymPy evaluates ", F, " at each root to ", 30, " significant digits"),
        computed=[[float(v) for v in r] for r in roots],
        reference=point.tolist(),
        error=error,
        tolerance=1e3 * ROOT_RESIDUAL,
        detail=(
            "maximum ", m(r"\lvert f(z) - x \rvert", "|f(z) − x|"), " relative to ",
            m(r"\max(\lvert x \rvert, 1)", "max(|x|, 1)"), "; the root finder stops at a residual of ", ROOT_RESIDUAL,
            ", the tolerance allows for the difference between float64 and evaluation to ", 30, " digits",
        ),
    )


def _numeric_flow_density(
    model: FlowModel, x_exact: list[sympy.Rational], point: np.ndarray, steps: list[Step], warnings: list[Notice],
    inputs: dict, verify: int, seed: int, box: float,
) -> Derivation:
    """p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x found numerically."""
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
    log_density = model.log_density_from_roots(roots) if roots else float("-inf")
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
    density = float(np.exp(log_density))
    steps.append(Step("Density", reason, value=density))
    steps.append(Step("Log-density", (LOG_P_X, ", in float64."), value=log_density))

    checks = []
    if roots:
        checks.append(check_roots(model, point, roots))
        for root, log_det in zip(roots[:1], log_dets[:1]):
            if np.isfinite(log_det):
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
        "density_decimal": f"{density:.15g}",
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
    answer = (*verdict, "; at ", x_equals(exact_point(x_exact)), ", ", P_X_EQ, " ", density, *summed, ".")
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


def _as_float(value: sympy.Expr) -> float:
    if value == -sympy.oo:
        return float("-inf")
    return float(value.evalf(30))


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
            else x_equals(sympy.Transpose(sympy.Matrix([x_exact])))
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


def flow_density(
    x_point: Sequence[Fraction],
    verify: int = 0,
    seed: int = 0,
    box: float = 0.1,
    model: FlowModel | None = None,
    transform: str | None = None,
) -> Derivation:
    """Derive p_X(x) for x = f(z), z ~ p_Z, step by step, with the checks that verify it.

    ``transform`` is the text the user typed (recorded in the inputs); ``model`` the map derived from it.
    """
    model = model or assignment_flow()
    n = model.dimension
    if len(x_point) != n:
        raise InputError(f"expected {n} coordinates, got {len(x_point)}", "--x")
    if verify < 0:
        raise InputError("the number of Monte Carlo samples must be 0 or more", "--verify")
    if not 0 < box <= 10:
        raise InputError("the box half-width must lie in (0, 10]", "--box")
    x_exact = [sympy.Rational(c.numerator, c.denominator) for c in x_point]
    at_point = dict(zip(model.x, x_exact))
    point = np.array([float(c) for c in x_point])
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
        zero_set = sympy.solve(sympy.Eq(w_in_x, 0), dict=True)
        where = joined([joined([equation(k, v) for k, v in sol.items()]) for sol in zero_set], " or ") or (
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

    triangular_forward = model.jacobian_forward.is_lower or model.jacobian_forward.is_upper
    steps.append(
        Step(
            ("Jacobian of ", F),
            (
                "Differentiate each component of ", F, " with respect to ", Z,
                "; the matrix is triangular, so its determinant is the product of the diagonal."
                if triangular_forward else ".",
            ),
            equation(DET_FORWARD, model.det_forward),
        )
    )
    steps.append(Step((DFDZ,), (), equation(JACOBIAN_FORWARD, model.jacobian_forward)))
    triangular_inverse = model.jacobian_inverse.is_lower or model.jacobian_inverse.is_upper
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

    for condition in (c for s in model.inverse_steps for c in s.image_conditions):
        if condition.subs(at_point) == sympy.false:
            raise InputError(
                f"x lies outside the image of f, so p_X(x) = 0 there: the inverse needs {sympy.sstr(condition)}", "--x"
            )
    latent_exact = [sympy.nsimplify(c.subs(at_point)) for c in model.inverse]
    if not all(c.is_extended_real for c in latent_exact):
        raise InputError("x lies outside the image of f (f⁻¹(x) is not real), so p_X(x) = 0 there", "--x")
    in_support = model.base.contains(latent_exact)
    latent_float = [_as_float(c) for c in latent_exact]
    steps.append(
        Step(
            ("The latent point ", Z_EQ_F_INV),
            ("At ", x_equals(exact_point(x_exact)), ":"),
            equation(sympy.Matrix(model.z), sympy.Matrix(latent_exact)),
            latent_float,
        )
    )
    det_at_point = tidy(model.det_inverse.subs(at_point))
    steps.append(
        Step(
            "Determinant at the point",
            (DET_DFINVDX, " evaluated at ", X, "."),
            equation(DET_INVERSE, det_at_point),
            _as_float(det_at_point),
        )
    )

    density_exact = model.density.subs(at_point)  # no simplify: it rewrites exp(−a·e²⁰) into cosh and sinh
    if not in_support:
        density_exact = sympy.Integer(0)
    # density_decimal is a result value (its own string, for --json and --quiet); the steps hold numbers.
    density_text = sympy.sstr(density_exact.evalf(15)) if density_exact != 0 else "0"
    density_value = density_exact.evalf(15) if density_exact != 0 else ZERO
    log_density_exact = sympy.expand_log(model.log_density.subs(at_point), force=True)
    if density_exact == 0:
        log_density_exact = -sympy.oo
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
    steps.append(Step("Density", (density_formula, ", exactly:"), equation(DENSITY, density_exact), density_value))

    _, float_log = model.log_density_at(point[None, :])
    float_log_density = float(float_log[0])
    log_abs_det = float(model.log_abs_det(point[None, :])[0])
    density_float = float(np.exp(float_log_density))
    if not in_support:
        low, high = model.base.exact_parameters
        reason: Prose = (
            Z_EQ_F_INV, " lies outside the support of the base (each coordinate between ", low, " and ", high, "), so ",
            X, " is outside the image of the base's support under ", F, ": ", P_X_ZERO, " and ", LOG_P_X_MINUS_INF, ".",
        )
        warnings.append(Notice((Z_EQ_F_INV, " lies outside the support of the base, so ", P_X_ZERO, "."), key="density"))
        float_log_density = float("-inf")
        log_value = float("-inf")
    elif density_exact == 0:
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
        log_value = float("-inf")
    else:
        log_base = (
            m(r"\log \mathcal{N}(z; 0, I)", "log N(z; 0, I)") if model.base.is_standard_normal
            else m(r"\log p_Z(z)", "log p_Z(z)")
        )
        reason = (
            "Computed in log space: ", log_base, " + ", m(r"\log \lvert \det \partial f^{-1}/\partial x \rvert",
                                                        "log|det ∂f⁻¹/∂x|"),
            ", finite even where ", m("p_X", "p_X"), " underflows.",
        )
        log_value = float_log_density if np.isfinite(float_log_density) else log_density_exact.evalf(15)
        if density_float == 0.0 and np.isfinite(float_log_density):
            warnings.append(
                Notice((P_X, " is below the smallest positive float64, so it prints as 0; ", LOG_P_X, " is exact."),
                       key="density")
            )
    steps.append(Step("Log-density", reason, equation(LOG_DENSITY, log_density_exact), log_value))

    # Checks, each by an independent route.
    latent = np.array(latent_float)
    checks = []
    round_trip = check_round_trip(model)
    if round_trip.passed or model.inverse_method != "user":
        checks.append(round_trip)
    else:
        steps.append(
            Step(
                (F_OF_G_EQ_X, ", symbolically"),
                ("SymPy could not simplify ", m("f(g(x)) - x", "f(g(x)) − x"), " to zero; the numeric checks decide."),
            )
        )
    # Finite differences need room around the point: near float64's limits a step overflows.
    fd_safe = bool(np.all(np.isfinite(latent)) and max(np.max(np.abs(point)), np.max(np.abs(latent))) < FD_RANGE)
    if model.inverse_method != "peeling" and fd_safe:
        checks.append(check_inverse_numeric(model, point, seed))
    checks.append(check_latent_point(model, point, latent_exact))
    differentiable_here = all(w_in_x.subs(at_point) != 0 for _, w_in_x in model.nondifferentiable_sets)
    if fd_safe:
        checks.append(check_inverse_jacobian(model, point))
        if differentiable_here and np.isfinite(log_abs_det):
            checks.append(check_forward_jacobian(model, latent, log_abs_det))
    else:
        steps.append(
            Step(
                "Finite-difference checks skipped",
                (
                    X, " or ", Z_EQ_F_INV, " has a coordinate beyond ", FD_RANGE, " in absolute value (or beyond "
                    "float64's range), where a finite-difference step overflows; the symbolic Jacobians above are exact "
                    "regardless.",
                ),
            )
        )
    if not np.isfinite(float_log_density) and density_exact != 0:
        warnings.append(
            Notice(
                (LOG_P_X, " is below the most negative float64, so it prints as ", MINUS_INF,
                 "; the Log-density step holds its exact value."),
                key="log_density",
            )
        )
    checks.append(check_log_density(log_density_exact, float_log_density))
    if verify:
        checks.append(check_monte_carlo(model, point, density_float, verify, seed, box))

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
        "density_exact": sympy.sstr(density_exact),
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
        answer=_closed_form_answer(model, x_exact, density_exact, density_float),
    )


def _closed_form_answer(
    model: FlowModel, x_exact: Sequence[sympy.Expr], density_exact: sympy.Expr, density_float: float
) -> Prose:
    """One sentence: whether f is invertible, its Jacobian determinant, and p_X(x) at the point."""
    verdict_name = model.invertibility.verdict if model.invertibility else "bijective"
    verdict = {
        "bijective": (F, " is a bijection of ", reals_power(model.dimension)),
        "injective": (F, " is injective"),
    }.get(verdict_name, ("the inverse given for ", F, " is not proven symbolically"))
    # The exact number when it fits in float64; SymPy's 15 digits when the density underflows.
    number = density_exact.evalf(15) if density_float == 0.0 and density_exact != 0 else density_float
    if density_exact != 0 and sympy.count_ops(density_exact) <= 25:
        density = (equation(DENSITY, density_exact), ", about ", number)
    else:
        density = (P_X_EQ, " ", number)
    return (
        *verdict, "; its Jacobian determinant is ", equation(DET_FORWARD, model.det_forward), "; at ",
        x_equals(exact_point(x_exact)), " the density is ", *density, ".",
    )
