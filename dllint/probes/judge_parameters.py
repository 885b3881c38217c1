"""DL909-DL911: parameters that get no gradient, that no optimizer holds, or that do not move.

Only models being trained are judged: a model none of whose parameters ever gets a gradient is a
frozen teacher, a target network or an EMA copy, and one with no parameter in any optimizer is
updated some other way.
"""

from __future__ import annotations

import math

from dllint.engine.diagnostic import Related
from dllint.probes.findings import by_location, listing


def judge(monitor, names, findings) -> None:
    states = monitor.sampler.params
    optimized = monitor.sampler.optimized
    for root in names.models:
        params = [p for p in root.module.parameters() if p.requires_grad and id(p) in states]
        if not any(states[id(p)].had_grad for p in params):
            continue
        _without_gradient(names, root, [states[id(p)] for p in params], optimized, findings)
        if any(id(p) in optimized for p in params) and monitor.optimizers:
            _not_in_optimizer(monitor, names, root, [states[id(p)] for p in params], findings)
    _not_updating(monitor, names, findings)


def _without_gradient(names, root, states, optimized, findings) -> None:
    if not findings.wants("DL909"):
        return
    needed = findings.options("DL909").min_checks
    # Only what an optimizer was asked to train: a backbone run under `no_grad` for a linear probe,
    # and left out of the optimizer, is frozen on purpose.
    idle = [(names.param_location(s.param), s) for s in states
            if not s.had_grad and s.checks >= needed and id(s.param) in optimized]
    for location, group in by_location(idle).items():
        findings.add("DL909", location,
                     f"{listing([names.param(s.param) for s in group])} of {names.model_label(root)} never "
                     f"received a gradient in {group[0].checks} checked steps: the layer does not reach the "
                     "loss (an unused head or branch, a `.detach()` or `torch.no_grad()` on its path). "
                     "Remove it, wire it in, or set `requires_grad=False`")


def _not_in_optimizer(monitor, names, root, states, findings) -> None:
    if not findings.wants("DL910"):
        return
    optimized = monitor.sampler.optimized
    missing = [s for s in states if s.had_grad and id(s.param) not in optimized and not _moved(s)]
    if not missing:
        return
    holder = _holder(monitor, root)
    location = holder.location if holder else None
    first = missing[0].param
    findings.add("DL910", location,
                 f"{len(missing)} trainable parameter tensor(s) of {names.model_label(root)} get gradients but "
                 f"no optimizer updates them: {listing([names.param(s.param) for s in missing])}. Created after "
                 "the optimizer, or left out of its parameter list? Pass them to it, or set "
                 "`requires_grad=False` to freeze them",
                 related=[Related(names.param_location(first), f"`{names.param(first)}` is created here")])


def _moved(state) -> bool:
    """Changed between checks although no optimizer holds it: updated by hand (`p -= lr * p.grad`)."""
    norms = [n for n in state.norms if math.isfinite(n)]
    return len(norms) >= 2 and max(norms) - min(norms) > 1e-12 * max(abs(n) for n in norms)


def _holder(monitor, root):
    """The optimizer holding most of this model's parameters: the one the fix goes to."""
    mine = {id(p) for p in root.module.parameters()}
    best, count = None, 0
    for key, opt in monitor.optimizer_refs.items():
        held = sum(1 for g in opt.param_groups for p in g["params"] if id(p) in mine)
        if held > count:
            best, count = monitor.optimizers[key], held
    return best


def _not_updating(monitor, names, findings) -> None:
    if not findings.wants("DL911"):
        return
    needed = findings.options("DL911").min_checks
    history: dict[tuple, dict[int, list[bool]]] = {}
    groups, lrs = {}, {}
    for check in monitor.sampler.checks:
        key = (check.optimizer.index, check.group)
        groups[key] = check
        lrs.setdefault(key, []).append(check.lr)
        for p in check.params:
            if p.grad_norm and math.isfinite(p.grad_norm) and p.delta_norm is not None:
                history.setdefault(key, {}).setdefault(id(p.param), []).append(p.delta_norm == 0)
    for key, per_param in history.items():
        if lrs[key][-1] > lrs[key][0]:
            continue  # a warm-up from a tiny learning rate: the first updates may round away
        frozen = [pid for pid, unchanged in per_param.items() if len(unchanged) >= needed and all(unchanged)]
        if not frozen:
            continue
        check = groups[key]
        params = {id(p.param): p.param for p in check.params}
        labels = [names.param(params[pid]) for pid in frozen if pid in params]
        lr = f" Its learning rate is {check.lr:g}." if check.lr == 0 else ""
        findings.add("DL911", check.optimizer.location,
                     f"{listing(labels)} in param group {check.group} of {check.optimizer.label()} have non-zero "
                     f"gradients but did not change in {min(len(per_param[p]) for p in frozen)} checked "
                     f"steps.{lr} A learning rate of 0, updates too small for the weights' dtype "
                     "(bfloat16/float16 weights), or a step that does not apply to them")
