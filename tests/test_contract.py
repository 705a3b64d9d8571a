"""The derivation contract, on every command: words are words, mathematics is structure, numbers are numbers.

Every command's derivation (captured where the CLI hands it to a renderer) is inspected piece by piece: a plain
``str`` piece holds no Unicode mathematics (that is what turned ½ into "12" in LaTeX), every Math node's LaTeX is
ASCII and converts to MathML without an error, no step value is a pre-formatted string, and the words speak the
assignment's language.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import pytest

from conftest import strict_json
from consumers import assert_no_latex_in_words, assert_pdf_text_clean, compile_latex, markdown_tokens, parse_xhtml
from dgm_cli import problems as registry
from dgm_cli.derivation import Derivation, Math, iter_prose, plain_text
from dgm_cli.render import RENDERERS, render

# Each command with inputs that reach its different branches.
COMMANDS = [
    ["flow-density", "--x", "0", "1", "1/3"],
    ["flow-density", "--x", "0", "1", "0"],
    ["flow-density", "--x", "0", "1", "1/3", "--verify", "2000"],
    ["flow-density", "--transform", "exp(z1)", "--x", "2"],
    ["flow-density", "--transform", "z1**2", "--x", "4"],
    ["flow-density", "--transform", "z1 + tanh(z1)", "--x", "1.5"],
    ["flow-density", "--transform", "z1; z2*exp(z1)", "--x", "1,2", "--base", "uniform(-3,3)"],
    ["vpnf-bound"],
    ["vpnf-bound", "--k", "2", "--eps", "0.1"],
    ["vpnf-bound", "--eps", "best", "--det", "1/10"],
    ["vpnf-bound", "--k", "1", "--eps", "0.2"],
    ["gan-optimal"],
    ["gan-optimal", "--data", "categorical(0.2,0.5,0.3)", "--gen", "categorical(0.4,0.4,0.2)"],
    ["gan-optimal", "--data", "uniform(0,1)", "--gen", "uniform(0.5,2)", "--x", "0.2", "--x", "1.5", "--x", "3"],
    ["gan-optimal", "--data", "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))", "--gen", "laplace(1,2)"],
    ["gan-vanishing", "--logits", "-1,-5,-10,-20"],
    ["gan-vanishing", "--logits", "-1,-5", "--grad-bound", "2", "--sweep"],
]

# Besides ASCII, words may hold typographic punctuation, nothing mathematical.
TYPOGRAPHY = set("–—‘’“”…\u00a0")
FORBIDDEN_WORDS = re.compile(r"\b(seed's|the seed|seed writes|card|issue|JSON field)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def derivations() -> dict[str, Derivation]:
    from typer.testing import CliRunner

    import dgm_cli.cli as cli

    captured: dict[str, Derivation] = {}
    original = cli.emit

    def capture(derivation, output):
        captured["last"] = derivation
        return original(derivation, output)

    cli.emit = capture
    try:
        out = {}
        for args in COMMANDS:
            captured.clear()
            result = CliRunner().invoke(cli.app, [*args, "--format", "json"])
            assert result.exit_code == 0, (args, result.stderr)
            out[" ".join(args)] = captured["last"]
        return out
    finally:
        cli.emit = original


def _pieces(derivation: Derivation):
    for value in iter_prose(derivation):
        yield from value


def test_words_hold_no_unicode_mathematics(derivations):
    for name, derivation in derivations.items():
        for piece in _pieces(derivation):
            if isinstance(piece, str):
                bad = {c for c in piece if ord(c) > 127 and c not in TYPOGRAPHY}
                assert not bad, f"{name}: {sorted(bad)} in words {piece!r}: use m(latex, text) or a SymPy piece"


def test_inline_mathematics_is_ascii_latex_that_converts_to_mathml(derivations):
    from latex2mathml.converter import convert

    seen = set()
    for name, derivation in derivations.items():
        for piece in _pieces(derivation):
            if isinstance(piece, Math) and piece.latex not in seen:
                seen.add(piece.latex)
                assert piece.latex.isascii() and "$" not in piece.latex, (name, piece)
                assert "merror" not in convert(piece.latex), (name, piece)
    assert len(seen) > 50


def test_step_values_are_numbers_not_formatted_text(derivations):
    for name, derivation in derivations.items():
        for step in derivation.steps:
            values = step.value if isinstance(step.value, list) else [step.value]
            for value in values:
                assert not isinstance(value, str), f"{name}: step {plain_text(step.title)!r} has value {value!r}"


def test_every_derivation_states_its_question_and_answer(derivations):
    for name, derivation in derivations.items():
        assert plain_text(derivation.question), name
        assert plain_text(derivation.answer), name


def test_warnings_are_short_sentences(derivations):
    for name, derivation in derivations.items():
        for notice in derivation.warnings:
            assert len(plain_text(notice.message)) <= 160, (name, plain_text(notice.message))


def test_output_speaks_the_assignments_language(derivations):
    for name, derivation in derivations.items():
        for value in iter_prose(derivation):
            text = plain_text(value)
            assert not FORBIDDEN_WORDS.search(text), f"{name}: {text!r}"


def test_problem_2_names_its_parts_in_the_assignments_order(derivations):
    derivation = derivations["vpnf-bound --k 2 --eps 0.1"]
    assert [key for key, _ in derivation.parts] == ["a", "b", "c", "d"]
    parts = [s.part for s in derivation.steps if s.part is not None]
    assert parts == sorted(parts) and set(parts) == {"a", "b", "c", "d"}


# --------------------------------------------------------------------------- every registered problem, every format


def assert_contract_in_every_format(derivation: Derivation) -> None:
    """One derivation through every renderer, each output read back by its real consumer."""
    assert set(RENDERERS) == {"rich", "plain", "json", "jsonl", "csv", "quiet", "markdown", "latex", "html"}
    as_json = strict_json(render(derivation, "json"))
    assert as_json["command"] == derivation.command and as_json["result"] is not None
    line = render(derivation, "jsonl")
    assert line.count("\n") == 1 and strict_json(line) == strict_json(line)
    header, *rows = list(csv.reader(io.StringIO(render(derivation, "csv"))))
    assert len(rows) == 1 and len(header) == len(rows[0])
    quiet = render(derivation, "quiet").splitlines()
    assert quiet and all("\t" in entry for entry in quiet)
    plain = render(derivation, "plain", unicode=False)
    assert plain.isascii() and len(plain.splitlines()) > 3
    from rich.console import Console

    screen = io.StringIO()
    render(derivation, "rich", console=Console(file=screen, width=100, color_system=None))
    assert len(screen.getvalue().splitlines()) > 3
    tokens = [token.type for token in markdown_tokens(render(derivation, "markdown"))]
    assert "heading_open" in tokens
    assert_no_latex_in_words(parse_xhtml(render(derivation, "html")))
    with tempfile.TemporaryDirectory() as folder:
        pdf_text = compile_latex(render(derivation, "latex", standalone=True), Path(folder))
    assert_pdf_text_clean(pdf_text, tuple(derivation.result))
    for piece in (value for prose in iter_prose(derivation) for value in prose):
        if isinstance(piece, str):
            assert not FORBIDDEN_WORDS.search(piece), piece


@pytest.mark.parametrize("problem", registry.problems(), ids=lambda problem: problem.command)
def test_every_registered_problem_through_every_format(problem):
    assert_contract_in_every_format(problem.solve())
