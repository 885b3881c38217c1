"""Config files load with the real loaders' values and exact positions, and hostile input fails
cleanly as ConfigParseError (DL002) instead of crashing, hanging or executing anything."""

from __future__ import annotations

import json
import os
import textwrap
import time
import tomllib

import pytest
import yaml

from dllint.sources import config_file, yaml_source
from dllint.sources.config_file import CONFIG_SUFFIXES, load_config
from dllint.sources.config_model import ConfigFile, ConfigNode, ConfigParseError


def load(name: str, text: str | bytes) -> ConfigFile:
    data = text.encode() if isinstance(text, str) else text
    return load_config(name, data)


def node_at(config: ConfigFile, dotted: str) -> ConfigNode:
    found = [n for n in config.walk() if n.dotted_path == dotted]
    assert len(found) == 1, (dotted, [n.dotted_path for n in config.walk()])
    return found[0]


def parse_error(name: str, text: str | bytes) -> ConfigParseError:
    with pytest.raises(ConfigParseError) as info:
        load(name, text)
    return info.value


def where(node: ConfigNode) -> tuple[int, int, int, int]:
    return node.line, node.column, node.end_line, node.end_column


def assert_tree_matches_value(node: ConfigNode) -> None:
    """Every container's children are exactly its loaded items, each child keyed and linked."""
    for item in node.walk():
        if isinstance(item.value, dict) and item.kind == "mapping":
            assert {c.key: c.value for c in item.children} == item.value
            assert all(c.parent is item for c in item.children)
        elif isinstance(item.value, list) and item.kind == "sequence":
            assert [c.value for c in item.children] == item.value
            assert [c.key for c in item.children] == list(range(len(item.value)))


HYDRA = """\
defaults:
  - model: resnet50
  - _self_

seed: 42
trainer:
  max_epochs: 90
  precision: 16-mixed
optimizer:
  _target_: torch.optim.AdamW
  lr: 1e-3
  weight_decay: 0.05
  betas: [0.9, 0.999]
scheduler:
  _target_: torch.optim.lr_scheduler.CosineAnnealingLR
  T_max: ${trainer.max_epochs}
"""

LIGHTNING = """\
# lightning.pytorch.cli config
model:
  class_path: my_project.models.LitClassifier
  init_args:
    num_classes: 10
    dropout: 0.1
optimizer:
  class_path: torch.optim.SGD
  init_args:
    lr: 0.1
    momentum: 0.9
    nesterov: true
data:
  batch_size: 256
"""

MMENGINE = """\
{
    "model": {"type": "ImageClassifier", "backbone": {"type": "ResNet", "depth": 50}},
    "optim_wrapper": {
        "type": "OptimWrapper",
        "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0001}
    },
    "param_scheduler": [
        {"type": "LinearLR", "start_factor": 0.001, "by_epoch": false, "end": 500},
        {"type": "MultiStepLR", "by_epoch": true, "milestones": [30, 60, 90], "gamma": 0.1}
    ],
    "train_cfg": {"by_epoch": true, "max_epochs": 100, "val_interval": 1}
}
"""

PYTORCH_TEMPLATE = """\
{
    "name": "Mnist_LeNet",
    "n_gpu": 1,
    "arch": {"type": "MnistModel", "args": {}},
    "optimizer": {
        "type": "Adam",
        "args":{
            "lr": 0.001,
            "weight_decay": 0,
            "amsgrad": true
        }
    },
    "loss": "nll_loss",
    "metrics": ["accuracy", "top_k_acc"],
    "lr_scheduler": {"type": "StepLR", "args": {"step_size": 50, "gamma": 0.1}},
    "trainer": {"epochs": 100, "save_dir": "saved/", "monitor": "min val_loss"}
}
"""

PYPROJECT = '''\
[project]
name = "vision-train"
description = """
[tool.train.optimizer]
lr = 99 # not a table, not a key: this is a multi-line string
"""

[tool.train]
epochs = 30
"mixed precision" = true
augment = { flip = true, crop = [224, 224] }

[tool.train.optimizer]
name = 'adamw'   # comment with [brackets] and "quotes"
lr = 3e-4
betas = [
  0.9,  # beta1
  0.999,
]
sched.warmup = 500

[[tool.train.stages]]
epochs = 10

[[tool.train.stages]]
epochs = 20
lr = 1e-5
'''


def test_suffixes_pick_the_format():
    assert CONFIG_SUFFIXES[".yml"] == CONFIG_SUFFIXES[".yaml"] == "yaml"
    assert load("conf/OPT.YAML", "a: 1").format == "yaml"
    assert load("c.json", "{}").format == "json"
    assert load("c.toml", "").format == "toml"
    with pytest.raises(ValueError):
        load("train.py", "x = 1")


def test_hydra_yaml_values_are_safe_loads_and_lr_stays_a_string():
    config = load("conf/config.yaml", HYDRA)
    assert config.format == "yaml" and len(config.documents) == 1
    assert config.documents[0].value == yaml.safe_load(HYDRA)
    lr = node_at(config, "optimizer.lr")
    assert lr.value == "1e-3" and isinstance(lr.value, str)  # YAML 1.1: no dot, no float
    assert lr.raw == "1e-3" and not lr.quoted
    assert where(lr) == (11, 7, 11, 11)
    assert (lr.key_line, lr.key_column) == (11, 3)
    assert lr.path == ("optimizer", "lr") and lr.parent is node_at(config, "optimizer")
    assert node_at(config, "optimizer.weight_decay").value == 0.05
    assert node_at(config, "defaults.0").value == {"model": "resnet50"}
    assert node_at(config, "scheduler.T_max").value == "${trainer.max_epochs}"
    assert_tree_matches_value(config.documents[0])


def test_lightning_cli_yaml_positions():
    config = load("configs/cli.yaml", LIGHTNING)
    assert config.documents[0].value == yaml.safe_load(LIGHTNING)
    lr = node_at(config, "optimizer.init_args.lr")
    assert lr.value == 0.1 and where(lr) == (10, 9, 10, 12)
    assert (lr.key_line, lr.key_column) == (10, 5)
    assert config.location(lr).line == 10 and config.key_location(lr).column == 5
    assert node_at(config, "optimizer.class_path").value == "torch.optim.SGD"
    assert node_at(config, "optimizer.init_args.nesterov").value is True
    init_args = node_at(config, "optimizer.init_args")
    assert init_args.kind == "mapping" and (init_args.line, init_args.column) == (10, 5)
    assert (init_args.end_line, init_args.end_column) == (12, 19)  # trailing newline trimmed


def test_yaml_float_forms_and_quoting():
    text = "a: 1.0e-3\nb: '1e-3'\nc: \"0.1\"\nd: 1e-3\ne: |\n  multi\n  line\n"
    config = load("x.yml", text)
    a, b, c, d, e = (node_at(config, k) for k in "abcde")
    assert a.value == 0.001 and a.raw == "1.0e-3" and not a.quoted
    assert b.value == "1e-3" and b.raw == "'1e-3'" and b.quoted
    assert c.value == "0.1" and c.raw == '"0.1"' and c.quoted
    assert d.value == "1e-3" and not d.quoted
    assert e.value == "multi\nline\n" and not e.quoted and where(e) == (5, 4, 7, 7)


def test_yaml_multi_document_and_empty_files():
    config = load("x.yaml", "lr: 0.1\n---\nlr: 0.2\n...\n---\n- 1\n")
    assert [d.value for d in config.documents] == list(yaml.safe_load_all(config.text))
    assert [d.get("lr").line for d in config.documents[:2]] == [1, 3]
    assert load("x.yaml", "").documents == []
    assert load("x.yaml", "# only a comment\n").documents == []


def test_yaml_non_string_null_and_duplicate_keys():
    config = load("x.yaml", "1: one\n2.5: half\nfalse: no\n~: nothing\nlr: 0.1\nlr: 0.5\n")
    assert config.documents[0].value == yaml.safe_load(config.text)
    keys = [c.key for c in config.documents[0].children]
    assert keys == [1, 2.5, False, "~", "lr"]  # a None key would end ConfigNode.path
    assert config.documents[0].get("lr").value == 0.5 and config.documents[0].get("lr").line == 6


def test_yaml_anchors_aliases_and_merge_keys():
    text = textwrap.dedent(
        """\
        base: &base
          lr: 0.1
          momentum: 0.9
        sgd:
          <<: *base
          lr: 0.05
        copy: *base
        """
    )
    config = load("x.yaml", text)
    root = config.documents[0]
    assert root.value == yaml.safe_load(text)
    sgd = root.get("sgd")
    assert sgd.value == {"lr": 0.05, "momentum": 0.9}
    assert [c.key for c in sgd.children] == ["<<", "lr"]  # as written, not as merged
    copy = root.get("copy")
    assert copy.value == {"lr": 0.1, "momentum": 0.9} and copy.key_line == 7
    assert (copy.line, copy.column) == (2, 3)  # where the aliased value is written, past `&base`
    assert [n.dotted_path for n in config.walk()].count("base.lr") == 1  # shared, visited once


def test_yaml_alias_bomb_is_refused_fast():
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    error = parse_error("bomb.yaml", "\n".join(levels) + "\n")
    assert time.perf_counter() - start < 0.5
    assert "alias" in error.message and error.line > 1


def test_yaml_python_tags_are_refused_never_executed(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd) or 0)
    marker = tmp_path / "pwned"
    error = parse_error("x.yaml", f'cmd: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert error.message.startswith("refused tag !!python/object/apply:os.system")
    assert "safe loader" in error.message and (error.line, error.column) == (1, 6)
    assert calls == [] and not marker.exists()
    assert "!include" in parse_error("x.yaml", "model: !include model.yaml\n").message


def test_yaml_syntax_errors_name_the_loader_error_and_line():
    error = parse_error("x.yaml", "model:\n  widths: [64, 128\noptimizer:\n  lr: 0.1\n")
    assert error.message.startswith("ParserError: while parsing a flow sequence started at line 2")
    assert (error.line, error.column) == (3, 10)
    error = parse_error("x.yaml", "a: 1\n b: 2\n")
    assert error.message.startswith("ScannerError:") and error.line == 2
    assert parse_error("x.yaml", "a: 2021-13-45\n").message.startswith("cannot construct")


def test_deep_nesting_is_a_parse_error_not_a_crash(monkeypatch):
    assert "nesting depth" in parse_error("deep.yaml", "[" * 100_000).message  # libyaml's limit
    assert "nest" in parse_error("deep.yaml", "a:\n" + "- " * 100_000 + "x\n").message
    assert "nest" in parse_error("deep.json", "[" * 100_000 + "]" * 100_000).message
    assert "nest" in parse_error("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000).message
    # Without libyaml, PyYAML's recursive composer runs out of stack (its scanner is quadratic
    # in flow depth, so keep this one short).
    monkeypatch.setattr(yaml_source, "_Loader", yaml.SafeLoader)
    assert "nested too deeply" in parse_error("deep.yaml", "[" * 1_000).message


def test_pure_python_yaml_loader_gives_the_same_tree(monkeypatch):
    monkeypatch.setattr(yaml_source, "_Loader", yaml.SafeLoader)
    config = load("x.yaml", HYDRA)
    assert config.documents[0].value == yaml.safe_load(HYDRA)
    assert where(node_at(config, "optimizer.lr")) == (11, 7, 11, 11)


def test_mmengine_json_values_and_positions():
    config = load("configs/resnet50.json", MMENGINE)
    root = config.documents[0]
    assert config.format == "json" and root.value == json.loads(MMENGINE)
    lr = node_at(config, "optim_wrapper.optimizer.lr")
    assert lr.value == 0.1 and lr.raw == "0.1" and where(lr) == (5, 44, 5, 47)
    assert (lr.key_line, lr.key_column) == (5, 38)
    gamma = node_at(config, "param_scheduler.1.gamma")
    assert gamma.value == 0.1 and (gamma.line, gamma.column) == (9, 88)
    assert node_at(config, "param_scheduler.1").kind == "mapping"
    assert where(node_at(config, "param_scheduler.1.milestones")) == (9, 65, 9, 77)
    assert where(root) == (1, 1, 12, 2)
    assert_tree_matches_value(root)


def test_pytorch_template_json_values_and_positions():
    config = load("config.json", PYTORCH_TEMPLATE)
    assert config.documents[0].value == json.loads(PYTORCH_TEMPLATE)
    lr = node_at(config, "optimizer.args.lr")
    assert lr.value == 0.001 and where(lr) == (8, 19, 8, 24) and lr.key_column == 13
    loss = node_at(config, "loss")
    assert loss.quoted and loss.raw == '"nll_loss"' and (loss.line, loss.column) == (13, 13)
    assert node_at(config, "arch.args").value == {} and node_at(config, "arch.args").children == []
    assert_tree_matches_value(config.documents[0])


def test_json_duplicates_specials_and_errors():
    config = load("x.json", '{"lr": 0.5, "lr": 1e-3, "eps": NaN, "s": "a\\"b"}')
    lr = config.documents[0].get("lr")
    assert lr.value == 0.001 and lr.column == 19 and len(config.documents[0].children) == 3
    assert config.documents[0].get("s").value == 'a"b'
    error = parse_error("x.json", '{\n  "lr": 0.1,\n  "epochs": ,\n}')
    assert error.message == "JSONDecodeError: Expecting value"
    assert (error.line, error.column) == (3, 13)
    assert load("x.json", "").documents == [] and load("x.json", "7").documents[0].value == 7


def test_pyproject_toml_values_and_positions():
    config = load("pyproject.toml", PYPROJECT)
    root = config.documents[0]
    assert config.format == "toml" and root.value == tomllib.loads(PYPROJECT)
    lr = node_at(config, "tool.train.optimizer.lr")
    assert lr.value == 3e-4 and lr.raw == "3e-4" and where(lr) == (15, 6, 15, 10)
    assert (lr.key_line, lr.key_column) == (15, 1)
    name = node_at(config, "tool.train.optimizer.name")
    assert name.value == "adamw" and name.quoted and where(name) == (14, 8, 14, 15)
    optimizer = node_at(config, "tool.train.optimizer")  # a table is placed at its header
    assert where(optimizer) == (13, 1, 13, 23) and optimizer.key_column == 13
    assert where(node_at(config, "tool.train.optimizer.betas.1")) == (18, 3, 18, 8)
    warmup = node_at(config, "tool.train.optimizer.sched.warmup")
    assert (warmup.line, warmup.column, warmup.key_column) == (20, 16, 7)
    assert node_at(config, "tool.train.mixed precision").line == 10
    flip = node_at(config, "tool.train.augment.flip")
    assert flip.value is True and (flip.line, flip.column) == (11, 20)
    assert node_at(config, "tool.train.augment.crop.1").column == 39
    stages = node_at(config, "tool.train.stages")
    assert stages.kind == "sequence" and stages.line == 22
    assert [s.line for s in stages.children] == [22, 25]
    assert where(node_at(config, "tool.train.stages.1.lr")) == (27, 6, 27, 10)
    description = node_at(config, "project.description")
    assert description.quoted and where(description) == (3, 15, 6, 4)
    assert_tree_matches_value(root)


def test_toml_errors_and_fallbacks():
    error = parse_error("x.toml", "[train]\nlr = 0.1\nepochs = \n")
    assert error.message.startswith("TOMLDecodeError: Invalid value") and error.line == 3
    assert "(at line" not in error.message
    assert parse_error("x.toml", 'a = "x').line == 1
    assert load("x.toml", "").documents[0].value == {}
    # Positions the locator cannot find fall back to the parent instead of failing.
    spans = {(): (-1, 0, 5)}
    tree = config_file.build_tree({"a": {"b": 1}}, spans, config_file.LineIndex("x = 1"))
    assert (tree.get("a").get("b").line, tree.get("a").get("b").column) == (1, 1)


@pytest.mark.parametrize(
    ("name", "text", "dotted", "line"),
    [
        ("x.yaml", "a: 1\r\nopt:\r\n  lr: 0.1\r\n", "opt.lr", 3),
        ("x.json", '{\r\n  "opt": {\r\n    "lr": 0.1}\r\n}', "opt.lr", 3),
        ("x.toml", "a = 1\r\n[opt]\r\nlr = 0.1\r\n", "opt.lr", 3),
    ],
)
def test_bom_and_crlf(name, text, dotted, line):
    config = load(name, b"\xef\xbb\xbf" + text.encode())
    lr = node_at(config, dotted)
    assert lr.value == 0.1 and lr.line == line and lr.raw == "0.1"
    assert not config.text.startswith("\ufeff")


@pytest.mark.parametrize("name", ["x.yaml", "x.json", "x.toml"])
def test_binary_and_undecodable_bytes(name):
    error = parse_error(name, b"lr: 0.1\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "NUL" in error.message and error.line == 4
    error = parse_error(name, b"lr = 0.1\n# caf\xe9\n")
    assert "cannot decode byte 0xe9 as UTF-8" in error.message
    assert (error.line, error.column) == (2, 6)


def test_oversized_file_is_refused():
    data = b"#" * (config_file.MAX_CONFIG_BYTES + 1)
    assert "too large to be a config file" in parse_error("huge.yaml", data).message
