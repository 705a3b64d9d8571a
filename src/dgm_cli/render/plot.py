"""Shared plumbing for ``--plot FILE.png``: matplotlib is an optional extra (``pip install 'dgm-cli[plot]'``).

Each problem's figure lives in its own ``render/plot_<command>.py`` (``-`` as ``_``), which defines ``CAPTION`` and
``draw(data, path)``; the data it draws is what the problem's ``figure(derivation)`` returns (see
dgm_cli.problems), never computed in the plotting code.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from typing import Any

from dgm_cli.errors import InputError


def _drawing_module(command: str) -> ModuleType | None:
    name = f"dgm_cli.render.plot_{command.replace('-', '_')}"
    return import_module(name) if find_spec(name) is not None else None


def can_draw(command: str) -> bool:
    """Whether the problem of this command has a drawing (a render/plot_<command>.py)."""
    return find_spec(f"dgm_cli.render.plot_{command.replace('-', '_')}") is not None


def caption(command: str) -> str:
    module = _drawing_module(command)
    return getattr(module, "CAPTION", "") if module is not None else ""


def draw(command: str, data: Any, path: Path) -> None:
    """Draw a problem's figure data (what its ``figure(derivation)`` returned) to ``path``."""
    module = _drawing_module(command)
    if module is None:
        raise LookupError(f"{command} has no drawing")
    module.draw(data, path)


def require_pyplot():
    """matplotlib.pyplot with the file-only Agg backend, or a clear error naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise InputError("needs matplotlib, the optional plot extra: pip install 'dgm-cli[plot]'", "--plot") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_plot_path(path: str, option: str = "--plot") -> Path:
    """Refuse, before any work, a path whose suffix matplotlib cannot write or whose folder cannot hold it."""
    from dgm_cli.files import check_writable

    if Path(path).suffix.lower() not in {".png", ".pdf", ".svg"}:
        raise InputError(f"{path[:80]!r}: use a .png, .pdf or .svg file name", option)
    return check_writable(path, option)


def save_figure(figure, path: Path, option: str = "--plot") -> None:
    """Save atomically: a file of that name is replaced only by a complete figure."""
    import matplotlib.pyplot as plt

    from dgm_cli.files import replaced_atomically

    try:
        with replaced_atomically(path, option) as temporary:
            figure.savefig(temporary, dpi=150, bbox_inches="tight", format=Path(path).suffix.lstrip(".").lower())
    finally:
        plt.close(figure)
