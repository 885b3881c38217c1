"""Whether a model behaves differently in train and eval mode: does it hold Dropout or BatchNorm?

`mode_layers(module, expr)` follows a model expression (`model`, `self.net`, a parameter) back
through assignments, `.to(device)`/`.cuda()`, `DataParallel`/`torch.compile` wrappers and the
call sites of the function it is a parameter of, to what built it: a class of the same file
(its layers, its same-file sub-modules and base classes), `nn.Sequential(...)`, a torch layer, or
a torchvision model builder. The answer is True (with the layer as evidence), False (every part
is visible and none depends on the mode), or None when something is not visible.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

from dllint.facts.bindings import argument_for, definitions, enclosing_class, last_name, same_file_function

MODE_LAYERS = re.compile(r"^(?:Feature)?(?:Alpha)?Dropout\d?d?$|^(?:Sync|Lazy)?BatchNorm\d?d?$|"
                         r"^(?:alpha_|feature_alpha_)?dropout\d?d?$|^batch_norm$|^Transformer(?:Encoder|Decoder)?(?:Layer)?$")
RECURRENT = {"LSTM", "GRU", "RNN"}  # mode-dependent only with `dropout=` > 0 between layers
KEEPS_MODULE = {"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "train", "eval", "requires_grad_",
                "to_empty", "share_memory"}
WRAPPERS = {"torch.nn.DataParallel", "torch.nn.parallel.DistributedDataParallel", "torch.compile",
            "torch.nn.parallel.DataParallel", "torch.jit.script"}
CONTAINERS = {"torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"}
MAX_HOPS = 5
BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Layers:
    mode_dependent: bool | None
    evidence: str = ""  # "`nn.Dropout` (line 12)", "`models.resnet18` (BatchNorm)"


UNKNOWN, PLAIN = Layers(None), Layers(False)


def mode_layers(module, expr: ast.expr) -> Layers:
    """What the model `expr` holds (cached per node)."""
    cache = module.fact(_cache)
    if expr not in cache:
        cache[expr] = _expression(module, expr, 0)
    return cache[expr]


def combine(found: list[Layers]) -> Layers:
    """Several possible models: mode-dependent if any is; plain only if all are."""
    if not found:
        return UNKNOWN
    return next((f for f in found if f.mode_dependent), None) or \
        (PLAIN if all(f.mode_dependent is False for f in found) else UNKNOWN)


def calls_of(module, function: ast.AST) -> list[tuple[ast.Call, int]]:
    """`bindings.call_sites`, looking only at calls written with the function's name (cheap)."""
    return [(call, found[1]) for call in module.nodes("Call") if last_name(call.func) == function.name
            and (found := same_file_function(module, call.func)) and found[0] is function]


def _cache(module) -> dict:
    return {}


def _expression(module, expr: ast.expr, hops: int) -> Layers:
    if hops > MAX_HOPS:
        return UNKNOWN
    if isinstance(expr, ast.Call):
        return _built_by(module, expr, hops)
    if isinstance(expr, ast.Name) and expr.id == "self":
        owner = enclosing_class(module, expr)
        return _class(module, owner, set()) if owner is not None else UNKNOWN
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return UNKNOWN
    found = []
    for definition in definitions(module, expr):
        if definition.kind == "param":
            found.append(_parameter(module, definition, hops))
        elif definition.value is not None and definition.kind == "assign" and not definition.unpack:
            found.append(_expression(module, definition.value, hops + 1))
        else:
            return UNKNOWN
    return combine(found)


def _parameter(module, definition, hops: int) -> Layers:
    # The parameter's `ast.arg` sits in the `arguments` of its function.
    function = module.parents.get(module.parents.get(definition.node))
    sites = calls_of(module, function) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    arguments = [argument_for(call, function, definition.name, offset) for call, offset in sites]
    if not arguments or any(a is None for a in arguments):
        return UNKNOWN
    return combine([_expression(module, a, hops + 1) for a in arguments])


def _built_by(module, call: ast.Call, hops: int) -> Layers:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in KEEPS_MODULE:
        return _expression(module, func.value, hops + 1)
    names = module.names.candidates(func)
    if any(n in WRAPPERS for n in names) and call.args:
        return _expression(module, call.args[0], hops + 1)
    if any(n in CONTAINERS for n in names):
        return combine([_expression(module, a, hops + 1) for a in call.args if not isinstance(a, ast.Starred)]
                       or [PLAIN])
    layer = _torch_layer(module, call, names)
    if layer is not None:
        return layer
    if isinstance(func, ast.Name):
        found = definitions(module, func)
        if found and isinstance(found[-1].node, ast.ClassDef):
            return _class(module, found[-1].node, set())
    return UNKNOWN


def _torch_layer(module, call: ast.Call, names) -> Layers | None:
    for name in names:
        short = name.rsplit(".", 1)[-1]
        where = f"`{module.segment(call.func)}` (line {call.lineno})"
        if name.startswith("torchvision.models.") and short[:1].islower():
            # Builders: every torchvision model but ViT has BatchNorm, dropout or stochastic depth.
            return PLAIN if short.startswith("vit_") else Layers(True, where)
        if not name.startswith("torch.nn."):
            continue
        if MODE_LAYERS.match(short):
            return Layers(True, where)
        if short in RECURRENT:
            dropout = next((k.value for k in call.keywords if k.arg == "dropout"), None)
            if dropout is None or (isinstance(dropout, ast.Constant) and not dropout.value):
                return PLAIN
            return Layers(True, where)
        return PLAIN
    return None


def _class(module, cls: ast.ClassDef, seen: set) -> Layers:
    cache = module.fact(_cache)
    if cls in cache:
        return cache[cls]
    if cls in seen:
        return PLAIN
    seen.add(cls)
    found = [_base(module, base, seen) for base in cls.bases]
    for node in ast.walk(cls):
        if isinstance(node, ast.Call):
            names = module.names.candidates(node.func)
            layer = _torch_layer(module, node, names)
            if layer is not None:
                found.append(layer)
            elif isinstance(node.func, ast.Name) and (defined := definitions(module, node.func)) \
                    and isinstance(defined[-1].node, ast.ClassDef):
                found.append(_class(module, defined[-1].node, seen))
        elif isinstance(node, ast.Assign) and _sets_submodule(module, node):
            found.append(UNKNOWN)  # `self.backbone = timm.create_model(...)`: not visible
    result = combine(found or [PLAIN])
    cache[cls] = result
    return result


def _base(module, base: ast.expr, seen: set) -> Layers:
    if module.names.resolves_to(base, "torch.nn.Module", "torch.nn.modules.module.Module"):
        return PLAIN
    if isinstance(base, ast.Name) and (defined := definitions(module, base)) \
            and isinstance(defined[-1].node, ast.ClassDef):
        return _class(module, defined[-1].node, seen)
    return UNKNOWN


def _sets_submodule(module, node: ast.Assign) -> bool:
    """`self.x = SomeFactory(...)` where the factory is neither torch's nor this file's."""
    if not (isinstance(node.value, ast.Call) and any(isinstance(t, ast.Attribute) for t in node.targets)):
        return False
    func = node.value.func
    names = module.names.candidates(func)
    if any(n.startswith("torch.") for n in names) or (last_name(func) or "") in BUILTINS:
        return False
    # A class of this file is walked on its own; a factory function of this file is not.
    defined = definitions(module, func) if isinstance(func, ast.Name) else []
    return not (defined and isinstance(defined[-1].node, ast.ClassDef))
