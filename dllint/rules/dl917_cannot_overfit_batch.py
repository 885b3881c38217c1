"""DL917: the model cannot overfit a single batch (dllint.probes.check_overfit_batch)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class CannotOverfitBatch(Rule):
    """
    ## What it does
    Reported by `dllint.probes.check_overfit_batch(model, batch, loss_fn, optimizer_factory)`,
    also inside a script run by `dllint probe`. It trains a copy of the model on one
    `(inputs, targets)` batch and reports when the loss does not fall to a tenth of its start
    (or near 0) within the steps. The model, its optimizer and the random number generators are
    left exactly as they were.

    ## Why is this bad?
    Any model worth training can memorize one small batch. If it cannot, no amount of data or
    time will help: the loss does not match the output (a softmax before `CrossEntropyLoss`, a
    wrong target shape), the gradient does not reach the weights (`.detach()`, `no_grad`,
    `requires_grad=False`), or the learning rate or capacity is far off. Karpathy's recipe starts
    every project with this check.

    ## Example
    ```python
    import torch
    from torch import nn

    from dllint.probes import check_overfit_batch

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1))
    batch = (torch.randn(16, 20), torch.randint(0, 10, (16,)))
    check_overfit_batch(model, batch, nn.CrossEntropyLoss(), lambda p: torch.optim.Adam(p, lr=1e-2))
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    from dllint.probes import check_overfit_batch

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
    batch = (torch.randn(16, 20), torch.randint(0, 10, (16,)))
    check_overfit_batch(model, batch, nn.CrossEntropyLoss(), lambda p: torch.optim.Adam(p, lr=1e-2))
    ```
    """

    code = "DL917"
    name = "cannot-overfit-batch"
    severity = Severity.WARNING
    summary = "The single-batch overfit check fails to drive the loss down (runtime probe)"
    help = "check the loss against the model's output, that gradients reach the weights, the learning rate"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.3 architecture, 3.7 loss choice)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        steps: int = field(default=200, metadata={"help": "training steps on the batch"})
        max_final_fraction: float = field(default=0.1, metadata={
            "help": "the loss must fall to this share of its start"})
