"""The Python API (issue 17): the commands' results from Python, vectorised functions, notebook display, the notebook.

Every number is held against the command's own JSON for the same inputs, or against an independent value
(mpmath at 50 digits, a closed form) with a stated tolerance.
"""

from __future__ import annotations

import doctest
import json
import math
import re
import subprocess
import sys
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import mpmath
import numpy as np
import pytest
from conftest import strict_json

import dgm_cli
from dgm_cli.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"
HEAVY = ("sympy", "numpy", "scipy")


# --------------------------------------------------------------------------- a light import, a documented API


def _modules_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [m for m in done.stdout.strip().split(",") if m]


def test_import_dgm_cli_loads_no_sympy_numpy_or_scipy():
    assert _modules_after("import dgm_cli") == []
    # Naming the functions (and reading their help) loads the API module, still nothing heavy.
    assert _modules_after("import dgm_cli, pydoc\nf = dgm_cli.flow_density\npydoc.render_doc(f)\ndgm_cli.Report") == []
    # The check can see them: calling a function loads what it needs.
    assert "numpy" in _modules_after("import dgm_cli\ndgm_cli.generator_gradients([0.0])")


def test_top_level_names_are_the_api():
    for name in ("flow_density", "vpnf_bound", "gan_optimal", "gan_vanishing", "report", "flow_log_density",
                 "optimal_discriminator", "generator_gradients"):
        assert name in dir(dgm_cli) and name in dgm_cli.__all__
        assert callable(getattr(dgm_cli, name))
    assert dgm_cli.InputError is InputError
    with pytest.raises(AttributeError):
        dgm_cli.no_such_function  # noqa: B018


def test_the_docstring_examples_run():
    import dgm_cli.api

    failed, attempted = doctest.testmod(dgm_cli.api, optionflags=doctest.ELLIPSIS)
    assert failed == 0
    assert attempted >= 30


def test_help_shows_the_formula_and_an_example():
    import pydoc

    text = pydoc.render_doc(dgm_cli.flow_density, renderer=pydoc.plaintext)
    assert "p_X(x) = p_Z(g(x)) · |det ∂g/∂x|" in text
    assert ">>> d = dgm_cli.flow_density(x=(0, 1, \"1/3\"))" in text
    assert "flow_density(x: 'Any' = (0, 1, '1/3'), transform: 'Any' = None, base: 'str' = 'normal', verify: 'int' = 0" \
        in text


@pytest.mark.parametrize("name", ["flow_density", "vpnf_bound", "gan_optimal", "gan_vanishing", "report",
                                  "flow_log_density", "optimal_discriminator", "generator_gradients"])
def test_every_public_function_has_a_formula_and_an_example(name):
    doc = getattr(dgm_cli, name).__doc__
    assert ">>> " in doc and " = " in doc


def test_the_signatures_are_the_issues():
    import inspect

    def defaults(function):
        return {p.name: p.default for p in inspect.signature(function).parameters.values()}

    assert list(defaults(dgm_cli.flow_density).items())[:4] == [
        ("x", (0, 1, "1/3")), ("transform", None), ("base", "normal"), ("verify", 0)]
    assert defaults(dgm_cli.vpnf_bound) == {"k": None, "eps": 0.1, "det": None}
    assert list(defaults(dgm_cli.gan_optimal).items())[:3] == [("data", "normal(0,1)"), ("gen", "normal(2,1)"), ("x", None)]
    assert list(defaults(dgm_cli.gan_vanishing).items())[:2] == [("logits", (-1, -5, -10, -20)), ("sweep", False)]


def test_the_test_extra_can_run_the_notebook():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {re.split(r"[<>=!~\[ ]", requirement)[0] for requirement in extra["test"]}
    assert {"nbclient", "ipykernel", "nbformat"} <= names


# --------------------------------------------------------------------------- the same results as the commands


API_AND_CLI = [
    ("flow_density", {}, ["flow-density"]),
    ("flow_density", {"x": 2, "transform": "exp(z1)"}, ["flow-density", "--x", "2", "--transform", "exp(z1)"]),
    ("flow_density", {"x": np.array([0.0, 1.0, 0.25]), "base": "normal(0,2)", "verify": 20_000, "seed": 3},
     ["flow-density", "--x", "0", "1", "0.25", "--base", "normal(0,2)", "--verify", "20000", "--seed", "3"]),
    ("vpnf_bound", {}, ["vpnf-bound"]),
    ("vpnf_bound", {"k": 2, "eps": 0.1, "det": Fraction(1, 10)},
     ["vpnf-bound", "--k", "2", "--eps", "0.1", "--det", "1/10"]),
    ("vpnf_bound", {"eps": "best"}, ["vpnf-bound", "--eps", "best"]),
    ("gan_optimal", {}, ["gan-optimal"]),
    ("gan_optimal", {"data": "categorical(0.2,0.5,0.3)", "gen": "categorical(0.4,0.4,0.2)", "x": [0, 2]},
     ["gan-optimal", "--data", "categorical(0.2,0.5,0.3)", "--gen", "categorical(0.4,0.4,0.2)", "--x", "0,2"]),
    ("gan_vanishing", {}, ["gan-vanishing"]),
    ("gan_vanishing", {"logits": [-3, 2.5, "-40"], "sweep": True, "grad_bound": 2},
     ["gan-vanishing", "--logits", "-3,2.5,-40", "--sweep", "--grad-bound", "2"]),
]


@pytest.mark.parametrize(("function", "kwargs", "args"), API_AND_CLI,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(API_AND_CLI)])
def test_the_api_gives_the_commands_json(run, function, kwargs, args):
    derivation = getattr(dgm_cli, function)(**kwargs)
    result = run([*args, "--json"])
    assert result.exit_code == 0, result.stderr
    cli = strict_json(result.stdout)
    api = strict_json(derivation.to_json())
    assert api["result"] == cli["result"]
    assert api == cli  # the whole document: inputs, steps, checks, warnings
    assert derivation.passed is cli["result"]["checks_passed"] is True


@pytest.fixture(scope="module")
def assignment_report():
    return dgm_cli.report()


def test_the_report_is_the_commands(run, assignment_report):
    for fmt, write in (("markdown", assignment_report.to_markdown), ("html", assignment_report.to_html)):
        result = run(["report", "--format", fmt])
        assert result.exit_code == 0, result.stderr
        assert write() == result.stdout


def test_a_report_holds_the_four_derivations(assignment_report):
    report = assignment_report
    assert len(report) == 4 and report.passed
    assert [d.command for d in report] == ["flow-density", "vpnf-bound", "gan-optimal", "gan-vanishing"]
    assert report["gan-optimal"] is report[2]
    assert report.result["flow-density"]["density"] == pytest.approx(0.0128281441594734, rel=1e-14)
    assert "sweep_sharpness" in report.result["gan-vanishing"]  # the report runs Problem 4's sweep, as dgm report
    html = report._repr_html_()
    assert html.startswith('<div class="dgm-output">') and "<html" not in html
    for heading in ("Problem 1: Probability review", "Problem 4: Perfect discriminator, perfect generation"):
        assert heading in html
    assert report._repr_markdown_() == report.to_markdown()
    assert report.to_latex().startswith(r"\documentclass") and report.to_latex().endswith("\\end{document}\n")
    with pytest.raises(KeyError):
        report["no-such-command"]


def test_report_takes_the_commands_parameters(run):
    args = ["report", "--x", "0,1,1", "--k", "2", "--eps", "0.2", "--data", "uniform(0,1)", "--gen", "uniform(0,2)",
            "--logits", "-2,-4", "--no-checks"]
    result = run(args)
    assert result.exit_code == 0, result.stderr
    report = dgm_cli.report(x=(0, 1, 1), k=2, eps=0.2, data="uniform(0,1)", gen="uniform(0,2)", logits=(-2, -4))
    assert report.to_markdown(with_checks=False) == result.stdout


def test_numbers_of_every_kind_are_read_as_the_command_line_reads_them():
    from dgm_cli.api import _number

    tenth = Fraction(1, 10)
    for value in (0.1, "0.1", "1/10", " 1e-1 ", Fraction(1, 10), Decimal("0.1"), np.float64(0.1), np.float32(0.5) / 5):
        assert _number(value, "eps") == tenth, value
    assert _number(np.int64(-3), "k") == -3 and _number(7, "k") == 7
    import sympy

    assert _number(sympy.Rational(1, 3), "x") == Fraction(1, 3)
    assert _number("−2", "x") == -2  # a minus pasted from a PDF, as on the command line
    # A float is its shortest decimal: 1/3 typed as a float is 0.3333333333333333, not the binary value.
    assert _number(1 / 3, "x") == Fraction("0.3333333333333333")


def test_a_point_given_as_text_a_sequence_or_fractions_is_one_point():
    by_text = dgm_cli.flow_density(x="0 1 1/3").result
    by_fractions = dgm_cli.flow_density(x=[0, 1.0, Fraction(1, 3)]).result
    assert by_text == by_fractions
    assert by_text["density"] == pytest.approx(0.0128281441594734, rel=1e-15)


# --------------------------------------------------------------------------- errors: the command's, naming the parameter


ERRORS = [
    (lambda: dgm_cli.flow_density(x=(0, 1)), ["flow-density", "--x", "0", "1"], "x: expected 3 coordinates, got 2"),
    (lambda: dgm_cli.flow_density(x="0,1,abc"), ["flow-density", "--x", "0,1,abc"], None),
    (lambda: dgm_cli.flow_density(transform="z1; z3"), ["flow-density", "--transform", "z1; z3"], None),
    (lambda: dgm_cli.flow_density(transform="sign(z1)", x=1), ["flow-density", "--transform", "sign(z1)", "--x", "1"],
     None),
    (lambda: dgm_cli.flow_density(base="gamma"), ["flow-density", "--base", "gamma"], None),
    (lambda: dgm_cli.flow_density(verify=-1), ["flow-density", "--verify", "-1"], None),
    (lambda: dgm_cli.flow_density(verify=10**9), ["flow-density", "--verify", str(10**9)], None),
    (lambda: dgm_cli.gan_optimal(seed=-1), ["gan-optimal", "--seed", "-1"],
     "seed: Input should be greater than or equal to 0"),
    (lambda: dgm_cli.vpnf_bound(eps=1), ["vpnf-bound", "--eps", "1"], None),
    (lambda: dgm_cli.vpnf_bound(k=0), ["vpnf-bound", "--k", "0"], "k: k must be positive (got 0)"),
    (lambda: dgm_cli.vpnf_bound(det="-1/2"), ["vpnf-bound", "--det", "-1/2"], None),
    (lambda: dgm_cli.vpnf_bound(k="1e-200"), ["vpnf-bound", "--k", "1e-200"], None),
    (lambda: dgm_cli.gan_optimal(gen="categorical(0.5,0.5)"), ["gan-optimal", "--gen", "categorical(0.5,0.5)"], None),
    (lambda: dgm_cli.gan_optimal(data="normal(0,-1)"), ["gan-optimal", "--data", "normal(0,-1)"], None),
    (lambda: dgm_cli.gan_optimal(x="1e400"), ["gan-optimal", "--x", "1e400"], None),
    (lambda: dgm_cli.gan_vanishing(logits=["1e301"]), ["gan-vanishing", "--logits", "1e301"], None),
    (lambda: dgm_cli.gan_vanishing(grad_bound=0), ["gan-vanishing", "--grad-bound", "0"], None),
]


@pytest.mark.parametrize(("call", "args", "expected"), ERRORS, ids=[" ".join(a) for _, a, _ in ERRORS])
def test_errors_are_the_commands_naming_the_parameter(run, call, args, expected):
    result = run(args)
    assert result.exit_code == 2
    cli_message = result.stderr.strip().split(": error: ", 1)[1]
    cli_message = re.sub(r"^Invalid value for '(--[a-z-]+)': ", r"\1: ", cli_message)  # Click's range errors
    with pytest.raises(InputError) as raised:
        call()
    message = str(raised.value)
    # the same message, with each flag spelled as the parameter: "--x: …" is "x: …", "--grad-bound" is "grad_bound"
    assert message == re.sub(r"--([a-z]+)-?([a-z]*)", lambda m: m.group(1) + ("_" + m.group(2) if m.group(2) else ""),
                             cli_message)
    assert "--" not in message
    if expected is not None:
        assert message == expected
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: dgm_cli.vpnf_bound(eps=float("nan")), "eps: 'nan' is not a finite number"),
    (lambda: dgm_cli.vpnf_bound(k=[1, 2]), "k: expected a number, got list"),
    (lambda: dgm_cli.gan_optimal(data=3), "data: expected text, got int"),
    (lambda: dgm_cli.gan_optimal(samples=2.5), "samples: Input should be a valid integer, got float"),
    (lambda: dgm_cli.gan_vanishing(sweep="yes"), "sweep: expected True or False, got str"),
    (lambda: dgm_cli.gan_vanishing(logits=[]), "logits: no values given"),
    (lambda: dgm_cli.vpnf_bound(k=10**500), "k: a number of more than 400 digits"),
    (lambda: dgm_cli.flow_log_density([[0, 1]]), "points: expected 3 coordinates, got 2"),
    (lambda: dgm_cli.flow_log_density([[0, 1, np.inf]]), "points: inf at index [0, 2] is not a finite number"),
    (lambda: dgm_cli.optimal_discriminator([0.0, math.nan]), "x: nan at index [1] is not a finite number"),
    (lambda: dgm_cli.optimal_discriminator(["a"]), "x: expected an array of numbers"),
    (lambda: dgm_cli.optimal_discriminator([0.0], gen="categorical(1)"), None),
    (lambda: dgm_cli.flow_log_density([0.5], transform="z1 + exp(-z1**2)"), None),  # injective, not proven so
])
def test_python_values_the_command_line_cannot_receive_are_refused_by_name(call, expected):
    with pytest.raises(InputError) as raised:
        call()
    if expected is not None:
        assert str(raised.value) == expected
    assert "--" not in str(raised.value)


# --------------------------------------------------------------------------- vectorised functions


def _mp_log_density(point) -> mpmath.mpf:
    """Problem 1's log p_X in 50 digits: z = (x1, x2·e^(−x1), (x3³ − x1²)·e^(x1)), |det ∂f⁻¹/∂x| = 3·x3²."""
    with mpmath.workdps(50):
        x1, x2, x3 = (mpmath.mpf(float(v)) for v in point)
        z = (x1, x2 * mpmath.exp(-x1), (x3**3 - x1**2) * mpmath.exp(x1))
        return sum(-v**2 / 2 - mpmath.log(2 * mpmath.pi) / 2 for v in z) + mpmath.log(3 * x3**2)


def test_flow_log_density_matches_the_closed_form_in_50_digits():
    points = np.array([[0, 1, 1 / 3], [0.5, -2, -1], [10, 5, 3], [-30, 1e-5, 2], [2, 0, 1e-100], [-700, 3, 0.5]])
    log_p = dgm_cli.flow_log_density(points)
    assert log_p.shape == (6,)
    for row, value in zip(points, log_p):
        reference = float(_mp_log_density(row))
        assert value == pytest.approx(reference, rel=1e-13), row
    assert log_p[2] == pytest.approx(-1.29e12, rel=1e-2)  # p_X underflows; its logarithm does not
    assert dgm_cli.flow_log_density([[0, 1, 0]])[0] == -np.inf  # on the plane x3 = 0, p_X = 0


def test_flow_log_density_is_the_commands_batch(run):
    rows = ["0 1 1/3", "1 2 3", "0 1 0", "0.5 -2 -1", "10 5 3"]
    result = run(["flow-density", "--input", "-", "--format", "json"], input="\n".join(rows) + "\n")
    assert result.exit_code == 0, result.stderr
    records = strict_json(result.stdout)
    points = np.array([r["x"] for r in records])
    expected = np.array([float(r["log_density"]) for r in records])
    assert np.array_equal(dgm_cli.flow_log_density(points), expected)


def test_flow_log_density_takes_any_map_with_a_closed_form_inverse():
    x = np.array([0.5, 1.0, 2.0, 7.0])
    log_p = dgm_cli.flow_log_density(x, transform="exp(z1)")  # the log-normal: log φ(log x) − log x
    with mpmath.workdps(50):
        reference = [float(mpmath.log(mpmath.npdf(mpmath.log(v))) - mpmath.log(v)) for v in x]
    assert np.allclose(log_p, reference, rtol=1e-14, atol=0)
    assert dgm_cli.flow_log_density(x[:, None], transform=["exp(z1)"]).shape == (4,)
    assert dgm_cli.flow_log_density(-1.0, transform="exp(z1)") == -np.inf  # outside the image
    # z = (x1, x2 − x1³), |det| = 1: p_X = 1/16 where z lies in (−2, 2)², 0 elsewhere (z = (1, 4))
    two = dgm_cli.flow_log_density([[0.0, 0.0], [1.0, 5.0]], transform="z1; z2 + z1**3", base="uniform(-2, 2)")
    assert two[0] == pytest.approx(math.log(1 / 16), rel=1e-15) and two[1] == -np.inf


def test_vectorised_shapes_follow_the_input():
    grid = np.zeros((2, 5, 3)) + [0, 1, 1 / 3]
    assert dgm_cli.flow_log_density(grid).shape == (2, 5)
    one = dgm_cli.flow_log_density([0, 1, 1 / 3])
    assert np.ndim(one) == 0 and float(one) == pytest.approx(-4.35611375933837, rel=1e-14)
    assert dgm_cli.flow_log_density(np.empty((0, 3))).shape == (0,)
    assert dgm_cli.optimal_discriminator(np.zeros((3, 4))).shape == (3, 4)
    assert isinstance(dgm_cli.optimal_discriminator(1.0), np.floating)
    saturating, non_saturating = dgm_cli.generator_gradients(np.zeros((2, 2)))
    assert saturating.shape == non_saturating.shape == (2, 2)
    assert dgm_cli.generator_gradients([])[0].shape == (0,)


def test_optimal_discriminator_matches_the_closed_form_in_50_digits():
    x = np.array([-50.0, -3.0, 0.0, 1.0, 2.5, 30.0, 300.0])
    d_star = dgm_cli.optimal_discriminator(x, data="normal(0,1)", gen="normal(2,1)")
    with mpmath.workdps(50):  # log p_data − log p_g = 2 − 2x
        reference = [float(1 / (1 + mpmath.exp(2 * mpmath.mpf(v) - 2))) for v in x]
    assert np.allclose(d_star, reference, rtol=1e-13, atol=0)
    assert d_star[-1] > 0  # e^(−598): both densities underflow, D* does not
    categorical = dgm_cli.optimal_discriminator([0, 1, 2], data="categorical(0.2,0.5,0.3)", gen="categorical(0.4,0.4,0.2)")
    assert np.allclose(categorical, [1 / 3, 5 / 9, 3 / 5], rtol=1e-15)
    disjoint = dgm_cli.optimal_discriminator([0.5, 1.5, 5.0], data="uniform(0,1)", gen="uniform(1,2)")
    assert list(disjoint) == [1.0, 0.0, 0.5]  # 0.5 where both densities are 0: undefined, as the batch records say


def test_optimal_discriminator_is_the_commands_batch(run):
    result = run(["gan-optimal", "--data", "laplace(0,1)", "--gen", "mixture(0.5*normal(-1,1), 0.5*normal(3,0.5))",
                  "--input", "-", "--format", "json"], input="-20\n-1\n0\n0.5\n3\n200\n")
    assert result.exit_code == 0, result.stderr
    records = strict_json(result.stdout)
    api = dgm_cli.optimal_discriminator([r["x"] for r in records], data="laplace(0,1)",
                                        gen="mixture(0.5*normal(-1,1), 0.5*normal(3,0.5))")
    assert np.array_equal(api, [r["d_star"] for r in records])


def test_generator_gradients_match_mpmath():
    h = np.array([-800.0, -50.0, -1.0, 0.0, 3.0, 40.0, 800.0])
    saturating, non_saturating = dgm_cli.generator_gradients(h)
    with mpmath.workdps(50):
        sigma = [1 / (1 + mpmath.exp(-mpmath.mpf(v))) for v in h]
        minus = [1 / (1 + mpmath.exp(mpmath.mpf(v))) for v in h]
    assert np.allclose(saturating, [-float(s) for s in sigma], rtol=1e-14, atol=0)
    assert np.allclose(non_saturating, [-float(s) for s in minus], rtol=1e-14, atol=0)
    assert saturating[0] == -0.0 or saturating[0] == 0.0  # σ(−800) ≈ 1e−348: below float64, never NaN


def test_generator_gradients_are_the_commands_batch(run):
    result = run(["gan-vanishing", "--input", "-", "--format", "jsonl"], input="-1\n-50\n0\n12.5\n")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    saturating, non_saturating = dgm_cli.generator_gradients([r["logit"] for r in records])
    assert np.array_equal(saturating, [r["grad_saturating"] for r in records])
    assert np.array_equal(non_saturating, [r["grad_nonsaturating"] for r in records])


def test_vectorised_functions_scale_to_a_million_points():
    h = np.linspace(-30, 30, 1_000_001)
    saturating, _ = dgm_cli.generator_gradients(h)
    assert saturating[500_000] == -0.5
    points = np.column_stack([np.linspace(-1, 1, 200_001), np.ones(200_001), np.full(200_001, 0.5)])
    log_p = dgm_cli.flow_log_density(points)
    assert np.isfinite(log_p).all()
    assert log_p[100_000] == pytest.approx(float(_mp_log_density([0.0, 1.0, 0.5])), rel=1e-13)


# --------------------------------------------------------------------------- display


@pytest.fixture(scope="module")
def problem_one():
    return dgm_cli.flow_density()


def test_a_derivation_renders_itself_as_each_command_format(problem_one):
    from dgm_cli.render import render

    d = problem_one
    assert d.to_json() == render(d, "json")
    assert strict_json(d.to_json())["result"]["density_decimal"] == "0.0128281441594734"
    assert d.to_markdown() == render(d, "markdown") == d._repr_markdown_()
    assert d.to_latex() == render(d, "latex") == d._repr_latex_()
    assert d.to_latex(standalone=True).startswith(r"\documentclass")
    assert not d.to_latex().startswith(r"\documentclass")
    assert d.to_html() == render(d, "html") and d.to_html().startswith("<!DOCTYPE html>")


def test_a_derivation_shows_itself_typeset_in_a_notebook(problem_one):
    html = problem_one._repr_html_()
    assert html.startswith('<div class="dgm-output"><style>') and "<math" in html
    assert "<html" not in html and "<body" not in html and "<!DOCTYPE" not in html
    ElementTree.fromstring(html)  # a well-formed fragment: no tag cut in half
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    for rule in style.split("}"):
        if "{" in rule:  # every rule is kept inside the output: the notebook's own page keeps its style
            assert all(s.strip().startswith(".dgm-output") for s in rule.split("{")[0].split(",")), rule
    assert "0.0128281441594734" in html


def test_derivation_py_imports_nothing_heavy():
    assert _modules_after("import dgm_cli.derivation") == []


# --------------------------------------------------------------------------- the notebook


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory):
    """examples/notebook.ipynb run top to bottom by nbclient, in a kernel of this interpreter (no network, no
    kernel installed beforehand: the kernel spec is written into a temporary Jupyter path)."""
    pytest.importorskip("matplotlib")  # the notebook's plot, as every plotting test (the plot extra)
    import nbformat
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "data" / "kernels" / "dgm-test-python"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dgm tests", "language": "python",
    }), encoding="utf-8")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder / "data"))
        patch.setenv("JUPYTER_RUNTIME_DIR", str(folder / "runtime"))
        patch.setenv("IPYTHONDIR", str(folder / "ipython"))
        patch.setenv("MPLCONFIGDIR", str(folder / "matplotlib"))
        client = NotebookClient(notebook, kernel_name="dgm-test-python", timeout=120,
                                resources={"metadata": {"path": str(folder)}})
        client.execute()
    return notebook


def _outputs(notebook) -> tuple[str, list[dict]]:
    text, data = [], []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            if output.output_type == "stream":
                text.append(output.text)
            else:
                data.append(output.get("data", {}))
    return "".join(text), data


def _printed(text: str, label: str) -> float:
    match = re.search(rf"{re.escape(label)}\s*=?\s*(-?[0-9.]+(?:e[-+]?\d+)?)", text)
    assert match, label
    return float(match.group(1))


def test_the_notebook_solves_the_four_problems(executed_notebook):
    text, data = _outputs(executed_notebook)
    assert "stderr" not in [o.get("name") for c in executed_notebook.cells for o in c.get("outputs", [])]
    # Problem 1: sqrt(2)·e^(−365/729)/(12·π^(3/2)), to the 15 digits the command prints
    exact = mpmath.sqrt(2) * mpmath.exp(mpmath.mpf(-365) / 729) / (12 * mpmath.pi ** 1.5)
    assert "p_X(x) = 0.0128281441594734 = sqrt(2)*exp(-365/729)/(12*pi**(3/2))" in text
    assert _printed(text, "p_X at the first point:") == pytest.approx(float(exact), rel=1e-14)
    # Problem 2 at k = 2, ε = 0.1: δ ≥ ε for c = 1, so KL ≥ 2ε² = 0.02; the mass of p is 1.953
    assert _printed(text, "kl_lower_bound_vp") == pytest.approx(0.02, rel=1e-12)
    assert _printed(text, "mass") == pytest.approx(1.953, rel=1e-12)
    assert _printed(text, "normalising k") == pytest.approx(float((81 + 9 * mpmath.sqrt(93)) / 10), rel=1e-14)
    # Problem 3: JSD(N(0,1) ‖ N(2,1)) by 50-digit quadrature, and L(D*) = log 4 − 2·JSD
    with mpmath.workdps(30):
        def term(x):
            p, q = mpmath.npdf(x), mpmath.npdf(x, 2)
            m = (p + q) / 2
            return (p * mpmath.log(p / m) + q * mpmath.log(q / m)) / 2
        jsd = float(mpmath.quad(term, [-mpmath.inf, 1, mpmath.inf]))
    assert _printed(text, "JSD") == pytest.approx(jsd, rel=1e-12)
    assert _printed(text, "L(D*)") == pytest.approx(math.log(4) - 2 * jsd, rel=1e-12)
    # Problem 4: the batch mean of −σ(h) over h = −1, −5, −10, −20
    with mpmath.workdps(30):
        mean = -sum(1 / (1 + mpmath.exp(-mpmath.mpf(h))) for h in (-1, -5, -10, -20)) / 4
    assert _printed(text, "mean saturating gradient") == pytest.approx(float(mean), rel=1e-14)
    assert text.count("checks passed: True") == 4 and "every check passed: True" in text
    assert "checks passed: False" not in text
    # the derivation typeset (MathML), and one figure
    assert any("<math" in d.get("text/html", "") for d in data)
    assert sum("image/png" in d for d in data) == 1


def test_the_notebook_is_stored_without_outputs():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_flow_log_density_of_a_map_proven_invertible_matches_brentq():
    """z1³ + z1 has no closed-form inverse used here, but is proven a bijection: batch values by bisection."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    points = np.array([-3.0, -0.5, 0.0, 0.25, 7.0])
    got = dgm_cli.flow_log_density(points, transform="z1**3 + z1")
    for x, value in zip(points, got):
        z = brentq(lambda t: t**3 + t - x, -10, 10, xtol=1e-15, rtol=1e-15)
        assert value == pytest.approx(norm.logpdf(z) - math.log(3 * z**2 + 1), rel=1e-12, abs=1e-12)
