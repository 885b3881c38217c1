"""`check_overfit_batch`: Karpathy's "overfit one batch" as a function (DL917).

A model that cannot drive the loss on a single small batch towards zero has a bug between its
output, the loss and the optimizer; no amount of data or training time will fix it.
"""

from __future__ import annotations

import copy
import math
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from dllint.engine.diagnostic import Diagnostic, Location
from dllint.engine.registry import lookup
from dllint.probes.locations import Locator
from dllint.probes.session import current


@dataclass
class OverfitResult:
    passed: bool
    losses: list[float]
    findings: list[Diagnostic]


def check_overfit_batch(model, batch, loss_fn, optimizer_factory, *, steps=None, max_final_fraction=None):
    rule = lookup("DL917")()
    steps = steps if steps is not None else rule.options.steps
    fraction = max_final_fraction if max_final_fraction is not None else rule.options.max_final_fraction
    where = Locator(Path.cwd(), Location("<unknown>", 1)).here(3) or Location("<unknown>", 1)
    session = current()
    with session.monitor.pause() if session else nullcontext(), _rng_kept():
        values = _train(model, batch, loss_fn, optimizer_factory, steps)
    start, end = values[0], min(values[-5:])
    passed = all(math.isfinite(v) for v in values) and (end <= fraction * start or end <= 1e-4)
    findings = []
    if not passed:
        inputs, targets = batch
        size = len(targets) if hasattr(targets, "__len__") else "one"
        findings.append(rule.diagnostic(where, (
            f"the model cannot overfit one batch of {size} samples: the loss went from {start:.4g} to "
            f"{end:.4g} in {steps} steps (needs {fraction:g} of the start or less). Look for a loss that "
            "does not match the output (softmax before CrossEntropyLoss, wrong target shape), a gradient "
            "that does not reach the weights (`.detach()`, `no_grad`, `requires_grad=False`), the learning "
            "rate, or too little capacity")))
        if session is not None:
            session.monitor.extra.extend(findings)
    return OverfitResult(passed, values, findings)


def _train(model, batch, loss_fn, optimizer_factory, steps: int) -> list[float]:
    clone = copy.deepcopy(model)
    clone.train()
    optimizer = optimizer_factory(clone.parameters())
    inputs, targets = batch
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        output = clone(*inputs) if isinstance(inputs, (tuple, list)) else clone(inputs)
        loss = loss_fn(output, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().float().reshape(()))
    return torch.stack(losses).tolist()


@contextmanager
def _rng_kept():
    """Dropout in the copy draws random numbers; the user's run must not notice."""
    cpu = torch.random.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        torch.random.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
