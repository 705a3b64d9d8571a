"""The project's one exception family: a user-facing message and the exit code it maps to.

Exit codes: 2 for bad input (the user can fix the command line), 1 for a
mathematical check that did not pass.
"""

from __future__ import annotations


class DgmError(Exception):
    """An error with a message fit for the user and the exit code the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, option: str | None = None) -> None:
        self.message = message
        self.option = option
        super().__init__(self.user_message())

    def user_message(self) -> str:
        prefix = f"{self.option}: " if self.option else ""
        return f"{prefix}{self.message}"


class InputError(DgmError):
    """Bad input: a malformed or out-of-range value (exit code 2)."""

    exit_code = 2


class CheckFailed(DgmError):
    """A verification of a computed result did not pass (exit code 1)."""

    exit_code = 1
