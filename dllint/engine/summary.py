"""What one file tells the project phase: small, picklable, cacheable with the file's findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dllint.engine.diagnostic import Diagnostic

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([A-Za-z_]\w*))", re.M)


def imported_packages(text: str) -> frozenset[str]:
    """Top-level packages a file imports. A regex: no tree walk needed for this one fact."""
    return frozenset(a or b for a, b in _IMPORT.findall(text))


@dataclass
class FileSummary:
    path: str  # display path
    kind: str  # "python" | "config"
    imports: frozenset[str] = frozenset()
    # Per-rule facts from `summarize_python`/`summarize_config` hooks, by rule code.
    rule_data: dict[str, Any] = field(default_factory=dict)


@dataclass
class FileResult:
    path: str  # display path
    kind: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    summary: FileSummary | None = None
    suppressions: list = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)  # "rule DL101 failed on x.py: ..."
    error: str | None = None  # the file could not be read at all
