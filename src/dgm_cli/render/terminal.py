"""Rich output for a terminal: a panel a step, a table of checks, a table of results.

Formulas go in as ``rich.text.Text`` so that Rich markup never eats SymPy's
ASCII art (``[x  ___]``).
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from dgm_cli.derivation import Derivation
from dgm_cli.render.common import format_number, format_tolerance, formula_pretty


def print_rich(derivation: Derivation, console: Console) -> None:
    console.print(Rule(Text(derivation.title, style="bold")))
    number = 0
    for step in derivation.steps:
        if step.check is not None:
            continue
        number += 1
        parts: list = []
        if step.text:
            parts.append(Text(step.text))
        if step.expr is not None:
            parts.append(Text(formula_pretty(step.expr), style="cyan", no_wrap=True, overflow="ignore"))
        if step.value is not None:
            parts.append(Text("= " + format_number(step.value), style="bold green"))
        console.print(Panel(Group(*parts), title=Text(f"{number}. {step.title}", style="bold"), title_align="left"))

    if derivation.checks:
        table = Table(title="Checks", title_justify="left", show_lines=False)
        table.add_column("", no_wrap=True)
        table.add_column("check")
        table.add_column("error", justify="right", no_wrap=True)
        table.add_column("tolerance", justify="right", no_wrap=True)
        table.add_column("how")
        for check in derivation.checks:
            mark = Text("✓", style="bold green") if check.passed else Text("✗", style="bold red")
            table.add_row(
                mark,
                Text(check.name),
                f"{check.error:.3g}",
                format_tolerance(check.tolerance),
                Text(f"{check.method}. {check.detail}", style="dim"),
            )
        console.print(table)

    results = Table(title="Result", title_justify="left")
    results.add_column("name", style="bold", no_wrap=True)
    results.add_column("value")
    for key, value in derivation.result.items():
        results.add_row(key, Text(format_number(value)))
    console.print(results)
