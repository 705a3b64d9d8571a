"""`dgm report`: the hand-in document. The assignment's order, its questions and answers, the checks in an appendix,
and every format read back by its real consumer (CommonMark, pdflatex, a strict XML parser, headless Chromium)."""

from __future__ import annotations

import re

import pytest

from conftest import strict_json
from consumers import (
    MATHML,
    assert_no_latex_in_words,
    assert_not_blank,
    assert_pdf_text_clean,
    chromium,
    compile_latex,
    markdown_tokens,
    parse_xhtml,
)
from dgm_cli.problems import problems
from test_formats import _assert_balanced_latex

PROBLEMS = [problem.heading for problem in problems()]


@pytest.fixture(scope="module")
def reports():
    """The default report in each format, made once."""
    from typer.testing import CliRunner

    from dgm_cli.cli import app

    out = {}
    for fmt in ("markdown", "latex", "html", "plain"):
        result = CliRunner().invoke(app, ["report", "--format", fmt])
        assert result.exit_code == 0, result.stderr
        out[fmt] = result.stdout
    return out


def _positions(text: str, needles: list[str]) -> list[int]:
    return [text.index(n) for n in needles]


def test_problems_and_parts_come_in_the_assignments_order(reports):
    markdown = reports["markdown"]
    problems = _positions(markdown, [f"## {p}" for p in PROBLEMS])
    assert problems == sorted(problems)
    parts = _positions(markdown, [f"### Part ({p})" for p in "abcd"])
    assert problems[1] < parts[0] and parts == sorted(parts) and parts[-1] < problems[2]


def test_each_problem_opens_with_its_question_and_closes_with_its_answer(reports):
    markdown = reports["markdown"]
    sections = re.split(r"^## ", markdown, flags=re.MULTILINE)[1:5]
    questions = ["Is this an invertible transformation", "volume", "optimal discriminator", "gradient"]
    for section, question in zip(sections, questions):
        body = section.split("\n", 1)[1]
        first_paragraph = body.strip().split("\n\n", 1)[0]
        assert question.lower() in (first_paragraph + body[:1500]).lower(), section[:300]
        assert section.count("**Answer.**") == 1
        last = section.strip().rsplit("\n\n", 1)[-1]
        assert last.startswith("**Answer.**") or "**Answer.**" in section[-2000:]


def test_checks_are_in_an_appendix_and_no_result_keys_in_the_body(run, reports):
    markdown = reports["markdown"]
    appendix = markdown.index("## Appendix: verification")
    assert appendix > markdown.index("## Problem 4")
    body = markdown[:appendix]
    assert "PASS" not in body and "| `" not in body
    for key in ("tv_lower_bound_nonempty_A", "kl_lower_bound", "mean_grad_saturating", "density_exact"):
        assert key not in markdown
    assert markdown[appendix:].count("PASS") >= 15 and "FAIL" not in markdown
    without = run(["report", "--no-checks"]).stdout
    assert "Appendix" not in without and "PASS" not in without


def test_report_numbers_are_the_commands_numbers(run, reports):
    density = strict_json(run(["flow-density", "--json"]).stdout)["result"]["density"]
    assert f"{density:.15g}" in reports["plain"]
    vanishing = strict_json(run(["gan-vanishing", "--logits", "-1,-5,-10,-20", "--json"]).stdout)["result"]
    assert f"{vanishing['mean_grad_saturating']:.15g}" in reports["plain"]
    optimal = strict_json(run(["gan-optimal", "--json"]).stdout)["result"]
    assert f"{optimal['jsd']:.15g}" in reports["plain"]


def test_report_markdown_parses_with_tables_and_math(reports):
    tokens = markdown_tokens(reports["markdown"])
    types = [t.type for t in tokens]
    assert types.count("table_open") >= 4 + 4  # the steps' tables and one appendix table per problem
    assert types.count("math_block") >= 20
    inline = [c for t in tokens if t.type == "inline" for c in (t.children or []) if c.type == "math_inline"]
    assert len(inline) >= 100


def test_report_latex_compiles_and_reads_back_clean(reports, tmp_path):
    text = reports["latex"]
    _assert_balanced_latex(text)
    pdf = compile_latex(text, tmp_path, "solution")
    assert_pdf_text_clean(pdf)
    for heading in PROBLEMS:
        assert heading in pdf
    parts = [pdf.index(f"Part ({p})") for p in "abcd"]
    assert parts == sorted(parts)


def test_report_html_is_strict_mathml_and_chromium_renders_it(reports, tmp_path):
    text = reports["html"]
    root = parse_xhtml(text)
    assert_no_latex_in_words(root)
    assert len(list(root.iter(MATHML + "math"))) >= 150
    page = tmp_path / "solution.html"
    page.write_text(text, encoding="utf-8")
    dom, screenshot = chromium(page, tmp_path)
    assert "<math" in dom and "Problem 4" in dom
    assert_not_blank(screenshot)


def test_report_figures_inline_svg_in_html_and_files_beside_markdown(run, tmp_path):
    pytest.importorskip("matplotlib")
    html = run(["report", "--format", "html", "--figures", "--no-checks"])
    assert html.exit_code == 0, html.stderr
    assert html.stdout.count("<svg") == 3
    parse_xhtml(html.stdout)
    target = tmp_path / "solution.md"
    markdown = run(["report", "--figures", "-o", str(target)])
    assert markdown.exit_code == 0, markdown.stderr
    pictures = sorted(p.name for p in tmp_path.glob("solution-*.png"))
    assert len(pictures) == 3
    for name in pictures:
        assert f"]({name})" in target.read_text(encoding="utf-8")


def test_report_latex_with_figures_compiles(run, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "solution.tex"
    result = run(["report", "--format", "latex", "--figures", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    compile_latex(target.read_text(encoding="ascii"), tmp_path, "solution")


def test_figures_without_an_output_file_need_one(run):
    result = run(["report", "--figures"])
    assert result.exit_code == 2 and "--figures" in result.stderr


def test_report_overrides_reach_the_solvers(run):
    result = run(["report", "--format", "plain", "--x", "0,1,0.333", "--k", "2", "--eps", "best"])
    assert result.exit_code == 0
    assert "0.012802553253057" in result.stdout
    assert "NOT A DENSITY" in result.stdout  # k = 2 does not normalise the counterexample


def test_report_dash_output_means_stdout(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["report", "--no-checks", "-o", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("# ")
    assert not (tmp_path / "-").exists()


def test_report_bad_override_is_one_line_exit_2(run):
    result = run(["report", "--eps", "2"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
