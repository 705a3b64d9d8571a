"""Shared plumbing for ``--plot FILE.png``: matplotlib is an optional extra (``pip install 'dgm-cli[plot]'``).

Each command's figure lives in its own ``render/plot_<command>.py``; the data it
draws comes from the solver, never from the plotting code.
"""

from __future__ import annotations

from pathlib import Path

from dgm_cli.errors import InputError


def require_pyplot():
    """matplotlib.pyplot with the file-only Agg backend, or a clear error naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise InputError("needs matplotlib, the optional plot extra: pip install 'dgm-cli[plot]'", "--plot") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_plot_path(path: str) -> Path:
    """Refuse a path whose folder does not exist or whose suffix matplotlib cannot write, before any work."""
    target = Path(path)
    if not target.parent.exists():
        raise InputError(f"folder {str(target.parent)!r} does not exist", "--plot")
    if target.suffix.lower() not in {".png", ".pdf", ".svg"}:
        raise InputError(f"{path!r}: use a .png, .pdf or .svg file name", "--plot")
    return target


def save_figure(figure, path: Path) -> None:
    figure.savefig(path, dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
