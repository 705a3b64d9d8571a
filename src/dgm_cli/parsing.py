"""The project's own grammar for the text a user types: numbers, lists, lines of numbers, the problems' values.

Numbers are read as exact fractions (``1/3``, ``0.333``, ``-2``, ``1e-3``) so
that solvers can derive exact results. The one number grammar (:data:`NUMBER`,
:data:`UNSIGNED_DECIMAL`, :data:`WHOLE_NUMBER`) and the one list of minus
look-alikes (:data:`MINUS_LOOKALIKES`) live here; the expression and
distribution grammars (:mod:`dgm_cli.expressions`, :mod:`dgm_cli.distributions`)
embed them. Nothing here calls ``eval`` or SymPy's parser: those run Python.
Every function raises :class:`InputError` naming the option on bad input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from typing import Literal, TextIO

from dgm_cli.errors import InputError

MAX_TEXT_LENGTH = 10_000
MAX_DECIMAL_EXPONENT = 400  # beyond float64's range either way; keeps Fraction small
MAX_DIGITS = 400  # far beyond float64's 17 significant digits; keeps exact arithmetic cheap
MAX_LIST_VALUES = 1_000_000  # values in one list (--logits, or read from stdin): a batch, not a data set
MAX_LINE_CHARS = 1_000_000  # a longer input line is a bad line, read past without being held whole
OVERLONG = "\x00overlong\n"  # stands for such a line: no number grammar accepts a NUL

# The one grammar of numbers, as regular expressions other grammars embed (the expression and distribution
# tokenizers). ASCII digits only: int() and float() would also take "１２" and "1_0".
UNSIGNED_DECIMAL = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # 2, 0.5, .5, 1e-3: no sign
DECIMAL = rf"[+-]?{UNSIGNED_DECIMAL}"
#: What :func:`parse_number` reads (after the minus look-alikes are replaced): a decimal, or ``p/q`` of two.
NUMBER = re.compile(rf"{DECIMAL}(?:\s*/\s*{DECIMAL})?")
#: A whole number (an option such as --samples): optional sign, ASCII digits.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
#: What separates the values of a list: commas, whitespace, or both.
LIST_SEPARATOR = re.compile(r"[,\s]+")
#: Minus signs that arrive when a value is pasted from a PDF or a web page, for ``str.translate``.
MINUS_LOOKALIKES = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})


def _check_length(text: str, option: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(f"value is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}", option)


def _decimal(text: str, option: str, whole: str) -> Fraction:
    """A decimal that matched the grammar, within the digit and exponent limits."""
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
    cleaned = text.strip().translate(MINUS_LOOKALIKES)
    if not cleaned:
        raise InputError("empty value; expected a number", option)
    if cleaned.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise InputError(f"{text!r} is not a finite number", option)
    if not NUMBER.fullmatch(cleaned):
        raise InputError(f"{text!r} is not a number (expected forms like 2, -0.5, 1e-3, 1/3)", option)
    numerator, slash, denominator = cleaned.partition("/")
    top = _decimal(numerator.strip(), option, text)
    if not slash:
        return top
    bottom = _decimal(denominator.strip(), option, text)
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


def list_items(text: str, option: str) -> list[str]:
    """The values of one list text, comma- or space-separated: "0,1, 1/3" or "0 1 1/3"; an empty value is refused."""
    _check_length(text, option)
    if not text.strip() or re.search(r",\s*,", text):
        raise InputError("empty value; expected a number", option)
    return [item for item in LIST_SEPARATOR.split(text.strip()) if item]


def parse_vector(parts: list[str] | tuple[str, ...], option: str, length: int | None = None) -> list[Fraction]:
    """Read a vector from separate values, comma- or space-separated values, or a mix of both."""
    items = [item for part in parts for item in list_items(part, option)]
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


def parse_number_lines(
    lines: Iterable[str],
    source: str,
    what: str = "values",
    *,
    check: Callable[[Fraction, str], Fraction] | None = None,
    hint: str = "",
) -> list[Fraction]:
    """Numbers from lines of text, one or more per line (comma- or space-separated), ``#`` starting a comment.

    A bad value's error names its line: "--logits line 3: 'abc' is not a number". ``check`` (value, where) may
    refuse a value that is a number but not an allowed one; ``hint`` follows "no values given".
    """
    values: list[Fraction] = []
    for number, line in enumerate(lines, start=1):
        where = f"{source} line {number}"
        if line == OVERLONG:
            raise InputError(f"longer than {MAX_LINE_CHARS:,} characters", where)
        for item in LIST_SEPARATOR.split(line.split("#", 1)[0].strip()):
            if item:
                value = parse_number(item, where)
                values.append(value if check is None else check(value, where))
        if len(values) > MAX_LIST_VALUES:
            raise InputError(f"more than {MAX_LIST_VALUES:,} {what}; this command takes one batch at a time", source)
    if not values:
        raise InputError(f"no {what} given{hint}", source)
    return values


# --------------------------------------------------------------------------- the problems' own values

MAX_ABS_LOGIT = 1e300  # so that sums over MAX_LIST_VALUES logits of size |h| stay finite in float64


def check_logit(value: Fraction, where: str) -> Fraction:
    """A logit h within ±1e300, compared as a float (a Fraction-to-float comparison costs 20 µs)."""
    try:
        as_float = float(value)
    except OverflowError:
        as_float = math.inf if value > 0 else -math.inf
    if abs(as_float) > MAX_ABS_LOGIT:
        shown = f"{as_float:.3g}" if math.isfinite(as_float) else ("-" if value < 0 else "") + "1.8e308 or beyond"
        raise InputError(f"the logit {shown} is outside ±1e300 (batch means must stay finite in float64)", where)
    return value


def parse_logits(values: Sequence[str], option: str = "--logits") -> list[Fraction]:
    """Problem 4's logits h from repeated values, each comma- or space-separated, read exactly (at most
    MAX_LIST_VALUES of them; their range is the solver's to check, with the rest of its parameters)."""
    return parse_vector(list(values), option)


def parse_logit_lines(lines: Iterable[str], source: str = "stdin") -> list[Fraction]:
    """Problem 4's logits from lines of text: one or more per line (comma- or space-separated), ``#`` starts a
    comment, each within ±1e300. A bad value's error names its line: "stdin line 3: 'abc' is not a number"."""
    try:
        return parse_number_lines(
            lines, source, "logits", check=check_logit,
            hint=" (pass --logits H,H,... or numbers on stdin, one or more per line)",
        )
    except UnicodeDecodeError:
        raise InputError("is not text (expected numbers, one or more per line)", source) from None


def parse_eps(text: str, option: str = "--eps") -> Fraction | Literal["best"]:
    """Problem 2's ε: the word 'best' (any case), or a number read exactly."""
    if isinstance(text, str) and text.strip().lower() == "best":
        return "best"
    return parse_number(text, option)


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
