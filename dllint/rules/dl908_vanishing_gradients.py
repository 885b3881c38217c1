"""DL908: gradients vanish before they reach a layer (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class VanishingGradients(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled steps reads each weight
    matrix's gradient and reports a layer whose mean |grad| stays below 1e-7 (median over the
    checks), or a model whose first layer gets less than 1e-3 of the last layer's gradient RMS.
    Embedding tables (most rows get no gradient in a step, by design) and frozen parameters are
    not judged, nor steps after a non-finite loss.

    ## Why is this bad?
    A layer with no gradient does not learn: the early layers of a deep sigmoid/tanh network
    without residual connections or normalization stay at their random init, and the model
    behaves like a much shallower one. An exactly zero gradient means nothing flows back at all:
    dead ReLUs after the layer, or a detached branch.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    blocks = [m for _ in range(12) for m in (nn.Linear(32, 32), nn.Sigmoid())]
    model = nn.Sequential(*blocks, nn.Linear(32, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(30):
        x = torch.randn(64, 32)
        y = (x[:, 0] > 0).long()
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
    blocks = [m for _ in range(12) for m in (nn.Linear(32, 32), nn.LayerNorm(32), nn.ReLU())]
    model = nn.Sequential(*blocks, nn.Linear(32, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(30):
        x = torch.randn(64, 32)
        y = (x[:, 0] > 0).long()
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL908"
    name = "vanishing-gradients"
    severity = Severity.WARNING
    summary = "A layer's gradient vanishes, or the first layer gets a tiny fraction of the last one's (runtime probe)"
    help = "use ReLU-family activations, residual connections, normalization layers and a fitting init"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.3 inappropriate network architecture)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        min_mean_abs_grad: float = field(default=1e-7, metadata={"help": "a layer's mean |grad| below this vanishes"})
        min_first_last_ratio: float = field(default=1e-3, metadata={
            "help": "first-layer gradient RMS divided by the last layer's, below which it vanishes"})
        min_checks: int = field(default=3, metadata={"help": "sampled steps needed to judge"})
