"""`# dllint: ignore[...]`, `# dllint: ignore-file[...]` and `# noqa: DLxxx` comments.

The same comments work in Python, YAML and TOML. A suppression that suppresses nothing, or names
an unknown code, is reported as DL004 (only for codes that ran: a comment for a rule that was
not selected cannot be judged).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Diagnostic, Edit, Fix, Location
from dllint.engine.selection import expand, is_known_selector

_DIRECTIVE = re.compile(
    r"#\s*(?:dllint:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?"
    r"|noqa\s*:\s*(?P<noqa>[A-Za-z0-9_,\s-]+))",
    re.IGNORECASE,
)
_MARKERS = ("dllint:", "noqa")


@dataclass
class Suppression:
    line: int  # the line it applies to (0 for the whole file)
    comment_line: int
    column: int
    selectors: tuple[str, ...]  # empty: every code
    end_column: int = 0  # end of the directive text (exclusive), for the DL004 fix
    standalone: bool = False  # the comment is alone on its line
    rebuild: str = ""  # the directive with `{}` where the kept codes go, e.g. "# noqa: {}"
    other_codes: tuple[str, ...] = ()  # other linters' codes in a `noqa`, kept by the fix
    used: set[str] = field(default_factory=set)

    def covers(self, diagnostic: Diagnostic) -> bool:
        if self.line and self.line != diagnostic.location.line:
            return False
        if not self.selectors:
            self.used.add("")
            return True
        for selector in self.selectors:
            if is_known_selector(selector) and diagnostic.code in expand(selector):
                self.used.add(selector)
                return True
        return False


def find_suppressions(text: str, language: str) -> list[Suppression]:
    if not any(marker in text for marker in _MARKERS):
        return []
    comments = _python_comments(text) if language == "python" else _hash_comments(text)
    found = []
    for line, column, comment, standalone in comments:
        match = _DIRECTIVE.search(comment)
        if match is None:
            continue
        if match.group("noqa") is not None:
            # `# noqa: E501` belongs to flake8/ruff; only DL codes are ours.
            codes = [c for c in re.split(r"[,\s]+", match.group("noqa")) if c]
            selectors = tuple(c for c in codes if c.upper().startswith("DL"))
            if not selectors:
                continue
            target, rebuild = line, "# noqa: {}"
            others = tuple(c for c in codes if not c.upper().startswith("DL"))
        else:
            codes = match.group("codes")
            selectors = tuple(c.strip() for c in (codes or "").split(",") if c.strip())
            kind = match.group("kind").lower()
            target = 0 if kind == "ignore-file" else (line + 1 if standalone else line)
            rebuild, others = f"# dllint: {kind}[{{}}]", ()
        found.append(Suppression(target, line, column + match.start(), selectors, column + match.end(),
                                 standalone, rebuild, others))
    return found


def _python_comments(text: str):
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                standalone = not token.line[:col].strip()
                yield row, col + 1, token.string, standalone
    except (tokenize.TokenError, SyntaxError):
        return


def _hash_comments(text: str):
    for row, line in enumerate(text.splitlines(), start=1):
        index = line.find("#")
        while index != -1:
            comment = line[index:]
            if _DIRECTIVE.match(comment):
                yield row, index + 1, comment, not line[:index].strip()
                break
            index = line.find("#", index + 1)


def apply(diagnostics: list[Diagnostic], suppressions: list[Suppression]) -> list[Diagnostic]:
    if not suppressions:
        return diagnostics
    return [d for d in diagnostics if not any(s.covers(d) for s in suppressions)]


def unused(
    path: str, suppressions: list[Suppression], ran: frozenset[str], lines: list[str]
) -> list[tuple[Location, str, Fix | None]]:
    """(location, message, fix) for each suppression with selectors that did nothing or are unknown."""
    problems = []
    for s in suppressions:
        location = Location(path, s.comment_line, s.column, s.comment_line, s.end_column)
        if not s.selectors:
            if not s.used:
                problems.append((location, "suppression comment suppresses nothing", _removal(s, [], lines)))
            continue
        unknown = [x for x in s.selectors if not is_known_selector(x)]
        idle = [x for x in s.selectors if x not in unknown and x not in s.used and expand(x) <= ran]
        parts = [f"unknown code {', '.join(unknown)}"] if unknown else []
        parts += [f"nothing to suppress for {', '.join(idle)}"] if idle else []
        if parts:
            kept = [x for x in s.selectors if x not in unknown and x not in idle]
            problems.append((location, "unused suppression: " + "; ".join(parts), _removal(s, kept, lines)))
    return problems


def _removal(s: Suppression, kept: list[str], lines: list[str]) -> Fix | None:
    """Drop the idle codes; drop the directive (or its whole line) when nothing is left."""
    if not s.rebuild or not 0 < s.comment_line <= len(lines):
        return None
    line, text = s.comment_line, lines[s.comment_line - 1]
    codes = kept + list(s.other_codes)
    if codes:
        return Fix((Edit(line, s.column, line, s.end_column, s.rebuild.format(", ".join(codes))),))
    after = text[s.end_column - 1:]
    if not after.strip():
        if s.standalone:  # the whole line goes
            if line < len(lines):
                return Fix((Edit(line, 1, line + 1, 1, ""),))
            return Fix((Edit(line, 1, line, len(text) + 1, ""),))
        # `code  # dllint: ignore[X]` -> `code`
        return Fix((Edit(line, len(text[:s.column - 1].rstrip()) + 1, line, len(text) + 1, ""),))
    # `code  # dllint: ignore[X]  # why` -> `code  # why`
    spaces = len(after) - len(after.lstrip())
    return Fix((Edit(line, s.column, line, s.end_column + spaces, ""),))
