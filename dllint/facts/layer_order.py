"""Which torch layer's output goes straight into which other layer.

`layer_pairs(module)` lists `Pair(first, second, how, site)` for layers built in this file
(`facts.layers`) when `second` receives `first`'s output and nothing else touches it in between:

- consecutive items of `nn.Sequential(...)`, of a list or tuple of layers (`layers += [conv,
  bn, relu]`, `OrderedDict([("conv", conv), ("bn", bn)])`) where one of the two is built right
  there (a list of existing layers may be for weight init), or of consecutive `x.append(...)`;
  never a `ModuleList`, whose items need not run in order;
- a call of one layer object on the call of another: `self.bn1(self.conv1(x))`;
- `y = self.conv1(x)` then `self.bn1(y)` in one straight run of statements, when no other read
  of `y` sees that value.

A layer object is the construction itself, a name surely bound to it (`facts.certain_bindings`),
or `self.attr` assigned exactly once in the class. Anything less certain pairs nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dllint.facts.constants import resolver
from dllint.facts.layers import LayerCall, layer_calls

_SEQUENTIAL = ("torch.nn.Sequential", "torch.nn.modules.container.Sequential")
_UNORDERED = ("torch.nn.ModuleList", "torch.nn.ModuleDict", "torch.nn.modules.container.ModuleList")
_BODIES = ("Module", "FunctionDef", "AsyncFunctionDef", "For", "AsyncFor", "While", "If", "With", "AsyncWith", "Try")


@dataclass(frozen=True)
class Pair:
    first: LayerCall
    second: LayerCall
    how: str  # "in the same `nn.Sequential`", "directly", "through `y`"
    site: ast.AST  # where the output is handed over: the list, the call of `second`


def layer_pairs(module) -> list[Pair]:
    return module.fact(_pairs)


def _pairs(module) -> list[Pair]:
    layers = {layer.call: layer for layer in layer_calls(module) if not layer.functional}
    if len(layers) < 2:
        return []
    finder = _Objects(module, layers)
    pairs, unordered = [], set()
    for call in module.nodes("Call"):
        short = _short(call.func)
        if short == "Sequential" and module.names.resolves_to(call.func, *_SEQUENTIAL):
            pairs += _consecutive(finder, call.args, "in the same `nn.Sequential`", call, inline=False)
        elif short in ("ModuleList", "ModuleDict") and module.names.resolves_to(call.func, *_UNORDERED):
            unordered.update(call.args)
    for node in module.nodes("List", "Tuple"):
        # Cheap test first: a list that builds no layer in place pairs nothing.
        if node not in unordered and any(_named_item(e) in layers for e in node.elts):
            pairs += _consecutive(finder, node.elts, "in the same list of layers", node, inline=True)
    for body in _statement_lists(module):
        appended = [_appended(statement) for statement in body]
        for one, two in zip(appended, appended[1:]):
            if one and two and ast.dump(one[0]) == ast.dump(two[0]):
                pairs += _consecutive(finder, [one[1], two[1]], "through consecutive `append`s", one[1],
                                      inline=False)
    for call in module.nodes("Call"):
        second = finder.layer(call.func) if len(call.args) == 1 and not call.keywords \
            and finder.may_hold_layer(call.func) else None
        if second is None:
            continue
        argument = call.args[0]
        if isinstance(argument, ast.Call):
            first = finder.layer(argument.func)
            how = "directly"
        elif isinstance(argument, ast.Name):
            value = finder.sole_value(argument)
            first = finder.layer(value.func) if isinstance(value, ast.Call) else None
            how = f"through `{argument.id}`"
        else:
            first = None
        if first is not None:
            pairs.append(Pair(first, second, how, call))
    return pairs


def _short(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _consecutive(finder: _Objects, items: list[ast.expr], how: str, site: ast.AST, inline: bool) -> list[Pair]:
    items = [_named_item(item) for item in items]
    found = [finder.layer(item) for item in items]
    return [Pair(a, b, how, site) for a, b, x, y in zip(found, found[1:], items, items[1:])
            if a is not None and b is not None and (not inline or isinstance(x, ast.Call) or isinstance(y, ast.Call))]


def _named_item(item: ast.expr) -> ast.expr:
    """`("conv", nn.Conv2d(...))` in an OrderedDict list is the layer."""
    if isinstance(item, ast.Tuple) and len(item.elts) == 2 and isinstance(item.elts[0], ast.Constant):
        return item.elts[1]
    return item


def _appended(statement: ast.stmt) -> tuple[ast.expr, ast.expr] | None:
    """`layers.append(x)` as (the list, the item)."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func, args = statement.value.func, statement.value.args
        if isinstance(func, ast.Attribute) and func.attr == "append" and len(args) == 1:
            return func.value, args[0]
    return None


def _statement_lists(module):
    yield module.tree.body
    for node in module.nodes(*_BODIES[1:]):
        yield node.body
        yield getattr(node, "orelse", [])


class _Objects:
    """What layer an expression denotes as an object (not a call of it)."""

    def __init__(self, module, layers: dict[ast.Call, LayerCall]) -> None:
        self.module = module
        self.layers = layers
        self.values = resolver(module)
        # `self.x = ...` per class; assigned twice (`self.norm = BatchNorm2d(c)`, later
        # `nn.Identity()`): which one is used is decided at run time, so None.
        self.attributes: dict[ast.ClassDef, dict[str, ast.expr | None]] = {}
        # Names and `self.` attributes ever assigned a layer: only their calls can be a layer's.
        self.names: set[str] = set()
        self.attrs: set[str] = set()
        classes = module.nodes("ClassDef")
        for node in module.nodes("Assign"):
            for target in node.targets:
                if _is_self_attribute(target):
                    owner = self.attributes.setdefault(_innermost(classes, node), {})
                    single = target.attr not in owner and len(node.targets) == 1
                    owner[target.attr] = node.value if single else None
                    if node.value in layers:
                        self.attrs.add(target.attr)
                elif isinstance(target, ast.Name) and node.value in layers:
                    self.names.add(target.id)

    def may_hold_layer(self, func: ast.expr) -> bool:
        return (isinstance(func, ast.Name) and func.id in self.names) or (
            _is_self_attribute(func) and func.attr in self.attrs)

    def layer(self, expr: ast.expr) -> LayerCall | None:
        if isinstance(expr, ast.Call):
            return self.layers.get(expr)
        if isinstance(expr, ast.Name):
            return self.layers.get(self.values.certain.constructor(expr))
        if _is_self_attribute(expr):
            owner = _innermost(self.module.nodes("ClassDef"), expr)
            value = self.attributes.get(owner, {}).get(expr.attr) if owner is not None else None
            return self.layer(value) if isinstance(value, (ast.Call, ast.Name)) else None
        return None

    def sole_value(self, use: ast.Name) -> ast.expr | None:
        """The value `use` reads when one plain assignment in the same straight run of statements
        gave it and no other read sees it (`y = self.conv(x)` then `self.bn(y)`, `y` unused after).
        Branches, loops and rebindings in between make it None: the question is left open."""
        scopes = self.module.nodes("FunctionDef", "AsyncFunctionDef")
        owner = _innermost(scopes, use)
        body = owner.body if owner is not None else self.module.tree.body
        at = next((i for i, s in enumerate(body) if s.lineno <= use.lineno <= s.end_lineno), None)
        if at is None:
            return None
        name, value = use.id, None
        for statement in reversed(body[:at]):
            loads, stores = _uses(statement, name)
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == name:
                value = statement.value
                break
            if loads or stores:
                return None
        loads, stores = _uses(body[at], name)
        if value is None or loads > 1:
            return None
        for statement in body[at + 1:] if not stores else ():
            loads, stores = _uses(statement, name)
            if loads:
                return None
            if stores:
                break
        return value


def _uses(statement: ast.stmt, name: str) -> tuple[int, int]:
    """How many times `statement` reads and binds `name`."""
    loads = stores = 0
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and node.id == name:
            if isinstance(node.ctx, ast.Load):
                loads += 1
            else:
                stores += 1
    return loads, stores


def _is_self_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _innermost(scopes: list[ast.AST], node: ast.AST):
    """The last-starting of `scopes` whose lines contain `node` (no parent map needed)."""
    line = node.lineno
    found = None
    for scope in scopes:
        if scope.lineno <= line <= scope.end_lineno and (found is None or scope.lineno >= found.lineno):
            found = scope
    return found
