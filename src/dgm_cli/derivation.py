"""The one data type that flows from solvers to renderers.

A solver returns a :class:`Derivation`; a renderer turns it into text. Nothing
here imports SymPy: ``expr`` holds a SymPy object when a step has a formula,
and only the renderers look inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """An independent verification: our ``computed`` value against a ``reference`` found another way.

    ``error`` is the discrepancy measured as ``detail`` says (absolute or
    relative, a maximum over entries, or a z-score); it passes when
    ``error <= tolerance``.
    """

    name: str
    method: str
    computed: Any
    reference: Any
    error: float
    tolerance: float
    detail: str = ""

    def __post_init__(self) -> None:
        if self.error != self.error:  # NaN: the comparison itself broke down, which is a failure
            object.__setattr__(self, "error", float("inf"))

    @property
    def passed(self) -> bool:
        return bool(self.error <= self.tolerance)


@dataclass(frozen=True)
class Step:
    """One step of a derivation: a title, a sentence, optionally a formula and a number."""

    title: str
    text: str = ""
    expr: Any = None  # a SymPy expression, equation or matrix
    value: Any = None  # a float, a string, or a list of them
    check: Check | None = None  # set when the step is a verification


@dataclass(frozen=True)
class Derivation:
    """A solved problem: the parsed inputs, ordered steps, flat named results and the checks run."""

    command: str
    title: str
    inputs: dict[str, Any]
    steps: list[Step]
    result: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def checks(self) -> list[Check]:
        return [s.check for s in self.steps if s.check is not None]

    @property
    def all_checks_passed(self) -> bool:
        return all(c.passed for c in self.checks)
