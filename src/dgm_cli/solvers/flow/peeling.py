"""The closed-form inverse of a triangular map: the components taken in an order in which each involves one new
variable, each solved for it by peeling one bijective layer at a time (:mod:`.bijections`), with the reasons
each layer is a bijection and the conditions for a solution to exist."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sympy

from dgm_cli.derivation import Prose
from dgm_cli.solvers.flow.bijections import NotInvertible, solve_layer
from dgm_cli.solvers.symbolic import Budget, with_frozen_constants


class NotTriangular(NotInvertible):
    """No remaining component involves exactly one variable not yet solved."""

    def __init__(self) -> None:
        super().__init__(("no component depends on exactly one unsolved variable: the map is not triangular",))


def triangular_order(components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol]) -> Iterator[tuple[int, sympy.Symbol]]:
    """(component index, its new variable), in the order in which each component involves exactly one variable not
    yet solved; lazily, so that a caller solving each layer in turn stops at the first layer that fails. Raises
    NotTriangular when no remaining component has exactly one new variable."""
    solved: set[sympy.Symbol] = set()
    remaining = list(range(len(components)))
    while remaining:
        for i in remaining:
            unknown = components[i].free_symbols & set(z) - solved
            if len(unknown) == 1:
                break
        else:
            raise NotTriangular()
        (variable,) = unknown
        yield i, variable
        solved.add(variable)
        remaining.remove(i)


@dataclass(frozen=True)
class InverseStep:
    """One solved component: ``variable = solution`` from ``target = component``, and why it is a bijection.

    Each reason is prose (a tuple of words, Math and SymPy pieces).
    """

    variable: sympy.Symbol
    target: sympy.Symbol
    component: sympy.Expr
    solution: sympy.Expr
    reasons: tuple[Prose, ...]
    image_conditions: tuple[sympy.Basic, ...]  # conditions on the target for a solution to exist
    domain_conditions: tuple[sympy.Basic, ...] = ()  # conditions on z for the component to be defined


def _tidied(solution: sympy.Expr, budget: Budget) -> sympy.Expr:
    """Expanded, common factors gathered, within the budget; as solved past it."""
    return budget.attempt(
        lambda: with_frozen_constants(lambda e: sympy.factor_terms(sympy.expand(e)), solution), lambda: solution
    )


def invert_triangular(
    components: Sequence[sympy.Expr], z: Sequence[sympy.Symbol], x: Sequence[sympy.Symbol],
    budget: Budget | None = None,
) -> list[InverseStep]:
    """Solve x = f(z) for z when some order of the components involves one new variable at a time.

    The solutions found so far are substituted in. Tidying each solution (expand, gather factors) draws on
    ``budget``; past it, the solution stays as solved. Raises NotInvertible when a layer has no rule, or the map
    is not triangular.
    """
    budget = budget or Budget(2.0)
    solved: dict[sympy.Symbol, sympy.Expr] = {}
    steps: list[InverseStep] = []
    for i, var in triangular_order(components, z):
        # Solve with the earlier variables still symbolic (they are fixed when this one is solved), then express
        # the answer in x.
        layer = solve_layer(components[i], var, x[i])
        solution = _tidied(layer.solution.subs(solved), budget)
        image = tuple(c.subs(solved) for c in layer.image)
        steps.append(InverseStep(var, x[i], components[i], solution, layer.reasons, image, layer.domain))
        solved[var] = solution
    return steps
