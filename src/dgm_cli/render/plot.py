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
