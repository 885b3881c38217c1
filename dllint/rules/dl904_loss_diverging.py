"""DL904: the loss climbs back above twice its best value (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class LossDiverging(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Averages a recognised loss function
    (cross-entropy, MSE, L1, ...) over windows of steps after the warm-up and reports it when two
    windows in a row are more than twice the best window so far, or when it rises for several
    windows in a row. Hand-written objectives (reinforcement learning, contrastive, adversarial
    losses) and runs with several optimizers taking turns are left alone: they are not expected
    to fall steadily.

    ## Why is this bad?
    A loss that turns around and climbs is diverging: a learning rate too high, or a schedule
    that raises it, exploding gradients, or a bad stretch of data. The field notes' first cause of
    non-convergence is a learning rate high enough for the loss to jump up suddenly.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=1.1)  # meant 0.9
    for step in range(60):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.99)
    for step in range(60):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    ```
    """

    code = "DL904"
    name = "loss-diverging"
    severity = Severity.ERROR
    summary = "After warm-up the loss climbs above twice its best value, or keeps rising (runtime probe)"
    help = "lower the learning rate (check the schedule), clip gradients, look for bad batches"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (1.1 high learning rate: divergence)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        warmup_steps: int = field(default=20, metadata={"help": "steps ignored at the start"})
        window: int = field(default=10, metadata={"help": "steps averaged into one smoothed value"})
        factor: float = field(default=2.0, metadata={
            "help": "a smoothed value this many times the best so far diverges"})
        rising_checks: int = field(default=5, metadata={"help": "smoothed values rising in a row that diverge"})
        min_rise: float = field(default=0.25, metadata={"help": "least total rise over those values (0.25 = 25 %)"})
