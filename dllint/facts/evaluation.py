"""Evaluation code, and the state a model runs in there.

`regions(module)`: where a model is run to measure it -
- functions named for it: `evaluate`, `validate`, `test`, `eval_epoch`, `run_validation`; not
  Lightning's `validation_step`/`test_step` hooks (Lightning runs them in eval mode without
  gradients), and not pytest's `test_*` functions;
- loops over a validation or test loader (`val_loader`, `testloader`, `dataloaders["val"]`,
  a loader of `CIFAR10(train=False)`: `facts.loaders`) outside those functions, when the loop
  does not train;
- functions that compute a metric (`facts.metrics`) and call a model.
`model_calls(module, region)`: the model calls in a region (a model of this file, a torchvision
model, or a name such as `model`, `net`, `self.encoder`).
`mode_at` and `grad_enabled_at` say in which mode, and whether with gradients, such a call runs:
following the loops around it (a later pass starts in the mode the previous one left) and the
calls into its function from the same file ("evaluate under `no_grad` after `model.eval()` in
the caller"); None when the file does not show it.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass

from dllint.facts.bindings import last_name, own_nodes
from dllint.facts.loaders import EVAL as EVAL_DATA
from dllint.facts.loaders import loader_role
from dllint.facts.loop_events import EVAL, LOOPS, TRAIN, iteration
from dllint.facts.metrics import metric_call
from dllint.facts.model_layers import calls_of, mode_layers
from dllint.facts.training_loop import backward_calls

EVAL_WORDS = {"eval", "evaluate", "evaluation", "validate", "validation", "val", "valid", "test", "testing"}
LEADING = {"run", "do", "final", "full", "quick", "periodic", "_"}
TRAILING = {"model", "models", "epoch", "one", "loop", "net", "network", "all", "fn", "func", "accuracy", "acc",
            "loss", "metrics", "performance", "batch", "batches", "ensemble", "classifier"}
MODEL_NAME = re.compile(r"(?:model|net|network|classifier|encoder|decoder|backbone|generator|discriminator)s?$"
                        r"|^net[A-Z_\d]", re.IGNORECASE)
MODEL_SUFFIXES = tuple(f"{w}{s}" for w in ("model", "net", "network", "classifier", "encoder", "decoder",
                                          "backbone", "generator", "discriminator") for s in ("", "s"))
# Text that a call of a model-like name leaves in a file (the rules' cheap pre-filter).
MODEL_CALL_TRIGGERS = ("model(", "Model(", "net(", "Net(", "net_", "netD", "netG", "self(", "ncoder(", "ecoder(",
                       "backbone(", "lassifier(", "enerator(", "iscriminator(", "etwork(", "models(", "nets(")
PASS_THROUGH = {"enumerate", "zip", "reversed", "tqdm", "iter", "track"}
DATA_HINT = re.compile(r"load|data|val|test|eval|dev|set|dl|ds|batch|iter|split|hold", re.IGNORECASE)
NOT_DATA = {"range", "parameters", "named_parameters", "modules", "named_modules", "children", "named_children",
            "items", "keys", "values", "split", "chunk", "unbind", "sorted", "len", "glob", "listdir"}
NO_GRAD = {"no_grad", "inference_mode", "set_grad_enabled"}
MAX_CALLERS_DEPTH = 2


@dataclass(frozen=True)
class Region:
    node: ast.AST  # the function or the loop
    why: str  # "`evaluate()` is named for evaluation", "it iterates `val_loader`"


def regions(module) -> list[Region]:
    return module.fact(_regions)


def model_calls(module, region: Region) -> list[ast.Call]:
    node = region.node
    nodes = own_nodes(node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef) + LOOPS) else ast.walk(node)
    calls = [n for n in nodes if isinstance(n, ast.Call) and _is_model(module, n.func)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _regions(module) -> list[Region]:
    pytest = _is_test_file(module)
    named = [f for f in module.nodes("FunctionDef", "AsyncFunctionDef") if _eval_named(f.name, pytest)]
    comprehensions = module.nodes("GeneratorExp", "ListComp", "SetComp", "DictComp")
    # `sum(criterion(model(x), y).item() for x, y in val_loader)` iterates like a loop.
    loops = [(loop, loop.iter) for loop in module.nodes("For", "AsyncFor")] + \
        [(c, g.iter) for c in comprehensions for g in c.generators]
    builds_loaders = "DataLoader" in module.text
    loops = [(node, iterable) for node, iterable in loops if not _not_data(iterable, builds_loaders)]
    metrics = {"sklearn", "torchmetrics"} & module.names.imported_modules
    if not (named or loops or metrics):
        return []
    # Regions matter only around calls of something named like a model: loops and functions
    # without one are never resolved (loader roles and scopes cost time).
    lines = _model_call_lines(module)
    training = sorted(c.lineno for c in backward_calls(module))
    found = [Region(f, f"`{f.name}()` is named for evaluation") for f in named]
    for node, iterable in loops:
        if not _spans(node, lines) or _spans(node, training):
            continue
        loader = _eval_loader(module, iterable)
        if loader is not None and not any(f.lineno <= node.lineno <= f.end_lineno for f in named):
            found.append(Region(node, f"it iterates `{loader}`"))
    for function in module.nodes("FunctionDef") if metrics else ():
        if function in named or not _spans(function, lines) or _spans(function, training):
            continue
        metric = next((m for n in own_nodes(function) if isinstance(n, ast.Call)
                       and (m := metric_call(module, n)) is not None), None)
        if metric is not None:
            found.append(Region(function, f"`{function.name}()` computes {metric.name}"))
    return found


def _model_call_lines(module) -> list[int]:
    lines = []
    for call in module.nodes("Call"):
        func = call.func
        name = func.attr if func.__class__ is ast.Attribute else func.id if func.__class__ is ast.Name else ""
        lowered = name.lower()
        if lowered.endswith(MODEL_SUFFIXES) or lowered.startswith("net") or name == "self":
            lines.append(call.lineno)
    return sorted(lines)


def _not_data(iterable: ast.expr, builds_loaders: bool) -> bool:
    """`range(n)`, `model.parameters()`, `self.layers`, `["a", "b"]`: no batches of data. (A plain
    name in a file that builds a `DataLoader` is left to `facts.loaders`, which follows it.)"""
    while isinstance(iterable, ast.Call) and last_name(iterable.func) in PASS_THROUGH and iterable.args:
        iterable = iterable.args[0]
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Constant, ast.Dict, ast.Set)):
        return True
    if isinstance(iterable, ast.Call) and last_name(iterable.func) in NOT_DATA:
        return True
    if isinstance(iterable, ast.Name):
        # A plain name may hold a `DataLoader` built elsewhere in the file.
        return not builds_loaders and not DATA_HINT.search(iterable.id)
    words = [getattr(n, "id", None) or getattr(n, "attr", None) or getattr(n, "value", None)
             for n in ast.walk(iterable)]
    return not any(isinstance(w, str) and DATA_HINT.search(w) for w in words)


def _spans(node: ast.AST, lines: list[int]) -> bool:
    index = bisect.bisect_left(lines, node.lineno)
    return index < len(lines) and lines[index] <= node.end_lineno


def _eval_named(name: str, pytest: bool) -> bool:
    tokens = name.lower().split("_")
    while tokens and (tokens[0] in LEADING or not tokens[0]):
        tokens.pop(0)
    if not tokens or tokens[0] not in EVAL_WORDS or (pytest and tokens[0].startswith("test")):
        return False
    return all(token in TRAILING for token in tokens[1:])


def _is_test_file(module) -> bool:
    name = module.path.replace("\\", "/").rsplit("/", 1)[-1]
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or bool({"pytest", "unittest"} & module.names.imported_modules))


def _eval_loader(module, iterable: ast.expr) -> str | None:
    if loader_role(module, iterable) != EVAL_DATA:
        return None
    text = module.segment(iterable)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_model(module, func: ast.expr) -> bool:
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return False
    if isinstance(func, ast.Name) and func.id == "self":
        return mode_layers(module, func).mode_dependent is not None
    return bool(MODEL_NAME.search(last_name(func) or "")) or mode_layers(module, func).mode_dependent is not None


def _enclosing_function(module, node: ast.AST) -> ast.AST:
    return module.scopes.scope_of(node).node


def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


def mode_at(module, call: ast.Call, model: str, depth: int = 0) -> tuple[str, ast.AST | None] | None:
    """(TRAIN, where it was set or None: never) when the model may run `call` in train mode,
    (EVAL, where) when it surely runs in eval mode, None when the file does not show it."""
    function = _enclosing_function(module, call)
    events = [e for e in iteration(module, function) if e.kind == EVAL or (e.kind == TRAIN and _same(e.target, model))]
    here = _position(call)
    shown = [(_position(e.site if e.via else e.node), e) for e in events]
    states = []
    for loop in _loops_around(module, call, function):
        later = [e for where, e in shown if where > here and loop in e.loops]
        if later:
            states.append((later[-1].kind, later[-1].node))
    before = [e for where, e in shown if where < here]
    if before:
        states.append((before[-1].kind, before[-1].node))
    elif isinstance(function, ast.Module):
        states.append((TRAIN, None))  # a model starts in train mode
    else:
        callers = _callers(module, function, call, model, depth)
        if callers is None:
            return None
        states += callers
    return next((s for s in states if s[0] == TRAIN), states[0] if states else None)


def grad_enabled_at(module, call: ast.Call, depth: int = 0) -> bool | None:
    """True when `call` runs with gradients on, False under `no_grad`/`inference_mode`/
    `set_grad_enabled(...)`, None when the file does not show it."""
    node = call
    while node is not None and not isinstance(node, ast.Module):
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(_grad_switch(i.context_expr) for i in node.items):
            return False
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(_grad_switch, node.decorator_list)):
            return False
        node = module.parents.get(node)
    function = _enclosing_function(module, call)
    for statement in ast.walk(function) if not isinstance(function, ast.Module) else ():
        if isinstance(statement, ast.Call) and statement.lineno < call.lineno and _grad_switch(statement):
            return False  # torch.set_grad_enabled(False)
    if isinstance(function, ast.Module) or any(function.lineno <= c.lineno <= function.end_lineno
                                               for c in backward_calls(module)):
        return True
    sites = calls_of(module, function) if depth < MAX_CALLERS_DEPTH else []
    found = [grad_enabled_at(module, site, depth + 1) for site, _ in sites]
    return None if not found or None in found else any(found)


def _grad_switch(expr: ast.expr) -> bool:
    return (last_name(expr.func if isinstance(expr, ast.Call) else expr) or "") in NO_GRAD


def _loops_around(module, node: ast.AST, function: ast.AST) -> list[ast.AST]:
    loops = []
    node = module.parents.get(node)
    while node is not None and node is not function:
        if isinstance(node, LOOPS):
            loops.append(node)
        node = module.parents.get(node)
    return loops


def _callers(module, function, call, model: str, depth: int) -> list | None:
    if depth >= MAX_CALLERS_DEPTH:
        return None
    sites = calls_of(module, function)
    if not sites:
        return None
    parameters = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    states = []
    for site, offset in sites:
        root, dot, rest = model.partition(".")
        passed = _argument_text(module, site, parameters, offset, root)
        found = mode_at(module, site, (passed + dot + rest) if passed else model, depth + 1)
        if found is None:
            return None
        states.append(found)
    return states


def _argument_text(module, site: ast.Call, parameters: list[str], offset: int, name: str) -> str | None:
    if name in parameters:
        index = parameters.index(name) - offset
        if index < 0 and isinstance(site.func, ast.Attribute):
            return module.segment(site.func.value)
        if 0 <= index < len(site.args):
            return module.segment(site.args[index])
        return next((module.segment(k.value) for k in site.keywords if k.arg == name), None)
    return None


def _same(target: str, model: str) -> bool:
    return target == model or target.split(".")[0] == model.split(".")[0]
