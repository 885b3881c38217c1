"""DL916: weight decay pulls harder than the data gradient (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class RegularizationDominates(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). For optimizers that add weight decay
    to the gradient (SGD, Adam, RMSprop, Adagrad and the other torch optimizers without decoupled
    decay), measures the decay term wd·‖w‖ against the data gradient ‖g‖ of each parameter group
    on the first sampled steps, and reports a median ratio above 1 when the loss is not falling
    well either. Decoupled decay (AdamW, `decoupled_weight_decay=True`) never enters the gradient,
    and optimizers dllint does not know are not judged. Only the first steps count: near any
    minimum the two balance by definition.

    ## Why is this bad?
    When the decay term is larger than the data gradient from the start, the optimizer mostly
    shrinks the weights: the loss stalls high and the model underfits, which looks like a capacity
    or data problem. The field notes list excessive regularization among the causes of a loss
    that will not decrease; this measures it instead of guessing from the number.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=2.0)
    for step in range(40):
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
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=5e-4)
    for step in range(40):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL916"
    name = "regularization-dominates"
    severity = Severity.WARNING
    summary = "The weight-decay term outweighs the data gradient: too much weight decay, measured (runtime probe)"
    help = "lower the weight decay (1e-4 to 5e-4 for SGD/Adam) or use AdamW's decoupled decay"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.6 excessive regularization)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        max_ratio: float = field(default=1.0, metadata={"help": "largest healthy wd*||w|| / ||grad||"})
        checks: int = field(default=3, metadata={"help": "first sampled steps whose median is judged"})
