"""Source order for flow questions that read a scope top to bottom: its statements (entering
`if`/`for`/`with`/`try` bodies, never nested functions or classes), the expressions each one
evaluates itself, the calls in them inner first, and whether two statements sit in different
branches of one `if` (so that never both run).
"""

from __future__ import annotations

import ast


def statements(body):
    """Statements in source order, entering compound statements but not nested scopes."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield statement
        for name in ("body", "orelse", "handlers", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                yield from statements(inner)
        for case in getattr(statement, "cases", ()):
            yield from statements(case.body)


def expressions(statement) -> list:
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        return [statement.iter]
    if isinstance(statement, (ast.If, ast.While)):
        return [statement.test]
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [item.context_expr for item in statement.items]
    if isinstance(statement, (ast.Try, ast.ExceptHandler, ast.Match)) or hasattr(statement, "handlers"):
        return []
    return [statement]


def calls(expression) -> list[ast.Call]:
    """Calls in evaluation order, inner first: `split(fit_transform(X))` sees the fit first."""
    found, stack = [], [(expression, False)]
    while stack:
        node, done = stack.pop()
        if done:
            found.append(node)
            continue
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(node))))
    return found


def exclusive(module, fit: ast.AST, statement) -> bool:
    """The fit and the split sit in different branches of one `if`: never both run."""
    parents = module.parents
    fit_path: dict[ast.AST, ast.AST] = {}
    node = fit
    while node is not None and node in parents:
        fit_path[parents[node]] = node
        node = parents[node]
    node = statement
    while node is not None and node in parents:
        parent = parents[node]
        if parent in fit_path and isinstance(parent, ast.If):
            other = fit_path[parent]
            return (node in parent.body) != (other in parent.body) and other is not parent.test
        node = parent
    return False


def used_after(module, function, name: str, methods, after: ast.AST, since: ast.AST) -> bool:
    """`name.<method>(...)` is called after `after`, in `function` (or the module), while `name`
    still holds what it held at `since` (not rebound in between)."""
    scope = function or module.tree
    start, end = getattr(after, "lineno", 0), getattr(scope, "end_lineno", None) or 10**9
    for call in module.nodes("Call"):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in methods and start <= call.lineno <= end \
                and module.segment(func.value) == name:
            bound = module.scopes.scope_of(call).latest(name, call.lineno)
            if bound is None or bound.line <= since.lineno:
                return True
    return False
