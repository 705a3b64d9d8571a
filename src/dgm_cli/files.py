"""Files the tool writes (``--output``, ``--plot``, ``--figures``): checked before any work, replaced atomically.

Each file is written to a temporary file in the same folder and renamed into
place only when complete (``os.replace`` is atomic on one file system). On any
failure (a full disk, a file-size limit, an interrupt) the temporary file is
removed and a file of that name that existed before is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from dgm_cli.errors import InputError, OutputError


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def check_writable(path: str, option: str) -> Path:
    """Refuse, before any work, a path whose folder is missing or cannot hold a new file of that name."""
    target = Path(path)
    folder = target.parent
    try:
        if not folder.is_dir():
            raise InputError(f"folder {_short(str(folder))!r} does not exist", option)
        if len(target.name.encode()) > _name_max(folder):
            raise InputError(f"cannot write {_short(path)!r}: file name too long", option)
        if target.is_dir():
            raise InputError(f"{_short(path)!r} is a folder", option)
        # the one reliable test of the folder: create (and remove) a file in it
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".dgm-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise InputError(f"cannot write {_short(path)!r}: {_reason(error)}", option) from None
    return target


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _short(path: str) -> str:
    return path if len(path) <= 80 else path[:40] + "…" + path[-30:]


@contextlib.contextmanager
def replaced_atomically(path: Path | str, option: str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends without error."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem[:100]}-", suffix=target.suffix)
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        if target.exists():  # keep the permissions of the file being replaced
            with contextlib.suppress(OSError):
                os.chmod(temporary_path, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary_path, 0o666 & ~umask)
        os.replace(temporary_path, target)
    except OSError as error:
        message = f"cannot write {_short(str(target))!r}: {_reason(error)}; nothing was changed"
        raise OutputError(message, option) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_path)


def write_text(path: Path | str, text: str, option: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with replaced_atomically(path, option) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
