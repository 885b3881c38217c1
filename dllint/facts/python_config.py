"""Python config modules read as data: nanoGPT-style `config/*.py` overrides, mmengine/mmcv configs.

A config module is a Python file that is only data: top-level assignments (and the imports they
need), with an mmengine marker (`_base_ = ...`, `with read_base():`) or a config-like path
(`config/`, `configs/`, `*_config.py`). Its assignments become the same ConfigNode tree a YAML
file gives (format "python"), so every hyperparameter fact and rule reads it like any other config
file. The tree comes from the AST: the module is parsed, never executed.

    config = python_config.config_module(module)   # a ConfigFile, or None for ordinary code
    config.bases                                   # `_base_` files, relative to this one

What the tree shows is what the file writes: `dict(...)`, `{...}`, lists, literals, arithmetic on
them and on earlier top-level names (`lr=base_lr * 2`), imported classes as qualified names
(`type=SGD` -> "torch.optim.SGD"). `_base_.optim_wrapper.optimizer.lr = 0.01` is an override of
the base, kept at `optim_wrapper.optimizer.lr`. A top-level name that the file later changes
in a way the tree cannot follow (`model.update(...)`, `cfg[key] = ...`, `del`) is dropped: its
values are not what is written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from dllint.facts.constants import is_number
from dllint.sources.config_model import ConfigFile, ConfigNode

CONFIG_DIRS = {"config", "configs", "conf", "cfg", "cfgs", "hparams", "hyperparams", "_base_"}
_CONFIG_NAME = re.compile(r"(?:^|_)(?:config|cfg|hparams|hyperparams?)(?:_|\.py$)|^config")
_DATA = (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.Pass)


@dataclass(eq=False)
class PythonConfig(ConfigFile):
    """A ConfigFile made from a Python module; `bases` are its `_base_` files as written."""

    bases: tuple[str, ...] = ()
    deleted: set = field(default_factory=set)  # top-level keys dropped because the file mutates them


def config_module(module) -> PythonConfig | None:
    """The module's data as a config tree when it is a config module, else None (cached)."""
    return module.fact(_build)


def is_config_module(module) -> bool:
    return config_module(module) is not None


def _build(module) -> PythonConfig | None:
    body = module.tree.body
    marker = any(_is_read_base(s) or _assigns(s, "_base_") for s in body)
    if not marker and not _config_path(module.path):
        return None
    statements = []
    for statement in body:
        if _is_read_base(statement):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring or a bare string
        if not marker and not isinstance(statement, _DATA):
            return None  # functions, classes, calls, loops: code that happens to live in configs/
        statements.append(statement)
    if not any(isinstance(s, (ast.Assign, ast.AnnAssign)) for s in statements):
        return None
    builder = _Builder(module)
    root = builder.tree(statements)
    config = PythonConfig(module.path, "python", module.text, [root], bases=builder.bases,
                          deleted=builder.deleted)
    return config


def _config_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(p.lower() in CONFIG_DIRS for p in parts[:-1]) or bool(_CONFIG_NAME.search(parts[-1].lower()))


def _is_read_base(statement: ast.stmt) -> bool:
    """mmengine's new-style `with read_base(): from .._base_.x import *`."""
    return isinstance(statement, ast.With) and any(
        isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "id", "") == "read_base"
        for item in statement.items)


def _assigns(statement: ast.stmt, name: str) -> bool:
    return isinstance(statement, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in statement.targets)


_DATA_KEYS = re.compile(r"pipeline|dataloader|dataset|evaluator|metainfo|palette|classes|vis_backends|visualizer")
_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b if abs(b) <= 64 else None}


class _Builder:
    def __init__(self, module) -> None:
        self.module = module
        self.ascii = module.text.isascii()
        self.bases: tuple[str, ...] = ()
        self.deleted: set[str] = set()
        self.root = ConfigNode("mapping", {}, 1, 1, 1, 1)
        self.top: dict[str, ConfigNode] = {}  # the root's children by key

    def tree(self, statements: list[ast.stmt]) -> ConfigNode:
        for statement in statements:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    self._assign(target, statement.value)
            elif not isinstance(statement, (ast.Import, ast.ImportFrom, ast.Pass)):
                # `model.update(...)`, `del cfg["x"]`, `lr *= 2`: values change in ways not followed.
                for name in _changed_roots(statement):
                    self._drop(name)
        _refresh(self.root)
        return self.root

    def _assign(self, target: ast.expr, value: ast.expr | None) -> None:
        if value is None:
            return
        if isinstance(target, ast.Name):
            if target.id == "_base_":
                found = self._value(value)
                if found.kind == "scalar" and isinstance(found.value, str):
                    self.bases = (found.value,)
                elif found.kind == "sequence":
                    self.bases = tuple(c.value for c in found.children if isinstance(c.value, str))
                return
            data = _DATA_KEYS.search(target.id.lower())
            # Pipelines, datasets and evaluators are half of an mmengine config and hold no
            # hyperparameter: kept as a placeholder, not built.
            node = ConfigNode("scalar", None, *self._at(value)) if data else self._value(value)
            self._set_top(target.id, node, target)
            return
        path = _path(target)
        if not path:
            return
        head, *rest = path
        if head == "_base_" and rest:  # `_base_.optim_wrapper.optimizer.lr = 0.01`: an override
            head, *rest = rest
            if not isinstance(head, str):
                return
            parent = self.top.get(head) or self._set_top(head, ConfigNode("mapping", {}, *self._at(target)), target)
        else:
            parent = self.top.get(head)
            if parent is None:
                return
        for key in rest[:-1]:
            child = parent.get(key) if parent.kind in ("mapping", "sequence") else None
            if child is None:
                if isinstance(key, int) or parent.kind != "mapping":
                    self._drop(head)
                    return
                child = _put(parent, key, ConfigNode("mapping", {}, *self._at(target)), target)
            parent = child
        if parent.kind != "mapping" or not isinstance(rest[-1] if rest else None, str):
            self._drop(head)  # an index or a computed key: not followed
            return
        _put(parent, rest[-1], self._value(value), target, replace=True)

    def _value(self, expr: ast.expr) -> ConfigNode:
        kind = expr.__class__
        if kind is ast.Constant:  # booleans and None too: `grad_clip=None` means no clipping
            node = ConfigNode("scalar", expr.value, *self._at(expr))
            node.quoted = isinstance(expr.value, str)
            return node
        if kind is ast.Call and isinstance(expr.func, ast.Name) and expr.func.id == "dict" \
                and not expr.args and all(kw.arg for kw in expr.keywords):
            node = ConfigNode("mapping", {}, *self._at(expr))
            for keyword in expr.keywords:
                _put(node, keyword.arg, self._value(keyword.value), keyword)
            return node
        if kind is ast.Dict and all(isinstance(k, ast.Constant) and isinstance(k.value, (str, int))
                                    for k in expr.keys):
            node = ConfigNode("mapping", {}, *self._at(expr))
            for k, v in zip(expr.keys, expr.values):
                _put(node, k.value, self._value(v), k, replace=True)
            return node
        if kind is ast.List or kind is ast.Tuple:
            node = ConfigNode("sequence", [], *self._at(expr))
            for index, element in enumerate(expr.elts):
                child = self._value(element)
                child.key, child.parent = index, node
                node.children.append(child)
            return node
        named = self.top.get(expr.id) if kind is ast.Name else None
        if named is not None and named.kind == "mapping":
            # `optim_wrapper = dict(optimizer=optimizer)`: a copy of the section, seen where used.
            return _copy(named)
        if kind is ast.Name or kind is ast.Attribute:
            value = named.value if named is not None and named.kind == "scalar" else None
            if named is None:
                value = self.module.qualified_name(expr)  # `type=SGD` from `from torch.optim import SGD`
        else:
            value = self._number(expr)
        return ConfigNode("scalar", value, *self._at(expr), raw=self.module.segment(expr))

    def _number(self, expr: ast.expr, depth: int = 0):
        """`5e-4 * 1024 / 512`, `base_lr * 2`, `-1`: arithmetic on literals and earlier top-level numbers."""
        if depth > 32:
            return None
        if isinstance(expr, ast.Constant):
            value = expr.value
        elif isinstance(expr, ast.Name):
            named = self.top.get(expr.id)
            value = named.value if named is not None and named.kind == "scalar" else None
        elif isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            value = self._number(expr.operand, depth + 1)
            value = -value if value is not None and isinstance(expr.op, ast.USub) else value
        elif isinstance(expr, ast.BinOp) and type(expr.op) in _ARITHMETIC:
            left, right = self._number(expr.left, depth + 1), self._number(expr.right, depth + 1)
            try:
                value = None if left is None or right is None else _ARITHMETIC[type(expr.op)](left, right)
            except (ArithmeticError, ValueError, TypeError):
                return None
        else:
            return None
        return value if is_number(value) else None

    def _set_top(self, key: str, node: ConfigNode, written: ast.AST) -> ConfigNode:
        self.top[key] = _put(self.root, key, node, written, replace=key in self.top)
        return node

    def _drop(self, key: str) -> None:
        self.deleted.add(key)
        if self.top.pop(key, None) is not None:
            self.root.children[:] = [c for c in self.root.children if c.key != key]

    def _at(self, node: ast.AST) -> tuple[int, int, int, int]:
        if self.ascii:  # ast columns are UTF-8 byte offsets; in ASCII text they are characters
            return node.lineno, node.col_offset + 1, node.end_lineno, node.end_col_offset + 1
        location = self.module.location(node)
        return location.line, location.column, location.end_line, location.end_column


def _put(parent: ConfigNode, key, node: ConfigNode, written: ast.AST, replace: bool = False) -> ConfigNode:
    """Set `parent[key] = node`; `replace` when an earlier value may be there (a re-assignment)."""
    node.key, node.parent = key, parent
    node.key_line, node.key_column = getattr(written, "lineno", node.line), getattr(written, "col_offset", 0) + 1
    if replace:
        parent.children[:] = [c for c in parent.children if c.key != key]
    parent.children.append(node)
    return node


def _copy(node: ConfigNode) -> ConfigNode:
    copied = ConfigNode(node.kind, node.value, node.line, node.column, node.end_line, node.end_column,
                        raw=node.raw, quoted=node.quoted)
    for child in node.children:
        twin = _copy(child)
        twin.key, twin.parent = child.key, copied
        twin.key_line, twin.key_column = child.key_line, child.key_column
        copied.children.append(twin)
    return copied


def _refresh(node: ConfigNode) -> None:
    """Containers' `value` as loaded data, bottom-up (the YAML tree has them from the loader)."""
    for child in node.children:
        _refresh(child)
    if node.kind == "mapping":
        node.value = {c.key: c.value for c in node.children}
    elif node.kind == "sequence":
        node.value = [c.value for c in node.children]


def _changed_roots(statement: ast.stmt) -> set[str]:
    """Top-level names a statement the tree does not follow may change."""
    changed = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value  # `model.roi_head.update(...)`, `detector.pop("x")`
        elif isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            target = node
        else:
            continue
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            target = target.value
        if isinstance(target, ast.Name):
            changed.add(target.id)
    return changed


def _path(target: ast.expr) -> list | None:
    """`a.b["c"][0]` -> ["a", "b", "c", 0]; None for anything computed."""
    path: list = []
    while isinstance(target, (ast.Attribute, ast.Subscript)):
        if isinstance(target, ast.Attribute):
            path.append(target.attr)
        elif isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, (str, int)):
            path.append(target.slice.value)
        else:
            return None
        target = target.value
    if not isinstance(target, ast.Name):
        return None
    return [target.id, *reversed(path)]
