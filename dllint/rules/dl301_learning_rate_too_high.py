"""DL301: a learning rate above what its optimizer family tolerates."""

from __future__ import annotations

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.hyperparameters import Setting, judged, sibling
from dllint.facts.setting_hooks import LinkedSettingsHooks

# Per-coordinate step of about lr whatever the gradient's scale (Lion: exactly lr, by sign).
ADAPTIVE = {"adam", "adamw", "nadam", "radam", "adamax", "rmsprop", "adagrad", "lion"}
# LARS multiplies lr by a trust ratio (about 1e-3 x |w|/|g|): SimCLR trains with lr 4.8.
NOT_JUDGED = {"lars"}
# Clipping bounds the step of plain gradient descent only; an unknown family may be SGD.
CLIP_BOUNDED = {"sgd", None}


class LearningRateTooHigh(LinkedSettingsHooks, Rule):
    """
    ## What it does
    Finds learning rates above what their optimizer family tolerates: above 0.01 for adaptive
    optimizers (Adam, AdamW, NAdam, RAdam, Adamax, RMSprop, Adagrad, Lion), above 1.0 for SGD
    and for other or unknown families. Gradient-norm clipping bounds an SGD step by
    lr x max_norm, so where the file clips (`clip_grad_norm_`, `gradient_clip_val`,
    `max_grad_norm`, `clip_grad`) an SGD rate above 1 is judged on lr x max_norm > 10 instead: an
    LSTM language model at lr 20 clipped at 0.25 is fine (a loose clip never makes a rate below 1
    a finding).

    Values come from optimizer and scheduler constructors (`max_lr` of `OneCycleLR`/`CyclicLR`),
    timm's `create_optimizer_v2`, `TrainingArguments`, argparse and click/typer defaults,
    constants, dicts, dataclass/pydantic config classes, Python config modules (nanoGPT's
    `config/*.py`, mmengine's `optimizer=dict(type='AdamW', ...)`), and YAML/JSON/TOML configs
    (OmegaConf `${...}` references followed), where the family comes from `_target_`, `type`,
    `class_path`, an `optimizer:`/`opt:`/`name:` string or the section name. A config value whose
    optimizer is named elsewhere gets it from its mmengine `_base_` file, the Hydra config composed
    at the same key, or the code that reads it (`SGD(params, lr=cfg.optim.lr)`). The finding points
    at the value, wherever it is written, and names the optimizer that uses it.

    Stays silent where the rate is not what the weights see, or the file cannot tell: warm-up,
    minimum and LR-finder rates (`warmup_lr`, `min_lr`, `lr_finder.max_lr`); an optimizer whose
    rate `LambdaLR` multiplies (the Annotated Transformer's `Adam(lr=1)`) or `OneCycleLR`
    replaces; tensors optimized directly (`Adam([latent], lr=0.1)`: inputs, latents,
    perturbations, Gaussian splats); TF-style RMSprop/Adam with a large `eps` (Inception's
    lr 0.045 with eps 1.0), judged by the generic bound; LARS, whose trust ratio rescales lr; an
    SGD rate above 1 when the training step (and so any clipping) lives in another file; one value
    shared by optimizers chosen at run time (`--optimizer sgd|adam`) that suits one of them; SGD
    training a linear probe on a frozen backbone (`frozen_stages` of 4 or more, `freeze_backbone:
    true`), which MoCo and DenseCL run at lr 12-30.

    ## Why is this bad?
    Too high a learning rate is the first reason a model does not converge: the loss jumps,
    oscillates or turns NaN within the first steps. Adam's step is about lr per weight whatever
    the gradient's scale, so 0.1 moves every weight by 0.1 each step.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(128, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ```
    """

    code = "DL301"
    name = "learning-rate-too-high"
    severity = Severity.WARNING
    summary = "A learning rate above what its optimizer family tolerates"
    help = "lower it (Adam-family optimizers train at 1e-4 to 1e-3, SGD at 0.01 to 0.1), or clip gradients for SGD"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (1.1 high learning rate, 3.2 learning rate)"
    # `learning_rate`/`lr =` reach Python config modules that name no optimizer (nanoGPT's config/).
    linked_name = "lr"
    triggers = ("optim", "Adam", "SGD", "Lion", "TrainingArguments", "SFTConfig", "OneCycleLR", "CyclicLR",
                "learning_rate", "lr =", "lr=")

    @dataclass(frozen=True)
    class Options:
        adaptive_max_lr: float = field(default=1e-2, metadata={
            "help": "highest learning rate for Adam, AdamW, NAdam, RAdam, Adamax, RMSprop, Adagrad, Lion"})
        sgd_max_lr: float = field(default=1.0, metadata={"help": "highest SGD learning rate without clipping"})
        sgd_max_lr_times_clip: float = field(default=10.0, metadata={
            "help": "highest lr x max_norm for SGD (or an unknown family) when gradients are clipped"})
        generic_max_lr: float = field(default=1.0, metadata={
            "help": "highest learning rate for other or unknown optimizer families"})
        adaptive_large_eps: float = field(default=1e-3, metadata={
            "help": "an adaptive optimizer given an eps this large is judged by the generic bound"})

    def _check(self, settings: list[Setting]):
        return [self._report(first, verdict, related)
                for first, verdict, related in judged(settings, "lr", lambda s: self._verdict(s, settings))]

    def _linked_verdict(self, setting: Setting) -> str | None:
        return self._verdict(setting, [])

    def _report(self, setting: Setting, verdict: str, related):
        label = "learning rate" if setting.key in ("lr", "learning_rate") else f"learning rate `{setting.key}`"
        return self.diagnostic(setting.location, f"{label} {setting.number:g} {verdict}{setting.context()}",
                               related=related)

    def _verdict(self, setting: Setting, settings: list[Setting]) -> str | None:
        lr, family, options = setting.number, setting.family, self.options
        # Inputs, latents and perturbations (`Adam([latent], lr=0.1)`) take large steps by design;
        # under LambdaLR the constructor's lr is a base multiplied by the lambda's factor.
        if lr is None or family in NOT_JUDGED or setting.tensors or setting.rescaled_by:
            return None
        name = setting.family_name or "an optimizer of unknown family"
        eps = sibling(settings, setting, "eps")
        if family in ADAPTIVE and eps is not None and (eps.number or 0) >= options.adaptive_large_eps:
            # TF-style RMSprop (Inception: lr 0.045, eps 1.0; timm EfficientNet: eps 1e-3): eps
            # dominates the denominator and the step scales with the gradient, as in SGD.
            family = None
        if family in ADAPTIVE:
            bound = options.adaptive_max_lr
            return f"is too high for {name} (adaptive optimizers diverge above {bound:g})" if lr > bound else None
        if family == "sgd" and setting.head_only:
            return None  # a linear probe on frozen features: MoCo v2 trains it at lr 30, MoCo v3 at 12
        bound = options.sgd_max_lr if family == "sgd" else options.generic_max_lr
        if lr <= bound:
            return None  # clipping only ever relaxes the bound: a loose clip (40) must not tighten it
        if family in CLIP_BOUNDED and setting.clipped is not False:
            if setting.clip_norm is None:
                # Clipped at a norm this file does not show, or the training step (and any
                # clipping) lives in another file (a LightningModule, a model config): unknown.
                return None
            step, bound = lr * setting.clip_norm, options.sgd_max_lr_times_clip
            return (f"is too high for {name} even with gradient clipping at {setting.clip_norm:g} "
                    f"(steps up to lr x max_norm = {step:g}, above {bound:g})") if step > bound else None
        unclipped = ", and no gradient clipping bounds the step" if family in CLIP_BOUNDED else ""
        return f"is too high for {name} (above {bound:g}{unclipped})"
