"""One command-line grammar for every command: lists in three spellings, stdin only when asked, help examples
that run as shown, bad input refused before the heavy imports, shell completion."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile

import pytest

from conftest import strict_json
from dgm_cli.cli import LIST_OPTIONS

DGM = [sys.executable, "-m", "dgm_cli"]

# For each list option: three spellings of the same values, and options that make the run fast.
SPELLINGS = {
    ("flow-density", "--x"): (["0", "1", "1/3"], []),
    ("gan-optimal", "--x"): (["-1", "0.5", "2"], ["--samples", "0"]),
    ("gan-vanishing", "--logits"): (["-1", "-5", "-10"], []),
    ("vpnf-bound", "--k"): (["2", "3"], []),
    ("vpnf-bound", "--eps"): (["0.05", "0.1"], []),
    ("report", "--x"): (["0", "1", "0.333"], ["--no-checks", "--format", "plain"]),
    ("report", "--logits"): (["-2", "-4"], ["--no-checks", "--format", "plain"]),
}


def test_every_list_option_has_its_three_spellings_tested():
    assert set(SPELLINGS) == {(command, option) for command, options in LIST_OPTIONS.items() for option in options}


@pytest.mark.parametrize(("command", "option"), sorted(SPELLINGS), ids=lambda v: v)
def test_spaces_commas_and_repetition_mean_the_same(run, command, option):
    values, extra = SPELLINGS[(command, option)]
    fmt = [] if command == "report" else ["--format", "jsonl" if command == "vpnf-bound" else "json"]
    spellings = [
        [option, *values],
        [option, ",".join(values)],
        [arg for value in values for arg in (option, value)],
    ]
    outputs = []
    for spelling in spellings:
        result = run([command, *spelling, *extra, *fmt])
        assert result.exit_code == 0, (spelling, result.stderr)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]


def test_gan_vanishing_never_reads_stdin_unless_told(tmp_path):
    quiet = subprocess.run([*DGM, "gan-vanishing", "-q"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=120)
    assert quiet.returncode == 0 and "mean_grad_saturating" in quiet.stdout
    out = tmp_path / "out.txt"
    with open(out, "w") as handle:  # an open pipe that never closes, like `sleep 8 | dgm gan-vanishing`
        process = subprocess.Popen([*DGM, "gan-vanishing", "-q"], stdin=subprocess.PIPE, stdout=handle,
                                   stderr=subprocess.DEVNULL)
        try:
            assert process.wait(timeout=120) == 0
        finally:
            process.stdin.close()
            process.kill()
    assert "mean_grad_saturating" in out.read_text()


def _help_examples(command: str) -> list[str]:
    """The examples in an option's help: code spans in backticks that start with the option's name."""
    from typer.main import get_command

    from dgm_cli.cli import app

    examples = []
    for param in get_command(app).commands[command].params:
        for span in re.findall(r"`([^`]+)`", getattr(param, "help", None) or ""):
            if span.startswith("--"):
                examples.append(span)
    return examples


@pytest.mark.parametrize("command", ["flow-density", "vpnf-bound", "gan-optimal", "gan-vanishing", "report"])
def test_every_help_example_runs_as_shown(run, command):
    examples = _help_examples(command)
    assert examples, "the help shows examples"
    for example in examples:
        args = shlex.split(example)
        stdin = "-1\n-2\n" if args[-1] == "-" else None
        extra = ["--no-checks"] if command == "report" else ["--samples", "0"] if command == "gan-optimal" else []
        result = run([command, *args, *extra, "--format", "plain"], input=stdin)
        assert result.exit_code == 0, (example, result.stderr)


def test_the_help_shows_examples_as_typed():
    completed = subprocess.run([*DGM, "flow-density", "--help"], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "COLUMNS": "1000"})
    text = re.sub(r"[\s│]+", "", completed.stdout)  # the help's box and line wrapping aside
    assert re.sub(r"\s+", "", "z1; z2*exp(z1); cbrt(z3*exp(-z1) + z1**2)") in text  # Markdown did not eat the *


@pytest.mark.parametrize(
    "args",
    [
        ["flow-density", "--x", "a", "b", "c"],
        ["flow-density", "--box", "1e400"],
        ["gan-optimal", "--x", "abc"],
        ["gan-vanishing", "--logits", "abc"],
        ["vpnf-bound", "--eps", "0.9"],
        ["vpnf-bound", "--k", "-2"],
        ["vpnf-bound", "--det", "0"],
        ["report", "--x", "0,1"],
    ],
)
def test_bad_input_is_refused_before_sympy_numpy_or_scipy_load(args):
    code = (
        "import sys\n"
        "from dgm_cli.cli import app\n"
        "from typer.testing import CliRunner\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "heavy = sorted(m for m in ('sympy', 'numpy', 'scipy') if m in sys.modules)\n"
        "print(result.exit_code, ','.join(heavy))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.stdout.split() == ["2"], completed.stdout + completed.stderr


def test_shell_completion_script_for_bash():
    # what `dgm --install-completion bash` installs and `--show-completion bash` prints: Click's bash source
    env = {key: value for key, value in os.environ.items() if not key.startswith("_TYPER")}
    completed = subprocess.run([*DGM], capture_output=True, text=True, timeout=60,
                               env={**env, "_DGM_COMPLETE": "source_bash", "SHELL": "/bin/bash"})
    assert completed.returncode == 0, completed.stderr
    assert "complete" in completed.stdout and "_DGM_COMPLETE" in completed.stdout.upper()
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as script:
        script.write(completed.stdout)
        script.flush()
        syntax = subprocess.run(["bash", "-n", script.name], capture_output=True, text=True, timeout=30)
    assert syntax.returncode == 0, syntax.stderr


def test_batch_records_use_json_booleans(run):
    result = run(["gan-optimal", "--data", "uniform(0,1)", "--gen", "uniform(2,3)", "--input", "-",
                  "--format", "jsonl"], input="0.5\n5\n")
    rows = [strict_json(line) for line in result.stdout.splitlines()]
    assert [row["defined"] for row in rows] == [True, False]


def test_vpnf_lists_give_one_record_per_pair_equal_to_each_single_run(run):
    result = run(["vpnf-bound", "--k", "2", "3", "--eps", "0.05", "best", "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    rows = [strict_json(line) for line in result.stdout.splitlines()]
    assert [(row["k"], row["eps"] if row["eps"] == 0.05 else "best") for row in rows] == [
        (2.0, 0.05), (2.0, "best"), (3.0, 0.05), (3.0, "best")]
    for row, (k, eps) in zip(rows, [("2", "0.05"), ("2", "best"), ("3", "0.05"), ("3", "best")]):
        single = strict_json(run(["vpnf-bound", "--k", k, "--eps", eps, "--json"]).stdout)["result"]
        for key in ("eps", "plateau", "tv_lower_bound", "kl_lower_bound", "tv_lower_bound_vp", "kl_lower_bound_vp",
                    "bound_positive"):
            assert row[key] == single[key], (k, eps, key)


def test_vpnf_pairs_from_a_file(run):
    result = run(["vpnf-bound", "--input", "-", "--format", "csv"], input="2 0.1\n# comment\n3,0.2\n")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("k,eps,plateau") and len(rows) == 2
    single = strict_json(run(["vpnf-bound", "--k", "3", "--eps", "0.2", "--json"]).stdout)["result"]
    assert float(rows[1].split(",")[4]) == single["kl_lower_bound"]


@pytest.mark.parametrize("args", [["--det", "1/10"], ["--plot", "p.png"]])
def test_vpnf_lists_refuse_options_of_a_single_run(run, args):
    result = run(["vpnf-bound", "--eps", "0.05", "0.1", *args])
    assert result.exit_code == 2 and "not a list" in result.stderr


def test_a_bad_pair_in_a_list_is_refused_before_any_work(run):
    result = run(["vpnf-bound", "--k", "2", "--eps", "0.05", "0.9"])
    assert result.exit_code == 2 and "--eps" in result.stderr and "got 0.9" in result.stderr


def test_warnings_are_one_short_line_each_with_one_prefix_and_quiet_silences_them(run):
    loud = run(["vpnf-bound", "--k", "2"])
    warnings = [line for line in loud.stderr.splitlines() if line]
    assert warnings and all(line.startswith("dgm vpnf-bound: warning: ") and len(line) < 160 for line in warnings)
    assert run(["vpnf-bound", "--k", "2", "-q"]).stderr == ""
    batch = run(["flow-density", "--input", "-", "--skip-bad"], input="abc\n0 1 1\n")
    assert batch.stderr.startswith("dgm flow-density: warning: skipped line 1")


def test_options_are_coerced_without_pydantic():
    """Typer would build a Pydantic adapter per option on every run (0.13 s); our plain options skip it."""
    code = (
        "import sys\n"
        "from dgm_cli.cli import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['gan-vanishing', '--logits', '-1', '--quiet', '--format', 'json'])\n"
        "print(result.exit_code, 'pydantic' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.stdout.split() == ["0", "False"], completed.stdout + completed.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["flow-density", "--verify", "１２"], "Invalid value for '--verify': Input should be a valid integer"),
        (["flow-density", "--verify", "1_0"], "Invalid value for '--verify': Input should be a valid integer"),
        (["flow-density", "--seed", "-1"], "Invalid value for '--seed': Input should be greater than or equal to 0"),
        (["gan-optimal", "--samples", "100000001"],
         "Invalid value for '--samples': Input should be less than or equal to 100000000"),
        (["flow-density", "--format", "xml"], "Invalid value for '--format' / '-f': Value error, 'xml' is not one of"),
        (["report", "--format", "json"], "Invalid value for '--format' / '-f': Value error, 'json' is not one of"),
    ],
)
def test_whole_numbers_and_choices_are_refused_in_one_line(run, args, message):
    result = run(args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize(("args", "field", "value"), [
    (["flow-density", "--verify", " 12 ", "--seed", "+3", "--json"], None, None),
    (["gan-optimal", "--samples", "0", "--format", "json"], "command", "gan-optimal"),
])
def test_whole_numbers_and_choices_are_accepted(run, args, field, value):
    result = run(args)
    assert result.exit_code == 0, result.stderr
    if field:
        assert strict_json(result.stdout)[field] == value
