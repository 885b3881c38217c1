"""TOML config files: values from `tomllib`, positions from a small locator over the accepted text.

The locator runs only on text tomllib accepted, so it follows the grammar loosely: headers
(`[a.b]`, `[[a]]`), dotted and quoted keys, inline tables, arrays, and all four string forms (so
a `#` or `]` inside a multi-line string cannot mislead it). If it still gets lost, the paths it
did not reach fall back to their table's position (see build_tree); loading never fails on it.
"""

from __future__ import annotations

import re
import tomllib

from dllint.sources.config_file import LineIndex, Span, build_tree
from dllint.sources.config_model import ConfigNode, ConfigParseError

_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")  # spaces, newlines, comments
_SPACE = re.compile(r"[ \t]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_STRING = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"{3,5}'  # multi-line basic; may end in up to 2 extra quotes
    r"|'''(?:[^']|'(?!''))*'{3,5}"  # multi-line literal
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
)
# Numbers, booleans, dates and times (`1979-05-27 07:32:00Z` has a space): up to a delimiter.
_OTHER = re.compile(r"[^,\]}#\r\n]+")


def load_toml(text: str, lines: LineIndex) -> list[ConfigNode]:
    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _AT.search(message)
        if at is None or at.group(1) is None:  # "at end of document"
            position = lines.position(len(text))
        else:
            position = int(at.group(1)), int(at.group(2))
        message = message[: at.start()] if at else message
        raise ConfigParseError(f"TOMLDecodeError: {message}", *position) from None
    spans: dict[tuple, Span] = {(): (-1, 0, len(text))}
    try:
        _locate(text, spans)
    except (ValueError, IndexError, RecursionError):
        pass  # keep the spans found so far; the rest fall back to their table
    return [build_tree(value, spans, lines)]


def _locate(text: str, spans: dict[tuple, Span]) -> None:
    aot_counts: dict[tuple, int] = {}  # array-of-tables path -> elements seen so far
    table: tuple = ()
    i = _BLANK.match(text).end()
    while i < len(text):
        start = i
        if text[i] == "[":  # a header: `[a.b]` or `[[a.b]]`
            is_array = text.startswith("[[", i)
            keys, i = _key(text, i + (2 if is_array else 1))
            i += 2 if is_array else 1
            table = ()
            for n, (name, key_start) in enumerate(keys):
                table = (*table, name)
                last = n == len(keys) - 1
                if last and is_array:
                    aot_counts[table] = aot_counts.get(table, 0) + 1
                    spans.setdefault(table, (key_start, start, i))
                elif last:
                    spans[table] = (key_start, start, i)  # explicit beats an implied super-table
                else:
                    spans.setdefault(table, (key_start, start, i))
                if table in aot_counts:  # names an array of tables: continue in its last element
                    table = (*table, aot_counts[table] - 1)
                    if last and is_array:
                        spans[table] = (key_start, start, i)
        else:
            i = _key_value(text, i, table, spans)
        i = _BLANK.match(text, i).end()


def _key_value(text: str, i: int, table: tuple, spans: dict[tuple, Span]) -> int:
    keys, i = _key(text, i)
    if text[i] != "=":
        raise ValueError(f"expected '=' at offset {i}")
    path = (*table, *(name for name, _ in keys))
    end = _value(text, _SPACE.match(text, i + 1).end(), path, keys[-1][1], spans)
    for n, (_name, key_start) in enumerate(keys[:-1]):  # `a.b.c = 1` implies tables a and a.b
        spans.setdefault((*table, *(k for k, _ in keys[: n + 1])), (key_start, key_start, end))
    return end


def _key(text: str, i: int) -> tuple[list[tuple[str, int]], int]:
    """A dotted key starting at `i`: [(name, offset)], and the offset after it (and its spaces)."""
    keys = []
    while True:
        i = _SPACE.match(text, i).end()
        match = (_STRING if text[i] in "\"'" else _BARE_KEY).match(text, i)
        if match is None:
            raise ValueError(f"expected a key at offset {i}")
        raw = match.group()
        name = raw[1:-1] if raw[0] == "'" or (raw[0] == '"' and "\\" not in raw) else raw
        if raw[0] == '"' and "\\" in raw:
            name = tomllib.loads(f"k = {raw}")["k"]  # escapes decode exactly as tomllib does
        keys.append((name, i))
        i = _SPACE.match(text, match.end()).end()
        if text[i] != ".":
            return keys, i
        i += 1


def _value(text: str, i: int, path: tuple, key_start: int, spans: dict[tuple, Span]) -> int:
    start = i
    if text[i] == "{":  # inline table: `{ lr = 0.1, betas = [0.9, 0.999] }`
        i = _BLANK.match(text, i + 1).end()
        while text[i] != "}":
            keys, i = _key(text, i)
            inner = (*path, *(name for name, _ in keys))
            i = _value(text, _SPACE.match(text, i + 1).end(), inner, keys[-1][1], spans)
            i = _BLANK.match(text, i).end()
            i = _BLANK.match(text, i + 1).end() if text[i] == "," else i
        end = i + 1
    elif text[i] == "[":  # array: items may span lines and carry comments
        i, index = _BLANK.match(text, i + 1).end(), 0
        while text[i] != "]":
            i = _value(text, i, (*path, index), -1, spans)
            i, index = _BLANK.match(text, i).end(), index + 1
            i = _BLANK.match(text, i + 1).end() if text[i] == "," else i
        end = i + 1
    else:
        match = (_STRING if text[i] in "\"'" else _OTHER).match(text, i)
        if match is None:
            raise ValueError(f"expected a value at offset {i}")
        end = start + len(match.group().rstrip())
    spans[path] = (key_start, start, end)
    return end
