"""Problem 4: a perfect discriminator starves the generator. Every number against an independent route."""

from __future__ import annotations

import math
import re
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
from dgm_cli.solvers import gan_vanishing_checks as checks
from dgm_cli.solvers import gan_vanishing_numerics as numerics
from dgm_cli.solvers.gan_vanishing import solve as gan_vanishing
from dgm_cli.solvers.gan_vanishing_numerics import sharpness_sweep
from dgm_cli.solvers.gan_vanishing_symbolic import SymbolicSigmoid, symbolic_facts
from dgm_cli.solvers.numerics import sigmoid

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
    chained = chained.replace(SymbolicSigmoid, sympy.Lambda(u, 1 / (1 + sympy.exp(-u))))
    direct = sympy.diff(sympy.log(1 - 1 / (1 + sympy.exp(-sympy.sin(theta**2 + z)))), theta)
    point = {theta: sympy.Rational(3, 10), z: sympy.Rational(7, 10)}
    assert float(chained.subs(point).evalf(30)) == pytest.approx(float(direct.subs(point).evalf(30)), rel=1e-15)


def test_every_check_in_the_derivation_passes_and_can_fail():
    derivation = gan_vanishing([F(h) for h in EXTREME_LOGITS], sweep=True)
    assert derivation.all_checks_passed
    assert len(derivation.checks) == 7
    # A wrong derivative must fail the finite-difference check.
    h = np.array([-3.0, 0.0, 2.0])
    wrong = checks.check_logit_derivative("wrong", numerics.saturating_loss, h, -sigmoid(h) * 1.001)
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
    theta, b = numerics.SWEEP_THETA, numerics.SWEEP_BOUNDARY
    with mpmath.workdps(40):
        def loss_sat(t):
            return -mpmath.quad(lambda z: mpmath.log1p(mpmath.exp(a * (t + z - b))), [-1, 1]) / 2

        def loss_ns(t):
            return mpmath.quad(lambda z: mpmath.log1p(mpmath.exp(-a * (t + z - b))), [-1, 1]) / 2

        reference = [float(mpmath.diff(loss_sat, theta)), float(mpmath.diff(loss_ns, theta))]
    ours = numerics.uniform_generator_gradients(a, theta, b)
    assert ours == pytest.approx(reference, rel=1e-10)


@pytest.mark.parametrize("a", [0.5, 4.0, 64.0])
def test_gaussian_sweep_matches_mpmath_finite_differences(a):
    """dL/dθ by mpmath.diff of mpmath.quad (split at the boundary) of each loss, z ~ N(0, 1); rel 1e-8."""
    theta, b = numerics.SWEEP_THETA, numerics.SWEEP_BOUNDARY
    with mpmath.workdps(30):
        density = lambda z: mpmath.npdf(z)  # noqa: E731

        def loss(t, sign):
            edges = [-mpmath.inf, b - t, mpmath.inf]
            return mpmath.quad(lambda z: density(z) * mpmath.log1p(mpmath.exp(sign * a * (t + z - b))), edges)

        reference = [float(-mpmath.diff(lambda t: loss(t, 1), theta)), float(mpmath.diff(lambda t: loss(t, -1), theta))]
    ours = numerics.gaussian_generator_gradients(a, theta, b)
    assert ours == pytest.approx(reference, rel=1e-8)


def test_saturating_gradient_vanishes_only_when_the_supports_separate(sweep):
    a = sweep.sharpness
    uniform_sat, uniform_ns = -sweep.uniform_exact[:, 0], -sweep.uniform_exact[:, 1]
    # Bounded support: the saturating norm is below e^(−a)/2 and asymptotic to it; the other is a minus it.
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
    expected_mean = -(by_mpmath(-1)["sigmoid"] + by_mpmath(-5)["sigmoid"]) / 2
    assert res["mean_grad_saturating"] == pytest.approx(expected_mean, rel=1e-14)
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
    assert len(res["sweep_sharpness"]) == len(res["sweep_grad_norm_saturating"]) == len(numerics.SWEEP_SHARPNESS)
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
    uniform, _bound, gaussian = (s.table for s in derivation.steps if plain_text(s.title).startswith("Sweep"))
    res = derivation.result
    assert [row[0] for row in uniform.rows] == res["sweep_sharpness"] == list(numerics.SWEEP_SHARPNESS)
    assert [float(row[2]) for row in uniform.rows] == res["sweep_grad_norm_saturating"]
    assert [float(row[3]) for row in uniform.rows] == res["sweep_grad_norm_nonsaturating"]
    assert [float(row[1]) for row in gaussian.rows] == res["sweep_gaussian_grad_norm_saturating"]
    assert [float(row[2]) for row in gaussian.rows] == pytest.approx(
        [a * stats.norm.cdf(numerics.SWEEP_THETA - numerics.SWEEP_BOUNDARY) for a in numerics.SWEEP_SHARPNESS],
        rel=1e-14,
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


# --------------------------------------------------------------------------- the hypothesis M, its counterexample


def _step(derivation, starts: str):
    return next(s for s in derivation.steps if plain_text(s.title).startswith(starts))


def _text(derivation) -> str:
    """Every prose value of the derivation, as one string."""
    return " ".join(plain_text(v) for v in iter_prose(derivation))


@pytest.fixture(scope="module")
def with_sweep():
    return gan_vanishing([F(h) for h in (-1, -5, -10, -20)], grad_bound=F(2), sweep=True)


def test_the_uniform_bound_m_is_stated_as_one_bound_for_the_whole_sequence(with_sweep):
    text = plain_text(_step(with_sweep, "The hypothesis").text)
    assert "sup_(n, z, θ′ ∈ U) ‖∇θ h_n(G_θ′(z))‖ ≤ M < ∞" in text
    assert "must not depend on n: it is one bound for the whole sequence of discriminators" in text
    assert "h_n = h_φₙ" in text and "D_n(G_θ(z)) = σ(h_n(G_θ(z))) → 0" in text
    bound = plain_text(_step(with_sweep, "A bound").text)
    assert "under the hypothesis, for every n, ‖∇θ L_G(θ; φₙ)‖ ≤ E_z[σ(h_n)·‖∇θ h_n‖] ≤ M·E_z[σ(h_n)]" in bound
    vanishes = plain_text(_step(with_sweep, "The gradient vanishes").text)
    assert "since M is the same for every n, M·E_z[σ(h_n)] → 0" in vanishes
    titles = [plain_text(s.title) for s in with_sweep.steps]
    # In the argument's order: hypothesis, exchange, bound, conclusion, then why the hypothesis is needed.
    order = [
        "The hypothesis", "Exchanging", "A bound", "The gradient vanishes", "Why M must not", "Relation to Arjovsky"
    ]
    positions = [next(i for i, t in enumerate(titles) if t.startswith(o)) for o in order]
    assert positions == sorted(positions)
    answer = plain_text(with_sweep.answer)
    assert "one constant M bounds ‖∇θ h_n(G_θ(z))‖ for every discriminator h_n and every z" in answer


def test_exchanging_gradient_and_expectation_names_the_dominating_bound(with_sweep):
    text = plain_text(_step(with_sweep, "Exchanging").text)
    assert plain_text(_step(with_sweep, "Exchanging").title) == "Exchanging ∇θ and E_z"
    assert "|∂ℓ/∂θ_i| ≤ ‖∇θ ℓ‖ = σ(h_n)·‖∇θ h_n‖ ≤ M" in text
    assert "dominating bound is the constant M, which is integrable because z has a probability distribution" in text
    assert "mean value theorem" in text and "|ℓ(θ + t·e_i, z) − ℓ(θ, z)|/|t| ≤ M" in text
    assert "dominated convergence" in text and "Leibniz's rule for differentiating under the integral sign" in text
    assert "∇θ L_G = E_z[−σ(h_n)·∇θ h_n]" in text
    assert "For a finite batch, E_z is a finite mean and the exchange is just the linearity of the derivative" in text


def test_the_dominating_bound_holds_for_a_linear_model():
    """|∂/∂θ log(1 − σ(h))| = σ(h)·|∂h/∂θ| ≤ M, by mpmath.diff of the loss itself (h = w(θ + z) − 6, M = |w|)."""
    w = mpmath.mpf("1.5")
    with mpmath.workdps(40):
        for theta in (-1, 0, 2):
            for z in map(mpmath.mpf, ("-3", "0", "1.7", "5")):
                derivative = mpmath.diff(lambda t, z=z: mpmath.log(1 - 1 / (1 + mpmath.exp(-(w * (t + z) - 6)))), theta)
                sigma = 1 / (1 + mpmath.exp(-(w * (theta + z) - 6)))
                assert abs(derivative + sigma * w) < mpmath.mpf(10) ** -30  # = −σ(h)·∂h/∂θ
                assert abs(derivative) < w


def _counterexample_digits(n: int) -> int:
    return 90 + int(n / math.log(10))


def _mp_counterexample(n: int, theta0: str = "0.3"):
    """(∂L_G/∂θ, ∂D_n/∂x, σ(−n)) at θ₀ from the definitions, naively, by mpmath.diff with enough digits.

    h_n(x) = −n + eⁿ(x − θ₀) and L_G(θ) = log(1 − σ(h_n(θ))) with σ = 1/(1 + e^−h), at a θ₀ other than the
    solver's 0. The step e^−n·1e−30 moves h_n by 1e−30, so truncation is ~1e−61 (absolute, as both derivatives
    are below 1); the digits cover 1 − σ(−n) resolving changes of e^−n·1e−30 and θ₀ ± step, with 30 to spare.
    """
    with mpmath.workdps(_counterexample_digits(n)):
        x0 = mpmath.mpf(theta0)
        scale = mpmath.exp(n)

        def sigma(h):
            return 1 / (1 + mpmath.exp(-h))

        def loss(theta):
            return mpmath.log(1 - sigma(-n + scale * (theta - x0)))

        def disc(x):
            return sigma(-n + scale * (x - x0))

        step = mpmath.mpf(10) ** -30 / scale
        return mpmath.diff(loss, x0, h=step), mpmath.diff(disc, x0, h=step), sigma(-n)


def test_counterexample_gradient_against_mpmath_finite_differences():
    """∂L_G/∂θ and ∂D_n/∂x at θ₀ against mpmath.diff of the naive definitions (rel 1e-14: a few ulp of float64)."""
    res = gan_vanishing([F(-1)]).result
    assert res["counterexample_n"] == [1, 2, 5, 10, 20, 50, 100]
    for i, n in enumerate(res["counterexample_n"]):
        grad, grad_x, d = _mp_counterexample(n)
        assert close(res["counterexample_grad"][i], float(grad), 1e-14), (n, res["counterexample_grad"][i], grad)
        assert close(res["counterexample_grad_x_d"][i], float(grad_x), 1e-14), n
        assert close(res["counterexample_d"][i], float(d), 1e-14), n
        with mpmath.workdps(_counterexample_digits(n)):
            # ∂L_G/∂θ = −σ(−n)·eⁿ = −σ(n) = −1 + σ(−n): its distance to the limit −1 is D itself, up to the
            # differences' 1e−61 (σ(−100) ≈ 4e−44 is resolved to 1e−17 of itself)
            assert abs((grad + 1) - d) <= mpmath.mpf(10) ** -58
            assert abs(grad_x - (1 - d) ** 2) <= mpmath.mpf(10) ** -58  # σ(n)² = (1 − σ(−n))²


def test_counterexample_tends_to_minus_one_while_d_tends_to_zero():
    res = gan_vanishing([F(-1)]).result
    d, grad = np.array(res["counterexample_d"]), np.array(res["counterexample_grad"])
    assert np.all(np.diff(d) < 0) and d[-1] < 1e-43 and d[-1] == pytest.approx(math.exp(-100), rel=1e-14)
    assert np.all(np.diff(grad) <= 0) and abs(grad[-1] + 1) <= 1e-15  # −σ(100) = −1 to float64
    assert np.all(grad + 1 <= d * (1 + 1e-12))  # |∂L_G/∂θ − (−1)| = σ(−n) = D
    # and ∂h_n/∂θ = eⁿ is unbounded: no single M; ∂D_n/∂x (θ₀) = σ(n)² ≥ σ(1)² for every n
    assert min(res["counterexample_grad_x_d"]) == pytest.approx(float(1 / (1 + mpmath.exp(-1))) ** 2, rel=1e-14)


def test_counterexample_is_printed_with_its_numbers(with_sweep):
    step = _step(with_sweep, "Why M must not depend on the discriminator")
    text = plain_text(step.text)
    for phrase in (
        "G_θ(z) = θ for every z",
        "h_n(x) = −n + eⁿ(x − θ₀)",
        "D(G(z)) = σ(−n) → 0 for every z",
        "∇θ h_n(G_θ(z)) = eⁿ, which no single M bounds",
        "L_G(θ) = log(1 − σ(h_n(θ)))",
        "∂L_G/∂θ = −σ(−n)·eⁿ = −σ(n) = −1 + σ(−n) → −1 at θ = θ₀",
        "log|∂L_G/∂θ| = n + log σ(−n) = log σ(n)",
        "60-digit arithmetic",
    ):
        assert phrase in text, phrase
    res = with_sweep.result
    assert [plain_text(h) for h in step.table.headers] == ["n", "D = σ(−n)", "∂L_G/∂θ", "∂D_n/∂x (θ₀)"]
    assert [row[0] for row in step.table.rows] == res["counterexample_n"]
    assert [float(row[1]) for row in step.table.rows] == res["counterexample_d"]
    assert [float(row[2]) for row in step.table.rows] == res["counterexample_grad"]
    assert [float(row[3]) for row in step.table.rows] == res["counterexample_grad_x_d"]
    assert all(isinstance(cell, (int, Approx)) for row in step.table.rows for cell in row)


def test_counterexample_check_passes_and_can_fail():
    check = next(c for c in gan_vanishing([F(-1)]).checks if plain_text(c.name).startswith("Counterexample"))
    assert check.passed and check.tolerance == 1.0
    assert "central differences" in plain_text(check.method) and "60 digits" in plain_text(check.method)
    good = numerics.counterexample()
    wrong = numerics.Counterexample(good.n, good.d, good.log_abs_grad, good.grad * (1 + 1e-12), good.grad_x_d)
    assert not checks.check_counterexample(wrong).passed


def test_relation_to_arjovsky_and_bottou_theorem_2_4(with_sweep):
    text = plain_text(_step(with_sweep, "Relation to Arjovsky and Bottou (2017), Theorem 2.4").text)
    for phrase in (
        "Theorem 2.4",
        "‖D − D*‖ < ε and E_z‖J_θ G_θ(z)‖² ≤ M²",
        "‖∇θ E_z[log(1 − D(G_θ(z)))]‖ < M·ε/(1 − ε)",
        "‖D − D*‖ ≥ supₓ|D − D*| and ‖D − D*‖ ≥ supₓ‖∇ₓD − ∇ₓD*‖, so it also controls ∇ₓD",
        "excludes the counterexample",
        "J_θ G = 1, so the Jacobian bound holds with M = 1",
        "∇ₓD*(θ₀) = 0 while ∂D_n/∂x (θ₀) = σ(n)² ≥ σ(1)²",
        "‖D_n − D*‖ ≥ σ(1)² for every n",
    ):
        assert phrase in text, phrase
    step = _step(with_sweep, "Relation to Arjovsky")
    (sigma_one_squared,) = [p for p in step.text if isinstance(p, Approx)]
    with mpmath.workdps(50):
        assert float(sigma_one_squared) == pytest.approx(float((1 / (1 + mpmath.exp(-1))) ** 2), rel=1e-15)


# --------------------------------------------------------------------------- issue 13: the sweep's own reason


def test_sweep_says_the_uniform_bound_does_not_cover_it_and_why_it_vanishes(with_sweep):
    text = plain_text(_step(with_sweep, "Sweep: why the saturating gradient vanishes anyway").text)
    for phrase in (
        "∂h/∂θ = a grows without bound with the sharpness a, so no single M bounds ‖∇θ h‖ over the sweep",
        "does not cover the sweep",
        "c = b − θ − 1, here 1, below b",
        "‖∇θ L_sat‖ = a·E[σ(h)] ≤ a·σ(−ac) < a·e^(−ac) → 0 as a → ∞, that is, a·e^(−a) → 0",
        "< ½·softplus(−ac) < e^(−ac)/2",
        (
            "with c = 1 the saturating gradient is below e^(−a)/2 for every a > 0 and asymptotic to it as a → ∞, "
            "not equal to it"
        ),
    ):
        assert phrase in text, phrase
    assert with_sweep.result["sweep_gap"] == numerics.SWEEP_BOUNDARY - numerics.SWEEP_THETA - 1 == 1.0
    # the first sweep step: the non-saturating norm is exactly a minus the saturating one
    first = plain_text(_step(with_sweep, "Sweep: a discriminator").text)
    assert "‖∇θ L_ns‖ = a − ‖∇θ L_sat‖" in first


def test_e_to_the_minus_a_over_2_is_unambiguous(with_sweep):
    text = _text(with_sweep)
    assert "e^(−a)/2" in text
    assert "e^−a/2" not in text and "falls like" not in text
    latex = [p.latex for v in iter_prose(with_sweep) for p in v if isinstance(p, Math) and "/2" in p.text]
    assert r"e^{-a}/2" in latex


def test_sweep_bounds_against_mpmath_and_the_gradients_below_them(with_sweep):
    """a·σ(−a), a·e^(−a) and 2eᵃ‖∇θ L_sat‖ (c = 1) against mpmath, rel 1e-14; the norms lie below them."""
    res = with_sweep.result
    a = res["sweep_sharpness"]
    norms = np.array(res["sweep_grad_norm_saturating"])
    for i, ai in enumerate(a):
        # enough digits to resolve e^(−2a) against 1: σ(−a) and e^(−a) differ by that factor (727 at a = 512)
        with mpmath.workdps(60 + int(3 * ai / math.log(10))):
            x = mpmath.mpf(ai)
            sigma = 1 / (1 + mpmath.exp(x))
            exact = (mpmath.log1p(mpmath.exp(-x)) - mpmath.log1p(mpmath.exp(-3 * x))) / 2  # ‖∇θ L_sat‖
            assert close(res["sweep_bound_a_max_d"][i], float(x * sigma), 1e-14)
            assert close(res["sweep_bound_a_exp"][i], float(x * mpmath.exp(-x)), 1e-14)
            assert close(res["sweep_ratio_to_half_exp"][i], float(2 * mpmath.exp(x) * exact), 1e-14)
            assert close(norms[i], float(exact), 1e-12)
            # the claims, strictly: exact < a·σ(−a) < a·e^(−a), exact < e^(−a)/2, ratio < 1
            assert exact < x * sigma < x * mpmath.exp(-x)
            assert exact < mpmath.exp(-x) / 2 and 2 * mpmath.exp(x) * exact < 1
    # and in float64 as printed (a·σ(−a) and a·e^(−a) may round to the same float where they differ by e^(−2a))
    assert np.all(norms < np.array(res["sweep_bound_a_max_d"]))
    assert np.all(np.array(res["sweep_bound_a_max_d"]) <= np.array(res["sweep_bound_a_exp"]))
    assert np.all(norms <= np.exp(-np.array(a)) / 2 * (1 + 1e-15))
    assert np.all(np.array(res["sweep_ratio_to_half_exp"]) <= 1.0)
    # they tend to 0, and the ratio to 1
    assert res["sweep_bound_a_exp"][-1] < 1e-217
    assert res["sweep_bound_a_exp"][-1] == pytest.approx(512 * math.exp(-512), rel=1e-14)
    assert res["sweep_ratio_to_half_exp"][0] == pytest.approx(0.4495464521555, rel=1e-12)
    assert res["sweep_ratio_to_half_exp"][-1] == pytest.approx(1.0, abs=1e-15)
    # ‖∇θ L_ns‖ = a − ‖∇θ L_sat‖ since σ(h) + σ(−h) = 1
    ns = np.array(res["sweep_grad_norm_nonsaturating"])
    np.testing.assert_allclose(ns + norms, a, rtol=1e-15)


def test_sweep_bound_table_holds_the_result_values(with_sweep):
    table = _step(with_sweep, "Sweep: why").table
    res = with_sweep.result
    assert [plain_text(h) for h in table.headers] == ["a", "‖∇θ L_sat‖", "a·σ(−ac)", "a·e^(−ac)", "2e^(ac)·‖∇θ L_sat‖"]
    assert [row[0] for row in table.rows] == res["sweep_sharpness"]
    for column, key in enumerate(
        ("sweep_grad_norm_saturating", "sweep_bound_a_max_d", "sweep_bound_a_exp", "sweep_ratio_to_half_exp"), start=1
    ):
        assert [float(row[column]) for row in table.rows] == res[key], key


def test_existing_result_keys_are_kept_and_the_new_ones_added(with_sweep):
    res = with_sweep.result
    old = {
        "logits", "sigmoid", "log_d", "log_one_minus_d", "grad_saturating", "grad_nonsaturating", "mean_sigmoid",
        "mean_log_one_minus_d", "mean_grad_saturating", "mean_grad_nonsaturating", "grad_bound", "grad_norm_bound",
        "sweep_theta", "sweep_boundary", "sweep_sharpness", "sweep_max_d_generated", "sweep_grad_norm_saturating",
        "sweep_grad_norm_nonsaturating", "sweep_gaussian_grad_norm_saturating",
        "sweep_gaussian_grad_norm_nonsaturating", "checks_passed",
    }
    new = {
        "counterexample_n", "counterexample_d", "counterexample_grad", "counterexample_grad_x_d",
        "sweep_gap", "sweep_bound_a_max_d", "sweep_bound_a_exp", "sweep_ratio_to_half_exp",
    }
    assert set(res) == old | new


FORMATS = ["rich", "plain", "json", "jsonl", "csv", "markdown", "latex", "html", "quiet"]
ASSIGNMENT_LANGUAGE = re.compile(r"\b(seed's|the seed|seed writes|card|issue|JSON field)\b", re.IGNORECASE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_speaks_the_assignments_language(run, fmt):
    """No 'seed', 'card', 'issue' or 'JSON field' in any output, and no ambiguous e^−a/2."""
    result = run(["gan-vanishing", "--sweep", "--grad-bound", "2", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert not ASSIGNMENT_LANGUAGE.search(stream), ASSIGNMENT_LANGUAGE.search(stream)
        assert "e^−a/2" not in stream and "e^-a/2" not in stream
    if fmt in ("json", "quiet"):
        assert "counterexample_grad" in result.stdout  # the new numbers reach the machine-readable output
