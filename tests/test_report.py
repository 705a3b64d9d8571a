"""`dgm report`: the whole assignment in one document whose numbers are the individual commands' numbers."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import strict_json
from dgm_cli.render.common import format_number
from test_formats import _assert_balanced_latex


@pytest.fixture(scope="module")
def markdown_report():
    from typer.testing import CliRunner

    from dgm_cli.cli import app

    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_report_has_every_problem_and_its_checks(markdown_report):
    for heading in ("Problem 1", "Problem 2", "Problem 3", "Problem 4"):
        assert f"## {heading}" in markdown_report
    assert markdown_report.count("Checks") >= 4
    assert "FAIL" not in markdown_report


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (["flow-density", "--x", "0", "1", "1/3"], ["density_decimal", "log_density"]),
        (["vpnf-bound"], ["kl_lower_bound", "kl_lower_bound_vp", "k_normalizing"]),
        (["gan-optimal"], ["jsd", "loss_at_optimum", "log4_minus_2jsd"]),
        (["gan-vanishing", "--logits", "-1,-5,-10,-20", "--sweep"], ["mean_grad_saturating", "mean_grad_nonsaturating"]),
    ],
)
def test_report_numbers_match_each_commands_json(run, markdown_report, args, keys):
    result = strict_json(run([*args, "--json"]).stdout)["result"]
    for key in keys:
        assert f"`{key}` | `{format_number(result[key])}`" in markdown_report, key


def test_report_overrides_reach_the_solvers(run):
    result = run(["report", "--x", "0,1,0.333", "--k", "2", "--eps", "best"])
    assert result.exit_code == 0
    assert "0.0128025532530570" in result.stdout
    assert "NOT A DENSITY" in result.stdout  # k = 2 does not normalise the counterexample


def test_report_latex_compiles(run, tmp_path):
    target = tmp_path / "solution.tex"
    result = run(["report", "--format", "latex", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    text = target.read_text(encoding="ascii")
    _assert_balanced_latex(text)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed; the balance checks above still ran")
    compiled = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "solution.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert compiled.returncode == 0, compiled.stdout[-2000:]


def test_report_bad_override_is_one_line_exit_2(run):
    result = run(["report", "--eps", "2"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
