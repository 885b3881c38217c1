"""dllint's own configuration: `[tool.dllint]` in pyproject.toml, or `dllint.yaml`/`.dllint.yaml`.

The nearest settings file at or above a linted path wins. Everything is validated here: an unknown
key, code or option is a SettingsError (DL003, exit 2), never silently ignored.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dllint.engine.errors import SettingsError
from dllint.engine.options import build_options
from dllint.engine.registry import lookup
from dllint.engine.selection import expand_all

SETTINGS_FILES = ("dllint.yaml", ".dllint.yaml", "pyproject.toml")

DEFAULT_CONFIG_FILES = (
    "**/configs/**", "**/config/**", "**/conf/**", "**/cfg/**", "**/hparams/**",
    "*config*.*", "*hparams*.*", "*hyperparam*.*", "params*.*",
)
LAYOUT_PROFILES = ("auto", "seed", "lightning-hydra", "cookiecutter-data-science", "pytorch-template")


@dataclass(frozen=True)
class Settings:
    root: Path  # the directory the settings file lives in (patterns are relative to it)
    source: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    config_files: tuple[str, ...] = DEFAULT_CONFIG_FILES
    layout: str | tuple[str, ...] = "auto"
    # code -> validated Options instance
    rule_options: tuple[tuple[str, Any], ...] = ()
    options_by_code: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def options_for(self, code: str) -> Any:
        return self.options_by_code.get(code)


_KEYS = {
    "select", "ignore", "extend-select", "per-file-ignores", "exclude", "config-files",
    "layout", "rules",
}


def find_settings_file(start: Path) -> Path | None:
    directory = start if start.is_dir() else start.parent
    for candidate_dir in [directory, *directory.parents]:
        for name in SETTINGS_FILES:
            candidate = candidate_dir / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def load_settings(path: Path | None, default_root: Path) -> Settings:
    if path is None:
        return Settings(root=default_root)
    text = _read(path)
    table = _parse(path, text)
    try:
        return from_mapping(table, root=path.parent, source=path)
    except SettingsError as exc:
        exc.path = str(path)
        exc.line = _line_of_key(text, exc.key) if exc.key is not None else 1
        raise


def from_mapping(table: dict, root: Path, source: Path | None = None) -> Settings:
    if not isinstance(table, dict):
        raise SettingsError("settings must be a table of keys")
    for key in table:
        if key not in _KEYS:
            raise SettingsError(f"unknown settings key {key!r} (known: {', '.join(sorted(_KEYS))})",
                                key=key)
    select = table.get("select")
    values = {
        "select": None if select is None else _strings(select, "select"),
        "ignore": _strings(table.get("ignore", []), "ignore"),
        "extend_select": _strings(table.get("extend-select", []), "extend-select"),
        "exclude": _strings(table.get("exclude", []), "exclude"),
        "config_files": _strings(table.get("config-files", DEFAULT_CONFIG_FILES), "config-files"),
        "per_file_ignores": _per_file_ignores(table.get("per-file-ignores", {})),
        "layout": _layout(table.get("layout", "auto")),
    }
    for key in ("select", "ignore", "extend_select"):
        if values[key] is not None:
            expand_all(values[key])  # raises on unknown codes
    options = _rule_options(table.get("rules", {}))
    return Settings(root=root, source=source, **values, rule_options=tuple(sorted(options.items())),
                    options_by_code=options)


def _rule_options(rules: Any) -> dict[str, Any]:
    if not isinstance(rules, dict):
        raise SettingsError("`rules` must be a table of rule codes", key="rules")
    options = {}
    for key, values in rules.items():
        rule = lookup(str(key))
        if rule is None:
            raise SettingsError(f"unknown rule {key!r} in `rules`", key=key)
        if not isinstance(values, dict):
            raise SettingsError(f"options of {rule.code} must be a table", key=key)
        options[rule.code] = build_options(rule.Options, values, f"rules.{rule.code}")
    return options


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"`{key}` must be a list of strings", key=key)
    return tuple(value)


def _per_file_ignores(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise SettingsError("`per-file-ignores` must map file patterns to codes", key="per-file-ignores")
    result = []
    for pattern, selectors in value.items():
        codes = _strings(selectors, f"per-file-ignores.{pattern}")
        expand_all(codes)
        result.append((str(pattern), codes))
    return tuple(result)


def _layout(value: Any) -> str | tuple[str, ...]:
    if isinstance(value, str):
        if value not in LAYOUT_PROFILES:
            raise SettingsError(
                f"unknown layout profile {value!r} (known: {', '.join(LAYOUT_PROFILES)}, "
                "or a list of paths for a custom profile)", key="layout")
        return value
    return _strings(value, "layout")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read settings: {exc}", path=str(path)) from None


def _parse(path: Path, text: str) -> dict:
    if path.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"invalid TOML: {exc}", path=str(path), line=_toml_line(exc)) from None
        return data.get("tool", {}).get("dllint", {})
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise SettingsError(f"invalid YAML: {exc}".replace("\n", " "), path=str(path), line=line) from None
    return {} if data is None else data


def _has_tool_table(path: Path) -> bool:
    try:
        return re.search(r"^\s*\[\s*tool\.dllint\b", path.read_text(encoding="utf-8-sig"), re.M) is not None
    except (OSError, UnicodeDecodeError):
        return False


def _toml_line(exc: Exception) -> int:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 1


def _line_of_key(text: str, key: object) -> int:
    # Good enough for a message: the first line that assigns or names the key.
    pattern = re.compile(rf"""^\s*["']?{re.escape(str(key))}["']?\s*[=:\]]""")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line) or line.strip().rstrip("]").endswith(f".{key}"):
            return number
    return 1


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
