"""SARIF 2.1.0, the format GitHub code scanning (and most code-review tools) ingest."""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Location, Severity
from dllint.engine.rule import split_sections

INFORMATION_URI = "https://github.com/dllint/dllint"
_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    first = {d.code: d for d in reversed(diagnostics)}  # fallback metadata for unknown codes
    run = {
        "tool": {
            "driver": {
                "name": "dllint",
                "version": context.version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(code, first[code], context) for code in codes],
            }
        },
        # Location paths are relative to the working directory; this anchors them.
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        # dllint counts columns in characters, not SARIF's default UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code]) for d in diagnostics],
    }
    log = {"$schema": _SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(code: str, example: Diagnostic, context: ReportContext) -> dict[str, Any]:
    rule = context.rules.get(code)
    # Engine-emitted codes may be missing from `rules`; the diagnostic still names itself.
    name = getattr(rule, "name", example.name)
    summary = getattr(rule, "summary", "") or example.message
    severity = getattr(rule, "severity", example.severity)
    doc = inspect.cleandoc(rule.__doc__ or "") if rule is not None else ""
    help_text = getattr(rule, "help", "") or example.help or summary
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": split_sections(doc).get("What it does") or summary},
        # The rule docstring is already Markdown with fixed sections; code scanning shows it.
        "help": {"text": help_text, "markdown": doc or help_text},
        "helpUri": context.docs_url(code),
        "defaultConfiguration": {"level": _LEVEL[severity]},
    }


def _result(d: Diagnostic, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": _LEVEL[d.severity],
        "message": {"text": d.message},
        "locations": [_location(d.location)],
    }
    if d.related:
        result["relatedLocations"] = [
            _location(r.location, i, r.message) for i, r in enumerate(d.related)
        ]
    if d.fix is not None:
        replacements = [
            {
                "deletedRegion": _region(e.line, e.column, e.end_line, e.end_column),
                "insertedContent": {"text": e.content},
            }
            for e in d.fix.edits
        ]
        result["fixes"] = [
            {
                "description": {"text": d.help or f"Fix {d.code} ({d.fix.applicability})"},
                "artifactChanges": [
                    {"artifactLocation": _artifact(d.path), "replacements": replacements}
                ],
                "properties": {"applicability": d.fix.applicability},
            }
        ]
    return result


def _location(loc: Location, index: int | None = None, message: str = "") -> dict[str, Any]:
    region = _region(loc.line, loc.column, loc.end_line, loc.end_column)
    if (loc.end_line, loc.end_column) == (loc.line, loc.column):
        # A point finding (a file, a key): without an end SARIF reads "to the end of the line",
        # which viewers highlight, where an empty region would show nothing.
        del region["endLine"], region["endColumn"]
    out: dict[str, Any] = {} if index is None else {"id": index}
    out["physicalLocation"] = {"artifactLocation": _artifact(loc.path), "region": region}
    if message:
        out["message"] = {"text": message}
    return out


def _artifact(path: str) -> dict[str, str]:
    # A SARIF uri is an RFC 3986 reference: spaces and non-ASCII must be percent-encoded.
    return {"uri": quote(path.replace("\\", "/"), safe="/"), "uriBaseId": "%SRCROOT%"}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    # dllint's end column is exclusive (ast's end_col_offset + 1), as SARIF's is.
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}
