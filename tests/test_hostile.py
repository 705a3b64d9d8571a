"""Hostile and broken input: every command, every option; never a traceback, a hang, NaN, or code execution.

Three parts:

- a seeded fuzz of random command lines (hostile strings, malformed numbers, every option of every command),
  and a seeded fuzz of extreme values (numbers beyond float64, huge and tiny constants inside --transform,
  nesting deep but inside the grammar's limits, awkward --input files, the extreme points of each problem,
  `dgm report` included). Each case runs in-process with CliRunner inside a forked worker (tests/fuzz_inputs.py)
  that is killed at CASE_TIME_LIMIT seconds, so a hang is reported with its argv instead of stalling the run;
- one regression test per finding of the hostile-input run (issue 19), on the issue's exact command lines;
- hostile strings given to every option, and a payload that would show if any text reached Python's evaluator.

Set DGM_FUZZ_RUNS (default 600 random command lines, and a sixth as many extreme ones) for a longer run and
DGM_FUZZ_SEED for another sequence; the cases are the same for a given seed. DGM_FUZZ_WORKERS sets the number
of worker processes (default: 2, or 1 on a 1-core machine).
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import time

import mpmath
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from dgm_cli.cli import app
from fuzz_inputs import (
    ALLOWED_EXIT_CODES,
    FAMILIES,
    Case,
    CasePool,
    Outcome,
    describe,
    extreme_cases,
    input_files,
    problems,
    strict_json,
)

FUZZ_RUNS = int(os.environ.get("DGM_FUZZ_RUNS", "600"))
FUZZ_SEED = int(os.environ.get("DGM_FUZZ_SEED", "20261125"))
EXTREME_RUNS = max(2 * len(FAMILIES), FUZZ_RUNS // 6)
FUZZ_WORKERS = int(os.environ.get("DGM_FUZZ_WORKERS", str(max(1, min(2, os.cpu_count() or 1)))))
CASE_TIME_LIMIT = 10.0  # CPU seconds for one fuzz case (wall clock: three times that); the slowest valid run takes a few
SUBPROCESS_TIMEOUT = 20.0  # seconds for one regression run in a subprocess
SHOWN_FAILURES = 40

HOSTILE = [
    "__import__('os').system('id')",
    "lambda: 0",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')",
    "exec('1')",
    "eval('1')",
    "z1.__class__",
    "globals()",
    "10**10**10",
    "2**1000000",
    "9" * 5000 + "e9",
    "(" * 10_000 + "1" + ")" * 10_000,
    "1" * 100_000,
    "$(id)",
    "`id`",
    "; rm -rf /",
    "a" * 1000,
    "\x00",
    "\u202e1",
    "１２",  # full-width digits
    "1e-99999",
]

NUMBERS = ["0", "1", "-1", "2", "0.5", "1/3", "-2/7", "1e-3", "0.1", "0.9", "16.78", "700", "-700", "1000", "-1000",
           "1e300", "1e-300", "5e-324", "1e308", "nan", "inf", "-inf", "NaN", "", " ", "abc", "1/0", "0/0", "1e999",
           "−1", "٣", "0x1F", "1_000", "+3", ".5", "5.", "1,2", "1 2", "1,2,3", "0,1,1/3", "best", "-0",
           "1e309", "1e400", "-1e400", "1e-400", "9" * 400, "9.99e307", "-1e17"]
WORDS = ["normal(0,1)", "normal(2,1)", "normal(0,-1)", "uniform(0,1)", "uniform(1,0)", "laplace(0,1)",
         "categorical(0.2,0.5,0.3)", "categorical(0.5,0.6)", "mixture(0.3*normal(0,1), 0.7*normal(3,0.5))",
         "normal(0,1", "normal)", "foo(1)", "z1", "z1**2", "exp(z1)", "z1; z2", "cbrt(z3*exp(-z1) + z1**2)",
         "json", "plain", "rich", "csv", "jsonl", "markdown", "latex", "quiet", "yaml", "✓", "é", "🙂",
         "exp(1e9)*z1", "1e400*z1", "normal(1e6,1)"]
INPUT_CONTENTS = ["0 1 1\n", "1 2\nabc\n", "", "-1\n-5\n", "nan 1 1\n", "1,2,3\n4 5 6\n", "\ufeff-1\r-5\r",
                  "1e400\n", "0 1 1e-400\r\n"]
REPORT_SHARE = 0.01  # of the random command lines: a report runs all four solvers


# --------------------------------------------------------------------------- the pool of workers

_TIMINGS: list[tuple[float, float, Case, int | None]] = []  # (CPU s, wall s, case, exit code)


@pytest.fixture(scope="module")
def pool(request):
    """Forked workers for the fuzz, started after the parent has imported and warmed every solver."""
    runner = CliRunner()
    for argv in (["flow-density", "--format", "json"], ["flow-density", "--transform", "exp(z1)", "--x", "0.5"],
                 ["vpnf-bound", "--format", "markdown"], ["gan-optimal", "--samples", "0", "--format", "html"],
                 ["gan-vanishing", "--logits", "-1", "--format", "latex"]):
        runner.invoke(app, argv, input="")
    workers = CasePool(workers=FUZZ_WORKERS, time_limit=CASE_TIME_LIMIT)
    yield workers
    workers.close()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and _TIMINGS:
        slowest = sorted(_TIMINGS, key=lambda t: -t[0])[:8]
        with capture.global_and_fixture_disabled():  # the slowest cases, on the terminal even when all pass
            reporter.write_line("")
            reporter.write_sep("-", f"slowest of {len(_TIMINGS)} fuzz cases (limit {CASE_TIME_LIMIT:.0f} s of CPU)")
            for cpu, wall, case, code in slowest:
                reporter.write_line(f"{cpu:6.2f} s CPU {wall:6.2f} s wall  exit {code}  {' '.join(case.shown())[:140]}")


def run_and_check(pool: CasePool, cases: list[Case]) -> tuple[dict, list[str]]:
    """Run the cases; the count of each exit code, and one line per case that broke a rule."""
    outcomes = pool.run(cases)
    counts: dict = {}
    failures = []
    for case, outcome in zip(cases, outcomes):
        counts[outcome.exit_code] = counts.get(outcome.exit_code, 0) + 1
        _TIMINGS.append((outcome.cpu, outcome.elapsed, case, outcome.exit_code))
        found = problems(case, outcome, CASE_TIME_LIMIT)
        if found:
            failures.append(describe(case, outcome, found))
    return counts, failures


def failure_report(failures: list[str], total: int) -> str:
    shown = "\n".join(failures[:SHOWN_FAILURES])
    more = f"\n… and {len(failures) - SHOWN_FAILURES} more" if len(failures) > SHOWN_FAILURES else ""
    return f"{len(failures)} of {total} cases broke a rule:\n{shown}{more}"


# --------------------------------------------------------------------------- random command lines


def _commands(with_report: bool = True):
    group = get_command(app)
    return {name: command for name, command in sorted(group.commands.items()) if with_report or name != "report"}


def _value_for(param, rng: random.Random, tmp_path) -> list[str]:
    """One random value (or values, for options taking several) for an option."""
    name = param.opts[0]
    if name == "--plot":
        return [str(tmp_path / rng.choice(["p.png", "p.txt", "missing/p.png"]))]
    if name == "--output":
        return [str(tmp_path / rng.choice(["report.md", "missing/report.md"]))]
    if name == "--input":
        index = rng.randrange(len(INPUT_CONTENTS))
        path = tmp_path / f"input-{index}.txt"
        path.write_text(INPUT_CONTENTS[index], encoding="utf-8", newline="")
        return [rng.choice([str(path), str(tmp_path / "absent.txt"), str(tmp_path)])]
    if name in ("--verify", "--samples", "--seed"):
        return [rng.choice(["0", "1", "100", "1000", "-1", "abc", "1e3", "", "99999999999999999999999"])]
    pool = rng.choice([NUMBERS, NUMBERS, WORDS, HOSTILE])
    count = param.nargs if param.nargs > 1 else 1
    return [rng.choice(pool) for _ in range(count)]


def _random_argv(rng: random.Random, commands, tmp_path) -> list[str]:
    names = [name for name in commands if name != "report"]
    name = "report" if "report" in commands and rng.random() < REPORT_SHARE else rng.choice(names)
    argv = [name]
    options = [p for p in commands[name].params if p.opts and p.opts[0].startswith("--") and p.opts[0] != "--help"]
    for param in rng.sample(options, k=rng.randint(0, min(4, len(options)))):
        argv.append(param.opts[0])
        if not param.is_flag:
            argv += _value_for(param, rng, tmp_path)
    if rng.random() < 0.1:
        argv.append(rng.choice(["--bogus", "extra", "-x", "--", "--json"]))
    return argv


def test_fuzz_every_command_line(tmp_path, pool):
    rng = random.Random(FUZZ_SEED)
    commands = _commands()
    cases = [Case(tuple(_random_argv(rng, commands, tmp_path))) for _ in range(FUZZ_RUNS)]
    counts, failures = run_and_check(pool, cases)
    assert not failures, failure_report(failures, len(cases))
    assert counts.get(0, 0) > 0 and counts.get(2, 0) > 0, counts  # the fuzz reached both the solvers and the parsers


# --------------------------------------------------------------------------- extreme values


@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory):
    return input_files(tmp_path_factory.mktemp("fuzz-inputs"))


@pytest.mark.parametrize("family", list(FAMILIES))
def test_fuzz_extreme_values(family, pool, fuzz_files):
    """Values beyond float64, extreme constants and points, deep nesting, awkward files: an answer (±∞ said as
    such), a failed verification, or a one-line refusal; never a traceback, an internal error, NaN, non-strict
    JSON or a run past the time limit."""
    count = max(2, round(EXTREME_RUNS * FAMILIES[family]))
    cases = extreme_cases(family, count, FUZZ_SEED, fuzz_files)
    counts, failures = run_and_check(pool, cases)
    assert not failures, failure_report(failures, len(cases))
    assert set(counts) <= set(ALLOWED_EXIT_CODES), counts


# --------------------------------------------------------------------------- the findings of issue 19

def finding(*argv: str, valid: bool = False):
    """One command line of the issue. ``valid``: the question has an answer, so it must exit 0 (not refuse)."""
    return pytest.param(tuple(argv), valid, id=" ".join(argv))


#: Findings where a hang is possible: each runs in its own subprocess, killed after SUBPROCESS_TIMEOUT seconds.
SUBPROCESS_FINDINGS = [
    finding("flow-density", "--x", "1e4", "1", "1"),
    finding("flow-density", "--x", "-1e5", "-2", "-3"),
    finding("flow-density", "--x", "-1e17", "1e-400", "-0.0003"),  # it ran out of memory
    finding("flow-density", "--box", "1e400"),
    finding("flow-density", "--box", "5", "--verify", "100", valid=True),
    finding("flow-density", "--box", "10", valid=True),
    finding("flow-density", "--transform", "exp(1e20)"),
    finding("flow-density", "--transform", "exp(1e9)*z1"),
]

#: Findings run in-process with CliRunner.
IN_PROCESS_FINDINGS = [
    finding("flow-density", "--x", "0", "1", "1e309"),
    finding("flow-density", "--x", "0", "1", "1e400"),
    finding("flow-density", "--x", "-1e7", "0", "1", valid=True),
    finding("flow-density", "--x", "9.99e307", "-6e-10", "-6e-9"),
    finding("flow-density", "--x", "700", "1e300", "1"),
    finding("flow-density", "--x", "-100", "1e-40", "1", valid=True),
    finding("flow-density", "--x", "0", "1", "1e-300", valid=True),
    finding("flow-density", "--x", "0", "1", "5e-324", valid=True),
    finding("flow-density", "--x", "0", "1", "1e-160", valid=True),
    finding("flow-density", "--transform", "sign(z1)"),
    finding("flow-density", "--transform", "cbrt(cbrt(z1))", valid=True),
    finding("flow-density", "--transform", "1e400*z1"),
    finding("flow-density", "--transform", "1e-400*z1"),
    finding("flow-density", "--transform", "log(1e300)*z1", valid=True),
    finding("flow-density", "--transform", "z3; (sign(z2/z1))**3; (exp(z1))**3"),
    finding("flow-density", "--transform", "arcsinh(z1)", valid=True),
    finding("flow-density", "--transform", "exp(710)*z1"),
    finding("flow-density", "--transform", "exp(z1)", "--x", "0.5", valid=True),
    finding("flow-density", "--transform", "exp(z1)", "--x", "0.25", valid=True),
    finding("flow-density", "--transform", "exp(z1)", "--x", "0.1", valid=True),
    finding("flow-density", "--transform", "tanh(z1)", "--x", "0.5", valid=True),
    finding("flow-density", "--transform", "sigmoid(z1)", "--x", "0.5", valid=True),
    finding("flow-density", "--base", "normal(0,1e-400)"),
    finding("flow-density", "--base", "uniform(-1e308,1e308)"),
    finding("vpnf-bound", "--det", "1e-400"),
    finding("vpnf-bound", "--det", "1e308", valid=True),
    finding("vpnf-bound", "--det", "1e-300"),
    finding("vpnf-bound", "--det", "5e-324"),
    finding("vpnf-bound", "--eps", "1e308"),
    finding("vpnf-bound", "--k", "1e-400"),
    finding("gan-optimal", "--x", "1e400"),
    finding("gan-optimal", "--gen", "normal(1e6,1)", valid=True),
    finding("gan-optimal", "--gen", "normal(1e9,1)"),
    finding("report", "--x", "0,1,1e400"),
]

_CBRT_9 = "cbrt(" * 9 + "z1" + ")" * 9

#: Found by the extreme-value fuzz of this file, beyond the issue's list; run in-process.
FUZZ_FINDINGS = [
    pytest.param(("flow-density", "--base", "uniform(0,1e400)"), id="base uniform(0,1e400)"),
    pytest.param(("flow-density", "--transform", f"2*{_CBRT_9}", "--x", "0.25"), id="2*cbrt^9(z1) at 0.25"),
    pytest.param(("gan-optimal", "--data", "categorical(5e-324,0.5,0.5)"), id="categorical(5e-324,...) message"),
    # found as 1e-300*softplus(sinh(tanh(...18 deep...))) at 1e300; the same message from a one-function map:
    pytest.param(("flow-density", "--transform", "1e-300*tanh(z1)", "--x", "1e300"), id="10^300 in a message"),
]


def assert_trustworthy(argv, valid: bool, code: int | None, stdout: str, stderr: str) -> None:
    """Exit 0 (or 2, a one-line refusal, where the question may be refused); no traceback, no internal error,
    no NaN, no 300-digit number in a message."""
    found = problems(Case(tuple(argv)), Outcome(code, stdout, stderr), SUBPROCESS_TIMEOUT)
    context = f"{found}\nargv={list(argv)!r} exit={code}\nstdout={stdout[-800:]!r}\nstderr={stderr[-800:]!r}"
    assert code in ((0,) if valid else (0, 2)), context
    assert not found, context


@pytest.fixture(scope="module")
def subprocess_results(request, tmp_path_factory):
    """Run every selected subprocess finding, a few at a time, each killed after SUBPROCESS_TIMEOUT seconds.

    Run side by side, the findings that hang cost one timeout between them, not one each."""
    selected = list(dict.fromkeys(
        item.callspec.params["argv"] for item in request.session.items
        if getattr(item, "originalname", None) == "test_finding_in_a_subprocess"
    ))
    folder = tmp_path_factory.mktemp("findings")
    env = {key: value for key, value in os.environ.items() if key != "DGM_DEBUG"}
    results: dict = {}
    waiting = list(enumerate(selected))
    running: list = []
    while waiting or running:
        while waiting and len(running) < 4:
            index, argv = waiting.pop(0)
            out, err = open(folder / f"{index}.out", "w+"), open(folder / f"{index}.err", "w+")  # noqa: SIM115
            process = subprocess.Popen([sys.executable, "-m", "dgm_cli", *argv], stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=err, env=env)
            running.append((argv, process, out, err, time.monotonic()))
        time.sleep(0.05)
        for entry in list(running):
            argv, process, out, err, started = entry
            elapsed = time.monotonic() - started
            if process.poll() is None and elapsed < SUBPROCESS_TIMEOUT:
                continue
            if process.poll() is None:
                process.kill()  # ours, by its handle
                process.wait()
                code = None
            else:
                code = process.returncode
            out.seek(0), err.seek(0)
            results[argv] = (code, out.read(), err.read(), elapsed)
            out.close(), err.close()
            running.remove(entry)
    return results


@pytest.mark.parametrize("argv, valid", SUBPROCESS_FINDINGS)
def test_finding_in_a_subprocess(argv, valid, subprocess_results):
    code, stdout, stderr, elapsed = subprocess_results[argv]
    assert code is not None, f"{list(argv)} did not end within {SUBPROCESS_TIMEOUT:.0f} s"
    assert_trustworthy(argv, valid, code, stdout, stderr)


@pytest.mark.parametrize("argv, valid", IN_PROCESS_FINDINGS)
def test_finding_in_process(argv, valid, run):
    result = run(list(argv))
    assert_trustworthy(argv, valid, result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("argv", FUZZ_FINDINGS)
def test_fuzz_finding(argv, run):
    """An answer or a one-line refusal with short numbers, never an internal error."""
    result = run(list(argv))
    assert_trustworthy(argv, False, result.exit_code, result.stdout, result.stderr)


# The answers to the valid questions, against independent values: mpmath at 50 digits.


def _log_normal(*z) -> mpmath.mpf:
    """log of the standard normal density of z, coordinate by coordinate."""
    return sum(-0.5 * mpmath.log(2 * mpmath.pi) - mpmath.mpf(v) ** 2 / 2 for v in z)


def _assignment_log_density(x1: str, x2: str, x3: str) -> float:
    """Problem 1: z = (x1, x2·e^(−x1), (x3³ − x1²)·e^(x1)) and |det ∂f⁻¹/∂x| = 3·x3²."""
    with mpmath.workdps(50):
        x1, x2, x3 = (mpmath.mpf(v) for v in (x1, x2, x3))
        return float(_log_normal(x1, x2 * mpmath.exp(-x1), (x3**3 - x1**2) * mpmath.exp(x1)) + mpmath.log(3 * x3**2))


def _log_density_1d(inverse, x: str) -> float:
    """A 1-D map with inverse z = g(x): log p_X(x) = log φ(g(x)) + log|g'(x)|."""
    with mpmath.workdps(50):
        x = mpmath.mpf(x)
        return float(_log_normal(inverse(x)) + mpmath.log(abs(mpmath.diff(inverse, x))))


LOG_DENSITIES = [
    pytest.param(("--x", "0", "1", "1e-300"), _assignment_log_density("0", "1", "1e-300"), id="x3=1e-300"),
    pytest.param(("--x", "0", "1", "5e-324"), _assignment_log_density("0", "1", "5e-324"), id="x3=5e-324"),
    pytest.param(("--x", "0", "1", "1e-160"), _assignment_log_density("0", "1", "1e-160"), id="x3=1e-160"),
    pytest.param(("--x", "-100", "1e-40", "1"), _assignment_log_density("-100", "1e-40", "1"), id="x1=-100"),
    pytest.param(("--x", "-1e7", "0", "1"), _assignment_log_density("-1e7", "0", "1"), id="x1=-1e7"),
    pytest.param(("--transform", "exp(z1)", "--x", "0.5"), _log_density_1d(mpmath.log, "0.5"), id="exp-0.5"),
    pytest.param(("--transform", "exp(z1)", "--x", "0.25"), _log_density_1d(mpmath.log, "0.25"), id="exp-0.25"),
    pytest.param(("--transform", "exp(z1)", "--x", "0.1"), _log_density_1d(mpmath.log, "0.1"), id="exp-0.1"),
    pytest.param(("--transform", "tanh(z1)", "--x", "0.5"), _log_density_1d(mpmath.atanh, "0.5"), id="tanh-0.5"),
    pytest.param(("--transform", "sigmoid(z1)", "--x", "0.5"),
                 _log_density_1d(lambda x: mpmath.log(x / (1 - x)), "0.5"), id="sigmoid-0.5"),
    pytest.param(("--transform", "arcsinh(z1)"), _log_density_1d(mpmath.sinh, "0"), id="arcsinh-0"),
    pytest.param(("--transform", "log(1e300)*z1"), _log_density_1d(lambda x: x / mpmath.log(mpmath.mpf("1e300")), "0"),
                 id="log(1e300)*z1"),
]


@pytest.mark.parametrize("args, expected", LOG_DENSITIES)
def test_valid_question_gets_the_right_log_density(args, expected, run):
    """A point or a map the issue found refused, failed or crashed: answered, and the answer is right."""
    result = run(["flow-density", *args, "--format", "json"])
    assert result.exit_code == 0, (result.stdout[-500:], result.stderr)
    log_density = strict_json(result.stdout)["result"]["log_density"]
    assert isinstance(log_density, float) and math.isfinite(log_density), log_density
    assert log_density == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_nested_cube_roots_have_density_zero_at_the_origin(run):
    """x = z^(1/9): z = x^9 and dz/dx = 9x^8 vanishes at 0, so p_X(0) = 0 and log p_X(0) = −∞, said as such."""
    result = run(["flow-density", "--transform", "cbrt(cbrt(z1))", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    answer = strict_json(result.stdout)["result"]
    assert answer["density"] == 0.0
    assert answer["log_density"] == "-Infinity"


def test_far_apart_generator_gets_the_exact_optimal_discriminator(run):
    """p_data = N(0, 1), p_g = N(10^6, 1): log(p_g/p_data)(x) = 10^6·x − 5·10^11, so D* is 1, 1/2 and
    e^(−5·10^11) (0 in float64) at 0, 5·10^5 and 10^6, and the JSD is log 2 less e^(−1.25·10^11)."""
    result = run(["gan-optimal", "--gen", "normal(1e6,1)", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    answer = strict_json(result.stdout)["result"]
    with mpmath.workdps(50):
        points = [mpmath.mpf(p) for p in answer["points"]]
        expected = [float(1 / (1 + mpmath.exp(10**6 * p - 5 * 10**11))) for p in points]
    assert [float(p) for p in points] == [0.0, 5e5, 1e6]
    assert answer["d_star"] == pytest.approx(expected, abs=1e-15)
    assert answer["jsd"] == pytest.approx(math.log(2), rel=1e-12)


def test_huge_determinant_is_answered(run):
    """vpnf-bound --det 1e308: a valid constant |det|; answered (exit 0) in strict JSON, the constant echoed."""
    result = run(["vpnf-bound", "--det", "1e308", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    answer = strict_json(result.stdout)["result"]
    assert float(answer["det"]) == 1e308


# --------------------------------------------------------------------------- hostile strings, no evaluation


def _text_options():
    for name, command in _commands().items():
        for param in command.params:
            if not param.opts or param.is_flag or param.opts[0] in ("--help", "--format", "--plot", "--input", "--output"):
                continue
            yield name, param


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda s: repr(s[:24]))
def test_hostile_strings_are_refused_by_every_option(hostile):
    runner = CliRunner()
    for name, param in _text_options():
        argv = [name, param.opts[0], *([hostile] * max(1, param.nargs))]
        start = time.perf_counter()
        result = runner.invoke(app, argv)
        elapsed = time.perf_counter() - start
        found = problems(Case(tuple(argv)), _outcome(result, elapsed), CASE_TIME_LIMIT)
        assert not found, (found, argv[:3], result.stdout[-300:], result.stderr)
        assert result.exit_code == 2, (argv[:3], result.stdout[-300:], result.stderr)
        assert elapsed < 5, (argv[:3], elapsed)  # refused at once, not after evaluating


def _outcome(result, elapsed) -> Outcome:
    return Outcome(result.exit_code, result.stdout, result.stderr, elapsed, cpu=elapsed)


def test_no_code_is_executed(tmp_path, monkeypatch):
    """A payload that would create a file if any text reached Python's evaluator."""
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    runner = CliRunner()
    for name, param in _text_options():
        runner.invoke(app, [name, param.opts[0], *([payload] * max(1, param.nargs))])
    assert not marker.exists()


def test_json_checker_refuses_bare_nan_and_infinity():
    """The fuzz's JSON check is strict: Python's json would accept these tokens."""
    for text in ('{"a": NaN}', '{"a": Infinity}', '[-Infinity]'):
        assert json.loads(text) is not None
        with pytest.raises(ValueError):
            strict_json(text)
