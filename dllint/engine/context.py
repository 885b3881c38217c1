"""What a reporter needs to know besides the diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dllint.engine.rule import Rule

RULE_DOCS_URL = "https://github.com/dllint/dllint/blob/main/rules/{code}.md"


@dataclass
class ReportContext:
    rules: Mapping[str, type[Rule]]  # every known rule, by code (metadata for SARIF etc.)
    version: str
    files_checked: int = 0
    color: bool = False
    # Texts of the files that have findings, by display path (the `full` format shows lines).
    sources: Mapping[str, str] = field(default_factory=dict)

    def docs_url(self, code: str) -> str:
        return RULE_DOCS_URL.format(code=code)
