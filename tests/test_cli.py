"""The CLI as a user drives it: real subprocesses, real exit codes, real output."""

from __future__ import annotations

import json
import re
import sys

from click.testing import CliRunner
from conftest import REPO, run_cli

from dllint.cli import main

BROKEN = "import torch\n\ndef train(model:\n    pass\n"


def _project(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_clean_project_exits_zero_and_prints_nothing(tmp_path):
    _project(tmp_path, {"train.py": "import torch\n"})
    result = run_cli(["check", "."], tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_findings_exit_one_in_concise_format(tmp_path):
    _project(tmp_path, {"train.py": BROKEN})
    result = run_cli(["check", "."], tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("train.py:3:")
    assert " DL001 " in result.stdout


def test_exit_zero_and_fail_on(tmp_path):
    _project(tmp_path, {"train.py": "import torch\nx = 1  # dllint: ignore[DL999]\n"})
    assert run_cli(["check", "."], tmp_path).returncode == 1  # DL004 is a warning
    assert run_cli(["check", ".", "--fail-on", "error"], tmp_path).returncode == 0
    assert run_cli(["check", ".", "--exit-zero"], tmp_path).returncode == 0


def test_unknown_code_is_a_usage_error(tmp_path):
    _project(tmp_path, {"train.py": "import torch\n"})
    result = run_cli(["check", ".", "--select", "DL999"], tmp_path)
    assert result.returncode == 2
    assert "DL003" in result.stderr and "DL999" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_settings_name_file_and_line(tmp_path):
    settings = "[project]\nname = 'x'\n\n[tool.dllint]\nselect = ['DL0']\nfail_fast = true\n"
    _project(tmp_path, {"pyproject.toml": settings,
                        "train.py": "import torch\n"})
    result = run_cli(["check", "."], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("pyproject.toml:6:1: DL003 unknown settings key 'fail_fast'")


def test_missing_path_is_one_line_error(tmp_path):
    result = run_cli(["check", "no/such/dir"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "dllint: error: no/such/dir: no such file or directory"


def test_output_file_keeps_stdout_empty(tmp_path):
    _project(tmp_path, {"train.py": BROKEN})
    result = run_cli(["check", ".", "--format", "json", "--output-file", "report.json"], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    report = json.loads((tmp_path / "report.json").read_text())
    assert [(f["path"], f["line"], f["code"]) for f in report] == [("train.py", 3, "DL001")]


def test_statistics(tmp_path):
    _project(tmp_path, {"a.py": BROKEN, "b.py": BROKEN})
    result = run_cli(["check", ".", "--statistics"], tmp_path)
    assert re.search(r"^\s*2\s+DL001\s+syntax-error\s*$", result.stdout, re.M)


def test_select_ignore_by_prefix_and_name(tmp_path):
    _project(tmp_path, {"train.py": BROKEN})
    assert run_cli(["check", ".", "--ignore", "syntax-error"], tmp_path).stdout == ""
    assert run_cli(["check", ".", "--select", "DL0"], tmp_path).returncode == 1
    assert run_cli(["check", ".", "--select", "DL0", "--ignore", "DL001"], tmp_path).returncode == 0


def test_per_file_ignores_and_exclude_from_settings(tmp_path):
    _project(tmp_path, {
        "dllint.yaml": "per-file-ignores:\n  'legacy/*.py': [DL001]\nexclude: ['vendor/']\n",
        "legacy/old.py": BROKEN, "vendor/lib.py": BROKEN, "train.py": BROKEN,
    })
    result = run_cli(["check", "."], tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["train.py"]


def test_gitignore_is_respected(tmp_path):
    _project(tmp_path, {".gitignore": "generated/\n*_tmp.py\n", "generated/x.py": BROKEN,
                        "scratch_tmp.py": BROKEN, "ok.py": "x = 1\n"})
    (tmp_path / ".git").mkdir()
    assert run_cli(["check", "."], tmp_path).stdout == ""


def test_suppressions_in_python_yaml_and_toml(tmp_path):
    _project(tmp_path, {
        "train.py": "# dllint: ignore-file[DL001]\ndef f(:\n",
        "configs/a.yaml": "# dllint: ignore-file[DL002]\nlr: [1, 2\n",
        "configs/b.toml": "# dllint: ignore-file[DL002]\nlr = = 1\n",
    })
    result = run_cli(["check", "."], tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_rule_and_rules_commands(tmp_path):
    page = run_cli(["rule", "DL001"], tmp_path)
    assert page.returncode == 0 and page.stdout.startswith("# DL001: syntax-error")
    assert run_cli(["rule", "syntax-error"], tmp_path).stdout == page.stdout
    assert run_cli(["rule", "DL999"], tmp_path).returncode == 2
    listing = json.loads(run_cli(["rules", "--format", "json"], tmp_path).stdout)
    assert {"DL001", "DL004"} <= {r["code"] for r in listing}


def test_check_never_imports_torch_or_probes(tmp_path):
    _project(tmp_path, {"train.py": "import torch\nimport torch.nn as nn\nmodel = nn.Linear(2, 2)\n"})
    code = (
        "import sys\n"
        "from dllint.commands.check import CheckRequest, run_check\n"
        "run_check(CheckRequest(paths=['.'], use_cache=False))\n"
        "leaked = [m for m in sys.modules if m == 'torch' or m.startswith(('torch.', 'dllint.probes'))]\n"
        "print('LEAKED', leaked, file=sys.stderr)\n"
    )
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert "LEAKED []" in result.stderr


def test_crashing_rule_keeps_other_findings_and_exits_two(tmp_path, monkeypatch):
    from dllint.engine.registry import all_rules

    class Boom(Exception):
        pass

    def explode(self, node, module):
        raise Boom("deliberate")

    rule = all_rules()["DL004"]
    monkeypatch.setattr(rule, "visit_Call", explode, raising=False)
    _project(tmp_path, {"a.py": BROKEN, "b.py": "print(1)\n"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--no-cache", "-j", "1"])
    assert result.exit_code == 2
    assert "a.py:3:" in result.stdout  # DL001 survived
    assert "rule DL004 (unused-suppression) failed on b.py: Boom: deliberate" in result.stderr


def test_problem_matcher_regex_in_readme_matches_real_output(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(\{\s*\"problemMatcher\".*?)```", readme, re.S)
    assert block, "README must ship a VS Code problemMatcher"
    matcher = json.loads(block.group(1))["problemMatcher"]
    pattern = matcher["pattern"] if isinstance(matcher, dict) else matcher[0]["pattern"]
    regex = re.compile(pattern["regexp"])
    _project(tmp_path, {"src/train.py": BROKEN})
    lines = run_cli(["check", ".", "--format", "concise"], tmp_path).stdout.splitlines()
    assert lines
    for line in lines:
        match = regex.match(line)
        assert match, line
        assert match.group(pattern["file"]) == "src/train.py"
        assert match.group(pattern["line"]) == "3"
        assert match.group(pattern["code"]) == "DL001"


def test_progress_bar_on_a_terminal_only(tmp_path):
    import os
    import pty
    import subprocess

    for i in range(210):
        (tmp_path / f"m{i}.py").write_text("x = 1\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "dllint", "check", ".", "--no-cache"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 0 and stdout == b""
    assert b"210" in shown  # "n/210" from the bar on the terminal
    quiet = run_cli(["check", ".", "--no-cache"], tmp_path)  # stderr is a pipe here: no bar
    assert quiet.stderr == ""
