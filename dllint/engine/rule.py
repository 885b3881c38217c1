"""What a rule is. A rule exists by existing: a module in `dllint/rules/` with one `Rule` subclass.

A rule reads one or more kinds of input by defining the matching hooks; the engine calls only the
hooks a rule has:

- `visit_<ast node class>(node, module)` - called during the single batched walk of a Python file;
- `check_python(module)`  - once per Python file, after the walk, for whole-file reasoning;
- `check_config(config)`  - once per hyperparameter config file (YAML/JSON/TOML);
- `check_project(project)` - once per linted project, with the index of every file's summary.

Each hook returns (or yields) diagnostics made with `self.diagnostic(...)`, or None.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from dllint.engine.diagnostic import Diagnostic, Fix, Location, Related, Severity


@dataclasses.dataclass(frozen=True)
class NoOptions:
    pass


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    # One line shown under each finding: what to do about it.
    help: ClassVar[str] = ""
    # The section of the field notes (seed/dl-project-experience.md) the rule comes from.
    origin: ClassVar[str] = ""
    Options: ClassVar[type] = NoOptions
    # Text pre-filter: a Python file containing none of these strings is not shown to the rule.
    # Empty means "every file".
    triggers: ClassVar[tuple[str, ...]] = ()
    enabled_by_default: ClassVar[bool] = True
    fixable: ClassVar[bool] = False
    # Rules emitted by the engine itself (parse errors, settings) have no hooks.
    engine_emitted: ClassVar[bool] = False
    # Runtime probes (DL9xx): emitted by `dllint probe` / `dllint.probes`, never by `check`.
    probe: ClassVar[bool] = False

    def __init__(self, options: Any = None) -> None:
        self.options = options if options is not None else self.Options()

    def diagnostic(
        self,
        location: Location,
        message: str,
        *,
        severity: Severity | None = None,
        help: str | None = None,
        fix: Fix | None = None,
        related: Iterable[Related] = (),
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=severity if severity is not None else self.severity,
            message=message,
            location=location,
            help=self.help if help is None else help,
            fix=fix,
            related=tuple(related),
        )

    @classmethod
    def visitors(cls) -> dict[str, str]:
        """Map of AST class name -> method name for the batched walk (RuleSet keeps it per run)."""
        return {attr[len("visit_"):]: attr for attr in dir(cls)
                if attr.startswith("visit_") and callable(getattr(cls, attr))}

    @classmethod
    def reads_python(cls) -> bool:
        return bool(cls.visitors()) or _overrides(cls, "check_python")

    @classmethod
    def reads_configs(cls) -> bool:
        return _overrides(cls, "check_config")

    @classmethod
    def reads_project(cls) -> bool:
        return _overrides(cls, "check_project")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into its fixed sections (`## What it does` ...)."""
        return split_sections(cls.__doc__ or "")

    # Hooks, overridden by subclasses that read that kind of input.
    def check_python(self, module) -> Iterable[Diagnostic] | None:  # pragma: no cover - hook
        return None

    def check_config(self, config) -> Iterable[Diagnostic] | None:  # pragma: no cover - hook
        return None

    def check_project(self, project) -> Iterable[Diagnostic] | None:  # pragma: no cover - hook
        return None


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Rule, method)


_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


def split_sections(doc: str) -> dict[str, str]:
    import inspect

    text = inspect.cleandoc(doc)
    parts = _SECTION.split(text)
    return {title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2])}


DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
