"""`torch.log` calls and what they are really taken of: `log(p + eps)`, `log(1 - p)` and
`log(p.clamp(min=eps))` are all logs of `p` (the usual patches over `log(0)`)."""

from __future__ import annotations

import ast
import re

from dllint.facts.bindings import last_name

EPSILON = re.compile(r"eps|epsilon|tiny|smooth|delta", re.IGNORECASE)


def log_argument(module, call: ast.Call) -> ast.expr | None:
    """The argument of `torch.log(x)` / `x.log()`; None for other calls."""
    func = call.func
    if last_name(func) != "log":
        return None
    if isinstance(func, ast.Attribute) and not call.args and not call.keywords:
        # `x.log()` on a tensor; `self.log(...)` is Lightning's logger, `math.log` not a tensor's
        return None if module.qualified_name(func) or getattr(func.value, "id", "") == "self" else func.value
    if module.qualified_name(func) == "torch.log" and call.args:
        return call.args[0]
    return None


def under_log(module, expr: ast.expr) -> ast.expr:
    """What a log is really taken of: `p + eps`, `1 - p`, `p.clamp(min=eps)` are all `p`."""
    for _ in range(4):
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            if _epsilon(expr.right):
                expr = expr.left
                continue
            if _epsilon(expr.left):
                expr = expr.right
                continue
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Sub) and _constant(expr.left) == 1:
            expr = expr.right
            continue
        if isinstance(expr, ast.Call) and last_name(expr.func) in ("clamp", "clip", "clamp_min"):
            qualified = module.qualified_name(expr.func)
            inner = expr.args[0] if qualified and expr.args else expr.func.value if not qualified else None
            if isinstance(inner, ast.expr):
                expr = inner
                continue
        break
    return expr


def _constant(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def _epsilon(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, float) and 0 < node.value < 1e-2
    name = last_name(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    return bool(name and EPSILON.search(name))
