"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_installs_and_tests_exactly_as_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(line for line in readme.splitlines() if "pytest" in line and line.startswith("python3 -m venv"))
    install, run_tests = test_command.split("&& pip install ", 1)[1].split(" && ")
    assert f"pip install {install}" in ci
    assert run_tests in ci


def test_the_readmes_exit_code_table_is_the_enum():
    import re

    from dgm_cli.errors import ExitStatus

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\s*\| (\d+) \| (.+?) \|$", readme, flags=re.MULTILINE)
    assert sorted(int(code) for code, _ in rows) == sorted(int(status) for status in ExitStatus)
