"""DL913: most units of a ReLU layer are dead (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class DeadRelu(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled training steps counts, for
    each `nn.ReLU`/`nn.ReLU6` call, the units (features, or channels of a convolution) that output
    0 for every sample of the batch, and reports a layer where they are 70 % or more at the last
    checks. A ReLU module reused several times in one forward pass is judged per call; batches
    with fewer than 8 values per unit are not judged.

    ## Why is this bad?
    A dead unit gets no gradient and never comes back: the layer shrinks to a fraction of its
    width, or the whole network outputs a constant (a loss parked at 0.69). The usual causes are a
    learning rate too high, a large negative bias, unnormalized inputs or a poor init.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    hidden = nn.Linear(10, 64)
    nn.init.constant_(hidden.bias, -2.0)
    model = nn.Sequential(hidden, nn.ReLU(), nn.Linear(64, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for step in range(20):
        x = torch.randn(64, 10)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for step in range(20):
        x = torch.randn(64, 10)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL913"
    name = "dead-relu"
    severity = Severity.WARNING
    summary = "70 % or more of a ReLU layer's units output 0 for the whole batch (runtime probe)"
    help = "lower the learning rate, fix the bias init, normalize inputs, or use LeakyReLU/GELU"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (2.2 loss stays around 0.69, 3.3 architecture)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        max_dead_fraction: float = field(default=0.7, metadata={
            "help": "share of dead units from which it is reported"})
        checks: int = field(default=2, metadata={"help": "last sampled steps that must all show it"})
