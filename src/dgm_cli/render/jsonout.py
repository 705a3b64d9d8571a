"""Strict JSON: no bare NaN or Infinity tokens.

±∞ is written as the strings "Infinity" and "-Infinity" (what JavaScript's
Number() and Python's float() read back); an undefined value is ``null``.
Prose is kept as structure (``prose``: text and math pieces) beside its
one-line Unicode spelling (``text``).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

from dgm_cli.derivation import Approx, Check, Derivation, Math, Notice, Prose, Step, Table, as_prose, plain_text
from dgm_cli.render.common import formula_latex, formula_text, is_sympy, sympy_number
from dgm_cli.render.walk import Renderer


def jsonable(value: Any) -> Any:
    """A value as plain JSON types: ±∞ as strings, NaN as null, exact SymPy numbers as numbers or strings."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Approx):
        return jsonable(float(value.value))
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, Math):
        return value.text
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return jsonable(value.tolist())
    if is_sympy(value):
        number = sympy_number(value)
        if isinstance(number, int):
            return number
        if number is not None:
            return jsonable(float(number))
        return formula_text(value)
    return str(value)


def prose_json(value: Prose) -> list[dict[str, Any]]:
    """Prose as structure: ``{"text": …}`` and ``{"math": …, "latex": …}`` pieces."""
    out: list[dict[str, Any]] = []
    for piece in as_prose(value):
        if isinstance(piece, str):
            out.append({"text": piece})
        elif isinstance(piece, Math):
            out.append({"math": piece.text, "latex": piece.latex})
        elif is_sympy(piece) and sympy_number(piece) is None:
            out.append({"math": plain_text(piece), "latex": formula_latex(piece)})
        else:
            out.append({"number": jsonable(piece)})
    return out


def check_dict(check: Check) -> dict[str, Any]:
    return {
        "name": plain_text(check.name),
        "method": plain_text(check.method),
        "computed": jsonable(check.computed),
        "reference": jsonable(check.reference),
        "error": jsonable(check.error),
        "tolerance": jsonable(check.tolerance),
        "passed": check.passed,
        "applicable": check.applicable,
        "detail": plain_text(check.detail),
    }


def _cell(cell: Any) -> Any:
    return plain_text(cell) if isinstance(cell, (str, Math, tuple)) else jsonable(cell)


def table_dict(table: Table) -> dict[str, Any]:
    return {
        "headers": [plain_text(h) for h in table.headers],
        "headers_latex": [[p.get("latex", p.get("text")) for p in prose_json(h)] for h in table.headers],
        "rows": [[_cell(c) for c in row] for row in table.rows],
        "note": plain_text(table.note),
    }


def step_dict(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": plain_text(step.title), "text": plain_text(step.text), "prose": prose_json(step.text)
    }
    if step.part is not None:
        out["part"] = step.part
    if step.expr is not None:
        out["expr"] = formula_text(step.expr)
        out["latex"] = formula_latex(step.expr)
    if step.table is not None:
        out["table"] = table_dict(step.table)
    if step.value is not None:
        out["value"] = jsonable(step.value)
        if is_sympy(step.value) and sympy_number(step.value) is None:
            out["value_latex"] = formula_latex(step.value)
    return out


def notice_dict(notice: Notice) -> dict[str, Any]:
    return {"message": plain_text(notice.message), "key": notice.key}


class JsonRenderer(Renderer):
    """Builds the JSON object through the same walk as every text format."""

    def __init__(self, indent: int | None = 2) -> None:
        super().__init__()
        self.indent = indent
        self.data: dict[str, Any] = {}

    def begin(self, derivation: Derivation) -> None:
        self.data = {"command": derivation.command, "title": "", "inputs": jsonable(derivation.inputs), "steps": [],
                     "checks": [], "result": {}, "warnings": []}
        if derivation.question:
            self.data["question"] = plain_text(derivation.question)
        if derivation.answer:
            self.data["answer"] = plain_text(derivation.answer)

    def title(self, title: Prose) -> None:
        self.data["title"] = plain_text(title)

    def notice(self, notice: Notice) -> None:
        self.data["warnings"].append(notice_dict(notice))

    def step(self, number: int, step: Step, level: int) -> None:
        self.data["steps"].append(step_dict(step))

    def checks(self, checks, level: int, title: Prose = ("Checks",)) -> None:
        self.data["checks"] = [check_dict(c) for c in checks]

    def result(self, result: dict[str, Any], level: int) -> None:
        self.data["result"] = jsonable(result)

    def finish(self) -> str:
        return dumps(self.data, self.indent) + "\n"


def derivation_dict(derivation: Derivation) -> dict[str, Any]:
    from dgm_cli.render.walk import walk

    renderer = JsonRenderer()
    renderer.begin(derivation)
    walk(derivation, renderer)
    return renderer.data


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)


def render_json(derivation: Derivation, indent: int | None = 2) -> str:
    return dumps(derivation_dict(derivation), indent) + "\n"
