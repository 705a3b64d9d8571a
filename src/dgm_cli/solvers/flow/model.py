"""The flow's model: a map f, its inverse and everything derived from them symbolically (Jacobians, determinants,
the density p_X(x) = p_Z(f⁻¹(x))·|det ∂f⁻¹/∂x|), and the numbers from the same expressions, evaluated in float64
and log space on whole columns of points, or with mpmath at bounded precision where float64 breaks down.

Problem 1's own map is :func:`assignment_map`; :mod:`.transform` builds the model of any other map.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import sympy

from dgm_cli.derivation import Prose
from dgm_cli.errors import InputError
from dgm_cli.solvers.flow.base import STANDARD_NORMAL_BASE, IidBase
from dgm_cli.solvers.flow.layers import LayerFunctions, bisection_log_density, layer_functions
from dgm_cli.solvers.flow.monotone import MonotoneLayer
from dgm_cli.solvers.flow.numeric import numeric_log_density
from dgm_cli.solvers.flow.peeling import InverseStep, invert_triangular
from dgm_cli.solvers.symbolic import (
    MP_DIGITS,
    Budget,
    MpOutOfRange,
    MpUndefined,
    cancel_inverse_pairs,
    log_abs,
    mp_to_float,
    mp_value,
    real_cbrt,
    vectorized,
    with_frozen_constants,
)

MODEL_SECONDS = 2.5  # symbolic work on one map (tidying the Jacobians, the determinant), in total
TIDY_SECONDS = 1.0  # at most this much on any one simplification
DIFFERENTIATE_SECONDS = 3.0  # a Jacobian, on its own clock: it is needed, not a nicety


def assignment_map() -> tuple[list[sympy.Expr], tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...]]:
    """Problem 1's map: f(z) = [z1, z2·e^{z1}, (z3·e^{−z1} + z1²)^{1/3}], the cube root being the real one."""
    z = sympy.symbols("z1:4", real=True)
    x = sympy.symbols("x1:4", real=True)
    z1, z2, z3 = z
    components = [z1, z2 * sympy.exp(z1), real_cbrt(z3 * sympy.exp(-z1) + z1**2)]
    return components, z, x


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
class PointValues:
    """The closed form at one point x, evaluated with mpmath at bounded precision.

    ``latent`` is z = f⁻¹(x); ``det`` is det ∂f⁻¹/∂x and ``log_abs_det`` its log|·| (−∞ where the determinant is 0);
    ``log_base`` is log p_Z(z) (−∞ outside the support); ``log_density`` their sum.
    """

    latent: list  # mpmath numbers (mpmath has no type stubs: its numbers are Any here)
    det: Any
    log_abs_det: Any
    log_base: Any
    log_density: Any
    inside_support: bool
    digits: int


# --------------------------------------------------------------------------- symbolic pieces


def differentiated(work: Callable[[], sympy.Matrix], what: str) -> sympy.Matrix:
    """A Jacobian from SymPy, within its own time limit (differentiation is linear in the size of the map)."""
    jacobian = Budget(DIFFERENTIATE_SECONDS).attempt(work)
    if jacobian is None:
        raise InputError(f"{what} could not be differentiated within {DIFFERENTIATE_SECONDS:g} s", "transform")
    return jacobian


def almost_everywhere(expr: sympy.Expr) -> sympy.Expr:
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
    rows, columns = list(range(matrix.rows)), list(range(matrix.cols))
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


def _columns(points: np.ndarray) -> np.ndarray:
    """The coordinates of rows of points as contiguous columns: NumPy's loops run faster on unit strides."""
    return np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)


# --------------------------------------------------------------------------- the model


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
    base: IidBase = STANDARD_NORMAL_BASE
    given_inverse: sympy.Matrix | None = None  # the inverse given, or sympy.solve's, when not peeled
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
        return differentiated(lambda: self.forward.jacobian(self.z).applyfunc(almost_everywhere), "f")

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
        raw = differentiated(lambda: self.inverse.jacobian(self.x).applyfunc(almost_everywhere), "the inverse of f")
        return raw.applyfunc(self.tidied)

    @cached_property
    def det_inverse(self) -> sympy.Expr:
        """det ∂f⁻¹/∂x, derived from the closed-form inverse."""
        det = self._determinant(self.jacobian_inverse)
        if det is None:
            raise InputError(
                "the Jacobian determinant of the inverse is too large to derive within the time budget", "transform"
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
            w_in_x = Budget(DIFFERENTIATE_SECONDS).attempt(functools.partial(w.subs, substitution))
            if w_in_x is not None:  # past its time, the set is not named (it still has measure zero)
                pairs.append((w, self.tidied(w_in_x)))
        return pairs

    @cached_property
    def image_conditions(self) -> tuple[sympy.Basic, ...]:
        """Conditions on x for f⁻¹(x) to exist (x1 > 0 for a layer exp); empty for a bijection of ℝⁿ."""
        return tuple(c for s in self.inverse_steps for c in s.image_conditions)

    # ----------------------------------------------------------------------- numbers, on whole columns of points

    @cached_property
    def inverse_numeric(self) -> Callable[..., np.ndarray]:
        """f⁻¹ as one NumPy function of the columns x1, …, xn (lambdified once)."""
        return vectorized(list(self.inverse), self.x)

    @cached_property
    def forward_numeric(self) -> Callable[..., np.ndarray]:
        """f as one NumPy function of the columns z1, …, zn."""
        return vectorized(list(self.forward), self.z, saturate=True)

    @cached_property
    def _log_abs_det_numeric(self):
        return vectorized([self.log_abs_det_in_log_space], self.x)

    @cached_property
    def _image_numeric(self):
        conditions = [c for c in self.image_conditions if c is not sympy.true]
        if not conditions:
            return None
        return vectorized([sympy.Piecewise((1, c), (0, True)) for c in conditions], self.x, saturate=True)

    @cached_property
    def _jacobian_forward_numeric(self):
        return vectorized(list(self.jacobian_forward), self.z, saturate=True)

    @cached_property
    def layer_functions(self) -> list[LayerFunctions]:
        """The layers of a map proven one to one, each lambdified once."""
        return layer_functions(self.layers)

    def forward_map(self, latents: np.ndarray) -> np.ndarray:
        """f applied to each row of ``latents``."""
        return self.forward_numeric(*np.asarray(latents, dtype=np.float64).T).T

    def log_abs_det(self, points: np.ndarray) -> np.ndarray:
        """log |det ∂f⁻¹/∂x| at each row of ``points``; −∞ where the determinant is 0."""
        return self._log_abs_det_numeric(*_columns(points))[0]

    def inside_image(self, points: np.ndarray) -> np.ndarray:
        """Whether each row of ``points`` satisfies the image conditions (so that f⁻¹ is defined there)."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if self._image_numeric is None:
            return np.ones(points.shape[0], dtype=bool)
        return np.all(self._image_numeric(*_columns(points)) == 1.0, axis=0)

    def jacobian_forward_at(self, latents: np.ndarray) -> np.ndarray:
        """∂f/∂z at each row of ``latents``: shape (m, n, n)."""
        latents = np.atleast_2d(np.asarray(latents, dtype=np.float64))
        n = self.dimension
        return np.moveaxis(self._jacobian_forward_numeric(*latents.T), -1, 0).reshape(-1, n, n)

    def log_abs_det_forward(self, latents: np.ndarray) -> np.ndarray:
        """log |det ∂f/∂z| at each row of ``latents`` (slogdet of the lambdified symbolic Jacobian)."""
        return np.linalg.slogdet(self.jacobian_forward_at(latents))[1]

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
            return bisection_log_density(self, points)
        if not self.closed_form:
            return numeric_log_density(self, points)
        inside = self.inside_image(points)
        latents, log_p, clean = self._float_route(points, careful)
        if not careful:  # only the rows where float64 broke down (NaN): enough for an integral of p_X
            clean = self._bound_broken_rows(points, latents, log_p)
        for row in np.flatnonzero(inside & ~clean):
            latents[row], log_p[row] = self._values_at_row(points[row])
        # Outside the image p_X = 0, and no z solves f(z) = x: no coordinate of z has a value there (NaN, written
        # as null or an empty cell), even where the inverse's formula would give one (x2 for a first layer exp).
        latents[~inside] = np.nan
        log_p[~inside] = -np.inf
        return latents, log_p

    def _bound_broken_rows(self, points: np.ndarray, latents: np.ndarray, log_p: np.ndarray) -> np.ndarray:
        """The rows where float64 did not break down (no NaN), and those whose density is 0 anyway: a NaN coordinate
        set to the base's centre gives an upper bound on p_X; when even that is 0 (another coordinate overflowed),
        the row's log p_X is set to −∞ without evaluating it again."""
        clean = ~np.isnan(log_p) & ~np.any(np.isnan(latents), axis=1)
        broken = np.flatnonzero(~clean)
        if broken.size:
            bounded = np.where(np.isnan(latents[broken]), self.base.centre, latents[broken])
            with np.errstate(all="ignore"):
                bound = self.base.log_pdf(bounded) + self.log_abs_det(points[broken])
            zero = broken[bound == -np.inf]
            log_p[zero] = -np.inf
            clean[zero] = True
        return clean

    def _float_route(self, points: np.ndarray, careful: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """z and log p_X in float64, and which rows got there without any floating-point exception
        (not looked for unless ``careful``)."""
        columns = _columns(points)

        def evaluate(cols, errors):
            latents = self.inverse_numeric(*cols, errors=errors).T
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

    # ----------------------------------------------------------------------- numbers at one point, in mpmath

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
            inside = self.base.contains(latent)
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

    def log_abs_det_forward_mp(self, latent: Sequence[float] | np.ndarray):
        """log|det ∂f/∂z| at a float64 latent point, with mpmath at 50 digits (no overflow at any size)."""
        import mpmath

        values = {symbol: mpmath.mpf(float(v)) for symbol, v in zip(self.z, latent)}
        with mpmath.workdps(MP_DIGITS):
            if self.det_forward is not None:
                det = mp_value(self.det_forward, values)
            else:
                det = mpmath.det(mpmath.matrix([[mp_value(e, values) for e in row]
                                                for row in self.jacobian_forward.tolist()]))
            return mpmath.log(abs(det)) if det else -mpmath.inf

    def log_density_at_latent_mp(self, latent: Sequence[float] | np.ndarray):
        """log p_Z(z) − log|det ∂f/∂z| at a float64 latent point, with mpmath at 50 digits; −∞ where it has no value."""
        import mpmath

        with mpmath.workdps(MP_DIGITS):
            point = [mpmath.mpf(float(v)) for v in latent]
            if not self.base.contains(point):
                return -mpmath.inf
            try:
                log_det = self.log_abs_det_forward_mp(latent)
            except (MpUndefined, MpOutOfRange):
                return -mpmath.inf
            value = self.base.log_pdf_mp(point) - log_det
            return -mpmath.inf if mpmath.isnan(value) else value


def derive_flow(
    components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol],
    base: IidBase = STANDARD_NORMAL_BASE,
) -> FlowModel:
    """Derive the inverse of a triangular map; raise NotInvertible when it cannot be isolated."""
    budget = Budget(MODEL_SECONDS)
    steps = invert_triangular(components, z, x, budget)
    return FlowModel(tuple(z), tuple(x), sympy.Matrix(components), tuple(steps), base, budget=budget)


@lru_cache(maxsize=1)
def assignment_flow() -> FlowModel:
    """Problem 1's map with its derived inverse (derived once per process)."""
    return derive_flow(*assignment_map())


def density_records(model: FlowModel, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each row of ``points``: x, z = f⁻¹(x), log p_X(x) and p_X(x).

    NaN only where a value does not exist (a coordinate of z outside the image of f); ±∞ only where the
    value is beyond float64 (or is infinite); each row that float64 cannot evaluate is evaluated with mpmath.
    """
    latents, log_p = model.log_density_at(points)
    with np.errstate(over="ignore"):  # p_X above float64's range is written as ∞; log p_X holds its value
        density = np.exp(log_p)
    return {"x": points, "z": latents, "log_density": log_p, "density": density}
