"""Where a value was bound: the definitions a read may see, what they assigned or appended, and
which function or class of the same file a call or an instance belongs to. Built on
`module.scopes`; shared by the value-kind tracker (`facts.values`) and the facts about estimators
and metrics. (`facts.certain_bindings` answers the stricter question: the one binding that surely
reaches a use.)
"""

from __future__ import annotations

import ast

APPENDERS = {"append", "extend", "insert"}


def definitions(module, expr: ast.expr) -> list:
    """The bindings (`facts.scopes.Definition`) a read of a name or `self.attr` sees: the latest
    before it in its scope, or for `self.attr` set in another method, every binding in the class."""
    scopes = module.scopes
    dotted = dotted_self(expr)
    name = expr.id if isinstance(expr, ast.Name) else dotted
    if name is None:
        return []
    latest = scopes.scope_of(expr).latest(name, expr.lineno)
    if latest is not None or dotted is None:
        return [latest] if latest is not None else []
    # `self.x` set in another method (`__init__`, `setup`): every binding in the class. Only the
    # methods whose text names it are scanned: a large class has hundreds of methods.
    owner = enclosing_class(module, expr)
    methods = [m for m in (owner.body if owner else ()) if isinstance(m, ast.FunctionDef)
               and dotted in _method_text(module, m)]
    return [d for m in methods for d in scopes.scope_of(m).definitions.get(dotted, ())
            if d.kind != "mutation"]


def _method_text(module, method: ast.AST) -> str:
    texts = module.fact(_MethodTexts).texts
    if method not in texts:
        texts[method] = module.segment(method)
    return texts[method]


class _MethodTexts:
    def __init__(self, module) -> None:
        self.texts: dict[ast.AST, str] = {}


def assigned_values(module, expr: ast.expr) -> list[ast.expr]:
    """The expressions those bindings assigned (`clf = SVC()` gives the `SVC()` call)."""
    return [d.value for d in definitions(module, expr) if d.value is not None]


def appended(module, d, use: ast.expr) -> list[ast.expr]:
    """Values `append`ed/`extend`ed/`insert`ed to the list bound by `d` before `use`."""
    if "." not in d.name:
        found = module.scopes.scope_of(use).mutations(d.name, use.lineno)
        return [m.value for m in found if m.line >= d.line and m.node.func.attr in APPENDERS]
    # Scopes record mutations of plain names only; `self.preds.append(...)` is found here.
    owner = enclosing_class(module, use)
    calls = [n for n in ast.walk(owner)] if owner is not None else []
    return [c.args[-1] for c in calls if isinstance(c, ast.Call) and c.args
            and isinstance(c.func, ast.Attribute) and c.func.attr in APPENDERS
            and dotted_self(c.func.value) == d.name]


def enclosing_class(module, node: ast.AST) -> ast.ClassDef | None:
    """The class around `node` (`node` itself if it is one). Up the scopes, not `module.parents`,
    which maps the whole file on first use."""
    scope = module.scopes.scope_of(node)
    while scope is not None and not isinstance(scope.node, ast.ClassDef):
        scope = scope.parent
    return scope.node if scope is not None else None


def class_of(module, expr: ast.expr) -> ast.ClassDef | None:
    """The same-file class whose instance `expr` is (`self`, or a name bound to `Model(...)`)."""
    if isinstance(expr, ast.Name) and expr.id == "self":
        return enclosing_class(module, expr)
    for value in assigned_values(module, expr) if isinstance(expr, (ast.Name, ast.Attribute)) else ():
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            found = definitions(module, value.func)
            if found and isinstance(found[-1].node, ast.ClassDef):
                return found[-1].node
    return None


def comprehension_binding(module, name: ast.Name) -> tuple[ast.expr, tuple[int, ...]] | None:
    """(iterable, unpacking path) when a comprehension around `name` binds it:
    `[p for _, p in pairs]` binds `p` to member 1 of each item of `pairs`."""
    position = (name.lineno, name.col_offset)
    around = [c for c in module.fact(_comprehensions) if (c.lineno, c.col_offset) <= position
              <= (c.end_lineno, c.end_col_offset)]
    for node in sorted(around, key=lambda c: (c.lineno, c.col_offset), reverse=True):  # innermost first
        for generator in node.generators:
            path = _path_to(generator.target, name.id, ())
            if path is not None:
                return generator.iter, path
    return None


def _comprehensions(module) -> list[ast.AST]:
    # From the engine's index: walking up through `module.parents` would map the whole tree.
    kinds = ("ListComp", "SetComp", "GeneratorExp", "DictComp")
    if module.nodes_by_type:
        return module.nodes(*kinds)
    return [n for n in ast.walk(module.tree) if type(n).__name__ in kinds]


def same_file_function(module, func: ast.expr) -> tuple[ast.AST, int] | None:
    """The function defined in this file that `func` calls, with the implicit `self` count."""
    if isinstance(func, ast.Name):
        found = definitions(module, func)
        if found and isinstance(found[-1].node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return found[-1].node, 0
        return None
    if not isinstance(func, ast.Attribute):
        return None
    owner = class_of(module, func.value)
    method = next((m for m in (owner.body if owner else ()) if isinstance(m, ast.FunctionDef)
                   and m.name == func.attr), None)
    if method is None:
        return None
    static = any(last_name(d) == "staticmethod" for d in method.decorator_list)
    return method, 0 if static else 1


def call_sites(module, function: ast.AST) -> list[tuple[ast.Call, int]]:
    """Calls of a same-file function, with how many leading parameters the call binds implicitly."""
    calls = module.nodes("Call") or [n for n in ast.walk(module.tree) if isinstance(n, ast.Call)]
    return [(call, found[1]) for call in calls
            if (found := same_file_function(module, call.func)) and found[0] is function]


def argument_for(call: ast.Call, function, name: str, offset: int = 0) -> ast.expr | None:
    """The expression `call` passes for parameter `name` of `function`, None when not visible."""
    positional = [a.arg for a in [*function.args.posonlyargs, *function.args.args]][offset:]
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None  # where the later arguments land is not visible
        if index < len(positional) and positional[index] == name:
            return arg
    return next((k.value for k in call.keywords if k.arg == name), None)


def own_nodes(function: ast.AST):
    """Nodes of a function body, not entering nested functions, lambdas or classes."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def dotted_self(expr: ast.AST) -> str | None:
    """`self.preds` -> "self.preds", the name scopes record attribute bindings under."""
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        return f"{expr.value.id}.{expr.attr}"
    return None


def last_name(func: ast.AST) -> str | None:
    """The called name: `fit` for `clf.fit`, `SVC` for `SVC`."""
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _path_to(target: ast.AST, name: str, path: tuple[int, ...]) -> tuple[int, ...] | None:
    if isinstance(target, ast.Name):
        return path if target.id == name else None
    for index, element in enumerate(getattr(target, "elts", ())):
        found = _path_to(getattr(element, "value", element) if isinstance(element, ast.Starred)
                         else element, name, path + (index,))
        if found is not None:
            return found
    return None


def item_writes(module, use: ast.expr) -> dict[str, list[tuple[int, object, ast.expr | None]]]:
    """Writes into containers in the scope of `use`, by container name: `(line, key, value)` for
    `d["preds"] = v` (key "preds"), `(line, None, v)` for an element rewrite such as
    `y_pred[y_pred > 0.5] = 1`, and `(line, None, None)` for an in-place method (`p.round_()`)."""
    return module.fact(_ItemWrites).of(module.scopes.scope_of(use).node)


class _ItemWrites:
    def __init__(self, module) -> None:
        self.by_scope: dict[ast.AST, dict] = {}

    def of(self, scope: ast.AST) -> dict:
        found = self.by_scope.get(scope)
        if found is None:
            found = self.by_scope[scope] = _item_writes(scope)
        return found


def _item_writes(scope: ast.AST) -> dict:
    found: dict[str, list] = {}
    for node in own_nodes(scope) if hasattr(scope, "body") and isinstance(scope.body, list) else ():
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                name = _container(target.value) if isinstance(target, ast.Subscript) else None
                if name is not None:
                    key = target.slice.value if isinstance(target.slice, ast.Constant) and \
                        isinstance(target.slice.value, str) and isinstance(node, ast.Assign) else None
                    found.setdefault(name, []).append((node.lineno, key, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, name = node.func.attr, _container(node.func.value)
            if name is not None and method.endswith("_") and not method.startswith("_"):
                found.setdefault(name, []).append((node.lineno, None, None))  # torch in-place op
    return found


def _container(expr: ast.AST) -> str | None:
    return expr.id if isinstance(expr, ast.Name) else dotted_self(expr)
