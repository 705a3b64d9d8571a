"""Renderers from hand-built derivations: ±∞, an undefined value, a matrix, a table, a failed and an inapplicable check.

Each format's output is pinned where it matters, and read back by its real consumer (strict JSON, a CommonMark
parser, pdflatex and pdftotext, a strict XML parser for the HTML page).
"""

from __future__ import annotations

import csv
import io

import pytest
import sympy

from conftest import strict_json
from consumers import assert_no_latex_in_words, assert_pdf_text_clean, compile_latex, markdown_tokens, parse_xhtml, MATHML
from dgm_cli.derivation import Approx, Check, Derivation, Notice, Step, Table, m, plain_text
from dgm_cli.render import RENDERERS, render
from dgm_cli.render.walk import paragraphs

HALF_SQUARE = m(r"B = [-\tfrac{1}{2}, \tfrac{1}{2}]^2", "B = [−½, ½]²")


def hand_built() -> Derivation:
    x, theta = sympy.symbols("x theta")
    return Derivation(
        command="demo",
        title=("A demo on ", HALF_SQUARE),
        inputs={"x": [0, 1]},
        steps=[
            Step(
                "Words and mathematics",
                ("The set ", m(r"\{x \in \mathbb{R} : |x| \le \tfrac{1}{2}\}", "{x ∈ ℝ : |x| ≤ ½}"), " has length ",
                 sympy.Integer(1), "; ", m(r"A \iff B", "A ⟺ B"), " with ", m(r"p_\theta", "p_θ"), ".\n",
                 "A second paragraph: ", Approx(0.123456789, 4), " and ", 1e-30, " and ", float("inf"), "."),
                sympy.Eq(sympy.Function("p")(x), sympy.exp(-x**2 / 2) / sympy.sqrt(2 * sympy.pi), evaluate=False),
                value=sympy.Rational(1, 3),
            ),
            Step("A matrix", expr=sympy.Matrix([[1, 0], [theta, sympy.exp(theta)]]), value=[1.0, float("-inf"), None]),
            Step(
                "A table",
                table=Table(
                    (m("h", "h"), ("D = ", m(r"\sigma(h)", "σ(h)")), m(r"\lVert x \rVert_\infty", "‖x‖∞")),
                    [(-1.0, 0.2689414213699951, sympy.Integer(10) ** 40), ("mean", Approx(1 / 3, 6), sympy.Rational(1, 7))],
                    note="Two rows.",
                ),
                part="a",
            ),
        ],
        result={"density": 0.0128, "log_density": float("-inf"), "z": [0.0, 1.0], "missing": None, "flag": True},
        checks=[
            Check("exact", "by hand", 1.0, 1.0, 0.0, 1e-12, "no error"),
            Check(("a failing check of ", m(r"p_\theta", "p_θ")), "finite differences", 1.0, 2.0, 1.0, 1e-6, "relative"),
            Check("quadrature", "scipy", None, None, float("inf"), 1e-6, "cannot resolve a spike", applicable=False),
        ],
        warnings=[Notice(("the density is ", m("0", "0"), " here"), key="density")],
        question=("Find ", m("p(x)", "p(x)"), "."),
        answer=("It is ", 0.0128, "."),
        parts=(("a", "The table."),),
    )


def test_every_format_of_the_command_line_has_a_renderer():
    from dgm_cli.cli import OutputFormat

    assert {f.value for f in OutputFormat} == set(RENDERERS)
    derivation = hand_built()
    for fmt in RENDERERS:
        if fmt != "rich":
            assert render(derivation, fmt).strip(), fmt


def test_checks_are_not_steps_and_inapplicable_checks_do_not_fail():
    derivation = hand_built()
    assert [c.passed for c in derivation.checks] == [True, False, True]
    assert not derivation.passed


def test_prose_splits_into_paragraphs_at_newlines():
    text = hand_built().steps[0].text
    assert len(paragraphs(text)) == 2
    assert plain_text(text).startswith("The set {x ∈ ℝ : |x| ≤ ½} has length 1; A ⟺ B with p_θ.")


def test_plain_spells_math_in_unicode_and_aligns_tables():
    text = render(hand_built(), "plain")
    assert "A demo on B = [−½, ½]²" in text
    assert "The set {x ∈ ℝ : |x| ≤ ½} has length 1; A ⟺ B with p_θ." in text
    assert "0.1235 and 1e-30 and ∞" in text
    assert "= 1/3" in text and "= [1, −∞, undefined]" in text
    assert "[FAIL] a failing check of p_θ" in text and "[N/A] quadrature" in text and "not applicable" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if "D = σ(h)" in line)
    widths = {len(lines[i]) for i in range(header, header + 4)}
    assert len(widths) == 1, lines[header : header + 4]  # right-aligned columns: every row as wide
    assert "1e+40" in lines[header + 2] and "1/7" in lines[header + 3]


def test_plain_without_unicode_is_ascii():
    from dgm_cli.render.plain import render_plain

    text = render_plain(hand_built(), unicode=False)
    assert text.isascii()
    assert "B = [-1/2, 1/2]^2" in text and "A <=> B" in text and "p_theta" in text and "-inf" in text


def test_json_is_strict_with_structured_prose_and_tables():
    data = strict_json(render(hand_built(), "json"))
    assert data["result"]["log_density"] == "-Infinity" and data["result"]["missing"] is None
    step = data["steps"][0]
    assert {"math": "A ⟺ B", "latex": r"A \iff B"} in step["prose"]
    assert step["value"] == pytest.approx(1 / 3, rel=1e-15)
    table = data["steps"][2]["table"]
    assert table["headers"] == ["h", "D = σ(h)", "‖x‖∞"]
    assert table["rows"][0] == [-1.0, 0.2689414213699951, 10**40] and table["rows"][1][0] == "mean"
    assert data["steps"][2]["part"] == "a"
    assert [c["passed"] for c in data["checks"]] == [True, False, True]
    assert data["checks"][2]["applicable"] is False and data["checks"][2]["error"] == "Infinity"
    assert data["warnings"] == [{"message": "the density is 0 here", "key": "density"}]


def test_csv_writes_an_undefined_value_as_an_empty_cell():
    header, row = list(csv.reader(io.StringIO(render(hand_built(), "csv"))))
    assert dict(zip(header, row)) == {"density": "0.0128", "log_density": "-Infinity", "z": "[0.0, 1.0]",
                                      "missing": "", "flag": "true"}


def test_markdown_tables_are_tables_and_math_is_in_dollars():
    text = render(hand_built(), "markdown")
    tokens = markdown_tokens(text)
    types = [t.type for t in tokens]
    assert types.count("table_open") == 3  # the step's table, the checks, the results
    inline_math = [t.content for t in tokens if t.type == "inline"
                   for t in (t.children or []) if t.type == "math_inline"]
    assert r"\{x \in \mathbb{R} : |x| \le \tfrac{1}{2}\}" in inline_math and r"A \iff B" in inline_math
    block_math = [t.content for t in tokens if t.type == "math_block"]
    assert any(r"\begin{matrix}" in b for b in block_math)
    cells = [t.content for t in tokens if t.type == "inline"]
    assert r"$\lVert x \rVert_\infty$" in cells and "$-1$" in cells and "$1.42857142857143 \\times 10^{-1}$" not in cells


def test_latex_compiles_and_reads_back_without_lost_characters(tmp_path):
    text = render(hand_built(), "latex", standalone=True)
    assert text.isascii()
    assert r"\tfrac{1}{2}" in text and r"\iff" in text and r"\begin{tabular}{rrr}" in text
    pdf = compile_latex(text, tmp_path)
    assert_pdf_text_clean(pdf, keys=tuple(hand_built().result))
    assert "[−12, 12]" not in pdf and "[-12, 12]" not in pdf
    assert "A demo on B" in pdf and "Words and mathematics" in pdf
    assert "mean" in pdf and "0.333333" in pdf and "FAIL" in pdf


def test_html_is_strict_xml_with_every_formula_as_mathml():
    text = render(hand_built(), "html")
    root = parse_xhtml(text)
    assert_no_latex_in_words(root)
    maths = list(root.iter(MATHML + "math"))
    assert len(maths) >= 10
    assert sum(1 for mm in maths if mm.get("display") == "block") == 2
    tables = [e for e in root.iter() if e.tag.endswith("}table")]
    assert len(tables) == 3
    assert "http" not in text.replace("http://www.w3.org/", "")  # nothing fetched
    assert "<script" not in text
