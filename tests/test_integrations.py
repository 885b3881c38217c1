"""The integrations, for real: pre-commit runs our hooks; CLI SARIF validates against the schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

BROKEN = "import torch\n\ndef train(model:\n    pass\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _git_repo(path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)


def _pre_commit(tmp_path: Path, repo: Path, hook: str):
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if exe is None:
        pytest.fail("pre-commit is a dev dependency: pip install -e '.[dev]'")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    return subprocess.run([exe, "try-repo", str(REPO), hook, "--all-files", "--verbose"], cwd=repo,
                          capture_output=True, text=True, env=env, timeout=600)


def test_pre_commit_runs_both_hooks(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    _git_repo(bad, {"train.py": BROKEN, ".pre-commit-config.yaml": "repos: []\n"})
    result = _pre_commit(tmp_path, bad, "dllint")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "train.py:3:10: DL001" in result.stdout
    project = _pre_commit(tmp_path, bad, "dllint-project")
    assert project.returncode == 1 and "train.py:3:10: DL001" in project.stdout
    good = tmp_path / "good"
    good.mkdir()
    _git_repo(good, {"train.py": "import torch\n"})
    assert _pre_commit(tmp_path, good, "dllint").returncode == 0


def test_cli_sarif_is_valid(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    (tmp_path / "train.py").write_text(BROKEN)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "a.yaml").write_text("lr: [1\n")
    result = run_cli(["check", ".", "--format", "sarif"], tmp_path)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    schema = json.loads((REPO / "tests/data/sarif-schema-2.1.0.json").read_text())
    # The published file keeps the root object under definitions/Root.
    jsonschema.Draft7Validator({**schema, "$ref": "#/definitions/Root"}).validate(log)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"DL001", "DL002"}
