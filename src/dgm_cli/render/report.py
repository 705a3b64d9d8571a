"""The worked solution: every problem's derivation in one document, through the same renderers.

Each problem opens with its question as the assignment states it, walks its
steps under the assignment's parts and closes with its answer; the checks go
to an appendix. Every formula and number is the one its own command prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from dgm_cli.derivation import Derivation
from dgm_cli.render.walk import Figure, Renderer, walk_report

REPORT_FORMATS = ("markdown", "latex", "html", "plain")


def report_renderer(fmt: str) -> Renderer:
    if fmt == "markdown":
        from dgm_cli.render.markdown import MarkdownRenderer

        return MarkdownRenderer()
    if fmt == "latex":
        from dgm_cli.render.latex import LatexRenderer

        return LatexRenderer(heading_offset=-1)
    if fmt == "html":
        from dgm_cli.render.html import HtmlRenderer

        return HtmlRenderer()
    if fmt == "plain":
        from dgm_cli.render.plain import PlainRenderer

        return PlainRenderer()
    raise ValueError(f"no report renderer for {fmt!r}")


def render_report(
    problems: Sequence[tuple[str, Derivation, Sequence[Figure]]], fmt: str, with_checks: bool = True
) -> str:
    """The whole assignment in ``fmt`` (one of REPORT_FORMATS)."""
    renderer = report_renderer(fmt)
    text = walk_report(problems, renderer, with_checks=with_checks)
    return text + ("\\end{document}\n" if fmt == "latex" else "")
