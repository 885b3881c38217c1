"""DL508: the learning-rate scheduler steps before the optimizer in the same pass."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.loop_events import SCHEDULE, STEP, runs_after
from dllint.facts.training_loop import describe, loops_reaching_backward, shown_at


class SchedulerStepBeforeOptimizerStep(Rule):
    """
    ## What it does
    Finds `scheduler.step()` (a `torch.optim.lr_scheduler` object, or anything named or built as
    a learning-rate scheduler) that runs before `optimizer.step()` in the same pass of a training
    loop: at the top of the epoch loop before `train_one_epoch()`, or before the step in the
    batch loop. Steps inside same-file functions count where they are called.

    Silent when the scheduler steps after the optimizer, under a condition on the loop variable
    that skips the first pass (`if epoch > 0:`), and for diffusion noise schedulers, whose
    `step(output, t, sample)` has nothing to do with learning rates.

    ## Why is this bad?
    Since PyTorch 1.1 the scheduler must step after the optimizer. Stepping first skips the first
    value of the schedule: warm-up starts late, a step decay comes one epoch early, and a
    one-cycle schedule is shifted (PyTorch warns once at run time, easy to miss in the logs).

    ## Example
    ```python
    for epoch in range(epochs):
        scheduler.step()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        scheduler.step()
    ```
    """

    code = "DL508"
    name = "scheduler-step-before-optimizer-step"
    severity = Severity.WARNING
    summary = "`scheduler.step()` runs before `optimizer.step()` in the same iteration"
    help = "call `scheduler.step()` after `optimizer.step()` (per batch or at the end of the epoch)"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.2 improperly set learning rate)"
    triggers = ("sched",)

    def check_python(self, module):
        found = {}
        for loop, events in loops_reaching_backward(module):
            for index, schedule in enumerate(events):
                # Steps inside a nested loop are judged with that loop.
                if schedule.kind != SCHEDULE or schedule.loops or _skips_first_pass(module, schedule, loop):
                    continue
                earlier = [e for e in events[:index] if e.kind == STEP]
                step = next((e for e in events[index + 1:] if e.kind == STEP), None)
                if earlier or step is None or not runs_after(module, schedule, step):
                    continue
                location = module.location(shown_at(schedule))
                message = (f"{describe(module, schedule)} runs before {describe(module, step)} "
                           f"(line {shown_at(step).lineno}) in each pass of this loop (line {loop.lineno}): "
                           "the first value of the schedule is skipped")
                found.setdefault(location, self.diagnostic(location, message, related=[
                    Related(module.location(shown_at(step)), "the optimizer steps here")]))
        return list(found.values())


def _skips_first_pass(module, schedule, loop) -> bool:
    """`if epoch > 0: scheduler.step()`: a condition on the loop variable."""
    if not schedule.conds or isinstance(loop, ast.While):
        return isinstance(loop, ast.While) and bool(schedule.conds)
    variables = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    node = module.parents.get(shown_at(schedule))
    while node is not None and node is not loop:
        if isinstance(node, ast.If) and any(isinstance(n, ast.Name) and n.id in variables
                                            for n in ast.walk(node.test)):
            return True
        node = module.parents.get(node)
    return False
