"""Errors that end a run with exit code 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad command line or unreadable input named on it."""


class SettingsError(Exception):
    """Invalid `[tool.dllint]` / `dllint.yaml` (reported as DL003)."""

    def __init__(self, message: str, *, key: object = None, path: str = "", line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.path = path
        self.line = line
