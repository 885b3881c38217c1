"""DL605: a convolution or linear layer with a bias that feeds batch norm directly."""

from __future__ import annotations

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.layer_order import layer_pairs
from dllint.facts.layers import flag

WEIGHTED = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose", "Linear", "LazyConv", "LazyLinear")
NORMS = ("BatchNorm", "SyncBatchNorm", "LazyBatchNorm")


class BiasBeforeBatchnorm(Rule):
    """
    ## What it does
    Finds a convolution (`Conv1d/2d/3d`, `ConvTranspose*d`) or `Linear` layer that keeps its
    bias (`bias=True`, torch's default) and whose output goes straight into a `BatchNorm*d` /
    `SyncBatchNorm`: consecutive layers of an `nn.Sequential` or a list of layers (also
    `("name", layer)` pairs and consecutive `append`s), `self.bn(self.conv(x))`, or
    `y = self.conv(x)` followed by `self.bn(y)` when `y` is used nowhere else.

    It stays silent when anything comes between the two (an activation, dropout, a residual
    sum), on `bias=False`, on a bias flag the file cannot see (`bias=use_bias`, `**kwargs`),
    and on other normalizations: `GroupNorm` and `LayerNorm` do not remove a per-channel mean.

    ## Why is this bad?
    Batch norm subtracts each channel's mean over the batch, and with it any constant the
    previous layer added: the bias gets gradients of zero, never changes what the network
    computes, and costs parameters, memory and a kernel launch. Batch norm's own `beta` is the
    shift. (Pretrained weights that include the bias are a reason to keep it; silence the rule
    there.)

    ## Example
    ```python
    import torch.nn as nn

    block = nn.Sequential(
        nn.Conv2d(64, 128, kernel_size=3, padding=1),
        nn.BatchNorm2d(128),
        nn.ReLU(inplace=True),
    )
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    block = nn.Sequential(
        nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(128),
        nn.ReLU(inplace=True),
    )
    ```
    """

    code = "DL605"
    name = "bias-before-batchnorm"
    severity = Severity.INFO
    summary = "A layer's bias feeds batch norm directly, which cancels it"
    help = "pass `bias=False` to the layer before batch norm; batch norm's own shift replaces it"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.3 inappropriate network architecture)"
    triggers = ("BatchNorm",)

    def check_python(self, module):
        found, seen = [], set()
        for pair in layer_pairs(module):
            first, second = pair.first, pair.second
            if first.call in seen or not first.name.startswith(WEIGHTED) or not second.name.startswith(NORMS):
                continue
            bias = flag(module, first, "bias", True)
            if not bias:
                continue
            seen.add(first.call)
            given = "`bias=True`" if first.argument("bias") is not None else "a bias (torch's default)"
            site = module.location(pair.site)
            message = (f"`{first.name}` keeps {given} and feeds `{second.name}` {pair.how} (line {site.line}): "
                       "batch norm subtracts each channel's mean, which cancels the bias")
            found.append(self.diagnostic(module.location(first.call), message, related=[
                Related(site, f"its output goes into `{second.name}` here"),
                Related(module.location(second.call), f"`{second.name}` built here")]))
        return found
