"""Input-independent symbolic results, computed once and kept on disk.

Some SymPy work does not depend on the user's input at all (the profiles and level sets of Problem 2, the
symbolic facts of Problem 4, the assignment's map of Problem 1): ``@disk_cached`` keeps its result in the
user's cache folder, so that it is computed on the first run only.

- Folder: ``$DGM_CACHE_DIR`` if set (set it empty to switch the cache off), else ``$XDG_CACHE_HOME/dgm`` or
  ``~/.cache/dgm``.
- A result is keyed by the function, its arguments, and a fingerprint of every source file of the package and
  the versions of Python, SymPy, mpmath, NumPy and SciPy: any change of code or library computes afresh, and
  nothing stale is read.
- Every failure (a folder that cannot be written, a damaged or truncated file, a result that cannot be
  pickled) falls back to computing the result; the cache can make a run faster, never wrong or failing.
- Files are written to a temporary name and renamed into place, so a reader never sees half a file.

The files are pickles, read only from the user's own cache folder, which only the user (or a process running
as the user) can write.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

Result = TypeVar("Result")

CACHE_ENV = "DGM_CACHE_DIR"


def cache_folder() -> Path | None:
    """Where results are kept, or None when the cache is switched off (``DGM_CACHE_DIR=""``)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dgm"


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """A digest of the package's source files and the versions of Python, SymPy, mpmath, NumPy and SciPy."""
    import mpmath
    import numpy
    import sympy

    # SciPy is not imported for this (it is not always loaded); its version file stands for its version.
    # (importlib.metadata would take 50 ms to find the four versions.)
    scipy_spec = importlib.util.find_spec("scipy")
    scipy_version = Path(scipy_spec.origin).with_name("version.py") if scipy_spec and scipy_spec.origin else None
    versions = f"sympy {sympy.__version__}|mpmath {mpmath.__version__}|numpy {numpy.__version__}"
    digest = hashlib.sha256(f"{sys.version_info[:3]}|{versions}".encode())
    if scipy_version is not None and scipy_version.is_file():
        digest.update(scipy_version.read_bytes())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _file_for(name: str, args: tuple) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    key = hashlib.sha256(repr((name, args)).encode()).hexdigest()[:20]
    return folder / fingerprint() / f"{name}-{key}.pickle"


def _load(path: Path) -> tuple[bool, Any]:
    try:
        with open(path, "rb") as handle:
            return True, pickle.load(handle)
    except Exception:  # missing, unreadable, truncated, or from another library version: compute afresh
        return False, None


def _store(path: Path, value: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    except Exception:  # a read-only or full disk, an unpicklable value: the result is still returned
        pass


def disk_cached(function: Callable[..., Result]) -> Callable[..., Result]:
    """Keep ``function``'s result per argument tuple in memory and on disk (see the module's docstring).

    For functions of no input, or of a few hashable values whose ``repr`` names them exactly, whose result is a
    picklable value (SymPy expressions, numbers, tuples, dataclasses of them).
    """
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.lru_cache(maxsize=16)
    def cached(*args, **kwargs):
        path = _file_for(name, (args, sorted(kwargs.items())))
        if path is not None:
            found, value = _load(path)
            if found:
                return value
        value = function(*args, **kwargs)
        if path is not None:
            _store(path, value)
        return value

    functools.update_wrapper(cached, function)
    return cached
