"""DL603: linear-family interpolation that leaves `align_corners` to the default."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.layers import layer_calls, text

LINEAR_MODES = ("linear", "bilinear", "bicubic", "trilinear")
CALLS = ("interpolate", "Upsample", "upsample")


class InterpolateAlignCornersUnset(Rule):
    """
    ## What it does
    Finds `F.interpolate`, `nn.Upsample` (and the deprecated `F.upsample`) called with a
    linear-family mode (`linear`, `bilinear`, `bicubic`, `trilinear`) and no `align_corners`.
    The mode is read from the keyword or torch's position and followed through constants of
    the same file.

    It stays silent on `nearest`, `nearest-exact` and `area` (they take no `align_corners`), on a
    mode the file does not show (a parameter, a config value), and on calls whose `**kwargs` may
    carry `align_corners`.

    ## Why is this bad?
    With a linear mode the result depends on whether the corner pixels of input and output are
    aligned. PyTorch's default changed to `align_corners=False` in 0.4; older code, TensorFlow
    (`align_corners=True` in TF1 resizes) and OpenCV make other choices, so a model ported or
    compared across them is off by up to half a pixel, which shows in segmentation masks,
    keypoints, flow and depth maps. Writing the value makes the choice visible and reviewable.

    ## Example
    ```python
    import torch.nn.functional as F

    def upsample_logits(logits, size):
        return F.interpolate(logits, size=size, mode="bilinear")
    ```

    ## Use instead
    ```python
    import torch.nn.functional as F

    def upsample_logits(logits, size):
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
    ```
    """

    code = "DL603"
    name = "interpolate-align-corners-unset"
    severity = Severity.INFO
    summary = "Linear-family interpolation without an explicit `align_corners`"
    help = ("pass `align_corners=False` (PyTorch's default, matching `Resize`) or `True` (the "
            "pre-0.4 behaviour and TF1 resizes), whichever the model was trained with")
    origin = "Upsampling, Downsampling and Negative Sampling (bilinear and bicubic interpolation)"
    triggers = ("interpolate", "Upsample", "upsample")

    def check_python(self, module):
        found = []
        for layer in layer_calls(module):
            if layer.name not in CALLS or layer.argument("align_corners") is not None:
                continue
            mode = text(module, layer, "mode")
            if mode not in LINEAR_MODES:
                continue
            found.append(self.diagnostic(
                module.location(layer.call),
                f"`{layer.name}` with mode '{mode}' and no `align_corners`: the default (False) aligns "
                "pixel centres, not corners; say which one the model expects"))
        return found
