"""Strict JSON: no bare NaN or Infinity tokens.

±∞ is written as the strings "Infinity" and "-Infinity" (what JavaScript's
Number() and Python's float() read back); a NaN never reaches this module
(the solvers refuse to produce one), and if it did, ``allow_nan=False`` raises.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

from dgm_cli.derivation import Check, Derivation, Step
from dgm_cli.render.common import formula_latex, formula_text


def jsonable(value: Any) -> Any:
    """Convert a result value to plain JSON types, spelling ±∞ as strings."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None  # never a bare NaN token; solvers avoid producing one in the first place
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return jsonable(value.tolist())
    return str(value)


def check_dict(check: Check) -> dict[str, Any]:
    return {
        "name": check.name,
        "method": check.method,
        "computed": jsonable(check.computed),
        "reference": jsonable(check.reference),
        "error": jsonable(check.error),
        "tolerance": check.tolerance,
        "passed": check.passed,
        "detail": check.detail,
    }


def step_dict(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"title": step.title, "text": step.text}
    if step.expr is not None:
        out["expr"] = formula_text(step.expr)
        out["latex"] = formula_latex(step.expr)
    if step.value is not None:
        out["value"] = jsonable(step.value)
    if step.check is not None:
        out["check"] = check_dict(step.check)
    return out


def derivation_dict(derivation: Derivation) -> dict[str, Any]:
    return {
        "command": derivation.command,
        "title": derivation.title,
        "inputs": jsonable(derivation.inputs),
        "steps": [step_dict(s) for s in derivation.steps],
        "result": jsonable(derivation.result),
        "warnings": list(derivation.warnings),
    }


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)


def render_json(derivation: Derivation) -> str:
    return dumps(derivation_dict(derivation)) + "\n"
