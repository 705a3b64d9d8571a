"""Problem 1: the change-of-variables density, each number checked by a route independent of SymPy."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from dgm_cli.derivation import plain_text
from dgm_cli.solvers.flow import assignment_flow
from dgm_cli.solvers.flow import solve as flow_density
from dgm_cli.solvers.symbolic import real_cbrt

F = Fraction


def forward_by_hand(z: np.ndarray) -> np.ndarray:
    """The assignment's f, typed from the problem statement, with NumPy's real cube root."""
    z1, z2, z3 = z[..., 0], z[..., 1], z[..., 2]
    return np.stack([z1, z2 * np.exp(z1), np.cbrt(z3 * np.exp(-z1) + z1**2)], axis=-1)


def density_by_root_finding(x: np.ndarray) -> float:
    """p_X(x) = N(z)/|det ∂f/∂z| with z found by scipy.optimize.root and the Jacobian by finite differences."""
    solution = optimize.root(lambda z: forward_by_hand(z) - x, x0=np.zeros(3), tol=1e-14)
    assert solution.success
    z = solution.x
    step = 1e-6
    jacobian = np.column_stack(
        [(forward_by_hand(z + step * e) - forward_by_hand(z - step * e)) / (2 * step) for e in np.eye(3)]
    )
    return stats.multivariate_normal(mean=np.zeros(3)).pdf(z) / abs(np.linalg.det(jacobian))


@pytest.mark.parametrize(
    ("x", "expected"),
    [((0, 1, F(333, 1000)), "0.0128025532530570"), ((0, 1, F(1, 3)), "0.0128281441594734")],
)
def test_density_matches_the_issue_to_15_digits(x, expected):
    result = flow_density([F(c) for c in x]).result
    assert result["density_decimal"] == expected
    assert result["density"] == pytest.approx(float(expected), rel=1e-15)


@pytest.mark.parametrize(
    "x", [(0, 1, F(1, 3)), (F(-1, 2), 2, F(-3, 4)), (1, F(-1, 3), 2), (F(3, 10), F(1, 2), F(4, 5))]
)
def test_density_matches_root_finding_and_finite_differences(x):
    """Independent route: numeric inverse of the typed-in map and a finite-difference determinant (rel 1e-7)."""
    result = flow_density([F(c) for c in x]).result
    reference = density_by_root_finding(np.array([float(c) for c in x]))
    assert result["density"] == pytest.approx(reference, rel=1e-7)


def test_exact_density_is_the_closed_form_at_one_third():
    """At x = (0, 1, 1/3): z = (0, 1, 1/27) and |det ∂f⁻¹/∂x| = 3·(1/3)² = 1/3."""
    result = flow_density([F(0), F(1), F(1, 3)]).result
    expected = sympy.exp(-(1 + sympy.Rational(1, 27) ** 2) / 2) / (2 * sympy.pi) ** sympy.Rational(3, 2) / 3
    assert sympy.simplify(sympy.sympify(result["density_exact"]) - expected) == 0  # our own output, not user text
    assert result["z"] == pytest.approx([0.0, 1.0, 1 / 27], abs=1e-15)
    assert result["log_abs_det_jacobian"] == pytest.approx(math.log(1 / 3), rel=1e-15)


def test_density_matches_monte_carlo_estimate():
    """2·10⁶ samples of N(0, I) pushed through the typed-in f; the box count against ∫_box p_X, within 4 standard
    errors."""
    model = assignment_flow()
    x = np.array([0.0, 0.5, 0.8])
    half = 0.1
    rng = np.random.default_rng(12345)
    samples = 2_000_000
    pushed = forward_by_hand(rng.standard_normal((samples, 3)))
    hits = np.count_nonzero(np.all(np.abs(pushed - x) <= half, axis=1))
    box_probability = integrate.cubature(lambda r: np.exp(model.log_density_at(r)[1]), x - half, x + half).estimate
    expected = samples * box_probability
    assert abs(hits - expected) <= 4 * math.sqrt(expected)
    assert hits > 1000  # the test has power: a 10 % error in p_X would be ~4 standard errors


def test_density_integrates_to_one_over_a_slab():
    """∫ p_X over ℝ³: the x1 and x2 directions integrate out analytically by the triangular structure,
    so integrate numerically on a wide box and compare with the N(0, I) mass of its preimage."""
    model = assignment_flow()
    low, high = np.array([-1.0, -1.5, -1.5]), np.array([1.0, 1.5, 1.5])
    mass = integrate.cubature(lambda r: np.exp(model.log_density_at(r)[1]), low, high, rtol=1e-7).estimate
    # Independent: P(f(Z) ∈ box) by Monte Carlo through the typed-in map.
    rng = np.random.default_rng(7)
    pushed = forward_by_hand(rng.standard_normal((1_000_000, 3)))
    fraction = np.mean(np.all((pushed >= low) & (pushed <= high), axis=1))
    assert mass == pytest.approx(fraction, abs=4 * math.sqrt(fraction * (1 - fraction) / 1_000_000))


def test_log_density_stays_finite_where_the_density_underflows():
    """x = (10, 5, 3): z3 = (27 − 100)·e¹⁰, so log p ≈ −1.29·10¹²; p itself underflows float64."""
    result = flow_density([F(10), F(5), F(3)]).result
    z3 = (27 - 100) * math.exp(10)
    z2 = 5 * math.exp(-10)
    reference = -0.5 * (100 + z2**2 + z3**2) - 1.5 * math.log(2 * math.pi) + math.log(27)
    assert result["log_density"] == pytest.approx(reference, rel=1e-14)
    assert result["log_density"] == pytest.approx(-1.29e12, rel=0.01)
    assert result["density"] == 0.0
    assert result["density_decimal"].startswith("6.0099211440277")


def test_density_on_the_nondifferentiable_plane_is_zero_with_log_minus_infinity():
    derivation = flow_density([F(0), F(1), F(0)])
    assert derivation.result["density"] == 0.0
    assert derivation.result["log_density"] == -math.inf
    assert any("measure" in plain_text(w.message) and w.key == "density" for w in derivation.warnings)


def test_all_checks_pass_including_monte_carlo():
    derivation = flow_density([F(0), F(1), F(1, 3)], verify=300_000, seed=3)
    assert derivation.checks and all(c.passed for c in derivation.checks)
    assert any("Monte Carlo" in plain_text(c.name) for c in derivation.checks)


def test_inverse_is_derived_not_typed():
    model = assignment_flow()
    x1, x2, x3 = model.x
    assert sympy.simplify(model.inverse[2] - (x3**3 - x1**2) * sympy.exp(x1)) == 0
    assert sympy.simplify(model.det_inverse - 3 * x3**2) == 0
    assert [s.image_conditions for s in model.inverse_steps] == [(), (), ()]


def test_real_cube_root_is_real_and_differentiates_correctly():
    w = sympy.Symbol("w", real=True)
    assert real_cbrt(-8) == -2
    assert real_cbrt(sympy.Rational(-1, 27)) == sympy.Rational(-1, 3)
    assert float(real_cbrt(-2).evalf(20)) == pytest.approx(-(2 ** (1 / 3)), rel=1e-15)
    derivative = sympy.lambdify(w, sympy.diff(real_cbrt(w), w), modules=[{"real_cbrt": np.cbrt}, "numpy"])
    for value in (-5.0, -0.3, 0.7, 9.0):
        h = 1e-6
        assert derivative(value) == pytest.approx((np.cbrt(value + h) - np.cbrt(value - h)) / (2 * h), rel=1e-7)


finite = st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(finite, finite, finite)
def test_round_trip_and_log_density_property(x1, x2, x3):
    """f(f⁻¹(x)) = x, and log p = log N(z) + log|det| with the determinant from finite differences of f."""
    model = assignment_flow()
    x = np.array([[x1, x2, x3]])
    z, log_p = model.log_density_at(x)
    back = forward_by_hand(z)
    np.testing.assert_allclose(back[:, :2], x[:, :2], rtol=1e-12, atol=1e-12)
    # The cube root is infinitely ill-conditioned at 0: compare its argument, x3³.
    np.testing.assert_allclose(
        back[:, 2] ** 3, x[:, 2] ** 3, rtol=1e-10, atol=1e-12 * (1 + x1 * x1) * math.exp(abs(x1))
    )
    if abs(x3) < 0.25:
        return  # near the plane x3 = 0 the cube root's curvature defeats a fixed-step difference
    step = 1e-7 * max(1.0, float(np.max(np.abs(z))))
    jacobian = np.column_stack(
        [(forward_by_hand(z[0] + step * e) - forward_by_hand(z[0] - step * e)) / (2 * step) for e in np.eye(3)]
    )
    reference = stats.norm.logpdf(z[0]).sum() - math.log(abs(np.linalg.det(jacobian)))
    assert log_p[0] == pytest.approx(reference, rel=1e-5, abs=1e-5)


# --------------------------------------------------------------------------- the Jacobian of f itself, at the point


def central_difference_jacobian(function, z: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """∂function/∂z by fourth-order central differences, typed here, not SciPy's: truncation O((step/w)⁴) below
    1e-13 even where the cube root's argument w is 1/27, round-off about 1e-11."""
    columns = []
    for e in np.eye(z.size):
        h = step * e
        columns.append((-function(z + 2 * h) + 8 * function(z + h) - 8 * function(z - h) + function(z - 2 * h))
                       / (12 * step))
    return np.column_stack(columns)


FD_DET_TOLERANCE = 1e-8  # relative: fourth-order differences with step 1e-5


@pytest.mark.parametrize(
    "x", [(0, 1, F(1, 3)), (F(-1, 2), 2, F(-3, 4)), (1, F(-1, 3), 2), (F(3, 10), F(1, 2), F(4, 5))]
)
def test_det_of_the_jacobian_of_f_matches_finite_differences_of_f(x):
    """det ∂f/∂z at z = f⁻¹(x), against the determinant of finite differences of the hand-typed f at that z."""
    result = flow_density([F(c) for c in x]).result
    z = np.array(result["z"])
    reference = np.linalg.det(central_difference_jacobian(forward_by_hand, z))
    assert result["det_jacobian_f"] == pytest.approx(reference, rel=FD_DET_TOLERANCE)
    # det ∂f⁻¹/∂x = 3·x3² (typed from the inverse) is its reciprocal
    assert result["det_jacobian_f_inverse"] == pytest.approx(3 * float(F(x[2])) ** 2, rel=1e-15)
    assert result["det_jacobian_f"] * result["det_jacobian_f_inverse"] == pytest.approx(1.0, rel=1e-15)
    # log_abs_det_jacobian keeps its meaning: log|det ∂f⁻¹/∂x|
    assert result["log_abs_det_jacobian"] == pytest.approx(math.log(result["det_jacobian_f_inverse"]), rel=1e-14)


def test_the_jacobian_of_f_at_the_assignments_point_is_3_beside_one_third():
    derivation = flow_density([F(0), F(1), F(1, 3)])
    result = derivation.result
    assert result["det_jacobian_f"] == 3.0 and result["det_jacobian_f_exact"] == "3"
    assert result["det_jacobian_f_inverse"] == pytest.approx(1 / 3, rel=1e-15)
    assert result["det_jacobian_f_inverse_exact"] == "1/3"
    titles = [plain_text(s.title) for s in derivation.steps]
    forward = derivation.steps[titles.index("Jacobian determinant of f at the point")]
    inverse = derivation.steps[titles.index("Determinant at the point")]
    assert forward.value == 3 and plain_text(forward.expr) == "det ∂f/∂z = 3"
    assert float(inverse.value) == pytest.approx(1 / 3, rel=1e-15)
    assert titles.index("Jacobian determinant of f at the point") == titles.index("Determinant at the point") + 1
    assert "equal to 3 at z = f⁻¹(x)" in plain_text(derivation.answer)
    check = next(c for c in derivation.checks if "det ∂f/∂z · det ∂f⁻¹/∂x = 1" in plain_text(c.name))
    assert check.passed and check.applicable


def test_the_exact_latent_point_is_in_the_result():
    result = flow_density([F(0), F(1), F(1, 3)]).result
    assert result["z_exact"] == ["0", "1", "1/27"]
    assert result["log_density_decimal"] == "-4.35611375933837"


# --------------------------------------------------------------------------- the assignment's language, every format

LANGUAGE_CASES = [
    ["--x", "0", "1", "1/3", "--verify", "2000"],
    ["--x", "0", "1", "0"],
    ["--x", "-700", "1e-300", "1e300"],
    ["--transform", "exp(z1)", "--x", "-1"],
    ["--transform", "z1 + tanh(z1)", "--x", "1.5"],
    ["--transform", "z1**2", "--x", "4"],
    ["--transform", "z1 + tanh(z1 + z2); z2 + 0.5*tanh(z1 + z2)", "--x", "0.5,-0.25"],
    ["--transform", "tanh(z1) + tanh(z1/2)", "--x", "3"],
]
FORBIDDEN = __import__("re").compile(r"\b(seed|seeds|card|issue)\b|JSON field", __import__("re").IGNORECASE)


@pytest.mark.parametrize("args", LANGUAGE_CASES, ids=lambda a: " ".join(a))
def test_flow_output_never_says_seed_card_issue_or_json_field(run, args):
    import json

    for fmt in ("plain", "markdown", "latex", "html", "json"):
        completed = run(["flow-density", *args, "--format", fmt])
        assert completed.exit_code == 0, (fmt, completed.stderr)
        text = completed.stdout
        if fmt == "json":  # the inputs record the --seed option's value under its name: not prose
            data = json.loads(text)
            data.pop("inputs")
            text = json.dumps(data, ensure_ascii=False)
        assert not FORBIDDEN.search(text), (fmt, FORBIDDEN.search(text).group(0))
        assert not FORBIDDEN.search(completed.stderr), (fmt, completed.stderr)
