"""DL907: gradients blow up (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class ExplodingGradients(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled steps, just before
    `optimizer.step()`, reads each parameter's gradient and reports: a non-finite gradient while the
    loss was still finite; a global gradient norm above a bound at two checks; a norm that grows
    more than twice per check several checks in a row; or a GradScaler that skips many steps in a
    row once training has started (a few skips at the start only calibrate the loss scale, and one
    now and then is how mixed precision works).

    ## Why is this bad?
    Exploding gradients throw the weights far away in one step: the loss jumps, then turns NaN.
    The usual causes are a learning rate too high, a deep network without normalization or with a
    bad init, recurrent networks without gradient clipping, and float16 overflow.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    layers = [nn.Linear(64, 64) for _ in range(6)]
    for layer in layers:
        nn.init.normal_(layer.weight, std=1.0)  # Kaiming would be std=0.18
    model = nn.Sequential(*[m for layer in layers for m in (layer, nn.ReLU())], nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    for step in range(40):
        x = torch.randn(32, 64)
        y = torch.randint(0, 10, (32,))
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
    layers = [nn.Linear(64, 64) for _ in range(6)]
    for layer in layers:
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    model = nn.Sequential(*[m for layer in layers for m in (layer, nn.ReLU())], nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
    for step in range(40):
        x = torch.randn(32, 64)
        y = torch.randint(0, 10, (32,))
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    ```
    """

    code = "DL907"
    name = "exploding-gradients"
    severity = Severity.ERROR
    summary = "Non-finite or exploding gradients, or GradScaler skipping many steps in a row (runtime probe)"
    help = "lower the learning rate, clip gradients (clip_grad_norm_), fix the init, add normalization"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (1.1 divergence, 3.2 learning rate)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        max_norm: float = field(default=1e5, metadata={"help": "global gradient norm above which it explodes"})
        growth: float = field(default=2.0, metadata={"help": "growth per check that counts as exploding"})
        growth_checks: int = field(default=3, metadata={"help": "checks in a row growing that fast"})
        max_skipped_steps: int = field(default=5, metadata={
            "help": "GradScaler skips in a row, after the first successful step, that mean real inf/NaN"})
