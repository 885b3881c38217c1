"""DL702-DL705 on project trees built here: with and without git, ignored, tracked, excluded."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_layout import make

from dllint.engine.runner import lint
from dllint.engine.settings import Settings, from_mapping, with_overrides
from dllint.facts import artifacts


def found(root: Path, code: str, **settings) -> list[tuple[str, int, str]]:
    base = from_mapping(settings, root=root) if settings else Settings(root=root)
    outcome = lint(["."], root, with_overrides(base, select=(code,), ignore=()))
    assert outcome.errors == []
    return [(d.path, d.location.line, d.message) for d in outcome.diagnostics]


def paths(root: Path, code: str, **settings) -> list[str]:
    return [path for path, _, _ in found(root, code, **settings)]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


PROJECT = {"requirements.txt": "torch\n", "train.py": "import torch\n"}


# ---- DL702: artifacts ------------------------------------------------------------------------

def test_plain_directory_reports_artifacts_nothing_ignores(tmp_path):
    make(tmp_path, {**PROJECT, "checkpoints/best.pt": b"PK\x03\x04", "export/model.onnx": b"\x08",
                    "runs/a/events.out.tfevents.1.host": b"\x00"})
    assert paths(tmp_path, "DL702") == ["checkpoints/best.pt", "export/model.onnx",
                                        "runs/a/events.out.tfevents.1.host"]
    (_, line, message), *_ = found(tmp_path, "DL702")
    assert line == 1 and "the first `git add .` will commit it" in message


def test_ignored_artifacts_are_silent_whichever_gitignore_covers_them(tmp_path):
    make(tmp_path, {**PROJECT, ".gitignore": "*.pt\n", "checkpoints/best.pt": b"PK",
                    "exports/.gitignore": "*\n", "exports/model.onnx": b"\x08"})
    assert paths(tmp_path, "DL702") == []


def test_tracked_artifacts_are_reported_even_once_ignored(tmp_path):
    make(tmp_path, {**PROJECT, "checkpoints/best.pt": b"PK", "weights/backbone.safetensors": b"{}"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "checkpoints/best.pt", "weights/backbone.safetensors")
    (tmp_path / ".gitignore").write_text("checkpoints/\nweights/\n")
    result = found(tmp_path, "DL702")
    assert [p for p, _, _ in result] == ["checkpoints/best.pt", "weights/backbone.safetensors"]
    assert "tracked by git" in result[0][2] and "`git rm --cached`" in result[0][2]


def test_in_git_every_ignore_source_counts_and_untracked_files_are_about_to_be_added(tmp_path):
    make(tmp_path, {**PROJECT, "model.ckpt": b"PK", "best.pth": b"PK"})
    git(tmp_path, "init", "-q")
    (tmp_path / ".git" / "info" / "exclude").write_text("*.ckpt\n")
    (result,) = found(tmp_path, "DL702")
    assert result[0] == "best.pth" and "`git add .` will commit it" in result[2]


def test_git_lfs_files_are_versioned_the_intended_way(tmp_path):
    make(tmp_path, {**PROJECT, ".gitattributes": "*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
                    "model.safetensors": "version https://git-lfs.github.com/spec/v1\n", "other.pt": b"PK",
                    "weights/.gitattributes": "*.pth filter=lfs diff=lfs merge=lfs -text\n",
                    "weights/backbone.pth": "version https://git-lfs.github.com/spec/v1\n"})
    # Without git, the root .gitattributes is read; a nested one is git's to apply.
    assert paths(tmp_path, "DL702") == ["other.pt", "weights/backbone.pth"]
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    assert paths(tmp_path, "DL702") == ["other.pt"]


def test_many_artifacts_in_one_directory_make_one_finding(tmp_path):
    make(tmp_path, {**PROJECT, **{f"checkpoints/epoch_{i}.pt": b"PK" for i in range(12)},
                    **{f"wandb/run-{i}/files/output.log": "loss 0.1\n" for i in range(5)},
                    "lightning_logs/version_0/hparams.yaml": "lr: 0.1\n"})
    result = found(tmp_path, "DL702")
    assert [p for p, _, _ in result] == ["checkpoints/epoch_0.pt", "lightning_logs/version_0/hparams.yaml",
                                         "wandb/run-0/files/output.log"]
    assert "`checkpoints/` holds 12 model weights files (`epoch_0.pt`, `epoch_1.pt`, `epoch_10.pt`, ...)" \
        in result[0][2]
    assert "`lightning_logs/version_0/hparams.yaml` is an experiment log" in result[1][2]
    assert "`wandb/` holds 5 experiment log files" in result[2][2]
    assert len(found(tmp_path, "DL702", rules={"DL702": {"max-listed": 20}})) == 18


def test_datasets_count_from_a_size_up(tmp_path):
    make(tmp_path, {**PROJECT, "data/train.csv": "a,b\n" * 100, "data/sample.csv": "a,b\n"})
    assert paths(tmp_path, "DL702") == []
    assert paths(tmp_path, "DL702", rules={"DL702": {"min-data-bytes": 100}}) == ["data/train.csv"]


def test_tests_docs_environments_and_excluded_paths_are_left_alone(tmp_path):
    make(tmp_path, {**PROJECT, "tests/assets/tiny.pt": b"PK", "docs/demo.onnx": b"x",
                    ".venv/lib/site-packages/pkg/w.pt": b"PK", "venv/w.pt": b"PK", "node_modules/x/w.pt": b"PK",
                    "vendor/w.pt": b"PK", "elsewhere/w.pt": b"PK"})
    os.symlink(tmp_path / "elsewhere", tmp_path / "linked")
    os.symlink(tmp_path / "elsewhere" / "w.pt", tmp_path / "link.pt")  # git would keep the link only
    assert paths(tmp_path, "DL702") == ["elsewhere/w.pt", "vendor/w.pt"]
    assert paths(tmp_path, "DL702", exclude=["vendor/"]) == ["elsewhere/w.pt"]


def test_the_walk_stops_after_its_budget(tmp_path, monkeypatch):
    make(tmp_path, {**PROJECT, **{f"a/{i}.txt": "" for i in range(20)}, "z/w.pt": b"PK"})
    assert paths(tmp_path, "DL702") == ["z/w.pt"]
    monkeypatch.setattr(artifacts, "MAX_ENTRIES", 10)
    assert paths(tmp_path, "DL702") == []


def test_loose_files_are_not_a_project(tmp_path):
    make(tmp_path, {"train.py": "import torch\n", "best.pt": b"PK"})
    assert paths(tmp_path, "DL702") == []


# ---- DL703: artifact directories -------------------------------------------------------------

def test_unignored_artifact_directories_point_at_gitignore_or_the_root_file(tmp_path):
    make(tmp_path, {**PROJECT, "checkpoints/": None, "wandb/": None, "logs/": None})
    result = found(tmp_path, "DL703")
    assert [(p, line) for p, line, _ in result] == [("train.py", 1)] * 3
    assert "`checkpoints/` exists and there is no .gitignore to cover it" in result[0][2]
    (tmp_path / ".gitignore").write_text("checkpoints/\n/wandb\n")
    (result,) = found(tmp_path, "DL703")
    assert result[:2] == (".gitignore", 1) and "`logs/` exists and .gitignore does not cover it" in result[2]


def test_an_outer_repository_gitignore_covers_a_project_below_it(tmp_path):
    make(tmp_path, {".gitignore": "data/\noutputs/\n", "ml/requirements.txt": "torch\n", "ml/data/": None,
                    "ml/outputs/": None, "ml/train.py": "import torch\n"})
    git(tmp_path, "init", "-q")
    assert found(tmp_path / "ml", "DL703") == []


def test_directories_of_code_and_the_option_list(tmp_path):
    make(tmp_path, {**PROJECT, "data/__init__.py": "", "data/mnist.py": "", "artifacts/": None})
    assert found(tmp_path, "DL703") == []
    (result,) = found(tmp_path, "DL703", rules={"DL703": {"directories": ["artifacts/"]}})
    assert "`artifacts/`" in result[2]


# ---- DL704: hardcoded hyperparameters --------------------------------------------------------

def test_hardcoded_rates_name_the_closest_config(tmp_path):
    make(tmp_path, {**PROJECT, "configs/opt.json": '{"optimizer": {"lr": 0.001, "momentum": 0.9}}',
                    "train.py": "import argparse, torch\np = argparse.ArgumentParser()\n"
                                "p.add_argument('--learning-rate', type=float)\n"
                                "opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)\n"})
    result = sorted(found(tmp_path, "DL704"))
    assert [(p, line) for p, line, _ in result] == [("train.py", 4)] * 3
    messages = " | ".join(m for _, _, m in result)
    assert "learning rate `0.1` is written into `torch.optim.SGD`, bypassing the project's config " \
           "(option `--learning-rate`)" in messages
    assert "momentum `0.9` is written into `torch.optim.SGD`, bypassing the project's config " \
           "(`configs/opt.json` sets `momentum`)" in messages
    assert "weight decay `0.0005`" in messages


# ---- DL705: misplaced modules ----------------------------------------------------------------

SEED = {"requirements.txt": "torch\n", "main.py": "import torch\n", "models/model.py": "import torch\n",
        "datasets/data_loader.py": "import torch\n", "utils/utils.py": "", "configs/config.py": "",
        "data/": None, "logs/": None}
MODEL = "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    pass\n"


@pytest.mark.parametrize("layout,expected", [("auto", ["main.py"]), ("seed", ["main.py"]),
                                             ("pytorch-template", []), (["main.py", "models/"], [])])
def test_misplaced_models_follow_the_chosen_profile(tmp_path, layout, expected):
    make(tmp_path, {**SEED, "main.py": MODEL})
    assert paths(tmp_path, "DL705", layout=layout) == expected


def test_a_models_directory_without_code_is_no_place_for_models(tmp_path):
    tree = {k: v for k, v in SEED.items() if k != "models/model.py"}
    make(tmp_path, {**tree, "models/best.pt": b"PK", "main.py": MODEL})
    assert paths(tmp_path, "DL705") == []
