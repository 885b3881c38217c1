"""Which calls compute a classification or regression loss, and which argument is its input.

`loss_calls(module)` finds `F.cross_entropy(x, y)`, `nn.CrossEntropyLoss()(x, y)`, and calls of
objects that hold a loss: `criterion = nn.BCELoss()`, `self.criterion` set in `__init__` and
called in a Lightning `training_step`, `self.loss_func = F.binary_cross_entropy_with_logits`,
`self.losses["ce"]`, a `criterion` parameter whose every call site in the file passes the same
loss (`train(model, loader, nn.NLLLoss())`), `.forward(...)`, `functools.partial(...)`.
When alternatives disagree (`crit = BCELoss() if cfg.probs else BCEWithLogitsLoss()`), or the
loss object's origin is not visible, the call is not a loss call for the rules.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.facts.bindings import last_name
from dllint.facts.kinds import quote
from dllint.facts.nn_modules import origins

# Loss classes (torch.nn) and functions (torch.nn.functional) by family.
CLASSES = {"CrossEntropyLoss": "cross_entropy", "BCEWithLogitsLoss": "bce_with_logits", "BCELoss": "bce",
           "NLLLoss": "nll", "MSELoss": "regression", "L1Loss": "regression", "SmoothL1Loss": "regression",
           "HuberLoss": "regression"}
FUNCTIONS = {"cross_entropy": "cross_entropy", "binary_cross_entropy_with_logits": "bce_with_logits",
             "binary_cross_entropy": "bce", "nll_loss": "nll", "mse_loss": "regression", "l1_loss": "regression",
             "smooth_l1_loss": "regression", "huber_loss": "regression"}
CLASS_MODULES = ("torch.nn.", "torch.nn.modules.loss.")
FUNCTION_MODULES = ("torch.nn.functional.", "torch.")
# Files without any of these compute no loss this module can recognize.
TEXT = ("cross_entropy", "CrossEntropy", "BCE", "nll_loss", "NLLLoss", "MSELoss", "mse_loss", "L1Loss", "l1_loss",
        "uber")
# Only calls of names like these are followed back to a loss object: the evidence still comes
# from the object's origin, the name only decides which calls are worth the look.
LOSS_NAME = re.compile(r"loss|crit|objective|cost", re.IGNORECASE)


@dataclass(frozen=True)
class LossCall:
    call: ast.Call
    family: str  # cross_entropy | bce_with_logits | bce | nll | regression
    name: str  # for messages: "`nn.CrossEntropyLoss`", "`F.cross_entropy`"
    input: ast.expr
    target: ast.expr | None
    made: ast.AST | None  # where the loss object was built, when it is not the call itself


def loss_calls(module) -> list[LossCall]:
    return module.fact(_find)


def _find(module) -> list[LossCall]:
    if not any(text in module.text for text in TEXT):
        return []
    holders = _holder_names(module)
    found = []
    for call in module.nodes("Call"):
        func = call.func
        target = func.value if isinstance(func, ast.Attribute) and func.attr == "forward" else func
        name = last_name(target.value if isinstance(target, ast.Subscript) else target)
        family = _function_family(module, target) if name in FUNCTIONS else None
        made = None
        if family is None:
            if not (isinstance(target, ast.Call) or name in holders or (name and LOSS_NAME.search(name))):
                continue
            family, made = _object_family(module, target)
            if family is None:
                continue
        arguments = _arguments(call)
        if arguments is None:
            continue
        shown = quote(module, made.func if isinstance(made, ast.Call) else made or target, 40)
        found.append(LossCall(call, family, f"`{shown}`", *arguments, made))
    return found


def _holder_names(module) -> set[str]:
    """Names and attributes assigned a loss object or function (`loss_fct = CrossEntropyLoss()`)."""
    names = set()
    for node in module.nodes("Assign"):
        value = node.value
        while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "to":
            value = value.func.value
        made = last_name(value.func if isinstance(value, ast.Call) else value)
        if (made in CLASSES or made in FUNCTIONS or made == "partial") and _made_family(module, value) is not None:
            names.update(last_name(t) for t in node.targets if isinstance(t, (ast.Name, ast.Attribute)))
    return names


def _function_family(module, func: ast.expr) -> str | None:
    qualified = module.qualified_name(func) if isinstance(func, (ast.Name, ast.Attribute)) else None
    if qualified is None:
        return None
    prefix, _, name = qualified.rpartition(".")
    return FUNCTIONS.get(name) if f"{prefix}." in FUNCTION_MODULES else None


def _made_family(module, origin: ast.AST) -> str | None:
    if isinstance(origin, ast.Call):
        qualified = module.qualified_name(origin.func) or ""
        if qualified == "functools.partial" and origin.args:
            return _function_family(module, origin.args[0])
        prefix, _, name = qualified.rpartition(".")
        return CLASSES.get(name) if f"{prefix}." in CLASS_MODULES else None
    return _function_family(module, origin)


def _object_family(module, target: ast.expr) -> tuple[str | None, ast.AST | None]:
    found = origins(module, target)
    families = {_made_family(module, o) for o in found}
    if len(families) != 1 or None in families:
        return None, None
    return families.pop(), found[0]


def _arguments(call: ast.Call) -> tuple[ast.expr, ast.expr | None] | None:
    """(input, target) of a loss call: positional or `input=`/`target=`."""
    if any(isinstance(a, ast.Starred) for a in call.args[:2]):
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    given = keywords.get("input", call.args[0] if call.args else None)
    if given is None:
        return None
    return given, keywords.get("target", call.args[1] if len(call.args) > 1 else None)
