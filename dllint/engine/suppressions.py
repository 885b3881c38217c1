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

from dllint.engine.diagnostic import Diagnostic, Location
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
            selectors = tuple(c for c in re.split(r"[,\s]+", match.group("noqa")) if c.upper().startswith("DL"))
            if not selectors:
                continue
            target = line
        else:
            codes = match.group("codes")
            selectors = tuple(c.strip() for c in (codes or "").split(",") if c.strip())
            target = 0 if match.group("kind").lower() == "ignore-file" else (line + 1 if standalone else line)
        found.append(Suppression(target, line, column + match.start(), selectors))
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
    path: str, suppressions: list[Suppression], ran: frozenset[str]
) -> list[tuple[Location, str]]:
    """(location, message) for each selector that suppressed nothing, or is unknown."""
    problems = []
    for s in suppressions:
        location = Location(path, s.comment_line, s.column)
        if not s.selectors:
            if not s.used:
                problems.append((location, "suppression comment suppresses nothing"))
            continue
        for selector in s.selectors:
            if not is_known_selector(selector):
                problems.append((location, f"suppression names unknown code {selector!r}"))
            elif selector not in s.used and expand(selector) <= ran:
                problems.append((location, f"unused suppression of {selector}: nothing to suppress here"))
    return problems
