"""DL201: probabilities (or log-probabilities) given to a loss that applies log_softmax itself."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.activation_values import Act
from dllint.facts.losses import loss_calls
from dllint.facts.model_index import Site, TracedSites

HELP = "pass the raw logits: `CrossEntropyLoss` applies `log_softmax` itself (keep softmax for predictions)"


class SoftmaxIntoCrossEntropy(TracedSites, Rule):
    """
    ## What it does
    Finds the output of a softmax reaching the input of `nn.CrossEntropyLoss` or
    `F.cross_entropy`: `F.softmax`/`torch.softmax`/`x.softmax(dim)`, an `nn.Softmax` module
    (also as the last module of an `nn.Sequential`), and a model whose `forward` returns one -
    in the same file, or defined in another project file (`model = Net()` with `Net` imported from
    `models/net.py`). It follows the value through assignments, tuple unpacking, dict items,
    `.view()`/`.float()` chains, `self(x)` in a Lightning module, loss objects kept in
    `self.criterion`, and one level of calls into functions of the same file. `log_softmax`
    output is reported as a warning: the loss applies it a second time, which changes nothing
    but says the code is unsure which loss it feeds.

    Silent when the softmax is computed for metrics, logging or decoding after the loss, for the
    `target` (soft labels, distillation), for a model that returns softmax only at inference
    (`if not self.training:`), and whenever the input's origin is not visible.

    ## Why is this bad?
    `CrossEntropyLoss` computes `log_softmax` of its input. Given probabilities, it computes
    `log_softmax(softmax(x))`: the loss cannot go below ln(e + C - 1) - 1 (1.46 for 10 classes,
    0.31 for 2) however right the model is, the gradients are scaled down by the softmax's
    Jacobian, and training crawls or stalls on a plateau (field notes: "loss not decreasing")
    without any error.

    ## Example
    ```python
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(784, 10)

        def forward(self, x):
            return F.softmax(self.fc(x), dim=1)

    model = Net()
    criterion = nn.CrossEntropyLoss()
    for images, labels in loader:
        loss = criterion(model(images), labels)
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(784, 10)

        def forward(self, x):
            return self.fc(x)

    model = Net()
    criterion = nn.CrossEntropyLoss()
    for images, labels in loader:
        logits = model(images)
        loss = criterion(logits, labels)
        probabilities = logits.softmax(dim=1)
    ```
    """

    code = "DL201"
    name = "softmax-into-cross-entropy"
    severity = Severity.ERROR
    summary = "Softmax output passed to a cross-entropy loss that applies log_softmax itself"
    help = HELP
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.7 choosing the appropriate loss function)"
    # Few and short, each scanned in every file: "ntropy" is `cross_entropy` and `CrossEntropyLoss`,
    # "oftmax" every softmax (the model's file may have no loss in it).
    triggers = ("ntropy", "oftmax")

    def sites(self, module):
        return [Site(c.call, c.name, c.input) for c in loss_calls(module) if c.family == "cross_entropy"]

    def wanted(self, value):
        return value.act in (Act.SOFTMAX, Act.LOG_SOFTMAX, Act.LOG_PROBS)

    def report(self, hit):
        related = hit.related_to_origin("the softmax is applied here")
        if hit.value.act is Act.SOFTMAX:
            message = (f"{hit.site} applies `log_softmax` itself, but gets {hit.describe()}: "
                       "the loss plateaus and its gradients vanish")
            return self.diagnostic(hit.location, message, related=related)
        message = (f"{hit.site} applies `log_softmax` itself, and gets {hit.describe()}: applied twice it "
                   "changes nothing; pass the logits (or use `nll_loss` on log-probabilities)")
        return self.diagnostic(hit.location, message, severity=Severity.WARNING, related=related)
