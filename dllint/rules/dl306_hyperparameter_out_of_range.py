"""DL306: an optimizer hyperparameter outside the range where the update rule makes sense."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.hyperparameters import Setting, judged
from dllint.facts.setting_hooks import SettingsHooks

# Keys that name a class other than an optimizer: `momentum` of a BatchNorm or an EMA hook is a
# different quantity, for which 1.0 can be meaningful (PyTorch BN: use only the batch statistics).
CLASS_KEYS = ("_target_", "type", "class_path")
# `epsilon: 0.0` is a greedy RL policy; only `eps` spelled as an optimizer's is an optimizer's.
OPTIMIZER_EPS_KEYS = {"eps", "adam_epsilon", "opt_eps"}
# Configs write -1 for "not set, use the default" (`lr: -1`), never as a rate.
SENTINELS = {-1}


class HyperparameterOutOfRange(SettingsHooks, Rule):
    """
    ## What it does
    Finds optimizer hyperparameters outside their valid range: a momentum or an Adam beta of 1 or
    more (or below 0), a negative learning rate or weight decay, an `eps` of 0 or below. Values
    come from optimizer calls (keywords and torch's positional arguments), param groups, constants,
    argparse/click defaults, config classes, Python config modules and YAML/JSON/TOML configs
    (`momentum`, `betas`, `beta1`/`beta2`, `adam_beta1`/`adam_beta2`, `eps`, `lr`,
    `weight_decay` keys, OmegaConf `${...}` references followed).

    Stays silent on the same names where they are not an optimizer's: a `momentum` of exactly 1
    in a section that names another class (`type: BN`, an EMA hook) or written `1` in a section
    that names no optimizer (a switch), an `epsilon: 0` outside an optimizer section (a greedy
    exploration policy), and the `-1` configs write for "not set".

    ## Why is this bad?
    With momentum 1 the velocity never forgets: updates grow without bound. A beta of 1 makes
    Adam's moment estimates constant and its bias correction divide by zero; a negative learning
    rate climbs the loss; `eps=0` divides by zero for weights whose gradient is zero. PyTorch
    raises for some of these when the optimizer is built, after the data has loaded; in a config
    file read by other code they fail silently.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 1.0))
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    ```
    """

    code = "DL306"
    name = "hyperparameter-out-of-range"
    severity = Severity.ERROR
    summary = "Momentum or betas of 1 or more, a negative learning rate or weight decay, eps <= 0"
    help = "momentum and betas lie in [0, 1) (typically 0.9 and (0.9, 0.999)); lr and weight decay >= 0; eps > 0"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (1.1 divergence, 3.2 learning rate)"
    # Values come from optimizers and config modules; `eps` alone is in every LayerNorm.
    triggers = ("optim", "Adam", "SGD", "momentum", "beta1", "beta2", "weight_decay", "learning_rate", "lr=", "lr =")

    def _check(self, settings: list[Setting]):
        found = []
        for name, verdict in (("momentum", self._momentum), ("betas", self._betas), ("eps", self._eps),
                              ("lr", self._non_negative), ("weight_decay", self._non_negative)):
            for first, problem, related in judged(settings, name, verdict):
                found.append(self.diagnostic(first.location, f"{problem}{first.context()}", related=related))
        return found

    def _momentum(self, setting: Setting) -> str | None:
        value = setting.number
        if value is None or 0 <= value < 1 or _sentinel(setting):
            return None
        if value == 1 and setting.family is None and (_names_another_class(setting) or type(setting.value) is int):
            return None  # BatchNorm's 1.0 (batch statistics only), or `momentum: 1`, a switch
        return f"momentum {value:g} is outside [0, 1): the velocity never decays and the updates grow"

    def _betas(self, setting: Setting) -> str | None:
        values = setting.value if isinstance(setting.value, tuple) else (setting.value,)
        bad = [v for v in values if isinstance(v, (int, float)) and not 0 <= v < 1]
        if not bad or _sentinel(setting):
            return None
        shown = f"({', '.join(f'{v:g}' for v in values)})" if len(values) > 1 else f"{values[0]:g}"
        return (f"Adam beta {shown} is outside [0, 1): a beta of 1 freezes the moment estimate and "
                "its bias correction divides by zero")

    def _eps(self, setting: Setting) -> str | None:
        value = setting.number
        if value is None or value > 0 or _sentinel(setting):
            return None
        if setting.node is not None and setting.family is None and (
                value == 0 or str(setting.key).lower() not in OPTIMIZER_EPS_KEYS):
            return None  # `eps: 0` with no optimizer in sight: label smoothing off, a greedy policy
        return f"eps {value:g} must be positive: it keeps the adaptive step from dividing by zero"

    def _non_negative(self, setting: Setting) -> str | None:
        value = setting.number
        if value is None or value >= 0 or _sentinel(setting):
            return None
        what = "learning rate" if setting.name == "lr" else "weight decay"
        effect = "steps uphill, increasing the loss" if setting.name == "lr" else "pushes weights away from zero"
        return f"{what} {value:g} is negative: the optimizer {effect}"


def _sentinel(setting: Setting) -> bool:
    return setting.node is not None and setting.value in SENTINELS


def _names_another_class(setting: Setting) -> bool:
    section = setting.node.parent if setting.node is not None else None
    return section is not None and any(section.get(key) is not None for key in CLASS_KEYS)
