"""torch layer constructors and functional ops, and the numbers they are given.

`layer_calls(module)` lists the calls in a file that build a torch layer or run a functional op
the DL6xx rules judge (convolutions, transposed convolutions, linear layers, pooling, batch
norm, interpolation), recognised by qualified name (`import torch.nn as tnn; tnn.Conv2d`, also
`torch.nn.modules.conv.Conv2d`), never by a bare name that could be the project's own class.

`layer.argument(name)` is the expression passed for a parameter, by keyword or by position as
torch's signature places it, None when the parameter is left at its default, and `HIDDEN` when
`*args`/`**kwargs` may carry it. `sizes(module, layer, name, default)` follows the expression
through `facts.constants` to one int per spatial dimension (`kernel_size=3` on a 2d layer is
(3, 3)); anything the file does not show is None, so rules stay silent.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dllint.facts.constants import is_number, resolve

_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
_CONV_T = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
           "bias", "dilation")
_MAX_POOL = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVG_POOL = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
_LP_POOL = ("norm_type", "kernel_size", "stride", "ceil_mode")
_RESIZE = ("size", "scale_factor", "mode", "align_corners")

# Positional parameters by the name a call is written with; functional ops take `input` first.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias"),
    "LazyLinear": ("out_features", "bias"),
    "SyncBatchNorm": ("num_features",),
    "interpolate": ("input", *_RESIZE, "recompute_scale_factor", "antialias"),
    "upsample": ("input", *_RESIZE),
    "upsample_bilinear": ("input", "size", "scale_factor"),
    "upsample_nearest": ("input", "size", "scale_factor"),
    "Upsample": (*_RESIZE, "recompute_scale_factor"),
    "UpsamplingBilinear2d": ("size", "scale_factor"),
    "UpsamplingNearest2d": ("size", "scale_factor"),
}
for _n in (1, 2, 3):
    SIGNATURES.update({
        f"Conv{_n}d": _CONV, f"LazyConv{_n}d": _CONV[1:],
        f"ConvTranspose{_n}d": _CONV_T, f"LazyConvTranspose{_n}d": _CONV_T[1:],
        f"MaxPool{_n}d": _MAX_POOL, f"AvgPool{_n}d": _AVG_POOL, f"LPPool{_n}d": _LP_POOL,
        f"max_pool{_n}d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
        f"avg_pool{_n}d": ("input", *_AVG_POOL), f"lp_pool{_n}d": ("input", *_LP_POOL),
        f"BatchNorm{_n}d": ("num_features",), f"LazyBatchNorm{_n}d": (),
    })

# `*args` or `**kwargs` may carry the parameter: its value cannot be seen.
HIDDEN = object()


@dataclass(frozen=True)
class LayerCall:
    call: ast.Call
    name: str  # as torch names it: "ConvTranspose2d", "max_pool2d", "interpolate"
    functional: bool  # torch.nn.functional op rather than a module class

    @property
    def dims(self) -> int:
        """Spatial dimensions: 2 for `Conv2d`/`max_pool2d`, 1 otherwise."""
        return int(self.name[-2]) if self.name[-1] == "d" and self.name[-2].isdigit() else 1

    def argument(self, parameter: str):
        """The expression passed for `parameter`; None at its default; HIDDEN behind `*`/`**`."""
        call = self.call
        for keyword in call.keywords:
            if keyword.arg == parameter:
                return keyword.value
        signature = SIGNATURES[self.name]
        index = signature.index(parameter) if parameter in signature else None
        starred = next((i for i, a in enumerate(call.args) if isinstance(a, ast.Starred)), None)
        if index is not None and index < len(call.args) and (starred is None or starred > index):
            return call.args[index]
        if starred is not None or any(keyword.arg is None for keyword in call.keywords):
            return HIDDEN
        return None


def layer_calls(module) -> list[LayerCall]:
    """The layer constructions and functional ops of a file, in source order (cached)."""
    return module.fact(_collect)


def _collect(module) -> list[LayerCall]:
    found = []
    star = bool(module.names.star_modules)
    for call in module.nodes("Call"):
        func = call.func
        short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if short not in SIGNATURES:
            continue
        for qualified in module.names.candidates(func, module.scopes if star else None):
            if qualified == f"torch.nn.functional.{short}":
                found.append(LayerCall(call, short, True))
                break
            if qualified == f"torch.nn.{short}" or (qualified.startswith("torch.nn.modules.")
                                                   and qualified.endswith(f".{short}")):
                found.append(LayerCall(call, short, False))
                break
    return found


def sizes(module, layer: LayerCall, parameter: str,
          default: int | tuple[int, ...] | None = None) -> tuple[int, ...] | None:
    """One int per spatial dimension for `kernel_size`, `stride`, `dilation`...; None if unknown.
    `default` is what the parameter means when left out or None (pooling's stride: the kernel)."""
    expr = layer.argument(parameter)
    if expr is HIDDEN:
        return None
    if expr is None or (isinstance(expr, ast.Constant) and expr.value is None):
        return default if default is None or isinstance(default, tuple) else (default,) * layer.dims
    found = resolve(module, expr)
    value = found.value if found is not None else None
    values = value if isinstance(value, tuple) else (value,) * layer.dims
    if len(values) != layer.dims or not all(is_number(v) and int(v) == v and v > 0 for v in values):
        return None
    return tuple(int(v) for v in values)


def text(module, layer: LayerCall, parameter: str) -> str | None:
    """The string a parameter holds (`mode="bilinear"`), when this file shows it."""
    expr = layer.argument(parameter)
    if expr is None or expr is HIDDEN:
        return None
    found = resolve(module, expr)
    return found.value if found is not None and isinstance(found.value, str) else None


def flag(module, layer: LayerCall, parameter: str, default: bool) -> bool | None:
    """A boolean parameter (`bias`); None when the file does not show its value."""
    expr = layer.argument(parameter)
    if expr is HIDDEN:
        return None
    if expr is None:
        return default
    if isinstance(expr, ast.Constant) and isinstance(expr.value, bool):
        return expr.value
    return None
