"""DL302: a weight decay strong enough to dominate what the model learns."""

from __future__ import annotations

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.hyperparameter_setting import Setting
from dllint.facts.setting_hooks import LinkedSettingsHooks

# Decay added to the gradient as an L2 term (`grad + wd * w`), then stepped like the gradient.
COUPLED = {"sgd", "rmsprop", "adagrad", "adadelta"}
# The same L2 term, but divided by Adam's second-moment estimate: weights with small gradients
# are decayed hardest, so the bound is lower than for SGD (Loshchilov & Hutter, 2019).
ADAM_COUPLED = {"adam", "nadam", "radam", "adamax"}


class WeightDecayTooHigh(LinkedSettingsHooks, Rule):
    """
    ## What it does
    Finds weight decay values that overwhelm the data gradient, by how the optimizer applies them:
    above 5e-3 for coupled L2 decay (SGD, RMSprop, Adagrad, Adadelta), above 1e-3 for Adam's
    coupled decay (also NAdam, RAdam, Adamax), above 0.3 for decoupled decay (AdamW, LAMB,
    `Adam(decoupled_weight_decay=True)`, bitsandbytes and fused Adam kernels, DeepSpeed's
    `"type": "Adam"`, which runs in AdamW mode), and above 3.0 for
    Lion, which is tuned with 3-10x the decay of AdamW because its learning rate is 3-10x smaller.
    When the family is unknown the decoupled bound applies: the most permissive of the common
    ones, so a correct AdamW value is never reported for lack of a class name.

    Only values that reach an optimizer are read: optimizer and param-group arguments, timm's
    `create_optimizer_v2`, `TrainingArguments`, Python config modules, and `weight_decay`/`wd` keys
    in YAML/JSON/TOML configs (family from `_target_`, `type`, `class_path`, `optimizer:` or the
    section name; else from an mmengine `_base_` file, the Hydra config composed at the same key,
    or the code that reads the value). A `weight_decay` variable that no optimizer receives is not
    a setting, and a value shared by optimizers chosen at run time is reported only if it is too
    high for all.

    ## Why is this bad?
    Excessive regularization keeps the weights near zero: the training loss stalls high and the
    model underfits, which looks like a capacity or data problem. With SGD the decay is scaled by
    the learning rate like the gradient, so 0.05 is 100 times the usual 5e-4.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.05)
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    ```
    """

    code = "DL302"
    name = "weight-decay-too-high"
    severity = Severity.WARNING
    summary = "A weight decay strong enough to dominate the gradient, for its optimizer family"
    help = "use 1e-4 to 5e-4 with SGD or Adam, 0.01 to 0.1 with AdamW (decoupled), or switch Adam to AdamW"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.6 excessive regularization)"
    triggers = ("weight_decay",)
    linked_name = "weight_decay"

    @dataclass(frozen=True)
    class Options:
        coupled_max_weight_decay: float = field(default=5e-3, metadata={
            "help": "highest L2 weight decay for SGD, RMSprop, Adagrad, Adadelta"})
        adam_max_weight_decay: float = field(default=1e-3, metadata={
            "help": "highest coupled (L2) weight decay for Adam, NAdam, RAdam, Adamax"})
        decoupled_max_weight_decay: float = field(default=0.3, metadata={
            "help": "highest decoupled weight decay (AdamW and similar), also used when the family is unknown"})
        lion_max_weight_decay: float = field(default=3.0, metadata={
            "help": "highest weight decay for Lion (tuned 3-10x higher than AdamW's)"})

    def _verdict(self, setting: Setting) -> str | None:
        decay, family, options = setting.number, setting.family, self.options
        if decay is None:
            return None
        name = setting.family_name
        if family in COUPLED:
            bound = options.coupled_max_weight_decay
            why = f"coupled L2 decay above {bound:g} outweighs the gradient"
        elif family in ADAM_COUPLED:
            bound = options.adam_max_weight_decay
            why = f"its L2 decay is added to the gradient before the adaptive scaling; above {bound:g} it dominates"
        else:
            bound = options.lion_max_weight_decay if family == "lion" else options.decoupled_max_weight_decay
            why = f"decoupled decay above {bound:g}"
        if decay <= bound:
            return None
        if name is None:
            return f"is above {bound:g}, too high even for decoupled decay (no optimizer family is visible here)"
        return f"is too high for {name} ({why})"
