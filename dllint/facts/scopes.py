"""Where names get their values, per function: the base of every data-flow question.

Flow-insensitive on purpose, with source order: `reaching(name, line)` returns the definitions
of `name` in the same scope that come before `line`, latest last. Branches are not merged and
loops are not iterated; rules that need certainty take only the latest definition, and stay
silent when a value's origin is not visible.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field

from dllint.sources.astwalk import children

SCOPE_NODES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
MUTATORS = {"append", "extend", "insert", "add", "update"}


@dataclass(frozen=True)
class Definition:
    """`target = value`, possibly one element of an unpacking (`_, pred = torch.max(x, 1)`)."""

    name: str
    value: ast.expr | None  # None: defined by something that carries no expression (import, def)
    node: ast.AST  # the statement (or call, for mutations)
    line: int
    # Position in a tuple unpacking, outermost first: `a, (b, c) = v` gives c the path (1, 1).
    unpack: tuple[int, ...] = ()
    kind: str = "assign"  # assign | augassign | for | with | mutation | param | other


@dataclass
class Scope:
    node: ast.AST
    parent: Scope | None
    definitions: dict[str, list[Definition]] = field(default_factory=dict)

    def add(self, definition: Definition) -> None:
        self.definitions.setdefault(definition.name, []).append(definition)

    def reaching(self, name: str, line: int) -> list[Definition]:
        """Definitions of `name` in this scope before `line` (module scope as a fallback)."""
        found = [d for d in self.definitions.get(name, ()) if d.line < line]
        if not found and name not in self.definitions and self.parent is not None:
            # A name only read here comes from an enclosing scope; its whole body came before.
            return self.parent.reaching(name, 10**9)
        return found

    def latest(self, name: str, line: int) -> Definition | None:
        """The last plain (re)binding before `line`, ignoring mutations."""
        bindings = [d for d in self.reaching(name, line) if d.kind != "mutation"]
        return bindings[-1] if bindings else None

    def mutations(self, name: str, line: int) -> list[Definition]:
        return [d for d in self.reaching(name, line) if d.kind == "mutation"]


class ScopeMap:
    """Scopes are built lazily, one function at a time: a rule asking about one loop in a 3,000
    line model file must not pay for every method in it."""

    def __init__(self, tree: ast.Module, scope_nodes: list[ast.AST] | None = None) -> None:
        self.tree = tree
        if scope_nodes is None:
            scope_nodes = [n for n in ast.walk(tree) if isinstance(n, SCOPE_NODES[1:])]
        nested = sorted((n for n in scope_nodes if n is not tree), key=_start)
        self._nested = nested
        self._starts = [_start(n) for n in nested]
        self._built: dict[ast.AST, Scope] = {}
        self._innermost: dict[ast.AST, ast.AST] = {}

    @property
    def scopes(self) -> list[Scope]:
        """Every scope, module first (builds them all)."""
        return [self._scope(self.tree)] + [self._scope(n) for n in self._nested]

    def scope_of(self, node: ast.AST) -> Scope:
        """The innermost scope containing `node`; a scope's own node maps to that scope."""
        if node is self.tree or isinstance(node, SCOPE_NODES):
            return self._scope(node)
        return self._scope(self._enclosing(node))

    def _enclosing(self, node: ast.AST) -> ast.AST:
        found = self._innermost.get(node)
        if found is not None:
            return found
        position = _position(node)
        found = self.tree
        if position is not None:
            index = bisect.bisect_right(self._starts, position)
            for candidate in reversed(self._nested[:index]):
                if candidate is not node and _end(candidate) >= position:
                    found = candidate
                    break
        self._innermost[node] = found
        return found

    def _scope(self, node: ast.AST) -> Scope:
        scope = self._built.get(node)
        if scope is not None:
            return scope
        parent = None if node is self.tree else self._scope(self._enclosing(node))
        scope = Scope(node, parent)
        self._built[node] = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    scope.add(Definition(arg.arg, None, arg, node.lineno, kind="param"))
        # This scope's own nodes; nested scopes are named here and entered only when asked for.
        stack = list(reversed(children(node)))
        while stack:
            child = stack.pop()
            if isinstance(child, SCOPE_NODES):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    scope.add(Definition(child.name, None, child, child.lineno, kind="other"))
                continue
            _record(child, scope)
            stack.extend(reversed(children(child)))
        for found in scope.definitions.values():
            found.sort(key=lambda d: (d.line, getattr(d.node, "col_offset", 0) or 0))
        return scope


def _start(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def _end(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _position(node: ast.AST) -> tuple[int, int] | None:
    # `arguments`, `comprehension` and operators carry no position: use their first child's.
    stack = [node]
    while stack:
        current = stack.pop(0)
        if getattr(current, "lineno", None) is not None:
            return (current.lineno, current.col_offset)
        stack.extend(children(current))
    return None


def _record(node: ast.AST, scope: Scope) -> None:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _bind(target, node.value, node, scope, (), "assign")
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        _bind(node.target, node.value, node, scope, (), "assign")
    elif isinstance(node, ast.AugAssign):
        _bind(node.target, node.value, node, scope, (), "augassign")
    elif isinstance(node, ast.NamedExpr):
        _bind(node.target, node.value, node, scope, (), "assign")
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        _bind(node.target, node.iter, node, scope, (), "for")
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                _bind(item.optional_vars, item.context_expr, node, scope, (), "with")
    elif isinstance(node, ast.comprehension):
        # comprehension nodes carry no position of their own; their target does.
        _bind(node.target, node.iter, node, scope, (), "for", node.target.lineno)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # `preds.append(x)`: the list's contents change; the value recorded is the argument.
        target = node.func.value
        if node.func.attr in MUTATORS and isinstance(target, ast.Name) and node.args:
            scope.add(Definition(target.id, node.args[-1], node, node.lineno, kind="mutation"))


def _bind(target: ast.AST, value: ast.expr, node: ast.AST, scope: Scope, path: tuple[int, ...], kind: str,
          line: int | None = None) -> None:
    line = node.lineno if line is None else line
    if isinstance(target, ast.Name):
        scope.add(Definition(target.id, value, node, line, path, kind))
    elif isinstance(target, (ast.Tuple, ast.List)):
        for index, element in enumerate(target.elts):
            if isinstance(element, ast.Starred):
                element = element.value
            _bind(element, value, node, scope, path + (index,), kind, line)
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        # `self.criterion = ...` is recorded under its dotted name.
        scope.add(Definition(f"{target.value.id}.{target.attr}", value, node, line, path, kind))
