"""How images reach a model in one file, for the project phase: the torchvision pipelines that
never normalize (facts/transforms.py), the pretrained image models the file loads, and signs that
inputs are normalized some other way (a processor, a `Normalize` kept outside any pipeline,
`(x - mean) / std`, a detection model that normalizes inside).

Computed once per module (`image_inputs(module)`); the result is small and picklable, because
the pipeline and the pretrained model usually live in different files.
"""

from __future__ import annotations

import ast
import re
import weakref
from dataclasses import dataclass

from dllint.engine.diagnostic import Location
from dllint.facts.pixels import RawPixels, raw_pixels
from dllint.facts.transforms import Pipeline, callee_name, read_pipelines

# Pretrained things that are not image models, or image models that take [0, 1] input (YOLO).
NOT_IMAGE_MODELS = re.compile(r"tokeni[sz]er|config|processor|feature_?extractor|scheduler|vocab|pipeline|bert|gpt|"
                              r"roberta|electra|(?<![a-z])t5|bart|llama|wav2vec|hubert|whisper|word2vec|glove|fasttext|"
                              r"embedding|lstm|yolo|ultralytics", re.IGNORECASE)
VISION = re.compile(r"image|vision|vit|clip|dino|swin|convnext|resnet|efficientnet|mobilenet|regnet|segformer|"
                    r"detr|deit|beit|siglip|blip|owl|autoencoder|vae|pixel|dpt|maskformer|upernet", re.IGNORECASE)
# torchvision detection models normalize inside (GeneralizedRCNNTransform, SSD's transform).
DETECTION = re.compile(r"(fasterrcnn|maskrcnn|keypointrcnn|retinanet|fcos|ssd|ssdlite)_\w+|FasterRCNN|MaskRCNN|"
                       r"KeypointRCNN|RetinaNet|FCOS|SSD|SSDLite|GeneralizedRCNNTransform")
PRETRAINED_KEYWORDS = ("pretrained", "pretrained_backbone", "encoder_weights", "weights", "weights_backbone")
BUILT_IN = {"resolve_data_config", "resolve_model_data_config", "create_transform", "get_preprocessing_fn",
            "create_model_and_transforms", "AutoImageProcessor", "AutoFeatureExtractor", "AutoProcessor"}
NOT_IMAGE_NORMALIZE = ("torch.nn.functional.", "sklearn.", "unicodedata.", "numpy.", "os.", "posixpath.")
MEAN_CONSTANT = re.compile(r"^(\w+_)?(DEFAULT_)?MEAN$|^(pixel|image|img|rgb)_mean$")


@dataclass(frozen=True)
class PretrainedSite:
    location: Location
    call: str  # "`models.resnet50(weights=...)`"


@dataclass(frozen=True)
class ImageInputs:
    unnormalized: tuple[Pipeline, ...]
    pretrained: tuple[PretrainedSite, ...]
    normalizes_elsewhere: bool
    # A Compose here normalizes: a pretrained model in this file comes with its own pipeline.
    normalized_pipeline: bool = False
    raw_pixels: tuple[RawPixels, ...] = ()  # uint8 images made float and given to a model unscaled
    scales_pixels: bool = False  # a `forward` here divides by 255: its model takes raw pixels

    def __bool__(self) -> bool:
        return bool(self.unnormalized or self.pretrained or self.normalizes_elsewhere or self.raw_pixels
                    or self.scales_pixels)


_CACHE: weakref.WeakKeyDictionary[object, ImageInputs] = weakref.WeakKeyDictionary()


def image_inputs(module) -> ImageInputs:
    if module not in _CACHE:
        _CACHE[module] = _Reader(module).read()
    return _CACHE[module]


class _Reader:
    def __init__(self, module) -> None:
        self.module = module
        self.normalize_calls: set[ast.AST] = set()

    def read(self) -> ImageInputs:
        pipelines = read_pipelines(self.module)
        self.normalize_calls = pipelines.normalize_calls
        calls = self.module.nodes("Call")
        unnormalized = pipelines.unnormalized
        if any(callee_name(c.func) == "std" for c in calls):
            # A file that takes standard deviations of its images computes the statistics that
            # `Normalize` will use: its [0, 1] pipeline is the input to that, on purpose.
            unnormalized = []
        pretrained = tuple(PretrainedSite(self.module.location(c), self._shown(c))
                           for c in calls if self._pretrained(c))
        elsewhere = any(self._normalizes(c) for c in calls) or self._arithmetic()
        return ImageInputs(tuple(unnormalized), pretrained, elsewhere, pipelines.normalized,
                           tuple(raw_pixels(self.module)), self._scales_in_forward())

    def _scales_in_forward(self) -> bool:
        if "255" not in self.module.text:
            return False
        lines = self.module.lines
        for function in self.module.nodes("FunctionDef"):
            if function.name in ("forward", "__call__", "preprocess") and \
                    any("255" in line for line in lines[function.lineno - 1:function.end_lineno]):
                return True
        return False

    # -- pretrained models -----------------------------------------------------------------------
    def _pretrained(self, call: ast.Call) -> bool:
        func, name = call.func, callee_name(call.func)
        if name == "from_pretrained" and isinstance(func, ast.Attribute):
            # Only image models: a pretrained BERT beside an image encoder trained from scratch
            # says nothing about what the images need.
            receiver = self.module.segment(func.value)  # `AutoModelForImageClassification`
            checkpoint = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else ""
            return not NOT_IMAGE_MODELS.search(receiver) and bool(VISION.search(f"{receiver} {checkpoint}"))
        if not call.keywords and name not in ("load", "load_url", "load_state_dict_from_url"):
            return False
        qualified = self.module.qualified_name(func) or ""
        if qualified == "torch.hub.load":
            repo = " ".join(a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
            return not NOT_IMAGE_MODELS.search(repo) and not any(
                k.arg in ("pretrained", "weights") and _is_none_or_false(k.value) for k in call.keywords)
        if name == "load_state_dict_from_url" or qualified == "torch.utils.model_zoo.load_url":
            return True
        keywords = [k for k in call.keywords if k.arg in PRETRAINED_KEYWORDS]
        if not keywords or NOT_IMAGE_MODELS.search(self.module.segment(func)):
            return False
        for keyword in keywords:
            value = self._through_default(keyword.value)
            if keyword.arg in ("pretrained", "pretrained_backbone") and isinstance(value, ast.Constant) \
                    and (value.value is True or (isinstance(value.value, str) and value.value)):
                return True
            if keyword.arg == "encoder_weights" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                return True
            if keyword.arg in ("weights", "weights_backbone") and qualified.startswith("torchvision.models") \
                    and value is not None and not _is_none_or_false(value):
                return True
        return False

    def _through_default(self, value: ast.expr) -> ast.expr | None:
        """A name read from its binding, or a parameter from its default (`pretrained=True`)."""
        if not isinstance(value, ast.Name):
            return value
        # Model builders pass `pretrained=pretrained` down from their own signature; reading the
        # enclosing function's defaults needs no scope map (costly on large model files).
        functions = [f for f in self.module.nodes("FunctionDef", "AsyncFunctionDef")
                     if f.lineno <= value.lineno <= (f.end_lineno or f.lineno)]
        if functions:
            args = max(functions, key=lambda f: f.lineno).args
            positional = [*args.posonlyargs, *args.args]
            pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
                     *zip(args.kwonlyargs, args.kw_defaults)]
            if any(a.arg == value.id for a in [*positional, *args.kwonlyargs]):
                return next((d for a, d in pairs if a.arg == value.id), None)
        definition = self.module.scopes.scope_of(value).latest(value.id, value.lineno)
        return definition.value if definition is not None and definition.kind != "param" else None

    # -- normalization outside a pipeline --------------------------------------------------------
    def _normalizes(self, call: ast.Call) -> bool:
        name = callee_name(call.func)
        if name in BUILT_IN or name.endswith(("ImageProcessor", "FeatureExtractor")) or DETECTION.fullmatch(name):
            return True
        if name == "transforms" and isinstance(call.func, ast.Attribute) and not call.args:
            return True  # torchvision `weights.transforms()` presets normalize
        if name == "from_pretrained" and isinstance(call.func, ast.Attribute):
            return bool(re.search(r"Processor|FeatureExtractor", self.module.segment(call.func.value)))
        if name == "Normalize":
            return call not in self.normalize_calls
        if name == "normalize":
            qualified = self.module.qualified_name(call.func) or ""
            return not qualified.startswith(NOT_IMAGE_NORMALIZE)
        if name == "load" and self.module.qualified_name(call.func) == "clip.load":
            return True
        keywords = [k.arg or "" for k in call.keywords]
        if any("mean" in k for k in keywords) and any("std" in k for k in keywords):
            # A project dataset or transform that takes mean and std normalizes with them.
            return not re.search(r"normal|gauss|noise|rand|init", name, re.IGNORECASE)
        return any(isinstance(a, (ast.Name, ast.Attribute)) and MEAN_CONSTANT.match(callee_name(a))
                   for a in [*call.args, *(k.value for k in call.keywords)])

    def _arithmetic(self) -> bool:
        for node in self.module.nodes("BinOp"):
            left = node.left
            if isinstance(node.op, ast.Div) and isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub):
                if re.search(r"mean|\bmu\b", self.module.segment(left.right), re.IGNORECASE) or \
                        re.search(r"std|sigma", self.module.segment(node.right), re.IGNORECASE):
                    return True
                if _constant(left.right) == 0.5 and _constant(node.right) == 0.5:
                    return True  # `(x - 0.5) / 0.5`: scaled to [-1, 1]
        for call in self.module.nodes("Call"):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in ("div", "div_") and isinstance(func.value, ast.Call):
                inner = func.value.func
                if isinstance(inner, ast.Attribute) and inner.attr in ("sub", "sub_"):
                    return True  # `t.sub_(m).div_(s)`, the hand-written Normalize
        return False

    def _shown(self, call: ast.Call) -> str:
        text = self.module.segment(call)
        if "\n" in text or len(text) > 70:
            text = f"{self.module.segment(call.func)}(...)"
        return f"`{text}`"


def _constant(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def _is_none_or_false(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is None or value.value is False
    if isinstance(value, ast.IfExp):
        return _is_none_or_false(value.body) or _is_none_or_false(value.orelse)
    return False
