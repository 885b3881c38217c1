"""What an expression holds: hard labels, scores, or something this file does not show.

`kind_of(module, expr)` follows a value back to where it was made: names through `module.scopes`
(the latest definition before the use wins), tuple unpacking, list `append`/`extend` and `+=`
followed by `np.concatenate`/`torch.cat`, method chains that keep values (`.detach().cpu()`),
subscripts, and calls into functions defined in the same file (their returns, with their
parameters replaced by the caller's arguments). It never guesses: when the origin is not visible
the answer is UNKNOWN, and rules stay silent on UNKNOWN. Which `.predict` returns class labels is
`facts.estimators`' question; the kinds themselves are in `facts.kinds`.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from dllint.facts.bindings import (
    appended,
    argument_for,
    assigned_values,
    comprehension_binding,
    definitions,
    last_name,
    own_nodes,
    same_file_function,
)
from dllint.facts.estimators import in_score_fallback, predict_kind
from dllint.facts.kinds import (
    EMPTY,
    SCORE_CALLS,
    UNKNOWN,
    Evidence,
    Kind,
    ValueKind,
    hard,
    merge,
    quote,
    scores,
    select,
)

MAX_CALL_DEPTH = 2  # nested calls into same-file functions followed from one expression
MAX_CHAIN = 120  # definitions followed at once: generated code can chain `x = f(x)` for pages
ACTIVATION_MODULES = {"Softmax", "LogSoftmax", "Sigmoid", "Softmax2d"}
KEEPS_VALUES = {"detach", "cpu", "cuda", "numpy", "tolist", "flatten", "ravel", "squeeze",
                "unsqueeze", "view", "view_as", "reshape", "reshape_as", "float", "double", "half",
                "clone", "contiguous", "copy", "item", "to_numpy", "permute", "transpose", "t"}
INT_CASTS = {"long", "int", "bool", "byte", "short"}
JOINS = {"concatenate", "concat", "cat", "stack", "hstack", "vstack", "array", "asarray",
         "asanyarray", "tensor", "as_tensor", "from_numpy", "ravel", "squeeze", "flatten", "append"}
ARRAY_LIBS = ("numpy.", "torch.", "jax.", "tensorflow.", "cupy.")


def kind_of(module, expr: ast.expr) -> ValueKind:
    """What `expr` holds, judged from this file alone; cached per module and node."""
    return _analysis(module).kind(expr, 0)


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
            base = self.kind(expr.value, depth)
            if base.elements is None:
                return base  # `proba[:, 1]`, `preds[mask]`: the same values, fewer of them
            index = _int_constant(expr.slice)
            return select(base, (index,)) if index is not None else replace(merge(base.elements), elements=None)
        if isinstance(expr, ast.Compare):
            if all(isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)) for op in expr.ops):
                return UNKNOWN
            return hard(expr, f"the comparison `{quote(self.module, expr)}`")
        if isinstance(expr, ast.BinOp):
            sides = [self.kind(s, depth) for s in (expr.left, expr.right) if not _is_constant(s)]
            return merge(sides) if sides else UNKNOWN
        if isinstance(expr, ast.IfExp):
            if _is_constant(expr.body) and _is_constant(expr.orelse):
                return hard(expr, f"the conditional `{quote(self.module, expr)}`")
            return merge([self.kind(expr.body, depth), self.kind(expr.orelse, depth)])
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            members = tuple(self.kind(e, depth) for e in expr.elts)
            return replace(merge(members), elements=members)
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.kind(expr.elt, depth)
        if isinstance(expr, (ast.UnaryOp, ast.Starred, ast.NamedExpr, ast.Await)):
            return self.kind(expr.operand if isinstance(expr, ast.UnaryOp) else expr.value, depth)
        return UNKNOWN

    # Names and attributes -------------------------------------------------------------------
    def _name(self, expr: ast.Name, depth: int) -> ValueKind:
        bound = comprehension_binding(self.module, expr)
        if bound is not None:
            return select(self.kind(bound[0], depth), bound[1])
        found = [self._definition(d, expr, depth) for d in definitions(self.module, expr)]
        return merge(found) if found else UNKNOWN

    def _definition(self, d, use: ast.expr, depth: int) -> ValueKind:
        if d.kind == "param":
            function = self.module.parents.get(self.module.parents.get(d.node))
            return ValueKind(Kind.PARAMETER, Evidence(d.node, f"the parameter `{d.name}`"),
                             parameter=(function, d.name))
        if d.value is None or d.kind in ("with", "other"):
            return UNKNOWN
        found = select(self.kind(d.value, depth), d.unpack)
        if d.kind == "augassign" and not _is_constant(d.value):
            # `preds += batch.argmax(1).tolist()`: the earlier contents and the added ones.
            earlier = self.module.scopes.scope_of(d.node).latest(d.name, d.line)
            found = merge([found, self._definition(earlier, use, depth) if earlier else UNKNOWN])
        if found.kind is Kind.EMPTY or isinstance(d.value, (ast.List, ast.ListComp)):
            added = [self.kind(v, depth) for v in appended(self.module, d, use)]
            found = merge([found, *added]) if added else found
        if found.kind is Kind.HARD_LABELS and in_score_fallback(self.module, d.node):
            found = replace(found, fallback=True)
        return found

    def _attribute(self, expr: ast.Attribute, depth: int) -> ValueKind:
        if expr.attr in ("indices", "values"):
            base = self.kind(expr.value, depth)
            if base.elements is not None and len(base.elements) == 2:  # torch.return_types
                return base.elements[expr.attr == "indices"]
            return replace(base, elements=None) if expr.attr == "values" else UNKNOWN
        if expr.attr in ("data", "T", "mT"):
            return self.kind(expr.value, depth)
        found = [self._definition(d, expr, depth) for d in definitions(self.module, expr)]
        return merge(found) if found else UNKNOWN

    # Calls ------------------------------------------------------------------------------------
    def _call(self, call: ast.Call, depth: int) -> ValueKind:
        func = call.func
        qualified = self.module.qualified_name(func) or ""
        library = qualified.startswith(ARRAY_LIBS)
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        builtin = isinstance(func, ast.Name) and not qualified and not definitions(self.module, func)
        # `np.round(x, 2)` / `x.round(2)` / `round(x, 2)`: the subject, then the other arguments.
        if library or builtin:
            subject, rest = (call.args[0] if call.args else None), call.args[1:]
        else:
            subject, rest = (func.value if isinstance(func, ast.Attribute) else None), call.args
        keywords = {k.arg: k.value for k in call.keywords}
        if name in SCORE_CALLS:
            return scores(call, f"scores from `{name}`")
        if name in ("argmax", "predict_classes"):
            return hard(call, f"class indices from `{name}`")
        if self._constructs(func, ACTIVATION_MODULES):
            return scores(call, "probabilities from a softmax/sigmoid module")
        if name in ("predict", "fit_predict", "cross_val_predict"):
            same = same_file_function(self.module, func) if name == "predict" else None
            if same is not None:
                return self.returns(same[0], call, same[1], depth)
            return predict_kind(self.module, call, name)
        if subject is None:
            return self._other_call(call, func, depth)
        if name in ("round", "rint", "around") and (library or builtin or not qualified):
            decimals = rest[0] if rest else keywords.get("decimals", keywords.get("ndigits"))
            if decimals is None or _int_constant(decimals) == 0:
                rounded = quote(self.module, func) if library or builtin else ".round()"
                return hard(call, f"rounded values from `{rounded}`")
            return self.kind(subject, depth)
        if name == "astype" or (name in ("to", "type") and not library):
            if any(_integer_dtype(a) for a in [*rest, *keywords.values()]):
                cast = ", ".join(quote(self.module, a) for a in [*rest, *keywords.values()])
                return hard(call, f"an integer cast `.{name}({cast})`")
            return self.kind(subject, depth) if (rest or keywords) else UNKNOWN
        if name in INT_CASTS and isinstance(func, ast.Attribute) and not (library or rest or keywords):
            return hard(call, f"an integer cast `.{name}()`")
        if builtin and name in ("int", "bool"):
            return hard(call, f"an integer cast `{name}(...)`")
        if name == "where" and library and len(call.args) == 3:
            branches = call.args[1:]
            if all(_is_constant(b) for b in branches):
                return hard(call, f"labels from `{quote(self.module, call, 50)}`")
            return merge(self.kind(b, depth) for b in branches if not _is_constant(b))
        if name in ("max", "min", "topk", "kthvalue") and not (builtin or qualified.startswith("numpy.")):
            dim = rest[0] if rest else keywords.get("dim")
            if name in ("topk", "kthvalue") or _int_constant(dim) is not None:
                indices = hard(call, f"class indices from `{quote(self.module, call)}`")
                return ValueKind(Kind.UNKNOWN, elements=(self.kind(subject, depth), indices))
            return self.kind(subject, depth) if "axis" in keywords else UNKNOWN
        if (library and name in JOINS) or (builtin and name in ("list", "tuple", "float", "abs")):
            if _integer_dtype(keywords.get("dtype")):
                dtype = quote(self.module, keywords["dtype"])
                return hard(call, f"an integer cast `{quote(self.module, func)}(..., dtype={dtype})`")
            joined = merge(self.kind(a, depth) for a in call.args[:2 if name == "append" else 1])
            return replace(joined, elements=None)
        if builtin and name in ("zip", "enumerate"):
            members = tuple(self.kind(a, depth) for a in call.args)
            return ValueKind(Kind.UNKNOWN, elements=(UNKNOWN, *members) if name == "enumerate" else members)
        if name in KEEPS_VALUES and isinstance(func, ast.Attribute) and not library:
            return self.kind(func.value, depth)
        if name in ("clip", "clamp") and (library or isinstance(func, ast.Attribute)):
            return self.kind(subject, depth)  # `np.clip(p, eps, 1 - eps)` before `log_loss`
        return self._other_call(call, func, depth)

    def _other_call(self, call: ast.Call, func: ast.expr, depth: int) -> ValueKind:
        same = same_file_function(self.module, func)
        if same is not None:
            return self.returns(same[0], call, same[1], depth)
        if isinstance(func, ast.Name) and func.id in ("list", "tuple") and not call.args:
            return EMPTY
        if any(self._constructs(v, ACTIVATION_MODULES) for v in assigned_values(self.module, func)):
            return scores(call, "probabilities from a softmax/sigmoid module")
        return UNKNOWN

    def _constructs(self, expr: ast.expr, names: set[str]) -> bool:
        """`expr` is a call building one of `names` (`nn.Softmax(dim=1)`)."""
        return isinstance(expr, ast.Call) and last_name(expr.func) in names

    def returns(self, function, call: ast.Call, offset: int, depth: int) -> ValueKind:
        """What a call of a same-file function returns, its parameters replaced by the arguments."""
        if depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        found = []
        for node in own_nodes(function):
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                return UNKNOWN
            if isinstance(node, ast.Return) and node.value is not None:
                value = self._substitute(self.kind(node.value, depth + 1), function, call, offset, depth)
                if value.kind is Kind.HARD_LABELS and in_score_fallback(self.module, node):
                    value = replace(value, fallback=True)
                found.append(value)
        return merge(found) if found else UNKNOWN

    def _substitute(self, found: ValueKind, function, call, offset: int, depth: int) -> ValueKind:
        if found.elements is not None:
            found = replace(found, elements=tuple(
                self._substitute(e, function, call, offset, depth) for e in found.elements))
        if found.kind is Kind.PARAMETER and found.parameter[0] is function:
            argument = argument_for(call, function, found.parameter[1], offset)
            return self.kind(argument, depth + 1) if argument is not None else UNKNOWN
        return found


def _is_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and node.value is not None


def _int_constant(node: ast.AST | None) -> int | None:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _integer_dtype(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.rsplit(".", 1)[-1].lower()
    elif isinstance(node, ast.Attribute):
        text = node.attr.lower()
    else:
        return isinstance(node, ast.Name) and node.id in ("int", "bool")
    return text.startswith(("int", "uint", "bool", "long", "short", "byte"))

