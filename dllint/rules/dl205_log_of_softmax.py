"""DL205: the log of softmax or sigmoid probabilities, instead of a log-space function."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.activation_values import Act
from dllint.facts.local_bindings import function_at
from dllint.facts.log_calls import log_argument, under_log
from dllint.facts.model_index import Site, TracedSites

NO_GRAD = {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad"}
FIX = {Act.SOFTMAX: "`F.log_softmax(x, dim)` (or `F.cross_entropy` on the logits)",
       Act.SIGMOID: "`F.logsigmoid(x)` (or `F.binary_cross_entropy_with_logits` on the logits)"}


class LogOfSoftmax(TracedSites, Rule):
    """
    ## What it does
    Finds `torch.log` (or `.log()`) taken of softmax or sigmoid probabilities: `log(softmax(x))`,
    `log(sigmoid(x))`, and the usual patches `log(p + eps)`, `log(p.clamp(min=eps))`,
    `log(1 - p)`, where `p` comes from a softmax/sigmoid function or module, or from a model whose
    `forward` returns one (also defined in another project file). Values are followed as for
    DL201, including one level of calls into functions of the same file (an `entropy(p)` helper
    is reported where it is given probabilities).

    Silent under `torch.no_grad()`/`inference_mode()` (matching costs, decoding scores: nothing
    trains on them), for the log of an average of probabilities (a mixture, as in Jensen-Shannon
    losses, has no log-space shortcut), and whenever the probabilities' origin is not visible.

    ## Why is this bad?
    In float32 a softmax or sigmoid output underflows (to a denormal, then to exactly 0) once its
    logit is some 87 to 104 below the largest one, and `log(0)` is `-inf`: the loss turns inf or
    NaN, or, where an epsilon or a clamp catches it, sticks at a constant such as 87.3365
    (= -ln FLT_MIN, Caffe's clamp) or 16.118 (= -ln 1e-7) with zero gradient - the field notes'
    "loss stays at 87.33". `log_softmax` and `logsigmoid` compute the same values in log space,
    exactly and stably.

    ## Example
    ```python
    import torch
    import torch.nn.functional as F

    for images, labels in loader:
        probs = F.softmax(model(images), dim=1)
        loss = F.nll_loss(torch.log(probs + 1e-8), labels)
    ```

    ## Use instead
    ```python
    import torch.nn.functional as F

    for images, labels in loader:
        log_probs = F.log_softmax(model(images), dim=1)
        loss = F.nll_loss(log_probs, labels)
    ```
    """

    code = "DL205"
    name = "log-of-softmax"
    severity = Severity.WARNING
    summary = "log of softmax/sigmoid probabilities instead of log_softmax/logsigmoid"
    help = "compute in log space: `F.log_softmax`/`F.logsigmoid`, or a loss that takes logits"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (2.1 loss remains constant at 87.33)"
    triggers = ("oftmax", "igmoid", ".log(")

    def sites(self, module):
        found = []
        if ".log(" not in module.text:  # `torch.log(p)`, `p.log()`: no walk of the calls without one
            return found
        for call in module.nodes("Call"):
            argument = log_argument(module, call)
            if argument is not None and not _without_gradients(module, call):
                shown = "`torch.log`" if isinstance(call.func, ast.Attribute) and call.args else "`.log()`"
                found.append(Site(call, shown, under_log(module, argument)))
        return found

    def wanted(self, value):
        return value.act in FIX

    def report(self, hit):
        message = (f"{hit.site} of {hit.describe()}: probabilities that underflow to 0 give -inf, or, "
                   f"behind an epsilon or a clamp, a constant loss with no gradient; use {FIX[hit.value.act]}")
        related = hit.related_to_origin("the probabilities are made here")
        return self.diagnostic(hit.location, message, related=related)


def _without_gradients(module, call: ast.Call) -> bool:
    """Inside `with torch.no_grad():` or a function decorated with it."""
    line = call.lineno
    for block in module.nodes("With", "AsyncWith"):
        if block.lineno <= line <= (block.end_lineno or block.lineno) and any(
                _no_grad(module, item.context_expr) for item in block.items):
            return True
    function = function_at(module, line)
    while function is not None:
        if any(_no_grad(module, d) for d in getattr(function, "decorator_list", ())):
            return True
        function = function_at(module, function.lineno, function)
    return False


def _no_grad(module, expr: ast.expr) -> bool:
    return module.qualified_name(expr.func if isinstance(expr, ast.Call) else expr) in NO_GRAD
