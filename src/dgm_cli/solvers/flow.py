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

from dgm_cli.derivation import Check, Derivation, Step
from dgm_cli.errors import InputError
from dgm_cli.solvers.numerics import LOG_2PI, log_sigmoid, log_standard_normal, logsumexp
from dgm_cli.solvers.symbolic import (
    InverseStep,
    Label,
    NotInvertible,
    equation,
    invert_triangular,
    real_cbrt,
    vectorized,
)

COMMAND = "flow-density"

DET_FORWARD = Label("det ∂f/∂z", r"\det \frac{\partial f}{\partial z}")
DET_INVERSE = Label("det ∂f⁻¹/∂x", r"\det \frac{\partial f^{-1}}{\partial x}")
DENSITY = Label("p_X(x)", "p_X(x)")
LOG_DENSITY = Label("log p_X(x)", r"\log p_X(x)")


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
        if self.is_standard_normal:
            return "N(0, I)"
        return f"{self.family}({', '.join(str(p) for p in self.parameters)}) in each coordinate, independently"

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
    """What is shown about f: ``verdict`` is bijective, injective, not invertible or not proven."""

    verdict: str
    text: str
    witness: tuple[list[float], list[float]] | None = None
    witness_exact: tuple[list[str], list[str]] | None = None


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


def _fmt(values) -> str:
    return "(" + ", ".join(f"{float(v):.6g}" for v in values) + ")"


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
                    text = (
                        f"f is not injective: z = ({', '.join(map(sympy.sstr, exact_a))}) and z = "
                        f"({', '.join(map(sympy.sstr, exact_b))}) both map to ({', '.join(map(sympy.sstr, image_a))}), exactly (SymPy)."
                    )
                    return Invertibility(
                        "not invertible", text, (z_a.tolist(), z_b.tolist()),
                        ([sympy.sstr(v) for v in exact_a], [sympy.sstr(v) for v in exact_b]),
                    )
            gap = float(np.linalg.norm(model.forward_map(z_b[None, :])[0] - x_a))
            text = (
                f"f is not injective: z = {_fmt(z_a)} and z = {_fmt(z_b)} both map to {_fmt(x_a)} "
                f"(‖f(z_a) − f(z_b)‖ = {gap:.2g} in float64, the two points {np.linalg.norm(z_b - z_a):.3g} apart)."
            )
            return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()))
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
    text = (
        f"det ∂f/∂z changes sign: {det_a:.4g} at z = {_fmt(z_a)} and {det_b:.4g} at z = {_fmt(z_b)}. f reverses "
        "orientation somewhere and preserves it elsewhere; a continuous injective map of ℝⁿ has the same local degree "
        "(the sign of det ∂f/∂z wherever it is nonzero) everywhere, so f is not injective and not a diffeomorphism of ℝⁿ."
    )
    return Invertibility("not invertible", text, (z_a.tolist(), z_b.tolist()))


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
            "The inverse g was given (--inverse). SymPy simplifies g(f(z)) − z to 0 for every z: g undoes f, so f is injective, "
            "and p_X(x) = p_Z(g(x))·|det ∂g/∂x| on the image of f."
            if left
            else "The inverse g was given (--inverse). SymPy could not simplify g(f(z)) − z to 0, so injectivity is not "
            "proven; the checks below test f(g(x)) = x at the point and at random points."
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
        text = f"The peeling inverter stopped: {hint.reason}. " + witness.text
        return FlowModel(z, x, forward, (), base, None, "numeric", Invertibility("not invertible", text, witness.witness, witness.witness_exact))
    solutions = _solve_with_time_limit(components, z, x)
    if solutions is not None and len(solutions) == 1 and set(solutions[0]) == set(z):
        candidate = sympy.Matrix([solutions[0][v] for v in z])
        if not candidate.has(sympy.I) and _simplifies_to_zero(candidate.subs(dict(zip(x, forward))) - sympy.Matrix(z)):
            text = (
                f"The peeling inverter stopped ({hint.reason}); sympy.solve found one solution g, and SymPy simplifies "
                "g(f(z)) − z to 0 for every z: g undoes f, so f is injective."
            )
            return FlowModel(z, x, forward, (), base, candidate, "sympy.solve", Invertibility("injective", text))
    tried = "sympy.solve found no single closed form" if solutions is not None else (
        "sympy.solve was not tried (it is only run on small maps of 1 or 2 variables) or ran out of time"
    )
    text = (
        f"No closed-form inverse: the peeling inverter stopped ({hint.reason}) and {tried}. f is inverted numerically at "
        "the point (scipy.optimize.root from the origin, x and fixed-seed random starts). Invertibility is not proven: "
        f"no sign change of det ∂f/∂z was seen at {SIGN_SAMPLES} random points and the root search is reported below."
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
        name="f(f⁻¹(x)) = x",
        method="SymPy simplifies f(f⁻¹(x)) − x to the zero vector, for every x",
        computed=[sympy.sstr(r) for r in residual],
        reference=[0] * model.dimension,
        error=0.0 if residual.is_zero_matrix else 1.0,
        tolerance=0.0,
        detail="0 when the residual simplifies to zero",
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
        name="z = f⁻¹(x): float64 against exact",
        method="the lambdified inverse in float64 against SymPy's exact z evaluated to 30 significant digits",
        computed=computed.tolist(),
        reference=reference.tolist(),
        error=error,
        tolerance=LATENT_TOLERANCE,
        detail="maximum error over the coordinates, relative to max(|z_i|, 1)",
    )


def check_inverse_jacobian(model: FlowModel, point: np.ndarray) -> Check:
    """The symbolic ∂f⁻¹/∂x against SciPy's finite-difference Jacobian of the numeric inverse."""
    symbolic = np.array(vectorized(list(model.jacobian_inverse), model.x)(*point), dtype=float).reshape(
        model.dimension, model.dimension
    )
    numeric, estimated_error = _finite_difference_jacobian(model._inverse_numeric, point)
    return Check(
        name="∂f⁻¹/∂x: symbolic against finite differences",
        method="scipy.differentiate.jacobian (central differences with Richardson extrapolation) of the inverse map",
        computed=symbolic.tolist(),
        reference=numeric.tolist(),
        error=_relative_error(symbolic, numeric),
        tolerance=_fd_tolerance(numeric, estimated_error),
        detail=f"maximum error over the entries, relative to max(|entry|, 1); tolerance {FD_TOLERANCE:g} or 10× SciPy's error estimate",
    )


def check_forward_jacobian(model: FlowModel, latent: np.ndarray, log_abs_det: float) -> Check:
    """det ∂f/∂z at z, by finite differences of f itself, against 1/|det ∂f⁻¹/∂x| (inverse function theorem)."""
    numeric, estimated_error = _finite_difference_jacobian(model._forward_numeric, latent)
    log_det_forward = float(np.linalg.slogdet(numeric)[1])
    # First-order propagation of the entries' errors: |Δ log det| <= ||J⁻¹||_F · ||ΔJ||_F.
    propagated = float(np.linalg.norm(np.linalg.inv(numeric)) * np.linalg.norm(estimated_error))
    return Check(
        name="log|det ∂f/∂z| = −log|det ∂f⁻¹/∂x|",
        method="determinant of the finite-difference Jacobian of f at z = f⁻¹(x) (inverse function theorem)",
        computed=-log_abs_det,
        reference=log_det_forward,
        error=abs(log_det_forward + log_abs_det) / max(1.0, abs(log_abs_det)),
        tolerance=max(FD_TOLERANCE, 10 * propagated),
        detail=f"relative error of the log-determinants; tolerance {FD_TOLERANCE:g} or 10× SciPy's error estimate propagated to the log-determinant",
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
        name="log p_X(x): float64 pipeline against exact value",
        method="SymPy/mpmath evaluation of the exact closed form to 30 significant digits",
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
        name=f"Monte Carlo: {samples:,} samples of {model.base.describe().split(' in each')[0]} pushed through f",
        method=(
            f"fraction of f(z) in the box x ± {half_width} (volume {volume:.3g}) against the integral of p_X over the box "
            f"(scipy.integrate.cubature); p_X(x)·volume = {density * volume:.6g}"
        ),
        computed=hits / samples,
        reference=box_probability,
        error=float(z_score),
        tolerance=MC_Z_LIMIT,
        detail=f"|hits − N·P(box)| / (standard error + 1); hits = {hits}, expected = {expected:.1f} ± {standard_error:.1f}",
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
        name="f(g(x)) = x at x and at random points",
        method=f"the lambdified f after the lambdified inverse g, at x and at f(z) for {INVERSE_POINTS} random z from the base (seed {seed})",
        computed=round_trip[0].tolist() if np.all(np.isfinite(round_trip[0])) else [str(v) for v in round_trip[0]],
        reference=point.tolist(),
        error=error,
        tolerance=INVERSE_TOLERANCE,
        detail="maximum over the points and coordinates of |f(g(x)) − x| / max(|x|, 1)",
    )


def check_roots(model: FlowModel, point: np.ndarray, roots: Sequence[np.ndarray]) -> Check:
    """Each numeric preimage z solves f(z) = x, re-evaluated through the symbolic map at 30 digits."""
    errors = []
    for root in roots:
        image = model.forward.subs(dict(zip(model.z, [sympy.Float(float(v), 30) for v in root])))
        errors.append(max(abs(float(image[i].evalf(30)) - point[i]) for i in range(model.dimension)))
    error = max(errors) / max(1.0, float(np.max(np.abs(point))))
    return Check(
        name="f(z) = x at each preimage found",
        method="SymPy evaluates f at each root to 30 significant digits",
        computed=[[float(v) for v in r] for r in roots],
        reference=point.tolist(),
        error=error,
        tolerance=1e3 * ROOT_RESIDUAL,
        detail="maximum |f(z) − x| relative to max(|x|, 1); the root finder stops at a residual of "
        f"{ROOT_RESIDUAL:g}, the tolerance allows the difference between float64 and 30-digit evaluation",
    )


def _numeric_flow_density(
    model: FlowModel, x_point, point: np.ndarray, steps: list[Step], warnings: list[str], inputs: dict,
    verify: int, seed: int, box: float,
) -> Derivation:
    """p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over the roots of f(z) = x found numerically."""
    invertibility = model.invertibility
    steps.append(Step("Invertibility", invertibility.text))
    if invertibility.verdict == "not invertible":
        warnings.append("f is not invertible: " + invertibility.text.split(". ", 1)[-1])
    steps.append(Step("∂f/∂z", "Differentiate each component of f with respect to z.",
                      equation(Label("∂f/∂z", r"\frac{\partial f}{\partial z}"), model.jacobian_forward)))
    roots = model.preimages(point)
    if roots:
        roots.sort(key=lambda r: -float(model.base.log_pdf(r[None, :])[0] - model.log_abs_det_forward(r)[0]))
    log_dets = [float(model.log_abs_det_forward(r)[0]) for r in roots]
    starts = len(model.starts()) + 1
    steps.append(
        Step(
            "Preimages of x, numerically",
            f"scipy.optimize.root (hybrid Powell, with the symbolic Jacobian) from {starts} starts: the origin, x, the base's centre and "
            f"fixed-seed random points; roots with ‖f(z) − x‖ ≤ {ROOT_RESIDUAL:g}·max(‖x‖, 1), kept when more than "
            f"{ROOT_SEPARATION:g} apart. Found {len(roots)}: " + (", ".join(_fmt(r) for r in roots) or "none") + ".",
            value=[r.tolist() for r in roots],
        )
    )
    if len(roots) > 1 and invertibility.verdict != "not invertible":
        text = f"f is not injective: {len(roots)} distinct points map to x: " + ", ".join(_fmt(r) for r in roots) + "."
        invertibility = Invertibility("not invertible", text, (roots[0].tolist(), roots[1].tolist()))
        steps.append(Step("Invertibility, from the roots", text))
        warnings.append(text)
    log_density = model.log_density_from_roots(roots) if roots else float("-inf")
    if not roots:
        reason = (
            f"No root of f(z) = x was found from {starts} starts: x appears to lie outside the image of f, where p_X = 0 "
            "(not proven: a root finder can miss a root)."
        )
        warnings.append(reason)
    elif len(roots) == 1:
        reason = "p_X(x) = p_Z(z) / |det ∂f/∂z| at the root z (inverse function theorem), in log space."
    else:
        reason = (
            "f is not injective, so the density of x = f(z) sums over the preimages: p_X(x) = Σ p_Z(z)/|det ∂f/∂z| over "
            f"the {len(roots)} roots found (labelled: other preimages may exist), in log space (logsumexp)."
        )
    density = float(np.exp(log_density))
    log_text = f"{log_density:#.15g}" if np.isfinite(log_density) else "−∞"
    steps.append(Step("Density", reason, value=f"{density:.15g}"))
    steps.append(Step("Log-density", "log p_X(x)", value=log_text))

    checks = []
    if roots:
        checks.append(check_roots(model, point, roots))
        for root, log_det in zip(roots[:1], log_dets[:1]):
            if np.isfinite(log_det):
                checks.append(check_forward_jacobian(model, root, -log_det))
        if verify:
            checks.append(check_monte_carlo(model, point, density, verify, seed, box, preimages=roots))
    for check in checks:
        steps.append(Step(f"Check: {check.name}", check.method, check=check))
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
        "witness": list(invertibility.witness) if invertibility.witness is not None and invertibility.text.startswith(("f is not", "The peeling")) and "changes sign" not in invertibility.text else None,
        "checks_passed": all(c.passed for c in checks),
    }
    if invertibility.witness_exact is not None:
        result["witness_exact"] = list(invertibility.witness_exact)
    return Derivation(
        command=COMMAND,
        title="Change of variables: the density of x = f(z), f inverted numerically",
        inputs=inputs,
        steps=steps,
        result=result,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- the derivation


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _as_float(value: sympy.Expr) -> float:
    if value == -sympy.oo:
        return float("-inf")
    return float(value.evalf(30))


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
    warnings: list[str] = []

    cube_root_note = (
        " The cube root is the real one: a negative argument has a negative root (Python's (−8)**(1/3) and SymPy's "
        "default root are complex)." if model.forward.has(real_cbrt) else ""
    )
    steps.append(
        Step(
            "The map",
            f"f : ℝ{_superscript(n)} → ℝ{_superscript(n)} with base density p_Z = {model.base.describe()}.{cube_root_note}",
            equation(Label("f(z)", "f(z)"), model.forward),
        )
    )
    inputs = {"x": [str(c) for c in x_point], "verify": verify, "seed": seed, "box": box}
    if transform is not None:
        inputs = {"transform": transform, "base": model.base.describe(), **inputs}
    if not model.closed_form:
        return _numeric_flow_density(model, x_point, point, steps, warnings, inputs, verify, seed, box)

    # Invertibility, from the peeling solver's reasons.
    if model.inverse_method == "peeling":
        lines = []
        for s in model.inverse_steps:
            why = "; ".join(s.reasons) if s.reasons else f"{s.target} = {s.variable} is the identity"
            lines.append(f"• {s.target} = {sympy.sstr(s.component)}, solved for {s.variable}: {why}.")
        bijective = not any(s.image_conditions for s in model.inverse_steps)
        domain = [c for s in model.inverse_steps for c in s.domain_conditions]
        verdict = (
            f"Each layer is a bijection of ℝ, so f is a bijection of ℝ{_superscript(n)} onto ℝ{_superscript(n)}, with the inverse below."
            if bijective and not domain
            else "f is injective, with the inverse below on its image"
            + (": " + ", ".join(sympy.sstr(c) for s in model.inverse_steps for c in s.image_conditions) if not bijective else "")
            + "."
        )
        if domain:
            where = ", ".join(sympy.sstr(c) for c in domain)
            verdict += f" f is defined only where {where}."
            if model.base.family != "uniform":
                warnings.append(
                    f"f is defined only where {where}, but the base {model.base.describe()} also puts probability elsewhere: "
                    "the density below is that of f(z) over the part of the base where f is defined (it integrates to less than 1)."
                )
        invertibility_text = (
            "f is triangular: each component, in turn, involves one new latent variable, and solving for it peels off "
            "one strictly monotone layer at a time.\n" + "\n".join(lines) + "\n" + verdict
        )
    else:
        invertibility_text = model.invertibility.text
    steps.append(Step("Invertibility", invertibility_text, equation(sympy.Matrix(model.z), model.inverse)))

    for w, w_in_x in model.nondifferentiable_sets:
        zero_set = sympy.solve(sympy.Eq(w_in_x, 0), dict=True)
        where = " or ".join(", ".join(f"{k} = {v}" for k, v in sol.items()) for sol in zero_set) or f"{w_in_x} = 0"
        steps.append(
            Step(
                "Where f is not differentiable",
                f"The cube root has an infinite derivative at 0, so f is not differentiable where {sympy.sstr(w)} = 0, "
                f"that is, where {where}. This set has Lebesgue measure zero, so the change-of-variables formula holds "
                "almost everywhere, and a density may take any value on it without changing a single probability; "
                "the formula's value there is the continuous extension.",
                equation(w, 0),
            )
        )

    steps.append(
        Step(
            "Jacobian of f",
            "Differentiate each component of f with respect to z; the matrix is lower triangular, so its determinant "
            "is the product of the diagonal.",
            equation(DET_FORWARD, model.det_forward),
        )
    )
    steps.append(Step("∂f/∂z", "", equation(Label("∂f/∂z", r"\frac{\partial f}{\partial z}"), model.jacobian_forward)))
    steps.append(
        Step(
            "Jacobian of f⁻¹",
            "Differentiating the closed-form inverse gives a triangular matrix again; by the inverse function theorem "
            "its determinant is 1/det ∂f/∂z at z = f⁻¹(x).",
            equation(Label("∂f⁻¹/∂x", r"\frac{\partial f^{-1}}{\partial x}"), model.jacobian_inverse),
        )
    )
    steps.append(Step("det ∂f⁻¹/∂x", "", equation(DET_INVERSE, model.det_inverse)))

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
            "The latent point z = f⁻¹(x)",
            "x = " + ", ".join(sympy.sstr(c) for c in x_exact),
            equation(sympy.Matrix(model.z), sympy.Matrix(latent_exact)),
            latent_float,
        )
    )
    det_at_point = tidy(model.det_inverse.subs(at_point))
    steps.append(
        Step(
            "Determinant at the point",
            "det ∂f⁻¹/∂x evaluated at x.",
            equation(DET_INVERSE, det_at_point),
            _as_float(det_at_point),
        )
    )

    density_exact = model.density.subs(at_point)  # no simplify: it rewrites exp(−a·e²⁰) into cosh and sinh
    if not in_support:
        density_exact = sympy.Integer(0)
    density_text = sympy.sstr(density_exact.evalf(15)) if density_exact != 0 else "0"
    log_density_exact = sympy.expand_log(model.log_density.subs(at_point), force=True)
    if density_exact == 0:
        log_density_exact = -sympy.oo
    steps.append(
        Step(
            "Density",
            f"p_X(x) = {'N(f⁻¹(x); 0, I)' if model.base.is_standard_normal else 'p_Z(f⁻¹(x))'} · |det ∂f⁻¹/∂x|, exactly:",
            equation(DENSITY, density_exact),
            density_text,
        )
    )

    _, float_log = model.log_density_at(point[None, :])
    float_log_density = float(float_log[0])
    log_abs_det = float(model.log_abs_det(point[None, :])[0])
    density_float = float(np.exp(float_log_density))
    if not in_support:
        low, high = model.base.parameters
        reason = (
            f"z = f⁻¹(x) lies outside the support [{low}, {high}]{_superscript(n)} of the base, so x is outside the image of the base "
            "support under f: p_X(x) = 0 and log p_X(x) = −∞."
        )
        warnings.append(reason)
        log_text = "−∞"
        float_log_density = float("-inf")
    elif density_exact == 0:
        reason = (
            "det ∂f⁻¹/∂x = 0 here: x lies on the image of the set where f is not differentiable, so p_X(x) = 0 "
            "and log p_X(x) = −∞ (this measure-zero set carries no probability)."
        )
        warnings.append(reason)
        log_text = "−∞"
    else:
        reason = (
            f"Computed in log space: {'log N(z; 0, I)' if model.base.is_standard_normal else 'log p_Z(z)'} + log|det ∂f⁻¹/∂x|, "
            "finite even where p_X underflows."
        )
        log_text = f"{float_log_density:#.15g}" if np.isfinite(float_log_density) else sympy.sstr(log_density_exact.evalf(15))
        if density_float == 0.0 and np.isfinite(float_log_density):
            warnings.append(
                f"p_X(x) = {density_text} underflows float64 (the JSON field density is 0.0); "
                "log_density is exact to double precision."
            )
    steps.append(Step("Log-density", reason, equation(LOG_DENSITY, log_density_exact), log_text))

    # Checks, each by an independent route.
    latent = np.array(latent_float)
    checks = []
    round_trip = check_round_trip(model)
    if round_trip.passed or model.inverse_method != "user":
        checks.append(round_trip)
    else:
        steps.append(Step("f(g(x)) = x, symbolically", "SymPy could not simplify f(g(x)) − x to zero; the numeric checks below decide."))
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
                f"x or z = f⁻¹(x) has a coordinate beyond ±{FD_RANGE:g} (or beyond float64's range), where a "
                "finite-difference step overflows; the symbolic Jacobians above are exact regardless.",
            )
        )
    if not np.isfinite(float_log_density) and density_exact != 0:
        warnings.append(
            f"log p_X(x) = {log_text} is below −1.8e308, outside float64: the JSON field log_density is -Infinity; "
            "the exact value is in the Log-density step."
        )
    checks.append(check_log_density(log_density_exact, float_log_density))
    if verify:
        checks.append(check_monte_carlo(model, point, density_float, verify, seed, box))
    for check in checks:
        steps.append(Step(f"Check: {check.name}", check.method, check=check))

    verdict = model.invertibility.verdict if model.invertibility else "bijective"
    result = {
        "invertible": verdict in ("bijective", "injective"),
        "invertibility": verdict,
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
        title=f"Change of variables: the density of x = f(z), z ~ {'N(0, I)' if model.base.is_standard_normal else 'p_Z'}",
        inputs=inputs,
        steps=steps,
        result=result,
        warnings=warnings,
    )
