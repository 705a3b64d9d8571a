"""Renderers: one module per output format, each implementing the walk's interface once.

A renderer never computes: every number it prints is in the Derivation.
:func:`render` is the one entry point; ``RENDERERS`` names, for every format
of the command line's enum, the function that renders it (imported lazily,
so that ``dgm --help`` loads none of them).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# format name -> "module:function"; each function takes (derivation, **options) and returns text
RENDERERS = {
    "rich": "dgm_cli.render.terminal:render_rich",
    "plain": "dgm_cli.render.plain:render_plain",
    "json": "dgm_cli.render.jsonout:render_json",
    "jsonl": "dgm_cli.render.records:render_jsonl",
    "csv": "dgm_cli.render.records:render_csv",
    "quiet": "dgm_cli.render.records:render_quiet",
    "markdown": "dgm_cli.render.markdown:render_markdown",
    "latex": "dgm_cli.render.latex:render_latex",
    "html": "dgm_cli.render.html:render_html",
}

# the options each format understands; others are not passed to it
OPTIONS = {"plain": {"unicode"}, "latex": {"standalone"}, "rich": {"console"}}


def render(derivation: Any, fmt: str, **options: Any) -> str:
    """The derivation in format ``fmt`` (a key of RENDERERS)."""
    module, _, function = RENDERERS[fmt].partition(":")
    accepted = OPTIONS.get(fmt, set())
    return getattr(import_module(module), function)(derivation, **{k: v for k, v in options.items() if k in accepted})
