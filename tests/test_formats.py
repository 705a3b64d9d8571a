"""Every output format, on every command: strict JSON, one-line JSON, CSV, quiet, Markdown, LaTeX, plain, rich."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys

import pytest

from conftest import strict_json
from consumers import (
    MATHML,
    assert_no_latex_in_words,
    assert_pdf_text_clean,
    compile_latex,
    markdown_tokens,
    parse_xhtml,
)
from dgm_cli.problems import problems

# Every registered problem's command as the assignment poses it, then cases that reach other branches.
COMMANDS = [[problem.command] for problem in problems()] + [
    ["flow-density", "--x", "0", "1", "1/3"], ["gan-vanishing", "--logits", "-1,-5,-10,-20", "--sweep"],
    ["vpnf-bound", "--k", "2", "--eps", "0.1"], ["vpnf-bound", "--eps", "best"],
    ["gan-optimal", "--x", "0", "--x", "1.5"],
    ["gan-optimal", "--data", "categorical(0.2,0.5,0.3)", "--gen", "categorical(0.4,0.4,0.2)"],
]


def _json_result(run, args):
    result = run([*args, "--json"])
    assert result.exit_code == 0, result.stderr
    return strict_json(result.stdout)["result"]


@pytest.mark.parametrize("args", COMMANDS)
def test_jsonl_is_one_strict_line_with_the_same_result(run, args):
    reference = _json_result(run, args)
    result = run([*args, "--format", "jsonl"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert strict_json(lines[0])["result"] == reference


@pytest.mark.parametrize("args", COMMANDS)
def test_csv_has_a_header_and_one_row_matching_json(run, args):
    reference = _json_result(run, args)
    result = run([*args, "--format", "csv"])
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 2
    header, row = rows
    assert header == list(reference)
    for key, cell in zip(header, row):
        expected = reference[key]
        if isinstance(expected, float):
            assert float(cell) == expected
        elif isinstance(expected, list):
            assert strict_json(cell) == expected


@pytest.mark.parametrize("args", COMMANDS)
def test_quiet_prints_name_tab_value_lines(run, args):
    reference = _json_result(run, args)
    result = run([*args, "--quiet"])
    assert result.exit_code == 0
    pairs = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    assert list(pairs) == list(reference)
    for key, value in reference.items():
        if isinstance(value, float):
            assert float(pairs[key]) == value


@pytest.mark.parametrize("args", COMMANDS)
def test_markdown_has_headings_and_display_math(run, args):
    result = run([*args, "--format", "markdown"])
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("# ")
    assert text.count("$$") % 2 == 0 and text.count("$$") >= 2
    assert "## Checks" in text and "## Result" in text


def _assert_balanced_latex(text: str) -> None:
    depth = 0
    for i, char in enumerate(text):
        if char == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif char == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
        assert depth >= 0, text[max(0, i - 80) : i + 1]
    assert depth == 0
    begins = re.findall(r"\\begin\{(\w+\*?)\}", text)
    ends = re.findall(r"\\end\{(\w+\*?)\}", text)
    assert sorted(begins) == sorted(ends)
    assert text.isascii(), [c for c in text if not c.isascii()][:5]


@pytest.mark.parametrize("args", COMMANDS)
def test_latex_fragment_is_balanced_ascii(run, args):
    result = run([*args, "--format", "latex"])
    assert result.exit_code == 0
    _assert_balanced_latex(result.stdout)
    assert r"\documentclass" not in result.stdout


@pytest.mark.parametrize("args", COMMANDS)
def test_latex_standalone_compiles_and_reads_back_clean(run, args, tmp_path):
    result = run([*args, "--format", "latex", "--standalone"])
    assert result.exit_code == 0
    _assert_balanced_latex(result.stdout)
    assert result.stdout.startswith(r"\documentclass")
    pdf = compile_latex(result.stdout, tmp_path)
    assert_pdf_text_clean(pdf, keys=tuple(_json_result(run, args)))
    assert "Result" in pdf


@pytest.mark.parametrize("args", COMMANDS)
def test_html_is_one_strict_page_with_mathml(run, args):
    result = run([*args, "--format", "html"])
    assert result.exit_code == 0
    root = parse_xhtml(result.stdout)
    assert_no_latex_in_words(root)
    assert len(list(root.iter(MATHML + "math"))) >= 5
    assert "<script" not in result.stdout and "<link" not in result.stdout


@pytest.mark.parametrize("args", COMMANDS)
def test_markdown_parses_with_tables_as_tables(run, args):
    result = run([*args, "--format", "markdown"])
    tokens = markdown_tokens(result.stdout)
    types = [t.type for t in tokens]
    assert types.count("table_open") >= 2  # at least the checks and the result
    assert "math_block" in types


def test_gan_vanishing_tables_survive_markdown_and_latex(run):
    args = ["gan-vanishing", "--logits", "-1,-5,-10,-20", "--sweep"]
    tokens = markdown_tokens(run([*args, "--format", "markdown"]).stdout)
    from dgm_cli.solvers.gan_vanishing import solve as gan_vanishing

    tables = sum(step.table is not None for step in gan_vanishing([-1, -5, -10, -20], sweep=True).steps)
    assert tables >= 3  # per-logit values and the two sweeps, at least
    assert [t.type for t in tokens].count("table_open") == tables + 2  # and the checks and the result
    latex = run([*args, "--format", "latex"]).stdout
    assert latex.count(r"\begin{tabular}") + latex.count(r"\begin{tabularx}") == tables


def test_standalone_without_latex_is_bad_input(run):
    result = run(["flow-density", "--standalone"])
    assert result.exit_code == 2
    assert "--standalone" in result.stderr


@pytest.mark.parametrize("args", COMMANDS)
def test_plain_output_in_a_pipe_has_no_escape_codes(args):
    completed = subprocess.run(
        [sys.executable, "-m", "dgm_cli", *args], capture_output=True, text=True, timeout=120, env={**os.environ}
    )
    assert completed.returncode == 0, completed.stderr
    assert "\x1b" not in completed.stdout
    assert "Result" in completed.stdout


COLOR_CODE = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;[25]|9[0-7])[0-9;]*m")


def test_rich_output_honours_no_color():
    args = [sys.executable, "-m", "dgm_cli", *COMMANDS[0], "--format", "rich"]
    forced = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "120"}
    forced.pop("NO_COLOR", None)
    coloured = subprocess.run(args, capture_output=True, text=True, timeout=120, env=forced)
    assert COLOR_CODE.search(coloured.stdout)  # the test can see colour when there is some
    plain = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**forced, "NO_COLOR": "1"})
    assert plain.returncode == 0
    assert not COLOR_CODE.search(plain.stdout)
