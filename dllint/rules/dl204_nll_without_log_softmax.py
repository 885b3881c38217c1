"""DL204: NLLLoss given probabilities or raw logits instead of log-probabilities."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.activation_values import Act
from dllint.facts.losses import loss_calls
from dllint.facts.model_index import Site, TracedSites

WANTED = (Act.SOFTMAX, Act.SIGMOID, Act.LOGITS)


class NllWithoutLogSoftmax(TracedSites, Rule):
    """
    ## What it does
    Finds `nn.NLLLoss` or `F.nll_loss` applied to values that are not log-probabilities: softmax
    or sigmoid probabilities, or the raw output of a linear or convolutional layer (directly, as
    the last module of an `nn.Sequential`, or returned by a model's `forward`, also one defined in
    another project file). Values are followed as for DL201.

    Silent for `log_softmax` outputs (the classic MNIST example), for `torch.log` of
    probabilities (DL205 reports those), when the model applies `log_softmax` only in some
    branches, and whenever the input's origin is not visible.

    ## Why is this bad?
    `NLLLoss` does no `log` and no softmax: it returns `-input[target]`. Given probabilities it
    minimizes `-p`, a loss bounded in [-1, 0] with weak gradients; given raw logits it is
    unbounded below, so the model learns to blow one score up rather than to classify.

    ## Example
    ```python
    import torch.nn as nn
    import torch.nn.functional as F

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Softmax(dim=1))
    for images, labels in loader:
        loss = F.nll_loss(model(images), labels)
    ```

    ## Use instead
    ```python
    import torch.nn as nn
    import torch.nn.functional as F

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.LogSoftmax(dim=1))
    for images, labels in loader:
        loss = F.nll_loss(model(images), labels)
    ```
    """

    code = "DL204"
    name = "nll-without-log-softmax"
    severity = Severity.ERROR
    summary = "NLLLoss applied to probabilities or raw logits instead of log-probabilities"
    help = "apply `log_softmax` before `NLLLoss`, or give the raw logits to `CrossEntropyLoss` instead"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.7 choosing the appropriate loss function)"
    triggers = ("nll_loss", "NLLLoss", "oftmax", "igmoid", "Linear", "Conv")

    def sites(self, module):
        return [Site(c.call, c.name, c.input) for c in loss_calls(module) if c.family == "nll"]

    def wanted(self, value):
        return value.act in WANTED

    def report(self, hit):
        message = f"{hit.site} needs log-probabilities (it only negates `input[target]`), but gets {hit.describe()}"
        related = hit.related_to_origin("the values are made here")
        return self.diagnostic(hit.location, message, related=related)
