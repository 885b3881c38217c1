"""Where a probe finding points: the user's own line that created or called the thing it is about.

A finding is only useful at a line the user can change, so the stack is searched from the inside
out for the first frame that is neither Python's, an installed package's, torch's nor dllint's.
"""

from __future__ import annotations

import itertools
import linecache
import os
import sys
import sysconfig
from pathlib import Path

from dllint.engine.diagnostic import Location


def _library_prefixes() -> tuple[str, ...]:
    import torch

    import dllint

    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {os.path.dirname(torch.__file__), os.path.dirname(dllint.__file__)}
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots if r)


class Locator:
    """Finds user frames; remembers per file whether it is the user's (a dict lookup per frame)."""

    def __init__(self, cwd: Path, fallback: Location) -> None:
        self.cwd = cwd
        self.fallback = fallback
        self._prefixes = _library_prefixes()
        self._mine: dict[str, bool] = {}
        self._shown: dict[str, str] = {}
        self._spans: dict[tuple, Location] = {}

    def is_user_file(self, filename: str) -> bool:
        known = self._mine.get(filename)
        if known is None:
            real = os.path.realpath(filename)
            known = not filename.startswith("<") and not real.startswith(self._prefixes)
            self._mine[filename] = known
        return known

    def here(self, skip: int = 1) -> Location | None:
        """The innermost user call on the current stack (`model(x)`, `nn.Linear(4, 2)`), or None."""
        frame = sys._getframe(skip)
        while frame is not None:
            code = frame.f_code
            if self.is_user_file(code.co_filename):
                key = (code, frame.f_lasti, frame.f_lineno)
                found = self._spans.get(key)
                if found is None:  # positions and paths cost real work: once per call site
                    found = self._spans[key] = self._span(code, frame.f_lasti, frame.f_lineno or 1)
                return found
            frame = frame.f_back
        return None

    def _span(self, code, lasti: int, line: int) -> Location:
        shown = self._shown.get(code.co_filename)
        if shown is None:
            shown = self._shown[code.co_filename] = display_path(self.cwd, code.co_filename)
        start, end, column, end_column = next(itertools.islice(code.co_positions(), lasti // 2, None),
                                              (None, None, None, None))
        if start != line or column is None:
            return Location(shown, line)
        text = linecache.getline(code.co_filename, line).encode("utf-8")
        # Positions are UTF-8 byte offsets; diagnostics count characters.
        first = len(text[:column].decode("utf-8", "replace")) + 1
        if end == line and end_column is not None:
            return Location(shown, line, first, line, len(text[:end_column].decode("utf-8", "replace")) + 1)
        return Location(shown, line, first)


def display_path(cwd: Path, filename: str) -> str:
    """Relative to the working directory when inside it, as `check` shows paths."""
    path = Path(filename)
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
