"""Markdown: headings a step, display formulas as $$…$$ from SymPy's LaTeX printer, tables of checks and results."""

from __future__ import annotations

from dgm_cli.derivation import Derivation
from dgm_cli.render.common import format_number, format_tolerance, formula_latex, verdict


def _cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def render_markdown(derivation: Derivation, heading_level: int = 1) -> str:
    h = "#" * heading_level
    lines = [f"{h} {derivation.title}", ""]
    for warning in derivation.warnings:
        lines += [f"> **Note.** {warning}", ""]
    number = 0
    for step in derivation.steps:
        if step.check is not None:
            continue
        number += 1
        lines += [f"{h}# {number}. {step.title}", ""]
        for paragraph in step.text.splitlines():
            lines.append(paragraph + "  ")
        if step.text:
            lines.append("")
        if step.expr is not None:
            lines += ["$$", formula_latex(step.expr), "$$", ""]
        if step.value is not None:
            lines += [f"Value: `{format_number(step.value)}`", ""]
    if derivation.checks:
        lines += [f"{h}# Checks", "", "| | check | error | tolerance | how |", "|---|---|---:|---:|---|"]
        for check in derivation.checks:
            lines.append(
                f"| {verdict(check.passed)} | {_cell(check.name)} | {check.error:.3g} | "
                f"{format_tolerance(check.tolerance)} | {_cell(check.method)}. {_cell(check.detail)} |"
            )
        lines.append("")
    lines += [f"{h}# Result", "", "| name | value |", "|---|---|"]
    for key, value in derivation.result.items():
        lines.append(f"| `{key}` | `{_cell(format_number(value))}` |")
    return "\n".join(lines) + "\n"
