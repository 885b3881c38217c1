"""Turns a settings mapping into a rule's typed `Options`, refusing what it does not know."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from dllint.engine.errors import SettingsError


def build_options(options_cls: type, values: Mapping[str, Any], where: str) -> Any:
    fields = {f.name.replace("_", "-"): f for f in dataclasses.fields(options_cls)}
    hints = typing.get_type_hints(options_cls)
    kwargs = {}
    for key, value in values.items():
        field = fields.get(str(key).replace("_", "-"))
        if field is None:
            known = ", ".join(sorted(fields)) or "none"
            raise SettingsError(f"unknown option {key!r} in {where} (known: {known})", key=key)
        kwargs[field.name] = _coerce(value, hints[field.name], f"{where}.{key}")
    return options_cls(**kwargs)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is int or hint is bool or hint is str:
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
    elif origin is tuple:
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
        if isinstance(value, (list, tuple)):
            return tuple(_coerce(v, item, where) for v in value)
    elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for option in typing.get_args(hint):
            if option is type(None) and value is None:
                return None
            try:
                return _coerce(value, option, where)
            except SettingsError:
                continue
    else:  # pragma: no cover - an Options field with a type this module does not handle
        raise TypeError(f"unsupported option type {hint!r} at {where}")
    raise SettingsError(f"{where} must be {_describe(hint)}, got {value!r}")


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "a list"
    if origin is not None:
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    return {float: "a number", int: "an integer", bool: "true or false", str: "a string",
            type(None): "null"}.get(hint, str(hint))
