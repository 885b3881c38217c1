"""Finds the rules: every module in `dllint.rules` holding a `Rule` subclass with a code.

Nothing lists the rules by hand; adding a module adds the rule.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re

from dllint.engine.rule import Rule

_CODE = re.compile(r"^DL\d{3}$")


@functools.cache
def all_rules() -> dict[str, type[Rule]]:
    """Every rule by code, in code order."""
    import dllint.rules as package

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not re.match(r"^dl\d{3}_", info.name):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        rules = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj.__module__ == module.__name__
        ]
        if len(rules) != 1:
            raise RuntimeError(f"{module.__name__} must define exactly one rule, found {len(rules)}")
        rule = rules[0]
        if not _CODE.match(getattr(rule, "code", "")):
            raise RuntimeError(f"{module.__name__}: bad rule code {getattr(rule, 'code', None)!r}")
        if rule.code in found:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        found[rule.code] = rule
    return dict(sorted(found.items()))


def rules_by_name() -> dict[str, type[Rule]]:
    return {rule.name: rule for rule in all_rules().values()}


def lookup(code_or_name: str) -> type[Rule] | None:
    key = code_or_name.strip()
    return all_rules().get(key.upper()) or rules_by_name().get(key.lower())
