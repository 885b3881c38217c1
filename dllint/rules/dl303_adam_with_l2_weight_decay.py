"""DL303: weight decay given to Adam, which applies it as an L2 term that adaptive scaling weakens."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.hyperparameter_setting import Setting
from dllint.facts.setting_hooks import LinkedSettingsHooks


class AdamWithL2WeightDecay(LinkedSettingsHooks, Rule):
    """
    ## What it does
    Finds a positive weight decay given to `Adam` (`torch.optim.Adam`, timm's `"adam"`, a config
    with `type: Adam`, `_target_: torch.optim.Adam`, `class_path: torch.optim.Adam` or
    `optimizer: adam`), which adds the decay to the gradient as an L2 penalty. The value is
    followed through constants, argparse/click defaults, config classes and config files; where a
    config file names no optimizer, the family comes from the code that reads the section, a
    Hydra config composed at the same place, or an mmengine `_base_` file.

    Stays silent on `AdamW`, on `Adam(decoupled_weight_decay=True)`, on DeepSpeed's and apex's
    fused Adam (decoupled by default), and on `weight_decay=0`.

    ## Why is this bad?
    Adam divides the whole gradient, decay term included, by the running RMS of the gradient:
    weights with large gradients are barely decayed and weights with small ones are decayed hard,
    so the regularization is neither the intended strength nor uniform (Loshchilov & Hutter,
    "Decoupled Weight Decay Regularization", 2019). AdamW applies the decay directly to the
    weights, and generalizes better at the same cost.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    ```
    """

    code = "DL303"
    name = "adam-with-l2-weight-decay"
    severity = Severity.INFO
    summary = "Weight decay given to Adam, which applies it as L2 instead of decoupled decay"
    help = "use AdamW (decoupled weight decay; retune the value, typically 0.01 to 0.1)"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.6 excessive regularization)"
    triggers = ("weight_decay",)
    linked_name = "weight_decay"

    @staticmethod
    def _verdict(setting: Setting) -> str | None:
        if setting.family != "adam" or setting.number is None or setting.number <= 0:
            return None
        return ("is added to Adam's gradient as an L2 term, which the adaptive scaling weakens for weights "
                "with large gradients; AdamW decays the weights directly")
