"""What a tensor holds on its way into a loss: softmax or sigmoid probabilities, log-probabilities,
raw scores from a linear layer, the output of a project model (resolved across files by
`facts.model_index`), or something this file does not show.

`activation_of(module, expr)` follows a value back to where it was made: names (the one binding
that surely reaches the use: a softmax applied in a branch is not certain), tuple unpacking,
dict items (`out["exist"]`, also stored with `out["exist"] = ...`), method chains that keep
what a tensor holds (`.view(-1)`, `.float()`, `.detach()`), calls of modules (`self.softmax(x)`
with `self.softmax = nn.Softmax(dim=1)`, the last module of an `nn.Sequential`, `self(x)` and
`model(x)` through the model class's `forward`, leaving out inference-only branches), and calls
of functions of the same file with their parameters replaced by the caller's arguments. When
the origin is not visible the answer is UNKNOWN, and rules stay silent on it.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from dllint.facts.activation_values import PROBABILITIES, UNKNOWN, Act, Ref, Value, merge, select, with_owner
from dllint.facts.bindings import argument_for, last_name
from dllint.facts.kinds import quote
from dllint.facts.library_models import library_classifier
from dllint.facts.local_bindings import binding, conditional, function_at
from dllint.facts.log_calls import log_argument, under_log
from dllint.facts.nn_modules import (
    altered,
    callee_function,
    enclosing_class,
    is_self,
    layer_kind,
    method,
    origins,
    same_file_class,
    sequential_members,
    training_returns,
)

FUNCTIONS = {f"{m}.{n}": act for m in ("torch", "torch.nn.functional", "torch.special", "scipy.special")
             for n, act in (("softmax", Act.SOFTMAX), ("sigmoid", Act.SIGMOID), ("expit", Act.SIGMOID),
                            ("log_softmax", Act.LOG_SOFTMAX), ("logsigmoid", Act.LOG_SIGMOID))}
METHODS = {"softmax": Act.SOFTMAX, "sigmoid": Act.SIGMOID, "log_softmax": Act.LOG_SOFTMAX}
LAYER_ACTS = {"softmax": Act.SOFTMAX, "sigmoid": Act.SIGMOID, "log_softmax": Act.LOG_SOFTMAX,
              "log_sigmoid": Act.LOG_SIGMOID, "logits": Act.LOGITS}
# Tensor methods and torch functions whose result holds the same kind of values as their input.
KEEPS = {"view", "reshape", "squeeze", "unsqueeze", "flatten", "permute", "transpose", "contiguous", "float",
         "double", "half", "to", "cuda", "cpu", "type_as", "view_as", "reshape_as", "detach", "clone", "clamp",
         "clip", "clamp_min", "clamp_max", "expand", "expand_as", "t", "movedim", "squeeze_", "unsqueeze_", "gather",
         "index_select", "take_along_dim"}
TORCH_KEEPS = {f"torch.{n}" for n in ("squeeze", "unsqueeze", "flatten", "reshape", "permute", "transpose",
                                      "clamp", "clip", "clamp_min", "clamp_max", "movedim", "gather", "index_select",
                                      "take_along_dim")}
JOINS = {"torch.cat", "torch.concat", "torch.concatenate", "torch.stack"}
# Imports from these are never project files: their outputs are not looked up across files.
LIBRARIES = ("torch", "torchvision", "torchaudio", "torchtext", "timm", "transformers", "diffusers", "lightning",
             "pytorch_lightning", "numpy", "scipy", "sklearn", "math", "jax", "tensorflow", "keras", "einops",
             "functools", "segmentation_models_pytorch", "ultralytics", "mmcv", "mmdet", "detectron2", "peft")
MAX_DEPTH = 4  # functions and forwards of the same file followed one inside the other
MAX_ACTIVE = 150


def activation_of(module, expr: ast.expr) -> Value:
    return module.fact(_Tracer).value(expr)


def forward_value(module, classdef: ast.ClassDef) -> Value:
    """What `classdef.forward` returns while training (parameters left as PARAMETER)."""
    return module.fact(_Tracer).forward(classdef)


class _Tracer:
    """Values are cached per expression: what an expression holds does not depend on who asks
    (a function's parameters stay PARAMETER until a call site substitutes them), so every
    `forward` of a file is traced once, however many models call it."""

    def __init__(self, module) -> None:
        self.module = module
        self.cache: dict[ast.AST, Value] = {}
        self.active: set[ast.AST] = set()
        self.functions = 0  # functions being traced right now, one inside the other

    def value(self, expr: ast.AST) -> Value:
        found = self.cache.get(expr)
        if found is not None:
            return found
        if expr in self.active or len(self.active) > MAX_ACTIVE:
            return UNKNOWN  # a value defined through itself, or a chain too long to be worth it
        self.active.add(expr)
        try:
            found = self._compute(expr)
        finally:
            self.active.discard(expr)
        self.cache[expr] = found
        return found

    def _made(self, act: Act, node: ast.AST) -> Value:
        return Value(act, f"`{quote(self.module, node, 50)}`", self.module.location(node))

    def _compute(self, expr: ast.AST) -> Value:
        if isinstance(expr, ast.Name):
            return self._name(expr)
        if isinstance(expr, ast.Call):
            return self._call(expr)
        if isinstance(expr, ast.Subscript):
            key = expr.slice.value if isinstance(expr.slice, ast.Constant) else None
            if isinstance(key, str):
                return select(self.value(expr.value), "item", key)
            return select(self.value(expr.value), "index", key if isinstance(key, int) else None)
        if isinstance(expr, ast.Attribute):
            if expr.attr == "data":
                return self.value(expr.value)
            base = self.value(expr.value) if not is_self(expr.value) else UNKNOWN
            return select(base, "attr", expr.attr) if base.act is Act.OUTPUT or base.items else UNKNOWN
        if isinstance(expr, ast.Dict):
            pairs = [(k.value, v) for k, v in zip(expr.keys, expr.values)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            return Value(Act.UNKNOWN, items=tuple((k, self.value(v)) for k, v in pairs))
        if isinstance(expr, (ast.Tuple, ast.List)):
            return Value(Act.UNKNOWN, elements=tuple(self.value(e) for e in expr.elts))
        if isinstance(expr, ast.IfExp):
            return merge([self.value(expr.body), self.value(expr.orelse)])
        if isinstance(expr, (ast.Starred, ast.NamedExpr, ast.Await)):
            return self.value(expr.value)
        return UNKNOWN

    def _name(self, expr: ast.Name) -> Value:
        bound = binding(self.module, expr.id, expr)
        if bound is None:
            return UNKNOWN
        if bound.kind == "param":
            return Value(Act.PARAMETER, parameter=(bound.node, bound.name))
        if bound.kind != "assign" or bound.value is None:
            return UNKNOWN
        found = self.value(bound.value)
        if found.items is not None:
            found = self._stored(found, bound, expr)
        for index in bound.unpack:
            found = select(found, "index", index) if found.elements is not None or found.act is Act.OUTPUT \
                else UNKNOWN
        return found

    def _stored(self, found: Value, bound, use: ast.Name) -> Value:
        """A dict bound here and then filled in: `out["probs"] = torch.softmax(...)` after
        `out = {...}`, before the use, in the same function. A store that a branch may skip
        leaves its item unknown."""
        stores = [a for a in self.module.nodes("Assign") if bound.line < a.lineno < use.lineno and len(a.targets) == 1
                  and isinstance(a.targets[0], ast.Subscript) and isinstance(a.targets[0].value, ast.Name)
                  and a.targets[0].value.id == use.id and isinstance(a.targets[0].slice, ast.Constant)]
        function = function_at(self.module, use.lineno)
        items = dict(found.items or ())
        for store in stores:
            if function_at(self.module, store.lineno) is function:
                key = store.targets[0].slice.value
                conditional_store = conditional(self.module, store.lineno, use.lineno)
                items[key] = UNKNOWN if conditional_store else self.value(store.value)
        return replace(found, items=tuple(items.items()))

    def _call(self, call: ast.Call) -> Value:
        module, func = self.module, call.func
        qualified = module.qualified_name(func) or ""
        name = last_name(func)
        if qualified in FUNCTIONS:
            return self._made(FUNCTIONS[qualified], call)
        if qualified in TORCH_KEEPS and call.args:
            return self._kept(self.value(call.args[0]), call, 1)
        if qualified in JOINS and call.args and isinstance(call.args[0], (ast.List, ast.Tuple)):
            return merge(self.value(e) for e in call.args[0].elts)
        log = log_argument(module, call)
        if log is not None:
            inner = self.value(under_log(module, log))
            return self._made(Act.LOG_PROBS, call) if inner.act in PROBABILITIES else UNKNOWN
        if isinstance(func, ast.Attribute) and not qualified and not is_self(func.value):
            if name in METHODS:
                return self._made(METHODS[name], call)
            if name in KEEPS:
                return self._kept(self.value(func.value), call, 0)
        target = func.value if name == "forward" and isinstance(func, ast.Attribute) else func
        return self._object_call(target, call)

    @staticmethod
    def _kept(found: Value, call: ast.Call, skip: int) -> Value:
        """What a value-keeping call gives; scores clamped into [0, 1] are no longer raw scores."""
        if found.act is Act.LOGITS and last_name(call.func) in ("clamp", "clip"):
            bounds = [*call.args[skip:], *(k.value for k in call.keywords if k.arg in ("min", "max"))]
            numbers = [b.value for b in bounds if isinstance(b, ast.Constant) and isinstance(b.value, (int, float))]
            if len(numbers) == 2 and all(0 <= n <= 1 for n in numbers):
                return UNKNOWN
        return found

    def _object_call(self, target: ast.expr, call: ast.Call) -> Value:
        """`model(x)`, `self.head(x)`, `self(x)`, `helper(x)`: what calling `target` gives."""
        if is_self(target):
            owner = enclosing_class(self.module, target)
            return self._instance(owner, call) if owner is not None else UNKNOWN
        same = callee_function(self.module, target)
        if same is not None:
            return self.returns(same[0], call, same[1])
        qualified = self.module.qualified_name(target)
        if qualified is not None:
            # An imported function's result is not looked up across files (its summary would
            # cost every function of every file); a softmax function still is what it is.
            return self._made(FUNCTIONS[qualified], call) if qualified in FUNCTIONS else UNKNOWN
        return merge(self._built(origin, call) for origin in origins(self.module, target)) \
            if isinstance(target, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) else UNKNOWN

    def _built(self, origin: ast.expr, call: ast.Call | None) -> Value:
        """What calling the object that `origin` built gives."""
        module = self.module
        if isinstance(origin, (ast.Name, ast.Attribute)):  # a function kept as a value: `self.act = F.softmax`
            act = FUNCTIONS.get(module.qualified_name(origin) or "")
            return self._made(act, call if call is not None else origin) if act else UNKNOWN
        if not isinstance(origin, ast.Call):
            return UNKNOWN
        kind = layer_kind(module, origin)
        if kind == "pass":
            return self.value(call.args[0]) if call is not None and call.args else UNKNOWN
        if kind == "sequential":
            return self._sequential(origin)
        if kind is not None:
            return self._made(LAYER_ACTS[kind], origin)
        owner = same_file_class(module, origin.func)
        if owner is not None:
            return self._instance(owner, call)
        library = library_classifier(module, origin)
        if library == "logits":
            return self._made(Act.LOGITS, origin)
        if library == "hf-output":  # `outputs.logits`
            return Value(Act.UNKNOWN, items=(("logits", self._made(Act.LOGITS, origin)),))
        qualified = module.qualified_name(origin.func)
        return self._reference(qualified) if qualified else UNKNOWN

    def _sequential(self, container: ast.Call) -> Value:
        if altered(self.module, container):
            return UNKNOWN
        for member in reversed(sequential_members(container)):
            built = origins(self.module, member)
            if len(built) == 1 and layer_kind(self.module, built[0]) == "pass":
                continue  # a trailing Dropout or Flatten hands on what came before it
            return merge(self._built(o, None) for o in built)
        return UNKNOWN

    def _reference(self, qualified: str) -> Value:
        """The output of an instance of a class imported from elsewhere: maybe a project model."""
        if qualified.split(".")[0] in LIBRARIES:
            return UNKNOWN
        return Value(Act.OUTPUT, ref=Ref(qualified, self.module.path))

    def _instance(self, owner: ast.ClassDef, call: ast.Call | None) -> Value:
        found = self.forward(owner)
        function = method(owner, "forward")
        return self._substitute(found, function, call, 1) if call is not None and function else found

    def forward(self, owner: ast.ClassDef) -> Value:
        function = method(owner, "forward")
        if function is None:  # `class Net(Base)` with the forward in a class of this file
            bases = [same_file_class(self.module, b) for b in owner.bases]
            base = next((b for b in bases if b is not None and b is not owner), None)
            return self.forward(base) if base is not None and self.functions < MAX_DEPTH else UNKNOWN
        return with_owner(self._returns(function), f"`{owner.name}.forward`")

    def returns(self, function, call: ast.Call, offset: int) -> Value:
        found = self._returns(function)
        name = f"`{function.name}`" if offset == 0 else f"`{_owner_name(self.module, function)}{function.name}`"
        return with_owner(self._substitute(found, function, call, offset), name)

    def _returns(self, function) -> Value:
        if self.functions >= MAX_DEPTH or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return UNKNOWN
        returns = training_returns(function)
        if not returns or any(r.value is None for r in returns):
            return UNKNOWN
        self.functions += 1
        try:
            return merge([self.value(r.value) for r in returns])
        finally:
            self.functions -= 1

    def _substitute(self, found: Value, function, call: ast.Call | None, offset: int) -> Value:
        if found.elements is not None:
            found = replace(found, elements=tuple(self._substitute(e, function, call, offset)
                                                  for e in found.elements))
        if found.items is not None:
            found = replace(found, items=tuple((k, self._substitute(v, function, call, offset))
                                               for k, v in found.items))
        if found.act is Act.PARAMETER and found.parameter[0] is function:
            argument = argument_for(call, function, found.parameter[1], offset) if call is not None else None
            return self.value(argument) if argument is not None else UNKNOWN
        return found


def _owner_name(module, function) -> str:
    owner = enclosing_class(module, function)
    return f"{owner.name}." if owner is not None else ""

