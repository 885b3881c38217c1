"""The number of epochs a training loop written in code runs: `for epoch in range(2):`.

A loop counts as training when its body takes a step (`loss.backward()`, `optimizer.step()`,
`trainer.fit(...)`, `train_one_epoch(...)`); its length comes from `range(n)`, `range(0, n)` or
`range(1, n + 1)` with `n` followed by `facts.constants`. `range(start_epoch, n)` resumes a run:
its length is not the run's, and yields nothing.
"""

from __future__ import annotations

import ast

from dllint.facts.certain_bindings import nodes
from dllint.facts.constants import resolver
from dllint.facts.hyperparameter_setting import Setting

# Calls that show a loop trains: the backward pass, an optimizer or trainer step, a fit.
TRAIN_CALLS = {"backward", "step", "fit", "train_step", "train_one_epoch", "train_epoch"}


def epoch_loops(module) -> list[Setting]:
    return module.fact(_epoch_loops)


def _epoch_loops(module) -> list[Setting]:
    values = resolver(module)
    found = []
    for loop in nodes(module, ast.For):
        target, iterator = loop.target, loop.iter
        if not (isinstance(target, ast.Name) and "epoch" in target.id.lower() and isinstance(iterator, ast.Call)
                and isinstance(iterator.func, ast.Name) and iterator.func.id == "range"
                and len(iterator.args) in (1, 2) and not iterator.keywords):
            continue
        if not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in TRAIN_CALLS
                   for n in ast.walk(loop)):
            continue
        start = values.resolve(iterator.args[0]) if len(iterator.args) == 2 else None
        if len(iterator.args) == 2 and (start is None or start.value not in (0, 1)):
            continue
        end = values.resolve(iterator.args[-1])
        if end is None or not isinstance(end.value, int) or isinstance(end.value, bool):
            continue
        count = end.value - (start.value if start is not None else 0)
        found.append(Setting("epochs", count, module.location(end.node), optimizer="range",
                             optimizer_location=module.location(loop), origin=end.origin, key="range", owner=loop))
    return found
