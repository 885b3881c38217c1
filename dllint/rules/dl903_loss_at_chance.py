"""DL903: after warm-up the loss stays at the chance level (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class LossAtChance(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). For cross-entropy, NLL and binary
    cross-entropy losses, reports a loss that after the warm-up steps stays within the tolerance
    of ln C (0.6931 for two classes: every class predicted as equally likely) or of the entropy
    of the labels seen (the model predicts only the class frequencies). Only a run with a single
    optimizer is judged: a GAN's discriminator sits near chance by design.

    ## Why is this bad?
    The model ignores its input. The field notes' "loss consistently stays around 0.69" has the
    usual causes: labels that do not match the inputs (shuffled apart), dead ReLUs after a
    learning rate too high, unnormalized inputs, or a learning rate too low to move.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(60):
        pixels = torch.randint(0, 256, (64, 64), dtype=torch.uint8)
        y = (pixels.float().mean(dim=1, keepdim=True) > 127.5).float()
        x = (pixels // 255).float()  # integer division: almost every input is 0
        loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(60):
        pixels = torch.randint(0, 256, (64, 64), dtype=torch.uint8)
        y = (pixels.float().mean(dim=1, keepdim=True) > 127.5).float()
        x = (pixels.float() / 255 - 0.5) / 0.29
        loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL903"
    name = "loss-at-chance"
    severity = Severity.WARNING
    summary = "After warm-up the loss stays at ln C or the label entropy: the model ignores its input (runtime probe)"
    help = "check that labels match inputs, input normalization, dead ReLUs and the learning rate"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (2.2 loss stays around 0.69)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        warmup_steps: int = field(default=20, metadata={"help": "steps ignored at the start"})
        tolerance: float = field(default=1e-3, metadata={"help": "distance from ln C or the label entropy"})
        min_steps: int = field(default=20, metadata={"help": "steps after warm-up needed to judge"})
