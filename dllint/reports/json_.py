"""A JSON array, one object per finding (named `json_` so it does not shadow the stdlib)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Fix


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    # ensure_ascii=False keeps non-ASCII paths and messages readable; the output is UTF-8.
    return json.dumps([_finding(d) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"


def _finding(d: Diagnostic) -> dict[str, Any]:
    # Keys in a fixed order so that diffs of saved reports stay small.
    loc = d.location
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.label,
        "message": d.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "fix": _fix(d.fix),
        "help": d.help,
        "related": [
            {
                "path": r.location.path,
                "line": r.location.line,
                "column": r.location.column,
                "message": r.message,
            }
            for r in d.related
        ],
    }


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "edits": [
            {
                "line": e.line,
                "column": e.column,
                "end_line": e.end_line,
                "end_column": e.end_column,
                "content": e.content,
            }
            for e in fix.edits
        ],
    }
