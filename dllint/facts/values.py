"""What an expression holds: hard labels, scores, or something this file does not show.

`kind_of(module, expr)` follows a value back to where it was made: names through `module.scopes`
(the latest definition before the use wins), tuple unpacking, list `append`/`extend` and `+=`
followed by `np.concatenate`/`torch.cat`, subscripts, dict items (`out["preds"]`, from a literal
or an item assignment), `self.` attributes set in other methods, and calls (`facts.call_kinds`:
method chains that keep values, functions defined in the same file). A value rewritten in place
after its binding (`y_pred[y_pred > 0.5] = 1`, `p.round_()`) is UNKNOWN. A column of a class
probability matrix remembers its index (`predict_proba(X)[:, 0]` has `column` 0). It never
guesses: when the origin is not visible the answer is UNKNOWN, and rules stay silent on UNKNOWN.
`traced_kind` also marks what an imported function returns (EXTERNAL), for the project phase.
Which `.predict` returns class labels is `facts.estimators`' question; the kinds are in `facts.kinds`.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from dllint.facts import call_kinds
from dllint.facts.bindings import appended, comprehension_binding, definitions, dotted_self, item_writes, last_name
from dllint.facts.call_kinds import call_kind, int_constant, is_constant
from dllint.facts.estimators import in_score_fallback
from dllint.facts.kinds import UNKNOWN, Evidence, Kind, ValueKind, hard, merge, quote, scores, select

MAX_CALL_DEPTH = call_kinds.MAX_CALL_DEPTH
MAX_CHAIN = 120  # definitions followed at once: generated code can chain `x = f(x)` for pages
PROBABILITY_MATRICES = {"predict_proba", "predict_log_proba", "softmax", "log_softmax"}


def kind_of(module, expr: ast.expr) -> ValueKind:
    """What `expr` holds, judged from this file alone; cached per module and node."""
    return _local(_analysis(module).kind(expr, 0))


def traced_kind(module, expr: ast.expr) -> ValueKind:
    """As `kind_of`, but a value returned by a function imported from elsewhere is EXTERNAL
    (with the call), for the project phase to look up (`facts.function_summaries`)."""
    return _analysis(module).kind(expr, 0)


def _local(found: ValueKind) -> ValueKind:
    if found.elements is not None:
        found = replace(found, elements=tuple(_local(e) for e in found.elements))
    return replace(found, kind=Kind.UNKNOWN, call=None, selection=()) if found.kind is Kind.EXTERNAL else found


def _analysis(module) -> _Values:
    return module.fact(_Values)


class _Values:
    def __init__(self, module) -> None:
        self.module = module
        self.cache: dict[tuple[ast.AST, int], ValueKind] = {}
        self.active: set[tuple[ast.AST, int]] = set()

    def kind(self, expr: ast.AST, depth: int) -> ValueKind:
        key = (expr, depth)
        if key in self.cache:
            return self.cache[key]
        if key in self.active or len(self.active) > MAX_CHAIN:
            return UNKNOWN  # a value defined through itself (a cycle through calls), or too far
        self.active.add(key)
        try:
            found = self._compute(expr, depth)
        finally:
            self.active.discard(key)
        self.cache[key] = found
        return found

    def _compute(self, expr: ast.AST, depth: int) -> ValueKind:
        if isinstance(expr, ast.Name):
            return self._name(expr, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr, depth)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, depth)
        if isinstance(expr, ast.Subscript):
            return self._subscript(expr, depth)
        if isinstance(expr, ast.Compare):
            if all(isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)) for op in expr.ops):
                return UNKNOWN
            return hard(expr, f"the comparison `{quote(self.module, expr)}`")
        if isinstance(expr, ast.BinOp):
            sides = [self.kind(s, depth) for s in (expr.left, expr.right) if not is_constant(s)]
            return replace(merge(sides), column=None) if sides else UNKNOWN  # `1 - p[:, 0]`
        if isinstance(expr, ast.IfExp):
            if is_constant(expr.body) and is_constant(expr.orelse):
                return hard(expr, f"the conditional `{quote(self.module, expr)}`")
            return merge([self.kind(expr.body, depth), self.kind(expr.orelse, depth)])
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            members = tuple(self.kind(e, depth) for e in expr.elts)
            return replace(merge(members), elements=members)
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.kind(expr.elt, depth)
        if isinstance(expr, ast.UnaryOp):  # `-p[:, 0]` ranks by the positive class again
            return replace(self.kind(expr.operand, depth), column=None)
        if isinstance(expr, (ast.Starred, ast.NamedExpr, ast.Await)):
            return self.kind(expr.value, depth)
        return UNKNOWN

    def _subscript(self, expr: ast.Subscript, depth: int) -> ValueKind:
        key = expr.slice.value if isinstance(expr.slice, ast.Constant) else None
        if isinstance(key, str):
            item = self._item(expr.value, key, depth)
            if item is not None:
                return item
        base = self.kind(expr.value, depth)
        if base.elements is None:
            index = int_constant(expr.slice)
            if base.kind is Kind.EXTERNAL and index is not None:
                return select(base, (index,))
            column = _column(expr.slice)
            if column is not None and base.column is None and _probability_matrix(base):
                what = f"the probabilities of class {column} `{quote(self.module, expr)}`"
                return replace(base, evidence=Evidence(expr, what), column=column)
            return base  # `proba[:, 1]`, `preds[mask]`: the same values, fewer of them
        index = int_constant(expr.slice)
        return select(base, (index,)) if index is not None else replace(merge(base.elements), elements=None)

    def _item(self, container: ast.expr, key: str, depth: int) -> ValueKind | None:
        """`out["preds"]`: the value last stored under that key, or the dict literal's entry."""
        name = container.id if isinstance(container, ast.Name) else dotted_self(container)
        if name is None:
            return None
        bound = definitions(self.module, container)
        since = max((d.line for d in bound), default=0)
        writes = [w for w in item_writes(self.module, container).get(name, ())
                  if since <= w[0] < container.lineno and w[1] == key]
        if writes:
            return self.kind(writes[-1][2], depth)
        values = [d.value for d in bound if d.kind == "assign" and not d.unpack and d.value is not None]
        literals = [v for v in values if isinstance(v, ast.Dict)]
        if not literals or len(literals) != len(values):
            return None
        found = [v for literal in literals for k, v in zip(literal.keys, literal.values)
                 if isinstance(k, ast.Constant) and k.value == key]
        return merge(self.kind(v, depth) for v in found) if found else UNKNOWN

    # Names and attributes -------------------------------------------------------------------
    def _name(self, expr: ast.Name, depth: int) -> ValueKind:
        bound = comprehension_binding(self.module, expr)
        if bound is not None:
            return select(self.kind(bound[0], depth), bound[1])
        found = [self._definition(d, expr, depth) for d in definitions(self.module, expr)]
        return merge(found) if found else UNKNOWN

    def _definition(self, d, use: ast.expr, depth: int) -> ValueKind:
        if d.kind == "param":
            function = self.module.scopes.scope_of(d.node).node  # the function the parameter is of
            return ValueKind(Kind.PARAMETER, Evidence(d.node, f"the parameter `{d.name}`"),
                             parameter=(function, d.name))
        if d.value is None or d.kind in ("with", "other"):
            return UNKNOWN
        found = select(self.kind(d.value, depth), d.unpack)
        if d.kind == "augassign" and not is_constant(d.value):
            # `preds += batch.argmax(1).tolist()`: the earlier contents and the added ones.
            earlier = self.module.scopes.scope_of(d.node).latest(d.name, d.line)
            found = merge([found, self._definition(earlier, use, depth) if earlier else UNKNOWN])
        if found.kind is Kind.EMPTY or isinstance(d.value, (ast.List, ast.ListComp)):
            added = [self.kind(v, depth) for v in appended(self.module, d, use)]
            found = merge([found, *added]) if added else found
        if found.kind is Kind.HARD_LABELS and in_score_fallback(self.module, d.node):
            found = replace(found, fallback=True)
        if found.kind in (Kind.HARD_LABELS, Kind.SCORES) and self._rewritten(d, use):
            return UNKNOWN  # `y_pred[y_pred > 0.5] = 1`: the values changed after the binding
        return found

    def _rewritten(self, d, use: ast.expr) -> bool:
        writes = item_writes(self.module, use).get(d.name, ())
        return any(d.line <= line < use.lineno and key is None for line, key, _ in writes)

    def _attribute(self, expr: ast.Attribute, depth: int) -> ValueKind:
        if expr.attr in ("indices", "values"):
            base = self.kind(expr.value, depth)
            if base.elements is not None and len(base.elements) == 2:  # torch.return_types
                return base.elements[expr.attr == "indices"]
            return replace(base, elements=None) if expr.attr == "values" else UNKNOWN
        if expr.attr in ("data", "T", "mT"):
            return self.kind(expr.value, depth)
        if expr.attr == "logits" and not definitions(self.module, expr):
            return scores(expr, f"raw logits `{quote(self.module, expr)}`")  # Hugging Face outputs
        found = [self._definition(d, expr, depth) for d in definitions(self.module, expr)]
        return merge(found) if found else UNKNOWN

    # Calls ------------------------------------------------------------------------------------
    def _call(self, call: ast.Call, depth: int) -> ValueKind:
        return call_kind(self, call, depth)



def _column(index: ast.AST) -> int | None:
    """The column `[:, k]` or `[..., k]` selects, for a constant k."""
    if isinstance(index, ast.Tuple) and len(index.elts) == 2 and (
            isinstance(index.elts[0], ast.Slice) and index.elts[0].lower is index.elts[0].upper is None
            or isinstance(index.elts[0], ast.Constant) and index.elts[0].value is Ellipsis):
        return int_constant(index.elts[1])
    return None


def _probability_matrix(found: ValueKind) -> bool:
    """Class probabilities, one column per class: `predict_proba(X)`, `softmax(out, 1)`."""
    node = found.evidence.node if found.kind is Kind.SCORES and found.evidence else None
    return isinstance(node, ast.Call) and last_name(node.func) in PROBABILITY_MATRICES
