"""DL905: the loss hardly falls in the first window after warm-up (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class LossPlateau(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Compares a recognised loss function
    just after the warm-up with its value at the last step seen, once at least a window of steps
    (100 by default) has passed, and reports a decrease smaller than 5 %: a loss that never fell.
    A slow start that falls later is fine. It stays silent while a warm-up schedule is still
    raising the learning rate, for a loss already near 0, for a loss stuck at chance or at an
    underflow constant (DL902, DL903 say more), and for runs with several optimizers taking turns.

    ## Why is this bad?
    In the first hundred steps a healthy run's loss falls visibly. A flat loss means the
    optimisation is not working: a learning rate far too low (or too high), unnormalized inputs,
    labels that do not match the inputs, too much regularization, or a model too small.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-5)
    for step in range(130):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(130):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL905"
    name = "loss-plateau"
    severity = Severity.WARNING
    summary = "From the warm-up to the last step seen the loss falls less than 5 % (runtime probe)"
    help = "check the learning rate first, then input normalization, labels and regularization"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (2 loss not decreasing; 3.2, 3.8)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        warmup_steps: int = field(default=20, metadata={"help": "steps ignored at the start"})
        window: int = field(default=100, metadata={"help": "steps after warm-up needed before judging"})
        min_decrease: float = field(default=0.05, metadata={"help": "least relative decrease over the window"})
