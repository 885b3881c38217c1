"""The unit of output: one finding at one place, with an optional fix."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    # Ordered so that `severity >= fail_on` reads naturally.
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        aliases = {"i": "info", "w": "warning", "e": "error", "warn": "warning"}
        key = aliases.get(text.lower(), text.lower())
        return cls[key.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based span in a file. Columns count characters, not bytes."""

    path: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        # A point location ends where it starts.
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)
        if self.end_line == self.line and self.end_column < self.column:
            object.__setattr__(self, "end_column", self.column)


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    # "safe" fixes keep behaviour; "unsafe" ones may change it (ruff's distinction).
    applicability: str = "safe"


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the other end of a data flow)."""

    location: Location
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    help: str = ""
    fix: Fix | None = None
    related: tuple[Related, ...] = field(default=())

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.message)
