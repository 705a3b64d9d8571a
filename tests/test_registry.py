"""The problem registry (dgm_cli.problems): the commands' order, the report and the contract read it, and the
README's "Add a problem" recipe works as written: its two code blocks are run here as they stand there."""

from __future__ import annotations

import math
import re
import sys
import types
from pathlib import Path

import pytest
from typer.main import get_command

import dgm_cli.cli as cli
from conftest import strict_json
from dgm_cli import problems as registry
from dgm_cli.errors import InputError
from test_contract import assert_contract_in_every_format

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_assignments_four_problems_in_its_order():
    found = [(problem.number, problem.command) for problem in registry.problems()]
    assert found[:4] == [(1, "flow-density"), (2, "vpnf-bound"), (3, "gan-optimal"), (4, "gan-vanishing")]
    assert [p.heading for p in registry.problems()][:4] == [
        "Problem 1: Probability review",
        "Problem 2: VP-NFs are not universal",
        "Problem 3: Optimality of the GAN framework",
        "Problem 4: Perfect discriminator, perfect generation",
    ]


def _command_order() -> list[str]:
    group = get_command(cli.app)
    return list(group.list_commands(None))


def test_help_lists_the_commands_in_the_registrys_order_then_report():
    assert _command_order() == [problem.command for problem in registry.problems()] + ["report"]


def _readme_blocks() -> tuple[str, str]:
    section = README.read_text(encoding="utf-8").split("## Add a problem", 1)[1]
    solver, command = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    return solver, command


@pytest.fixture
def tiny_problem():
    """The README's fifth problem, joined exactly as its text says: a solver module and a CLI function."""
    solver_code, command_code = _readme_blocks()
    module = types.ModuleType("dgm_cli.solvers.tiny_sum")
    sys.modules[module.__name__] = module  # where the CLI function imports it from
    exec(compile(solver_code, "README.md: solvers/tiny_sum.py", "exec"), module.__dict__)
    # A module in src/dgm_cli/solvers/ is found by the registry; one made in a test is registered.
    problem = registry.register(module.PROBLEM, module)
    commands_before = list(cli.app.registered_commands)
    exec(compile(command_code, "README.md: cli.py", "exec"), dict(vars(cli)))
    try:
        yield problem
    finally:
        cli.app.registered_commands[:] = commands_before
        registry.unregister(problem.command)
        del sys.modules[module.__name__]


def test_the_readme_problem_is_a_command_in_its_place(tiny_problem, run):
    assert registry.problems()[-1] is not None and registry.problems()[-1].command == "tiny-sum"
    assert _command_order() == [p.command for p in registry.problems()] + ["report"]
    result = run(["tiny-sum", "--n", "100", "--json"])
    assert result.exit_code == 0, result.stderr
    assert strict_json(result.stdout)["result"]["sum"] == math.comb(101, 2)
    refused = run(["tiny-sum", "--n", "0"])
    assert refused.exit_code == 2 and "--n" in refused.stderr and refused.stderr.count("\n") == 1


def test_the_readme_problem_names_its_parameter_and_the_command_line_its_option(tiny_problem, run):
    with pytest.raises(InputError) as raised:
        tiny_problem.solve(n=10**7)
    assert raised.value.option == "n"
    result = run(["tiny-sum", "--n", "10000000"])
    assert result.exit_code == 2
    assert result.stderr.startswith("dgm tiny-sum: error: --n: n must be"), result.stderr


def test_the_readme_problem_passes_the_contract_in_every_format(tiny_problem):
    assert_contract_in_every_format(tiny_problem.solve())


def test_the_report_includes_the_readme_problem_after_the_assignments_four(tiny_problem, run):
    result = run(["report", "--format", "markdown", "--no-checks"])
    assert result.exit_code == 0, result.stderr
    headings = re.findall(r"^## (Problem \d: .*)$", result.stdout, re.M)
    assert headings == [p.heading for p in registry.problems()]
    assert headings[-1] == "Problem 5: A tiny sum"
    assert "The sum is 55." in result.stdout  # n = 10, the problem's default


def test_each_problem_solves_with_its_defaults_as_the_report_poses_it():
    for problem in registry.problems():
        derivation = problem.solve()
        assert derivation.command == problem.command
        assert all(check.passed for check in derivation.checks), problem.command


# Each command run without options, next to what its problem's defaults give: the command line's defaults (text
# in its options) and the registry's (values in the solver's module) cannot drift apart. Problem 4's command
# leaves its sweep to --sweep; the report poses the problem with it.
AS_POSED = {"flow-density": [], "vpnf-bound": [], "gan-optimal": [], "gan-vanishing": ["--sweep"]}


@pytest.mark.parametrize("command", list(AS_POSED))
def test_each_command_without_options_is_its_problem_as_posed(run, command):
    result = run([command, *AS_POSED[command], "--json"])
    assert result.exit_code == 0, result.stderr
    from dgm_cli.render import render

    posed = strict_json(render(registry.problem(command).solve(), "json"))
    printed = strict_json(result.stdout)
    assert printed["result"] == posed["result"]
    assert printed["inputs"] == posed["inputs"]
