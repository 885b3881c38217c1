"""Output formats. Each module renders a list of diagnostics to text; the CLI writes it.

Modules are imported only when their format is chosen (rich, for one, is slow to import).
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Format name -> module exposing `render(diagnostics, context) -> str`.
FORMATS = {
    "concise": "dllint.reports.concise",
    "full": "dllint.reports.full",
    "json": "dllint.reports.json_",
    "sarif": "dllint.reports.sarif",
    "github": "dllint.reports.github",
    "gitlab": "dllint.reports.gitlab",
    "junit": "dllint.reports.junit",
    "statistics": "dllint.reports.statistics",
}


def load(name: str) -> ModuleType:
    """The reporter module for a format name; raises ValueError for an unknown one."""
    try:
        module = FORMATS[name]
    except KeyError:
        choices = ", ".join(FORMATS)
        raise ValueError(f"unknown output format {name!r} (choose from {choices})") from None
    return importlib.import_module(module)
