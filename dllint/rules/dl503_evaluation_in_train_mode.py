"""DL503: evaluation runs a model with Dropout/BatchNorm in train mode."""

from __future__ import annotations

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.evaluation import MODEL_CALL_TRIGGERS, grad_enabled_at, mode_at, model_calls, regions
from dllint.facts.loop_events import TRAIN
from dllint.facts.model_layers import mode_layers


class EvaluationInTrainMode(Rule):
    """
    ## What it does
    Finds evaluation code - a function named `evaluate`/`validate`/`test`/`eval_epoch`, a loop
    over a validation or test loader, or a function computing a metric - that calls a model
    holding Dropout or BatchNorm while the model is in train mode: nothing called `.eval()`
    (or `.train(False)`) before, in the function or in every caller of the same file, or a
    `.train()` came after it. It follows loops: `.eval()` before an epoch loop whose body calls
    `.train()` leaves the second epoch's validation in train mode.

    `torch.no_grad()` does not count: it stops gradient tracking, not dropout or batch-norm
    statistics. Silent for Lightning's `validation_step`/`test_step` (Lightning switches the
    mode), for models whose layers are not visible or hold neither Dropout nor BatchNorm, and
    for evaluation functions no code of the same file calls (the caller may switch the mode).

    ## Why is this bad?
    In train mode Dropout zeroes random activations and BatchNorm normalizes with the statistics
    of the current batch and updates its running averages with test data. Metrics come out noisy,
    lower than the model's real quality, and depend on the batch size.

    ## Example
    ```python
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))

        def forward(self, x):
            return self.body(x)

    def evaluate(model, loader):
        correct = 0
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum().item()
        return correct / len(loader.dataset)

    model = Net()
    print(evaluate(model, val_loader))
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2))

        def forward(self, x):
            return self.body(x)

    def evaluate(model, loader):
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum().item()
        return correct / len(loader.dataset)

    model = Net()
    print(evaluate(model, val_loader))
    ```
    """

    code = "DL503"
    name = "evaluation-in-train-mode"
    severity = Severity.WARNING
    summary = "Evaluation runs a model with Dropout/BatchNorm in train mode"
    help = "call `model.eval()` before evaluating (and `model.train()` before training again)"
    origin = "Summary of Deep Learning Project Experience (8. model evaluation)"
    # Evaluation matters only where a model is called: names such as `model`, `net`, `encoder`.
    triggers = MODEL_CALL_TRIGGERS

    def check_python(self, module):
        diagnostics = []
        for region in regions(module):
            for call in model_calls(module, region):
                layers = mode_layers(module, call.func)
                if not layers.mode_dependent:
                    continue
                model = module.segment(call.func)
                state = mode_at(module, call, model)
                if state is None or state[0] != TRAIN:
                    continue
                _, switched = state
                why = (f"`{module.segment(switched)}` (line {switched.lineno}) left it in train mode" if switched
                       else f"nothing calls `{model}.eval()` before")
                message = (f"`{model}` runs in train mode in evaluation code ({region.why}): {why}, and it holds "
                           f"{layers.evidence}, whose output changes in train mode")
                if grad_enabled_at(module, call) is False:
                    message += "; `no_grad` stops gradients but does not switch Dropout/BatchNorm to eval mode"
                related = [Related(module.location(switched), "train mode set here")] if switched else []
                diagnostics.append(self.diagnostic(module.location(call), message, related=related))
                break  # one finding per region: the first model call
        return diagnostics
