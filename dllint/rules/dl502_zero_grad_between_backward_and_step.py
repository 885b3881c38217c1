"""DL502: gradients reset after backward() and before the optimizer step that needed them."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.loop_events import BACKWARD, RESET, STEP, ran_before, runs_after
from dllint.facts.optimizer_objects import OPTIMIZER, constructor, role, stepped
from dllint.facts.training_loop import describe, shown_at, training_loops


class ZeroGradBetweenBackwardAndStep(Rule):
    """
    ## What it does
    Finds a gradient reset (`optimizer.zero_grad()`, `model.zero_grad()`, `p.grad = None`) that
    runs after `backward()` and before the `step()` of the optimizer holding those gradients, in
    the same pass of a training loop (also through functions of the same file).

    It stays silent when the reset is on another optimizer (a GAN resetting the discriminator
    between the generator's backward and step), when it sits in a branch that leaves the
    iteration (`zero_grad(); continue` on a non-finite loss) or excludes the step, and for the
    usual orders: reset, backward, step; or backward, step, reset.

    ## Why is this bad?
    The step then sees zero (or no) gradients: parameters never change, or only weight decay and
    momentum move them, and the loss stays flat while everything looks like it runs.

    ## Example
    ```python
    for inputs, targets in train_loader:
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.zero_grad()
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

    code = "DL502"
    name = "zero-grad-between-backward-and-step"
    severity = Severity.ERROR
    summary = "Gradients reset between `backward()` and the optimizer step: the step sees none"
    help = "move the reset before `backward()` (or after `step()`)"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (check gradients and parameter updates)"
    triggers = ("backward(",)

    def check_python(self, module):
        diagnostics = {}
        for training in training_loops(module):
            events = training.events
            optimizers = {e.target for e in events if e.kind == STEP}
            for index, reset in enumerate(events):
                if reset.kind != RESET:
                    continue
                backward = _previous_backward(module, events[:index], reset)
                step = _next_step(module, events[index + 1:], reset)
                if backward is None or step is None or not _same_gradients(module, reset, step, optimizers):
                    continue
                message = (f"{describe(module, reset)} clears the gradients that {describe(module, backward)} "
                           f"(line {shown_at(backward).lineno}) just computed, before {describe(module, step)} "
                           f"(line {shown_at(step).lineno}) uses them: the step sees no gradients")
                location = module.location(shown_at(reset))
                diagnostics.setdefault(location, self.diagnostic(location, message, related=[
                    Related(module.location(shown_at(backward)), "gradients computed here"),
                    Related(module.location(shown_at(step)), "and needed by this step")]))
        return list(diagnostics.values())


def _previous_backward(module, before, reset):
    for event in reversed(before):
        if event.kind == STEP:
            return None  # that backward's gradients were already used
        if event.kind == BACKWARD:
            return event if ran_before(module, event, reset) else None
    return None


def _next_step(module, after, reset):
    for event in after:
        if event.kind == BACKWARD:
            return None
        if event.kind == STEP:
            return event if runs_after(module, reset, event) else None
    return None


def _same_gradients(module, reset, step, optimizers: set[str]) -> bool:
    """Does the reset clear gradients this optimizer holds? Only when the file shows it."""
    if reset.target == step.target:
        return True
    made = constructor(module, stepped(module, step.node))
    root = reset.target.split(".")[0].split("[")[0]
    if made is not None:
        # `SGD(model.parameters())` holds what `model.zero_grad()` or `p.grad = None` for the
        # `p` of `for p in model.parameters()` clears.
        held = {n.id for n in ast.walk(made) if isinstance(n, ast.Name)} - {"self"}
        return bool(_names_behind(module, reset, root) & held)
    # Optimizer not visible: a reset of a module (not another optimizer) with one optimizer in play.
    reset_receiver = reset.node.func.value if isinstance(reset.node, ast.Call) else None
    return (len(optimizers) == 1 and reset_receiver is not None
            and role(module, reset_receiver) != OPTIMIZER and root not in ("p", "param", "self"))


def _names_behind(module, reset, root: str) -> set[str]:
    names = {root}
    bound = module.scopes.scope_of(reset.node).latest(root, reset.node.lineno + 1) if not reset.via else None
    if bound is not None and bound.kind == "for":
        names |= {n.id for n in ast.walk(bound.value) if isinstance(n, ast.Name)}
    return names
