"""Nothing lost, nothing hung, no NaN, no internal error: files, pipes, signals, encodings and batch input.

Each test pins one finding of a hostile and fault-injection run. Those that concern signals, pipes, file sizes
or encodings run the installed command in a subprocess.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import strict_json
from dgm_cli.errors import ExitStatus

DGM = [sys.executable, "-m", "dgm_cli"]


def dgm(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*DGM, *args], capture_output=True, text=True, timeout=timeout, **kwargs)


def _limit_file_size(kib: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))

    return limit


# --------------------------------------------------------------------------- 1. data loss


@pytest.mark.parametrize("args", [["report", "-o"], ["vpnf-bound", "--plot"]], ids=["report -o", "--plot"])
def test_a_failed_write_leaves_the_existing_file_as_it_was(tmp_path, args):
    if args[0] == "vpnf-bound":
        pytest.importorskip("matplotlib")
    target = tmp_path / ("big.md" if args[0] == "report" else "keep.png")
    original = os.urandom(70_000)
    target.write_bytes(original)
    completed = subprocess.run([*DGM, *args, str(target)], capture_output=True, text=True, timeout=120,
                               preexec_fn=_limit_file_size(8))
    assert completed.returncode == ExitStatus.OUTPUT_ERROR, completed.stderr
    assert target.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no partial or temporary file left
    assert "nothing was changed" in completed.stderr and len(completed.stderr.strip().splitlines()) == 1 + (
        completed.stderr.count("warning"))


def test_a_successful_write_replaces_the_file_whole(run, tmp_path):
    target = tmp_path / "solution.md"
    target.write_text("old")
    assert run(["report", "--no-checks", "-o", str(target)]).exit_code == 0
    assert target.read_text().startswith("# Deep Generative Models")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solution.md"]


@pytest.mark.parametrize("path", ["/proc/x.png", "x" * 300 + ".png", "missing-folder/p.png"])
def test_an_unwritable_plot_path_is_refused_before_any_work(run, monkeypatch, tmp_path, path):
    pytest.importorskip("matplotlib")
    import dgm_cli.solvers.vpnf as vpnf

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(vpnf, "solve", lambda *a, **k: pytest.fail("the solver ran before the path was checked"))
    result = run(["vpnf-bound", "--plot", path])
    assert result.exit_code == 2 and "--plot" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 200


def test_an_unwritable_report_path_is_refused_before_any_work(run, monkeypatch):
    import dgm_cli.solvers.flow as flow

    monkeypatch.setattr(flow, "solve", lambda *a, **k: pytest.fail("the solver ran before the path was checked"))
    result = run(["report", "-o", "/proc/solution.md"])
    assert result.exit_code == 2 and "--output" in result.stderr


# --------------------------------------------------------------------------- 2. NaN and invalid JSON


def test_batch_writers_spell_undefined_values_and_booleans():
    from dgm_cli.batch import _format_rows

    record = {"x": np.array([[1.0, np.nan], [2.0, 3.0]]), "p": np.array([np.inf, np.nan]),
              "defined": np.array([True, False])}
    jsonl = _format_rows(record, "jsonl").splitlines()
    assert [strict_json(line) for line in jsonl] == [
        {"x": [1.0, None], "p": "Infinity", "defined": True}, {"x": [2.0, 3.0], "p": None, "defined": False}]
    csv_rows = _format_rows(record, "csv").splitlines()
    assert csv_rows == ["1.0,,inf,true", "2.0,3.0,,false"]
    assert "nan" not in _format_rows(record, "plain").lower()


# --------------------------------------------------------------------------- 6. signals, pipes, messages


def test_a_reader_that_closes_the_pipe_early_is_not_an_error(tmp_path):
    points = tmp_path / "points.txt"
    points.write_text("".join(f"{i}\n" for i in range(300_000)))
    for args in (["--help"], ["gan-vanishing", "--input", str(points)], ["vpnf-bound", "--format", "json"]):
        process = subprocess.Popen([*DGM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.read(10)
        process.stdout.close()
        process.wait(timeout=120)
        assert process.returncode == 0, (args, process.stderr.read())
        assert b"Traceback" not in process.stderr.read()


def test_ctrl_c_says_interrupted_and_never_closes_an_unfinished_json_array(tmp_path):
    points = tmp_path / "points.txt"
    rng = np.random.default_rng(0)
    np.savetxt(points, rng.uniform(0.1, 1.0, size=(2_000_000, 3)))
    out = tmp_path / "out.json"
    with open(out, "w") as handle:
        process = subprocess.Popen([*DGM, "flow-density", "--input", str(points), "--format", "json"], stdout=handle,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while out.stat().st_size < 100_000 and time.monotonic() < deadline:  # rows are being written
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == ExitStatus.INTERRUPTED
    assert err.strip().endswith("interrupted") and len(err.strip().splitlines()) == 1
    text = out.read_text()
    assert text.startswith("[") and not text.rstrip().endswith("]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


@pytest.mark.parametrize("content", ["\ufeff0 1 1\n1 2 3\n", "0 1 1\r1 2 3\r", "0 1 1\r\n1 2 3\r\n"],
                         ids=["byte-order mark", "CR", "CRLF"])
def test_byte_order_marks_and_any_line_ending_from_a_file_and_stdin(tmp_path, content):
    path = tmp_path / "points.txt"
    path.write_bytes(content.encode("utf-8"))
    from_file = dgm("flow-density", "--input", str(path), "--format", "jsonl")
    from_stdin = subprocess.run([*DGM, "flow-density", "--input", "-", "--format", "jsonl"], input=content.encode(),
                                capture_output=True, timeout=60)
    assert from_file.returncode == 0 and from_stdin.returncode == 0, from_file.stderr
    assert from_file.stdout.encode() == from_stdin.stdout
    rows = [strict_json(line) for line in from_file.stdout.splitlines()]
    assert [r["x"] for r in rows] == [[0.0, 1.0, 1.0], [1.0, 2.0, 3.0]]


def test_no_python_or_numpy_warning_reaches_the_user():
    empty = subprocess.run([*DGM, "flow-density", "--input", "-"], input="", capture_output=True, text=True,
                           timeout=60)
    assert empty.returncode == 0 and empty.stderr == ""
    overflow = dgm("gan-vanishing", "--logits", "-1e300,1e300", "--format", "json")
    assert "Warning" not in overflow.stderr and ".py" not in overflow.stderr


def test_dgm_alone_prints_the_help_and_succeeds():
    completed = dgm()
    assert completed.returncode == 0 and "flow-density" in completed.stdout and completed.stderr == ""


@pytest.mark.parametrize("columns", ["1", "100000", "abc"])
def test_an_absurd_terminal_width_is_clamped(columns):
    env = {**os.environ, "COLUMNS": columns, "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
    completed = dgm("gan-vanishing", "--logits", "-1", "--format", "rich", env=env)
    assert completed.returncode == 0
    assert len(completed.stdout) < 200_000
    assert "mean_grad_saturating" in completed.stdout
    assert max(len(line) for line in completed.stdout.splitlines()) < 400


@pytest.mark.parametrize(
    "args",
    [["flow-density", "--x", "0", "1", "1"], ["gan-optimal", "--x", "0"], ["gan-vanishing", "--logits", "-1"],
     ["gan-optimal", "--plot", "p.png"]],
    ids=["flow --x", "gan-optimal --x", "--logits", "--plot"],
)
def test_options_that_batch_mode_would_ignore_are_refused(run, args):
    result = run([*args, "--input", "-"], input="0\n")
    assert result.exit_code == 2 and "does not apply to batch mode" in result.stderr


# --------------------------------------------------------------------------- 4. output faults and encodings


@pytest.mark.parametrize("args", [["--help"], ["flow-density"], ["gan-vanishing", "--logits", "-1", "--json"]])
def test_a_full_disk_on_stdout_is_one_line_and_exit_74(args):
    with open("/dev/full", "w") as full:
        completed = subprocess.run([*DGM, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert completed.returncode == ExitStatus.OUTPUT_ERROR
    errors = [line for line in completed.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "stdout" in errors[0] and "No space left" in errors[0]
    assert "Traceback" not in completed.stderr and "internal error" not in completed.stderr


def test_a_closed_stdout_is_one_line_and_exit_74():
    completed = subprocess.run([*DGM, "flow-density"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               timeout=60, close_fds=True, preexec_fn=lambda: os.close(1))
    assert completed.returncode == ExitStatus.OUTPUT_ERROR
    assert "stdout" in completed.stderr and len(completed.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", [["--help"], ["flow-density"], ["vpnf-bound"], ["gan-optimal", "--samples", "0"],
                                  ["gan-vanishing", "--logits", "-1,-5", "--sweep"], ["flow-density", "--help"]])
def test_a_non_unicode_terminal_gets_ascii_notation(encoding, args):
    completed = subprocess.run([*DGM, *args], capture_output=True, timeout=120,
                               env={**os.environ, "PYTHONIOENCODING": encoding})
    assert completed.returncode == 0, completed.stderr.decode(encoding, "replace")
    assert b"Traceback" not in completed.stderr and b"internal error" not in completed.stderr
    if args[-1] != "--help":  # Rich's help replaces what it cannot encode; the derivation spells ASCII itself
        assert completed.stdout.isascii()
        assert completed.stderr.isascii()
        assert b"Result" in completed.stdout


def test_an_internal_error_is_one_line_and_exit_70(run, monkeypatch):
    import dgm_cli.solvers.gan_vanishing as vanishing

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(vanishing, "solve", broken)
    result = run(["gan-vanishing", "--logits", "-1"])
    assert result.exit_code == ExitStatus.INTERNAL_ERROR == 70
    assert "internal error" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- 3. batch input of any size


def test_an_overlong_line_is_a_bad_line_read_without_holding_it(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("0 1 1\n" + "1" * 2_000_000 + "\n0 1 0.5\n")
    stopped = dgm("flow-density", "--input", str(path), "--format", "jsonl")
    assert stopped.returncode == 2 and "line 2: longer than 1,000,000 characters" in stopped.stderr
    assert len(stopped.stdout.splitlines()) == 1  # the row before the bad line was written
    skipped = dgm("flow-density", "--input", str(path), "--format", "jsonl", "--skip-bad")
    assert skipped.returncode == 0 and len(skipped.stdout.splitlines()) == 2


def test_an_unreadable_input_is_refused(run):
    result = run(["flow-density", "--input", "/proc/self/mem"])
    assert result.exit_code == 2 and "--input" in result.stderr and "cannot read" in result.stderr


def test_numbers_beyond_float64_are_bad_lines_even_when_skipped(run):
    result = run(["flow-density", "--input", "-", "--format", "jsonl", "--skip-bad"], input="0 1 1e309\n0 1 1\n")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1
    assert "beyond float64" in result.stderr
    word = run(["flow-density", "--input", "-"], input="foo\n")
    assert word.exit_code == 2 and "'foo' is not a number" in word.stderr


def test_dash_output_is_stdout(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(["report", "--no-checks", "--format", "plain", "-o", "-"])
    assert result.exit_code == 0 and "Problem 1" in result.stdout
    assert not Path("-").exists()


def test_an_endless_line_stops_the_run_at_once_in_bounded_memory():
    completed = subprocess.run([*DGM, "flow-density", "--input", "/dev/zero"], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 2 and "line 1: longer than 1,000,000 characters" in completed.stderr
