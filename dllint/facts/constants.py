"""What number or literal an expression holds, and where that value is written.

`resolve(module, expr)` follows a value only as far as this file shows it: literals (numbers,
strings, tuples of numbers), `+ - * / **` on them, `float(...)`/`int(...)`, names through the
binding that surely reaches them (`facts.certain_bindings`), argparse defaults read through
`args.lr` (`facts.argparse_options`), and `cfg["lr"]`/`cfg.lr` on dicts, namespaces and classes
defined here. The answer carries the node where the value is written (the literal, the default,
the constant's assignment), so a finding lands where the user edits it, and how the value gets
to the expression, for messages. Anything else (a YAML loaded at run time, a function
parameter) is None: rules stay silent.

    found = constants.resolve(module, call.args[0])
    if found is not None and constants.is_number(found.value): ...

`resolver(module)` gives the same answers plus the containers (`mapping`) and the certain
bindings and argparse options it is built on, shared by every rule that asks about this module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Any

from dllint.facts import cli_defaults
from dllint.facts.argparse_options import ArgparseOptions
from dllint.facts.certain_bindings import MAX_DEPTH, CertainBindings

_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}


@dataclass(frozen=True)
class Constant:
    value: Any  # an int, float or str; a tuple of numbers for `betas=(0.9, 0.999)`
    node: ast.AST  # where the value is written (a literal), or the expression computing it
    # How the value gets to the expression: "from `lr`", "from `--lr` default",
    # "computed as `base_lr * 2`"; "" for a literal written in the expression itself.
    origin: str = ""


def resolver(module) -> Resolver:
    """The module's resolver, made once and shared by every rule that asks."""
    return module.fact(Resolver)


def resolve(module, expr: ast.AST | None) -> Constant | None:
    """The value `expr` holds and where it is written; None when this file does not show it."""
    return resolver(module).resolve(expr)


def is_number(value: Any) -> bool:
    """An int or float, not a bool (`True` is an int to Python, never a rate)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def literal_mapping(node: ast.AST) -> dict[str, ast.expr] | None:
    """`{"lr": 0.1}` or `dict(lr=0.1)` as written; None if `**` spreading hides keys."""
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            return None
        return {k.value: v for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if isinstance(node, ast.Call) and all(kw.arg for kw in node.keywords):
        return {kw.arg: kw.value for kw in node.keywords}
    return None


class Resolver:
    """One module's answers; `certain` and `options` are the facts it follows values through."""

    def __init__(self, module) -> None:
        self.module = module
        self.certain = CertainBindings(module)
        self.options = ArgparseOptions(module, self.certain)

    def resolve(self, expr: ast.AST | None, depth: int = 0) -> Constant | None:
        """The value `expr` holds and where it is written; None when this file does not show it."""
        if expr is None or depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            ok = isinstance(expr.value, (int, float, str)) and not isinstance(expr.value, bool)
            return Constant(expr.value, expr) if ok else None
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            inner = self.resolve(expr.operand, depth + 1)
            if inner is None or not is_number(inner.value):
                return None
            value = -inner.value if isinstance(expr.op, ast.USub) else inner.value
            literal = isinstance(expr.operand, ast.Constant)
            return Constant(value, expr, "" if literal else f"computed as `{self.module.segment(expr)}`")
        if isinstance(expr, ast.BinOp) and type(expr.op) in _ARITHMETIC:
            return self._arithmetic(expr, depth)
        if isinstance(expr, (ast.Tuple, ast.List)) and expr.elts:  # betas=(0.9, 0.999)
            items = [self.resolve(e, depth + 1) for e in expr.elts]
            if all(item is not None and is_number(item.value) for item in items):
                return Constant(tuple(item.value for item in items), expr)
            return None
        if isinstance(expr, ast.Name):
            binding = self.certain.assigned(expr.id, expr)
            if binding is None:
                return self._cli_default(expr, depth)
            found = self.resolve(binding, depth + 1)
            return replace(found, origin=found.origin or f"from `{expr.id}`") if found else None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            dotted = f"{expr.value.id}.{expr.attr}"
            binding = self.certain.assigned(dotted, expr)
            if binding is not None or self.certain.exists(dotted, expr):
                found = self.resolve(binding, depth + 1)
                return replace(found, origin=found.origin or f"from `{dotted}`") if found else None
            if self.options.is_namespace(expr.value):
                return self._argparse_default(expr.attr, depth)
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            key = expr.attr if isinstance(expr, ast.Attribute) else _string(expr.slice)
            container = self.mapping(expr.value, depth + 1)
            if key is None or container is None or key not in container:
                return None
            found = self.resolve(container[key], depth + 1)
            label = self.module.segment(expr)
            return replace(found, origin=found.origin or f"from `{label}`") if found else None
        if _is_conversion(expr) and self.module.qualified_name(expr.func) is None:
            return _converted(self.resolve(expr.args[0], depth + 1), expr.func.id)
        return None

    def _arithmetic(self, expr: ast.BinOp, depth: int) -> Constant | None:
        left, right = self.resolve(expr.left, depth + 1), self.resolve(expr.right, depth + 1)
        if left is None or right is None or not (is_number(left.value) and is_number(right.value)):
            return None
        if isinstance(expr.op, ast.Pow) and abs(right.value) > 64:
            return None  # `10 ** 10 ** 9` would take forever to compute, and is no rate
        try:
            value = _ARITHMETIC[type(expr.op)](left.value, right.value)
        except (ArithmeticError, ValueError):
            return None
        if not is_number(value):
            return None  # `(-8) ** 0.5` is complex
        literal = all(isinstance(side, (ast.Constant, ast.UnaryOp)) and not (left.origin or right.origin)
                      for side in (expr.left, expr.right))
        return Constant(value, expr, "" if literal else f"computed as `{self.module.segment(expr)}`")

    def _cli_default(self, name: ast.Name, depth: int) -> Constant | None:
        """A parameter filled by click/typer/fire/tyro: its default is the value (`facts.cli_defaults`)."""
        binding = self.certain.binding(name.id, name)
        if binding is None or binding.kind != "param":
            return None
        scope = self.module.scopes.scope_of(name)
        while scope is not None and binding not in scope.definitions.get(name.id, ()):
            scope = scope.parent  # a closure reads its enclosing function's parameter
        given = cli_defaults.default(self.module, scope.node if scope else None, binding.node)
        found = self.resolve(given[0], depth + 1) if given is not None else None
        return replace(found, origin=f"from {given[1]}") if found else None

    def _argparse_default(self, dest: str, depth: int) -> Constant | None:
        option = self.options.option(dest)
        if option is None or option.default is None:
            return None
        found = self.resolve(option.default, depth + 1)
        if found is not None and isinstance(found.value, str) and option.type in ("float", "int"):
            found = _converted(found, option.type)  # argparse runs `type` on string defaults
        return replace(found, origin=f"from `{option.flag}` default") if found else None

    def mapping(self, expr: ast.AST | None, depth: int = 0) -> dict[str, ast.expr] | None:
        """Keys of a dict, namespace or class defined in this file that `expr` evaluates to."""
        if expr is None or depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Dict):
            return literal_mapping(expr)
        if isinstance(expr, ast.Call):
            parsed = _parsed_class(self.module, expr)
            if parsed is not None:  # `tyro.cli(TrainConfig)`: an instance with the class defaults
                return self._class_body(parsed)
            base = self._class_body(expr.func) if isinstance(expr.func, ast.Name) else None
            if base is not None or (isinstance(expr.func, ast.Name) and expr.func.id == "dict") or \
                    self.module.qualified_name(expr.func) in ("types.SimpleNamespace", "argparse.Namespace"):
                own = literal_mapping(expr)
                inner = self.mapping(expr.args[0], depth + 1) if expr.args else {}
                return None if own is None or inner is None else {**(base or {}), **inner, **own}
            if len(expr.args) == 1 and not expr.keywords and isinstance(expr.args[0], ast.Dict):
                return literal_mapping(expr.args[0])  # EasyDict({...}), OmegaConf.create({...})
            return None
        if isinstance(expr, ast.Name):
            body = self._class_body(expr)
            if body is not None:
                return body
            annotated = self._annotated_class(expr)
            if annotated is not None:  # `def train(cfg: TrainConfig)`: the class's defaults
                return self._class_body(annotated)
            if self.certain.mutated(expr):
                return None
            return self.mapping(self.certain.assigned(expr.id, expr), depth + 1)
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            key = expr.attr if isinstance(expr, ast.Attribute) else _string(expr.slice)
            outer = self.mapping(expr.value, depth + 1)
            return self.mapping(outer.get(key), depth + 1) if outer and key in outer else None
        return None

    def _class_body(self, name: ast.Name) -> dict[str, ast.expr] | None:
        binding = self.certain.binding(name.id, name)
        if binding is None or not isinstance(binding.node, ast.ClassDef):
            return None
        body: dict[str, ast.expr] = {}
        for statement in binding.node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name):
                body[statement.targets[0].id] = _field_default(self.module, statement.value)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and statement.value is not None:
                body[statement.target.id] = _field_default(self.module, statement.value)
        return body

    def _annotated_class(self, name: ast.Name) -> ast.Name | None:
        binding = self.certain.binding(name.id, name)
        annotation = getattr(binding.node, "annotation", None) if binding and binding.kind == "param" else None
        text = annotation.value if isinstance(annotation, ast.Constant) else getattr(annotation, "id", None)
        if not isinstance(text, str) or not text.isidentifier():
            return None
        # The class this file defines under that name, looked up from where the parameter is read.
        probe = ast.Name(text, ast.Load(), lineno=name.lineno, col_offset=name.col_offset,
                         end_lineno=name.end_lineno, end_col_offset=name.end_col_offset)
        return probe if self._class_body(probe) is not None else None


# Calls that parse the command line into an instance of the config class they are given.
_CLASS_PARSERS = {"tyro.cli", "simple_parsing.parse", "pyrallis.parse", "draccus.parse"}
# Field declarations whose `default` is the class attribute's value.
_FIELDS = {"dataclasses.field", "pydantic.Field", "attr.ib", "attrs.field", "attr.attrib"}


def _parsed_class(module, call: ast.Call) -> ast.Name | None:
    if module.qualified_name(call.func) not in _CLASS_PARSERS:
        return None
    given = next((kw.value for kw in call.keywords if kw.arg == "config_class"), call.args[0] if call.args else None)
    return given if isinstance(given, ast.Name) else None


def _field_default(module, value: ast.expr) -> ast.expr:
    """`lr: float = field(default=1e-3)` / `Field(1e-3, gt=0)` -> the `1e-3` node."""
    if isinstance(value, ast.Call) and module.qualified_name(value.func) in _FIELDS:
        given = next((kw.value for kw in value.keywords if kw.arg == "default"), None)
        if given is None and value.args and module.qualified_name(value.func) == "pydantic.Field":
            given = value.args[0]
        return given if given is not None else value
    return value


def _is_conversion(expr: ast.AST) -> bool:
    """`float(x)` / `int(x)` with one argument."""
    return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("float", "int")
            and len(expr.args) == 1 and not expr.keywords)


def _converted(found: Constant | None, type_: str) -> Constant | None:
    if found is None:
        return None
    try:
        return replace(found, value=float(found.value) if type_ == "float" else int(found.value))
    except (TypeError, ValueError, OverflowError):
        return None


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
