"""DL501: a training loop that never resets gradients, so they add up across iterations."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import last_name, same_file_function
from dllint.facts.loop_events import BACKWARD, RESET, STEP
from dllint.facts.optimizer_objects import constructor, is_distributed, stepped
from dllint.facts.training_loop import describe, shown_at, training_loops

# Calls that receive the optimizer and are known not to touch its gradients.
KEEPS_GRADIENTS = {"step", "unscale_", "update", "state_dict", "load_state_dict", "add_param_group", "len",
                   "print", "isinstance", "getattr", "hasattr", "enumerate", "zip", "iter", "next"}


class MissingZeroGrad(Rule):
    """
    ## What it does
    Finds training loops - a loop whose one pass calls `backward()` and an optimizer's `step()`,
    also through functions and methods of the same file - in which nothing resets the gradients:
    no `optimizer.zero_grad()`, `model.zero_grad()`, `p.grad = None`, `p.grad.zero_()`, nor a
    helper named for it (`clear_grads()`).

    It stays silent for gradient accumulation (a reset under `if (i + 1) % k == 0`), a reset
    after `step()`, an LBFGS closure that resets, a loop that hands the optimizer to a function it
    cannot see into, an optimizer built anew in each pass (per-sample optimization of fresh
    tensors), distributed autograd (`dist_autograd.backward` with `DistributedOptimizer`,
    whose gradients need no zeroing), and Lightning or Hugging Face trainers, which reset for you.

    ## Why is this bad?
    `backward()` adds to `.grad`; it never overwrites it. Without a reset, every step applies the
    sum of all gradients computed so far: the effective learning rate grows with each iteration
    and the loss oscillates or diverges (field notes: check gradients and parameter updates).

    ## Example
    ```python
    for inputs, targets in train_loader:
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL501"
    name = "missing-zero-grad"
    severity = Severity.ERROR
    summary = "Training loop without a gradient reset: gradients accumulate across iterations"
    help = "call `optimizer.zero_grad()` once per iteration, before `backward()` or after `step()`"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (check gradients and parameter updates)"
    triggers = ("backward(",)

    def check_python(self, module):
        diagnostics = []
        for training in training_loops(module):
            if training.of(RESET):
                continue
            steps = training.of(STEP)
            if all(_fresh_or_distributed(module, stepped(module, step.node), training.loop) for step in steps):
                continue
            if _hands_optimizer_away(module, training.loop, {s.target for s in steps}):
                continue
            backward, step = training.of(BACKWARD)[0], steps[0]
            message = (f"this loop (line {training.loop.lineno}) calls {describe(module, backward)} and "
                       f"{describe(module, step)} but never resets gradients: `backward()` adds to `.grad`, "
                       "so every step applies the sum of all gradients so far")
            diagnostics.append(self.diagnostic(module.location(shown_at(backward)), message, related=[
                Related(module.location(shown_at(step)), "the optimizer steps here"),
                Related(module.location(training.loop), "the training loop")]))
        return diagnostics


def _fresh_or_distributed(module, optimizer: ast.expr, loop: ast.AST) -> bool:
    """A `DistributedOptimizer` needs no reset; an optimizer built anew in every pass optimizes
    fresh tensors (`x = latents.detach().clone().requires_grad_()`), which carry no old gradients."""
    made = constructor(module, optimizer)
    return made is not None and (loop.lineno <= made.lineno <= loop.end_lineno or is_distributed(module, optimizer))


def _hands_optimizer_away(module, loop: ast.AST, optimizers: set[str]) -> bool:
    """A call this file does not show that receives the optimizer may reset its gradients."""
    for node in ast.walk(loop):
        if (not isinstance(node, ast.Call) or last_name(node.func) in KEEPS_GRADIENTS
                or same_file_function(module, node.func) is not None):
            continue  # a function of this file was followed: its resets would have been seen
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if any(module.segment(a) in optimizers for a in arguments):
            return True
    return False
