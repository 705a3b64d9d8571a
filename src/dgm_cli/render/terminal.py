"""Rich output for a terminal: a panel a step, tables as Rich tables, checks and results as tables.

Every piece goes in as ``rich.text.Text``, so Rich markup never eats SymPy's
ASCII art (``[x  ___]``) or a set written with brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from dgm_cli.derivation import Check, Math, Notice, Prose, Step, Table
from dgm_cli.render.common import format_error, format_tolerance, formula_pretty
from dgm_cli.render.walk import Renderer, paragraphs


class RichRenderer(Renderer):
    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def _table(self, table: Table) -> RichTable:
        out = RichTable(show_edge=True)
        for i, header in enumerate(table.headers):
            numeric = any(not isinstance(r[i], (str, Math, tuple)) for r in table.rows)
            out.add_column(Text(self.prose(header)), justify="right" if numeric else "left", no_wrap=numeric)
        for row in table.rows:
            out.add_row(*(Text(self.value_text(c)) for c in row))
        return out

    def heading(self, level: int, title: Prose) -> None:
        heading = Text(self.prose(title), style="bold")
        self.console.print(Rule(heading) if level <= 1 else heading)

    def paragraph(self, text: Prose) -> None:
        self.console.print(Text(self.prose(text)))

    def formula(self, expr: Any) -> None:
        self.console.print(Text(formula_pretty(expr), style="cyan", no_wrap=True, overflow="ignore"))

    def table(self, table: Table) -> None:
        self.console.print(self._table(table))

    def value(self, value: Any) -> None:
        self.console.print(Text("= " + self.value_text(value), style="bold green"))

    def notice(self, notice: Notice) -> None:
        self.console.print(Text("Note: " + self.prose(notice.message), style="yellow"))

    def step(self, number: int, step: Step, level: int) -> None:
        parts: list[Any] = [Text(self.prose(p)) for p in paragraphs(step.text)]
        if step.expr is not None:
            parts.append(Text(formula_pretty(step.expr), style="cyan", no_wrap=True, overflow="ignore"))
        if step.table is not None:
            parts.append(self._table(step.table))
            if step.table.note:
                parts.append(Text(self.prose(step.table.note), style="dim"))
        if step.value is not None:
            parts.append(Text("= " + self.value_text(step.value), style="bold green"))
        title = Text(f"{number}. " + self.prose(step.title), style="bold")
        self.console.print(Panel(Group(*parts), title=title, title_align="left"))

    def checks(self, checks: Sequence[Check], level: int, title: Prose = ("Checks",)) -> None:
        if not checks:
            return
        table = RichTable(title=self.prose(title), title_justify="left")
        table.add_column("", no_wrap=True)
        table.add_column("check")
        table.add_column("error", justify="right", no_wrap=True)
        table.add_column("tolerance", justify="right", no_wrap=True)
        table.add_column("how")
        for check in checks:
            if not check.applicable:
                mark = Text("–", style="bold")
            else:
                mark = Text("✓", style="bold green") if check.passed else Text("✗", style="bold red")
            how = self.prose(check.method) + (". " + self.prose(check.detail) if check.detail else "")
            table.add_row(mark, Text(self.prose(check.name)),
                          format_error(check.error) if check.applicable else "n/a",
                          format_tolerance(check.tolerance), Text(how, style="dim"))
        self.console.print(table)

    def result(self, result: dict[str, Any], level: int) -> None:
        table = RichTable(title="Result", title_justify="left")
        table.add_column("name", style="bold", no_wrap=True)
        table.add_column("value")
        for key, value in result.items():
            table.add_row(key, Text(self.value_text(value)))
        self.console.print(table)

    def finish(self) -> str:
        return ""


def print_rich(derivation, console: Console) -> None:
    from dgm_cli.render.walk import walk

    walk(derivation, RichRenderer(console))


def render_rich(derivation, console: Console | None = None) -> str:
    """Print to ``console`` (a terminal's by default); the text is already on the screen, so this returns ""."""
    print_rich(derivation, console or Console(highlight=False))
    return ""
