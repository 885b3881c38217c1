"""DL202: sigmoid output given to a BCE loss that applies the sigmoid itself."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.activation_values import Act
from dllint.facts.losses import loss_calls
from dllint.facts.model_index import Site, TracedSites


class SigmoidIntoBceWithLogits(TracedSites, Rule):
    """
    ## What it does
    Finds the output of a sigmoid reaching the input of `nn.BCEWithLogitsLoss` or
    `F.binary_cross_entropy_with_logits`: `torch.sigmoid`/`F.sigmoid`/`x.sigmoid()`, an
    `nn.Sigmoid` module (also the last module of an `nn.Sequential`), or a model whose `forward`
    returns one, in the same file or in another project file. The value is followed as for DL201:
    assignments, unpacking, dict items (`out["exist"]`), `.view()` chains, `self.criterion` set in
    `__init__`, one level of calls into functions of the same file.

    Silent when the sigmoid is used for metrics, thresholds or logging (`preds = torch.sigmoid(
    logits.detach()) > 0.5`) while the loss gets the raw logits; in a focal loss that computes
    `p = torch.sigmoid(x)` for its modulating factor and passes the raw `x` to
    `binary_cross_entropy_with_logits`; for a sigmoid `target` (soft labels from a teacher); for a
    model that applies the sigmoid only at inference (`if not self.training:`); and whenever the
    origin of the input is not visible.

    ## Why is this bad?
    `BCEWithLogitsLoss` applies the sigmoid itself (that is what makes it numerically stable).
    Given probabilities it computes `sigmoid(sigmoid(x))`, which lies in [0.5, 0.73]: no sample
    can be predicted negative, the loss cannot fall below 0.31 for a positive and 0.69 for a
    negative (the field notes' "loss stays around 0.69"), and the gradients are a fraction of
    what they should be.

    ## Example
    ```python
    import torch
    import torch.nn as nn

    criterion = nn.BCEWithLogitsLoss()
    for images, masks in loader:
        probs = torch.sigmoid(model(images))
        loss = criterion(probs, masks)
    ```

    ## Use instead
    ```python
    import torch
    import torch.nn as nn

    criterion = nn.BCEWithLogitsLoss()
    for images, masks in loader:
        logits = model(images)
        loss = criterion(logits, masks)
        probs = torch.sigmoid(logits.detach())
    ```
    """

    code = "DL202"
    name = "sigmoid-into-bce-with-logits"
    severity = Severity.ERROR
    summary = "Sigmoid output passed to a BCE-with-logits loss that applies the sigmoid itself"
    help = "pass the raw logits to `BCEWithLogitsLoss`, or keep the sigmoid and use `BCELoss`"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.7 choosing the appropriate loss function)"
    triggers = ("with_logits", "WithLogits", "igmoid")

    def sites(self, module):
        return [Site(c.call, c.name, c.input) for c in loss_calls(module) if c.family == "bce_with_logits"]

    def wanted(self, value):
        return value.act is Act.SIGMOID

    def report(self, hit):
        message = (f"{hit.site} applies the sigmoid itself, but gets {hit.describe()}: the sigmoid twice "
                   "squeezes every prediction into [0.5, 0.73]")
        related = hit.related_to_origin("the sigmoid is applied here")
        return self.diagnostic(hit.location, message, related=related)
