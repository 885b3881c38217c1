"""DL505: `.eval()` inside the training loop, and training goes on in eval mode."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.evaluation import grad_enabled_at
from dllint.facts.loop_events import BACKWARD, EVAL, STEP, TRAIN
from dllint.facts.optimizer_objects import constructor, stepped
from dllint.facts.training_loop import describe, loops_reaching_backward, shown_at


class TrainModeNotRestored(Rule):
    """
    ## What it does
    Finds a switch to eval mode (`model.eval()`, `model.train(False)`, or a same-file function
    such as `evaluate(model)` that calls it) inside a loop that trains, after which the next
    training step - going round the loop - comes before any `model.train()`. Typical: validation
    every N steps inside the step loop, or at the end of each epoch, with `model.train()` only
    once before the loop.

    It stays silent when `.train()` comes first on the way round (at the top of the epoch, in
    `train_one_epoch()`, right after validation), for a train/val phase loop that picks the mode
    each pass, and for `.eval()` on a model the loop does not train (a frozen teacher, an EMA
    copy).

    ## Why is this bad?
    After the first validation the rest of training runs in eval mode: Dropout is off and
    BatchNorm stops updating its statistics and normalizes with stale running averages. The
    model overfits or trains worse, with no error, and only from the second epoch on.

    ## Example
    ```python
    model.train()
    for epoch in range(epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        model.eval()
        validate(model, val_loader)
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        model.eval()
        validate(model, val_loader)
    ```
    """

    code = "DL505"
    name = "train-mode-not-restored"
    severity = Severity.WARNING
    summary = "Model switched to eval mode inside the training loop and never back to train mode"
    help = "call `model.train()` at the start of each epoch (or right after validation)"
    origin = "Summary of Deep Learning Project Experience (7-9. training, evaluation, tuning)"
    triggers = (".eval()", ".train(False)")

    def check_python(self, module):
        found = {}
        for loop, events in loops_reaching_backward(module):
            for index, switch in enumerate(events):
                if switch.kind != EVAL or not _trained(module, switch, loop, events):
                    continue
                following = _first_after(events, index, switch)
                if following is None or following.kind != BACKWARD:
                    continue
                location = module.location(shown_at(switch))
                message = (f"{describe(module, switch)} puts `{switch.target}` in eval mode inside the training loop "
                           f"(line {loop.lineno}), and going round the loop {describe(module, following)} "
                           f"(line {shown_at(following).lineno}) trains it before any `{switch.target}.train()`: "
                           "Dropout stays off and BatchNorm stops updating")
                found.setdefault(location, self.diagnostic(location, message, related=[
                    Related(module.location(shown_at(following)), "next training step")]))
        return list(found.values())


def _root(text: str) -> str:
    return text.split(".")[0].split("[")[0].split("(")[0]


def _first_after(events, index, switch):
    """The first train switch or backward after `switch`, going round the loop once."""
    for event in events[index + 1:] + events[:index]:
        if event.kind == TRAIN and _root(event.target) == _root(switch.target):
            return event
        # A backward under a condition `switch` is not under (`if phase == "train":`) may be
        # the pass that switched back to train mode first.
        if event.kind == BACKWARD and switch.conds[:len(event.conds)] == event.conds:
            return event
    return None


def _trained(module, switch, loop, events) -> bool:
    """Is the model put in eval mode one this loop trains? Not a frozen teacher or an EMA copy."""
    root = _root(switch.target)
    if any(e.kind == TRAIN and _root(e.target) == root for e in events):
        return True
    for step in (e for e in events if e.kind == STEP and not e.via):
        made = constructor(module, stepped(module, step.node))
        if made is not None and root in {n.id for n in ast.walk(made) if isinstance(n, ast.Name)}:
            return True
    for event in events:
        # `train_one_epoch(model, ...)` trains what it is given.
        if event.kind == BACKWARD and event.via and any(
                isinstance(n, ast.Name) and n.id == root for n in ast.walk(event.site)):
            return True
    return any(isinstance(n, ast.Call) and _root(module.segment(n.func)) == root and module.segment(n.func) ==
               switch.target and grad_enabled_at(module, n) is not False for n in ast.walk(loop))
