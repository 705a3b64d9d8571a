"""The command line: formats, exit codes, one-line errors, and the installed entry point."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import strict_json


def test_help_lists_flow_density(run):
    result = run(["--help"])
    assert result.exit_code == 0
    assert "flow-density" in result.stdout


def test_version(run):
    from dgm_cli import __version__

    result = run(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dgm {__version__}"


def test_flow_density_plain_output_has_the_density_and_no_escape_codes(run):
    result = run(["flow-density", "--x", "0", "1", "0.333"])
    assert result.exit_code == 0, result.stderr
    assert "0.0128025532530570" in result.stdout
    assert "\x1b[" not in result.stdout
    assert "[PASS]" in result.stdout and "[FAIL]" not in result.stdout


def test_flow_density_json_is_strict_and_complete(run):
    result = run(["flow-density", "--x", "0", "1", "1/3", "--json"])
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert set(data) >= {"command", "inputs", "steps", "result"}
    assert data["command"] == "flow-density"
    res = data["result"]
    assert res["invertible"] is True
    assert res["density"] == pytest.approx(0.0128281441594734, rel=1e-14)
    assert res["density_exact"] == "sqrt(2)*exp(-365/729)/(12*pi**(3/2))"
    assert len(res["z"]) == 3
    assert all(step["title"] for step in data["steps"])
    assert any("latex" in step for step in data["steps"])


def test_minus_infinity_is_a_json_string(run):
    result = run(["flow-density", "--x", "0", "1", "0", "--format", "json"])
    assert result.exit_code == 0
    data = strict_json(result.stdout)
    assert data["result"]["log_density"] == "-Infinity"
    assert "measure" in result.stderr  # the reason, on stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--x", "0", "1"], "--x"),
        (["--x", "0", "1", "2", "3"], "--x: expected 3 coordinates, got 4"),
        (["--x", "0", "1", "abc"], "not a number"),
        (["--x", "0", "1", "nan"], "not a finite number"),
        (["--x", "0", "inf", "1"], "not a finite number"),
        (["--x", "0", "", "1"], "empty"),
        (["--x", "0", "1", "1/0"], "divides by zero"),
        (["--x", "0", "1", "1e999999"], "exponent"),
        (["--verify", "-5"], "--verify"),
        (["--box", "0"], "--box"),
        (["--format", "yaml"], "--format"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(run, args, needle):
    result = run(["flow-density", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_installed_entry_point_runs_as_a_subprocess():
    env = {**os.environ, "NO_COLOR": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "dgm_cli", "flow-density", "--x", "0", "1", "0.333", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert strict_json(completed.stdout)["result"]["density_decimal"] == "0.0128025532530570"


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "dgm")
    completed = subprocess.run([script, "flow-density", "--x", "a", "b", "c"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr


def test_help_imports_no_heavy_module():
    """`dgm --help` must stay instant: no sympy, numpy or scipy (checked through sys.modules, not by timing)."""
    code = (
        "import sys\n"
        "from dgm_cli.cli import app\n"
        "from typer.testing import CliRunner\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "CliRunner().invoke(app, ['--version'])\n"
        "heavy = sorted(m for m in ('sympy', 'numpy', 'scipy') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""
