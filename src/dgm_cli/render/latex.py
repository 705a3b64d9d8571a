"""LaTeX: a fragment that drops into a write-up (needs amsmath and amssymb), or with
``standalone`` a complete document that compiles with pdflatex.

Every formula is math mode from SymPy's LaTeX printer or a Math node's own
LaTeX; words are escaped. The output is pure ASCII.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dgm_cli.derivation import Check, Math, Notice, Prose, Table
from dgm_cli.render.common import (
    ascii_text,
    decimal,
    format_error,
    format_tolerance,
    formula_latex,
    latex_ascii,
    special_text,
    verdict,
)
from dgm_cli.render.walk import Renderer

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{graphicx}
\usepackage{array,tabularx}
\allowdisplaybreaks
\emergencystretch=3em
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\begin{document}
"""

_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_TYPOGRAPHY = {"“": "``", "”": "''", "‘": "`", "’": "'", "–": "--", "—": "---", "…": r"\ldots{}", "\u00a0": "~"}
WIDE_HEADERS = 60  # characters of header text beyond which a table takes the line width and wraps them
SECTIONING = {1: "section", 2: "subsection", 3: "subsubsection", 4: "paragraph", 5: "subparagraph"}


def latex_text(text: str) -> str:
    """Words to LaTeX: specials escaped, typographic punctuation as TeX ligatures, the result pure ASCII."""
    out: list[str] = []
    for char in text:
        if char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif char in _TYPOGRAPHY:
            out.append(_TYPOGRAPHY[char])
        elif ord(char) < 128:
            out.append(char)
        else:  # the contract keeps mathematics out of words; anything else is spelled, never dropped
            out.append("".join(_SPECIALS.get(c, c) for c in ascii_text(char)))
    return "".join(out)


class LatexRenderer(Renderer):
    def __init__(self, heading_offset: int = 0) -> None:
        super().__init__()
        self.heading_offset = heading_offset

    def words(self, text: str) -> str:
        return latex_text(text)

    def math(self, node: Math) -> str:
        return f"${latex_ascii(node.latex)}$"

    def formula_inline(self, expr: Any) -> str:
        return f"${formula_latex(expr)}$"

    def number_text(self, value: Any) -> str:
        special = special_text(value)
        if special is not None:
            return {"∞": r"$\infty$", "−∞": r"$-\infty$"}.get(special, special)
        spelled = decimal(value)
        return f"${spelled.latex()}$" if spelled is not None else latex_text(str(value))

    def heading(self, level: int, title: Prose) -> None:
        command = SECTIONING[min(level + self.heading_offset, 5)]
        self.out += [rf"\{command}*{{{self.prose(title)}}}", ""]

    def paragraph(self, text: Prose) -> None:
        self.out += [self.prose(text).strip(), ""]

    def formula(self, expr: Any) -> None:
        self.out += [r"\begin{equation*}", formula_latex(expr), r"\end{equation*}", ""]

    def _tabular(self, headers: list[str], rows: list[list[str]], numeric: list[bool], wide: bool) -> None:
        if wide:  # long headers: columns share the line width and their headers wrap
            spec = "".join(r">{\raggedleft\arraybackslash}X" if n else r">{\raggedright\arraybackslash}X"
                           for n in numeric)
            begin, end = r"\begin{tabularx}{\linewidth}{" + spec + "}", r"\end{tabularx}"
        else:
            begin, end = r"\begin{tabular}{" + "".join("r" if n else "l" for n in numeric) + "}", r"\end{tabular}"
        self.out += [r"\begin{center}", begin, r"\hline", " & ".join(headers) + r" \\", r"\hline"]
        self.out += [" & ".join(row) + r" \\" for row in rows]
        self.out += [r"\hline", end, r"\end{center}", ""]

    def table(self, table: Table) -> None:
        headers = [self.prose(h) for h in table.headers]
        rows = [[self.value_text(c) for c in row] for row in table.rows]
        numeric = [not all(isinstance(r[i], (str, Math, tuple)) for r in table.rows) for i in range(len(headers))]
        from dgm_cli.derivation import plain_text

        wide = sum(len(plain_text(h)) for h in table.headers) > WIDE_HEADERS
        self._tabular(headers, rows, numeric, wide)
        if table.note:
            self.paragraph(table.note)

    def value(self, value: Any) -> None:
        self.out += ["Value: " + self.value_text(value), ""]

    def notice(self, notice: Notice) -> None:
        self.out += [r"\textbf{Note.} " + self.prose(notice.message), ""]

    def checks(self, checks: Sequence[Check], level: int, title: Prose = ("Checks",)) -> None:
        if not checks:
            return
        self.heading(level, title)
        self.out.append(r"\begin{itemize}")
        for c in checks:
            error, tolerance = latex_text(format_error(c.error)), latex_text(format_tolerance(c.tolerance))
            measure = f"error {error} (tolerance {tolerance})" if c.applicable else "not applicable"
            detail = self.prose(c.detail)
            self.out.append(
                rf"\item \textbf{{{verdict(c.passed, c.applicable)}}} {self.prose(c.name)}. {self.prose(c.method)}. "
                + measure + (": " + detail if detail else "") + "."
            )
        self.out += [r"\end{itemize}", ""]

    def result(self, result: dict[str, Any], level: int) -> None:
        self.heading(level, ("Result",))
        self.out.append(r"\begin{description}")
        for key, value in result.items():
            self.out.append(rf"\item[\texttt{{{latex_text(key)}}}] \mbox{{}} {self.value_text(value)}")
        self.out += [r"\end{description}", ""]

    def answer(self, text: Prose) -> None:
        self.out += [r"\textbf{Answer.} " + self.prose(text), ""]

    def figure(self, figure) -> None:
        self.out += [r"\begin{center}", rf"\includegraphics[width=\linewidth]{{{figure.path}}}", "",
                     latex_text(figure.caption), r"\end{center}", ""]

    def document(self, title: str, introduction: str) -> None:
        self.out += [PREAMBLE, rf"\title{{{latex_text(title)}}}", r"\date{}", r"\maketitle", "",
                     latex_text(introduction), ""]

    def finish_document(self) -> str:
        self.out.append(r"\end{document}")
        return self.finish()


def render_latex(derivation, standalone: bool = False) -> str:
    from dgm_cli.render.walk import walk

    renderer = LatexRenderer()
    if standalone:
        renderer.out.append(PREAMBLE)
    else:
        renderer.out.append(f"% dgm {derivation.command}: needs \\usepackage{{amsmath,amssymb}}")
    text = walk(derivation, renderer)
    return text + ("\\end{document}\n" if standalone else "")
