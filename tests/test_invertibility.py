"""flow-density for maps without a closed-form inverse: invertibility proven layer by layer, the preimage by
bisection, batch mode on whole columns, and points outside the image of f answered with density 0.

Every number is pinned against an independent computation: a root found by scipy.optimize.brentq on the map typed
here in NumPy, the log-density from that root and the derivative typed by hand, or mpmath at 50 digits.
"""

from __future__ import annotations

import csv
import io
import math

import mpmath
import numpy as np
import pytest
import sympy
from scipy import optimize, stats

from conftest import strict_json
from dgm_cli.derivation import plain_text
from dgm_cli.errors import InputError
from dgm_cli.expressions import parse_transform
from dgm_cli.solvers.flow import bisect_increasing, density_records, transform_model
from dgm_cli.solvers.flow.bounds import NoBounds, real_bounds
from dgm_cli.solvers.flow.monotone import derivative_sign
from dgm_cli.solvers.symbolic import real_cbrt

EPS = float(np.finfo(np.float64).eps)
DIGITS = 50
BRENTQ_XTOL = 1e-320  # brentq's absolute tolerance: the references are that close to a root at 0
Z1, Z2 = sympy.symbols("z1 z2", real=True)


def sympify(text: str) -> sympy.Expr:
    """A test expression in real z1, z2 (SymPy's own parser: our text, not user input)."""
    return sympy.sympify(text, locals={"z1": Z1, "z2": Z2, "cbrt": real_cbrt})


def model_of(text: str):
    return transform_model(*parse_transform(text))


def result_of(run, args: list[str]) -> dict:
    completed = run(["flow-density", *args, "--json"])
    assert completed.exit_code == 0, completed.stderr
    return strict_json(completed.stdout)


# One-dimensional maps: f and f' typed by hand in NumPy (independent of SymPy), and whether f has a closed-form
# inverse (sinh peels to arcsinh; the others do not).
ONE_D = {
    "z1 + tanh(z1)": (lambda z: z + np.tanh(z), lambda z: 2 - np.tanh(z) ** 2, "bisection"),
    "z1 + 0.5*tanh(z1)": (lambda z: z + 0.5 * np.tanh(z), lambda z: 1 + 0.5 * (1 - np.tanh(z) ** 2), "bisection"),
    "sinh(z1)": (np.sinh, np.cosh, "peeling"),
    "z1**3 + z1": (lambda z: z**3 + z, lambda z: 3 * z**2 + 1, "bisection"),
    "z1 + 0.9*abs(z1)": (lambda z: z + 0.9 * np.abs(z), lambda z: 1 + 0.9 * np.sign(z), "bisection"),
}


def brentq_root(function, target: float) -> float:
    """The root of function(z) = target by scipy.optimize.brentq, from a bracket grown until it holds the root."""
    low, high = -1.0, 1.0
    while function(low) > target:
        low *= 2
    while function(high) < target:
        high *= 2
    return optimize.brentq(lambda z: function(z) - target, low, high, xtol=BRENTQ_XTOL, rtol=4 * EPS, maxiter=5000)


def resolution(z: float, scale: float, slope: float) -> float:
    """float64's resolution of a root: ε·(|z| + s/|f'(z)|), s the size of the terms of f there."""
    return EPS * (abs(z) + scale / abs(slope))


# --------------------------------------------------------------------------- 1. invertibility proven, argument shown


@pytest.mark.parametrize("transform", list(ONE_D))
@pytest.mark.parametrize("x", ["1.5", "-3", "0.25"])
def test_monotone_maps_are_proven_bijective_and_match_brentq(run, transform, x):
    forward, derivative, method = ONE_D[transform]
    data = result_of(run, ["--transform", transform, "--x", x])
    result = data["result"]
    assert result["invertible"] is True and result["invertibility"] == "bijective"
    assert result["inverse_method"] == method
    target = float(x)
    root = brentq_root(forward, target)
    # The preimage to full float64 precision: within 4 units of float64's resolution of the root.
    scale = abs(target) + abs(root)
    assert abs(result["z"][0] - root) <= 4 * resolution(root, scale, derivative(root))
    # The closed-form log-density at the brentq root: log φ(z) − log f'(z).
    reference = stats.norm.logpdf(root) - math.log(derivative(root))
    assert result["log_density"] == pytest.approx(reference, rel=1e-12, abs=1e-12)
    assert result["checks_passed"] is True
    assert all(c["passed"] for c in data["checks"])


def test_the_argument_is_printed_step_by_step(run):
    data = result_of(run, ["--transform", "z1 + tanh(z1)", "--x", "1.5"])
    step = next(s for s in data["steps"] if s["title"] == "Invertibility")
    text = step["text"]
    assert "2 - tanh(z₁)^2 > 1" in text  # the derivative's bound
    assert "it tends to −∞ as z₁ → −∞ and to ∞ as z₁ → +∞" in text and "intermediate value theorem" in text
    assert "bijection of ℝ onto ℝ" in text
    assert "by bisection" in text


def test_a_triangular_map_whose_last_layer_has_no_closed_form(run):
    data = result_of(run, ["--transform", "z1; z2 + tanh(z2) + z1", "--x", "0.7", "2.5"])
    result = data["result"]
    assert result["invertible"] is True and result["invertibility"] == "bijective"
    assert result["inverse_method"] == "bisection"
    x1, x2 = 0.7, 2.5
    z2 = brentq_root(lambda v: x1 + v + np.tanh(v), x2)
    assert result["z"][0] == x1
    assert abs(result["z"][1] - z2) <= 4 * resolution(z2, abs(x2) + abs(x1) + abs(z2), 2 - np.tanh(z2) ** 2)
    # Triangular: det ∂f/∂z = 1 · (2 − tanh² z2), and p_X = φ(z1) φ(z2) / det.
    reference = stats.norm.logpdf(x1) + stats.norm.logpdf(z2) - math.log(2 - np.tanh(z2) ** 2)
    assert result["log_density"] == pytest.approx(reference, rel=1e-12)
    steps = " ".join(s["text"] for s in data["steps"])
    assert "x₁ = z₁ is the identity" in steps and "strictly increasing in z₂" in steps


def test_the_log_density_matches_mpmath_at_50_digits():
    """z + tanh z at x = 1.5: the root and log p_X from mpmath.findroot at 50 digits."""
    from fractions import Fraction

    from dgm_cli.solvers.flow import solve as flow_density

    derivation = flow_density([Fraction(3, 2)], model=model_of("z1 + tanh(z1)"), transform="z1 + tanh(z1)")
    with mpmath.workdps(DIGITS):
        z = mpmath.findroot(lambda v: v + mpmath.tanh(v) - mpmath.mpf(1.5), 0.8)
        log_p = -z**2 / 2 - mpmath.log(2 * mpmath.pi) / 2 - mpmath.log(2 - mpmath.tanh(z) ** 2)
    assert derivation.result["z"][0] == pytest.approx(float(z), rel=2 * EPS, abs=0)
    assert derivation.result["log_density"] == pytest.approx(float(log_p), rel=1e-14, abs=0)
    assert derivation.result["density_decimal"].startswith(mpmath.nstr(mpmath.exp(log_p), 12, strip_zeros=False)[:12])


@pytest.mark.parametrize(
    ("transform", "reason"),
    [
        ("z1**5 + z1**3", "0 only where"),  # f' = z²(5z² + 3) >= 0, zero at an isolated point
        ("sinh(z1) - z1", "0 only where"),
        ("cbrt(z1) + z1", "finite"),  # f' = 1 + 1/(3·cbrt(z)²), infinite at 0
        ("exp(z1) + z1", "> 1"),
        ("softplus(z1) + z1", "> 1"),
    ],
)
def test_other_monotone_maps_are_proven(transform, reason):
    model = model_of(transform)
    assert model.inverse_method == "bisection" and model.invertibility.verdict == "bijective"
    assert reason in plain_text(model.invertibility.text)


def test_a_map_onto_an_interval_is_injective_with_that_image(run):
    # tanh(z) + tanh(z/2) increases from −2 to 2: injective, image (−2, 2).
    data = result_of(run, ["--transform", "tanh(z1) + tanh(z1/2)", "--x", "1"])
    result = data["result"]
    assert result["invertible"] is True and result["invertibility"] == "injective"
    root = brentq_root(lambda z: np.tanh(z) + np.tanh(z / 2), 1.0)
    slope = 1 - np.tanh(root) ** 2 + 0.5 * (1 - np.tanh(root / 2) ** 2)
    assert abs(result["z"][0] - root) <= 4 * resolution(root, 2.0, slope)
    assert result["log_density"] == pytest.approx(stats.norm.logpdf(root) - math.log(slope), rel=1e-12)
    assert "the open interval between -2 and 2" in " ".join(s["text"] for s in data["steps"])


@pytest.mark.parametrize(
    ("transform", "verdict"),
    [
        ("z1**3 - z1", "not invertible"),  # f' = 3z² − 1 changes sign: a witness, never a proof
        ("z1 + exp(-z1**2)", "not proven"),  # monotone, but bounding each function over the reals cannot show it
        ("z1 + tanh(z1 + z2); z2 + 0.5*tanh(z1 + z2)", "not proven"),  # not triangular
    ],
)
def test_no_claim_without_an_argument(run, transform, verdict):
    n = len(parse_transform(transform)[1])
    result = result_of(run, ["--transform", transform, "--x", ",".join(["0.3"] * n)])["result"]
    assert result["invertibility"] == verdict
    assert result["invertible"] is (False if verdict == "not invertible" else None)
    assert result["inverse_method"] == "numeric"


def test_a_sign_function_is_not_continuous_so_no_proof():
    # z + sign(z) is strictly increasing but jumps over (−1, 1): monotone alone is not onto, so nothing is claimed.
    with pytest.raises(InputError):
        model_of("sign(z1)")  # no density at all (refused elsewhere); and z + sign(z) is not proven:
    from dgm_cli.solvers.flow.monotone import monotone_layer
    from dgm_cli.solvers.symbolic import Budget, Label

    z1, x1 = sympy.symbols("z1 x1", real=True)
    assert monotone_layer(z1 + sympy.sign(z1), z1, x1, (), Label("d", "d"), Budget(2)) is None


# --------------------------------------------------------------------------- 2. the bounds behind the argument


@pytest.mark.parametrize(
    ("expr", "low", "high", "low_open", "high_open"),
    [
        ("2 - tanh(z1)**2", 1, 2, True, False),
        ("1 - tanh(z1)**2", 0, 1, True, False),
        ("cosh(z1) - 1", 0, math.inf, False, True),
        ("9*sign(z1)/10 + 1", sympy.Rational(1, 10), sympy.Rational(19, 10), False, False),
        ("exp(z1)/(1 + exp(z1))", 0, math.inf, True, True),  # sound, not tight: each exp ranges on its own
    ],
)
def test_real_bounds_are_exact_where_the_arithmetic_is(expr, low, high, low_open, high_open):
    bounds = real_bounds(sympify(expr))
    assert (bounds.lo, bounds.hi, bounds.lo_open, bounds.hi_open) == (low, high, low_open, high_open)


@pytest.mark.parametrize(
    "expr",
    ["2 - tanh(z1)**2", "z1**2*(5*z1**2 + 3)", "exp(z1)*(1 - tanh(z2)**2) + 1", "atan(z1) + sinh(z2)/cosh(z2)",
     "cbrt(z1) - z1**3", "sqrt(1 + z1**2) - abs(z2)", "log(1 + exp(z1)) - 2*z2**3"],
)
def test_real_bounds_contain_every_value(expr):
    """Soundness: the expression at 20,000 random points (and far out) lies within its bounds."""
    e = sympify(expr)
    bounds = real_bounds(e)
    symbols = sorted(e.free_symbols, key=lambda s: s.name)
    function = sympy.lambdify(symbols, e, modules=[{"real_cbrt": np.cbrt}, "numpy"])
    rng = np.random.default_rng(5)
    samples = [np.concatenate([rng.normal(0, 3, 20_000), [-700.0, 700.0, 0.0]]) for _ in symbols]
    with np.errstate(all="ignore"):
        values = np.asarray(function(*samples), dtype=float)
    values = values[np.isfinite(values)]
    assert np.all(values >= float(bounds.lo)) and np.all(values <= float(bounds.hi))


def test_bounds_refuse_a_possible_pole_or_a_log_of_a_negative():
    z1 = sympy.Symbol("z1", real=True)
    for expr in (1 / z1, sympy.log(z1), sympy.sqrt(z1 - 1)):
        with pytest.raises(NoBounds):
            real_bounds(expr)


def test_a_derivative_that_changes_sign_gets_no_proof():
    z1 = sympy.Symbol("z1", real=True)
    assert derivative_sign(3 * z1**2 - 1, z1, z1) is None
    assert derivative_sign(1 + 2 * sympy.cos(z1), z1, z1) is None


# --------------------------------------------------------------------------- 3. bisection on whole columns


def test_bisection_on_the_float64_numbers_matches_brentq_row_by_row():
    rng = np.random.default_rng(11)
    targets = np.concatenate([rng.normal(0, 5, 300), [0.0, 1e-300, -1e-300, 1e300, -1e300, 5e-324]])
    roots = bisect_increasing(lambda z: z + np.tanh(z), targets)
    for target, root in zip(targets, roots):
        reference = brentq_root(lambda z: z + np.tanh(z), target)
        slope = 2 - np.tanh(reference) ** 2
        assert abs(root - reference) <= 2 * resolution(reference, abs(target), slope) + BRENTQ_XTOL, target


def test_bisection_reports_a_root_beyond_float64_as_an_infinity():
    # asinh-like growth: sinh(z) = 1.7e308 has its root at 710.4, in range; arcsinh(z) = 800 has e^800/2, beyond.
    roots = bisect_increasing(np.arcsinh, np.array([800.0, -800.0, 3.0]))
    assert roots[0] == np.inf and roots[1] == -np.inf
    assert roots[2] == pytest.approx(math.sinh(3.0), rel=2 * EPS)


def test_a_flat_run_of_floats_gives_its_middle():
    # z⁵ + z³ = 0 at z = 0, but float64 gives 0 for every |z| below 1e-108: the middle of that run is 0.
    assert bisect_increasing(lambda z: z**5 + z**3, np.array([0.0]))[0] == 0.0


@pytest.mark.parametrize("transform", ["z1 + tanh(z1)", "z1**3 + z1", "z1 + 0.9*abs(z1)"])
def test_batch_records_match_brentq_row_by_row(transform):
    forward, derivative, _ = ONE_D[transform]
    model = model_of(transform)
    rng = np.random.default_rng(3)
    points = np.concatenate([rng.normal(0, 4, 200), [0.0, 1e-300, 1e300, -1e300]])[:, None]
    records = density_records(model, points)
    for x, z, log_p in zip(points[:, 0], records["z"][:, 0], records["log_density"]):
        root = brentq_root(forward, x)
        # (+ brentq's own absolute tolerance: at x = 0 the reference is only that close to the root 0)
        assert abs(z - root) <= 4 * resolution(root, abs(x) + abs(root), derivative(root)) + BRENTQ_XTOL
        with np.errstate(over="ignore"):
            reference = stats.norm.logpdf(root) - math.log(derivative(root))
        assert log_p == pytest.approx(reference, rel=1e-12, abs=1e-12)


def test_batch_records_of_a_triangular_map_match_brentq():
    model = model_of("z1; z2 + tanh(z2) + z1")
    rng = np.random.default_rng(4)
    points = rng.normal(0, 2, (100, 2))
    records = density_records(model, points)
    for (x1, x2), (z1, z2), log_p in zip(points, records["z"], records["log_density"]):
        root = brentq_root(lambda v, x1=x1: x1 + v + np.tanh(v), x2)
        assert z1 == x1
        assert abs(z2 - root) <= 4 * resolution(root, abs(x1) + abs(x2) + abs(root), 2 - np.tanh(root) ** 2)
        reference = stats.norm.logpdf(x1) + stats.norm.logpdf(root) - math.log(2 - np.tanh(root) ** 2)
        assert log_p == pytest.approx(reference, rel=1e-12)


def test_batch_mode_runs_for_a_proven_map(run):
    completed = run(["flow-density", "--transform", "z1 + tanh(z1)", "--input", "-", "--format", "jsonl"],
                    input="1.5\n-3\n")
    assert completed.exit_code == 0, completed.stderr
    rows = [strict_json(line) for line in completed.stdout.splitlines()]
    for row, x in zip(rows, (1.5, -3.0)):
        assert abs(row["z"][0] - brentq_root(lambda z: z + np.tanh(z), x)) <= 1e-15 * max(1.0, abs(x))


# --------------------------------------------------------------------------- 4. points outside the image of f


def test_exp_at_a_negative_point_has_density_zero_with_exit_0(run):
    completed = run(["flow-density", "--transform", "exp(z1)", "--x", "-1", "--json"])
    assert completed.exit_code == 0, completed.stderr
    data = strict_json(completed.stdout)
    result = data["result"]
    assert result["density"] == 0.0 and result["log_density"] == "-Infinity"
    assert result["density_decimal"] == "0" and result["z"] == [None]
    assert result["checks_passed"] is True
    # the reason in the derivation, a one-line notice on stderr
    assert any(s["title"] == "Outside the image of f" for s in data["steps"])
    assert "x₁ > 0" in " ".join(s["text"] for s in data["steps"])
    warning_lines = [line for line in completed.stderr.splitlines() if "outside the image" in line]
    assert len(warning_lines) == 1 and len(warning_lines[0]) < 160


@pytest.mark.parametrize(
    ("transform", "x"),
    [("exp(z1)", "0"), ("sqrt(z1)", "-1"), ("exp(z1); z2", "-2,1"), ("tanh(z1) + tanh(z1/2)", "3"),
     ("tanh(z1) + tanh(z1/2)", "-2"), ("exp(z1); z2 + tanh(z2)*exp(z1)", "-1,2")],
)
def test_points_outside_the_image_have_density_zero(run, transform, x):
    completed = run(["flow-density", "--transform", transform, "--x", x, "--json"])
    assert completed.exit_code == 0, completed.stderr
    result = strict_json(completed.stdout)["result"]
    assert result["density"] == 0.0 and result["log_density"] == "-Infinity"
    assert all(v is None for v in result["z"])
    assert "outside the image" in completed.stderr


def test_the_outside_reason_names_the_layers_limits(run):
    data = result_of(run, ["--transform", "tanh(z1) + tanh(z1/2)", "--x", "3"])
    assert "takes only values strictly between -2 and 2" in " ".join(s["text"] for s in data["steps"])
    check = next(c for c in data["checks"] if "lies between its limits" in c["name"])  # the image at many points
    assert check["passed"] and check["reference"] == [-2.0, 2.0]


def _tanh_pair_density(x: float) -> float:
    """p_X for x = tanh(z) + tanh(z/2): φ(z)/f'(z) at the brentq root."""
    r = brentq_root(lambda z: np.tanh(z) + np.tanh(z / 2), x)
    return stats.norm.pdf(r) / (1.5 - np.tanh(r) ** 2 - 0.5 * np.tanh(r / 2) ** 2)


BATCH_CASES = {
    # map: (input rows, indices of rows outside the image, the density at rows inside by an independent route)
    "exp(z1)": ("-1\n2\n0\n0.5\n", {0, 2}, lambda x: stats.lognorm(s=1).pdf(x)),
    "tanh(z1) + tanh(z1/2)": ("3\n1\n-2.5\n0.2\n", {0, 2}, _tanh_pair_density),
}


def _parse_delimited(text: str, delimiter: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows = []
    for row in reader:
        parsed = {}
        for key, cell in row.items():
            parsed[key] = None if cell == "" else float(cell)  # float() reads inf and -inf, never a bare "nan"
            assert cell.lower() != "nan"
        rows.append(parsed)
    return rows


@pytest.mark.parametrize("transform", list(BATCH_CASES))
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "plain"])
def test_every_batch_format_parses_strictly_inside_and_outside_the_image(run, transform, fmt):
    rows_in, outside, density = BATCH_CASES[transform]
    completed = run(["flow-density", "--transform", transform, "--input", "-", "--format", fmt], input=rows_in)
    assert completed.exit_code == 0, completed.stderr
    xs = [float(v) for v in rows_in.split()]
    if fmt == "jsonl":
        records = [strict_json(line) for line in completed.stdout.splitlines()]
        rows = [(r["x"][0], r["z"][0], float(r["log_density"]), r["density"]) for r in records]
    elif fmt == "json":
        rows = [(r["x"][0], r["z"][0], float(r["log_density"]), r["density"]) for r in strict_json(completed.stdout)]
    else:
        parsed = _parse_delimited(completed.stdout, "," if fmt == "csv" else "\t")
        rows = [(r["x1"], r["z1"], r["log_density"], r["density"]) for r in parsed]
    assert [r[0] for r in rows] == xs  # the run went on past the rows outside
    for i, (x, z, log_p, p) in enumerate(rows):
        if i in outside:
            assert z is None and p == 0.0 and log_p == -math.inf
        else:
            assert isinstance(z, float) and p == pytest.approx(density(x), rel=1e-12)
            assert log_p == pytest.approx(math.log(density(x)), rel=1e-12)


# --------------------------------------------------------------------------- 5. the contract on the new branches

CONTRACT_CASES = [
    ("z1 + tanh(z1)", ["3/2"]),
    ("z1; z2 + tanh(z2) + z1", ["1", "2"]),
    ("tanh(z1) + tanh(z1/2)", ["3"]),
    ("exp(z1); z2 + tanh(z2)*exp(z1)", ["-1", "2"]),
    ("z1**5 + z1**3", ["0"]),
    ("cbrt(z1) + z1", ["3/10"]),
    ("exp(z1)", ["-1"]),
    ("sqrt(z1)", ["-1"]),
    ("z1 + tanh(z1)", ["1e300"]),
]


@pytest.mark.parametrize(("transform", "x"), CONTRACT_CASES, ids=lambda v: str(v))
def test_new_branches_keep_the_derivation_contract(transform, x):
    """Words hold no Unicode mathematics, inline LaTeX converts to MathML, step values are numbers, notices short."""
    from fractions import Fraction

    from latex2mathml.converter import convert

    from dgm_cli.derivation import Math, iter_prose
    from dgm_cli.solvers.flow import solve as flow_density

    derivation = flow_density([Fraction(v) for v in x], model=model_of(transform), transform=transform)
    typography = set("–—‘’“”…\u00a0")
    for value in iter_prose(derivation):
        for piece in value:
            if isinstance(piece, str):
                assert not {c for c in piece if ord(c) > 127 and c not in typography}, piece
            elif isinstance(piece, Math):
                assert piece.latex.isascii() and "merror" not in convert(piece.latex), piece
    for step in derivation.steps:
        values = step.value if isinstance(step.value, list) else [step.value]
        assert not any(isinstance(v, str) for v in values), plain_text(step.title)
    assert all(len(plain_text(n.message)) <= 120 for n in derivation.warnings)
    assert derivation.passed
