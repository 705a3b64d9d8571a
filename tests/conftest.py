"""Shared fixtures: drive the CLI in-process with Typer's CliRunner, stdout and stderr apart."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from dgm_cli.cli import app

# Property tests draw the same examples on every run, so CI is deterministic;
# DGM_HYPOTHESIS=random explores new ones.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("random", derandomize=False)
settings.load_profile("random" if os.environ.get("DGM_HYPOTHESIS") == "random" else "deterministic")

# The disk cache of input-independent results (dgm_cli.cache) in a folder of this run's own, shared by the
# subprocesses the tests start: the user's cache is neither read nor written.
os.environ["DGM_CACHE_DIR"] = tempfile.mkdtemp(prefix="dgm-test-cache-")
atexit.register(shutil.rmtree, os.environ["DGM_CACHE_DIR"], ignore_errors=True)


def strict_json(text: str):
    """Parse JSON, refusing the bare NaN/Infinity tokens that Python's json accepts by default."""

    def refuse(token: str):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def run():
    """run(args, input=None) -> Result with .exit_code, .stdout, .stderr."""
    runner = CliRunner()

    def invoke(args: list[str], input: str | None = None):
        return runner.invoke(app, args, input=input)

    return invoke
