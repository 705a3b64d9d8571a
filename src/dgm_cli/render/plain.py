"""Plain text: what a pipe, a file or a dumb terminal gets. No escape codes, no box drawing.

With ``unicode=False`` (an output encoding that cannot hold Unicode) every
formula and word is spelled in ASCII.
"""

from __future__ import annotations

import textwrap
from typing import Any

from dgm_cli.derivation import Check, Math, Notice, Prose, Table
from dgm_cli.render.common import ascii_text, format_error, format_tolerance, formula_pretty, verdict
from dgm_cli.render.walk import Renderer

WIDTH = 88
UNDERLINES = {1: "=", 2: "-"}


class PlainRenderer(Renderer):
    def __init__(self, unicode: bool = True) -> None:
        super().__init__()
        self.unicode = unicode

    def _spell(self, text: str) -> str:
        return text if self.unicode else ascii_text(text)

    def words(self, text: str) -> str:
        return self._spell(text)

    def math(self, node: Math) -> str:
        return self._spell(node.text)

    def formula_inline(self, expr: Any) -> str:
        return self._spell(super().formula_inline(expr))

    def number_text(self, value: Any) -> str:
        return self._spell(super().number_text(value))

    def _block(self, text: str, indent: str = "    ") -> None:
        self.out.append(textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                                      break_on_hyphens=False))

    def heading(self, level: int, title: Prose) -> None:
        text = self.prose(title)
        if self.out:
            self.out.append("")
        self.out.append(text)
        if level in UNDERLINES:
            self.out.append(UNDERLINES[level] * min(len(text), WIDTH))

    def paragraph(self, text: Prose) -> None:
        self._block(self.prose(text))

    def formula(self, expr: Any) -> None:
        self.out.append("")
        # SymPy's ASCII art keeps a symbol's own name (a Label such as ∂f⁻¹/∂x): spelled in ASCII too
        self.out.append(textwrap.indent(self._spell(formula_pretty(expr, self.unicode)), "        "))
        self.out.append("")

    def table(self, table: Table) -> None:
        headers = [self.prose(h) for h in table.headers]
        rows = [[self.value_text(cell) for cell in row] for row in table.rows]
        widths = [max(len(c) for c in column) for column in zip(headers, *rows)]
        line = lambda cells: "    " + "  ".join(c.rjust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        self.out.append(line(headers))
        self.out.append("    " + "  ".join("-" * w for w in widths))
        self.out.extend(line(r) for r in rows)
        if table.note:
            self._block(self.prose(table.note))

    def value(self, value: Any) -> None:
        self._block("= " + self.value_text(value))

    def notice(self, notice: Notice) -> None:
        self._block(self.prose(("Note: ",) + notice.message), "")

    def check(self, check: Check) -> None:
        self.out.append(f"[{verdict(check.passed, check.applicable)}] {self.prose(check.name)}")
        self._block(self.prose(check.method))
        measure = (
            f"error {self._spell(format_error(check.error))} (tolerance {format_tolerance(check.tolerance)})"
            if check.applicable else "not applicable"
        )
        detail = self.prose(check.detail)
        self._block(measure + (": " + detail if detail else ""))

    def result(self, result: dict[str, Any], level: int) -> None:
        self.heading(level, ("Result",))
        width = max((len(k) for k in result), default=0)
        for key, value in result.items():
            self.out.append(f"{key.ljust(width)}  {self.value_text(value)}")


def render_plain(derivation, unicode: bool = True) -> str:
    from dgm_cli.render.walk import walk

    return walk(derivation, PlainRenderer(unicode))
