"""Problem 4: a perfect discriminator starves the generator. Every number against an independent route."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy import stats

from conftest import strict_json
from dgm_cli.derivation import Approx, Math, iter_prose, plain_text
from dgm_cli.solvers import gan_vanishing as gv
from dgm_cli.solvers.gan_vanishing import gan_vanishing, sharpness_sweep, symbolic_facts

F = Fraction
EXTREME_LOGITS = [-1000, -800, -745, -720, -709.9, -50, -20, -1, 0, 1, 36.8, 50, 709.9, 800, 1000]


def digits_for(h: float) -> int:
    """Enough digits that 1 − σ(h) keeps 60 of its own: e^−|h| needs |h|/ln 10 more."""
    return 60 + int(abs(h) / math.log(10))


def by_mpmath(h: float) -> dict[str, float]:
    """σ, log(1 − σ), −σ(h), −σ(−h) from the definitions, naively, with enough digits: no underflow, no cancellation."""
    with mpmath.workdps(digits_for(h)):
        x = mpmath.mpf(h)
        d = 1 / (1 + mpmath.exp(-x))
        return {
            "sigmoid": float(d),
            "log_one_minus_d": float(mpmath.log(1 - d)),
            "grad_saturating": float(-d),
            "grad_nonsaturating": float(-(1 - d)),
        }


def derivative_by_mpmath(loss, h: float) -> float:
    """d loss/dh by mpmath's numerical differentiation (finite differences with 60 spare digits)."""
    with mpmath.workdps(digits_for(h)):
        return float(mpmath.diff(loss, mpmath.mpf(h)))


def mp_saturating_loss(x):
    return mpmath.log(1 - 1 / (1 + mpmath.exp(-x)))


def mp_nonsaturating_loss(x):
    return -mpmath.log(1 / (1 + mpmath.exp(-x)))


def close(ours: float, reference: float, rel: float, floor: float = 1e-300) -> bool:
    return abs(ours - reference) <= rel * abs(reference) + floor


# --------------------------------------------------------------------------- per-logit values


@pytest.mark.parametrize("h", EXTREME_LOGITS)
def test_per_logit_values_match_60_digit_arithmetic(h):
    """Rel 1e-14 (a few ulp) above 1e-300; below it, float64 is subnormal or expit flushes to 0."""
    result = gan_vanishing([F(h)]).result
    for key, reference in by_mpmath(h).items():
        assert close(result[key][0], reference, 1e-14), (key, result[key][0], reference)


@pytest.mark.parametrize("h", EXTREME_LOGITS)
def test_both_derivatives_match_finite_differences_of_the_losses(h):
    """mpmath.diff of each loss, written naively from σ = 1/(1 + e^−h) (not the log-space forms); rel 1e-12."""
    result = gan_vanishing([F(h)]).result
    assert close(result["grad_saturating"][0], derivative_by_mpmath(mp_saturating_loss, h), 1e-12)
    assert close(result["grad_nonsaturating"][0], derivative_by_mpmath(mp_nonsaturating_loss, h), 1e-12)


def test_derivatives_match_float64_central_differences_on_a_grid():
    """A plain NumPy central difference of log(1 − σ) and −log σ written naively, where naive is accurate (|h| ≤ 8)."""
    h = np.linspace(-8, 8, 161)
    step = 1e-5
    saturating = lambda x: np.log(1 - 1 / (1 + np.exp(-x)))  # noqa: E731
    nonsaturating = lambda x: -np.log(1 / (1 + np.exp(-x)))  # noqa: E731
    result = gan_vanishing([float(x) for x in h]).result
    fd_sat = (saturating(h + step) - saturating(h - step)) / (2 * step)
    fd_ns = (nonsaturating(h + step) - nonsaturating(h - step)) / (2 * step)
    # Naive 1 − σ(8) keeps ~12 digits; divided by the step, ~1e-6 is what the differences can resolve.
    np.testing.assert_allclose(result["grad_saturating"], fd_sat, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(result["grad_nonsaturating"], fd_ns, rtol=1e-5, atol=1e-9)


def test_extreme_logits_are_exact_and_finite():
    """The issue's cases: σ(−800) underflows to 0; log(1 − σ(800)) = −800, not −inf; −σ(−h) → −1 exactly."""
    result = gan_vanishing([F(-1000), F(-800), F(800), F(1000)]).result
    assert result["sigmoid"] == [0.0, 0.0, 1.0, 1.0]
    assert result["log_one_minus_d"][2:] == [-800.0, -1000.0]
    assert result["grad_saturating"] == [0.0, 0.0, -1.0, -1.0]
    assert result["grad_nonsaturating"] == [-1.0, -1.0, 0.0, 0.0]
    for key, values in result.items():
        if isinstance(values, list):
            assert all(math.isfinite(v) for v in values), key
    # No negative zeros: −σ(−1000) and log(1 − σ(−1000)) print as 0, not −0.
    assert math.copysign(1.0, result["log_one_minus_d"][0]) == 1.0


def test_batch_means_and_the_gradient_bound():
    """Means by the definition (mpmath, fsum) and the bound M·mean σ(h) (rel 1e-14)."""
    logits = [-1, -5, -10, -20]
    result = gan_vanishing([F(h) for h in logits], grad_bound=F(3)).result
    sigmas = [by_mpmath(h)["sigmoid"] for h in logits]
    assert result["mean_sigmoid"] == pytest.approx(math.fsum(sigmas) / 4, rel=1e-14)
    assert result["mean_grad_saturating"] == pytest.approx(-math.fsum(sigmas) / 4, rel=1e-14)
    assert result["mean_grad_nonsaturating"] == pytest.approx(-math.fsum(1 - s for s in sigmas) / 4, rel=1e-14)
    assert result["grad_norm_bound"] == pytest.approx(3 * math.fsum(sigmas) / 4, rel=1e-14)
    assert result["mean_grad_saturating"] == pytest.approx(-0.0689199180560, rel=1e-11)  # the issue's example


def test_bound_holds_for_a_real_generator_gradient():
    """A linear generator and discriminator, ∇θ L_G by autodiff-free finite differences: ‖∇θ L_G‖ ≤ M·mean σ(h)."""
    rng = np.random.default_rng(7)
    z = rng.standard_normal((64, 3))
    w = np.array([1.5, -2.0, 0.5])  # h(x) = w·x − 6, G_θ(z) = θ + z: ∇θ h = w, M = ‖w‖
    theta = np.zeros(3)

    def loss(t):
        return float(np.mean(-np.logaddexp(0.0, (t + z) @ w - 6)))

    grad = np.array([(loss(theta + 1e-6 * e) - loss(theta - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
    h = (theta + z) @ w - 6
    result = gan_vanishing([float(x) for x in h], grad_bound=float(np.linalg.norm(w))).result
    assert np.linalg.norm(grad) <= result["grad_norm_bound"] * (1 + 1e-6)
    # Here every ∇θ h is the same vector, so the bound is attained: a wrong factor in it would show.
    assert np.linalg.norm(grad) == pytest.approx(result["grad_norm_bound"], rel=1e-6)


def test_symbolic_identities_and_limits():
    facts = symbolic_facts()
    assert all(r == 0 for r in facts.residuals.values())
    assert facts.limit_saturating == 0
    assert facts.limit_nonsaturating == -1


def test_chain_rule_matches_direct_differentiation_for_a_concrete_model():
    """SymPy's chain-rule result with G = θ² + z and h = sin, against d/dθ of the composed loss (30 digits)."""
    import sympy

    facts = symbolic_facts()
    theta, z, u = sympy.symbols("θ z u", real=True)
    chained = facts.chain_rule.subs(sympy.Function("G")(theta, z), theta**2 + z).doit()
    chained = chained.replace(sympy.Function("h"), sympy.sin).doit()
    chained = chained.replace(gv.SymbolicSigmoid, sympy.Lambda(u, 1 / (1 + sympy.exp(-u))))
    direct = sympy.diff(sympy.log(1 - 1 / (1 + sympy.exp(-sympy.sin(theta**2 + z)))), theta)
    point = {theta: sympy.Rational(3, 10), z: sympy.Rational(7, 10)}
    assert float(chained.subs(point).evalf(30)) == pytest.approx(float(direct.subs(point).evalf(30)), rel=1e-15)


def test_every_check_in_the_derivation_passes_and_can_fail():
    derivation = gan_vanishing([F(h) for h in EXTREME_LOGITS], sweep=True)
    assert derivation.all_checks_passed
    assert len(derivation.checks) == 6
    # A wrong derivative must fail the finite-difference check.
    h = np.array([-3.0, 0.0, 2.0])
    wrong = gv.check_logit_derivative("wrong", gv.saturating_loss, h, -gv.sigmoid(h) * 1.001)
    assert not wrong.passed


# --------------------------------------------------------------------------- the sweep


@pytest.fixture(scope="module")
def sweep():
    return sharpness_sweep()


def test_sweep_exact_gradients_match_its_finite_differences(sweep):
    """The solver's own check: closed form / quadrature of dL/dθ against FD of quadrature of L (rel 1e-6)."""
    np.testing.assert_allclose(sweep.uniform_exact, sweep.uniform_fd, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(sweep.gaussian_exact, sweep.gaussian_fd, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("a", [0.5, 4.0, 64.0, 512.0])
def test_uniform_sweep_matches_mpmath_finite_differences(a):
    """dL/dθ by mpmath.diff of mpmath.quad of each loss at 40 digits, z ~ U(−1, 1); rel 1e-10."""
    theta, b = gv.SWEEP_THETA, gv.SWEEP_BOUNDARY
    with mpmath.workdps(40):
        def loss_sat(t):
            return -mpmath.quad(lambda z: mpmath.log1p(mpmath.exp(a * (t + z - b))), [-1, 1]) / 2

        def loss_ns(t):
            return mpmath.quad(lambda z: mpmath.log1p(mpmath.exp(-a * (t + z - b))), [-1, 1]) / 2

        reference = [float(mpmath.diff(loss_sat, theta)), float(mpmath.diff(loss_ns, theta))]
    ours = gv.uniform_generator_gradients(a, theta, b)
    assert ours == pytest.approx(reference, rel=1e-10)


@pytest.mark.parametrize("a", [0.5, 4.0, 64.0])
def test_gaussian_sweep_matches_mpmath_finite_differences(a):
    """dL/dθ by mpmath.diff of mpmath.quad (split at the boundary) of each loss, z ~ N(0, 1); rel 1e-8."""
    theta, b = gv.SWEEP_THETA, gv.SWEEP_BOUNDARY
    with mpmath.workdps(30):
        density = lambda z: mpmath.npdf(z)  # noqa: E731

        def loss(t, sign):
            edges = [-mpmath.inf, b - t, mpmath.inf]
            return mpmath.quad(lambda z: density(z) * mpmath.log1p(mpmath.exp(sign * a * (t + z - b))), edges)

        reference = [float(-mpmath.diff(lambda t: loss(t, 1), theta)), float(mpmath.diff(lambda t: loss(t, -1), theta))]
    ours = gv.gaussian_generator_gradients(a, theta, b)
    assert ours == pytest.approx(reference, rel=1e-8)


def test_saturating_gradient_vanishes_only_when_the_supports_separate(sweep):
    a = sweep.sharpness
    uniform_sat, uniform_ns = -sweep.uniform_exact[:, 0], -sweep.uniform_exact[:, 1]
    # Bounded support: the saturating norm falls like e^−a/2 (asymptotically exact) and the other grows like a.
    assert np.all(np.diff(uniform_sat) < 0)
    assert uniform_sat[-1] < 1e-220
    assert uniform_sat[-1] == pytest.approx(math.exp(-512) / 2, rel=1e-12)
    assert uniform_ns[-1] == pytest.approx(512, rel=1e-12)
    assert sweep.max_d_generated[-1] < 1e-220
    # Gaussian noise: a·E[σ(h)] tends to a·Φ(θ − b), from scipy.stats, and grows.
    gaussian_sat = -sweep.gaussian_exact[:, 0]
    limit = a * stats.norm.cdf(sweep.theta - sweep.boundary)
    assert gaussian_sat[-1] == pytest.approx(limit[-1], rel=1e-4)
    assert gaussian_sat[-1] > 10 * gaussian_sat[0]


# --------------------------------------------------------------------------- the command line


def test_the_issue_example_prints_the_derivation_and_table(run):
    result = run(["gan-vanishing", "--logits", "-1,-5,-10,-20", "--format", "plain"])
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())  # the renderer wraps prose where it likes
    for text in ("The premise, corrected", "Chain rule", "Arjovsky and Bottou (2017", "non-saturating", "D = σ(h)"):
        assert text in out
    assert "-0.268941" in out and "-0.731059" in out  # −σ(−1), −σ(1)
    assert "[PASS]" in out and "[FAIL]" not in out
    assert "perfect on generated samples" in result.stderr  # the corrected premise, as a warning


def test_stdin_form_gives_strict_json_aligned_with_the_input(run):
    result = run(["gan-vanishing", "--json", "--logits", "-"], input="-1\n-5\n")
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    res = data["result"]
    assert data["inputs"]["source"] == "stdin"
    assert res["logits"] == [-1.0, -5.0]
    for key in ("sigmoid", "log_one_minus_d", "grad_saturating", "grad_nonsaturating"):
        assert len(res[key]) == 2
        assert res[key] == pytest.approx([by_mpmath(-1)[key], by_mpmath(-5)[key]], rel=1e-14)
    assert res["mean_grad_saturating"] == pytest.approx(-(by_mpmath(-1)["sigmoid"] + by_mpmath(-5)["sigmoid"]) / 2, rel=1e-14)
    assert "mean_grad_nonsaturating" in res


def test_stdin_takes_several_per_line_commas_and_comments(run):
    result = run(["gan-vanishing", "--json", "--logits", "-"], input="# logits\n-1, -2  -3\n\n4/2 # two\n")
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["result"]["logits"] == [-1.0, -2.0, -3.0, 2.0]


def test_repeated_logits_options_concatenate(run):
    result = run(["gan-vanishing", "--json", "--logits", "-1", "--logits", "-2 -3"])
    assert strict_json(result.stdout)["result"]["logits"] == [-1.0, -2.0, -3.0]


def test_extreme_logits_through_the_cli_stay_strict_json(run):
    result = run(["gan-vanishing", "--json", "--logits", "-1000,1000,-800,800"])
    assert result.exit_code == 0, result.stderr
    res = strict_json(result.stdout)["result"]
    assert res["log_one_minus_d"] == [0.0, -1000.0, 0.0, -800.0]


def test_without_logits_the_default_batch_whatever_stdin_is(run):
    """stdin is read only when asked (--logits -): a script, CI or an open pipe never makes it wait."""
    for stdin in (None, "", "-7\n"):
        data = strict_json(run(["gan-vanishing", "--json"], input=stdin).stdout)
        assert data["inputs"]["source"] == "default"
        assert data["result"]["logits"] == [-1.0, -5.0, -10.0, -20.0]


def test_grad_bound_and_sweep_in_json(run):
    result = run(["gan-vanishing", "--json", "--logits", "-2,-4", "--grad-bound", "1/2", "--sweep"])
    assert result.exit_code == 0, result.stderr
    res = strict_json(result.stdout)["result"]
    expected = 0.5 * (by_mpmath(-2)["sigmoid"] + by_mpmath(-4)["sigmoid"]) / 2
    assert res["grad_norm_bound"] == pytest.approx(expected, rel=1e-14)
    assert len(res["sweep_sharpness"]) == len(res["sweep_grad_norm_saturating"]) == len(gv.SWEEP_SHARPNESS)
    assert res["sweep_grad_norm_saturating"][-1] < 1e-200 < res["sweep_grad_norm_nonsaturating"][-1]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--logits", "abc"], None, "--logits: 'abc' is not a number"),
        (["--logits", ""], None, "--logits: empty value; expected a number"),
        (["--logits", ","], None, "--logits: no values given"),
        (["--logits", "nan"], None, "--logits: 'nan' is not a finite number"),
        (["--logits", "-1,inf"], None, "--logits: 'inf' is not a finite number"),
        (["--logits", "1e401"], None, "exponent 401 is outside"),
        (["--logits", "1e400"], None, "outside ±1e300"),
        (["--logits", "2e300"], None, "outside ±1e300"),
        (["--logits", "-"], "-1\n-2\nabc\n", "--logits line 3: 'abc' is not a number"),
        (["--logits", "-"], "-1\nnan\n", "--logits line 2: 'nan' is not a finite number"),
        (["--logits", "-"], "", "--logits: no logits given"),
        (["--logits", "-"], "# nothing\n\n", "--logits: no logits given"),
        (["--logits", "-,1"], None, "--logits: - (stdin) cannot be mixed with values"),
        (["--logits", "-1", "--grad-bound", "0"], None, "--grad-bound: the bound M"),
        (["--logits", "-1", "--grad-bound", "-2"], None, "--grad-bound: the bound M"),
        (["--logits", "-1", "--grad-bound", "x"], None, "--grad-bound: 'x' is not a number"),
        (["--logits", "-1", "--plot", "out.txt"], None, "--plot"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(run, args, stdin, message):
    result = run(["gan-vanishing"] + (args or []), input=stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_too_many_logits_is_refused(run, monkeypatch):
    import dgm_cli.parsing

    monkeypatch.setattr(dgm_cli.parsing, "MAX_LIST_VALUES", 3)
    result = run(["gan-vanishing", "--logits", "-"], input="1 2\n3 4\n")
    assert result.exit_code == 2
    assert "more than 3 logits" in result.stderr


def test_large_batch_table_is_cut_but_result_is_whole():
    logits = [F(-k, 10) for k in range(500)]
    derivation = gan_vanishing(logits)
    table = next(s for s in derivation.steps if plain_text(s.title) == "Per-logit values").table
    assert len(table.rows) == gv.TABLE_ROWS + 1  # the rows shown, then the mean
    assert table.note[0].startswith("…") and 480 in table.note and 500 in table.note
    assert len(derivation.result["grad_saturating"]) == 500


def test_per_logit_table_is_data_with_the_result_values():
    """The table holds numbers, not text: each cell is the result's value, the last row the batch means."""
    derivation = gan_vanishing([F(h) for h in (-1, -5, -10, -20)])
    table = next(s for s in derivation.steps if plain_text(s.title) == "Per-logit values").table
    res = derivation.result
    assert [plain_text(h) for h in table.headers] == ["h", "D = σ(h)", "log(1 − D)", "sat: −σ(h)", "non-sat: −σ(−h)"]
    for i, row in enumerate(table.rows[:-1]):
        assert row[0] == res["logits"][i]
        keys = ("sigmoid", "log_one_minus_d", "grad_saturating", "grad_nonsaturating")
        assert [float(cell) for cell in row[1:]] == [res[key][i] for key in keys]
    mean = table.rows[-1]
    assert mean[0] == "mean"
    assert [float(cell) for cell in mean[1:]] == [
        res["mean_sigmoid"], res["mean_log_one_minus_d"], res["mean_grad_saturating"], res["mean_grad_nonsaturating"]
    ]
    assert mean[1] == Approx(res["mean_sigmoid"], 6)  # the table shows six digits; the result holds them all


def test_sweep_tables_hold_the_sweep_values(sweep):
    derivation = gan_vanishing([F(-1)], sweep=True)
    uniform, gaussian = (s.table for s in derivation.steps if plain_text(s.title).startswith("Sweep"))
    res = derivation.result
    assert [row[0] for row in uniform.rows] == res["sweep_sharpness"] == list(gv.SWEEP_SHARPNESS)
    assert [float(row[2]) for row in uniform.rows] == res["sweep_grad_norm_saturating"]
    assert [float(row[3]) for row in uniform.rows] == res["sweep_grad_norm_nonsaturating"]
    assert [float(row[1]) for row in gaussian.rows] == res["sweep_gaussian_grad_norm_saturating"]
    assert [float(row[2]) for row in gaussian.rows] == pytest.approx(
        [a * stats.norm.cdf(gv.SWEEP_THETA - gv.SWEEP_BOUNDARY) for a in gv.SWEEP_SHARPNESS], rel=1e-14
    )


ALLOWED_IN_WORDS = set("–—‘’“”…\u00a0")


def _math_pieces(value):
    return [piece for piece in value if isinstance(piece, Math)]


@pytest.mark.parametrize("kwargs", [{}, {"grad_bound": F(1, 2), "sweep": True}])
def test_prose_has_no_unicode_mathematics_outside_math_pieces(kwargs):
    """Words are ASCII (plus typographic punctuation); all mathematics is a Math piece or a SymPy/number piece."""
    derivation = gan_vanishing([F(h) for h in (-1, -5, -10, -20)] + [F(k) for k in range(30)], **kwargs)
    assert derivation.question and derivation.answer
    for value in iter_prose(derivation):
        for piece in value:
            if isinstance(piece, str):
                bad = {c for c in piece if ord(c) > 127 and c not in ALLOWED_IN_WORDS}
                assert not bad, (bad, piece)
            elif isinstance(piece, Math):
                assert piece.latex.isascii() and "$" not in piece.latex, piece
            else:
                assert not isinstance(piece, (list, dict)), piece
    assert all(step_has_no_check(step) for step in derivation.steps)


def step_has_no_check(step) -> bool:
    return not plain_text(step.title).startswith("Check")


def test_premise_warning_is_one_short_sentence_and_the_step_explains():
    derivation = gan_vanishing([F(-1)])
    (notice,) = derivation.warnings
    message = plain_text(notice.message)
    assert "perfect on generated samples" in message and len(message) < 120 and message.count(". ") == 0
    premise = next(s for s in derivation.steps if plain_text(s.title) == "The premise, corrected")
    assert "perfect on generated samples" in plain_text(premise.text)
    assert "our discriminator is perfect" in plain_text(premise.text)


def test_plot_is_written(run, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "gan.png"
    result = run(["gan-vanishing", "--logits", "-8,-1,0,3,-900", "--plot", str(target), "--format", "plain"])
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Sweep" in result.stdout  # the figure's right panel needs the sweep, so --plot runs it


def test_installed_entry_point_reads_a_real_pipe():
    """A real process: stdin is a pipe, not CliRunner's stand-in."""
    completed = subprocess.run(
        [sys.executable, "-m", "dgm_cli", "gan-vanishing", "--json", "--logits", "-"],
        input="-1\n-5\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert strict_json(completed.stdout)["result"]["logits"] == [-1.0, -5.0]
