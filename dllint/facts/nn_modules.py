"""What an `nn.Module` object is, read from the code that builds it (never by running it).

`origins(module, expr)` follows an object back to the expressions that made it: names (the one
binding that surely reaches the use), `self.x` set in any method of the class, `__init__` or
function parameters through the same file's call sites, `.to(device)`/`.eval()` chains and
wrappers such as `DataParallel(model)`. `layer_kind` says what calling a built-in layer gives
(`nn.Softmax` -> softmax probabilities, `nn.Linear` -> raw scores, `nn.Sequential` -> its last
module), and `training_returns` lists the `return`s of a `forward` that run in training, leaving
out inference-only branches (`if not self.training: return x.softmax(-1)`).
Shared by `facts.activations` (what a tensor holds) and `facts.losses` (which loss an object is).
"""

from __future__ import annotations

import ast

from dllint.facts.bindings import argument_for, last_name
from dllint.facts.local_bindings import COMPOUND, binding, class_at

MAX_HOPS = 6
# Calls that return the module they are called on.
KEEPS_OBJECT = {"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "bfloat16", "requires_grad_",
                "share_memory", "to_empty"}
WRAPPERS = {"torch.nn.DataParallel", "torch.nn.parallel.DataParallel", "torch.nn.parallel.DistributedDataParallel",
            "torch.compile", "torch.jit.script", "torch.nn.SyncBatchNorm.convert_sync_batchnorm",
            "functools.partial"}
# What calling a built-in layer gives. "pass" layers hand their input on unchanged in kind.
LAYERS = {
    "Softmax": "softmax", "Softmax2d": "softmax", "LogSoftmax": "log_softmax", "Sigmoid": "sigmoid",
    "LogSigmoid": "log_sigmoid",
    **dict.fromkeys(("Linear", "LazyLinear", "Bilinear", "Conv1d", "Conv2d", "Conv3d", "LazyConv1d", "LazyConv2d",
                     "LazyConv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"), "logits"),
    **dict.fromkeys(("Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Flatten",
                     "Unflatten"), "pass"),
    "Sequential": "sequential",
}
LAYER_MODULES = ("torch.nn.", "torch.nn.modules.")
GROWERS = {"add_module", "append", "extend", "insert", "register_module"}


def origins(module, expr: ast.expr, hops: int = 0) -> list[ast.expr]:
    """The expressions that built the object `expr` names; empty when not visible. A name bound
    in a branch the use is outside of (`if cfg.loss == "bce": ...`) is not visible."""
    if hops > MAX_HOPS:
        return []
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in KEEPS_OBJECT:
            return origins(module, func.value, hops + 1)
        if module.qualified_name(func) in WRAPPERS and expr.args:
            return origins(module, expr.args[0], hops + 1)
        factory = callee_function(module, func)
        if factory is not None:  # `model = build_model()` with `def build_model(): return nn.Sequential(...)`
            returns = training_returns(factory[0])
            if not returns or any(r.value is None for r in returns):
                return []
            return [o for r in returns for o in origins(module, r.value, hops + 1)]
        return [expr]
    if isinstance(expr, ast.Dict):
        return [expr]  # a container of modules or losses, looked into by a subscript
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        # `self.losses["ce"]` with `self.losses = {"ce": nn.CrossEntropyLoss()}`
        found = []
        for base in origins(module, expr.value, hops + 1):
            item = _dict_item(base, expr.slice.value)
            found.extend(origins(module, item, hops + 1) if item is not None else [])
        return found
    if isinstance(expr, ast.Name):
        if module.qualified_name(expr) is not None:
            return [expr]  # an imported class or function, used as the object itself
        bound = binding(module, expr.id, expr)
        if bound is None:
            return []
        if bound.kind == "param":
            return _through_parameter(module, bound, hops)
        if bound.kind == "assign" and not bound.unpack and bound.value is not None:
            return origins(module, bound.value, hops + 1)
        if bound.kind == "def":
            return [expr]
        return []
    if isinstance(expr, ast.Attribute) and is_self(expr.value):
        owner = enclosing_class(module, expr)
        found = class_attributes(module, owner).get(expr.attr) if owner is not None else None
        if not found or any(value is None for value in found):
            return []
        return [o for value in found for o in origins(module, value, hops + 1)]
    if isinstance(expr, ast.Attribute) and module.qualified_name(expr) is not None:
        return [expr]  # `F.cross_entropy` used as a value
    return []


def is_self(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Name) and expr.id == "self"


def enclosing_class(module, node: ast.AST) -> ast.ClassDef | None:
    """The class whose method holds `node`."""
    return class_at(module, getattr(node, "lineno", 0))


def class_attributes(module, owner: ast.ClassDef) -> dict[str, list[ast.expr | None]]:
    """`self.x = value` anywhere in the class, by attribute; None for a value not visible
    (`self.a, self.b = pair`, `self.x += 1`)."""
    return module.fact(_attribute_tables).get(owner, {})


def _attribute_tables(module) -> dict[ast.ClassDef, dict[str, list[ast.expr | None]]]:
    tables: dict[ast.ClassDef, dict[str, list[ast.expr | None]]] = {}
    for node in module.nodes("Assign", "AnnAssign", "AugAssign"):
        targets = node.targets if node.__class__ is ast.Assign else [node.target]
        plain = node.__class__ is not ast.AugAssign
        for target in targets:
            for element in _flat(target) if target.__class__ is not ast.Name else ():
                if element.__class__ is ast.Attribute and is_self(element.value):
                    owner = class_at(module, node.lineno)
                    if owner is not None:
                        table = tables.setdefault(owner, {})
                        table.setdefault(element.attr, []).append(node.value if plain and element is target else None)
    return tables


def _flat(target: ast.expr) -> list[ast.expr]:
    if target.__class__ in (ast.Tuple, ast.List):
        return [e for element in target.elts for e in _flat(element)]
    return [target]


def callee_function(module, func: ast.expr) -> tuple[ast.FunctionDef, int] | None:
    """The function of this file that `func` calls (`helper`, `self.method`), with the number of
    parameters the call binds implicitly."""
    if isinstance(func, ast.Name):
        bound = binding(module, func.id, func)
        if bound is not None and bound.kind == "def" and not isinstance(bound.node, ast.ClassDef):
            return bound.node, 0
        return None
    if isinstance(func, ast.Attribute) and is_self(func.value):
        owner = enclosing_class(module, func)
        found = method(owner, func.attr) if owner is not None else None
        if found is not None:
            return found, 0 if _static(found) else 1
    return None


def _dict_item(node: ast.expr, key) -> ast.expr | None:
    if isinstance(node, ast.Dict):
        return next((v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value == key),
                    None)
    if isinstance(node, ast.Call) and last_name(node.func) in ("dict", "ModuleDict"):
        return next((k.value for k in node.keywords if k.arg == key), None)
    return None


def _through_parameter(module, parameter, hops: int) -> list[ast.expr]:
    """`def train(model, criterion)` called as `train(Net(), nn.CrossEntropyLoss())` in the file;
    `__init__(self, loss_fn)` of a class built as `LitModel(nn.BCELoss())`. Every call site must
    be visible and they must agree; a default value counts as one more alternative."""
    function = parameter.node  # a parameter's node is its function
    if not isinstance(function, ast.FunctionDef):
        return []
    owner = enclosing_class(module, function)
    offset = 1 if owner is not None and not _static(function) else 0
    if function.name == "__init__" and owner is not None:
        sites = [c for c in module.nodes("Call") if isinstance(c.func, ast.Name) and c.func.id == owner.name]
    elif owner is None:
        sites = [c for c in module.nodes("Call") if isinstance(c.func, ast.Name) and c.func.id == function.name]
    else:
        return []
    found = []
    for call in sites:
        argument = argument_for(call, function, parameter.name, offset)
        if argument is None:
            argument = _default(function, parameter.name)
        if argument is None:
            return []
        found.extend(origins(module, argument, hops + 2))
    return found


def _default(function: ast.FunctionDef, name: str) -> ast.expr | None:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
             *zip(args.kwonlyargs, args.kw_defaults)]
    return next((default for arg, default in pairs if arg.arg == name), None)


def _static(function: ast.FunctionDef) -> bool:
    return any(last_name(d) == "staticmethod" for d in function.decorator_list)


def layer_kind(module, call: ast.expr) -> str | None:
    """What calling the built-in layer `call` builds gives; None for anything else."""
    if not isinstance(call, ast.Call):
        return None
    qualified = module.qualified_name(call.func) or ""
    if not qualified.startswith(LAYER_MODULES):
        return None
    return LAYERS.get(qualified.rsplit(".", 1)[-1])


def altered(module, container: ast.Call) -> bool:
    """`seq.add_module("act", nn.Softmax())`, `seq.append(...)`, `seq[-1] = ...` somewhere in the
    file: the `nn.Sequential(...)` call no longer shows the last module."""
    return container in module.fact(_altered_containers)


def _altered_containers(module) -> set[ast.AST]:
    targets = [c.func.value for c in module.nodes("Call") if isinstance(c.func, ast.Attribute)
               and c.func.attr in GROWERS and isinstance(c.func.value, (ast.Name, ast.Attribute))]
    targets += [t.value for a in module.nodes("Assign") for t in a.targets if isinstance(t, ast.Subscript)
                and isinstance(t.value, (ast.Name, ast.Attribute))]
    return {o for target in targets for o in origins(module, target) if isinstance(o, ast.Call)}


def sequential_members(call: ast.Call) -> list[ast.expr]:
    """The modules of `nn.Sequential(a, b, c)` or `nn.Sequential(OrderedDict([("a", a), ...]))`."""
    members = list(call.args)
    if len(members) == 1 and isinstance(members[0], ast.Call) and last_name(members[0].func) == "OrderedDict":
        pairs = members[0].args[0] if members[0].args else None
        members = [p.elts[1] for p in getattr(pairs, "elts", ()) if isinstance(p, ast.Tuple) and len(p.elts) == 2]
    if any(isinstance(m, ast.Starred) for m in members):
        return []  # `nn.Sequential(*layers)`: the last module is not visible
    return members


def same_file_class(module, expr: ast.expr) -> ast.ClassDef | None:
    """The class of this file that `expr` (a called name) refers to."""
    if isinstance(expr, ast.Name):
        bound = binding(module, expr.id, expr)
        if bound is not None and bound.kind == "def" and isinstance(bound.node, ast.ClassDef):
            return bound.node
    return None


def method(classdef: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((m for m in classdef.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and m.name == name), None)


def training_returns(function: ast.FunctionDef) -> list[ast.Return]:
    """The `return`s of `function` that may run while training. Inference-only code is left out:
    the body of `if not self.training:` (or the `else` of `if self.training:`), and whatever
    follows an `if self.training:` block that always returns."""
    found: list[ast.Return] = []
    _collect(function.body, found)
    return found


def _collect(body: list[ast.stmt], found: list[ast.Return]) -> None:
    for statement in body:
        if isinstance(statement, ast.If):
            mode = _training_test(statement.test)
            if mode is None:
                _collect(statement.body, found)
                _collect(statement.orelse, found)
                continue
            _collect(statement.body if mode else statement.orelse, found)
            if mode and _always_returns(statement.body):
                return  # what follows runs only in eval mode
            continue
        if isinstance(statement, ast.Return):
            found.append(statement)
            return
        if not isinstance(statement, COMPOUND):
            continue
        for block in ("body", "orelse", "finalbody"):
            inner = getattr(statement, block, None)
            if inner:
                _collect(inner, found)
        for handler in getattr(statement, "handlers", ()):
            _collect(handler.body, found)
        for case in getattr(statement, "cases", ()):
            _collect(case.body, found)


def _training_test(test: ast.expr) -> bool | None:
    """True for `self.training`, False for `not self.training`; None for other conditions."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _training_test(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Attribute) and test.attr == "training" and isinstance(test.value, ast.Name):
        return True
    return None


def _always_returns(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))
