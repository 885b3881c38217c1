"""`path:line:col: CODE message`, one finding per line: the IDE problem-matcher format."""

from __future__ import annotations

from collections.abc import Sequence

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    return "".join(_line(d) + "\n" for d in diagnostics)


def _line(d: Diagnostic) -> str:
    loc = d.location
    # A problem matcher reads one line per finding, so a multi-line message is folded.
    message = " ".join(d.message.splitlines())
    return f"{loc.path}:{loc.line}:{loc.column}: {d.code} {message}"
