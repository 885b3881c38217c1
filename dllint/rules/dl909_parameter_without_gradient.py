"""DL909: a trainable parameter never gets a gradient (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class ParameterWithoutGradient(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled steps, before each
    `optimizer.step()`, checks the trainable parameters an optimizer holds in the models the script
    calls, and reports those whose `.grad` was None at every check, grouped by the line that
    created the layer. A model none of whose parameters gets a gradient (a frozen teacher, a target
    network, an EMA copy) is not judged, nor parameters no optimizer holds (a backbone run under
    `no_grad` for a linear probe) or with `requires_grad=False`: those are frozen on purpose.

    ## Why is this bad?
    The layer is not connected to the loss: an auxiliary head that is never used, a branch run
    under `torch.no_grad()` or cut by `.detach()`, a module replaced by a copy. It costs memory and
    time, misleads whoever reads the model, and makes DistributedDataParallel fail unless
    `find_unused_parameters=True`.

    ## Example
    ```python
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
            self.head = nn.Linear(32, 2)
            self.aux_head = nn.Linear(32, 2)

        def forward(self, x):
            return self.head(self.body(x))


    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(10):
        x = torch.randn(16, 10)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
            self.head = nn.Linear(32, 2)

        def forward(self, x):
            return self.head(self.body(x))


    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(10):
        x = torch.randn(16, 10)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL909"
    name = "parameter-without-gradient"
    severity = Severity.WARNING
    summary = "A trainable parameter whose .grad stays None: an unused layer or a detached graph (runtime probe)"
    help = "remove the unused layer, connect it to the loss, or set requires_grad=False to freeze it"
    origin = "Pytorch: checking parameter gradients and updates (field notes, loss issues links)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        min_checks: int = field(default=3, metadata={"help": "sampled steps without a gradient before it counts"})
