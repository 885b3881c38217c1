"""The hyperparameter settings a file makes: which value, for which optimizer, written where.

One extraction shared by the DL3xx rules, computed once per Python module or config file, and the
one module rules import. A Setting's location is the value itself when it is written in this file
(the literal in the call, the argparse default, the constant's assignment, the config scalar), so
the finding lands where the user edits it; the optimizer that uses it is the other end
(`optimizer_location`).

Python files are read by `facts.python_hyperparameters`, which follows values only as far as they
are visible in the file (`facts.constants`): anything else (a YAML loaded at run time, a function
parameter) yields no Setting, and rules stay silent. Config files are read here.
"""

from __future__ import annotations

import re
from typing import Any

from dllint.engine.diagnostic import Location, Related
from dllint.facts import optimizers as opt
from dllint.facts import python_hyperparameters
from dllint.facts.clipping import config_clipping
from dllint.facts.config_reader import yaml12_number
from dllint.facts.constants import is_number
from dllint.facts.epoch_loops import epoch_loops
from dllint.facts.hyperparameter_setting import Setting
from dllint.facts.python_config import config_module

__all__ = ["CONFIG_KEYS", "Setting", "by_value", "from_config", "from_python", "judged", "sibling"]



def from_python(module) -> list[Setting]:
    """Settings in code, and, for a Python config module (`facts.python_config`), its data."""
    return module.fact(_python_settings)


def _python_settings(module) -> list[Setting]:
    config = config_module(module)
    if config is not None:
        return from_config(config)  # only data: no optimizer is built, no loop runs
    return python_hyperparameters.collect(module) + epoch_loops(module)


def from_config(config) -> list[Setting]:
    return config.fact(_config_settings)


def by_value(settings: list[Setting], name: str) -> list[list[Setting]]:
    """Settings of `name` grouped by where the value is written, in file order.

    One value may feed several optimizers (an argparse default used by whichever `--optimizer`
    is chosen): rules judge the group, and report it once.
    """
    groups: dict[Location, list[Setting]] = {}
    for setting in settings:
        if setting.name == name:
            groups.setdefault(setting.location, []).append(setting)
    return [groups[location] for location in sorted(groups)]


def judged(settings: list[Setting], name: str, verdict) -> list[tuple[Setting, str, list[Related]]]:
    """(setting, what is wrong, related places) for each value of `name` that `verdict` condemns.

    `verdict(setting)` says what is wrong with one consumer of a value, or None. A value shared by
    optimizers chosen at run time (`--optimizer sgd|adam` with one `--lr` default) was meant for
    one of them: it is condemned only if every consumer condemns it, and reported once, at the
    value, with the other consumers as related places.
    """
    found = []
    for group in by_value(settings, name):
        verdicts = [verdict(setting) for setting in group]
        if None in verdicts:
            continue
        first = group[0]
        related = [Related(s.optimizer_location, f"`{s.optimizer}` uses it") for s in group
                   if s.optimizer_location is not None and s.node is None
                   and s.optimizer_location.line != first.location.line]
        found.append((first, verdicts[0], related))
    return found


def sibling(settings: list[Setting], setting: Setting, name: str) -> Setting | None:
    """The `name` setting given to the same optimizer call or config section as `setting`."""
    for other in settings:
        if other.name == name and other.owner is not None and other.owner is setting.owner:
            return other
    return None


# ---- config files ------------------------------------------------------------------------------

CONFIG_KEYS = {
    "lr": "lr", "learning_rate": "lr", "base_lr": "lr", "max_lr": "lr", "peak_lr": "lr", "init_lr": "lr",
    "lr0": "lr", "target_lr": "lr", "warmup_target_lr": "lr",
    "weight_decay": "weight_decay", "wd": "weight_decay", "weight_decay_rate": "weight_decay",
    "momentum": "momentum", "betas": "betas", "eps": "eps", "epsilon": "eps", "adam_epsilon": "eps",
    "opt_eps": "eps",
    # nanoGPT and TrainingArguments write Adam's betas one by one.
    "beta1": "betas", "beta2": "betas", "adam_beta1": "betas", "adam_beta2": "betas",
    "dropout": "dropout", "dropout_rate": "dropout", "dropout_p": "dropout", "drop_rate": "dropout",
    "dropout_prob": "dropout", "hidden_dropout_prob": "dropout", "attention_probs_dropout_prob": "dropout",
    "hidden_dropout": "dropout", "attention_dropout": "dropout", "attn_dropout": "dropout",
    "resid_pdrop": "dropout", "embd_pdrop": "dropout", "attn_pdrop": "dropout", "classifier_dropout": "dropout",
    "epochs": "epochs", "max_epochs": "epochs", "num_epochs": "epochs", "n_epochs": "epochs",
    "num_train_epochs": "epochs", "total_epochs": "epochs", "train_epochs": "epochs",
}
# Sections whose learning rates are not the optimizer's peak: warm-up starts, LR range tests
# (`lr_finder: {max_lr: 10}` is the end of a sweep, not a training setting), search spaces.
# (`finetune: {lr: ...}` is a training stage, not a tuning search.)
_NOT_PEAK = re.compile(r"warmup|lr_find|range_test|sweep|search|(?<!fine)(?<!fine_)(?<!fine-)tun(?:e|ing)")
# ... except the rate a warm-up climbs to, which is the peak (`warmup: {target_lr: 0.4}`).
_PEAK_KEYS = ("max_lr", "peak_lr", "target_lr", "warmup_target_lr")


def _config_settings(config) -> list[Setting]:
    clipped, clip = config_clipping(config)
    head_only = _frozen_backbone(config)
    found: dict[tuple, Setting] = {}
    keys = opt.config_keys(config)
    named = sorted((n for key in CONFIG_KEYS.keys() & keys.keys() for n in keys[key]),
                   key=lambda n: (n.line, n.column))
    for node in named:
        name = CONFIG_KEYS[node.key.lower()]
        value, via = _config_value(config, node, name)
        if value is None:
            continue
        sections = [str(k).lower() for k in node.path[:-1]]
        not_peak = {found for s in sections for found in _NOT_PEAK.findall(s)}
        if name == "lr" and not_peak and (not_peak != {"warmup"} or node.key not in _PEAK_KEYS):
            continue
        family, display, source = opt.config_family(node)
        location = config.location(node)
        setting = Setting(name, value, location, family, display,
                          _source_location(config, source),
                          f"config key `{node.dotted_path}`{via}", node.key,
                          clipped if name == "lr" else None, clip if name == "lr" else None,
                          head_only=head_only and name == "lr", node=node, owner=node.parent)
        # A YAML alias repeats a value at its anchor's position: one setting.
        found.setdefault((name, location), setting)
    return list(found.values())


# A backbone frozen whole: ResNets have 4 stages, ViTs 12 or more (`frozen_stages=1`, common in
# detection fine-tuning, freezes only the stem).
_FROZEN_STAGES = 4
_FREEZE_FLAGS = {"freeze_backbone", "frozen_backbone", "linear_probe", "linear_eval", "linear_probing"}


def _frozen_backbone(config) -> bool:
    keys = opt.config_keys(config)
    return any(is_number(n.value) and n.value >= _FROZEN_STAGES for n in keys.get("frozen_stages", ())) or \
        any(n.value is True for key in _FREEZE_FLAGS & keys.keys() for n in keys[key])


def _source_location(config, source) -> Location | None:
    if source is None:
        return None
    # `adam: {lr: ...}` names the family by its key; `type: Adam` by its value.
    return config.key_location(source) if source.kind == "mapping" else config.location(source)


def _config_value(config, node, name: str) -> tuple[Any, str]:
    """The number a config value gives the program, and how (`; = ${base_lr} (line 3)`)."""
    via = ""
    target = interpolated(node)
    if target is not None:
        via, node = f" = `{node.raw or node.value}` (line {target.line})", target
    if node.kind == "scalar":
        if is_number(node.value):
            return node.value, via
        # `lr: 1e-3` is a string to PyYAML but a float to OmegaConf, Hydra and the YAML 1.2 readers;
        # whether this project's reader gets it right is DL304's question, the value is this one.
        number = yaml12_number(node) if config.format == "yaml" else None
        return (number, via) if number is not None else (None, "")
    if name == "betas" and node.kind == "sequence" and node.children and all(
            c.kind == "scalar" and is_number(c.value) for c in node.children):
        return tuple(c.value for c in node.children), via
    return None, ""


_INTERPOLATION = re.compile(r"^\$\{(\.*)([\w-]+(?:\.[\w-]+)*)\}$")


def interpolated(node, hops: int = 0):
    """The node an OmegaConf `${a.b}` / `${..b}` reference names in the same file, or None.

    Only whole-value references are followed; resolvers (`${oc.env:LR}`), string templates and
    references into other files are run-time matters and stay unresolved.
    """
    if node.kind != "scalar" or not isinstance(node.value, str) or hops > 8:
        return None
    match = _INTERPOLATION.match(node.value.strip())
    if match is None:
        return None
    dots, dotted = match.groups()
    base = node
    while base.parent is not None and not dots:
        base = base.parent  # absolute: from the document root
    for _ in range(len(dots)):  # `${.x}` is a sibling, each further dot one level up
        base = base.parent if base.parent is not None else base
    for part in dotted.split("."):
        child = base.get(part) if base.kind == "mapping" else (
            base.get(int(part)) if base.kind == "sequence" and part.isdigit() else None)
        if child is None:
            return None
        base = child
    return interpolated(base, hops + 1) or base
