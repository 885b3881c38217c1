"""Optimizer families that a config file leaves to other files: the project-phase join of DL301-DL303.

A config file often sets `lr` or `weight_decay` without naming the optimizer, and a file that
names the optimizer may take its values from another. Three links join them, in this order:

1. mmengine `_base_` inheritance: `optim_wrapper = dict(optimizer=dict(lr=0.01))` over a base
   with `type='SGD'`; or a child that switches `type='AdamW'` and inherits the base's SGD `lr`.
2. Hydra composition: a value at `model.optimizer.lr` (a `# @package _global_` experiment, or a
   group file placed by its directory) and another file naming `_target_` at `model.optimizer`.
3. Code that reads the value: `torch.optim.SGD(params, lr=cfg.optimizer.lr)` gives the family
   of the config key `optimizer.lr` (`facts.python_hyperparameters.config_reads`).

A link is made only when it is unambiguous (one family). Each file is judged on its own by the
rules (`facts.hyperparameters`); `linked`/`new_findings` give only the combinations that span
files, so nothing is reported twice. Rules store `summary(file)` from their summarize hooks.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from typing import Any

from dllint.engine.diagnostic import Location, Related
from dllint.facts import optimizers as opt
from dllint.facts.clipping import config_clipping
from dllint.facts.config_reader import float_syntax, yaml_reads
from dllint.facts.hyperparameter_setting import Setting
from dllint.facts.hyperparameters import from_config
from dllint.facts.python_config import config_module
from dllint.facts.python_hyperparameters import LINKED, ConfigRead, config_reads

_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)", re.M)
CONFIG_ROOTS = ("configs", "conf", "config")
_NAMING = set(opt.CLASS_KEYS + opt.OPTIMIZER_KEYS)


@dataclass(frozen=True)
class Value:
    name: str  # lr | weight_decay
    key: str  # as written
    value: Any
    location: Location
    dotted: str  # the key path in its file


@dataclass(frozen=True)
class Family:
    family: str
    display: str  # the class as written
    location: Location | None


@dataclass(frozen=True)
class Section:
    keys: tuple  # where the optimizer's arguments live in the file (`args`/`init_args` folded up)
    family: Family | None
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class LinkSummary:
    """What one file contributes to the join: picklable, kept with the file's cache entry."""

    bases: tuple[str, ...] = ()  # `_base_` files as written
    deletes: tuple[tuple, ...] = ()  # key paths of mappings with `_delete_=True`
    package: tuple | None = None  # key prefix a `# @package` header states
    composed: bool = False  # Hydra/OmegaConf syntax: a file Hydra composes
    sections: tuple[Section, ...] = ()
    reads: tuple[ConfigRead, ...] = ()
    hydra_dirs: tuple[str, ...] = ()  # `config_path` of `@hydra.main`, as written
    clipped: bool | None = None
    clip_norm: float | None = None


@dataclass(frozen=True)
class Link:
    setting: Setting  # the value with the family another file gives (located in this file)
    original: Setting | None  # the value as its own file judged it; None when the pair is new
    related: tuple[Related, ...]


def summary(source) -> LinkSummary | None:
    """For a `summarize_python`/`summarize_config` hook (cached per file)."""
    found = source.fact(_summary)
    return found if found.sections or found.reads or found.hydra_dirs or found.bases else None


def _summary(source) -> LinkSummary:
    config = config_module(source) if hasattr(source, "tree") else source  # a config module is only data
    if config is not None:
        return _config_summary(config)
    return LinkSummary(reads=tuple(config_reads(source)), hydra_dirs=yaml_reads(source).hydra_dirs)


def _config_summary(config) -> LinkSummary:
    sections: dict[tuple, tuple[Family | None, list[Value]]] = {}
    for setting in from_config(config):
        if setting.name in LINKED and setting.node is not None:
            keys = _section_keys(setting.node.parent)
            family = Family(setting.family, setting.optimizer, setting.optimizer_location) if setting.family else None
            value = Value(setting.name, str(setting.key), setting.value, setting.location, setting.node.dotted_path)
            sections.setdefault(keys, (family, []))[1].append(value)
    keys = opt.config_keys(config)
    deletes = [n.parent.path for n in keys.get("_delete_", ()) if n.value is True and n.parent is not None]
    # Mappings that may name a class: those with a `type:`-like child, or named after a family.
    naming = {id(n.parent): n.parent for key in _NAMING & keys.keys() for n in keys[key] if n.parent is not None}
    naming.update((id(n), n) for key in opt.FAMILY_KEYS & keys.keys() for n in keys[key] if n.kind == "mapping")
    for node in naming.values():
        if node.kind != "mapping" or not node.children:
            continue
        family, display, source = opt.config_family(node.children[0])
        if family is not None and source is not None and _section_keys(node) not in sections:
            where = config.key_location(source) if source.kind == "mapping" else config.location(source)
            sections[_section_keys(node)] = (Family(family, display, where), [])
    header = _PACKAGE.search(config.text[:2000]) if config.format == "yaml" else None
    package = None if header is None or header.group(1) == "_group_" else (
        () if header.group(1) == "_global_" else tuple(header.group(1).split(".")))
    composed = config.format == "yaml" and float_syntax(config) in ("Hydra", "OmegaConf")
    return LinkSummary(getattr(config, "bases", ()), tuple(deletes), package, composed,
                       tuple(Section(k, f, tuple(v)) for k, (f, v) in sections.items()),
                       (), (), *config_clipping(config))


def _section_keys(node) -> tuple:
    keys = node.path
    return keys[:-1] if keys and str(keys[-1]).lower() in opt.ARGUMENT_SECTIONS else keys


def linked(project, code: str, name: str) -> list[Link]:
    data = dict(project.rule_data(code))
    found: dict[Location, Link] = {}
    for link in _inherited(data, name) + _composed(data, name) + _read(data, name):
        found.setdefault(link.setting.location, link)
    return list(found.values())


def new_findings(project, code: str, name: str, verdict) -> list[tuple[Setting, str, tuple[Related, ...]]]:
    """(setting, verdict, related) for each linked value `verdict` condemns that its own file did not."""
    found = []
    for link in linked(project, code, name):
        problem = verdict(link.setting)
        if problem is not None and (link.original is None or verdict(link.original) is None):
            found.append((link.setting, problem, link.related))
    return found


# ---- 1. `_base_` inheritance -------------------------------------------------------------------

def _inherited(data: dict[str, LinkSummary], name: str) -> list[Link]:
    memo: dict[str, dict] = {}
    links = []
    for path, own in data.items():
        if not own.bases:
            continue
        for family, values in _effective(data, path, memo, ()).values():
            value = values.get(name)
            if family is None or value is None or (family[1] == path) == (value[1] == path):
                continue  # judged where both are written, or combined in a base already
            (family, where), (value, there) = family, value
            clipped, clip = _clipping(data, path)
            if there == path:  # a value here, its optimizer named in a base
                setting = _setting(value, family, f"config key `{value.dotted}`, optimizer `{family.display}` "
                                   f"from `{where}`", clipped, clip)
                links.append(Link(setting, replace(setting, family=None, optimizer=None), _named_here(family)))
            else:  # the optimizer switched here, the value inherited from a base
                at = family.location or value.location
                setting = replace(_setting(value, family, f"`{value.key}` inherited from `{there}` line "
                                           f"{value.location.line}", clipped, clip), location=at)
                links.append(Link(setting, None, (Related(value.location, "the inherited value"),)))
    return links


def _effective(data, path: str, memo: dict, stack: tuple) -> dict:
    """keys -> ((Family, file), {name: (Value, file)}) after merging the `_base_` chain."""
    if path in memo:
        return memo[path]
    own = data[path]
    merged: dict = {}
    for base in own.bases:
        resolved = _join(path, base)
        if resolved in data and resolved not in stack:
            for keys, (family, values) in _effective(data, resolved, memo, (*stack, path)).items():
                merged[keys] = (family, dict(values))
    for deleted in own.deletes:
        merged = {k: v for k, v in merged.items() if k[:len(deleted)] != deleted}
    for section in own.sections:
        family, values = merged.get(section.keys, (None, {}))
        if section.family is not None:
            family = (section.family, path)
        values.update({v.name: (v, path) for v in section.values})
        merged[section.keys] = (family, values)
    memo[path] = merged
    return merged


def _clipping(data, path: str, depth: int = 0) -> tuple[bool | None, float | None]:
    """A file clips if it or any of its bases does (mmengine's `clip_grad` is merged like the rest)."""
    own = data.get(path)
    if own is None or depth > 16 or own.clipped:
        return (own.clipped, own.clip_norm) if own is not None else (None, None)
    inherited = [_clipping(data, _join(path, base), depth + 1) for base in own.bases]
    return next(((True, clip) for clipped, clip in inherited if clipped), (own.clipped, None))


def _join(path: str, base: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), base))


# ---- 2. Hydra composition ----------------------------------------------------------------------

def _composed(data: dict[str, LinkSummary], name: str) -> list[Link]:
    roots = sorted({posixpath.normpath(posixpath.join(posixpath.dirname(p), d))
                    for p, s in data.items() for d in s.hydra_dirs}, key=len, reverse=True)
    families: dict[tuple, dict[str, Family]] = {}
    pending = []
    for path, own in data.items():
        prefix = _prefix(path, own, roots)
        if prefix is None:
            continue
        for section in own.sections:
            keys = prefix + section.keys
            if section.family is not None:
                families.setdefault(keys, {}).setdefault(section.family.family, section.family)
            else:
                pending += [(own, keys, v) for v in section.values if v.name == name]
    links = []
    for own, keys, value in pending:
        known = families.get(keys, {})
        if len(known) == 1:
            family = next(iter(known.values()))
            setting = _setting(value, family, f"config key `{'.'.join(map(str, keys + (value.key,)))}`, optimizer "
                               f"`{family.display}` where Hydra composes the same section", own.clipped, own.clip_norm)
            links.append(Link(setting, replace(setting, family=None, optimizer=None), _named_here(family)))
    return links


def _prefix(path: str, own: LinkSummary, roots: list[str]) -> tuple | None:
    """Where Hydra places this file's keys: its `# @package`, else its group directory."""
    if own.package is not None:
        return own.package
    if not own.composed:
        return None
    directory = posixpath.dirname(path)
    root = next((r for r in roots if directory == r or directory.startswith(r + "/")), None)
    if root is None:
        parts = directory.split("/")
        found = [i for i, part in enumerate(parts) if part in CONFIG_ROOTS]
        if not found:
            return None
        root = "/".join(parts[:found[-1] + 1])
    group = directory[len(root):].strip("/")
    return tuple(group.split("/")) if group else ()


# ---- 3. code that reads the value ----------------------------------------------------------------

def _read(data: dict[str, LinkSummary], name: str) -> list[Link]:
    reads = [(path, r) for path, s in data.items() for r in s.reads if r.name == name]
    if not reads:
        return []
    links = []
    for path, own in data.items():
        prefix = _prefix(path, own, []) or ()
        for section in own.sections:
            if section.family is not None:
                continue
            for value in (v for v in section.values if v.name == name):
                full = prefix + section.keys + (value.key,)
                matches = [(p, r) for p, r in reads if _reads(r, full, path)]
                if len({r.family for _, r in matches}) != 1:
                    continue
                reader_path, read = matches[0]
                family = Family(read.family, read.optimizer, read.location)
                clipped = own.clipped if own.clipped is not None else read.clipped
                setting = _setting(value, family, f"config key `{value.dotted}`, read by `{read.optimizer}` at "
                                   f"{reader_path}:{read.location.line}", clipped, own.clip_norm)
                reader = Related(read.location, f"`{read.optimizer}` reads it here")
                links.append(Link(setting, replace(setting, family=None, optimizer=None), (reader,)))
    return links


def _reads(read: ConfigRead, full: tuple, path: str) -> bool:
    if read.files and not any(path == f or path.endswith("/" + f.lstrip("./")) for f in read.files):
        return False
    if len(read.keys) >= 2 or read.files:
        return full[-len(read.keys):] == read.keys
    return full == read.keys  # `cfg["lr"]` with no file named: only a top-level `lr`


def _setting(value: Value, family: Family, origin: str, clipped, clip) -> Setting:
    return Setting(value.name, value.value, value.location, family.family, family.display, None, origin,
                   value.key, clipped if value.name == "lr" else None, clip if value.name == "lr" else None)


def _named_here(family: Family) -> tuple[Related, ...]:
    return (Related(family.location, f"`{family.display}` is named here"),) if family.location else ()
