"""Gradient-norm clipping, in code and in config files: it bounds the step of SGD (DL301).

`code_clipping` reads `clip_grad_norm_(params, max_norm)`, accelerate/FSDP `clip_grad_norm_`,
Lightning `Trainer(gradient_clip_val=...)`, `TrainingArguments(max_grad_norm=...)` and mmengine's
`clip_grad=dict(max_norm=...)`; `config_clipping` the same keys in config files.
"""

from __future__ import annotations

import ast

from dllint.facts.optimizers import config_keys

# Calls whose `max_norm` (keyword, or this position) clips the global gradient norm.
CLIP_FUNCTIONS = {"clip_grad_norm_", "clip_grad_norm", "clip_gradients"}
CLIP_KEYWORDS = {"gradient_clip_val", "max_grad_norm"}
# Calls that show the training step is taken in this file, so clipping would be visible here.
STEP_CALLS = {"backward", "manual_backward", "Trainer", "TrainingArguments", "Seq2SeqTrainingArguments",
              "SFTConfig", "fit"}
# Config keys that show a file describes the training run (so a missing clip key means no clipping).
RUN_KEYS = {"trainer", "epochs", "max_epochs", "num_epochs", "n_epochs", "num_train_epochs", "max_steps",
            "total_steps", "max_iters", "train_cfg", "solver", "training"}
CONFIG_CLIP_KEYS = {"gradient_clip_val", "clip_grad_norm", "max_grad_norm", "grad_clip", "clip_grad",
                    "clip_norm", "grad_clip_norm", "gradient_clipping", "clip_gradient", "clip"}


def code_clipping(calls: list[ast.Call], values) -> tuple[bool | None, float | None]:
    """(clips the gradient norm, the smallest max_norm when every one is a number) for a Python file:
    False when the file takes the training step itself and never clips, None when the step is elsewhere."""
    norms: list[float | None] = []
    steps_here = False  # the backward pass, or a trainer that takes it, is in this file
    for call in calls:
        func = call.func
        attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        steps_here = steps_here or attr in STEP_CALLS
        exprs = [kw.value for kw in call.keywords if kw.arg in CLIP_KEYWORDS]
        if attr in CLIP_FUNCTIONS:
            # torch/accelerate: (parameters, max_norm); FSDP's module method: (max_norm).
            index = None if attr == "clip_gradients" else 1 if len(call.args) > 1 else 0
            exprs.append(call_argument(call, "max_norm", index))
        clip_grad = call_argument(call, "clip_grad", None)
        if clip_grad is not None:  # mmengine: optim_wrapper=dict(clip_grad=dict(max_norm=35))
            exprs.append((values.mapping(clip_grad) or {}).get("max_norm"))
        for expr in exprs:
            value = values.resolve(expr) if expr is not None else None
            number = value.value if value and isinstance(value.value, (int, float)) else None
            if expr is not None and not (isinstance(expr, ast.Constant) and expr.value in (None, 0)):
                norms.append(float(number) if number is not None and number > 0 else None)
    if not norms:
        return (False if steps_here else None), None
    return True, None if None in norms else min(norms)


def config_clipping(config) -> tuple[bool | None, float | None]:
    return config.fact(_config_clipping)


def _config_clipping(config) -> tuple[bool | None, float | None]:
    """(clips the gradient norm, the smallest max_norm when every one is a number).

    Without a clipping key the answer is False only for a file that describes the training run
    (epochs, steps, a trainer section); a model or optimizer file composed by Hydra with a trainer
    file elsewhere cannot tell (None).
    """
    norms: list[float | None] = []
    keys = config_keys(config)
    describes_run = not RUN_KEYS.isdisjoint(keys)
    for node in (n for key in CONFIG_CLIP_KEYS & keys.keys() for n in keys[key]):
        value = node.get("max_norm") if node.kind == "mapping" else node
        value = value.value if value is not None else None
        if isinstance(value, (bool, str)) or value is None or value == 0:
            continue  # `grad_clip: null`, `gradient_clip_val: 0`: no clipping; `clip: ViT-B/32`
        norms.append(float(value) if isinstance(value, (int, float)) and value > 0 else None)
    if not norms:
        return (False if describes_run else None), None
    return True, None if None in norms else min(norms)


def call_argument(call: ast.Call, keyword: str, index: int | None) -> ast.expr | None:
    """The argument given as `keyword=`, or at position `index` (when no `*args` comes before it)."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index is not None and index < len(call.args) and not any(
            isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None
