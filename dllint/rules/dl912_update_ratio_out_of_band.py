"""DL912: the weights move too much or too little per step (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class UpdateRatioOutOfBand(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled steps of the first few
    hundred, measures each parameter group's update/weight ratio ‖Δw‖/‖w‖ over its weight matrices
    and kernels (biases and norm scales start at 0 or 1 and say little) and reports a median log10
    above −1 (each step moves the weights by over a tenth of themselves) or below −4 (they hardly
    move). "Too low" is not reported while a warm-up schedule is raising the learning rate, nor
    while the loss is falling anyway; a group with a learning rate of 0 is DL911's.

    ## Why is this bad?
    The ratio is the most direct measure of a learning rate: about 1e-3 is healthy (Karpathy's
    rule of thumb, the cs231n monitors). Far above, training is chaotic and diverges; far below,
    it crawls and looks like a plateau. It works for any optimizer, including adaptive ones whose
    effective step the learning rate alone does not show.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=50.0)
    for step in range(30):
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
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for step in range(30):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL912"
    name = "update-ratio-out-of-band"
    severity = Severity.WARNING
    summary = "Median update/weight ratio outside 10^[-4, -1]: learning rate too high or too low (runtime probe)"
    help = "scale the learning rate so that weights move by about 1e-3 of their norm per step"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.2 improperly set learning rate)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        min_log10_ratio: float = field(default=-4.0, metadata={"help": "lowest healthy log10 update/weight ratio"})
        max_log10_ratio: float = field(default=-1.0, metadata={"help": "highest healthy log10 update/weight ratio"})
        min_checks: int = field(default=3, metadata={"help": "sampled steps needed to judge"})
        max_step: int = field(default=500, metadata={"help": "only steps before this one count (early training)"})
