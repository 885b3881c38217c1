"""Bytes to text, the way Python and config loaders see it, with line splitting that agrees."""

from __future__ import annotations

import codecs
import io
import re
import tokenize

_NEWLINE = re.compile(r"\r\n|\r|\n")


class DecodeError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def split_lines(text: str) -> list[str]:
    # str.splitlines() also splits on form feeds and other separators that Python's tokenizer and
    # YAML treat as ordinary characters; line numbers would drift.
    return _NEWLINE.split(text)


def decode_python(data: bytes) -> str:
    """Decode with the PEP 263 cookie or BOM, like the interpreter."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # detect_encoding also refuses undecodable bytes in the first two lines: say where.
        _decode(data, "utf-8")
        raise DecodeError(str(exc)) from None
    return _decode(data, encoding)


def decode_utf8(data: bytes) -> str:
    return _decode(data, "utf-8-sig")


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise DecodeError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        name = codecs.lookup(encoding).name
        raise DecodeError(
            f"cannot decode byte 0x{data[exc.start]:02x} as {name} (a binary file, or a missing "
            f"`# -*- coding: ... -*-` line?)",
            line,
            column,
        ) from None
