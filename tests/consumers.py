"""The real consumers of each format: pdflatex and pdftotext, headless Chromium, a CommonMark parser, strict XML.

A test that needs a system tool skips when it is missing, naming the tool, except under CI (CI=true), where a
missing tool is a failure: CI installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

MATHML = "{http://www.w3.org/1998/Math/MathML}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def require_tool(*names: str) -> str:
    """The first of ``names`` on PATH; skip (or, under CI, fail) when none is."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = f"{' or '.join(names)} is not installed"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI installs it: see .ci/run)")
    pytest.skip(message)


def compile_latex(text: str, folder: Path, name: str = "doc") -> str:
    """Compile a LaTeX document with pdflatex and return the PDF's text (pdftotext -layout)."""
    pdflatex = require_tool("pdflatex")
    pdftotext = require_tool("pdftotext")
    (folder / f"{name}.tex").write_text(text, encoding="ascii")
    compiled = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=folder, capture_output=True, text=True, timeout=180,
    )
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    log = (folder / f"{name}.log").read_text(encoding="latin-1")
    assert "Missing character" not in log, "a character the font cannot show"
    subprocess.run([pdftotext, "-layout", f"{name}.pdf", f"{name}.txt"], cwd=folder, check=True, timeout=60)
    return (folder / f"{name}.txt").read_text(encoding="utf-8")


def assert_pdf_text_clean(text: str, keys: tuple[str, ...] = ()) -> None:
    """What a reader of the PDF must never see: Unicode names in brackets, LaTeX commands, literal underscores
    (except in the result's ``keys``, printed as typewriter names)."""
    for key in sorted(keys, key=len, reverse=True):
        text = text.replace(key, "")
    assert "[long" not in text and "[greek" not in text.lower(), text[:2000]
    leaked = re.compile(r"\\[A-Za-z]+")  # a LaTeX command that reached the page (B \\ A, a set minus, is fine)
    assert not leaked.search(text), [line for line in text.splitlines() if leaked.search(line)][:5]
    text = re.sub(r"\b[a-z]+(\.[a-z_]+)+", "", text)  # a library function's name (scipy.optimize.minimize_scalar)
    assert "_" not in text, [line for line in text.splitlines() if "_" in line][:5]
    assert "$" not in text, [line for line in text.splitlines() if "$" in line][:5]


def parse_xhtml(text: str) -> ET.Element:
    """Parse a page strictly as XML; every formula must be a MathML element, no LaTeX left in the words."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == XHTML + "html"
    return root


def words_outside_math(root: ET.Element) -> list[str]:
    """The text of every element outside <math>, <style> and <svg>."""
    out: list[str] = []

    def visit(element: ET.Element) -> None:
        if element.tag in (MATHML + "math", XHTML + "style") or element.tag.endswith("}svg"):
            if element.tail:
                out.append(element.tail)
            return
        if element.text:
            out.append(element.text)
        for child in element:
            visit(child)
        if element.tail:
            out.append(element.tail)

    visit(root)
    return out


def assert_no_latex_in_words(root: ET.Element) -> None:
    for text in words_outside_math(root):
        assert "\\" not in text and "$" not in text, text
    for math in root.iter(MATHML + "math"):
        assert not list(math.iter(MATHML + "merror")), ET.tostring(math)[:300]
        for node in math.iter():
            assert "\\" not in (node.text or ""), ET.tostring(math)[:300]


def chromium(html_path: Path, folder: Path) -> tuple[str, Path]:
    """Load a page in headless Chromium: its DOM after rendering, and a screenshot."""
    binary = require_tool("chromium", "chromium-browser", "google-chrome")
    common = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars"]
    dom = subprocess.run([*common, f"--user-data-dir={folder / 'profile-dom'}", "--dump-dom", html_path.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = folder / "screenshot.png"
    taken = subprocess.run([*common, f"--user-data-dir={folder / 'profile-shot'}", f"--screenshot={shot}",
                            "--window-size=1000,1400", html_path.as_uri()], capture_output=True, text=True, timeout=120)
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    return dom.stdout, shot


def assert_not_blank(png: Path) -> None:
    """A screenshot with ink on it: more than one colour, and a fair share of non-white pixels."""
    from PIL import Image

    image = Image.open(png).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:200])
    assert dark > 0.005 * image.width * image.height, "the page looks blank"


def markdown_tokens(text: str):
    """CommonMark with GFM tables and $…$ mathematics, as markdown-it-py (which Rich depends on) reads it."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True)
    return parser.parse(text)
