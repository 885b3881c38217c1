"""Statement-level bindings per function: where a name got the value a use sees, cheaply.

`facts.scopes` walks every expression of a function (it must: walrus targets, comprehension
variables and `.append` mutations live inside expressions). The questions about tensors and
modules asked of every `forward` in a model file only need the statements that bind names -
assignments, unpacking, `for`/`with` targets, parameters, imports, `def`/`class` - which is a few
percent of the nodes: summarizing the forwards of transformers' model files with `scopes` cost a
third of the whole run. So these tables are built from statements only, one function at a time,
and a function or class is found from line ranges rather than parent links.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass

FUNCTIONS = ("FunctionDef", "AsyncFunctionDef", "Lambda")
COMPREHENSIONS = ("ListComp", "SetComp", "DictComp", "GeneratorExp")
BRANCHES = ("If", "For", "AsyncFor", "While", "Try", "TryStar", "Match")
BLOCKS = ("body", "orelse", "finalbody")
# Statements holding other statements.
COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match,
            getattr(ast, "TryStar", ast.Try))


@dataclass(frozen=True)
class Bound:
    name: str
    value: ast.expr | None  # None: bound by something that carries no expression
    node: ast.AST  # the statement; for a parameter, its function
    line: int
    unpack: tuple[int, ...] = ()  # position in a tuple unpacking: `_, pred = ...` gives (1,)
    kind: str = "assign"  # assign | augassign | for | with | param | def | other


def binding(module, name: str, use: ast.AST) -> Bound | None:
    """The latest binding of `name` before `use` when it surely reaches `use`: not when a branch
    or loop that the use is outside of holds it and an earlier binding exists
    (`if args.loss == "bce": crit = ...`)."""
    line = getattr(use, "lineno", 10**9)
    if _comprehension_variable(module, name, use):
        return None  # `[crit(o, y) for o in outputs]`: each `o` is an element, not an earlier `o`
    function = function_at(module, line)
    while True:
        table = _table(module, function)
        bindings = [b for b in table.get(name, ()) if b.line < line]
        if bindings:
            latest = bindings[-1]
            if len(bindings) > 1 and conditional(module, latest.line, line):
                return None
            return latest
        if name in table or function is None:
            return None  # bound here, only later: no enclosing binding applies
        function, line = function_at(module, function.lineno, function), 10**9


def function_at(module, line: int, around: ast.AST | None = None) -> ast.AST | None:
    """The innermost function (or lambda) whose lines hold `line`; with `around`, the innermost
    one holding the function `around`."""
    starts, functions = module.fact(_function_ranges)
    end = (around.end_lineno or line) if around is not None else line
    for candidate in reversed(functions[:bisect.bisect_right(starts, line)]):
        if candidate is not around and (candidate.end_lineno or candidate.lineno) >= end:
            return candidate
    return None


def _comprehension_variable(module, name: str, use: ast.AST) -> bool:
    line = getattr(use, "lineno", 0)
    return any(start <= line <= end for start, end in module.fact(_comprehension_ranges).get(name, ()))


def _comprehension_ranges(module) -> dict[str, list[tuple[int, int]]]:
    ranges: dict[str, list[tuple[int, int]]] = {}
    for node in module.nodes(*COMPREHENSIONS):
        for generator in node.generators:
            for target in ast.walk(generator.target):
                if isinstance(target, ast.Name):
                    ranges.setdefault(target.id, []).append((node.lineno, node.end_lineno or node.lineno))
    return ranges


def class_at(module, line: int) -> ast.ClassDef | None:
    """The innermost class whose lines hold `line`."""
    starts, classes = module.fact(_class_ranges)
    for candidate in reversed(classes[:bisect.bisect_right(starts, line)]):
        if (candidate.end_lineno or candidate.lineno) >= line:
            return candidate
    return None


def _class_ranges(module) -> tuple[list[int], list[ast.ClassDef]]:
    classes = sorted(module.nodes("ClassDef"), key=lambda c: (c.lineno, c.col_offset))
    return [c.lineno for c in classes], classes


def _function_ranges(module) -> tuple[list[int], list[ast.AST]]:
    functions = sorted(module.nodes(*FUNCTIONS), key=lambda f: (f.lineno, f.col_offset))
    return [f.lineno for f in functions], functions


def conditional(module, definition: int, use: int) -> bool:
    """A branch or loop holds the line `definition` and not the line `use`: it may not run."""
    starts, ranges = module.fact(_branch_ranges)
    for start, end in ranges[:bisect.bisect_right(starts, definition)]:
        if end >= definition and not start <= use <= end:
            return True
    return False


def _branch_ranges(module) -> tuple[list[int], list[tuple[int, int]]]:
    ranges = sorted((n.lineno, n.end_lineno or n.lineno) for n in module.nodes(*BRANCHES))
    return [start for start, _ in ranges], ranges


def _table(module, function: ast.AST | None) -> dict[str, list[Bound]]:
    tables = module.fact(_Tables)
    if function not in tables:
        found: dict[str, list[Bound]] = {}
        if function is not None:
            args = function.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    found.setdefault(arg.arg, []).append(Bound(arg.arg, None, function, function.lineno, kind="param"))
        body = module.tree.body if function is None else function.body
        _statements(body if isinstance(body, list) else [], found)  # a lambda's body binds nothing
        for bound in found.values():
            bound.sort(key=lambda b: b.line)
        tables[function] = found
    return tables[function]


class _Tables(dict):
    def __init__(self, module) -> None:
        super().__init__()


def _statements(body: list[ast.stmt], found: dict[str, list[Bound]]) -> None:
    for statement in body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                _bind(target, statement.value, statement, (), "assign", found)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            _bind(statement.target, statement.value, statement, (), "assign", found)
        elif isinstance(statement, ast.AugAssign):
            _bind(statement.target, statement.value, statement, (), "augassign", found)
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            _bind(statement.target, statement.iter, statement, (), "for", found)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    _bind(item.optional_vars, item.context_expr, statement, (), "with", found)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(statement.name, []).append(Bound(statement.name, None, statement, statement.lineno,
                                                              kind="def"))
            continue
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                name = alias.asname or alias.name.split(".")[0]
                found.setdefault(name, []).append(Bound(name, None, statement, statement.lineno, kind="other"))
        if not isinstance(statement, COMPOUND):
            continue
        for block in BLOCKS:
            inner = getattr(statement, block, None)
            if inner:
                _statements(inner, found)
        for handler in getattr(statement, "handlers", ()):
            if handler.name:
                found.setdefault(handler.name, []).append(Bound(handler.name, None, handler, handler.lineno,
                                                                kind="other"))
            _statements(handler.body, found)
        for case in getattr(statement, "cases", ()):
            _statements(case.body, found)


def _bind(target: ast.AST, value: ast.expr, statement: ast.stmt, path: tuple[int, ...], kind: str,
          found: dict[str, list[Bound]]) -> None:
    if isinstance(target, ast.Name):
        found.setdefault(target.id, []).append(Bound(target.id, value, statement, statement.lineno, path, kind))
    elif isinstance(target, (ast.Tuple, ast.List)):
        for index, element in enumerate(target.elts):
            starred = isinstance(element, ast.Starred)
            _bind(element.value if starred else element, value, statement, path + (index,),
                  "other" if starred else kind, found)
