"""DL602: deprecated upsampling ops, replaced by `interpolate`/`Upsample` keeping their semantics."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Edit, Fix, Severity
from dllint.engine.rule import Rule
from dllint.facts.layers import layer_calls

# Deprecated name -> (replacement, keywords that keep its behaviour). `upsample_bilinear` and
# `UpsamplingBilinear2d` align corners, which `interpolate`/`Upsample` do not by default.
REPLACEMENTS = {
    "upsample": ("interpolate", ()),
    "upsample_bilinear": ("interpolate", (("mode", "bilinear"), ("align_corners", True))),
    "upsample_nearest": ("interpolate", (("mode", "nearest"),)),
    "UpsamplingBilinear2d": ("Upsample", (("mode", "bilinear"), ("align_corners", True))),
    "UpsamplingNearest2d": ("Upsample", (("mode", "nearest"),)),
}


class DeprecatedUpsample(Rule):
    """
    ## What it does
    Finds the deprecated upsampling ops `F.upsample`, `F.upsample_bilinear`,
    `F.upsample_nearest`, `nn.UpsamplingBilinear2d` and `nn.UpsamplingNearest2d`, recognised by
    their qualified names. `--fix` rewrites them to `F.interpolate` / `nn.Upsample` with the
    keywords that keep what they computed: the bilinear ones become `mode="bilinear",
    align_corners=True` (their behaviour, not the new default), the nearest ones
    `mode="nearest"`. A name imported on its own (`from torch.nn.functional import upsample`) is
    reported without a fix, since the import would have to change too.

    ## Why is this bad?
    These ops only forward to `interpolate`, warn on every call, and hide which corner alignment
    the model was trained with. Rewriting them by hand as `interpolate(x, scale_factor=2,
    mode="bilinear")` silently switches `align_corners` from True to False: the output shifts by
    up to half a pixel, and a model trained with the old op degrades at inference.

    ## Example
    ```python
    import torch.nn as nn
    import torch.nn.functional as F

    head = nn.Sequential(nn.Conv2d(256, 21, 1), nn.UpsamplingBilinear2d(scale_factor=8))
    mask = F.upsample(logits, size=(512, 512), mode="bilinear", align_corners=False)
    ```

    ## Use instead
    ```python
    import torch.nn as nn
    import torch.nn.functional as F

    head = nn.Sequential(nn.Conv2d(256, 21, 1), nn.Upsample(scale_factor=8, mode="bilinear", align_corners=True))
    mask = F.interpolate(logits, size=(512, 512), mode="bilinear", align_corners=False)
    ```
    """

    code = "DL602"
    name = "deprecated-upsample"
    severity = Severity.WARNING
    summary = "A deprecated upsampling op (`F.upsample*`, `nn.Upsampling*2d`)"
    help = "use `F.interpolate` / `nn.Upsample`, with `align_corners=True` where the old op was bilinear"
    origin = "Upsampling, Downsampling and Negative Sampling (upsampling by interpolation)"
    triggers = ("upsample", "Upsampling")
    fixable = True

    def check_python(self, module):
        found = []
        for layer in layer_calls(module):
            if layer.name not in REPLACEMENTS:
                continue
            new, keywords = REPLACEMENTS[layer.name]
            kept = ", ".join(f"{k}={_literal(module, v)}" for k, v in keywords)
            prefix = "F." if layer.functional else "nn."
            message = (f"`{prefix}{layer.name}` is deprecated: use `{prefix}{new}`"
                       + (f" with `{kept}`, which is what it computes" if kept else " (same arguments)"))
            found.append(self.diagnostic(module.location(layer.call), message,
                                         fix=_fix(module, layer.call, new, keywords, kept)))
        return found


def _fix(module, call: ast.Call, new: str, keywords, kept: str) -> Fix | None:
    func = call.func
    # A bare imported name needs its import rewritten too: reported, not fixed.
    if not isinstance(func, ast.Attribute):
        return None
    if keywords and any(k.arg is None or k.arg in ("mode", "align_corners") for k in call.keywords):
        return None
    where = module.location(func)
    edits = [Edit(where.end_line, where.end_column - len(func.attr), where.end_line, where.end_column, new)]
    if keywords:
        edits.append(_append_arguments(module, call, kept))
    return Fix(tuple(edits))


def _append_arguments(module, call: ast.Call, text: str) -> Edit:
    """Insert keyword arguments after the call's last argument (before any trailing comma)."""
    arguments = [*call.args, *call.keywords]
    if arguments:
        last = max(arguments, key=lambda a: (a.end_lineno, a.end_col_offset))
        end = module.location(last)
        return Edit(end.end_line, end.end_column, end.end_line, end.end_column, f", {text}")
    end = module.location(call)  # `UpsamplingNearest2d()`: inside the closing parenthesis
    return Edit(end.end_line, end.end_column - 1, end.end_line, end.end_column - 1, text)


def _literal(module, value) -> str:
    if not isinstance(value, str):
        return repr(value)
    return f"'{value}'" if module.fact(_single_quoted) else f'"{value}"'


def _single_quoted(module) -> bool:
    """Whether the file's strings (docstrings aside) mostly use single quotes."""
    counts = {"'": 0, '"': 0}
    for node in module.nodes("Constant"):
        if isinstance(node.value, str):
            written = module.segment(node).lstrip("rRbBuUfF")
            if written[:1] in counts and written[:3] not in ('"""', "'''"):
                counts[written[0]] += 1
    return counts["'"] > counts['"']
