"""The disk cache of input-independent results (dgm_cli.cache): faster, never wrong, never failing."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from dgm_cli import cache

calls: list[int] = []


def expensive(n: int = 3) -> tuple:
    """Stands for an input-independent SymPy computation; counts its calls."""
    import sympy

    calls.append(n)
    x = sympy.Symbol("x", positive=True)
    return (sympy.integrate(sympy.exp(-n * x), (x, 0, sympy.oo)), n)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    calls.clear()
    return tmp_path / "cache"


def test_computed_once_then_read_from_disk(folder):
    import sympy

    first = cache.disk_cached(expensive)
    assert first() == first() == (sympy.Rational(1, 3), 3)
    assert len(calls) == 1  # the in-memory cache answers the second call
    files = list(folder.rglob("*.pickle"))
    assert len(files) == 1 and cache.fingerprint() in str(files[0])
    # A new process: a fresh wrapper reads the file instead of computing.
    second = cache.disk_cached(expensive)
    assert second() == (sympy.Rational(1, 3), 3)
    assert len(calls) == 1
    # Arguments are part of the key.
    assert second(4) == (sympy.Rational(1, 4), 4) and calls == [3, 4]


def test_damaged_file_is_recomputed_and_replaced(folder):
    cache.disk_cached(expensive)()
    (path,) = folder.rglob("*.pickle")
    path.write_bytes(b"\x80\x05 not a pickle")
    again = cache.disk_cached(expensive)()
    assert len(calls) == 2 and again[1] == 3
    assert pickle.loads(path.read_bytes()) == again


def test_unwritable_folder_falls_back_to_computing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))
    calls.clear()
    assert cache.disk_cached(expensive)()[1] == 3
    assert cache.disk_cached(expensive)()[1] == 3
    assert len(calls) == 2  # nothing could be kept, and nothing failed


def test_switched_off_by_an_empty_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_folder() is None
    cache.disk_cached(expensive)()
    assert not any(tmp_path.iterdir())


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_folder() == tmp_path / "dgm"


def _run(args, cache_dir):
    env = {**os.environ, cache.CACHE_ENV: str(cache_dir)}
    return subprocess.run([sys.executable, "-m", "dgm_cli", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("args", [["gan-vanishing", "--logits", "-1,-5", "--json"], ["vpnf-bound", "--json"],
                                  ["gan-optimal", "--json", "--samples", "1000"]])
def test_cold_warm_and_unwritable_runs_print_the_same(tmp_path, args):
    cold = _run(args, tmp_path / "cache")
    warm = _run(args, tmp_path / "cache")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    unwritable = _run(args, blocker / "cache")
    assert cold.returncode == warm.returncode == unwritable.returncode == 0, cold.stderr + unwritable.stderr
    assert cold.stdout == warm.stdout == unwritable.stdout
    assert cold.stderr == warm.stderr == unwritable.stderr
