"""DL701 and the layout profiles it reads (dllint/facts/layout.py, rules/data/layout_profiles.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dllint.engine.project import Project
from dllint.engine.runner import lint
from dllint.engine.settings import (
    LAYOUT_PROFILES,
    Settings,
    from_mapping,
    with_overrides,
)
from dllint.facts.layout import chosen, closest, missing_parts, places, profiles

SEED_TREE = {
    "requirements.txt": "torch\n",
    "main.py": "import torch\n",
    "models/model.py": "import torch.nn as nn\n",
    "datasets/data_loader.py": "from torch.utils.data import Dataset\n",
    "configs/config.py": "lr = 1e-3\n",
    "utils/utils.py": "import os\n",
    "utils/metrics.py": "from sklearn import metrics\n",
    "data/": None,
    "logs/": None,
    "checkpoints/": None,
    "model_hub/": None,
}


def make(root: Path, tree: dict) -> Path:
    for relative, content in tree.items():
        path = root / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content or b"")
    return root


def findings(root: Path, **settings) -> list:
    base = from_mapping(settings, root=root) if settings else Settings(root=root)
    outcome = lint(["."], root, with_overrides(base, select=("DL701",), ignore=()))
    assert outcome.errors == []
    return outcome.diagnostics


def project(root: Path, is_root: bool = True) -> Project:
    return Project(root, Settings(root=root), [], root, is_root)


def without(*names: str) -> dict:
    return {k: v for k, v in SEED_TREE.items() if k not in names}


def test_profiles_match_the_names_settings_accept():
    assert set(profiles()) == set(LAYOUT_PROFILES) - {"auto"}
    for profile in profiles().values():
        assert profile.parts and profile.description
        assert len(set(profile.parts)) == len(profile.parts)


def test_complete_seed_project_is_silent(tmp_path):
    assert findings(make(tmp_path, SEED_TREE)) == []


def test_one_finding_names_every_missing_part_and_the_profile(tmp_path):
    make(tmp_path, without("utils/metrics.py", "model_hub/"))
    (found,) = findings(tmp_path)
    assert (found.code, found.path, found.location.line) == ("DL701", "main.py", 1)
    assert "`seed` layout (8 of 10 parts)" in found.message
    assert found.message.endswith("lacks model_hub/ and utils/metrics.py")
    assert "`seed` is the layout of the field notes" in found.help


def test_gitignored_artifact_directories_count_as_present(tmp_path):
    make(tmp_path, without("data/", "logs/", "checkpoints/", "model_hub/"))
    (tmp_path / ".gitignore").write_text("/data/\nlogs/\ncheckpoints/\nmodel_hub\n", encoding="utf-8")
    assert findings(tmp_path) == []


def test_alternatives_and_globs_satisfy_a_part(tmp_path):
    tree = without("main.py", "models/model.py", "configs/config.py")
    tree.update({"train.py": "import torch\n", "models/resnet.py": "import torch\n", "configs/base.yaml": "lr: 0.1\n"})
    assert findings(make(tmp_path, tree)) == []


def test_a_project_resembling_no_profile_is_left_alone(tmp_path):
    make(tmp_path, {"requirements.txt": "torch\n", "train.py": "import torch\n", "data/": None, "models/net.py": ""})
    assert findings(tmp_path) == []


def test_the_floor_is_an_option(tmp_path):
    make(tmp_path, without("utils/metrics.py", "model_hub/", "checkpoints/"))
    assert len(findings(tmp_path)) == 1
    assert findings(tmp_path, rules={"DL701": {"min-match": 0.9}}) == []


def test_a_project_without_ml_imports_is_left_alone_unless_a_profile_is_named(tmp_path):
    make(tmp_path, {**without("utils/metrics.py"), "main.py": "import requests\n",
                    "models/model.py": "", "datasets/data_loader.py": "", "utils/utils.py": ""})
    assert findings(tmp_path) == []
    (found,) = findings(tmp_path, layout="seed")
    assert "lacks 1 of the 10 parts of the `seed` layout: utils/metrics.py" in found.message


def test_a_named_profile_is_checked_however_little_matches(tmp_path):
    make(tmp_path, {"requirements.txt": "torch\n", "train.py": "import torch\n"})
    (found,) = findings(tmp_path, layout="lightning-hydra")
    assert "lacks 13 of the 13 parts of the `lightning-hydra` layout" in found.message
    assert found.message.endswith("and 7 more")


def test_a_custom_layout_lists_paths(tmp_path):
    make(tmp_path, {"pyproject.toml": "", "src/train.py": "", "notes.md": ""})
    (found,) = findings(tmp_path, layout=["src/", "src/train.py", "README.md", "configs/*.yaml"])
    assert found.path == "pyproject.toml"
    assert found.message.endswith("`custom` layout: README.md and configs/*.yaml")


def test_only_project_roots_are_judged(tmp_path):
    make(tmp_path, without("requirements.txt", "utils/metrics.py"))
    assert findings(tmp_path) == []


@pytest.mark.parametrize("name,tree", [
    ("lightning-hydra", {"configs/train.yaml": "", "configs/eval.yaml": "", "configs/model/": None,
                         "src/train.py": "", "src/models/": None, "src/data/": None, "tests/": None}),
    ("pytorch-template", {"train.py": "", "test.py": "", "config.json": "{}", "parse_config.py": "",
                          "base/": None, "model/model.py": "", "trainer/trainer.py": ""}),
    ("cookiecutter-data-science", {"data/raw/": None, "data/processed/": None, "models/": None,
                                   "notebooks/": None, "references/": None, "reports/figures/": None}),
    ("seed", {"main.py": "", "models/model.py": "", "utils/utils.py": "", "datasets/data_loader.py": ""}),
])
def test_auto_picks_the_closest_profile(tmp_path, name, tree):
    profile, _ = closest(project(make(tmp_path, tree)))
    assert profile.name == name


def test_package_placeholder_is_src_or_a_top_level_package(tmp_path):
    parts = ("{package}/", "{package}/modeling/train.py | {package}/models/train_model.py")
    assert missing_parts(project(tmp_path), parts) == ["<package>/", "<package>/modeling/train.py"]
    make(tmp_path, {"churn/__init__.py": "", "churn/modeling/train.py": ""})
    assert missing_parts(project(tmp_path), parts) == []
    make(tmp_path / "v1", {"src/models/train_model.py": ""})
    assert missing_parts(project(tmp_path / "v1"), parts) == []


def test_every_profile_says_where_models_datasets_and_metrics_go():
    for profile in profiles().values():
        assert {kind for kind, _ in profile.places} == {"model", "dataset", "metric"}, profile.name


def test_places_are_the_existing_alternatives(tmp_path):
    make(tmp_path, {"churn/__init__.py": "", "churn/modeling/train.py": "", "churn/dataset.py": ""})
    ccds = profiles()["cookiecutter-data-science"]
    assert places(project(tmp_path), ccds, "model") == ["churn/modeling/"]
    assert places(project(tmp_path), ccds, "dataset") == ["churn/dataset.py"]
    assert places(project(tmp_path), profiles()["seed"], "model") == []


def test_chosen_profile_is_the_named_one_or_the_closest_of_a_dl_project(tmp_path):
    make(tmp_path, SEED_TREE)
    assert chosen(project(tmp_path), 0.34) is None  # no summaries: imports nothing
    named = Project(tmp_path, from_mapping({"layout": "pytorch-template"}, root=tmp_path), [], tmp_path, True)
    profile, missing, explicit = chosen(named, 0.34)
    assert (profile.name, explicit) == ("pytorch-template", True) and "test.py" in missing
