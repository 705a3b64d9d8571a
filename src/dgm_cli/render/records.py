"""Flat, machine-friendly outputs of a derivation's ``result``: one JSON line, CSV, or name<TAB>value."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from dgm_cli.derivation import Derivation
from dgm_cli.render.jsonout import derivation_dict, dumps, jsonable


def quiet_value(value: Any) -> str:
    """A value for ``cut`` and ``awk``: shortest round-trip floats, inf/-inf, lists comma-joined."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(quiet_value(v) for v in value)
    return str(value).replace("\t", " ").replace("\n", " ")


def render_quiet(derivation: Derivation) -> str:
    """Only the final numbers: one ``name<TAB>value`` line each."""
    return "".join(f"{key}\t{quiet_value(value)}\n" for key, value in derivation.result.items())


def render_jsonl(derivation: Derivation) -> str:
    """The whole derivation as one line of strict JSON."""
    return dumps(derivation_dict(derivation), indent=None) + "\n"


def csv_cell(value: Any) -> str:
    """A CSV cell: lists as JSON, ±∞ as Infinity/-Infinity, an undefined value as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return dumps(jsonable(value), indent=None)
    converted = jsonable(value)
    return "true" if converted is True else "false" if converted is False else str(converted)


def render_csv(derivation: Derivation) -> str:
    """A header of the result's names and one row of its values (lists as JSON in their cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(derivation.result.keys())
    writer.writerow(csv_cell(v) for v in derivation.result.values())
    return buffer.getvalue()
