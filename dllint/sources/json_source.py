"""JSON config files: values from `json.loads`, positions from one scan over the accepted text.

The scan only runs after `json.loads` has accepted the text, so it can trust the syntax and stay
small; it records where each value (by its key path) starts and ends. A repeated key overwrites
the earlier span, so positions follow the same "last key wins" as the loaded dict.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring

from dllint.sources.config_file import LineIndex, Span, build_tree
from dllint.sources.config_model import ConfigNode, ConfigParseError

_SPACE = re.compile(r"[ \t\n\r]*")
# Everything json.loads accepts that is not a string or a container (NaN and Infinity included).
_SCALAR = re.compile(
    r"-?(?:Infinity|(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?)|true|false|null|NaN"
)


def load_json(text: str, lines: LineIndex) -> list[ConfigNode]:
    if not text.strip(" \t\r\n"):
        return []  # an empty placeholder file: nothing to lint, and not worth an error
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigParseError(f"JSONDecodeError: {exc.msg}", *lines.position(exc.pos)) from None
    return [build_tree(value, _locate(text), lines)]


def _locate(text: str) -> dict[tuple, Span]:
    spans: dict[tuple, Span] = {}
    # Open containers: [path, start offset, key offset, is_object, items seen].
    frames: list[list] = []
    path: tuple = ()
    key_start = -1
    want_key = False
    i = 0
    while True:
        i = _SPACE.match(text, i).end()
        char = text[i]
        top = frames[-1] if frames else None
        if char in "}]":
            closed = frames.pop()
            spans[closed[0]] = (closed[2], closed[1], i + 1)
            i += 1
            if not frames:
                return spans
            continue
        if char == ",":
            want_key = top[3]
            i += 1
            continue
        if want_key:  # `"key" :`, decoded by json's own string scanner, names the next value
            key, end = scanstring(text, i + 1)
            path, key_start, want_key = (*top[0], key), i, False
            i = _SPACE.match(text, end).end() + 1  # past the colon
            continue
        if top is not None and not top[3]:  # an array item
            path, key_start = (*top[0], top[4]), -1
            top[4] += 1
        if char in "{[":
            frames.append([path, i, key_start, char == "{", 0])
            want_key = char == "{"
            i += 1
            continue
        end = scanstring(text, i + 1)[1] if char == '"' else _SCALAR.match(text, i).end()
        spans[path] = (key_start, i, end)
        i = end
        if not frames:
            return spans
