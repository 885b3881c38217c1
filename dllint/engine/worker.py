"""Lints one file: read once, parse once, one batched walk, every rule; crashes stay contained."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from dllint.engine.cache import Cache
from dllint.engine.diagnostic import Diagnostic, Location
from dllint.engine.rule import Rule
from dllint.engine.ruleset import RuleSet
from dllint.engine.summary import FileResult, FileSummary, imported_packages
from dllint.engine.suppressions import find_suppressions

MAX_FILE_BYTES = 16 * 1024 * 1024


def check_file(path: Path, display: str, kind: str, ruleset: RuleSet, cache: Cache | None) -> FileResult:
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return FileResult(display, kind, error=f"{display}: skipped, larger than 16 MB")
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(display, kind, error=f"{display}: cannot read: {exc.strerror or exc}")
    key = cache.key(display, data, ruleset.spec.fingerprint) if cache else ""
    if cache:
        cached = cache.get(key)
        if cached is not None:
            return cached
    if kind == "python":
        result = _check_python(display, data, ruleset)
    else:
        result = _check_config(display, data, ruleset)
    if cache and not result.crashes:
        cache.put(key, result)
    return result


def _check_python(display: str, data: bytes, ruleset: RuleSet) -> FileResult:
    from dllint.sources.python_file import ParseFailure, parse_python

    result = FileResult(display, "python")
    parsed = parse_python(display, data)
    if isinstance(parsed, ParseFailure):
        result.suppressions = _suppressions_of_unparsed(data)
        if ruleset.selected("DL001"):
            rule = ruleset.engine_rule("DL001")
            result.diagnostics.append(rule.diagnostic(Location(display, parsed.line, parsed.column), parsed.message))
        return result
    module = parsed
    result.summary = FileSummary(display, "python", imported_packages(module.text))
    result.suppressions = find_suppressions(module.text, "python")
    rules = ruleset.python_rules_for(module.text)
    if not rules:
        return result
    _batched_walk(module, rules, ruleset, result)
    for rule in rules:
        if id(rule) in ruleset.python_checkers:
            _collect(rule, result, lambda r=rule: r.check_python(module))
        summarize = getattr(rule, "summarize_python", None)
        if summarize is not None:
            _store(rule, result, lambda s=summarize: s(module))
    return result


def _check_config(display: str, data: bytes, ruleset: RuleSet) -> FileResult:
    from dllint.sources.config_file import load_config
    from dllint.sources.config_model import ConfigParseError

    result = FileResult(display, "config")
    try:
        config = load_config(display, data)
    except ConfigParseError as exc:
        result.suppressions = _suppressions_of_unparsed(data)
        if ruleset.selected("DL002"):
            rule = ruleset.engine_rule("DL002")
            result.diagnostics.append(rule.diagnostic(Location(display, exc.line, exc.column), exc.message))
        return result
    result.summary = FileSummary(display, "config")
    result.suppressions = find_suppressions(config.text, config.format)
    for rule in ruleset.config_rules:
        if rule.reads_configs():
            _collect(rule, result, lambda r=rule: r.check_config(config))
        summarize = getattr(rule, "summarize_config", None)
        if summarize is not None:
            _store(rule, result, lambda s=summarize: s(config))
    return result


def _suppressions_of_unparsed(data: bytes) -> list:
    # A file that does not parse can still carry `# dllint: ignore-file[DL001]`: scan its lines.
    return find_suppressions(data.decode("utf-8", errors="replace"), "text")


def _batched_walk(module, rules: list[Rule], ruleset: RuleSet, result: FileResult) -> None:
    # One traversal's worth of nodes, dispatched by type to every rule that visits that type.
    for rule in rules:
        visitors = ruleset.visitors[id(rule)]
        if not visitors:
            continue
        try:
            for class_name, handler in visitors:
                for node in module.nodes_by_type.get(class_name, ()):
                    found = handler(node, module)
                    if found:
                        result.diagnostics.extend(found)
        except Exception as exc:  # a broken rule must not lose the other rules' findings
            result.crashes.append(_crash(rule, result.path, exc))


def _collect(rule: Rule, result: FileResult, call) -> None:
    try:
        found: Iterable[Diagnostic] | None = call()
        if found:
            result.diagnostics.extend(found)
    except Exception as exc:
        result.crashes.append(_crash(rule, result.path, exc))


def _store(rule: Rule, result: FileResult, call) -> None:
    try:
        data = call()
    except Exception as exc:
        result.crashes.append(_crash(rule, result.path, exc))
        return
    if data is not None and result.summary is not None:
        result.summary.rule_data[rule.code] = data


def _crash(rule: Rule, path: str, exc: BaseException) -> str:
    return f"rule {rule.code} ({rule.name}) failed on {path}: {type(exc).__name__}: {exc}"
