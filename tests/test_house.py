"""The house rules that ruff does not state: a function longer than 60 lines says why, beside it; the parsing
layer imports no solver; no solver names an option (the command line spells parameters at its edge)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "dgm_cli"


def _functions():
    for path in sorted(SOURCE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                yield path, node, lines[start - 2] if start >= 2 else ""


def test_every_function_longer_than_60_lines_says_why_beside_it():
    unexplained = [
        f"{path.relative_to(SOURCE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, node, above in _functions()
        if node.end_lineno - node.lineno + 1 > 60 and not above.strip().startswith("# Long by")
    ]
    assert not unexplained, unexplained


def test_the_parsing_layer_imports_no_solver():
    code = (
        "import sys\nimport dgm_cli.parsing, dgm_cli.expressions, dgm_cli.distributions\n"
        "print([m for m in sys.modules if m.startswith('dgm_cli.solvers')])"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.stdout.strip() == "[]", completed.stdout + completed.stderr


def test_no_solver_names_an_option():
    option = re.compile(r"""["'(]--[a-z][a-z-]*|\s--[a-z][a-z-]+[\s,.)]""")
    found = []
    for path in sorted((SOURCE / "solvers").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if option.search(line):
                found.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    assert not found, found
