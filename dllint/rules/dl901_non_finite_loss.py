"""DL901: the training loss became NaN or infinite (runtime probe)."""

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class NonFiniteLoss(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Reports the first optimizer step at
    which the loss that `backward()` started from, or a recognised loss function's value, was NaN
    or infinite, and names the first layer whose output went non-finite in that forward pass
    (sampled steps), or says that every layer was finite and the loss itself made it.
    Everything after that step is a consequence, so the other probes only judge the steps before.

    ## Why is this bad?
    One NaN poisons every weight at the next update; the run continues, printing `nan`, and
    wastes the rest of its budget. The cause is usually a learning rate too high, the log or
    division of 0 in a hand-written loss, NaN in the data, or float16 without a GradScaler.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.randn(64, 8) * 40
    y = (x[:, :1] > 0).float()
    for step in range(20):
        p = model(x)
        loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()  # log(0) once p saturates
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.randn(64, 8)
    y = (x[:, :1] > 0).float()
    for step in range(20):
        loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL901"
    name = "non-finite-loss"
    severity = Severity.ERROR
    summary = "The training loss became NaN or infinite (runtime probe)"
    help = "lower the learning rate, compute the loss from logits, check the data for NaN, use GradScaler with float16"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (1.1 divergence)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True
