"""The assignment's problems, as the command line, the report and the tests see them: one registry.

A problem declares itself in its own solver module (a module of ``dgm_cli.solvers``), with one naming convention::

    PROBLEM = Problem(command="vpnf-bound", number=2, title="VP-NFs are not universal",
                      defaults={"k": None, "eps": Fraction(1, 10)})

    def solve(**parameters) -> Derivation: ...            # required: solve(**PROBLEM.defaults) is the problem as posed
    def figure(derivation: Derivation) -> FigureData: ...  # optional: its plot's data (dgm_cli.render.plot draws)
    def records(...): ...                                 # optional: batch mode, one record per input line

:func:`problems` finds every such module and orders the problems by their number in the assignment; a problem
defined elsewhere (a test's, a plug-in's) joins with :func:`register`. Importing the registry imports no solver:
only :func:`problems` does, because the solvers need SymPy and NumPy (``dgm --help`` must not load them).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dgm_cli.derivation import Derivation


@dataclass(frozen=True)
class Problem:
    """One problem of the assignment: its command, its place, its title and its parameters as posed."""

    command: str  # the command's name, e.g. "flow-density"
    number: int  # its number in the assignment: the order of the commands and of the report
    title: str  # the assignment's title for it, e.g. "Probability review"
    defaults: Mapping[str, Any] = field(default_factory=dict)  # solve(**defaults) is the problem as posed
    module: ModuleType | None = field(default=None, compare=False, repr=False)  # where solve/figure/records live

    @property
    def heading(self) -> str:
        return f"Problem {self.number}: {self.title}"

    def solve(self, **parameters: Any) -> Derivation:
        """The derivation for these parameters; those not given take the problem's defaults."""
        return self._function("solve")(**{**self.defaults, **parameters})

    @property
    def figure(self) -> Callable[[Derivation], Any] | None:
        """The module's ``figure(derivation)``: the data of the problem's plot, or None when it has none."""
        return getattr(self.module, "figure", None)

    @property
    def records(self) -> Callable[..., Any] | None:
        """The module's ``records(...)`` for batch mode, or None."""
        return getattr(self.module, "records", None)

    def _function(self, name: str) -> Callable[..., Any]:
        function = getattr(self.module, name, None)
        if function is None:
            raise LookupError(f"the module of {self.command} defines no {name}()")
        return function


_registered: dict[str, Problem] = {}


def register(problem: Problem, module: ModuleType) -> Problem:
    """Add a problem whose ``solve`` (and optionally ``figure``, ``records``) live in ``module``."""
    bound = Problem(problem.command, problem.number, problem.title, problem.defaults, module)
    _registered[problem.command] = bound
    return bound


def unregister(command: str) -> None:
    _registered.pop(command, None)


@functools.lru_cache(maxsize=1)
def _declared() -> tuple[Problem, ...]:
    """The problems the modules of dgm_cli.solvers declare, found once per process."""
    from dgm_cli import solvers

    found = []
    for info in pkgutil.iter_modules(solvers.__path__, prefix="dgm_cli.solvers."):
        module = importlib.import_module(info.name)
        declared = getattr(module, "PROBLEM", None)
        if isinstance(declared, Problem):
            found.append(Problem(declared.command, declared.number, declared.title, declared.defaults, module))
    return tuple(found)


def problems() -> list[Problem]:
    """Every problem: those declared by a module of dgm_cli.solvers and those registered, by number."""
    found = {problem.command: problem for problem in _declared()}
    found.update(_registered)
    return sorted(found.values(), key=lambda problem: (problem.number, problem.command))


def problem(command: str) -> Problem:
    """The problem of this command."""
    for candidate in problems():
        if candidate.command == command:
            return candidate
    raise LookupError(f"no problem has the command {command!r}")
