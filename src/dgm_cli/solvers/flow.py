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
from dgm_cli.solvers.numerics import LOG_2PI, log_standard_normal
from dgm_cli.solvers.symbolic import InverseStep, Label, equation, invert_triangular, real_cbrt, vectorized

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
class FlowModel:
    """A map f and everything derived from it symbolically: inverse, Jacobians, log-density."""

    z: tuple[sympy.Symbol, ...]
    x: tuple[sympy.Symbol, ...]
    forward: sympy.Matrix  # f(z)
    inverse_steps: tuple[InverseStep, ...]

    @property
    def dimension(self) -> int:
        return len(self.z)

    @cached_property
    def inverse(self) -> sympy.Matrix:
        """f⁻¹(x), in the order of z."""
        solutions = {s.variable: s.solution for s in self.inverse_steps}
        return sympy.Matrix([solutions[v] for v in self.z])

    @cached_property
    def jacobian_forward(self) -> sympy.Matrix:
        return self.forward.jacobian(self.z)

    @cached_property
    def det_forward(self) -> sympy.Expr:
        # Triangular maps have a triangular Jacobian: the determinant is the
        # product of the diagonal, which stays readable where .det() would not.
        return sympy.simplify(self.jacobian_forward.det(method="berkowitz"))

    @cached_property
    def jacobian_inverse(self) -> sympy.Matrix:
        return sympy.simplify(self.inverse.jacobian(self.x))

    @cached_property
    def det_inverse(self) -> sympy.Expr:
        """det ∂f⁻¹/∂x, derived from the closed-form inverse."""
        return sympy.factor(sympy.simplify(self.jacobian_inverse.det(method="berkowitz")))

    @cached_property
    def abs_det_inverse(self) -> sympy.Expr:
        return sympy.Abs(self.det_inverse)

    @cached_property
    def log_abs_det_jacobian(self) -> sympy.Expr:
        """log |det ∂f⁻¹/∂x|."""
        return sympy.log(self.abs_det_inverse)

    @cached_property
    def density(self) -> sympy.Expr:
        """p_X(x) = (2π)^{−n/2} · exp(−‖f⁻¹(x)‖²/2) · |det ∂f⁻¹/∂x|."""
        squared_norm = sum(c**2 for c in self.inverse)
        return sympy.exp(-squared_norm / 2) / (2 * sympy.pi) ** sympy.Rational(self.dimension, 2) * self.abs_det_inverse

    @cached_property
    def log_density(self) -> sympy.Expr:
        squared_norm = sum(c**2 for c in self.inverse)
        return -sympy.Rational(self.dimension, 2) * sympy.log(2 * sympy.pi) - squared_norm / 2 + self.log_abs_det_jacobian

    @cached_property
    def nondifferentiable_sets(self) -> list[tuple[sympy.Expr, sympy.Expr]]:
        """The cube roots' arguments w(z), each paired with w(f⁻¹(x)): f is not differentiable where w = 0."""
        arguments = sorted({atom.args[0] for atom in self.forward.atoms(real_cbrt)}, key=sympy.default_sort_key)
        substitution = dict(zip(self.z, self.inverse))
        return [(w, sympy.simplify(w.subs(substitution))) for w in arguments]

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
        return self._inverse_numeric(*np.asarray(points, dtype=np.float64).T).T

    def forward_map(self, latents: np.ndarray) -> np.ndarray:
        """f applied to each row of ``latents``."""
        return self._forward_numeric(*np.asarray(latents, dtype=np.float64).T).T

    def log_abs_det(self, points: np.ndarray) -> np.ndarray:
        """log |det ∂f⁻¹/∂x| at each row of ``points``; −∞ where the determinant is 0."""
        return self._log_abs_det_numeric(*np.asarray(points, dtype=np.float64).T)[0]

    def log_density_at(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, log p_X) for each row of ``points``, in float64: log N(z; 0, I) + log|det ∂f⁻¹/∂x|."""
        latents = self.inverse_map(points)
        with np.errstate(all="ignore"):
            log_p = log_standard_normal(latents) + self.log_abs_det(points)
        # An overflowing z makes ‖z‖² = inf: the true log-density is below −1.8e308.
        return latents, np.where(np.isnan(log_p), -np.inf, log_p)


def density_records(model: FlowModel, points: np.ndarray) -> dict[str, np.ndarray]:
    """Batch mode's record for each row of ``points``: x, z = f⁻¹(x), log p_X(x) and p_X(x)."""
    latents, log_p = model.log_density_at(points)
    return {"x": points, "z": latents, "log_density": log_p, "density": np.exp(log_p)}


def derive_flow(components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol]) -> FlowModel:
    """Derive the inverse of a triangular map; raise NotInvertible when it cannot be isolated."""
    steps = invert_triangular(components, z, x)
    return FlowModel(tuple(z), tuple(x), sympy.Matrix(components), tuple(steps))


@lru_cache(maxsize=1)
def assignment_flow() -> FlowModel:
    """Problem 1's map with its derived inverse (derived once per process)."""
    return derive_flow(*assignment_map())


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
    residual = sympy.simplify(model.forward.subs(substitution) - sympy.Matrix(model.x))
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


def check_monte_carlo(
    model: FlowModel, point: np.ndarray, density: float, samples: int, seed: int, half_width: float
) -> Check:
    """Push N(0, I) samples through f; the fraction in a box around x against ∫_box p_X (cubature)."""
    from scipy.integrate import cubature

    low, high = point - half_width, point + half_width
    rng = np.random.default_rng(seed)
    hits, remaining, chunk = 0, samples, 1_000_000
    while remaining > 0:
        size = min(chunk, remaining)
        pushed = model.forward_map(rng.standard_normal((size, model.dimension)))
        hits += int(np.count_nonzero(np.all((pushed >= low) & (pushed <= high), axis=1)))
        remaining -= size

    def box_density(rows: np.ndarray) -> np.ndarray:
        return np.exp(model.log_density_at(rows)[1])

    box_probability = float(cubature(box_density, low, high, rtol=1e-8).estimate)
    expected = samples * box_probability
    standard_error = np.sqrt(max(expected * (1 - box_probability), 0.0))
    # The +1 keeps a box with an expected count near 0 from failing on one stray sample.
    z_score = abs(hits - expected) / (standard_error + 1.0)
    volume = float(np.prod(high - low))
    return Check(
        name=f"Monte Carlo: {samples:,} samples of N(0, I) pushed through f",
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
) -> Derivation:
    """Derive p_X(x) for x = f(z), z ~ N(0, I), step by step, with the checks that verify it."""
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

    steps.append(
        Step(
            "The map",
            f"f : ℝ{_superscript(n)} → ℝ{_superscript(n)} with base density p_Z = N(0, I). The cube root is the real one: a negative argument has a "
            "negative root (Python's (−8)**(1/3) and SymPy's default root are complex).",
            equation(Label("f(z)", "f(z)"), model.forward),
        )
    )

    # Invertibility, from the peeling solver's reasons.
    lines = []
    for s in model.inverse_steps:
        why = "; ".join(s.reasons) if s.reasons else f"{s.target} = {s.variable} is the identity"
        lines.append(f"• {s.target} = {sympy.sstr(s.component)}, solved for {s.variable}: {why}.")
    bijective = not any(s.image_conditions for s in model.inverse_steps)
    verdict = (
        f"Each layer is a bijection of ℝ, so f is a bijection of ℝ{_superscript(n)} onto ℝ{_superscript(n)}, with the inverse below."
        if bijective
        else "f is injective, with the inverse below on its image: "
        + ", ".join(sympy.sstr(c) for s in model.inverse_steps for c in s.image_conditions)
    )
    steps.append(
        Step(
            "Invertibility",
            "f is triangular: each component, in turn, involves one new latent variable, and solving for it peels off "
            "one strictly monotone layer at a time.\n" + "\n".join(lines) + "\n" + verdict,
            equation(sympy.Matrix(model.z), model.inverse),
        )
    )

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

    latent_exact = [sympy.nsimplify(c.subs(at_point)) for c in model.inverse]
    latent_float = [_as_float(c) for c in latent_exact]
    steps.append(
        Step(
            "The latent point z = f⁻¹(x)",
            "x = " + ", ".join(sympy.sstr(c) for c in x_exact),
            equation(sympy.Matrix(model.z), sympy.Matrix(latent_exact)),
            latent_float,
        )
    )
    jacobian_at_point = model.jacobian_inverse.subs(at_point)
    det_at_point = sympy.simplify(model.det_inverse.subs(at_point))
    steps.append(
        Step(
            "Determinant at the point",
            "det ∂f⁻¹/∂x evaluated at x.",
            equation(DET_INVERSE, det_at_point),
            _as_float(det_at_point),
        )
    )

    density_exact = model.density.subs(at_point)  # no simplify: it rewrites exp(−a·e²⁰) into cosh and sinh
    density_text = sympy.sstr(density_exact.evalf(15)) if density_exact != 0 else "0"
    log_density_exact = sympy.expand_log(model.log_density.subs(at_point), force=True)
    if density_exact == 0:
        log_density_exact = -sympy.oo
    steps.append(
        Step(
            "Density",
            "p_X(x) = N(f⁻¹(x); 0, I) · |det ∂f⁻¹/∂x|, exactly:",
            equation(DENSITY, density_exact),
            density_text,
        )
    )

    _, float_log = model.log_density_at(point[None, :])
    float_log_density = float(float_log[0])
    log_abs_det = float(model.log_abs_det(point[None, :])[0])
    density_float = float(np.exp(float_log_density))
    if density_exact == 0:
        reason = (
            "det ∂f⁻¹/∂x = 0 here: x lies on the image of the set where f is not differentiable, so p_X(x) = 0 "
            "and log p_X(x) = −∞ (this measure-zero set carries no probability)."
        )
        warnings.append(reason)
        log_text = "−∞"
    else:
        reason = "Computed in log space: log N(z; 0, I) + log|det ∂f⁻¹/∂x|, finite even where p_X underflows."
        log_text = f"{float_log_density:#.15g}" if np.isfinite(float_log_density) else sympy.sstr(log_density_exact.evalf(15))
        if density_float == 0.0 and np.isfinite(float_log_density):
            warnings.append(
                f"p_X(x) = {density_text} underflows float64 (the JSON field density is 0.0); "
                "log_density is exact to double precision."
            )
    steps.append(Step("Log-density", reason, equation(LOG_DENSITY, log_density_exact), log_text))

    # Checks, each by an independent route.
    latent = np.array(latent_float)
    checks = [check_round_trip(model), check_latent_point(model, point, latent_exact)]
    # Finite differences need room around the point: near float64's limits a step overflows.
    fd_safe = bool(np.all(np.isfinite(latent)) and max(np.max(np.abs(point)), np.max(np.abs(latent))) < FD_RANGE)
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

    result = {
        "invertible": True,
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
        title="Change of variables: the density of x = f(z), z ~ N(0, I)",
        inputs={"x": [str(c) for c in x_point], "verify": verify, "seed": seed, "box": box},
        steps=steps,
        result=result,
        warnings=warnings,
    )
