"""One walk over a derivation, and the interface every output format implements once.

:func:`walk` calls a renderer's ``title``, ``notice``, ``step``, ``checks`` and
``result`` in order; :func:`walk_report` calls the same methods, plus
``heading``, ``question``, ``answer`` and ``figure``, for the worked solution
of the whole assignment. A renderer decides only how each piece is spelled:
words, inline mathematics (:class:`~dgm_cli.derivation.Math` or SymPy),
numbers, display formulas and tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dgm_cli.derivation import Check, Derivation, Math, Notice, Prose, Step, Table, as_prose
from dgm_cli.render.common import EXACT_DIGITS_LIMIT, decimal, is_long_exact, is_sympy, special_text, sympy_number

_LONG_DIGITS = re.compile(rf"\d{{{EXACT_DIGITS_LIMIT + 1},}}")


def shorten_digit_runs(text: str) -> str:
    """A number of more than 30 digits inside text (an exact form such as 2**2000 written out) in scientific
    notation, as a person reads it; JSON keeps the exact text."""
    if len(text) <= EXACT_DIGITS_LIMIT:
        return text
    return _LONG_DIGITS.sub(lambda run: _spelled(int(run.group())), text)


def _spelled(whole: int) -> str:
    spelling = decimal(whole)
    return spelling.text() if spelling is not None else str(whole)  # an int always has a spelling


def paragraphs(text: Prose) -> list[Prose]:
    """Prose split at the ``\\n`` in its word pieces: one entry per paragraph, empty ones dropped."""
    out: list[list[Any]] = [[]]
    for piece in text:
        if isinstance(piece, str) and "\n" in piece:
            first, *rest = piece.split("\n")
            if first:
                out[-1].append(first)
            for chunk in rest:
                out.append([chunk] if chunk else [])
        else:
            out[-1].append(piece)
    return [tuple(p) for p in out if any(not isinstance(x, str) or x.strip() for x in p)]


class Renderer:
    """An output format. Subclasses spell pieces (``words``, ``math``, ``formula_inline``, ``number_text``)
    and blocks (``heading``, ``paragraph``, ``formula``, ``table``, ``value``, ``checks``, ``result``);
    the walk supplies the order. ``finish`` returns the text."""

    def __init__(self) -> None:
        self.out: list[str] = []

    # ---------------------------------------------------------------- pieces
    def words(self, text: str) -> str:
        return text

    def math(self, node: Math) -> str:
        return node.text

    def formula_inline(self, expr: Any) -> str:
        from dgm_cli.render.common import inline_text

        return inline_text(expr)

    def number_text(self, value: Any) -> str:
        """A plain number (float, int, Approx, exact integer or fraction, ±∞, undefined)."""
        special = special_text(value)
        if special is not None:
            return special
        spelled = decimal(value)
        return spelled.text() if spelled is not None else str(value)

    def piece(self, piece: Any) -> str:
        if isinstance(piece, str):
            return self.words(shorten_digit_runs(piece))
        if isinstance(piece, Math):
            return self.math(piece)
        return self.value_text(piece)

    def prose(self, value: Any) -> str:
        return "".join(self.piece(p) for p in as_prose(value))

    def value_text(self, value: Any) -> str:
        """Any value inline: numbers by ``number_text``, exact SymPy by ``formula_inline``, lists bracketed."""
        if hasattr(value, "tolist") and type(value).__module__.startswith("numpy"):
            value = value.tolist()
        if isinstance(value, (str, Math)):
            return self.piece(value)
        if isinstance(value, tuple) and value and all(isinstance(v, (str, Math)) or is_sympy(v) for v in value) \
                and any(isinstance(v, (str, Math)) for v in value):
            return self.prose(value)  # a prose label
        if isinstance(value, (list, tuple)):
            return self.value_list(list(value))
        if is_sympy(value):
            number = sympy_number(value)
            # a short integer or fraction is printed exactly (1/3 as a fraction); a long one compactly
            if number is not None and (isinstance(number, float) or is_long_exact(value)):
                return self.number_text(number)
            return self.formula_inline(value)
        return self.number_text(value)

    def value_list(self, values: list[Any]) -> str:
        return "[" + ", ".join(self.value_text(v) for v in values) + "]"

    # ---------------------------------------------------------------- blocks
    def heading(self, level: int, title: Prose) -> None:
        raise NotImplementedError

    def paragraph(self, text: Prose) -> None:
        raise NotImplementedError

    def formula(self, expr: Any) -> None:
        raise NotImplementedError

    def table(self, table: Table) -> None:
        raise NotImplementedError

    def value(self, value: Any) -> None:
        raise NotImplementedError

    def notice(self, notice: Notice) -> None:
        self.paragraph(("Note: ",) + notice.message)

    def checks(self, checks: Sequence[Check], level: int, title: Prose = ("Checks",)) -> None:
        if not checks:
            return
        self.heading(level, title)
        for check in checks:
            self.check(check)

    def check(self, check: Check) -> None:
        raise NotImplementedError

    def result(self, result: dict[str, Any], level: int) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- the whole
    def title(self, title: Prose) -> None:
        self.heading(1, title)

    def step(self, number: int, step: Step, level: int) -> None:
        self.heading(level, (f"{number}. ",) + step.title)
        for paragraph in paragraphs(step.text):
            self.paragraph(paragraph)
        if step.expr is not None:
            self.formula(step.expr)
        if step.table is not None:
            self.table(step.table)
        if step.value is not None:
            self.value(step.value)

    def question(self, text: Prose) -> None:
        for paragraph in paragraphs(text):
            self.paragraph(paragraph)

    def answer(self, text: Prose) -> None:
        self.paragraph(("Answer. ",) + text)

    def figure(self, figure: Figure) -> None:
        """A plot in the write-up; formats that cannot hold one say where it is."""
        self.paragraph(("Figure: " + figure.caption + f" ({figure.path})",))

    def document(self, title: str, introduction: str) -> None:
        self.heading(1, (title,))
        self.paragraph((introduction,))

    def finish(self) -> str:
        return "\n".join(self.out).rstrip("\n") + "\n"


@dataclass(frozen=True)
class Figure:
    """A drawn figure for a write-up: a file beside the document (``path``) and, for HTML, its SVG text."""

    caption: str
    path: str
    svg: str | None = None


def walk(derivation: Derivation, renderer: Renderer) -> str:
    """The derivation through a renderer: title, warnings, numbered steps, checks, results."""
    renderer.title(derivation.title)
    for notice in derivation.warnings:
        renderer.notice(notice)
    for number, step in enumerate(derivation.steps, start=1):
        renderer.step(number, step, 2)
    renderer.checks(derivation.checks, 2)
    renderer.result(derivation.result, 2)
    return renderer.finish()


REPORT_TITLE = "Deep Generative Models, Assignment 3: worked solution"
REPORT_INTRODUCTION = (
    "Every formula and number below was derived by dgm (SymPy for the algebra, NumPy and mpmath for the "
    "numbers), and each was verified by an independent route; the checks are listed in the appendix."
)


def ordered_steps(derivation: Derivation) -> list[tuple[str | None, list[Step]]]:
    """The steps grouped by the assignment's parts, in the assignment's order; steps of no part first."""
    groups: list[tuple[str | None, list[Step]]] = [(None, [s for s in derivation.steps if s.part is None])]
    known = [key for key, _ in derivation.parts]
    for key in known:
        groups.append((key, [s for s in derivation.steps if s.part == key]))
    stray = [s for s in derivation.steps if s.part is not None and s.part not in known]
    if stray:
        groups[0][1].extend(stray)
    return groups


def walk_report(
    problems: Sequence[tuple[str, Derivation, Sequence[Figure]]],
    renderer: Renderer,
    with_checks: bool = True,
) -> str:
    """The worked solution: each problem's question, its steps under the assignment's parts, its answer;
    the checks in an appendix (or not at all)."""
    renderer.document(REPORT_TITLE, REPORT_INTRODUCTION)
    for heading, derivation, figures in problems:
        renderer.heading(2, (heading,))
        renderer.question(derivation.question)
        for notice in derivation.warnings:
            renderer.notice(notice)
        titles = dict(derivation.parts)
        number = 0
        for key, steps in ordered_steps(derivation):
            level = 3
            if key is not None:
                renderer.heading(3, (f"Part ({key})",))
                renderer.question(titles[key])
                level = 4
            for step in steps:
                number += 1
                renderer.step(number, step, level)
        for figure in figures:
            renderer.figure(figure)
        renderer.answer(derivation.answer)
    if with_checks:
        renderer.heading(2, ("Appendix: verification",))
        renderer.paragraph((
            "Each number above was checked by a second, independent route; a check passes when its error is "
            "within the tolerance.",
        ))
        for heading, derivation, _ in problems:
            renderer.checks(derivation.checks, 3, (heading,))
    return renderer.finish()


def finite(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)
