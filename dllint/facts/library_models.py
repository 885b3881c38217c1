"""Library models whose output the code does not show but whose kind is well known: torchvision
classification builders and `timm.create_model` end in a linear layer (raw scores), and a Hugging
Face `...For....from_pretrained(...)` returns an output whose `.logits` are raw scores.
"""

from __future__ import annotations

import ast

from dllint.facts.bindings import last_name

NOT_BUILDERS = {"get_model", "get_weight", "get_model_weights", "get_model_builder", "list_models"}
# Attributes that hold a model's classifier: a file that assigns one replaces a library head.
HEADS = {"fc", "classifier", "head", "heads", "last_linear", "top", "logits", "cls", "output"}


def library_classifier(module, call: ast.Call) -> str | None:
    """What a library model built by `call` gives: "logits" for a torchvision classification
    builder or `timm.create_model` (they end in a linear layer), "hf-output" for a Hugging Face
    `...For....from_pretrained(...)` (its output's `.logits` are raw). None otherwise, and when the
    file replaces a head (`model.fc = nn.Sequential(nn.Linear(512, 1), nn.Sigmoid())`)."""
    func = call.func
    qualified = module.qualified_name(func) or ""
    parts = qualified.split(".")
    if qualified == "timm.create_model":
        keywords = {k.arg: k.value for k in call.keywords}
        if _literal(keywords.get("num_classes")) == 0 or _literal(keywords.get("features_only")):
            return None  # pooled features or feature maps, not scores
        found = "logits"
    elif parts[:2] == ["torchvision", "models"] and parts[-1][:1].islower() and parts[-1] not in NOT_BUILDERS \
            and (len(parts) == 3 or parts[2] in ("video", "quantization")):
        found = "logits"
    elif isinstance(func, ast.Attribute) and func.attr == "from_pretrained" and "For" in last_name(func.value) \
            and (module.qualified_name(func.value) or "").startswith("transformers."):
        found = "hf-output"
    else:
        return None
    return None if module.fact(_replaces_heads) else found


def _replaces_heads(module) -> bool:
    for node in module.nodes("Assign"):
        for target in node.targets:
            while isinstance(target, ast.Subscript):
                target = target.value
            # `model.fc = ...` replaces a head; `self.fc = ...` builds a layer of the file's own model.
            if isinstance(target, ast.Attribute) and target.attr in HEADS and not (
                    isinstance(target.value, ast.Name) and target.value.id == "self"):
                return True
    return any(last_name(c.func) in ("reset_classifier", "add_module") for c in module.nodes("Call"))


def _literal(node):
    return node.value if isinstance(node, ast.Constant) else None
