"""Counts per rule, like `ruff --statistics`: where the findings of a large run concentrate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    counts = Counter(d.code for d in diagnostics)
    if not counts:
        return ""
    names = {d.code: d.name for d in diagnostics}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    count_width = len(str(rows[0][1]))
    code_width = max(len(code) for code in counts)
    return "".join(
        f"{count:>{count_width}}  {code:<{code_width}}  {names[code]}\n" for code, count in rows
    )
