"""Where a project keeps its hyperparameters, and which ones its code writes in as literals.

`evidence_in_python(module)` and `evidence_in_config(config)` say that a file belongs to a
config system: a hyperparameter config file (YAML/JSON/TOML keys `lr`, `weight_decay`, ...,
read by `facts.hyperparameters`), a Python config module (a file under `configs/`/`conf/`, or
named `config.py`, `*_config.py`, `hparams.py`..., that assigns such names), or command-line
options for them (`--lr`). `literals(module)` lists the optimizer hyperparameters (learning
rate, weight decay, momentum) written as literals in the optimizer or scheduler call itself.
All answers are small tuples, picklable for the project phase.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from dllint.engine.diagnostic import Location
from dllint.facts.constants import is_number, resolver
from dllint.facts.hyperparameters import CONFIG_KEYS, from_config, from_python
from dllint.facts.layout import is_side_code

OPTIMIZER_SETTINGS = ("lr", "weight_decay", "momentum")
CONFIG_DIRECTORIES = ("configs", "config", "conf", "cfg", "cfgs", "hparams", "hyperparameters")
CONFIG_MODULE = re.compile(r"^(?:\w*_)?(?:config|configs|cfg|conf|settings|hparams|hyperparameters|defaults)"
                           r"(?:_\w*)?\.py$")
# A file without any of these builds no optimizer or scheduler (DL301's pre-filter): its settings
# need not be extracted.
OPTIMIZER_MARKERS = ("optim", "Adam", "SGD", "Lion", "TrainingArguments", "SFTConfig", "OneCycleLR", "CyclicLR")


@dataclass(frozen=True)
class Evidence:
    what: str  # "`configs/train.yaml` sets `lr`", "option `--lr`"
    name: str  # the canonical hyperparameter: lr, weight_decay, epochs...
    location: Location


@dataclass(frozen=True)
class Literal:
    name: str  # lr | weight_decay | momentum
    key: str  # as written: lr, max_lr, learning_rate
    value: float
    consumer: str  # `torch.optim.Adam`
    location: Location


def is_config_module(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(CONFIG_MODULE.match(parts[-1])) or any(p in CONFIG_DIRECTORIES for p in parts[:-1])


def is_project_code(relative: str) -> bool:
    """Not a test, doc, example or config module: code whose literals are the program's own."""
    return not (is_side_code(relative) or is_config_module(relative))


def evidence_in_config(config) -> list[Evidence]:
    return _first_per_name(Evidence(f"`{config.path}` sets `{s.key}`", s.name, s.location)
                           for s in from_config(config))


def evidence_in_python(module) -> list[Evidence]:
    found = []
    options = resolver(module).options if "add_argument" in module.text else None
    for key, name in CONFIG_KEYS.items() if options is not None else ():
        option = options.option(key)
        if option is not None:
            found.append(Evidence(f"option `{option.flag}`", name, module.location(option.call)))
    if is_config_module(module.path):
        for node in module.nodes("Assign", "AnnAssign"):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                key = target.id if isinstance(target, ast.Name) else None
                if key is not None and key.lower() in CONFIG_KEYS:
                    found.append(Evidence(f"`{module.path}` sets `{key}`", CONFIG_KEYS[key.lower()],
                                          module.location(target)))
        found += [Evidence(f"`{module.path}` sets `{s.key}`", s.name, s.location) for s in from_python(module)]
    return _first_per_name(found)


def _first_per_name(evidence) -> list[Evidence]:
    first: dict[str, Evidence] = {}
    for item in evidence:
        first.setdefault(item.name, item)
    return list(first.values())


def literals(module) -> list[Literal]:
    """Literal optimizer settings; whether the file is project code is the caller's question
    (`is_project_code` of the path relative to the project root)."""
    if is_config_module(module.path) or not any(marker in module.text for marker in OPTIMIZER_MARKERS):
        return []
    found = []
    for setting in from_python(module):
        owner = setting.owner
        # `dict(type="AdamW", lr=...)` is an mmengine-style config written in Python, not a call.
        in_call = isinstance(owner, ast.Call) and not (isinstance(owner.func, ast.Name) and owner.func.id == "dict")
        if setting.name in OPTIMIZER_SETTINGS and in_call and not setting.origin and not setting.tensors \
                and is_number(setting.value):
            found.append(Literal(setting.name, setting.key, setting.value, setting.optimizer or "",
                                 setting.location))
    return found
