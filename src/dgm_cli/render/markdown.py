"""Markdown (CommonMark with GFM pipe tables): mathematics in ``$…$`` and ``$$…$$`` from LaTeX, tables as tables.

The LaTeX inside the dollars is the same as the LaTeX renderer's, so a
Markdown file converts to PDF (pandoc) or shows typeset on GitHub and in
Jupyter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dgm_cli.derivation import Check, Math, Notice, Prose, Table
from dgm_cli.render.common import decimal, format_error, format_tolerance, formula_latex, special_text, verdict
from dgm_cli.render.walk import Renderer

# Characters that CommonMark would read as markup in running text.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|$~])")


def _in_cell(latex: str) -> str:
    """LaTeX that may sit in a pipe-table cell: a bare | would end the cell."""
    return latex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")


class MarkdownRenderer(Renderer):
    def __init__(self, heading_offset: int = 0) -> None:
        super().__init__()
        self.heading_offset = heading_offset
        self.in_table = False

    def _math(self, latex: str) -> str:
        latex = _in_cell(latex) if self.in_table else latex
        return f"${latex.strip()}$"

    def words(self, text: str) -> str:
        text = _MARKUP.sub(r"\\\1", text)
        # a line that starts like a list item or a numbered list would become one
        return text

    def math(self, node: Math) -> str:
        return self._math(node.latex)

    def formula_inline(self, expr: Any) -> str:
        return self._math(formula_latex(expr))

    def number_text(self, value: Any) -> str:
        special = special_text(value)
        if special is not None:
            return {"∞": r"$\infty$", "−∞": r"$-\infty$"}.get(special, special)
        spelled = decimal(value)
        if spelled is None:
            return self.words(str(value))
        if spelled.exponent is None and not spelled.negative:
            return spelled.text()
        return self._math(spelled.latex())

    def heading(self, level: int, title: Prose) -> None:
        self.out += ["#" * min(level + self.heading_offset, 6) + " " + self.prose(title), ""]

    def paragraph(self, text: Prose) -> None:
        self.out += [self.prose(text).strip(), ""]

    def formula(self, expr: Any) -> None:
        self.out += ["$$", formula_latex(expr), "$$", ""]

    def _pipe_table(self, headers: list[str], rows: list[list[str]], align: list[str]) -> None:
        self.out.append("| " + " | ".join(headers) + " |")
        self.out.append("|" + "|".join({"r": "---:", "l": ":---", "c": ":---:"}[a] for a in align) + "|")
        self.out += ["| " + " | ".join(c.replace("\n", " ") for c in row) + " |" for row in rows]
        self.out.append("")

    def table(self, table: Table) -> None:
        self.in_table = True
        headers = [self.prose(h) or " " for h in table.headers]
        rows = [[self.value_text(c) for c in row] for row in table.rows]
        align = ["l" if all(isinstance(r[i], (str, Math, tuple)) for r in table.rows) else "r"
                 for i in range(len(headers))]
        self.in_table = False
        self._pipe_table(headers, rows, align)
        if table.note:
            self.paragraph(table.note)

    def value(self, value: Any) -> None:
        self.paragraph(("Value: ", _Raw(self.value_text(value))))

    def piece(self, piece: Any) -> str:
        if isinstance(piece, _Raw):
            return piece.text
        return super().piece(piece)

    def notice(self, notice: Notice) -> None:
        self.out += ["> **Note.** " + self.prose(notice.message), ""]

    def checks(self, checks: Sequence[Check], level: int, title: Prose = ("Checks",)) -> None:
        if not checks:
            return
        self.heading(level, title)
        self.in_table = True
        rows = [
            [verdict(c.passed, c.applicable), self.prose(c.name),
             self.prose(c.method) + (". " + self.prose(c.detail) if c.detail else ""),
             format_error(c.error) if c.applicable else "n/a", format_tolerance(c.tolerance)]
            for c in checks
        ]
        self.in_table = False
        self._pipe_table(["", "check", "how", "error", "tolerance"], rows, ["l", "l", "l", "r", "r"])

    def result(self, result: dict[str, Any], level: int) -> None:
        self.heading(level, ("Result",))
        self.in_table = True
        rows = [[f"`{key}`", self.value_text(value)] for key, value in result.items()]
        self.in_table = False
        self._pipe_table(["name", "value"], rows, ["l", "l"])

    def answer(self, text: Prose) -> None:
        self.out += ["**Answer.** " + self.prose(text), ""]

    def figure(self, figure) -> None:
        self.out += [f"![{self.words(figure.caption)}]({figure.path})", ""]

    def document(self, title: str, introduction: str) -> None:
        self.out += [f"# {self.words(title)}", "", self.words(introduction), ""]


class _Raw(str):
    """Already-rendered text inside prose."""

    @property
    def text(self) -> str:
        return str(self)


def render_markdown(derivation, heading_level: int = 1) -> str:
    from dgm_cli.render.walk import walk

    return walk(derivation, MarkdownRenderer(heading_level - 1))
