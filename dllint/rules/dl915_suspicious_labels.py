"""DL915: targets that cannot be right for the loss, or heavy class imbalance (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class SuspiciousLabels(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). Reads the targets given to
    cross-entropy, NLL and binary cross-entropy losses. Errors: class indices outside [0, C)
    (often 1-based labels), float targets where class indices are expected, soft targets outside
    [0, 1], and binary targets outside [0, 1] (±1 labels, which `binary_cross_entropy_with_logits`
    accepts silently). Targets are checked on sampled steps before the loss runs, and on any step
    where the loss fails, so the report names the labels even when the script then crashes. As
    info: heavy class imbalance in the sampled labels (one label per sample) when the loss has no
    class weights or `pos_weight`.

    ## Why is this bad?
    Out-of-range labels crash on CPU with a terse message and on CUDA with an opaque device-side
    assert; ±1 labels with BCE silently train towards the wrong optimum (the loss can go negative).
    With heavy imbalance a model predicting the majority class looks accurate and learns little.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Linear(20, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(10):
        x = torch.randn(32, 20)
        digits = torch.randint(1, 11, (32,))  # labels 1..10 from the dataset file
        loss = nn.functional.cross_entropy(model(x), digits)
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
    for step in range(10):
        x = torch.randn(32, 20)
        digits = torch.randint(1, 11, (32,))
        loss = nn.functional.cross_entropy(model(x), digits - 1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL915"
    name = "suspicious-labels"
    severity = Severity.ERROR
    summary = "Targets outside [0, C), float class targets, or ±1 binary targets; info: heavy imbalance (runtime probe)"
    help = "map labels to 0..C-1 (or 0/1), use .long() class indices; weight or resample imbalanced classes"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.1 data and labels, 3.4 label settings)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        imbalance_ratio: float = field(default=10.0, metadata={
            "help": "most frequent / rarest class count from which imbalance is reported (info)"})
        min_labels: int = field(default=200, metadata={"help": "sampled labels needed to judge imbalance"})
