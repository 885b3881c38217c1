"""The project view handed to tree rules: its root, its files, and every file's summary."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from dllint.engine.diagnostic import Location
from dllint.engine.discovery import display_path
from dllint.engine.ignore import GitignoreStack
from dllint.engine.settings import Settings
from dllint.engine.summary import FileSummary

# Where a finding about the whole tree points, in order of preference.
ANCHOR_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "README.md", "README.rst", "main.py",
                "train.py", ".gitignore")


class Project:
    def __init__(self, root: Path, settings: Settings, summaries: list[FileSummary], cwd: Path,
                 is_root: bool) -> None:
        self.root = root
        self.settings = settings
        self.summaries = summaries
        self.cwd = cwd
        # False when the linted paths are loose files: tree rules (layout) then stay silent.
        self.is_root = is_root

    def display(self, relative: str) -> str:
        return display_path(self.root / relative, self.cwd)

    def relative(self, display: str) -> str:
        """A linted file's path relative to the project root (from its display path)."""
        path = (self.cwd / display).resolve() if not display.startswith("/") else Path(display)
        try:
            return path.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return display

    @cached_property
    def modules(self):
        """The project's Python files by dotted name: follow `import`s to files (see engine/modules.py).
        Works with display paths: `project.modules.resolve("models.net")` -> relative path."""
        from dllint.engine.modules import ModuleIndex

        return ModuleIndex([self.relative(s.path) for s in self.summaries if s.kind == "python"])

    def exists(self, relative: str) -> bool:
        return (self.root / relative).exists()

    def is_dir(self, relative: str) -> bool:
        return (self.root / relative).is_dir()

    @cached_property
    def _gitignore(self) -> GitignoreStack:
        return GitignoreStack.for_directory(self.root)

    def is_ignored(self, relative: str) -> bool:
        path = self.root / relative.rstrip("/")
        return self._gitignore.ignores(path, relative.endswith("/") or path.is_dir())

    @cached_property
    def imports(self) -> frozenset[str]:
        return frozenset().union(*(s.imports for s in self.summaries))

    def rule_data(self, code: str) -> Iterator[tuple[str, Any]]:
        for summary in self.summaries:
            if code in summary.rule_data:
                yield summary.path, summary.rule_data[code]

    def anchor(self) -> Location:
        """The most useful file for a finding about the tree as a whole."""
        for name in ANCHOR_FILES:
            if (self.root / name).is_file():
                return Location(self.display(name), 1, 1)
        if self.summaries:
            return Location(self.summaries[0].path, 1, 1)
        return Location(display_path(self.root, self.cwd), 1, 1)

    @cached_property
    def git_tracked(self) -> frozenset[str] | None:
        """Paths tracked by git, relative to the root; None without git or outside a work tree."""
        # The root may be a sub-project of a larger work tree (a monorepo): look upwards.
        if not any((d / ".git").exists() for d in [self.root, *self.root.parents]):
            return None
        try:
            output = subprocess.run(["git", "-C", str(self.root), "ls-files", "-z"], capture_output=True,
                                    timeout=30, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return frozenset(p for p in output.decode("utf-8", "surrogateescape").split("\0") if p)
