"""`dllint probe` as a user runs it: the script sees what `python SCRIPT ARGS` would give it, its
output comes first and untouched, and the report follows in `check`'s formats and exit codes."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import run_cli

pytest.importorskip("torch")

from dllint.commands.check import CheckRequest  # noqa: E402
from dllint.commands.probe import TORCH_MISSING, ProbeRequest, run_probe  # noqa: E402

TRAIN = """
import os
import sys

import helper
import torch
from torch import nn

print("argv", sys.argv[1:], "name", __name__, "cwd", os.getcwd() == helper.HERE, "path0", sys.path[0] == helper.HERE)
torch.set_num_threads(1)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
optimizer = torch.optim.SGD(model[0].parameters(), lr=0.1)
for step in range(int(sys.argv[2])):
    x = torch.randn(8, 4)
    loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print("step", step)
"""


HELPER = "import os\nHERE = os.path.dirname(os.path.abspath(__file__))\n"


def _project(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_script_runs_as_python_would_and_the_report_follows(tmp_path):
    _project(tmp_path, {"train.py": TRAIN, "helper.py": HELPER})
    done = run_cli(["probe", "--format", "json", "--steps", "3", "train.py", "--epochs", "10"], tmp_path)
    assert done.returncode == 1, done.stderr
    start = done.stdout.index("\n[") + 1  # the script's own lines, then the JSON report
    assert done.stdout[:start].splitlines() == [
        "argv ['--epochs', '10'] name __main__ cwd True path0 True", "step 0", "step 1"]
    (finding,) = json.loads(done.stdout[start:])
    assert finding["code"] == "DL910" and finding["name"] == "parameter-not-in-optimizer"
    assert (finding["path"], finding["line"], finding["column"], finding["severity"]) == ("train.py", 12, 13, "warning")
    assert "`2.weight`, `2.bias`" in finding["message"]


def test_arguments_after_a_double_dash_and_report_to_a_file(tmp_path):
    _project(tmp_path, {"train.py": TRAIN, "helper.py": HELPER})
    done = run_cli(["probe", "-o", "report.txt", "--exit-zero", "train.py", "--", "--epochs", "4"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "argv ['--epochs', '4'] name __main__ cwd True path0 True"
    assert done.stdout.splitlines()[-1] == "step 3"
    assert (tmp_path / "report.txt").read_text().startswith("train.py:12:13: DL910 ")


def _probe_here(tmp_path, monkeypatch, **request) -> int:
    """`run_probe` in this process (torch is already imported here); the CLI parsing is tested above."""
    monkeypatch.chdir(tmp_path)
    return run_probe(ProbeRequest("train.py", report=CheckRequest(["train.py"], **request)))


def test_crashing_script_still_gets_its_report_and_exit_2(tmp_path, monkeypatch, capsys):
    _project(tmp_path, {"train.py": """
        import torch
        from torch import nn

        model = nn.Linear(20, 10)
        labels = torch.arange(1, 11).repeat(4)
        loss = nn.functional.cross_entropy(model(torch.randn(40, 20)), labels)
        """})
    assert _probe_here(tmp_path, monkeypatch) == 2
    out, err = capsys.readouterr()
    assert out.startswith("train.py:7:8: DL915 cross_entropy targets range from 1 to 10")
    assert "IndexError: Target 10 is out of bounds." in err
    assert "dllint: error: the script raised IndexError" in err


def test_settings_and_suppression_comments_apply(tmp_path, monkeypatch, capsys):
    _project(tmp_path, {
        "pyproject.toml": '[tool.dllint]\nignore = ["DL912"]\n',
        "train.py": """
        import torch
        from torch import nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Linear(6, 2)
                self.aux = nn.Linear(6, 2)  # dllint: ignore[DL909] used by the eval script

            def forward(self, x):
                return self.body(x)


        model = Net()
        optimizer = torch.optim.SGD(model.parameters(), lr=50.0)
        for step in range(12):
            x = torch.randn(16, 6)
            loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        """})
    assert _probe_here(tmp_path, monkeypatch) == 0
    assert capsys.readouterr().out == ""
    # As with `check`, `--select` replaces the settings' selection and their `ignore` still applies.
    assert _probe_here(tmp_path, monkeypatch, select=("DL912",), format="json") == 0
    assert json.loads(capsys.readouterr().out) == []
    (tmp_path / "pyproject.toml").unlink()
    assert _probe_here(tmp_path, monkeypatch, select=("DL912",), format="json") == 1
    assert [f["code"] for f in json.loads(capsys.readouterr().out)] == ["DL912"]
    assert _probe_here(tmp_path, monkeypatch, config_file="other.toml") == 2
    assert "other.toml: no such settings file" in capsys.readouterr().err


def test_invalid_rule_option_is_dl003(tmp_path):
    _project(tmp_path, {"pyproject.toml": "[tool.dllint.rules.DL912]\nbogus = 1\n", "train.py": "print('never')\n"})
    done = run_cli(["probe", "train.py"], tmp_path)
    assert done.returncode == 2 and "DL003" in done.stderr and "never" not in done.stdout


def test_missing_torch_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # what find_spec sees without torch
    assert run_probe(ProbeRequest(str(tmp_path / "train.py"))) == 2
    assert capsys.readouterr().err == f"dllint: error: {TORCH_MISSING}\n"
