"""Raw 0-255 pixels that become float tensors and reach a model unscaled.

`raw_pixels(module)` starts at each call of a model (a name such as `model`/`net`/`backbone`,
or one bound to `torchvision.models.*`, `timm.create_model`, `torch.hub.load`, `torch.load`)
and walks its input back through names and steps that keep the values (`np.array`,
`.convert("RGB")`, `cv2.cvtColor`, `cv2.resize`, `.permute`, `.unsqueeze`, `.to(device)`,
`torch.from_numpy`) to a decoder that returns uint8 (`cv2.imread`, `Image.open`,
`torchvision.io.read_image`, `imageio.imread`, `skimage.io.imread`). When a float conversion
(`.float()`, `.astype(np.float32)`, `torch.tensor(x, dtype=torch.float32)`) lies on the way
and nothing divides, multiplies, normalizes or transforms the values, the model sees 0-255.
Anything else on the way (a transform, a project function) leaves the input unjudged.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.engine.diagnostic import Location
from dllint.facts.bindings import definitions
from dllint.facts.loaders import tokens

DECODERS = {"cv2.imread", "cv2.imdecode", "imageio.imread", "imageio.v2.imread", "imageio.v3.imread",
            "skimage.io.imread", "torchvision.io.read_image", "torchvision.io.decode_image",
            "torchvision.io.decode_jpeg", "PIL.Image.open"}
DECODER_NAMES = {name.rpartition(".")[2] for name in DECODERS}
MODEL_BUILDERS = ("torchvision.models.", "timm.create_model", "torch.hub.load", "torch.load", "torch.jit.load")
MODEL_WORDS = {"model", "net", "network", "backbone", "encoder", "classifier", "detector", "resnet", "cnn"}
# Steps that keep pixel values as they are (first argument or receiver carries the image).
KEEP_FUNCTIONS = {"numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.expand_dims", "numpy.transpose",
                  "cv2.cvtColor", "cv2.resize", "torch.from_numpy", "torch.as_tensor", "torch.tensor",
                  "torch.stack", "torch.unsqueeze"}
KEEP_METHODS = {"convert", "resize", "transpose", "permute", "unsqueeze", "squeeze", "to", "cuda", "cpu",
                "contiguous", "copy", "reshape", "view", "clone", "numpy", "astype", "float", "double", "half",
                "type", "crop"}
FLOAT_TYPES = re.compile(r"float|double|half|Float|Double|Half")
SCALING = {"div", "div_", "mul", "mul_", "sub", "sub_", "true_divide", "divide"}


@dataclass(frozen=True)
class RawPixels:
    conversion: Location  # where the pixels become floats
    step: str  # "`.float()`"
    decoder: Location  # where the uint8 image is read
    decoder_name: str  # "cv2.imread"
    model_call: Location


def raw_pixels(module) -> list[RawPixels]:
    return module.fact(_raw_pixels)


def _raw_pixels(module) -> list[RawPixels]:
    if not any(token in module.text for token in ("imread", "Image.open", "read_image", "decode_image",
                                                  "decode_jpeg")):
        return []
    if not any(module.qualified_name(c.func) in DECODERS for c in module.nodes("Call")
               if isinstance(c.func, (ast.Name, ast.Attribute)) and _last(c.func) in DECODER_NAMES):
        return []  # no image decoded here: nothing to walk back to
    found = {}
    for call in module.nodes("Call"):
        if not call.args or not _is_model(module, call.func):
            continue
        walk = _Walk(module)
        decoder = walk.back(call.args[0], 0)
        if decoder is not None and walk.conversion is not None:
            conversion = walk.conversion
            found.setdefault(conversion, RawPixels(
                module.location(conversion), _shown(module, conversion), module.location(decoder),
                module.qualified_name(decoder.func) or "", module.location(call)))
    return list(found.values())


def _last(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _shown(module, call: ast.Call) -> str:
    """`.float()`, `.astype(np.float32)`, `torch.tensor(...)`."""
    if isinstance(call.func, ast.Attribute):
        arguments = ", ".join(module.segment(a) for a in [*call.args, *call.keywords])
        return f"`.{call.func.attr}({arguments if len(arguments) <= 30 else '...'})`"
    return f"`{module.segment(call.func)}(...)`"


def _is_model(module, func: ast.AST) -> bool:
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return False
    name = func.id if isinstance(func, ast.Name) else func.attr
    if any(t in MODEL_WORDS for t in tokens(name)):
        return True
    built = [d.value for d in definitions(module, func) if isinstance(d.value, ast.Call)]
    return any((module.qualified_name(v.func) or "").startswith(MODEL_BUILDERS) for v in built)


class _Walk:
    def __init__(self, module) -> None:
        self.module = module
        self.conversion: ast.AST | None = None

    def back(self, expr: ast.AST, depth: int) -> ast.Call | None:
        """The uint8 decoder `expr` comes from unchanged in value, or None."""
        if depth > 12:
            return None
        if isinstance(expr, ast.Name):
            found = definitions(self.module, expr)
            if len(found) != 1 or found[0].kind != "assign" or found[0].value is None or found[0].unpack:
                return None
            if self._scaled_later(expr.id, found[0]):
                return None
            return self.back(found[0].value, depth + 1)
        if isinstance(expr, ast.Subscript):  # `img[..., ::-1]`, `batch[None]`
            return self.back(expr.value, depth + 1)
        if not isinstance(expr, ast.Call):
            return None
        qualified = self.module.qualified_name(expr.func) or ""
        if qualified in DECODERS:
            return expr
        if qualified in KEEP_FUNCTIONS and expr.args:
            if qualified in ("torch.tensor", "torch.as_tensor") and self._float_arguments(expr):
                self.conversion = self.conversion or expr
            return self.back(expr.args[0], depth + 1)
        if qualified in ("torch.FloatTensor", "torch.Tensor") and expr.args:
            self.conversion = self.conversion or expr
            return self.back(expr.args[0], depth + 1)
        func = expr.func
        if isinstance(func, ast.Attribute) and not qualified and func.attr in KEEP_METHODS:
            if func.attr in ("float", "double", "half") or (
                    func.attr in ("astype", "to", "type") and self._float_arguments(expr, 0)):
                self.conversion = self.conversion or expr
            return self.back(func.value, depth + 1)
        return None

    def _float_arguments(self, call: ast.Call, start: int = 1) -> bool:
        """`dtype=torch.float32`, `np.float32`, `"float32"`, `torch.FloatTensor` among the arguments."""
        values = [*call.args[start:], *(k.value for k in call.keywords)]
        return any(FLOAT_TYPES.search(self.module.segment(v)) for v in values)

    def _scaled_later(self, name: str, definition) -> bool:
        """`x /= 255`, `x.div_(255)` after the binding: scaled in place."""
        scope = self.module.scopes.scope_of(definition.node)
        for later in scope.definitions.get(name, ()):
            if later.kind in ("augassign", "mutation") and later.line >= definition.line:
                return True
        for node in self.module.nodes("Call"):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in SCALING and isinstance(func.value, ast.Name) \
                    and func.value.id == name and node.lineno >= definition.line:
                return True
        return False
