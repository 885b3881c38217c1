"""DL906: the very first loss is far from ln C (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class InitialLossOff(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Reads the first training value of a
    cross-entropy, NLL or binary cross-entropy loss and reports it when |L0 − ln C| ≥ ln C, C being
    the number of classes of the scores (2 per element for binary losses): a loss of twice the
    chance level or more, or a negative one. A model resumed from a checkpoint starts lower than
    ln C, which is fine.

    ## Why is this bad?
    A freshly initialised classifier predicts roughly uniform probabilities, so its first loss is
    about ln C (2.303 for 10 classes). Far above means the initial logits are huge: inputs not
    normalized, a bad init or output scale; a negative loss means NLLLoss got raw scores instead
    of log-probabilities. Either way the first steps are spent undoing the start, or never do.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    for step in range(10):
        images = torch.randint(0, 256, (32, 3, 8, 8)).float()  # raw pixel values
        labels = torch.randint(0, 10, (32,))
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
    for step in range(10):
        images = torch.randint(0, 256, (32, 3, 8, 8)).float() / 255
        images = (images - 0.5) / 0.25
        labels = torch.randint(0, 10, (32,))
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL906"
    name = "initial-loss-off"
    severity = Severity.WARNING
    summary = "The first classification loss is far from ln C: bad init, raw inputs or wrong loss input (runtime probe)"
    help = "normalize the inputs, check the init and output scale, give the loss logits (NLLLoss: log-probabilities)"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.3 network architecture, 3.5 normalization)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        factor: float = field(default=1.0, metadata={"help": "report when |L0 - ln C| >= factor * ln C"})
