"""DL203: raw scores (logits) given to a BCE loss that expects probabilities."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.activation_values import Act
from dllint.facts.losses import loss_calls
from dllint.facts.model_index import Site, TracedSites

LOG_PROBABILITIES = (Act.LOG_SOFTMAX, Act.LOG_SIGMOID, Act.LOG_PROBS)


class BceOnLogits(TracedSites, Rule):
    """
    ## What it does
    Finds `nn.BCELoss` or `F.binary_cross_entropy` applied to values that are not probabilities:
    the output of a linear or convolutional layer (`self.fc(x)` with `self.fc = nn.Linear(...)`,
    an `nn.Sequential` that ends in one, a model whose `forward` returns one - also defined in
    another project file), or log-probabilities (`log_softmax`, `logsigmoid`). Values are
    followed as for DL201.

    Silent when a sigmoid (or softmax) is applied on the way, when the model applies it only in
    some branches, and whenever the origin of the input is not visible: a bare `model(x)` of a
    library model says nothing about its last layer.

    ## Why is this bad?
    `BCELoss` takes probabilities in [0, 1] and computes `log(p)` and `log(1 - p)`. Raw scores
    make it fail at run time ("all elements of input should be between 0 and 1") or, clamped
    into range, train on a distorted loss; and even with a sigmoid added, `BCELoss` clamps its
    logs at -100, where the 100 loss plateau comes from. `BCEWithLogitsLoss` takes the logits
    and is stable.

    ## Example
    ```python
    import torch.nn as nn

    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1))
    criterion = nn.BCELoss()
    for features, labels in loader:
        loss = criterion(model(features).squeeze(1), labels.float())
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1))
    criterion = nn.BCEWithLogitsLoss()
    for features, labels in loader:
        loss = criterion(model(features).squeeze(1), labels.float())
    ```
    """

    code = "DL203"
    name = "bce-on-logits"
    severity = Severity.WARNING
    summary = "BCELoss applied to outputs that are not probabilities"
    help = "use `BCEWithLogitsLoss` on the raw logits (stable), or apply `torch.sigmoid` before `BCELoss`"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.7 choosing the appropriate loss function)"
    # The model's file may have no loss in it: a linear or convolutional last layer.
    triggers = ("BCELoss", "binary_cross_entropy", "Linear", "Conv")

    def sites(self, module):
        return [Site(c.call, c.name, c.input) for c in loss_calls(module) if c.family == "bce"]

    def wanted(self, value):
        return value.act is Act.LOGITS or value.act in LOG_PROBABILITIES

    def report(self, hit):
        message = f"{hit.site} needs probabilities in [0, 1], but gets {hit.describe()}"
        related = hit.related_to_origin("the values are made here")
        return self.diagnostic(hit.location, message, related=related)
