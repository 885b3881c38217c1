"""Hyperparameters wherever they live: Python config modules, CLI defaults, config classes, OmegaConf
references, YAML 1.1 vs 1.2 numbers, and the cross-file links that give a config value its optimizer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from dllint.engine.project import Project
from dllint.engine.runner import lint
from dllint.engine.settings import Settings
from dllint.engine.summary import FileSummary
from dllint.facts import config_links
from dllint.facts.config_reader import (
    YamlReads,
    float_syntax,
    reader_of,
    yaml11_spelling,
    yaml_numbers,
    yaml_reads,
)
from dllint.facts.hyperparameters import from_config, from_python
from dllint.facts.python_config import config_module
from dllint.sources.config_file import load_config
from dllint.sources.python_file import parse_python


def module(source: str, path: str = "train.py"):
    return parse_python(path, textwrap.dedent(source).encode())


def config(name: str, source: str):
    return load_config(name, textwrap.dedent(source).encode())


def values(settings, name):
    return [s.value for s in settings if s.name == name]


# ---- Python config modules ----------------------------------------------------------------------

def test_mmengine_config_module_is_read_as_a_tree():
    found = config_module(module("""
        _base_ = ['../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py']
        base_lr = 0.004
        optimizer = dict(type='SGD', lr=base_lr * 2, momentum=0.9, weight_decay=5e-4)
        optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
        _base_.param_scheduler[1].milestones = [28, 34]
        _base_.optim_wrapper.optimizer.eps = 1e-8
        model = dict(backbone=dict(frozen_stages=1, norm_eval=True))
        model.update(neck=dict(type='FPN'))
    """, "configs/retinanet/retinanet.py"))
    assert found.bases == ("../_base_/schedules/schedule_1x.py", "../_base_/default_runtime.py")
    tree = {n.dotted_path: n for n in found.walk()}
    assert tree["optim_wrapper.optimizer.lr"].value == pytest.approx(0.008)
    assert tree["optim_wrapper.optimizer.type"].value == "SGD"
    assert tree["optim_wrapper.clip_grad"].value is None
    assert tree["optim_wrapper.optimizer.eps"].value == 1e-8  # the `_base_.` override is kept
    assert "model" not in tree  # mutated by `.update`: its values are not what is written
    assert "param_scheduler" not in tree  # indexed into: not followed
    lr = tree["optimizer.lr"]
    assert (lr.line, lr.column, lr.key_line) == (4, 33, 4)
    settings = from_python(module("""
        _base_ = './base.py'
        optimizer = dict(type='AdamW', lr=0.02, weight_decay=0.05)
    """, "configs/x.py"))
    assert [(s.value, s.family, s.origin) for s in settings if s.name == "lr"] == [
        (0.02, "adamw", "config key `optimizer.lr`")]  # once, as config data, not also as code


def test_new_style_mmengine_config_names_classes_by_import():
    found = config_module(module("""
        from mmengine.config import read_base
        from torch.optim import AdamW

        with read_base():
            from .._base_.default_runtime import *

        optim_wrapper = dict(optimizer=dict(type=AdamW, lr=0.1, weight_decay=0.05))
    """, "mmdet/configs/x.py"))
    settings = from_config(found)
    assert [(s.value, s.family) for s in settings if s.name == "lr"] == [(0.1, "adamw")]


@pytest.mark.parametrize("path,source,is_config", [
    ("config/train_gpt2.py", "batch_size = 12\nlearning_rate = 6e-4\nweight_decay = 1e-1\n", True),
    ("configs/ft.py", "import time\nrun_name = 'ft-' + str(time.time())\nlearning_rate = 3e-5\n", True),
    ("experiment_config.py", "lr = 0.1\n", True),
    ("train.py", "lr = 0.1\n", False),  # a script's constants are settings only if an optimizer takes them
    ("configs/helpers.py", "def lr():\n    return 0.1\n", False),  # code that lives in configs/
    ("configs/__init__.py", "from .base import *\n", False),
])
def test_which_files_are_config_modules(path, source, is_config):
    assert (config_module(module(source, path)) is not None) is is_config


def test_nanogpt_config_module_settings():
    settings = from_python(module("""
        learning_rate = 1e-3
        beta2 = 0.99
        dropout = 0.2
        max_iters = 5000
        grad_clip = 1.0
    """, "config/train_shakespeare_char.py"))
    assert {s.name: s.value for s in settings} == {"lr": 1e-3, "betas": 0.99, "dropout": 0.2}
    assert next(s for s in settings if s.name == "lr").clip_norm == 1.0


# ---- values reached through CLIs and config classes -----------------------------------------------

def test_click_typer_fire_and_plain_function_defaults():
    settings = from_python(module("""
        import click, fire, torch, typer
        app = typer.Typer()

        @click.command()
        @click.option("-l", "--learning-rate", default=0.1)
        def a(learning_rate):
            return torch.optim.SGD(p, lr=learning_rate)

        @app.command()
        def b(lr: float = typer.Option(0.2)):
            return torch.optim.SGD(p, lr=lr)

        def c(lr=0.3):
            return torch.optim.SGD(p, lr=lr)

        def d(lr=0.4):
            return torch.optim.SGD(p, lr=lr)

        fire.Fire(c)
    """))
    assert sorted(values(settings, "lr")) == [0.1, 0.2, 0.3]  # `d` is no command: callers decide
    origins = {s.value: s.origin for s in settings}
    assert origins[0.1] == "from `-l` default"
    assert origins[0.3] == "from `lr` default of the `c` command"


def test_dataclass_pydantic_and_parsed_config_classes():
    settings = from_python(module("""
        from dataclasses import dataclass, field
        import pyrallis, torch
        from pydantic import BaseModel, Field

        @dataclass
        class Train:
            lr: float = field(default=0.01)
            wd: float = 0.05

        class Tune(BaseModel):
            lr: float = Field(0.002, gt=0)

        def fit(cfg: Train):
            return torch.optim.AdamW(p, lr=cfg.lr, weight_decay=cfg.wd)

        def tune(cfg: "Tune"):
            return torch.optim.AdamW(p, lr=cfg.lr)

        def main():
            cfg = pyrallis.parse(config_class=Train)
            return torch.optim.SGD(p, lr=cfg.lr)
    """))
    assert sorted(values(settings, "lr")) == [0.002, 0.01, 0.01]
    assert values(settings, "weight_decay") == [0.05]


def test_epoch_loops():
    settings = from_python(module("""
        for epoch in range(2):
            loss.backward()
        for epoch in range(1, EPOCHS + 1):
            loss.backward()
        for epoch in range(args.start_epoch, 90):
            optimizer.step()
        for epoch in range(3):
            evaluate()
    """))
    assert values(settings, "epochs") == [2]


# ---- YAML numbers and readers ---------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("1e-3", "1.0e-3"), ("5E4", "5.0E+4"), ("1.5e3", "1.5e+3"), ("-2e-5", "-2.0e-5"), (".5e-3", "0.5e-3"),
    ("1.e-3", "1.0e-3"), ("0.1", None), ("abc", None),
])
def test_yaml11_spelling_is_the_same_float_to_pyyaml(text, expected):
    spelling = yaml11_spelling(text)
    assert spelling == expected
    if spelling is not None:
        assert yaml.safe_load(spelling) == float(text)


def test_exponent_strings_become_numbers_for_the_settings():
    loaded = config("train.yaml", """
        lr: 1e-3
        quoted: {lr: '1e-3'}
        version: 1e3
        wd: 5e-4
    """)
    assert values(from_config(loaded), "lr") == [1e-3]  # the quoted one is a string on purpose
    assert values(from_config(loaded), "weight_decay") == [5e-4]
    numbers = yaml_numbers(loaded)
    assert [(s.key, s.raw, s.spelling, s.location.line) for s in numbers.strings] == [
        ("lr", "1e-3", "1.0e-3", 2), ("version", "1e3", "1.0e+3", 4), ("wd", "5e-4", "5.0e-4", 5)]


def test_omegaconf_interpolation():
    settings = from_config(config("c.yaml", """
        base: {lr: 0.4}
        opt:
          _target_: torch.optim.SGD
          lr: ${base.lr}
          nested:
            lr: ${..lr}
          weight_decay: ${oc.env:WD,0.01}
    """))
    lrs = [(s.value, s.location.line, s.origin) for s in settings if s.name == "lr"]
    assert lrs[1] == (0.4, 5, "config key `opt.lr` = `${base.lr}` (line 2)")
    assert lrs[2][:2] == (0.4, 7)
    assert values(settings, "weight_decay") == []  # a resolver: decided at run time


@pytest.mark.parametrize("source,syntax", [
    ("defaults:\n  - model: resnet\nlr: 1e-3\n", "Hydra"),
    ("# @package _global_\nlr: 1e-3\n", "Hydra"),
    ("lr: ${base}\nbase: 1\n", "OmegaConf"),
    ("optimizer:\n  class_path: torch.optim.Adam\n", "jsonargparse"),
    ("defaults: [1, 2]\nnested: {defaults: []}\n", "Hydra"),
    ("model:\n  _component_: torchtune.models.llama3_2.llama3_2_1b\n", "OmegaConf"),
    ("lr: 1e-3\n", None),
])
def test_float_syntax(source, syntax):
    assert float_syntax(load_config("c.yaml", source.encode())) == syntax


def test_yaml_reads_and_reader_of():
    reads = yaml_reads(module("""
        import yaml, hydra
        from omegaconf import OmegaConf
        with open("configs/a.yaml") as f:
            a = yaml.safe_load(f)
        b = OmegaConf.load("configs/b.yaml")
        lr = float(a["lr"])

        @hydra.main(config_path="../conf", config_name="x")
        def main(cfg):
            pass
    """, "src/train.py"))
    assert sorted(p for _, p, _ in reads.paths) == ["configs/a.yaml", "configs/b.yaml"]
    assert reads.hydra_dirs == ("../conf",) and reads.converted == {"lr"}
    project = [("src/train.py", reads)]
    assert reader_of("configs/a.yaml", project)[0] == "pyyaml"
    assert reader_of("configs/b.yaml", project) is None
    assert reader_of("conf/model/x.yaml", project) is None  # under the Hydra config path
    assert reader_of("other.yaml", project) is None  # both kinds used, nothing ties this file
    only_pyyaml = [("t.py", YamlReads(pyyaml=(("yaml.load", reads.pyyaml[0][1]),)))]
    assert reader_of("other.yaml", only_pyyaml)[0] == "pyyaml"
    assert reader_of("other.yaml", []) == ("unknown", None)


def test_dl304_fix_rewrites_the_value(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / "train.py").write_text("import yaml\ncfg = yaml.safe_load(open('c.yaml'))\n")
    (tmp_path / "c.yaml").write_text("lr: 1e-3  # the rate\nbetas: [0.9, 9.99e-1]\nscale: [1e1]\n")
    settings = Settings(root=tmp_path, config_files=("*.yaml",), select=("DL304",))
    found = lint(["."], tmp_path, settings).diagnostics
    # `9.99e-1` has a dot and a signed exponent: a float to PyYAML already.
    assert [(d.location.line, d.location.column, d.fix.edits[0].content) for d in found] == [
        (1, 5, "1.0e-3"), (3, 9, "1.0e+1")]
    assert "write `1.0e-3`" in found[0].message and found[0].related[0].location.path == "train.py"


# ---- cross-file links -------------------------------------------------------------------------------

def project_of(files: dict[str, str], code: str = "DL301") -> Project:
    summaries = []
    for path, text in files.items():
        data = textwrap.dedent(text).encode()
        source = parse_python(path, data) if path.endswith(".py") else load_config(path, data)
        summary = FileSummary(path, "python" if path.endswith(".py") else "config")
        found = config_links.summary(source)
        if found is not None:
            summary.rule_data[code] = found
        summaries.append(summary)
    return Project(Path("."), Settings(root=Path(".")), summaries, Path("."), True)


def test_inheritance_links_values_and_families_across_base_files():
    project = project_of({
        "configs/_base_/sched.py": "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02, weight_decay=1e-4))\n",
        "configs/a/child.py": "_base_ = '../_base_/sched.py'\noptim_wrapper = dict(optimizer=dict(lr=0.5))\n",
        "configs/a/switch.py": "_base_ = ['../_base_/sched.py']\noptim_wrapper = dict(optimizer=dict(type='Adam'))\n",
        "configs/a/grandchild.py": "_base_ = ['switch.py']\noptim_wrapper = dict(optimizer=dict(weight_decay=0.1))\n",
    })
    lr = {(link.setting.location.path, link.setting.family, link.setting.value, link.original is None)
          for link in config_links.linked(project, "DL301", "lr")}
    assert lr == {("configs/a/child.py", "sgd", 0.5, False), ("configs/a/switch.py", "adam", 0.02, True)}
    wd = [(link.setting.location.path, link.setting.family) for link in config_links.linked(project, "DL301",
                                                                                           "weight_decay")]
    assert ("configs/a/grandchild.py", "adam") in wd and ("configs/a/switch.py", "adam") in wd


def test_hydra_and_code_links_need_one_family():
    project = project_of({
        "configs/model/a.yaml": "optimizer:\n  _target_: torch.optim.Adam\n  lr: 1.0e-3\n",
        "configs/model/b.yaml": "optimizer:\n  _target_: torch.optim.SGD\n  lr: 0.1\n",
        "configs/experiment/x.yaml": "# @package _global_\nmodel:\n  optimizer:\n    lr: 0.05\n",
        "configs/train.yaml": "defaults:\n  - model: a\noptim: {lr: 0.3}\nhead: {lr: 0.2}\n",
        "train.py": """
            import torch
            def main(cfg):
                torch.optim.Adam(p, lr=cfg.optim.lr)
                torch.optim.SGD(p, lr=cfg.head.lr)
                torch.optim.Adam(p, lr=cfg.head.lr)
        """,
    })
    found = {(link.setting.location.path, link.setting.family) for link in config_links.linked(project, "DL301", "lr")}
    # model.optimizer is Adam in one group option and SGD in another: no link for the experiment;
    # `head.lr` is read by two families: none either.
    assert found == {("configs/train.yaml", "adam")}
