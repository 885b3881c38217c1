"""DL911: a parameter in an optimizer has gradients but does not change (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class ParameterNotUpdating(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled steps compares each
    parameter before and after `optimizer.step()` and reports, per parameter group, those that had
    a non-zero finite gradient and yet were exactly unchanged at every check.

    ## Why is this bad?
    The optimizer holds them and they get gradients, but they do not learn. Typical causes: a
    learning rate of 0 in their parameter group, or weights kept in bfloat16/float16 where an
    update smaller than the weight's precision rounds away to nothing (keep float32 master
    weights and use autocast for mixed precision).

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).to(torch.bfloat16)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    for step in range(30):
        x = torch.randn(64, 16, dtype=torch.bfloat16)
        y = x[:, :4].float().argmax(dim=1)
        loss = nn.functional.cross_entropy(model(x).float(), y)
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
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
    for step in range(30):
        x = torch.randn(64, 16)
        y = x[:, :4].argmax(dim=1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(x)
        loss = nn.functional.cross_entropy(logits.float(), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL911"
    name = "parameter-not-updating"
    severity = Severity.WARNING
    summary = "A parameter in an optimizer has gradients but is unchanged after step() (runtime probe)"
    help = "check its group's learning rate; keep float32 master weights with autocast instead of bf16/fp16 weights"
    origin = "Pytorch: checking parameter gradients and updates (field notes, loss issues links)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        min_checks: int = field(default=3, metadata={"help": "sampled steps unchanged before it counts"})
