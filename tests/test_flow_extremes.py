"""flow-density at the edges of float64 and of SymPy: each value against mpmath at 50 digits, each hang as a subprocess.

The references are typed from the problem statement, not taken from the solver: for the assignment's map
z = f⁻¹(x) = (x1, x2·e^(−x1), (x3³ − x1²)·e^(x1)), det ∂f⁻¹/∂x = 3·x3², and
log p_X(x) = log N(z; 0, I) + log|det ∂f⁻¹/∂x|, all evaluated with mpmath at 50 significant digits.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from conftest import strict_json
from dgm_cli.derivation import plain_text
from dgm_cli.errors import InputError
from dgm_cli.expressions import parse_transform
from dgm_cli.solvers.flow import assignment_flow, density_records, transform_model
from dgm_cli.solvers.flow import solve as flow_density
from dgm_cli.solvers.symbolic import Budget, log_abs, mp_value, with_frozen_constants

DIGITS = 50


def mp(text: str):
    """A decimal read exactly at 50 digits (the same number the user typed)."""
    with mpmath.workdps(DIGITS):
        return mpmath.mpf(text)


def assignment_reference(x1: str, x2: str, x3: str):
    """(z, log p_X) for the assignment's map at x, from the closed forms above, in mpmath at 50 digits."""
    with mpmath.workdps(DIGITS):
        a, b, c = mp(x1), mp(x2), mp(x3)
        z = [a, b * mpmath.exp(-a), (c**3 - a**2) * mpmath.exp(a)]
        log_det = mpmath.log(3 * c**2) if c else -mpmath.inf
        log_p = -mpmath.fsum(v**2 for v in z) / 2 - mpmath.mpf(3) / 2 * mpmath.log(2 * mpmath.pi) + log_det
        return z, log_p


def as_float(value) -> float:
    """The float64 nearest an mpmath number, ±inf beyond float64's range (mpmath's own float() rounds the same)."""
    return float(value)


def ten_to_power(text: str) -> tuple[int, float]:
    """Read "10^(L)" (depth 1) or "10^(-10^(K))" (depth 2) as (depth, L or K)."""
    nested = re.fullmatch(r"10\^\(-10\^\((.+)\)\)", text)
    if nested:
        return 2, float(nested.group(1))
    single = re.fullmatch(r"10\^\((.+)\)", text)
    assert single, text
    return 1, float(single.group(1))


def result_of(run, args: list[str]) -> dict:
    completed = run(["flow-density", *args, "--json"])
    assert completed.exit_code == 0, completed.stderr
    return strict_json(completed.stdout)["result"]


def number(value) -> float:
    """A JSON number, with "Infinity" and "-Infinity" read back."""
    return float(value)


# --------------------------------------------------------------------------- 1. batch rows: no NaN where a value exists


def test_batch_row_outside_the_image_has_density_zero_and_log_minus_infinity():
    components, z, x = parse_transform("exp(z1); z2")
    model = transform_model(components, z, x)
    records = density_records(model, np.array([[1.0, 2.0], [-1.0, 2.0], [0.0, 3.0]]))
    # Inside: z = (log 1, 2) = (0, 2) and p = N(0)N(2)/1.
    inside = float(-mpmath.log(2 * mpmath.pi) - mpmath.mpf(4) / 2)
    assert records["log_density"][0] == pytest.approx(inside, rel=1e-15, abs=0)
    # Outside the image (x1 <= 0): density 0, log density −∞; no z solves f(z) = x, so no coordinate has a value
    # (NaN, which the batch writers turn into null or an empty cell).
    assert records["density"][1:].tolist() == [0.0, 0.0]
    assert records["log_density"][1:].tolist() == [-math.inf, -math.inf]
    assert np.isnan(records["z"][1:]).all()


@pytest.mark.parametrize(
    "row",
    [
        ("-1e307", "-0.0043", "16.78"),  # z2 = x2·e^(−x1) overflows and z3 is inf·0 in float64
        ("-745", "1e-300", "1"),  # e^745 overflows, yet z2 = 1e-300·e^745 ≈ 3e23 fits in float64
        ("800", "1e300", "1"),  # e^(−800) underflows, yet z2 = 1e300·e^(−800) ≈ 3.7e-48 fits
        ("0", "1", "1e-160"),  # det = 3·x3² is subnormal: its logarithm is not
        ("0", "1", "1e-300"),  # det underflows to 0: log p = −1383.7…, finite
        ("9.99e307", "-6e-10", "-6e-9"),
        ("-1e7", "0", "1"),
    ],
)
def test_batch_rows_at_float64s_edges_match_mpmath(row):
    records = density_records(assignment_flow(), np.array([[float(v) for v in row]]))
    z_ref, log_ref = assignment_reference(*row)
    z = records["z"][0]
    assert not np.isnan(z).any() and not np.isnan(records["log_density"]).any()
    for computed, reference in zip(z, z_ref):
        expected = as_float(reference)
        if math.isinf(expected) or expected == 0:
            assert computed == expected
        else:
            assert computed == pytest.approx(expected, rel=1e-13, abs=0)
    expected_log = as_float(log_ref)
    if math.isinf(expected_log):
        assert records["log_density"][0] == expected_log  # beyond float64: log p is below −1.8e308
    else:
        assert records["log_density"][0] == pytest.approx(expected_log, rel=1e-14, abs=0)


def test_batch_of_ordinary_rows_keeps_float64_speed_and_values():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(2000, 3))
    records = density_records(assignment_flow(), points)
    for row in points[:20]:
        _, log_ref = assignment_reference(*(repr(float(v)) for v in row))
        index = int(np.flatnonzero((points == row).all(axis=1))[0])
        assert records["log_density"][index] == pytest.approx(float(log_ref), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- 2. the finite-difference check near a pole


@pytest.mark.parametrize(
    ("transform", "x", "inverse", "derivative"),
    [
        ("exp(z1)", "0.5", mpmath.log, lambda v: 1 / v),
        ("exp(z1)", "0.25", mpmath.log, lambda v: 1 / v),
        ("exp(z1)", "0.1", mpmath.log, lambda v: 1 / v),
        ("tanh(z1)", "0.5", mpmath.atanh, lambda v: 1 / (1 - v**2)),
        ("sigmoid(z1)", "0.5", lambda v: mpmath.log(v / (1 - v)), lambda v: 1 / (v * (1 - v))),
    ],
)
def test_finite_differences_step_inside_the_domain_of_the_inverse(run, transform, x, inverse, derivative):
    completed = run(["flow-density", "--transform", transform, "--x", x, "--json"])
    assert completed.exit_code == 0, completed.stderr
    data = strict_json(completed.stdout)
    check = next(c for c in data["checks"] if c["name"].startswith("∂f⁻¹/∂x"))
    assert check["passed"] and check["applicable"]
    with mpmath.workdps(DIGITS):
        v = mp(x)
        assert check["reference"][0][0] == pytest.approx(float(derivative(v)), rel=1e-8)
        log_p = -inverse(v) ** 2 / 2 - mpmath.log(2 * mpmath.pi) / 2 + mpmath.log(abs(derivative(v)))
    assert data["result"]["log_density"] == pytest.approx(float(log_p), rel=1e-14, abs=0)


# --------------------------------------------------------------------------- 3. no hang: subprocess runs that end

NESTED_SINH_16 = "sinh(" * 16 + "z1" + ")" * 16
NESTED_SINH_20 = "sinh(" * 20 + "z1" + ")" * 20
CBRT_8_BY_10 = "; ".join("cbrt(" * 10 + f"z{i}" + ")" * 10 for i in range(1, 9))
HANGS = {
    "x1 = 1e4": ["--x", "1e4", "1", "1"],
    "x1 = -1e5": ["--x", "-1e5", "-2", "-3"],
    "box 5, verify 100": ["--box", "5", "--verify", "100"],
    "box 10, verify 100": ["--box", "10", "--verify", "100"],
    "exp(1e9)*z1": ["--transform", "exp(1e9)*z1", "--x", "0.5"],
    "exp(1e308)*z1": ["--transform", "exp(1e308)*z1", "--x", "0.5"],
    "sinh nested 16": ["--transform", NESTED_SINH_16, "--x", "0.5"],
    "sinh nested 20": ["--transform", NESTED_SINH_20, "--x", "0.5"],
    "arcsinh, cbrt, sinh": ["--transform", "arcsinh(1e-8*z1); cbrt(z2 + 2*z1); sinh(z3 + exp(z1)*z1)",
                            "--x", "0.5", "0.5", "0.5"],
    "cbrt nested 10, 8 components": ["--transform", CBRT_8_BY_10, "--x", *["0.5"] * 8],
}


@pytest.fixture(scope="module")
def hang_runs():
    """Every hang case as a real process, two at a time; each must end within 20 s."""

    def one(args):
        try:
            return subprocess.run(
                [sys.executable, "-m", "dgm_cli", "flow-density", *args, "--json"],
                capture_output=True, text=True, timeout=20,
            )
        except subprocess.TimeoutExpired as timeout:
            return timeout  # the test of that case fails; the others still run

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(HANGS, pool.map(one, HANGS.values())))


@pytest.mark.parametrize("case", list(HANGS))
def test_hostile_input_ends_with_a_result_or_a_refusal(hang_runs, case):
    completed = hang_runs[case]
    assert not isinstance(completed, subprocess.TimeoutExpired), f"{case}: still running after 20 s"
    assert completed.returncode in (0, 2), completed.stderr
    assert "internal error" not in completed.stderr


def test_huge_x1_gives_log_density_beyond_float64_with_the_exponent_of_p(hang_runs):
    result = strict_json(hang_runs["x1 = 1e4"].stdout)["result"]
    _, log_ref = assignment_reference("1e4", "1", "1")
    assert result["log_density"] == "-Infinity"  # log p ≈ −3.9e8701, below −1.8e308
    depth, exponent = ten_to_power(result["density_decimal"])
    with mpmath.workdps(DIGITS):
        assert depth == 1 and exponent == pytest.approx(float(log_ref / mpmath.ln10), rel=1e-13, abs=0)


def test_nested_sinh_density_matches_the_composed_inverse(hang_runs):
    result = strict_json(hang_runs["sinh nested 20"].stdout)["result"]
    with mpmath.workdps(DIGITS):
        v, log_det = mp("0.5"), mpmath.mpf(0)
        for _ in range(20):  # asinh twenty times, with the chain rule of d asinh(u)/du = 1/sqrt(1 + u²)
            log_det -= mpmath.log(1 + v**2) / 2
            v = mpmath.asinh(v)
        log_p = -v**2 / 2 - mpmath.log(2 * mpmath.pi) / 2 + log_det
    assert result["z"][0] == pytest.approx(float(v), rel=1e-14, abs=0)
    assert result["log_density"] == pytest.approx(float(log_p), rel=1e-14, abs=0)


def test_a_constant_like_exp_1e9_is_evaluated_not_expanded(hang_runs):
    result = strict_json(hang_runs["exp(1e9)*z1"].stdout)["result"]
    with mpmath.workdps(DIGITS):
        z = mp("0.5") * mpmath.exp(-mpmath.mpf(10) ** 9)
        log_p = -z**2 / 2 - mpmath.log(2 * mpmath.pi) / 2 - mpmath.mpf(10) ** 9
    assert result["log_density"] == pytest.approx(float(log_p), rel=1e-15, abs=0)
    assert result["density"] == 0.0 and result["density_decimal"].startswith(mpmath.nstr(mpmath.exp(log_p), 6)[:6])


def test_cbrt_nested_ten_deep_in_eight_dimensions(hang_runs):
    result = strict_json(hang_runs["cbrt nested 10, 8 components"].stdout)["result"]
    with mpmath.workdps(DIGITS):  # z = x^(3^10) in each coordinate; det = ∏ 3^10 · x^(3^10 − 1)
        v, k = mp("0.5"), 3**10
        log_p = 8 * (mpmath.log(k) + (k - 1) * mpmath.log(v)) - 4 * mpmath.log(2 * mpmath.pi) - 8 * (v**k) ** 2 / 2
    assert result["log_density"] == pytest.approx(float(log_p), rel=1e-14, abs=0)


def test_a_symbolic_step_out_of_time_falls_back_instead_of_hanging():
    x = sympy.Symbol("x", real=True)
    # SymPy's factor reads exp(-10**9) as exp(-1)**(10**9): gigabytes. The budget stops it.
    assert Budget(0.3).attempt(lambda: sympy.factor(x * sympy.exp(-(10**9))), lambda: "fallback") == "fallback"
    # With the constant held as a symbol, the same factorisation is immediate and unchanged.
    assert with_frozen_constants(sympy.factor, x * sympy.exp(-(10**9))) == x * sympy.exp(-(10**9))


# ---------------------------------------------------------------- 4. internal errors become results or refusals


@pytest.mark.parametrize(
    "args",
    [
        ["--x", "0", "1", "1e309"],
        ["--x", "0", "1", "1e400"],
        ["--x", "0", "1", "1" + "0" * 399],
        ["--transform", "sign(z1)", "--x", "0.5"],
        ["--transform", "exp(1e20)", "--x", "0.5"],
        ["--transform", "z3; (sign(z2/z1))**3; (exp(z1))**3", "--x", "1", "1", "1"],
    ],
)
def test_refusals_are_one_line_with_exit_2(run, args):
    completed = run(["flow-density", *args])
    assert completed.exit_code == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0]
    assert len(lines[0]) < 300  # no 400-digit number in the message


def test_a_box_beyond_float64_is_refused_by_the_solver():
    with pytest.raises(InputError):
        flow_density([Fraction(0), Fraction(1), Fraction(1, 3)], box=math.inf)


@pytest.mark.parametrize(
    "row",
    [("-1e7", "0", "1"), ("9.99e307", "-6e-10", "-6e-9"), ("-1e17", "1e-400", "-0.0003"),
     ("-1e307", "-0.0043", "16.78")],
)
def test_extreme_points_give_results_that_match_mpmath(run, row):
    result = result_of(run, ["--x", *row])
    z_ref, log_ref = assignment_reference(*row)
    for computed, reference in zip(result["z"], z_ref):
        expected = as_float(reference)
        if math.isinf(expected) or expected == 0:
            assert number(computed) == expected
        else:
            assert number(computed) == pytest.approx(expected, rel=1e-14, abs=0)
    expected_log = as_float(log_ref)
    if math.isinf(expected_log):
        assert result["log_density"] == "-Infinity"
        depth, value = ten_to_power(result["density_decimal"])
        with mpmath.workdps(DIGITS):
            log10_p = log_ref / mpmath.ln10
            reference = log10_p if depth == 1 else mpmath.log10(-log10_p)
        assert value == pytest.approx(float(reference), rel=1e-13, abs=0)
    else:
        assert result["log_density"] == pytest.approx(expected_log, rel=1e-15, abs=0)
    assert result["checks_passed"] is True


def one_dimensional_reference(inverse, log_abs_derivative, x: str):
    """log p_X(x) = log φ(g(x)) + log|g'(x)| for a map with inverse g, in mpmath at 50 digits."""
    with mpmath.workdps(DIGITS):
        v = mp(x)
        return -inverse(v) ** 2 / 2 - mpmath.log(2 * mpmath.pi) / 2 + log_abs_derivative(v)


@pytest.mark.parametrize(
    ("transform", "inverse", "log_abs_derivative"),
    [
        ("cbrt(cbrt(z1))", lambda v: v**9, lambda v: mpmath.log(9 * v**8)),
        ("1e400*z1", lambda v: v / mpmath.mpf(10) ** 400, lambda v: -400 * mpmath.log(10)),
        ("log(1e300)*z1", lambda v: v / (300 * mpmath.log(10)), lambda v: -mpmath.log(300 * mpmath.log(10))),
        ("exp(710)*z1", lambda v: v * mpmath.exp(-710), lambda v: mpmath.mpf(-710)),
        ("arcsinh(z1)", mpmath.sinh, lambda v: mpmath.log(mpmath.cosh(v))),
    ],
)
def test_maps_with_extreme_constants_give_exact_log_densities(run, transform, inverse, log_abs_derivative):
    result = result_of(run, ["--transform", transform, "--x", "0.5"])
    reference = one_dimensional_reference(inverse, log_abs_derivative, "0.5")
    assert result["log_density"] == pytest.approx(float(reference), rel=1e-15, abs=0)
    assert result["checks_passed"] is True


def test_a_tiny_scale_sends_z_beyond_float64_and_says_so(run):
    completed = run(["flow-density", "--transform", "1e-400*z1", "--x", "0.5", "--json"])
    assert completed.exit_code == 0
    result = strict_json(completed.stdout)["result"]
    assert result["z"] == ["Infinity"] and result["log_density"] == "-Infinity"
    assert "beyond float64" in completed.stderr
    with mpmath.workdps(DIGITS):
        z = mp("0.5") * mpmath.mpf(10) ** 400
        log10_p = (-z**2 / 2 - mpmath.log(2 * mpmath.pi) / 2 + 400 * mpmath.log(10)) / mpmath.ln10
    assert ten_to_power(result["density_decimal"]) == (1, pytest.approx(float(log10_p), rel=1e-13, abs=0))


# ---------------------------------------------------------------- 5. exact values are exact; no false failures


@pytest.mark.parametrize(("row", "index"), [(("700", "1e300", "1"), 1), (("-100", "1e-40", "1"), 1)])
def test_exact_latent_values_are_not_rounded_to_zero(run, row, index):
    result = result_of(run, ["--x", *row])
    z_ref, _ = assignment_reference(*row)
    assert result["z"][index] == pytest.approx(float(z_ref[index]), rel=1e-15, abs=0)  # 9.86e-5 and 2688.1, not 0
    assert result["checks_passed"] is True


@pytest.mark.parametrize("x3", ["1e-300", "5e-324", "1e-310", "1e-400", "1e-160"])
def test_a_finite_log_density_is_written_to_full_precision(run, x3):
    result = result_of(run, ["--x", "0", "1", x3])
    _, log_ref = assignment_reference("0", "1", x3)
    assert result["log_density"] == pytest.approx(float(log_ref), rel=1e-15, abs=0)  # −1383.709…, never −∞
    assert result["checks_passed"] is True


def test_a_tiny_base_scale_gives_the_exponent_of_the_density(run):
    result = result_of(run, ["--base", "normal(0,1e-400)", "--x", "0", "1", "0.333"])
    z, _ = assignment_reference("0", "1", "0.333")
    with mpmath.workdps(DIGITS):
        sigma = mp("1e-400")
        log_p = (-mpmath.fsum(v**2 for v in z) / (2 * sigma**2) - 3 * mpmath.log(sigma)
                 - mpmath.mpf(3) / 2 * mpmath.log(2 * mpmath.pi) + mpmath.log(3 * mp("0.333") ** 2))
        log10_p = log_p / mpmath.ln10
    assert result["log_density"] == "-Infinity"
    assert ten_to_power(result["density_decimal"]) == (1, pytest.approx(float(log10_p), rel=1e-13, abs=0))


def test_a_uniform_base_wider_than_float64_has_a_finite_log_density(run):
    result = result_of(run, ["--base", "uniform(-1e308,1e308)", "--x", "0", "1", "0.333", "--verify", "2000"])
    with mpmath.workdps(DIGITS):
        log_p = -3 * mpmath.log(2 * mp("1e308")) + mpmath.log(3 * mp("0.333") ** 2)
    assert result["log_density"] == pytest.approx(float(log_p), rel=1e-15, abs=0)


def test_log_space_determinant_stays_finite_where_the_determinant_underflows():
    x3 = sympy.Symbol("x3", real=True)
    value = mp_value(log_abs(3 * x3**2), {x3: sympy.Rational(1, 10**300)})
    with mpmath.workdps(DIGITS):
        assert float(value) == pytest.approx(float(mpmath.log(3) - 600 * mpmath.log(10)), rel=1e-15)


def test_time_limit_interrupts_pure_python_work_and_restores_the_alarm():
    import signal
    import time

    from dgm_cli.solvers.symbolic import OutOfTime, time_limit

    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        with time_limit(0.2):
            while True:  # SymPy's loops are Python loops like this one
                pass
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_exact_box_beyond_float64_is_refused_before_it_becomes_a_float():
    """The CLI may hand the solver the exact half-width typed: 1e400 is refused, not overflowed."""
    with pytest.raises(InputError) as error:
        flow_density([Fraction(0), Fraction(1), Fraction(1, 3)], box=Fraction(10) ** 400)
    assert error.value.option == "box"


# --------------------------------------------------------------------------- 6. readable and correct at the extremes

EXTREME = ("-700", "1e-300", "1e300")


def _before_result(text: str) -> str:
    """A text format's output up to its Result section (the flat result values come last)."""
    return text[: text.rfind("Result")]


def test_the_extreme_point_exits_0_with_the_log_density_of_mpmath(run):
    completed = run(["flow-density", "--x", *EXTREME, "--json"])
    assert completed.exit_code == 0, completed.stderr
    data = strict_json(completed.stdout)
    result = data["result"]
    assert result["checks_passed"] is True and all(c["passed"] for c in data["checks"])
    z_ref, log_ref = assignment_reference(*EXTREME)  # log p ≈ −4.86e1191, beyond float64
    assert result["log_density"] == "-Infinity"
    assert float(result["log_density_decimal"]) == pytest.approx(float(log_ref), rel=1e-14, abs=0)
    depth, exponent = ten_to_power(result["density_decimal"])
    with mpmath.workdps(DIGITS):
        assert depth == 1 and exponent == pytest.approx(float(log_ref / mpmath.ln10), rel=1e-14, abs=0)
    # z3 = (x3³ − x1²)·e^(x1) ≈ 9.86e595 is beyond float64: "Infinity" in z, its exact form in z_exact
    assert result["z"][:2] == [-700.0, pytest.approx(float(z_ref[1]), rel=1e-15)] and result["z"][2] == "Infinity"
    with mpmath.workdps(DIGITS):
        for text, reference in zip(result["z_exact"], z_ref):
            value = mp_value(sympy.sympify(text))  # our own output, not user text
            assert abs(value - reference) <= mpmath.mpf(10) ** (-45) * abs(reference)
    # the determinants: det ∂f⁻¹/∂x = 3·x3² = 3e600 exactly, det ∂f/∂z its reciprocal
    assert sympy.Rational(result["det_jacobian_f_inverse_exact"]) == 3 * sympy.Integer(10) ** 600
    assert sympy.Rational(result["det_jacobian_f_exact"]) == sympy.Rational(1, 3 * 10**600)
    assert result["det_jacobian_f_inverse"] == "Infinity" and result["det_jacobian_f"] == 0.0
    assert result["log_abs_det_jacobian"] == pytest.approx(float(mpmath.log(3) + 600 * mpmath.log(10)), rel=1e-15)


@pytest.mark.parametrize("fmt", ["plain", "markdown", "latex", "html"])
def test_the_extreme_point_prints_compact_numbers_in_every_text_format(run, fmt):
    """No number of more than 30 digits in the derivation (question, steps, checks, answer): scientific notation."""
    completed = run(["flow-density", "--x", *EXTREME, "--format", fmt])
    assert completed.exit_code == 0, completed.stderr
    derivation = _before_result(completed.stdout)
    long_numbers = re.findall(r"\d{31,}", derivation)
    assert not long_numbers, [n[:40] for n in long_numbers]
    assert len(derivation) < 40_000  # the 300-digit inputs and 1800-digit exponents would make it far longer


def test_the_extreme_points_steps_hold_the_values_beyond_float64():
    derivation = flow_density([Fraction(-700), Fraction(1, 10**300), Fraction(10**300)])
    titles = [plain_text(s.title) for s in derivation.steps]
    latent = derivation.steps[titles.index("The latent point z = f⁻¹(x)")].value
    _, log_ref = assignment_reference(*EXTREME)
    z_ref, _ = assignment_reference(*EXTREME)
    with mpmath.workdps(DIGITS):
        assert float(mpmath.log10(mp_value(latent[2]))) == pytest.approx(float(mpmath.log10(z_ref[2])), rel=1e-14)
        log_value = derivation.steps[titles.index("Log-density")].value
        assert float(mp_value(log_value)) == pytest.approx(float(log_ref), rel=1e-14)
        det_f = derivation.steps[titles.index("Jacobian determinant of f at the point")].value
        assert float(mpmath.log10(mp_value(det_f))) == pytest.approx(-600 - float(mpmath.log10(3)), rel=1e-14)
    assert any(w.key == "det_jacobian_f" for w in derivation.warnings)
