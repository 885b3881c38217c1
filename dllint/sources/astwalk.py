"""Fast tree traversal. `ast.walk` and `ast.iter_child_nodes` go through generators for every
node; a loop over `_fields` is about 1.6x faster on real code (timm: 0.53 s vs 0.87 s for 760k
nodes), and visiting in pre-order gives source order, which rules expect ("the first X")."""

from __future__ import annotations

import ast

_AST = ast.AST


def children(node: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            found.extend(v for v in value if isinstance(v, _AST))
        elif isinstance(value, _AST):
            found.append(value)
    return found


def index_by_type(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Every node, grouped by AST class name, each group in source (pre-)order."""
    by_class: dict[type, list[ast.AST]] = {}
    stack = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        bucket = by_class.get(node.__class__)
        if bucket is None:
            by_class[node.__class__] = [node]
        else:
            bucket.append(node)
        for name in reversed(node._fields):
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in reversed(value):
                    if isinstance(item, _AST):
                        push(item)
            elif isinstance(value, _AST):
                push(value)
    return {cls.__name__: nodes for cls, nodes in by_class.items()}
