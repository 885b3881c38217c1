"""torchvision `Compose` pipelines in one file: which make float tensors (`ToTensor()`, or
`ToImage()` with `ToDtype`) and surely never normalize, and which `Normalize` calls belong to one.

Steps are followed through names (`normalize = T.Normalize(...)`), lists built up with
`append`/`insert`, and nested `Compose`/`RandomApply`. A step that cannot be seen (`*extra`, a
`Lambda`, a custom class or a name that says it normalizes) leaves the pipeline unjudged.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Location

_TV = ("torchvision.transforms", "torchvision.transforms.v2")
COMPOSE = tuple(f"{m}.Compose" for m in _TV)
NESTING = tuple(f"{m}.{n}" for m in _TV for n in ("Compose", "RandomApply", "RandomChoice", "RandomOrder"))
TO_TENSOR = tuple(f"{m}.ToTensor" for m in _TV)
TO_IMAGE = tuple(f"{m}.{n}" for m in _TV for n in ("ToImage", "ToImageTensor", "PILToTensor"))
TO_DTYPE = tuple(f"{m}.{n}" for m in _TV for n in ("ToDtype", "ConvertImageDtype", "ConvertDtype"))
LAMBDA = tuple(f"{m}.Lambda" for m in _TV)
# A custom step whose name says it normalizes probably does: the pipeline is not judged.
NORMALIZING_NAME = re.compile(r"norm|standardi|whiten|mean|imagenet", re.IGNORECASE)
# Pipelines for masks, targets and labels must not be normalized; ones for display need not be.
NOT_MODEL_INPUT = re.compile(r"(target|mask|label|seg|depth|trimap|anno|vis|viz|show|display|plot|denorm|"
                             r"unnorm|inverse)|(gt|raw|inv|orig|original)$")
# An enclosing function says less: `build_segmentation_transforms` also builds the image pipeline.
NOT_MODEL_INPUT_FUNCTION = re.compile(r"(target|mask|label|depth|trimap|denorm|unnorm|inverse)|gt$")


# Steps that draw random numbers each call: torchvision `Random*`/`RandAugment`, MONAI `Rand*`,
# albumentations flips and distortions (applied with probability `p`, 0.5 by default).
RANDOM_STEP = re.compile(r"^Rand[A-Z]|^Random|^(ColorJitter|AutoAugment|TrivialAugmentWide|AugMix|ElasticTransform|"
                         r"GaussianBlur|GaussianNoise|ScaleJitter|MixUp|CutMix|HorizontalFlip|VerticalFlip|Flip|"
                         r"ShiftScaleRotate|Rotate|Affine|HueSaturationValue|GaussNoise|CoarseDropout|MotionBlur|"
                         r"GridDistortion|OpticalDistortion|Perspective|OneOf|SomeOf|ChannelShuffle|RGBShift)$")
# Fixed once the probability is 1: a flip that always flips is no augmentation.
CERTAIN_AT_P1 = {"HorizontalFlip", "VerticalFlip", "Flip", "RandomHorizontalFlip", "RandomVerticalFlip"}
COMPOSES = (*COMPOSE, "albumentations.Compose", "albumentations.core.composition.Compose", "monai.transforms.Compose",
            "monai.transforms.compose.Compose")


def random_steps(module, compose: ast.Call) -> list[ast.Call]:
    """The steps of a pipeline (`Compose([...])`, through names, nesting and appended lists)
    that are random each time they run; a probability that is 0, or 1 for a flip, or not a
    literal, makes a step not count."""
    reader, found, seen = _Reader(module), [], 0
    pending = [compose]
    while pending and seen < 64:
        call, seen = pending.pop(), seen + 1
        arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "transforms"), None)
        for step in reader._elements(arg, call) or ():
            if isinstance(step, (ast.Name, ast.Attribute)):
                step = reader._bound_call(step)
            if not isinstance(step, ast.Call):
                continue
            name = callee_name(step.func)
            if RANDOM_STEP.search(name) and _random(name, step):
                found.append(step)
            elif name in ("Compose", "Sequential", "SomeOf"):
                pending.append(step)
    return found


def _random(name: str, step: ast.Call) -> bool:
    p = next((k.value for k in step.keywords if k.arg in ("p", "prob")), None)
    if p is None and name in ("RandomApply",) and len(step.args) > 1:
        p = step.args[1]
    if p is None:
        return True
    if not isinstance(p, ast.Constant) or not isinstance(p.value, (int, float)):
        return False
    return p.value > 0 and not (p.value >= 1 and name in CERTAIN_AT_P1)


@dataclass(frozen=True)
class Pipeline:
    location: Location
    step: str  # "`ToTensor()` (line 12)": what makes the float tensor


@dataclass
class Pipelines:
    unnormalized: list[Pipeline] = field(default_factory=list)
    normalized: bool = False  # some Compose here applies Normalize
    normalize_calls: set[ast.AST] = field(default_factory=set)  # the Normalize calls pipelines use


def read_pipelines(module) -> Pipelines:
    reader = _Reader(module)
    for call in module.nodes("Call"):
        if callee_name(call.func) == "Compose" and reader.resolves(call.func, COMPOSE):
            step = reader.verdict(call)
            if step is not None and not reader.not_model_input(call):
                reader.found.unnormalized.append(Pipeline(module.location(call), step))
    return reader.found


class _Reader:
    def __init__(self, module) -> None:
        self.module = module
        self.found = Pipelines()

    def verdict(self, compose: ast.Call) -> str | None:
        """The step that makes a float tensor, when the pipeline surely never normalizes."""
        found: dict[str, ast.AST] = {}
        known = self._scan(compose, found, depth=0)
        if "normalize" in found:
            self.found.normalized = True
        if not known or "normalize" in found:
            return None
        if "tensor" in found:
            return f"`ToTensor()` (line {found['tensor'].lineno})"
        if "image" in found and "dtype" in found:
            image, dtype = callee_name(found["image"].func), callee_name(found["dtype"].func)
            return f"`{image}()` + `{dtype}(...)` (line {found['dtype'].lineno})"
        return None

    def _scan(self, call: ast.Call, found: dict, depth: int) -> bool:
        """Classify the steps of a Compose-like call; False when a step cannot be known."""
        arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "transforms"), None)
        steps = self._elements(arg, call)
        if steps is None or depth > 4:
            return False
        # Every step is read (no short-circuit): the Normalize calls it uses must all be marked.
        known = [self._step(step, found, depth) for step in steps]
        return all(known)

    def _elements(self, arg, at: ast.AST) -> list | None:
        if isinstance(arg, (ast.List, ast.Tuple)):
            return list(arg.elts)
        if not isinstance(arg, ast.Name):
            return None
        scope = self.module.scopes.scope_of(at)
        steps = []
        for definition in scope.reaching(arg.id, at.lineno):
            value = definition.value
            if definition.kind == "mutation" and definition.node.func.attr in ("append", "insert"):
                steps.append(value)
            elif isinstance(value, (ast.List, ast.Tuple)) and definition.kind in ("assign", "augassign", "mutation"):
                # Flow-insensitive on purpose: every list this name held is read, so a Normalize
                # appended or assigned on any branch keeps the pipeline silent.
                steps += value.elts
            else:
                return None
        return steps or None

    def _step(self, step: ast.AST, found: dict, depth: int) -> bool:
        if isinstance(step, (ast.Starred, ast.Lambda)):
            return False
        if isinstance(step, (ast.Name, ast.Attribute)):
            bound = self._bound_call(step)
            known = bound is None or self._step(bound, found, depth + 1)
            # `normalize` bound to something unrecognised, or not visible: trust the name.
            return known and ("normalize" in found or not NORMALIZING_NAME.search(self.module.segment(step)))
        if not isinstance(step, ast.Call):
            return False
        if callee_name(step.func) == "Normalize":
            self.found.normalize_calls.add(step)
            found["normalize"] = step
        elif self.resolves(step.func, NESTING):
            return self._scan(step, found, depth + 1)
        elif self.resolves(step.func, TO_TENSOR):
            found["tensor"] = step
        elif self.resolves(step.func, TO_IMAGE):
            found["image"] = step
        elif self.resolves(step.func, TO_DTYPE):
            found["dtype"] = step
        elif self.resolves(step.func, LAMBDA) or NORMALIZING_NAME.search(callee_name(step.func)):
            return False
        return True

    def _bound_call(self, name: ast.AST) -> ast.Call | None:
        key = name.id if isinstance(name, ast.Name) else self.module.segment(name)
        definition = self.module.scopes.scope_of(name).latest(key, name.lineno)
        return definition.value if definition is not None and isinstance(definition.value, ast.Call) else None

    def not_model_input(self, compose: ast.Call) -> bool:
        parents = self.module.parents
        names = []
        node, parent = compose, parents.get(compose)
        if isinstance(parent, ast.keyword) and parent.arg:
            names.append(parent.arg)
        elif isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names += [self.module.segment(t) for t in targets]
        elif isinstance(parent, ast.Dict):
            key = parent.keys[parent.values.index(node)] if node in parent.values else None
            names.append(key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else "")
        if any(NOT_MODEL_INPUT.match(token) for name in names for token in _tokens(name)):
            return True
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parent = parents.get(parent)
        return parent is not None and any(NOT_MODEL_INPUT_FUNCTION.match(t) for t in _tokens(parent.name))

    def resolves(self, func: ast.AST, names: tuple[str, ...]) -> bool:
        return self.module.names.resolves_to(func, *names) is not None


def callee_name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t.lower() for t in re.split(r"[^A-Za-z]+|\s+", spaced) if t]

