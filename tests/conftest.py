import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # Tests never touch the user's real cache.
    monkeypatch.setenv("DLLINT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "dllint-cache"))


def run_cli(args, cwd, env=None, input=None):
    """Drive the installed CLI as a user would: a subprocess, real stdout/stderr/exit code."""
    import subprocess

    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "dllint", *args], cwd=cwd, capture_output=True,
                          text=True, env=full_env, input=input, timeout=120)
