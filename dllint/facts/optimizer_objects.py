"""Which objects are optimizers, gradient scalers and learning-rate schedulers.

`.step()` is everywhere: RL environments, samplers, EMA helpers, diffusion noise schedulers
(`scheduler.step(noise_pred, t, latents)`), DeepSpeed engines (which zero gradients themselves).
An object counts as an optimizer when its name says so (`optimizer`, `optim`, `opt_d`,
`optimizerG`, `self.optimizers()`) or when it was built by an optimizer class
(`torch.optim.*`, `timm.optim.create_optimizer_v2`, `DistributedOptimizer`); a scheduler when
named `*sched*` or built by `torch.optim.lr_scheduler.*`/`get_*_schedule*`; a scaler when named
`*scaler*` or built by `GradScaler`. Anything else is no optimizer, so rules stay silent.
"""

from __future__ import annotations

import ast
import re

from dllint.facts.bindings import assigned_values, last_name

OPTIMIZER, SCHEDULER, SCALER = "optimizer", "scheduler", "scaler"
OPTIMIZER_NAME = re.compile(r"optim|^opt(?:_|\d|[A-Z]|$)|_opt(?:_|\d|$)", re.IGNORECASE)
OPTIMIZER_CLASSES = {"SGD", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "RMSprop", "Adagrad", "Adadelta",
                     "LBFGS", "SparseAdam", "ASGD", "Rprop", "Lion", "LAMB", "Lamb", "Adafactor", "LARS",
                     "Muon", "Adan"}
DISTRIBUTED_OPTIMIZER = "torch.distributed.optim.DistributedOptimizer"
MAX_HOPS = 3


def role(module, expr: ast.expr) -> str | None:
    """OPTIMIZER, SCHEDULER, SCALER, or None for anything else (or not visible)."""
    base = _base(expr)
    name = (last_name(base.func) if isinstance(base, ast.Call) else last_name(base)) or ""
    lowered = name.lower()
    if "sched" in lowered:
        return SCHEDULER
    if "scaler" in lowered:
        return SCALER
    if OPTIMIZER_NAME.search(name):
        return OPTIMIZER
    made = constructor(module, base)
    return _constructor_role(module, made) if made is not None else None


def constructor(module, expr: ast.expr, hops: int = 0) -> ast.Call | None:
    """The call that built the object `expr` holds (`torch.optim.SGD(model.parameters(), ...)`),
    through assignments; None when not visible."""
    base = _base(expr)
    if not isinstance(base, (ast.Name, ast.Attribute)) or hops > MAX_HOPS:
        return None
    for value in reversed(assigned_values(module, base)):
        if isinstance(value, ast.Call):
            if _constructor_role(module, value) is not None:
                return value
        elif isinstance(value, (ast.Name, ast.Attribute)):
            found = constructor(module, value, hops + 1)
            if found is not None:
                return found
    return None


def is_distributed(module, expr: ast.expr) -> bool:
    """Built by `DistributedOptimizer`, whose gradients live in a distributed autograd context."""
    made = constructor(module, expr)
    return made is not None and bool(module.names.resolves_to(made.func, DISTRIBUTED_OPTIMIZER))


def _constructor_role(module, call: ast.Call) -> str | None:
    qualified = module.names.candidates(call.func)
    name = last_name(call.func) or ""
    if any(q.startswith("torch.optim.lr_scheduler.") for q in qualified) or "chedule" in name:
        return SCHEDULER
    if "GradScaler" in name:
        return SCALER
    if (any(q.startswith("torch.optim.") for q in qualified) or name in OPTIMIZER_CLASSES
            or "optim" in name.lower()):
        return OPTIMIZER
    return None


def _base(expr: ast.expr) -> ast.expr:
    # `optimizers[0]`, `self.optimizers[name]`: the container names what it holds.
    while isinstance(expr, ast.Subscript):
        expr = expr.value
    return expr


def stepped(module, call: ast.Call) -> ast.expr:
    """The optimizer a `step` call steps: `scaler.step(optimizer)` steps its argument."""
    receiver = call.func.value
    return call.args[0] if call.args and role(module, receiver) == SCALER else receiver
