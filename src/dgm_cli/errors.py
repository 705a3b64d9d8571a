"""The project's one exception family, and the exit codes it maps to (one IntEnum, as httpie's ExitStatus).

Exit codes: 0 success, 1 a verification did not pass, 2 bad input, 70 an internal error (a bug of ours,
sysexits' EX_SOFTWARE), 74 output could not be written (a full disk, a closed stdout: EX_IOERR), 130 interrupted
(Ctrl-C, as a shell reports SIGINT). A reader that closes the pipe early (``dgm … | head``) is not an error: 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    INTERNAL_ERROR = 70
    OUTPUT_ERROR = 74
    INTERRUPTED = 130


_MENTION = re.compile(r"⟨([a-z][a-z0-9_]*)⟩")


def mention(parameter: str) -> str:
    """A parameter named inside an error message: spelled by whoever shows the message (``--grad-bound`` on the
    command line, ``grad_bound`` in Python). Solvers name parameters, never options."""
    return f"⟨{parameter}⟩"


def _as_is(parameter: str) -> str:
    return parameter


class DgmError(Exception):
    """An error with a message fit for the user and the exit code the CLI returns.

    ``option`` is what the input was given as: a solver passes its parameter's name ("box"), the parsing layer
    the name its caller gave (an option such as "--box" on the command line); messages name other parameters
    with :func:`mention`.
    """

    exit_code = ExitStatus.CHECK_FAILED

    def __init__(self, message: str, option: str | None = None) -> None:
        self.message = message
        self.option = option
        super().__init__(self.user_message())

    def user_message(self, spell: Callable[[str], str] = _as_is) -> str:
        """The message, parameters spelled by ``spell`` (a parameter's name to the caller's name for it)."""
        prefix = f"{spell(self.option)}: " if self.option else ""
        return prefix + _MENTION.sub(lambda match: spell(match.group(1)), self.message)


class InputError(DgmError):
    """Bad input: a malformed or out-of-range value (exit code 2)."""

    exit_code = ExitStatus.BAD_INPUT


class CheckFailed(DgmError):
    """A verification of a computed result did not pass (exit code 1)."""

    exit_code = ExitStatus.CHECK_FAILED


class OutputError(DgmError):
    """Output could not be written: stdout or a file (exit code 74); a file being replaced is left as it was."""

    exit_code = ExitStatus.OUTPUT_ERROR
