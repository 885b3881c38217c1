"""DL601: a transposed convolution whose kernel size is not divisible by its stride."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.layers import layer_calls, sizes


class TransposedConvCheckerboard(Rule):
    """
    ## What it does
    Finds `nn.ConvTranspose1d/2d/3d` (and their `Lazy` versions) whose kernel size is not a
    multiple of the stride in some dimension: `kernel_size=3, stride=2` (the classic
    `padding=1, output_padding=1` upsampling block), or a kernel smaller than its stride.
    Kernel size and stride are read from keywords or torch's positions and followed through
    constants, argparse defaults and config dicts of the same file.

    It stays silent on divisible pairs (`kernel_size=4, stride=2`, `kernel_size=2, stride=2`,
    any kernel with stride 1), on layers whose kernel size or stride this file does not show
    (function parameters, a config loaded at run time, `**kwargs`), and on dilated transposed
    convolutions, whose pattern of taps is another question.

    ## Why is this bad?
    A transposed convolution spreads each input pixel over `kernel_size` outputs spaced
    `stride` apart. When the kernel is not a multiple of the stride, some outputs receive one
    more contribution than their neighbours, and the generator's images or the decoder's
    masks show a checkerboard pattern that training struggles to remove (Odena, Dumoulin and
    Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016). A kernel smaller than the
    stride leaves outputs that no input reaches at all.

    ## Example
    ```python
    import torch.nn as nn

    decoder = nn.Sequential(
        nn.ConvTranspose2d(256, 128, kernel_size=3, stride=2, padding=1, output_padding=1),
        nn.ReLU(inplace=True),
    )
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    decoder = nn.Sequential(
        nn.ConvTranspose2d(256, 128, kernel_size=4, stride=2, padding=1),
        nn.ReLU(inplace=True),
    )
    ```
    """

    code = "DL601"
    name = "transposed-conv-checkerboard"
    severity = Severity.WARNING
    summary = "A transposed convolution whose kernel size is not divisible by its stride"
    help = ("make the kernel size a multiple of the stride (4 with stride 2), or upsample with "
            "`nn.Upsample` followed by a `Conv2d` (resize-convolution)")
    origin = "Upsampling, Downsampling and Negative Sampling (upsampling by deconvolution)"
    triggers = ("ConvTranspose",)

    def check_python(self, module):
        found = []
        for layer in layer_calls(module):
            if "ConvTranspose" not in layer.name:
                continue
            kernel = sizes(module, layer, "kernel_size")
            stride = sizes(module, layer, "stride", 1)
            # A dilated kernel's taps are `dilation` apart: its overlap is not kernel % stride.
            if kernel is None or stride is None or sizes(module, layer, "dilation", 1) != (1,) * layer.dims:
                continue
            bad = [(k, s) for k, s in zip(kernel, stride) if k % s]
            if not bad:
                continue
            k, s = bad[0]
            shown = f"kernel_size={_shown(kernel)}, stride={_shown(stride)}"
            if k < s:
                why = f"a kernel of {k} with stride {s} leaves outputs that no input reaches"
            else:
                why = (f"each output gets {k // s} or {k // s + 1} overlapping contributions, "
                       "which paints a checkerboard pattern")
            found.append(self.diagnostic(module.location(layer.call),
                                         f"`{layer.name}` with {shown}: {why}"))
        return found


def _shown(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else str(values)
