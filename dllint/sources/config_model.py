"""A hyperparameter config file as a tree of nodes that know their values and positions.

Values come from the format's real loader (PyYAML's safe loader, json, tomllib), so a rule sees
exactly what the user's program would see (`lr: 1e-3` is the string "1e-3" under PyYAML).
Positions are 1-based lines and character columns in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dllint.engine.diagnostic import Location


@dataclass(eq=False)
class ConfigNode:
    kind: str  # "mapping" | "sequence" | "scalar"
    value: Any  # the loaded value (for containers: the loaded dict/list)
    line: int
    column: int
    end_line: int
    end_column: int
    key: str | int | None = None  # key in the parent mapping, or index in the parent sequence
    key_line: int = 0
    key_column: int = 0
    # Source text of a scalar as written (`1e-3`, `'0.1'`), and whether it was quoted.
    raw: str | None = None
    quoted: bool = False
    children: list[ConfigNode] = field(default_factory=list)
    parent: ConfigNode | None = field(default=None, repr=False)

    def get(self, key: str | int) -> ConfigNode | None:
        for child in self.children:
            if child.key == key:
                return child
        return None

    @property
    def path(self) -> tuple[str | int, ...]:
        keys: list[str | int] = []
        node: ConfigNode | None = self
        while node is not None and node.key is not None:
            keys.append(node.key)
            node = node.parent
        return tuple(reversed(keys))

    @property
    def dotted_path(self) -> str:
        return ".".join(str(k) for k in self.path)

    def walk(self) -> Iterator[ConfigNode]:
        """Every node below and including this one, each once (aliases are not re-expanded)."""
        stack = [self]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            stack.extend(reversed(node.children))


@dataclass(eq=False)
class ConfigFile:
    path: str
    format: str  # "yaml" | "json" | "toml" | "python"
    text: str
    documents: list[ConfigNode]
    _facts: dict = field(default_factory=dict, repr=False, compare=False)

    def fact(self, compute):
        """`compute(self)`, once per file whoever asks first."""
        try:
            return self._facts[compute]
        except KeyError:
            value = self._facts[compute] = compute(self)
            return value

    def walk(self) -> Iterator[ConfigNode]:
        for document in self.documents:
            yield from document.walk()

    def location(self, node: ConfigNode) -> Location:
        return Location(self.path, node.line, node.column, node.end_line, node.end_column)

    def key_location(self, node: ConfigNode) -> Location:
        if not node.key_line:
            return self.location(node)
        return Location(self.path, node.key_line, node.key_column)


class ConfigParseError(Exception):
    """A config file that does not load: becomes DL002 with the loader's message and line."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column
