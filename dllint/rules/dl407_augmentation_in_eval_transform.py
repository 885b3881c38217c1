"""DL407: random augmentation in the transform pipeline of validation or test data."""

from __future__ import annotations

import ast
import re

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import definitions, last_name
from dllint.facts.loaders import EVAL, TRAIN, dataset_role, placement_role, tokens
from dllint.facts.transforms import COMPOSES, random_steps

RANDOM_TEXT = re.compile(r"Rand|Jitter|Augment|AugMix|Flip|Rotate|Affine|Elastic|Blur|Noise|Dropout|OneOf|SomeOf|"
                         r"Perspective|Distortion|Shift|MixUp|CutMix")
TRANSFORM_KEYWORDS = ("transform", "transforms", "img_transform", "image_transform")


class AugmentationInEvalTransform(Rule):
    """
    ## What it does
    Finds random augmentation - torchvision `Random*`, `ColorJitter`, `RandAugment`,
    `AutoAugment`, MONAI `Rand*`, albumentations flips and distortions - in a pipeline meant for
    validation or test data: a `Compose` bound to `val_transform`/`transform_test`, stored
    under `"val"` in a dict of pipelines, returned by `get_test_transforms()`, built in the
    `else` of `if is_train:`, or passed as `transform=` to `CIFAR10(train=False)`. Also finds
    an evaluation dataset given the training pipeline (`CIFAR10(train=False,
    transform=train_transform)`) when that pipeline augments.

    Silent for steps that are not random (`RandomHorizontalFlip(p=0)`, a flip with `p=1`, a
    probability that is not a literal), for test-time augmentation (`tta` in the name), for
    deterministic evaluation steps (`Resize`, `CenterCrop`, `FiveCrop`), and for pipelines whose
    role the code does not make clear.

    ## Why is this bad?
    Validation and test scores should measure the model, not the luck of a crop. Random
    augmentation makes them noisy from epoch to epoch (so early stopping and model selection
    follow noise), systematically lower than the model's real accuracy, and irreproducible
    (field notes, step 8).

    ## Example
    ```python
    from torchvision import transforms

    val_transform = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.ToTensor(),
    ])
    ```

    ## Use instead
    ```python
    from torchvision import transforms

    val_transform = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
    ])
    ```
    """

    code = "DL407"
    name = "augmentation-in-eval-transform"
    severity = Severity.WARNING
    summary = "Random augmentation in a validation or test transform pipeline"
    help = "use deterministic steps for evaluation (`Resize` + `CenterCrop`); keep `Random*` steps for training"
    origin = "The whole process of data modeling and analysis (step 8)"
    triggers = ("Compose",)

    def check_python(self, module):
        if not RANDOM_TEXT.search(module.text):
            return None  # no step here could be random: no pipeline to judge
        found = []
        for call in module.nodes("Call"):
            if last_name(call.func) != "Compose" or not module.names.resolves_to(call.func, *COMPOSES):
                continue
            role, evidence = _pipeline_role(module, call)
            steps = random_steps(module, call) if role == EVAL else []
            if steps and not _test_time(module, call):
                names = ", ".join(f"`{last_name(s.func)}`" for s in steps[:3])
                message = (f"this evaluation pipeline ({evidence}) applies random augmentation: {names}; "
                           "validation and test scores change with every draw")
                found.append(self.diagnostic(module.location(steps[0]), message, related=[
                    Related(module.location(call), "the evaluation pipeline")]))
        return found + self._training_pipeline_on_eval_data(module)

    def _training_pipeline_on_eval_data(self, module):
        found = []
        for call in module.nodes("Call"):
            given = next((k.value for k in call.keywords if k.arg in TRANSFORM_KEYWORDS), None)
            if not isinstance(given, (ast.Name, ast.Attribute)) or not call.args and len(call.keywords) < 2:
                continue
            role = dataset_role(module, call)[0] or placement_role(module, call)[0]
            if role != EVAL:
                continue
            bound = [d.value for d in definitions(module, given) if d.value is not None]
            pipeline = bound[-1] if len(bound) == 1 and isinstance(bound[0], ast.Call) else None
            if pipeline is None or last_name(pipeline.func) != "Compose" \
                    or _pipeline_role(module, pipeline)[0] != TRAIN:
                continue
            steps = random_steps(module, pipeline)
            if steps:
                names = ", ".join(f"`{last_name(s.func)}`" for s in steps[:3])
                message = (f"evaluation data gets the training pipeline `{module.segment(given)}`, which augments "
                           f"({names}): validation and test scores change with every draw")
                found.append(self.diagnostic(module.location(given), message, related=[
                    Related(module.location(pipeline), "the training pipeline")]))
        return found


def _pipeline_role(module, compose: ast.Call) -> tuple[str | None, str]:
    role, evidence = placement_role(module, compose)
    parent = module.parents.get(compose)
    if isinstance(parent, ast.keyword) and parent.arg in TRANSFORM_KEYWORDS:
        dataset = module.parents.get(parent)
        found = dataset_role(module, dataset) if isinstance(dataset, ast.Call) else (None, "")
        if found[0] is None and isinstance(dataset, ast.Call):
            found = placement_role(module, dataset)
        if role is not None and found[0] not in (None, role):
            return None, ""
        role, evidence = role or found[0], evidence or found[1].replace("it wraps", "it is the transform of")
    return role, evidence


def _test_time(module, compose: ast.Call) -> bool:
    """Test-time augmentation is random on purpose."""
    parent = module.parents.get(compose)
    text = module.segment(parent.targets[0]) if isinstance(parent, ast.Assign) else ""
    while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parent = module.parents.get(parent)
    text += " " + (parent.name if parent is not None else "")
    return any(t in ("tta", "tt") or t.startswith("tta") for t in tokens(text))
