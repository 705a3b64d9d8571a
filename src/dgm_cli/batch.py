"""Batch mode: many points in (a file or stdin), one record per point out, in bounded memory.

Points are read in chunks of ``CHUNK_LINES`` lines, evaluated by a vectorised
function, and written before the next chunk is read, so memory depends on the
chunk size, not on the input. A bad line stops the run with its line number
(after every earlier row has been written), or is skipped with ``skip_bad``.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from dgm_cli.errors import InputError
from dgm_cli.parsing import MAX_LINE_CHARS, OVERLONG, parse_float

CHUNK_LINES = 65_536
BATCH_FORMATS = ("jsonl", "json", "csv", "plain")

Evaluate = Callable[[np.ndarray], dict[str, np.ndarray]]


@dataclass
class BatchSummary:
    rows: int = 0
    skipped: list[str] = field(default_factory=list)  # one message per skipped line


def _parse_line(line: str, width: int) -> list[float] | None | str:
    """The values on one line; None for a blank or comment line; an error message for a bad one."""
    if line is OVERLONG:
        return f"longer than {MAX_LINE_CHARS:,} characters"
    content = line.split("#", 1)[0].replace(",", " ").split()
    if not content:
        return None
    values = []
    for token in content:  # a token that is not a number is named as such, before the count is compared
        try:
            values.append(parse_float(token))
        except InputError as error:
            return error.message
    if len(values) != width:
        return f"expected {width} value{'s' if width != 1 else ''}, got {len(values)}"
    return values


def _parse_chunk_slowly(lines: list[str], first_line: int, width: int, skip_bad: bool, summary: BatchSummary):
    """Line by line: yields the good rows before a bad line, then raises (or skips it)."""
    good: list[list[float]] = []
    for offset, line in enumerate(lines):
        parsed = _parse_line(line, width)
        if parsed is None:
            continue
        if isinstance(parsed, str):
            message = f"line {first_line + offset}: {parsed}"
            if not skip_bad:
                if good:
                    yield np.array(good, dtype=np.float64).reshape(-1, width)
                raise InputError(message, "--input")
            summary.skipped.append(message)
            continue
        good.append(parsed)
    if good:
        yield np.array(good, dtype=np.float64).reshape(-1, width)


def _chunks(blocks: Iterable[list[str]]) -> Iterator[list[str]]:
    """Blocks of lines regrouped into chunks of about CHUNK_LINES; a chunk ends at an overlong line, so that a run
    stopping there reads no further."""
    chunk: list[str] = []
    for block in blocks:
        if OVERLONG in block:
            cut = block.index(OVERLONG) + 1
            chunk.extend(block[:cut])
            yield chunk
            chunk = block[cut:]
        else:
            chunk.extend(block)
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parse_plain_chunk(text: str, width: int) -> np.ndarray:
    """A chunk of plain numbers, ``width`` a line: polars' parser (compiled, and several times faster than
    NumPy's) where the values are separated by single spaces, NumPy's C reader for any other spacing."""
    import polars as pl

    try:
        frame = pl.read_csv(io.StringIO(text), separator=" ", has_header=False, comment_prefix="#",
                            schema={f"c{i}": pl.Float64 for i in range(width)}, truncate_ragged_lines=False)
        if frame.width == width and frame.null_count().sum_horizontal().item() == 0:
            return frame.to_numpy()
    except (pl.exceptions.PolarsError, ValueError):
        pass  # another spacing, or a line of another width: NumPy reads it, or names the bad line
    return np.loadtxt(io.StringIO(text), dtype=np.float64, comments="#", ndmin=2)


def read_points(blocks: Iterable[list[str]], width: int, skip_bad: bool, summary: BatchSummary) -> Iterator[np.ndarray]:
    """Chunks of points, each an array of shape (m, width), from blocks of lines (:func:`parsing.line_blocks`).

    The fast path hands a whole chunk to NumPy's C parser; any chunk it refuses,
    or one holding a non-finite value, is re-read line by line with our own
    number grammar to name the bad line.
    """
    first_line = 1
    for chunk in _chunks(blocks):
        try:
            text = "\n".join(chunk).replace(",", " ")
            if "/" in text or "_" in text or OVERLONG in chunk:
                raise ValueError("fractions, digit separators and overlong lines need our own grammar")
            points = _parse_plain_chunk(text, width)
            if points.size and (points.shape[1] != width or not np.isfinite(points).all()):
                raise ValueError("wrong width or a non-finite value")
            if points.size:
                yield points
        except ValueError:
            yield from _parse_chunk_slowly(chunk, first_line, width, skip_bad, summary)
        first_line += len(chunk)


# --------------------------------------------------------------------------- writers


def _number(value: float, infinity: str) -> str:
    """CSV and plain: inf and -inf as repr writes them; an undefined value (NaN) as an empty cell."""
    if value != value:
        return ""
    if math.isinf(value):
        return infinity if value > 0 else "-" + infinity
    return repr(float(value))


def _json_number(value: float) -> str:
    """JSON: ±∞ as the strings "Infinity"/"-Infinity"; an undefined value (NaN) as null, never a bare NaN."""
    if value != value:
        return "null"
    return '"Infinity"' if value == math.inf else '"-Infinity"' if value == -math.inf else repr(float(value))


def _columns(record: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """Flatten vector fields into numbered columns: x → x1, x2, x3."""
    columns = []
    for name, values in record.items():
        if values.ndim == 2:
            columns += [(f"{name}{j + 1}", values[:, j]) for j in range(values.shape[1])]
        else:
            columns.append((name, values))
    return columns


def _json_template(record: dict[str, np.ndarray], cell: str) -> str:
    """One row's JSON object with a ``cell`` placeholder per number: {"x": [%r, %r], "y": %r}."""
    fields = []
    for name, values in record.items():
        body = "[" + ", ".join([cell] * values.shape[1]) + "]" if values.ndim == 2 else cell
        fields.append(f'"{name}": {body}')
    return "{" + ", ".join(fields) + "}\n"


def _format_rows(record: dict[str, np.ndarray], fmt: str) -> str:
    """Every row of the record as text. Turning floats into text is the cost of a batch: a chunk of finite
    values goes through polars' compiled writer; one holding ±∞ or an undefined value, row by row here."""
    columns = _columns(record)
    if not columns:
        return ""
    if all(values.dtype == np.bool_ or np.isfinite(values).all() for _, values in columns):
        return _format_finite_rows(record, columns, fmt)
    return _format_rows_one_by_one(record, columns, fmt)


def _format_finite_rows(record: dict[str, np.ndarray], columns: list[tuple[str, np.ndarray]], fmt: str) -> str:
    """Finite values by polars: the shortest decimal that reads back to the same float64 (0.00001 for 1e-05),
    vector fields as JSON arrays in JSON, numbered columns (x1, x2, …) in CSV and plain text."""
    import polars as pl

    def column(values: np.ndarray) -> np.ndarray:
        return values if values.dtype == np.bool_ else values.astype(np.float64) + 0.0  # -0.0 becomes 0.0

    if fmt in ("jsonl", "json"):
        return pl.DataFrame({name: column(values) for name, values in record.items()}).write_ndjson()
    frame = pl.DataFrame({name: column(values) for name, values in columns})
    return frame.write_csv(include_header=False, separator="," if fmt == "csv" else "\t", line_terminator="\n")


def _format_rows_one_by_one(record: dict[str, np.ndarray], columns: list[tuple[str, np.ndarray]], fmt: str) -> str:
    """Rows with ±∞ or undefined values: each cell spelled by the format's rule ("Infinity" and null in JSON,
    inf and an empty cell in CSV and plain text), yes/no fields as true/false."""
    json_like = fmt in ("jsonl", "json")
    if json_like:
        template = _json_template(record, "%s")
    else:
        template = ("," if fmt == "csv" else "\t").join(["%s"] * len(columns)) + "\n"
    booleans = [values.dtype == np.bool_ for _, values in columns]
    table = np.column_stack([values for _, values in columns]).astype(np.float64) + 0.0  # -0.0 becomes 0.0
    number = _json_number if json_like else (lambda v: _number(v, "inf"))
    truth = ("false", "true")
    spellers = [(lambda v: truth[int(v)]) if is_bool else number for is_bool in booleans]
    return "".join([template % tuple(spell(v) for spell, v in zip(spellers, row)) for row in table.tolist()])


class BatchWriter:
    """Writes records chunk by chunk in one of BATCH_FORMATS; ``close`` finishes a JSON array."""

    def __init__(self, out: TextIO, fmt: str) -> None:
        if fmt not in BATCH_FORMATS:
            raise InputError(f"batch output supports {', '.join(BATCH_FORMATS)}; got {fmt}", "--format")
        self.out, self.fmt, self.started = out, fmt, False

    def write(self, record: dict[str, np.ndarray]) -> None:
        text = _format_rows(record, self.fmt)
        if not text:
            return
        if self.fmt == "json":
            text = ("[\n" if not self.started else ",\n") + text.rstrip("\n").replace("\n", ",\n")
        elif self.fmt in ("csv", "plain") and not self.started:
            delimiter = "," if self.fmt == "csv" else "\t"
            text = delimiter.join(name for name, _ in _columns(record)) + "\n" + text
        self.out.write(text)
        self.started = True
        self.out.flush()

    def close(self, complete: bool = True) -> None:
        """Finish the output; a JSON array is closed only when every row was written (``complete``), so that a
        run cut short (a bad line, Ctrl-C) never leaves a file that parses as if it were whole."""
        if self.fmt == "json" and complete:
            self.out.write("\n]\n" if self.started else "[]\n")
        self.out.flush()


def _progress():
    """A row counter on stderr when a person is watching it, else nothing."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.completed:,} points"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def run_batch(
    blocks: Iterable[list[str]], width: int, evaluate: Evaluate, out: TextIO, fmt: str, skip_bad: bool
) -> BatchSummary:
    """Read points, evaluate each chunk, write its records; rows written before an error stay written."""
    summary = BatchSummary()
    writer = BatchWriter(out, fmt)
    progress = _progress()
    task = progress.add_task("batch", total=None) if progress else None
    complete = False
    try:
        if progress:
            progress.start()
        for points in read_points(blocks, width, skip_bad, summary):
            writer.write(evaluate(points))
            summary.rows += len(points)
            if progress:
                progress.update(task, completed=summary.rows)
        complete = True
    finally:
        if progress:
            progress.stop()
        writer.close(complete)
    return summary
