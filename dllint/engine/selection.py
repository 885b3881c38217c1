"""Turns `select` / `ignore` / `extend-select` selectors (codes, prefixes, names) into codes."""

from __future__ import annotations

from collections.abc import Iterable

from dllint.engine.errors import SettingsError
from dllint.engine.registry import all_rules, rules_by_name


def expand(selector: str) -> set[str]:
    """`DL1` -> every DL1xx code; `DL101` -> itself; `hard-labels-to-ranking-metric` -> DL101."""
    text = selector.strip()
    if text.upper() == "ALL":
        return set(all_rules())
    by_name = rules_by_name().get(text.lower())
    if by_name is not None:
        return {by_name.code}
    codes = {code for code in all_rules() if code.startswith(text.upper())}
    if not codes or not text.upper().startswith("DL"):
        raise SettingsError(f"unknown rule code or name {selector!r}", key=selector)
    return codes


def expand_all(selectors: Iterable[str]) -> set[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector)
    return codes


def is_known_selector(selector: str) -> bool:
    try:
        expand(selector)
    except SettingsError:
        return False
    return True


def resolve(
    select: Iterable[str] | None, extend_select: Iterable[str], ignore: Iterable[str]
) -> frozenset[str]:
    if select is None:
        chosen = {code for code, rule in all_rules().items() if rule.enabled_by_default}
    else:
        chosen = expand_all(select)
    chosen |= expand_all(extend_select)
    chosen -= expand_all(ignore)
    return frozenset(chosen)
