"""Plain text: what a pipe, a file or a dumb terminal gets. No escape codes, no box drawing."""

from __future__ import annotations

import textwrap

from dgm_cli.derivation import Derivation
from dgm_cli.render.common import format_number, format_tolerance, formula_pretty, verdict

WIDTH = 88


def _indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text, prefix, lambda line: True)


def render_plain(derivation: Derivation, unicode: bool = True) -> str:
    """The derivation as numbered steps, then the checks and the named results."""
    out = [derivation.title, "=" * min(len(derivation.title), WIDTH), ""]
    number = 0
    for step in derivation.steps:
        if step.check is not None:
            continue
        number += 1
        out.append(f"{number}. {step.title}")
        for paragraph in step.text.splitlines():
            out.append(_indent(textwrap.fill(paragraph, WIDTH - 4, subsequent_indent="  " if paragraph.startswith("•") else "")))
        if step.expr is not None:
            out.append("")
            out.append(_indent(formula_pretty(step.expr, unicode), "        "))
            out.append("")
        if step.value is not None:
            out.append(_indent(f"= {format_number(step.value)}"))
        out.append("")
    if derivation.checks:
        out.append("Checks")
        out.append("------")
        for check in derivation.checks:
            out.append(f"[{verdict(check.passed)}] {check.name}")
            out.append(_indent(textwrap.fill(check.method, WIDTH - 4)))
            out.append(
                _indent(f"error {check.error:.3g} (tolerance {format_tolerance(check.tolerance)}): {check.detail}")
            )
        out.append("")
    out.append("Result")
    out.append("------")
    width = max((len(k) for k in derivation.result), default=0)
    for key, value in derivation.result.items():
        out.append(f"{key.ljust(width)}  {format_number(value)}")
    return "\n".join(out) + "\n"
