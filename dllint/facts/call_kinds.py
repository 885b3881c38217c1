"""What a call returns, for the value tracker (`facts.values`): activations and estimator score
methods give scores; `argmax`, `predict` of a classifier, rounding, integer casts and
`where(p > t, 1, 0)` give hard labels; chains that keep values (`.detach().cpu()`), joins
(`np.concatenate`, `torch.cat`) and clipping pass their subject's kind on; same-file functions are
followed into their returns with their parameters replaced by the caller's arguments; a function
imported from elsewhere is EXTERNAL, for the project phase. `values` is the file's tracker.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from dllint.facts.bindings import argument_for, assigned_values, definitions, last_name, own_nodes, same_file_function
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
)

MAX_CALL_DEPTH = 2  # nested calls into same-file functions followed from one expression
ACTIVATION_MODULES = {"Softmax", "LogSoftmax", "Sigmoid", "Softmax2d"}
KEEPS_VALUES = {"detach", "cpu", "cuda", "numpy", "tolist", "flatten", "ravel", "squeeze",
                "unsqueeze", "view", "view_as", "reshape", "reshape_as", "float", "double", "half",
                "clone", "contiguous", "copy", "item", "to_numpy", "permute", "transpose", "t"}
INT_CASTS = {"long", "int", "bool", "byte", "short"}
JOINS = {"concatenate", "concat", "cat", "stack", "hstack", "vstack", "array", "asarray",
         "asanyarray", "tensor", "as_tensor", "from_numpy", "ravel", "squeeze", "flatten", "append"}
ARRAY_LIBS = ("numpy.", "torch.", "jax.", "tensorflow.", "cupy.")


def call_kind(values, call: ast.Call, depth: int) -> ValueKind:
    func = call.func
    qualified = values.module.qualified_name(func) or ""
    library = qualified.startswith(ARRAY_LIBS)
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    builtin = isinstance(func, ast.Name) and not qualified and not definitions(values.module, func)
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
    if _constructs(func, ACTIVATION_MODULES):
        return scores(call, "probabilities from a softmax/sigmoid module")
    if name in ("predict", "fit_predict", "cross_val_predict"):
        same = same_file_function(values.module, func) if name == "predict" else None
        if same is not None:
            return returns(values, same[0], call, same[1], depth)
        return predict_kind(values.module, call, name)
    if subject is None:
        return _other_call(values, call, func, depth)
    if name in ("round", "rint", "around") and (library or builtin or not qualified):
        decimals = rest[0] if rest else keywords.get("decimals", keywords.get("ndigits"))
        if decimals is None or int_constant(decimals) == 0:
            rounded = quote(values.module, func) if library or builtin else ".round()"
            return hard(call, f"rounded values from `{rounded}`")
        return values.kind(subject, depth)
    if name == "astype" or (name in ("to", "type") and not library):
        if any(_integer_dtype(a) for a in [*rest, *keywords.values()]):
            cast = ", ".join(quote(values.module, a) for a in [*rest, *keywords.values()])
            return hard(call, f"an integer cast `.{name}({cast})`")
        return values.kind(subject, depth) if (rest or keywords) else UNKNOWN
    if name in INT_CASTS and isinstance(func, ast.Attribute) and not (library or rest or keywords):
        return hard(call, f"an integer cast `.{name}()`")
    if builtin and name in ("int", "bool"):
        return hard(call, f"an integer cast `{name}(...)`")
    if name == "where" and library and len(call.args) == 3:
        branches = call.args[1:]
        if all(is_constant(b) for b in branches):
            return hard(call, f"labels from `{quote(values.module, call, 50)}`")
        return merge(values.kind(b, depth) for b in branches if not is_constant(b))
    if name in ("max", "min", "topk", "kthvalue") and not (builtin or qualified.startswith("numpy.")):
        dim = rest[0] if rest else keywords.get("dim")
        if name in ("topk", "kthvalue") or int_constant(dim) is not None:
            indices = hard(call, f"class indices from `{quote(values.module, call)}`")
            return ValueKind(Kind.UNKNOWN, elements=(values.kind(subject, depth), indices))
        return values.kind(subject, depth) if "axis" in keywords else UNKNOWN
    if (library and name in JOINS) or (builtin and name in ("list", "tuple", "float", "abs")):
        if _integer_dtype(keywords.get("dtype")):
            dtype = quote(values.module, keywords["dtype"])
            return hard(call, f"an integer cast `{quote(values.module, func)}(..., dtype={dtype})`")
        joined = merge(values.kind(a, depth) for a in call.args[:2 if name == "append" else 1])
        return replace(joined, elements=None)
    if builtin and name in ("zip", "enumerate"):
        members = tuple(values.kind(a, depth) for a in call.args)
        return ValueKind(Kind.UNKNOWN, elements=(UNKNOWN, *members) if name == "enumerate" else members)
    if name in KEEPS_VALUES and isinstance(func, ast.Attribute) and not library:
        return values.kind(func.value, depth)
    if name in ("clip", "clamp") and (library or isinstance(func, ast.Attribute)):
        return values.kind(subject, depth)  # `np.clip(p, eps, 1 - eps)` before `log_loss`
    return _other_call(values, call, func, depth)

def _other_call(values, call: ast.Call, func: ast.expr, depth: int) -> ValueKind:
    same = same_file_function(values.module, func)
    if same is not None:
        return returns(values, same[0], call, same[1], depth)
    if isinstance(func, ast.Name) and func.id in ("list", "tuple") and not call.args:
        return EMPTY
    if any(_constructs(v, ACTIVATION_MODULES) for v in assigned_values(values.module, func)):
        return scores(call, "probabilities from a softmax/sigmoid module")
    qualified = values.module.qualified_name(func) if isinstance(func, (ast.Name, ast.Attribute)) else None
    if qualified and not qualified.startswith(ARRAY_LIBS):
        # Imported: perhaps a function of another project file, which the project phase reads.
        return ValueKind(Kind.EXTERNAL, Evidence(call, f"what `{quote(values.module, func)}` returns"), call=call)
    return UNKNOWN

def _constructs(expr: ast.expr, names: set[str]) -> bool:
    """`expr` is a call building one of `names` (`nn.Softmax(dim=1)`)."""
    return isinstance(expr, ast.Call) and last_name(expr.func) in names

def returns(values, function, call: ast.Call, offset: int, depth: int) -> ValueKind:
    """What a call of a same-file function returns, its parameters replaced by the arguments."""
    if depth >= MAX_CALL_DEPTH:
        return UNKNOWN
    found = []
    for node in own_nodes(function):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return UNKNOWN
        if isinstance(node, ast.Return) and node.value is not None:
            value = _substitute(values, values.kind(node.value, depth + 1), function, call, offset, depth)
            if value.kind is Kind.HARD_LABELS and in_score_fallback(values.module, node):
                value = replace(value, fallback=True)
            found.append(value)
    return merge(found) if found else UNKNOWN

def _substitute(values, found: ValueKind, function, call, offset: int, depth: int) -> ValueKind:
    if found.elements is not None:
        found = replace(found, elements=tuple(
            _substitute(values, e, function, call, offset, depth) for e in found.elements))
    if found.kind is Kind.PARAMETER and found.parameter[0] is function:
        argument = argument_for(call, function, found.parameter[1], offset)
        return values.kind(argument, depth + 1) if argument is not None else UNKNOWN
    return found


def is_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and node.value is not None




def int_constant(node: ast.AST | None) -> int | None:
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

