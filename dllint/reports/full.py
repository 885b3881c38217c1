"""The human format: each finding with its source line, a caret under the span, help and link."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Severity

# A line is a list of parts for `rich.text.Text.assemble`: plain strings or (text, style).
Part = str | tuple[str, str]
Line = list[Part]

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
# Control characters in a message or a source line would reach the terminal raw (an ESC could
# restyle it); show them as Unicode "control pictures", one cell each, so carets still line up.
_VISIBLE = {c: 0x2400 + c for c in range(32) if c != 9} | {0x7F: 0x2421}
_TAB = 4


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    # rich costs ~100 ms to import; only this format pays it.
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=context.color,
        color_system="standard" if context.color else None,
        no_color=not context.color,
        # soft_wrap leaves long lines unbroken (a wrapped source line would misplace the caret),
        # so the width only matters to rich internals.
        width=100,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    for d in diagnostics:
        for line in _finding(d, context):
            console.print(Text.assemble(*line))
        console.print()
    console.print(Text.assemble(*_summary(diagnostics, context)))
    return out.getvalue()


def _finding(d: Diagnostic, context: ReportContext) -> list[Line]:
    loc = d.location
    header: Line = [(f"{_where(loc.path, loc.line, loc.column)}:", "bold"), " "]
    header += [(d.code, _STYLE[d.severity]), " ", (f"[{d.severity.label}]", _STYLE[d.severity])]
    header += [" ", _visible(d.message)]
    gutter = " " * len(str(loc.line))
    lines = [header, *_snippet(d, context, gutter)]
    if d.help:
        lines.append([f"{gutter} = ", ("help", "bold"), f": {_visible(d.help)}"])
    for r in d.related:
        where = _where(r.location.path, r.location.line, r.location.column)
        lines.append([f"{gutter} = ", ("note", "bold"), f": {where}: {_visible(r.message)}"])
    lines.append([f"{gutter} = ", ("rule", "bold"), ": ", (context.docs_url(d.code), "dim")])
    return lines


def _snippet(d: Diagnostic, context: ReportContext, gutter: str) -> list[Line]:
    from rich.cells import cell_len

    loc = d.location
    source = context.sources.get(loc.path)
    texts = source.splitlines() if source is not None else []
    if not 1 <= loc.line <= len(texts):
        return []  # No text (a binary artifact, a file gone since the run): header only.
    text = _visible(texts[loc.line - 1])
    start = min(loc.column - 1, len(text))
    # A span running onto later lines is underlined to the end of its first line.
    end = loc.end_column - 1 if loc.end_line == loc.line else len(text)
    end = min(max(end, start), len(text))
    # Tabs and wide characters (CJK) take more than one cell; measure what the terminal shows.
    before = cell_len(text[:start].expandtabs(_TAB))
    width = max(cell_len(text[:end].expandtabs(_TAB)) - before, 1)
    bar = (f"{gutter} |", "blue")
    return [
        [bar],
        [(f"{loc.line} |", "blue"), " ", text.expandtabs(_TAB)],
        [bar, " " + " " * before, ("^" * width, _STYLE[d.severity])],
    ]


def _summary(diagnostics: Sequence[Diagnostic], context: ReportContext) -> Line:
    if not diagnostics:
        n = context.files_checked
        checked = f" ({_plural(n, 'file')} checked)" if n else ""
        return [("All checks passed", "bold green"), f"{checked}."]
    counts = Counter(d.severity for d in diagnostics)
    nouns = ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "info"))
    parts = [_plural(counts[sev], noun) for sev, noun in nouns if counts[sev]]
    files = len({d.path for d in diagnostics})
    found = f"Found {_plural(len(diagnostics), 'finding')}"
    return [(found, "bold"), f" ({', '.join(parts)}) in {_plural(files, 'file')}."]


def _plural(n: int, noun: str) -> str:
    # "info" is a mass noun: "3 info", never "3 infos".
    return f"{n} {noun}" if n == 1 or noun == "info" else f"{n} {noun}s"


def _where(path: str, line: int, column: int) -> str:
    return f"{_visible(path)}:{line}:{column}"


def _visible(text: str) -> str:
    return text.translate(_VISIBLE)
