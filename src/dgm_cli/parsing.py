"""The project's own grammar for the text a user types.

Numbers are read as exact fractions (``1/3``, ``0.333``, ``-2``, ``1e-3``) so
that solvers can derive exact results. Nothing here calls ``eval`` or SymPy's
parser: those run Python. Every function raises :class:`InputError` naming the
option on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import TextIO

from dgm_cli.errors import InputError

MAX_TEXT_LENGTH = 10_000
MAX_DECIMAL_EXPONENT = 400  # beyond float64's range either way; keeps Fraction small
MAX_DIGITS = 400  # far beyond float64's 17 significant digits; keeps exact arithmetic cheap
MAX_LIST_VALUES = 1_000_000  # values in one list (--logits, or read from stdin): a batch, not a data set
MAX_LINE_CHARS = 1_000_000  # a longer input line is a bad line, read past without being held whole
OVERLONG = "\x00overlong\n"  # stands for such a line: no number grammar accepts a NUL

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Minus signs that arrive when a value is pasted from a PDF or a web page.
_MINUS_LOOKALIKES = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})


def _check_length(text: str, option: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(f"value is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}", option)


def _parse_decimal(text: str, option: str, whole: str) -> Fraction:
    if not _DECIMAL.fullmatch(text):
        raise InputError(f"{whole!r} is not a number (expected forms like 2, -0.5, 1e-3, 1/3)", option)
    mantissa, _, exponent = text.lower().partition("e")
    if sum(c.isdigit() for c in mantissa) > MAX_DIGITS:
        raise InputError(f"a number of more than {MAX_DIGITS} digits", option)
    if exponent and (len(exponent) > 6 or abs(int(exponent)) > MAX_DECIMAL_EXPONENT):
        raise InputError(f"{whole!r}: exponent {exponent} is outside ±{MAX_DECIMAL_EXPONENT}", option)
    return Fraction(text)


def parse_number(text: str, option: str = "value") -> Fraction:
    """Read a finite real number exactly: an integer, a decimal, or a fraction ``p/q`` of two such."""
    if not isinstance(text, str):
        raise InputError("expected text", option)
    _check_length(text, option)
    cleaned = text.strip().translate(_MINUS_LOOKALIKES)
    if not cleaned:
        raise InputError("empty value; expected a number", option)
    lowered = cleaned.lower().lstrip("+-")
    if lowered in {"nan", "inf", "infinity"}:
        raise InputError(f"{text!r} is not a finite number", option)
    numerator, slash, denominator = cleaned.partition("/")
    if not slash:
        return _parse_decimal(numerator, option, text)
    top = _parse_decimal(numerator.strip(), option, text)
    bottom = _parse_decimal(denominator.strip(), option, text)
    if bottom == 0:
        raise InputError(f"{text!r} divides by zero", option)
    return top / bottom


def parse_float(text: str, option: str = "value") -> float:
    """A number as a float64, refused when it lies beyond float64's range (1e400 is not 1.8e308)."""
    value = parse_number(text, option)
    try:
        return float(value)
    except OverflowError:
        shown = text.strip() if len(text.strip()) <= 24 else text.strip()[:20] + "…"
        raise InputError(f"{shown!r} is beyond float64's range (±1.8e308)", option) from None


def parse_vector(parts: list[str] | tuple[str, ...], option: str, length: int | None = None) -> list[Fraction]:
    """Read a vector from separate values, comma- or space-separated values, or a mix of both."""
    items: list[str] = []
    for part in parts:
        _check_length(part, option)
        if not part.strip() or re.search(r",\s*,", part):
            raise InputError("empty value; expected a number", option)
        items.extend(item for item in re.split(r"[,\s]+", part.strip()) if item)
    check_count(items, option, length)
    return [parse_number(item, option) for item in items]


def check_count(items: list, option: str, length: int | None = None) -> None:
    """A list of values: at least one, at most MAX_LIST_VALUES, and ``length`` of them when that is given."""
    if not items:
        raise InputError("no values given", option)
    if len(items) > MAX_LIST_VALUES:
        raise InputError(f"more than {MAX_LIST_VALUES:,} values", option)
    if length is not None and len(items) != length:
        raise InputError(f"expected {length} coordinates, got {len(items)}", option)


def parse_number_or_word(text: str, option: str, words: tuple[str, ...]) -> Fraction | str:
    """A number read exactly, or one of ``words`` (``--eps best``), case-insensitive."""
    if isinstance(text, str) and text.strip().lower() in words:
        return text.strip().lower()
    return parse_number(text, option)


BLOCK_CHARS = 1 << 20  # text read at a time: lines are split in C, not read one call each


def line_blocks(stream: TextIO, source: str = "--input") -> Iterator[list[str]]:
    """The stream's lines (without their ends), a block at a time; none longer than MAX_LINE_CHARS is held whole.

    A longer line is yielded as OVERLONG, before the rest of it is read (a reader that stops at that bad line,
    such as one reading /dev/zero, reads no further); the rest is then read past in blocks. A byte-order mark
    at the start is dropped; CR, LF and CRLF all end a line (the stream translates them: ``newline=None``).
    """

    def read() -> str:
        try:
            return stream.read(BLOCK_CHARS)
        except OSError as error:  # /proc/self/mem, a device that fails: the input's fault, not ours
            raise InputError(f"cannot read the input: {error.strerror or error}", source) from None
        except UnicodeDecodeError:
            raise InputError("the input is not UTF-8 text", source) from None

    pending, first, skipping = "", True, False
    while True:
        block = read()
        if first:
            block, first = block.removeprefix("\ufeff"), False
        if not block:
            if pending and not skipping:
                yield [pending if len(pending) <= MAX_LINE_CHARS else OVERLONG]
            return
        block = block.replace("\r", "\n")  # a stream that does not translate line ends (CRLF: a blank line more)
        if skipping:  # inside an overlong line: up to its end
            end = block.find("\n")
            if end < 0:
                continue
            block, skipping = block[end + 1 :], False
        lines = (pending + block).split("\n")
        pending = lines.pop()
        if lines and max(map(len, lines)) > MAX_LINE_CHARS:
            lines = [line if len(line) <= MAX_LINE_CHARS else OVERLONG for line in lines]
        if len(pending) > MAX_LINE_CHARS:
            lines.append(OVERLONG)
            pending, skipping = "", True
        if lines:
            yield lines


def bounded_lines(stream: TextIO, source: str = "--input") -> Iterator[str]:
    """The stream's lines one at a time, as :func:`line_blocks` reads them."""
    for block in line_blocks(stream, source):
        yield from block


def parse_number_lines(lines: Iterable[str], source: str, what: str = "values") -> list[Fraction]:
    """Numbers from lines of text, one or more per line (comma- or space-separated), ``#`` starting a comment.

    A bad value's error names its line: "--logits line 3: 'abc' is not a number".
    """
    values: list[Fraction] = []
    for number, line in enumerate(lines, start=1):
        where = f"{source} line {number}"
        if line == OVERLONG:
            raise InputError(f"longer than {MAX_LINE_CHARS:,} characters", where)
        for item in re.split(r"[,\s]+", line.split("#", 1)[0].strip()):
            if item:
                values.append(parse_number(item, where))
        if len(values) > MAX_LIST_VALUES:
            raise InputError(f"more than {MAX_LIST_VALUES:,} {what}; this command takes one batch at a time", source)
    if not values:
        raise InputError(f"no {what} given", source)
    return values


def short_number(value: Fraction | int | float) -> str:
    """A number for a message, to 3 significant digits: '0.333', '1e+308', '1e-400'; exact values never pass
    through a float (which would turn 1e-400 into 0 and 1e400 into inf)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    exact = Fraction(value)
    if exact == 0:
        return "0"
    sign, exact = ("-" if exact < 0 else ""), abs(exact)
    exponent = len(str(exact.numerator)) - len(str(exact.denominator))
    if Fraction(10) ** exponent > exact:
        exponent -= 1
    if -4 <= exponent <= 5:
        return sign + f"{float(exact):.3g}"
    mantissa = Fraction(round(exact / Fraction(10) ** exponent * 100), 100)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{sign}{float(mantissa):.3g}e{exponent:+d}"
