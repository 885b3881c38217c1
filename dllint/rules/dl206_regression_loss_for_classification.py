"""DL206: a regression loss between probabilities and class labels."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.activation_values import PROBABILITIES, Act
from dllint.facts.activations import activation_of
from dllint.facts.bindings import last_name
from dllint.facts.kinds import Kind, quote
from dllint.facts.local_bindings import binding
from dllint.facts.losses import loss_calls
from dllint.facts.model_index import Site, TracedSites
from dllint.facts.values import kind_of

ONE_HOT = {"one_hot", "to_categorical", "label_binarize"}
# Casts and reshapes that keep labels labels (`F.one_hot(y, 10).float()`).
KEEPS = {"float", "double", "half", "to", "type", "view", "reshape", "squeeze", "unsqueeze", "cuda", "cpu",
         "type_as", "flatten"}


class RegressionLossForClassification(TracedSites, Rule):
    """
    ## What it does
    Finds `nn.MSELoss`/`nn.L1Loss` (and `F.mse_loss`, `F.l1_loss`, smooth L1, Huber) between
    softmax or sigmoid outputs and class labels: one-hot encodings (`F.one_hot`, `to_categorical`,
    `label_binarize`, `torch.eye(C)[y]`) or values the file shows to be hard labels (`argmax`,
    `(p > 0.5)`, integer casts). The outputs are followed as for DL201, also into models defined
    in other project files.

    Silent for an autoencoder that regresses pixels with a sigmoid output, for distillation that
    matches a teacher's probabilities, and whenever the target is not visibly a class label:
    a target merely named `labels` may be a regression score in [0, 1].

    ## Why is this bad?
    A squared or absolute error on probabilities has vanishing gradients exactly where the model
    is confidently wrong (the sigmoid/softmax is saturated), so classification learns slowly and
    calibrates poorly; cross-entropy's gradient there is large. Field notes 3.7: choose the loss
    that matches the task.

    ## Example
    ```python
    import torch.nn as nn
    import torch.nn.functional as F

    criterion = nn.MSELoss()
    for images, labels in loader:
        probs = F.softmax(model(images), dim=1)
        loss = criterion(probs, F.one_hot(labels, num_classes=10).float())
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    criterion = nn.CrossEntropyLoss()
    for images, labels in loader:
        loss = criterion(model(images), labels)
    ```
    """

    code = "DL206"
    name = "regression-loss-for-classification"
    severity = Severity.INFO
    summary = "Regression loss (MSE/L1) between softmax/sigmoid outputs and class labels"
    help = "use `CrossEntropyLoss` (class indices) or `BCEWithLogitsLoss` (binary or multi-label) on the logits"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.7 choosing the appropriate loss function)"
    # The model side (`softmax`/`sigmoid`) may be in another file: its summary is needed too.
    triggers = ("MSELoss", "mse_loss", "L1Loss", "l1_loss", "uberLoss", "uber_loss", "oftmax", "igmoid")

    def sites(self, module):
        found = []
        for call in loss_calls(module):
            if call.family != "regression" or call.target is None:
                continue
            # The input first: it is cached for every rule, the labels' evidence is not.
            if activation_of(module, call.input).act not in (*PROBABILITIES, Act.PARAMETER, Act.OUTPUT):
                continue
            labels = _class_labels(module, call.target)
            if labels is not None:
                found.append(Site(call.call, call.name, call.input, labels))
        return found

    def wanted(self, value):
        return value.act in PROBABILITIES

    def report(self, hit):
        message = f"{hit.site} regresses {hit.describe()} onto {hit.note}"
        related = hit.related_to_origin("the probabilities are made here")
        return self.diagnostic(hit.location, message, related=related)


def _class_labels(module, expr: ast.expr, hops: int = 0) -> str | None:
    """How the file shows `expr` holds class labels; None when it does not."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in KEEPS:
        expr = expr.func.value
    if isinstance(expr, ast.Call) and last_name(expr.func) in ONE_HOT:
        return f"one-hot labels `{quote(module, expr)}`"
    base = expr
    while isinstance(base, ast.Subscript):
        base = base.value
    if base is not expr and isinstance(base, ast.Call) and last_name(base.func) == "eye":  # `torch.eye(C)[y]`
        return f"one-hot labels `{quote(module, expr)}`"
    if isinstance(expr, ast.Name) and hops < 4:
        bound = binding(module, expr.id, expr)
        if bound is not None and bound.kind == "assign" and not bound.unpack and bound.value is not None:
            return _class_labels(module, bound.value, hops + 1)
    value = kind_of(module, expr)
    return f"hard labels `{quote(module, expr)}`" if value.kind is Kind.HARD_LABELS else None
