"""HTML: one self-contained page (nothing fetched, no script), every formula as MathML.

The page is also well-formed XML (polyglot XHTML), so a strict XML parser reads it.

MathML comes from the same LaTeX that the LaTeX renderer prints, converted by
latex2mathml; Chromium and Firefox render it natively.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from dgm_cli.derivation import Check, Math, Notice, Prose, Table
from dgm_cli.render.common import (
    decimal,
    format_error,
    format_tolerance,
    formula_latex,
    latex_ascii,
    special_text,
    verdict,
)
from dgm_cli.render.walk import Renderer

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5; color: #1a1a1a; background: #fff;
       max-width: 52rem; margin: 2rem auto; padding: 0 1.2rem; }
h1, h2, h3, h4 { font-family: 'Helvetica Neue', Arial, sans-serif; line-height: 1.25; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.12rem; margin-top: 1.6rem; }
h4 { font-size: 1rem; margin-top: 1.2rem; }
math[display="block"] { margin: .8rem 0; overflow-x: auto; overflow-y: hidden; }
.formula { overflow-x: auto; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .95rem; }
th, td { border-bottom: 1px solid #ccc; padding: .25rem .6rem; vertical-align: top; }
th { border-bottom: 2px solid #666; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { border-left: 4px solid #c90; background: #fff8e6; padding: .4rem .8rem; }
.question { border-left: 4px solid #36c; background: #f3f6fc; padding: .4rem .8rem; }
.answer { border-left: 4px solid #393; background: #f2f9f2; padding: .4rem .8rem; }
.pass { color: #17692b; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
.na { color: #666; font-weight: bold; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
code { font-size: .9em; }
"""


def mathml(latex: str, display: bool = False) -> str:
    """LaTeX to a ``<math>`` element."""
    from latex2mathml.converter import convert

    return convert(latex_ascii(latex), display="block" if display else "inline")


class HtmlRenderer(Renderer):
    def __init__(self) -> None:
        super().__init__()
        self.page_title = "dgm"

    def words(self, text: str) -> str:
        return html.escape(text, quote=False)

    def math(self, node: Math) -> str:
        return mathml(node.latex)

    def formula_inline(self, expr: Any) -> str:
        return mathml(formula_latex(expr))

    def number_text(self, value: Any) -> str:
        special = special_text(value)
        if special is not None:
            return {"∞": mathml(r"\infty"), "−∞": mathml(r"-\infty")}.get(special, special)
        spelled = decimal(value)
        if spelled is None:
            return self.words(str(value))
        return mathml(spelled.latex()) if spelled.exponent is not None else self.words(spelled.text().replace("-", "−"))

    def title(self, title: Prose) -> None:
        from dgm_cli.derivation import plain_text

        self.page_title = plain_text(title)
        self.heading(1, title)

    def heading(self, level: int, title: Prose) -> None:
        level = min(level, 6)
        self.out.append(f"<h{level}>{self.prose(title)}</h{level}>")

    def paragraph(self, text: Prose) -> None:
        self.out.append(f"<p>{self.prose(text).strip()}</p>")

    def formula(self, expr: Any) -> None:
        self.out.append(f'<div class="formula">{mathml(formula_latex(expr), display=True)}</div>')

    def _table(self, headers: list[str], rows: list[list[tuple[str, bool]]]) -> None:
        self.out.append("<table>")
        self.out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead><tbody>")
        for row in rows:
            cells = "".join(f'<td class="number">{c}</td>' if number else f"<td>{c}</td>" for c, number in row)
            self.out.append(f"<tr>{cells}</tr>")
        self.out.append("</tbody></table>")

    def table(self, table: Table) -> None:
        headers = [self.prose(h) for h in table.headers]
        rows = [[(self.value_text(c), not isinstance(c, (str, Math, tuple))) for c in row] for row in table.rows]
        self._table(headers, rows)
        if table.note:
            self.paragraph(table.note)

    def value(self, value: Any) -> None:
        self.out.append(f"<p>Value: {self.value_text(value)}</p>")

    def notice(self, notice: Notice) -> None:
        self.out.append(f'<p class="note"><strong>Note.</strong> {self.prose(notice.message)}</p>')

    def checks(self, checks: Sequence[Check], level: int, title: Prose = ("Checks",)) -> None:
        if not checks:
            return
        self.heading(level, title)
        rows = []
        for c in checks:
            mark = verdict(c.passed, c.applicable)
            css = {"PASS": "pass", "FAIL": "fail"}.get(mark, "na")
            how = self.prose(c.method) + (". " + self.prose(c.detail) if c.detail else "")
            rows.append([(f'<span class="{css}">{mark}</span>', False), (self.prose(c.name), False), (how, False),
                         (self.words(format_error(c.error)) if c.applicable else "n/a", True),
                         (format_tolerance(c.tolerance), True)])
        self._table(["", "check", "how", "error", "tolerance"], rows)

    def result(self, result: dict[str, Any], level: int) -> None:
        self.heading(level, ("Result",))
        self._table(["name", "value"], [[(f"<code>{html.escape(k)}</code>", False), (self.value_text(v), False)]
                                        for k, v in result.items()])

    def question(self, text: Prose) -> None:
        from dgm_cli.render.walk import paragraphs

        body = "".join(f"<p>{self.prose(p).strip()}</p>" for p in paragraphs(text))
        self.out.append(f'<div class="question">{body}</div>')

    def answer(self, text: Prose) -> None:
        self.out.append(f'<p class="answer"><strong>Answer.</strong> {self.prose(text)}</p>')

    def figure(self, figure) -> None:
        body = figure.svg if figure.svg is not None else f'<img src="{html.escape(figure.path)}" alt=""/>'
        self.out.append(f"<figure>{body}<figcaption>{self.words(figure.caption)}</figcaption></figure>")

    def document(self, title: str, introduction: str) -> None:
        self.page_title = title
        self.out.append(f"<h1>{self.words(title)}</h1>")
        self.paragraph((introduction,))

    def finish(self) -> str:
        head = (
            '<!DOCTYPE html>\n<html lang="en" xmlns="http://www.w3.org/1999/xhtml">\n<head>\n<meta charset="utf-8"/>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
            f"<title>{html.escape(self.page_title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>"
        )
        return head + "\n" + "\n".join(self.out) + "\n</main>\n</body>\n</html>\n"


def render_html(derivation) -> str:
    from dgm_cli.render.walk import walk

    return walk(derivation, HtmlRenderer())
