"""DL902: the loss is stuck at -ln of a float's smallest value (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class LossAtUnderflowConstant(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Reports a loss that sits, step after
    step, at −ln of a common epsilon or of a dtype's smallest number: 87.3365 (float32's smallest
    normal, 1.18e-38), 103.28 (float32's smallest subnormal), 9.704 (float16's smallest normal),
    16.118 (a clamp at 1e-7), other clamp epsilons from 1e-5 to 1e-12, and 100 (BCELoss clamps
    log(0) at −100). Both the value `backward()` starts from and recognised loss functions count.

    ## Why is this bad?
    The probability of the true class underflowed to 0 and was clamped: every sample costs the
    same constant, and the clamp passes no gradient, so training is stuck for good. The field notes'
    "loss stays at 87.33" comes from this, after a learning rate too high, unnormalized inputs,
    labels that cannot be predicted, or a softmax followed by a hand-written log.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Linear(20, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    padding = torch.zeros(10, dtype=torch.bool)
    padding[0] = True  # class 0 is padding and masked out...
    for step in range(20):
        x = torch.randn(32, 20)
        y = torch.zeros(32, dtype=torch.long)  # ...but the labels were never shifted past it
        probs = model(x).masked_fill(padding, float("-inf")).softmax(dim=1)
        loss = -probs.gather(1, y[:, None]).clamp(min=1.1754943508222875e-38).log().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Linear(20, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(20):
        x = torch.randn(32, 20)
        y = (x[:, :10].argmax(dim=1))
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL902"
    name = "loss-at-underflow-constant"
    severity = Severity.ERROR
    summary = "The loss is stuck at -ln of a float's smallest value, e.g. 87.3365 (runtime probe)"
    help = "compute the loss from logits (F.cross_entropy, BCEWithLogitsLoss); check labels, learning rate, inputs"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (2.1 loss constant at 87.33)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        steps: int = field(default=5, metadata={"help": "consecutive steps at the constant before it counts"})
        tolerance: float = field(default=1e-3, metadata={"help": "relative distance from the constant"})
