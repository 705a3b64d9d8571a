"""The worked solution: every problem's derivation in one Markdown or LaTeX document.

Each section is the same renderer's output for that problem's Derivation, so
every formula and number in the report is the one its own command prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from dgm_cli.derivation import Derivation
from dgm_cli.render.latex import PREAMBLE, latex_text, render_latex
from dgm_cli.render.markdown import render_markdown

TITLE = "Deep Generative Models, Assignment 3: worked solution"
INTRODUCTION = (
    "Every formula and number below was derived by dgm (SymPy for the algebra, NumPy and SciPy for the numbers) "
    "and each section ends with the checks that verified its numbers by an independent route."
)


def render_report_markdown(sections: Sequence[tuple[str, Derivation]]) -> str:
    parts = [f"# {TITLE}", "", INTRODUCTION, ""]
    for heading, derivation in sections:
        parts += [f"## {heading}", ""]
        parts.append(render_markdown(derivation, heading_level=3))
    return "\n".join(parts)


def render_report_latex(sections: Sequence[tuple[str, Derivation]]) -> str:
    parts = [PREAMBLE, rf"\title{{{latex_text(TITLE)}}}", r"\date{}", r"\maketitle", latex_text(INTRODUCTION), ""]
    for heading, derivation in sections:
        parts.append(rf"\section{{{latex_text(heading)}}}")
        parts.append(render_latex(derivation, depth=1))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
