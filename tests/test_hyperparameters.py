"""The hyperparameter facts: which value, for which optimizer family, written where."""

from __future__ import annotations

import textwrap

import pytest

from dllint.facts.hyperparameters import by_value, from_config, from_python, sibling
from dllint.facts.optimizers import family_of, optimizer_class_family
from dllint.sources.config_file import load_config
from dllint.sources.python_file import parse_python


def python(source: str):
    module = parse_python("train.py", textwrap.dedent(source).encode())
    return from_python(module)


def config(name: str, source: str):
    return from_config(load_config(name, textwrap.dedent(source).encode()))


def only(settings, name):
    found = [s for s in settings if s.name == name]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("name,loose,family", [
    ("torch.optim.AdamW", False, "adamw"),
    ("Adam", False, "adam"),
    ("SGD", False, "sgd"),
    ("bitsandbytes.optim.PagedAdamW8bit", False, "adamw"),
    ("Adam8bit", False, "adamw"),  # bitsandbytes' Adam decays decoupled
    ("FusedAdam", False, "adamw"),  # apex/DeepSpeed default adam_w_mode=True
    ("lookahead_adamw", True, "adamw"),
    ("adamw_torch_fused", True, "adamw"),
    ("paged_lion_8bit", True, "lion"),
    ("momentum", True, "sgd"),
    ("adamw_torch_fused", False, None),  # a class name must name the family as a whole
    ("OneCycleLR", False, None),
    ("resnet50", False, None),
    ("", False, None),
])
def test_family_of(name, loose, family):
    assert family_of(name, loose=loose) == family


@pytest.mark.parametrize("qualified,expected", [
    ("torch.optim.Adam", (True, "adam")),
    ("torch.optim.adamw.AdamW", (True, "adamw")),
    ("torch.optim.Optimizer", (False, None)),
    ("torch.optim.lr_scheduler.StepLR", (False, None)),
    ("transformers.AdamW", (True, "adamw")),
    ("timm.optim.Lamb", (True, "lamb")),
    ("timm.optim.AdamP", (True, None)),  # an optimizer of unknown family: generic bounds
    ("timm.optim.create_optimizer_v2", (False, None)),
    ("lion_pytorch.Lion", (True, "lion")),
    ("bitsandbytes.optim.Adam8bit", (True, "adamw")),
    ("mypackage.Adam", (False, None)),
])
def test_optimizer_class_family(qualified, expected):
    assert optimizer_class_family(qualified) == expected


def test_literal_in_call_is_located_at_the_value():
    settings = python("""
        import torch
        opt = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-2)
    """)
    lr = only(settings, "lr")
    assert (lr.value, lr.family, lr.optimizer, lr.origin) == (3e-4, "adam", "torch.optim.Adam", "")
    assert (lr.location.line, lr.location.column, lr.location.end_column) == (3, 47, 51)
    assert only(settings, "weight_decay").value == 1e-2


def test_positional_arguments_of_torch_optimizers():
    settings = python("""
        from torch import optim
        opt = optim.SGD(model.parameters(), 0.1, 0.9, 0, 5e-4)
    """)
    assert only(settings, "lr").value == 0.1
    assert only(settings, "momentum").value == 0.9
    assert only(settings, "weight_decay").value == 5e-4


def test_argparse_default_through_args():
    settings = python("""
        import argparse
        import torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--learning-rate", "--lr", type=float, default="0.5")
        parser.add_argument("--wd", type=float, dest="weight_decay", default=1e-4)
        args = parser.parse_args()
        optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate,
                                     weight_decay=args.weight_decay)
    """)
    lr = only(settings, "lr")
    assert lr.value == 0.5  # argparse applies `type` to string defaults
    assert lr.origin == "from `--learning-rate` default"
    assert lr.location.line == 5 and lr.optimizer_location.line == 8
    assert lr.context() == "; from `--learning-rate` default, used by `torch.optim.Adam` at train.py:8"
    assert only(settings, "weight_decay").value == 1e-4


def test_argparse_through_a_local_function_and_a_parameter():
    settings = python("""
        import argparse
        import torch

        def get_args():
            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float, default=0.02)
            return parser.parse_args()

        def train(args, model):
            return torch.optim.SGD(model.parameters(), lr=args.lr)

        def main():
            args = get_args()
            return torch.optim.Adam(model.parameters(), lr=args.lr)
    """)
    assert [(s.value, s.family) for s in settings if s.name == "lr"] == [(0.02, "sgd"), (0.02, "adam")]
    assert len(by_value(settings, "lr")) == 1  # one value, two consumers


def test_unknown_or_ambiguous_values_yield_no_setting():
    settings = python("""
        import argparse, os, torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, required=True, default=0.1)
        args = parser.parse_args()
        a = torch.optim.Adam(p, lr=args.lr)                       # required: default never used
        b = torch.optim.Adam(p, lr=float(os.environ["LR"]))       # run time
        def make(params, lr=0.5):
            return torch.optim.Adam(params, lr=lr)                # a parameter
        if args.fast:
            base = 1.0
        else:
            base = 1e-3
        c = torch.optim.Adam(p, lr=base)                          # branch decides
        for lr in (0.1, 0.01):
            d = torch.optim.Adam(p, lr=lr)                        # loop variable
        cfg = {"lr": 0.1}
        cfg["lr"] = 1e-3
        e = torch.optim.Adam(p, lr=cfg["lr"])                     # mutated after the literal
        class Model:
            def configure(self):
                return torch.optim.Adam(self.parameters(), lr=self.lr)  # `self` is no namespace
    """)
    assert [s for s in settings if s.name == "lr"] == []


def test_constants_arithmetic_dicts_and_classes():
    settings = python("""
        import torch
        from types import SimpleNamespace
        BASE_LR = 0.1
        BATCH = 1024
        class Config:
            lr: float = 3e-4
            betas = (0.9, 0.95)
        cfg = dict(optim=dict(lr=2e-3))
        ns = SimpleNamespace(lr=5e-3)
        conf = Config()
        a = torch.optim.SGD(p, lr=BASE_LR * BATCH / 256)
        b = torch.optim.AdamW(p, lr=Config.lr, betas=Config.betas)
        c = torch.optim.AdamW(p, lr=cfg["optim"]["lr"])
        d = torch.optim.AdamW(p, lr=ns.lr)
        e = torch.optim.Adam(p, lr=conf.lr)
        f = torch.optim.SGD(p, lr=-(1e-3))
    """)
    lrs = {s.optimizer_location.line: s for s in settings if s.name == "lr"}
    assert lrs[12].value == pytest.approx(0.4) and lrs[12].origin == "computed as `BASE_LR * BATCH / 256`"
    assert (lrs[13].value, lrs[13].location.line, lrs[13].origin) == (3e-4, 7, "from `Config.lr`")
    assert lrs[14].value == 2e-3 and lrs[14].location.line == 9
    assert lrs[15].value == 5e-3
    assert (lrs[16].value, lrs[16].location.line, lrs[16].family) == (3e-4, 7, "adam")
    assert lrs[17].value == -1e-3
    assert only(settings, "betas").value == (0.9, 0.95)


def test_param_groups_schedulers_factories_and_trainers():
    settings = python("""
        import torch
        from torch.optim.lr_scheduler import OneCycleLR, LambdaLR
        from timm.optim import create_optimizer_v2
        from transformers import TrainingArguments
        groups = [{"params": backbone, "lr": 1e-4}, {"params": head, "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=1e-3)
        sched = OneCycleLR(opt, max_lr=0.05, total_steps=100)
        noam = torch.optim.Adam(model.parameters(), lr=1.0)
        warm = LambdaLR(noam, lambda step: min(1.0, step / 4000) * 512 ** -0.5)
        timm_opt = create_optimizer_v2(model, "lookahead_adamw", lr=5e-4, weight_decay=0.05)
        args = TrainingArguments("out", learning_rate=2e-5, weight_decay=0.01, optim="adafactor")
        latent_opt = torch.optim.Adam([latent.requires_grad_()], lr=0.1)
    """)
    lrs = [(s.value, s.family, s.key, s.origin, s.rescaled_by, s.tensors) for s in settings if s.name == "lr"]
    assert lrs == [
        # OneCycleLR replaces the optimizer's own rates with its schedule from max_lr.
        (1e-3, "adamw", "lr", "", "torch.optim.lr_scheduler.OneCycleLR", False),
        (1e-4, "adamw", "lr", "from param groups `groups`", "torch.optim.lr_scheduler.OneCycleLR", False),
        (0.05, "adamw", "max_lr", "", None, False),
        (1.0, "adam", "lr", "", "torch.optim.lr_scheduler.LambdaLR", False),
        (5e-4, "adamw", "lr", "", None, False),
        (2e-5, "adafactor", "learning_rate", "", None, False),
        (0.1, "adam", "lr", "", None, True),
    ]


def test_python_config_modules_and_family_switches():
    settings = python("""
        import torch
        optim_wrapper = dict(optimizer=dict(type="AdamW", lr=2e-4, weight_decay=0.05),
                             clip_grad=dict(max_norm=35))
        a = torch.optim.Adam(p, lr=1e-3, weight_decay=0.1, decoupled_weight_decay=True)
    """)
    families = {s.optimizer_location.line: (s.family, s.optimizer) for s in settings if s.name == "weight_decay"}
    assert families == {3: ("adamw", "AdamW"), 5: ("adamw", "torch.optim.Adam")}
    assert all(s.clipped and s.clip_norm == 35 for s in settings if s.name == "lr")


@pytest.mark.parametrize("source,clipped,norm", [
    ("torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)\nloss.backward()", True, 0.25),
    ("accelerator.clip_grad_norm_(model.parameters(), max_norm=1.0)", True, 1.0),
    ("trainer = Trainer(gradient_clip_val=0.5)", True, 0.5),
    ("torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)", True, None),
    ("trainer = Trainer(gradient_clip_val=None, max_epochs=3)", False, None),
    ("loss.backward()", False, None),
    ("", None, None),  # the training step is not in this file: clipping unknown
])
def test_clipping(source, clipped, norm):
    settings = python("import torch\nopt = torch.optim.SGD(model.parameters(), lr=20)\n" + source)
    lr = only(settings, "lr")
    assert (lr.clipped, lr.clip_norm) == (clipped, norm)


def test_comprehensions_do_not_break_scopes():
    settings = python("""
        import torch
        wd = 0.1
        groups = [{"params": [p for n, p in model.named_parameters() if p.dim() >= 2], "weight_decay": wd}]
        opt = torch.optim.AdamW(groups, lr=6e-4)
    """)
    assert only(settings, "weight_decay").value == 0.1


def test_hydra_yaml():
    settings = config("model.yaml", """
        _target_: src.models.LitModule
        optimizer:
          _target_: torch.optim.Adam
          _partial_: true
          lr: 0.1
          weight_decay: 1e-3
        scheduler:
          _target_: torch.optim.lr_scheduler.OneCycleLR
          max_lr: 0.3
          min_lr: 1.0e-6
    """)
    lr = [s for s in settings if s.name == "lr"]
    assert [(s.value, s.family, s.key) for s in lr] == [(0.1, "adam", "lr"), (0.3, None, "max_lr")]
    first = lr[0]
    assert (first.location.line, first.location.column) == (6, 7)
    assert first.optimizer == "torch.optim.Adam" and first.optimizer_location.line == 4
    assert first.context() == "; config key `optimizer.lr`, optimizer `torch.optim.Adam` (line 4)"
    assert first.clipped is None  # no trainer section: clipping is configured elsewhere, if at all
    # `1e-3` is the string "1e-3" under PyYAML but 0.001 to OmegaConf: the value is judged as the
    # number it means; whether the project's reader gets it is DL304's business.
    assert only(settings, "weight_decay").value == 1e-3


def test_config_families_from_type_class_path_name_and_section():
    settings = config("cfg.json", """
        {"optimizer": {"type": "SGD", "args": {"lr": 0.1, "weight_decay": 5e-4}},
         "trainer": {"epochs": 10}}
    """)
    assert {(s.name, s.family) for s in settings} == {("lr", "sgd"), ("weight_decay", "sgd"), ("epochs", None)}
    assert only(settings, "lr").clipped is False  # describes the run and does not clip
    settings = config("cli.yaml", """
        optimizer:
          class_path: torch.optim.AdamW
          init_args: {lr: 0.001, eps: 1.0e-8}
        adam:
          lr: 0.002
        misc:
          optimizer: adamw_torch
          learning_rate: 5.0e-5
    """)
    assert [(s.value, s.family) for s in settings if s.name == "lr"] == [(0.001, "adamw"), (0.002, "adam"),
                                                                         (5e-5, "adamw")]
    lr = next(s for s in settings if s.name == "lr")
    assert sibling(settings, lr, "eps").value == 1e-8
    settings = config("opt.toml", """
        [optimizer]
        name = "lion"
        lr = 1e-4
        weight_decay = 1.0
        betas = [0.9, 0.99]
    """)
    assert {s.name: (s.value, s.family) for s in settings} == {
        "lr": (1e-4, "lion"), "weight_decay": (1.0, "lion"), "betas": ((0.9, 0.99), "lion")}


def test_config_skips_non_peak_rates_sweeps_and_other_classes():
    settings = config("train.yaml", """
        warmup:
          lr: 1.0e-6
        lr_finder:
          max_lr: 10.0
        sweep_space:
          lr: {values: [0.1, 0.01]}
        ema: {decay: 0.9999}
        use_lr: true
        model:
          type: ResNet
          lr: 0.5
        trainer:
          gradient_clip_val: 0.0
    """)
    assert [(s.value, s.family) for s in settings if s.name == "lr"] == [(0.5, None)]
    assert only(settings, "lr").clipped is False  # gradient_clip_val 0 disables clipping


def test_config_clipping_and_deepspeed():
    settings = config("ds_config.json", """
        {"train_batch_size": 64, "gradient_clipping": 1.0,
         "optimizer": {"type": "Adam", "params": {"lr": 1e-4, "weight_decay": 0.01}}}
    """)
    lr = only(settings, "lr")
    assert (lr.family, lr.clipped, lr.clip_norm) == ("adamw", True, 1.0)  # DeepSpeed Adam is AdamW
    settings = config("mm.yaml", """
        optim_wrapper:
          optimizer: {type: SGD, lr: 0.02}
          clip_grad: {max_norm: 35, norm_type: 2}
    """)
    assert (only(settings, "lr").clipped, only(settings, "lr").clip_norm) == (True, 35)


def test_results_are_cached_per_file():
    module = parse_python("train.py", b"import torch\nopt = torch.optim.SGD(p, lr=0.1)\n")
    assert from_python(module) is from_python(module)
    loaded = load_config("c.yaml", b"lr: 0.1\n")
    assert from_config(loaded) is from_config(loaded)
