"""DL604: pooling whose windows, smaller than the stride, never look at some inputs."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.layers import layer_calls, sizes

POOLS = ("MaxPool", "AvgPool", "LPPool", "max_pool", "avg_pool", "lp_pool")


class PoolingSkipsInputs(Rule):
    """
    ## What it does
    Finds `nn.MaxPool/AvgPool/LPPool{1,2,3}d` and `F.max_pool/avg_pool/lp_pool{1,2,3}d` whose
    window (the kernel, spread by `dilation` for max pooling) is smaller than the stride in some
    dimension, such as `MaxPool2d(kernel_size=2, stride=3)`. Kernel size, stride and dilation
    are read from keywords or torch's positions and followed through constants of the same file.

    It stays silent on a kernel size of 1: `max_pool2d(x, 1, 2)` (torchvision's FPN extra level,
    ResNet-D style shortcuts) is a deliberate strided subsample, not a window that came out too
    small. It also stays silent when the stride is left out (it then equals the kernel size) and
    on anything the file does not show.

    ## Why is this bad?
    Windows spaced further apart than they are wide skip rows and columns of the input: those
    activations never reach the output, and neither does their gradient. The layer downsamples
    by throwing information away, usually because kernel size and stride were swapped or
    edited apart.

    ## Example
    ```python
    import torch.nn as nn

    features = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2, stride=3),
    )
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    features = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    ```
    """

    code = "DL604"
    name = "pooling-skips-inputs"
    severity = Severity.WARNING
    summary = "Pooling with a kernel smaller than its stride skips inputs"
    help = "make the kernel at least as large as the stride (kernel_size=3, stride=2 overlaps; 2 and 2 tiles)"
    origin = "Upsampling, Downsampling and Negative Sampling (downsampling by pooling)"
    triggers = ("Pool", "pool")

    def check_python(self, module):
        found = []
        for layer in layer_calls(module):
            if not layer.name.startswith(POOLS):
                continue
            kernel = sizes(module, layer, "kernel_size")
            stride = sizes(module, layer, "stride", kernel)
            dilation = sizes(module, layer, "dilation", 1) if "max" in layer.name.lower() else (1,) * layer.dims
            if kernel is None or stride is None or dilation is None:
                continue
            windows = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
            skipped = [(k, w, s) for k, w, s in zip(kernel, windows, stride) if k > 1 and w < s]
            if not skipped:
                continue
            k, w, s = skipped[0]
            size = f"kernel size {k}" if w == k else f"window {w} (kernel {k}, dilation)"
            found.append(self.diagnostic(
                module.location(layer.call),
                f"`{layer.name}` with {size} and stride {s}: {s - w} of every {s} input positions "
                "never reach the output"))
        return found
