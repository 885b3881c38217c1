"""DL910: a parameter gets gradients but no optimizer holds it (runtime probe)."""

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class ParameterNotInOptimizer(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Reports, at the optimizer's line,
    the trainable parameters of a model being trained that receive gradients but belong to no
    optimizer that steps. Parameters that change anyway (updated by hand, `p -= lr * p.grad`) and
    models with no parameter in any optimizer (updated some other way) are left alone.

    ## Why is this bad?
    Those weights never learn. The classic cause is replacing a layer (a new classification head
    for fine-tuning) after the optimizer was built from `model.parameters()`: the optimizer keeps
    updating the old, unused head. Or the optimizer was given only some layers while the others
    were meant to be frozen but still compute gradients (set `requires_grad=False` to freeze).

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model[2] = nn.Linear(32, 2)  # the new head comes after the optimizer
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

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 10))
    model[2] = nn.Linear(32, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(10):
        x = torch.randn(16, 10)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL910"
    name = "parameter-not-in-optimizer"
    severity = Severity.WARNING
    summary = "A trainable parameter gets gradients but no optimizer updates it (runtime probe)"
    help = "build the optimizer after the model is final, pass it every trainable parameter, or freeze the rest"
    origin = "Pytorch: checking parameter gradients and updates (field notes, loss issues links)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True
