"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request."""

from __future__ import annotations

from collections.abc import Sequence

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Severity

# GitHub has no "info" annotation; "notice" is its quietest level.
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    return "".join(_command(d) + "\n" for d in diagnostics)


def _command(d: Diagnostic) -> str:
    loc = d.location
    props = {
        "file": loc.path,
        "line": loc.line,
        "col": loc.column,
        "endLine": loc.end_line,
        "endColumn": loc.end_column,
        "title": f"{d.code} ({d.name})",
    }
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in props.items())
    return f"::{_COMMAND[d.severity]} {joined}::{escape_data(d.message)}"


def escape_data(text: str) -> str:
    # The runner's own rules (toolkit/core command.ts): % first, so escapes are not re-escaped.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    # Inside properties `:` would end the property list and `,` would start the next property.
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
