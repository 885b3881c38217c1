"""`--fix` and `--diff`: apply fix edits; write atomically and only when the result still parses."""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from pathlib import Path

from dllint.engine.diagnostic import Diagnostic, Edit


def apply_fixes(
    diagnostics: list[Diagnostic], cwd: Path, *, write: bool, diff_stream
) -> tuple[list[Diagnostic], list[str]]:
    fixable: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        if diagnostic.fix is not None and diagnostic.fix.applicability == "safe":
            fixable.setdefault(diagnostic.path, []).append(diagnostic)
    fixed: set[int] = set()
    errors: list[str] = []
    for path, found in sorted(fixable.items()):
        file = cwd / path
        try:
            data = file.read_bytes()
            original = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: cannot apply fixes: {exc}")
            continue
        applied, updated = _apply(original, found)
        problem = _parse_problem(file, updated)
        if problem:
            errors.append(f"{path}: fixes left unapplied, the result would not parse: {problem}")
            continue
        if not write:
            diff_stream.writelines(difflib.unified_diff(
                original.splitlines(keepends=True), updated.splitlines(keepends=True), f"a/{path}", f"b/{path}"))
            continue
        try:
            _write_atomically(file, updated)
        except OSError as exc:
            errors.append(f"{path}: cannot write fixes: {exc}")
            continue
        fixed.update(id(d) for d in applied)
    return [d for d in diagnostics if id(d) not in fixed], errors


def _apply(text: str, diagnostics: list[Diagnostic]) -> tuple[list[Diagnostic], str]:
    starts = _line_starts(text)
    spans = []
    for diagnostic in diagnostics:
        edits = [(_offset(starts, e.line, e.column), _offset(starts, e.end_line, e.end_column), e)
                 for e in diagnostic.fix.edits]
        spans.append((min(s for s, _, _ in edits), max(e for _, e, _ in edits), diagnostic, edits))
    applied, taken, pieces = [], [], []
    for start, end, diagnostic, edits in sorted(spans, key=lambda s: (s[0], s[1])):
        if any(start < t_end and t_start < end or start == t_start for t_start, t_end in taken):
            continue  # overlapping fixes: keep the first, the next run picks up the rest
        taken.append((start, end))
        applied.append(diagnostic)
        pieces.extend(edits)
    for start, end, edit in sorted(pieces, key=lambda p: p[0], reverse=True):
        text = text[:start] + edit.content + text[end:]
    return applied, text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
    return starts


def _offset(starts: list[int], line: int, column: int) -> int:
    return starts[min(line, len(starts)) - 1] + column - 1


def _parse_problem(path: Path, text: str) -> str | None:
    suffix = path.suffix
    try:
        if suffix in (".py", ".pyi"):
            import ast

            ast.parse(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            list(yaml.safe_load_all(text))
        elif suffix == ".json":
            import json

            json.loads(text)
        elif suffix == ".toml":
            import tomllib

            tomllib.loads(text)
    except Exception as exc:  # any loader error means: do not write
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".dllint")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


__all__ = ["apply_fixes", "Edit"]
