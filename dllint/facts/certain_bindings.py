"""The one assignment that surely gives a name its value at a use, or none.

`facts.scopes` lists every definition of a name before a use, in source order, and
`facts.bindings` the ones a read may see. A question about a value's number wants a single
answer: the latest binding counts only when no branch or loop that the use is outside of could
skip it (`if args.opt == "sgd": lr = 0.1 else: lr = 1e-3` is decided at run time). Anything less
certain is None, so that rules stay silent rather than guess.
"""

from __future__ import annotations

import ast
from functools import cached_property

from dllint.facts.scopes import SCOPE_NODES, Definition

# Hops followed from one expression: deeper chains are generated code, not something to report.
MAX_DEPTH = 12
# Statements whose body may not run (a `with` body always does).
_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.Match, getattr(ast, "TryStar", ast.Try),
             ast.IfExp)


def nodes(module, kind: type) -> list:
    """Nodes of one class from the engine's single walk; a walk of our own if it has not run."""
    if module.nodes_by_type:
        return module.nodes(kind.__name__)
    return [node for node in ast.walk(module.tree) if isinstance(node, kind)]


class CertainBindings:
    """Certain bindings in one module. A name may be dotted (`args.lr`): `scopes` records
    assignments to an attribute of a name under the dotted name."""

    def __init__(self, module) -> None:
        self.module = module

    def binding(self, name: str, use: ast.AST) -> Definition | None:
        """The latest binding of `name` before `use`, when it is the one that reaches `use`."""
        scope = self.module.scopes.scope_of(use)
        bindings = [d for d in scope.reaching(name, getattr(use, "lineno", 10**9)) if d.kind != "mutation"]
        if not bindings:
            return None
        latest = bindings[-1]
        # Several bindings and the latest sits in a branch or loop the use is not in: which one
        # reaches is decided at run time (`if args.opt == "sgd": lr = 0.1 else: lr = 1e-3`).
        # An attribute (`args.lr = 0.01` under `if args.finetune:`) always has an alternative:
        # the object's own value.
        if (len(bindings) > 1 or "." in name) and not self._dominates(latest.node, use):
            return None
        return latest

    def exists(self, name: str, use: ast.AST) -> bool:
        """Whether anything defines `name` before `use`, certain or not."""
        scope = self.module.scopes.scope_of(use)
        return bool(scope.reaching(name, getattr(use, "lineno", 10**9)))

    def assigned(self, name: str, use: ast.AST) -> ast.expr | None:
        """The expression `name` was last plainly assigned, unpacking literal tuples."""
        binding = self.binding(name, use)
        if binding is None or binding.kind != "assign" or binding.value is None:
            return None
        value = binding.value
        for index in binding.unpack:
            if not isinstance(value, (ast.Tuple, ast.List)) or index >= len(value.elts):
                return None
            value = value.elts[index]
        return value

    def constructor(self, expr: ast.expr | None) -> ast.Call | None:
        """The call that built the object `expr` names (`optimizer` in `OneCycleLR(optimizer, ...)`)."""
        for _ in range(MAX_DEPTH):
            if isinstance(expr, ast.Call):
                return expr
            if not isinstance(expr, ast.Name):
                return None
            expr = self.assigned(expr.id, expr)
        return None

    def mutated(self, name: ast.Name) -> bool:
        """`cfg.update(...)` or `cfg["lr"] = ...` anywhere: the literal is not the whole story."""
        scope = self.module.scopes.scope_of(name)
        if scope.mutations(name.id, 10**9):
            return True
        return name.id in self._subscript_stores

    @cached_property
    def _subscript_stores(self) -> set[str]:
        return {node.value.id for node in nodes(self.module, ast.Subscript)
                if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)}

    def _dominates(self, statement: ast.AST, use: ast.AST) -> bool:
        parents = self.module.parents
        around_use = set()
        node = use
        while node in parents:
            node = parents[node]
            around_use.add(node)
        node = statement
        while node in parents:
            node = parents[node]
            if isinstance(node, SCOPE_NODES):
                return True
            if isinstance(node, _BRANCHES) and node not in around_use:
                return False
        return True
