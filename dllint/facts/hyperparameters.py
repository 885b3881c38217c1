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

from typing import Any

from dllint.engine.diagnostic import Location
from dllint.facts import optimizers as opt
from dllint.facts import python_hyperparameters
from dllint.facts.constants import is_number
from dllint.facts.hyperparameter_setting import Setting

__all__ = ["CONFIG_KEYS", "Setting", "by_value", "from_config", "from_python", "sibling"]



def from_python(module) -> list[Setting]:
    return module.fact(python_hyperparameters.collect)


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


def sibling(settings: list[Setting], setting: Setting, name: str) -> Setting | None:
    """The `name` setting given to the same optimizer call or config section as `setting`."""
    for other in settings:
        if other.name == name and other.owner is not None and other.owner is setting.owner:
            return other
    return None


# ---- config files ------------------------------------------------------------------------------

CONFIG_KEYS = {
    "lr": "lr", "learning_rate": "lr", "base_lr": "lr", "max_lr": "lr", "peak_lr": "lr", "init_lr": "lr",
    "lr0": "lr",
    "weight_decay": "weight_decay", "wd": "weight_decay", "weight_decay_rate": "weight_decay",
    "momentum": "momentum", "betas": "betas", "eps": "eps", "epsilon": "eps", "adam_epsilon": "eps",
    "opt_eps": "eps",
    "dropout": "dropout", "dropout_rate": "dropout", "dropout_p": "dropout", "drop_rate": "dropout",
    "epochs": "epochs", "max_epochs": "epochs", "num_epochs": "epochs", "n_epochs": "epochs",
    "num_train_epochs": "epochs",
}
# Sections whose learning rates are not the optimizer's peak: warm-up starts, LR range tests
# (`lr_finder: {max_lr: 10}` is the end of a sweep, not a training setting), search spaces.
_NOT_PEAK = ("warmup", "lr_find", "range_test", "sweep", "search", "tune")


def _config_settings(config) -> list[Setting]:
    clipped, clip = opt.config_clipping(config)
    found: dict[tuple, Setting] = {}
    for node in config.walk():
        name = CONFIG_KEYS.get(node.key.lower()) if isinstance(node.key, str) else None
        value = _config_value(node, name) if name else None
        if value is None:
            continue
        sections = [str(k).lower() for k in node.path[:-1]]
        if name == "lr" and any(word in s for s in sections for word in _NOT_PEAK):
            continue
        family, display, source = opt.config_family(node)
        location = config.location(node)
        setting = Setting(name, value, location, family, display,
                          _source_location(config, source),
                          f"config key `{node.dotted_path}`", node.key,
                          clipped if name == "lr" else None, clip if name == "lr" else None, node=node,
                          owner=node.parent)
        # A YAML alias repeats a value at its anchor's position: one setting.
        found.setdefault((name, location), setting)
    return list(found.values())


def _source_location(config, source) -> Location | None:
    if source is None:
        return None
    # `adam: {lr: ...}` names the family by its key; `type: Adam` by its value.
    return config.key_location(source) if source.kind == "mapping" else config.location(source)


def _config_value(node, name: str) -> Any:
    if node.kind == "scalar":
        return node.value if is_number(node.value) else None
    if name == "betas" and node.kind == "sequence" and node.children and all(
            c.kind == "scalar" and is_number(c.value) for c in node.children):
        return tuple(c.value for c in node.children)
    return None
