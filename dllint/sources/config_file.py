"""Load a hyperparameter config file (YAML, JSON, TOML) into ConfigNodes, or raise ConfigParseError.

Values always come from the format's real loader (PyYAML's safe loader, `json`, `tomllib`);
positions come from the YAML loader's own marks, and for JSON/TOML from a small locator run over
text that the loader has already accepted. Anything that does not load - bytes that are not UTF-8,
binary data, syntax errors, hostile input (alias bombs, absurd nesting) - is a ConfigParseError,
which the engine reports as DL002; it is never a crash.

Positions are 1-based lines and character columns, counted like `split_lines` (\\r\\n, \\r, \\n).
`line/column` is a value's first character (the quote of a quoted string, `[`/`{` of a flow
collection, a TOML table's `[` header). `end_line/end_column` is one past its last character
(exclusive, like Python's ast), with trailing whitespace trimmed.
"""

from __future__ import annotations

import bisect
import re
from pathlib import PurePath
from typing import Any

from dllint.sources.config_model import ConfigFile, ConfigNode, ConfigParseError
from dllint.sources.text import DecodeError, decode_utf8

CONFIG_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
# Hyperparameter files are kilobytes; a 10 MB ".json" is a dataset or an export.
MAX_CONFIG_BYTES = 10 * 1024 * 1024

_NEWLINE = re.compile(r"\r\n|\r|\n")
_BYTE_NEWLINE = re.compile(rb"\r\n|\r|\n")
Span = tuple[int, int, int]  # (key start or -1, value start, value end) as character offsets


def config_format(path: str) -> str | None:
    return CONFIG_SUFFIXES.get(PurePath(path).suffix.lower())


def load_config(path: str, data: bytes) -> ConfigFile:
    fmt = config_format(path)
    if fmt is None:
        raise ValueError(f"not a YAML/JSON/TOML config file: {path}")
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigParseError(
            f"{len(data)} bytes is too large to be a config file (limit {MAX_CONFIG_BYTES})"
        )
    if b"\0" in data:
        # Checked on the bytes: binaries (and UTF-16 files) are refused before decoding.
        line = len(_BYTE_NEWLINE.findall(data, 0, data.index(b"\0"))) + 1
        raise ConfigParseError("file contains NUL bytes (binary or UTF-16, not a config)", line)
    try:
        text = decode_utf8(data)
    except DecodeError as exc:
        # The decoder's hint about `# -*- coding -*-` lines is for Python files, not configs.
        message = exc.message.split(" (")[0].replace("utf-8-sig", "UTF-8")
        message += " (config files are read as UTF-8)"
        raise ConfigParseError(message, exc.line, exc.column) from None
    lines = LineIndex(text)
    # Imported here so that linting JSON never pays for importing PyYAML, and vice versa.
    try:
        if fmt == "yaml":
            from dllint.sources.yaml_source import load_yaml as load
        elif fmt == "json":
            from dllint.sources.json_source import load_json as load
        else:
            from dllint.sources.toml_source import load_toml as load
        documents = load(text, lines)
    except RecursionError:  # json's C scanner, tomllib and pure-Python PyYAML recurse per level
        raise ConfigParseError(f"{fmt.upper()} nested too deeply to load") from None
    except MemoryError:
        raise ConfigParseError(f"{fmt.upper()} too large or too deeply nested to load") from None
    return ConfigFile(path, fmt, text, documents)


class LineIndex:
    """Character offset <-> 1-based (line, column), with lines split like `split_lines`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self.starts, offset) - 1
        return row + 1, offset - self.starts[row] + 1

    def span(self, start: int, end: int) -> tuple[int, int, int, int]:
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return (*self.position(start), *self.position(end))


def build_tree(value: Any, spans: dict[tuple, Span], lines: LineIndex) -> ConfigNode:
    """ConfigNodes for a loaded JSON/TOML value, placed by `spans` (path -> offsets).

    A path the locator did not find takes its parent's start (a TOML table header, or line 1):
    a finding still lands near the right place instead of failing.
    """
    root = _node(value, (), None, None, spans, lines)
    stack: list[tuple[ConfigNode, tuple]] = [(root, ())]
    while stack:  # iterative: a deep but accepted file must not hit the recursion limit here
        node, path = stack.pop()
        if isinstance(node.value, dict):
            items: Any = node.value.items()
        elif isinstance(node.value, list):
            items = enumerate(node.value)
        else:
            continue
        for key, child_value in items:
            child = _node(child_value, (*path, key), key, node, spans, lines)
            node.children.append(child)
            stack.append((child, (*path, key)))
    return root


def _node(value, path, key, parent, spans, lines: LineIndex) -> ConfigNode:
    kind = "scalar"
    if isinstance(value, (dict, list)):
        kind = "mapping" if isinstance(value, dict) else "sequence"
    span = spans.get(path)
    if span is None:
        at = (parent.line, parent.column) if parent is not None else (1, 1)
        return ConfigNode(kind, value, *at, *at, key=key, parent=parent)
    key_start, start, end = span
    node = ConfigNode(kind, value, *lines.span(start, end), key=key, parent=parent)
    if key_start >= 0:
        node.key_line, node.key_column = lines.position(key_start)
    if kind == "scalar":
        node.raw = lines.text[start:end].rstrip()
        node.quoted = node.raw[:1] in ("'", '"')
    return node
