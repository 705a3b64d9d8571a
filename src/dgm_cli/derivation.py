"""The one data type that flows from solvers to renderers: structure, never formatting.

A solver returns a :class:`Derivation`; a renderer turns it into text. Nothing
here imports SymPy: a formula is held as a SymPy object and only the renderers
look inside it.

Prose is a sequence of pieces: plain ``str`` (words, never Unicode
mathematics), :class:`Math` (inline mathematics with its LaTeX and its Unicode
spelling), or a SymPy expression (printed by each renderer's own printer). A
``"\\n"`` inside a ``str`` piece starts a new paragraph. Numbers stay numbers
(floats, :class:`Approx`, exact SymPy values) until a renderer formats them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Math:
    """Inline mathematics that SymPy does not print well: a set, an interval, ⟺, ‖·‖∞, p_θ.

    ``latex`` is math-mode LaTeX (no ``$``); ``text`` is the one-line Unicode spelling for a terminal.
    HTML gets MathML converted from ``latex``; ASCII-only output transliterates ``text``.
    """

    latex: str
    text: str


def m(latex: str, text: str) -> Math:
    """Shorthand for an inline formula: ``m(r"p_\\theta", "p_θ")``."""
    return Math(latex, text)


Piece = str | Math | Any  # Any: a SymPy expression
Prose = tuple[Piece, ...]


def prose(*pieces: Piece) -> Prose:
    """A prose value from pieces; nested tuples (other prose) are spliced in."""
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            out.extend(prose(*piece))
        elif piece is not None and piece != "":
            out.append(piece)
    return tuple(out)


def as_prose(value: Piece | Prose | None) -> Prose:
    """Prose from a str, a piece or a sequence of pieces (titles and names may be given as a plain str)."""
    if value is None:
        return ()
    if isinstance(value, (tuple, list)):
        return prose(*value)
    return prose(value)


@dataclass(frozen=True)
class Approx:
    """A float known only to ``digits`` significant digits: renderers print no more than that."""

    value: float
    digits: int

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Table:
    """A table as data: column headers (prose), rows of values (numbers, exact SymPy values, prose labels)."""

    headers: tuple[Prose, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: Prose = ()  # a line under the table ("… 980 more rows; the result holds all 1,000")

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple(as_prose(h) for h in self.headers))
        object.__setattr__(self, "rows", tuple(tuple(r) for r in self.rows))
        object.__setattr__(self, "note", as_prose(self.note))
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"a table row has {len(row)} cells for {len(self.headers)} headers")


@dataclass(frozen=True)
class Check:
    """An independent verification: our ``computed`` value against a ``reference`` found another way.

    ``error`` is the discrepancy measured as ``detail`` says (absolute or
    relative, a maximum over entries, or a z-score); it passes when
    ``error <= tolerance``. ``applicable`` False means the method cannot
    resolve this case; ``detail`` says why, and the check does not fail.
    """

    name: Prose
    method: Prose
    computed: Any
    reference: Any
    error: float
    tolerance: float
    detail: Prose = ()
    applicable: bool = True

    def __post_init__(self) -> None:
        for name in ("name", "method", "detail"):
            object.__setattr__(self, name, as_prose(getattr(self, name)))
        if self.error != self.error:  # NaN: the comparison itself broke down, which is a failure
            object.__setattr__(self, "error", float("inf"))

    @property
    def passed(self) -> bool:
        return (not self.applicable) or bool(self.error <= self.tolerance)


@dataclass(frozen=True)
class Notice:
    """A short warning: a message and, where it applies, the result key it concerns."""

    message: Prose
    key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", as_prose(self.message))


@dataclass(frozen=True)
class Step:
    """One step of a derivation: a title, prose, optionally a display formula, a table and a value.

    ``part`` names the assignment's part the step answers ("a" … "d" for Problem 2), so a write-up can
    group the steps under the assignment's headings.
    """

    title: Prose
    text: Prose = ()
    expr: Any = None  # a SymPy expression, equation or matrix, displayed on its own line
    value: Any = None  # a number, an Approx, an exact SymPy value, or a list of them
    table: Table | None = None
    part: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", as_prose(self.title))
        object.__setattr__(self, "text", as_prose(self.text))


@dataclass(frozen=True)
class Derivation:
    """A solved problem: the parsed inputs, ordered steps, the checks run, flat named results.

    ``question`` is the problem as the assignment states it and ``answer`` its answer in one sentence;
    a write-up opens and closes the problem with them. ``parts`` titles the assignment's parts that the
    steps' ``part`` refers to, in the assignment's order.
    """

    command: str
    title: Prose
    inputs: dict[str, Any]
    steps: list[Step]
    result: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    question: Prose = ()
    answer: Prose = ()
    parts: tuple[tuple[str, Prose], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", as_prose(self.title))
        object.__setattr__(self, "warnings", [w if isinstance(w, Notice) else Notice(w) for w in self.warnings])
        object.__setattr__(self, "question", as_prose(self.question))
        object.__setattr__(self, "answer", as_prose(self.answer))
        object.__setattr__(self, "parts", tuple((key, as_prose(title)) for key, title in self.parts))

    @property
    def all_checks_passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def passed(self) -> bool:
        return self.all_checks_passed

    # Output, for scripts and notebooks: each renders through dgm_cli.render, imported only when called.
    def to_json(self) -> str:
        """The derivation as ``--json`` prints it: strict JSON (±∞ as the strings "Infinity", "-Infinity")."""
        return _render(self, "json")

    def to_markdown(self) -> str:
        """Markdown with the mathematics in ``$…$``, as ``--format markdown`` prints it."""
        return _render(self, "markdown")

    def to_latex(self, standalone: bool = False) -> str:
        """LaTeX, as ``--format latex`` prints it; ``standalone``: a complete document for pdflatex."""
        return _render(self, "latex", standalone=standalone)

    def to_html(self) -> str:
        """One self-contained HTML page, formulas as MathML, as ``--format html`` prints it."""
        return _render(self, "html")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the HTML page's content, typeset as MathML, its style kept to itself."""
        from dgm_cli.api import notebook_html

        return notebook_html(self.to_html())

    def _repr_latex_(self) -> str:
        return self.to_latex()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _render(derivation: Derivation, fmt: str, **options: Any) -> str:
    from dgm_cli.render import render

    return render(derivation, fmt, **options)


def plain_text(value: Prose | Piece) -> str:
    """Prose as one line of Unicode text (for messages, names and tests), with SymPy pieces in ``sstr`` form."""
    out: list[str] = []
    for piece in as_prose(value):
        if isinstance(piece, str):
            out.append(piece)
        elif isinstance(piece, Math):
            out.append(piece.text)
        else:
            from dgm_cli.render.common import inline_text

            out.append(inline_text(piece))
    return "".join(out)


def iter_prose(derivation: Derivation) -> Iterable[Prose]:
    """Every prose value a derivation holds: for contract tests that inspect the words."""
    yield derivation.title
    yield derivation.question
    yield derivation.answer
    for _, title in derivation.parts:
        yield title
    for notice in derivation.warnings:
        yield notice.message
    for step in derivation.steps:
        yield step.title
        yield step.text
        if step.table is not None:
            yield from step.table.headers
            yield step.table.note
            for row in step.table.rows:
                for cell in row:
                    if isinstance(cell, (str, Math, tuple)):
                        yield as_prose(cell)
    for check in derivation.checks:
        yield check.name
        yield check.method
        yield check.detail
