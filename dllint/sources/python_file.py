"""A parsed Python file: text, `ast` tree, positions, names. Parsed once; rules only read it.

The analysis parser is the stdlib `ast` (see ARCHITECTURE.md for the measurement behind it);
concrete syntax (libcst) is loaded only by fixes that need it.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from dllint.engine.diagnostic import Location
from dllint.sources.text import DecodeError, decode_python, split_lines


@dataclass(frozen=True)
class ParseFailure:
    message: str
    line: int
    column: int


class PythonModule:
    def __init__(self, path: str, text: str, tree: ast.Module) -> None:
        self.path = path
        self.text = text
        self.tree = tree
        self._facts: dict = {}

    @functools.cached_property
    def nodes_by_type(self) -> dict[str, list[ast.AST]]:
        """AST class name -> nodes, in source order: the one walk of the file, made on first use
        (a file whose rules need no nodes, such as a config module, never pays for it)."""
        from dllint.sources.astwalk import index_by_type

        return index_by_type(self.tree)

    def fact(self, compute):
        """`compute(self)`, once per file whoever asks first. Kept on the module so a fact lives
        and dies with it (a global map keyed by module would keep every linted file alive)."""
        try:
            return self._facts[compute]
        except KeyError:
            value = self._facts[compute] = compute(self)
            return value

    @functools.cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    @functools.cached_property
    def names(self):
        from dllint.facts.names import ImportMap

        return ImportMap.from_module(self)

    @functools.cached_property
    def scopes(self):
        from dllint.facts.scopes import ScopeMap

        indexed = self.nodes_by_type
        scope_nodes = self.nodes("FunctionDef", "AsyncFunctionDef", "Lambda", "ClassDef") if indexed else None
        return ScopeMap(self.tree, scope_nodes)

    def qualified_name(self, node: ast.AST) -> str | None:
        """`t.optim.Adam` -> `torch.optim.Adam` when `import torch as t`; None if unknown."""
        return self.names.qualified_name(node)

    def nodes(self, *class_names: str) -> list[ast.AST]:
        if len(class_names) == 1:
            return self.nodes_by_type.get(class_names[0], [])
        return [n for name in class_names for n in self.nodes_by_type.get(name, [])]

    @functools.cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        return parents

    def location(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        return Location(
            self.path,
            line,
            self._char_column(line, getattr(node, "col_offset", 0)) + 1,
            end_line,
            self._char_column(end_line, getattr(node, "end_col_offset", None) or 0) + 1,
        )

    def segment(self, node: ast.AST) -> str:
        """The source text of `node`. Slices `lines`: `ast.get_source_segment` re-splits the
        whole text on every call (about 20 ms on a large model file)."""
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if start is None or end is None or end > len(self.lines):
            return ""
        lines = [line.encode("utf-8") for line in self.lines[start - 1:end]]
        if len(lines) == 1:
            return lines[0][node.col_offset:node.end_col_offset].decode("utf-8", "replace")
        lines[0], lines[-1] = lines[0][node.col_offset:], lines[-1][:node.end_col_offset]
        return "\n".join(line.decode("utf-8", "replace") for line in lines)

    def _char_column(self, line: int, byte_offset: int) -> int:
        # ast offsets count UTF-8 bytes; output columns count characters.
        if not 0 < line <= len(self.lines):
            return byte_offset
        text = self.lines[line - 1]
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def parse_python(path: str, data: bytes) -> PythonModule | ParseFailure:
    try:
        text = decode_python(data)
    except DecodeError as exc:
        return ParseFailure(exc.message, exc.line, exc.column)
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return ParseFailure("file contains NUL bytes (binary, not Python source)", line, 1)
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return ParseFailure(exc.msg, exc.lineno or 1, max(exc.offset or 1, 1))
    except (RecursionError, MemoryError):
        return ParseFailure("expression nested too deeply for the Python parser", 1, 1)
    return PythonModule(path, text, tree)
