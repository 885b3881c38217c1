"""The rules chosen for one group of files, instantiated once with their options."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from functools import cached_property

from dllint import __version__
from dllint.engine.registry import all_rules
from dllint.engine.rule import Rule
from dllint.engine.selection import resolve
from dllint.engine.settings import Settings


@dataclass(frozen=True)
class RuleSetSpec:
    codes: frozenset[str]
    options: tuple[tuple[str, object], ...]  # code -> Options instance (picklable dataclasses)

    @classmethod
    @functools.lru_cache(maxsize=64)
    def from_settings(cls, settings: Settings) -> RuleSetSpec:
        codes = resolve(settings.select, settings.extend_select, settings.ignore)
        return cls(codes, tuple((c, o) for c, o in settings.rule_options if c in codes))

    @cached_property
    def fingerprint(self) -> str:
        text = repr((__version__, sorted(self.codes), self.options))
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class RuleSet:
    def __init__(self, spec: RuleSetSpec) -> None:
        self.spec = spec
        options = dict(spec.options)
        catalogue = all_rules()
        self.rules: list[Rule] = [catalogue[c](options.get(c)) for c in sorted(spec.codes)]
        # Bound visitor methods per rule, looked up once per run rather than once per file.
        self.visitors = {id(r): [(name, getattr(r, method)) for name, method in r.visitors().items()]
                         for r in self.rules}
        self.python_checkers = {id(r) for r in self.rules
                                if type(r).check_python is not Rule.check_python}
        self.python_rules = [r for r in self.rules if r.reads_python() or _summarizes(r, "python")]
        self.config_rules = [r for r in self.rules if r.reads_configs() or _summarizes(r, "config")]
        self.project_rules = [r for r in self.rules if r.reads_project()]

    def selected(self, code: str) -> bool:
        return code in self.spec.codes

    def python_rules_for(self, text: str) -> list[Rule]:
        """The text pre-filter: a rule sees a file only if one of its trigger strings occurs."""
        return [r for r in self.python_rules if not r.triggers or any(t in text for t in r.triggers)]

    def engine_rule(self, code: str) -> Rule:
        return all_rules()[code]()


def _summarizes(rule: Rule, kind: str) -> bool:
    return callable(getattr(rule, f"summarize_{kind}", None))
