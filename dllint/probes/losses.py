"""Recognised loss functions: what a call tells the probes besides its value.

`torch.nn.functional` is wrapped, so `nn.CrossEntropyLoss()(...)` (whose forward calls
`F.cross_entropy`) and `F.cross_entropy(...)` are seen the same way. Only training calls are
recorded (grad mode on, the output requires grad): a validation loss says nothing about the
optimisation. Label checks run before the real call on sampled steps, and after it fails on any
step, so a crash on bad labels still leaves its finding behind.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import torch

from dllint.engine.diagnostic import Location

# Losses over class scores: chance level ln C, labels to check.
CLASS_INDEX = {"cross_entropy", "nll_loss"}
BINARY = {"binary_cross_entropy", "binary_cross_entropy_with_logits"}
# Other supervised losses: their value counts for the loss-trend rules only.
OTHER = {
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "multilabel_soft_margin_loss", "soft_margin_loss", "multi_margin_loss",
    "ctc_loss",
}
RECOGNISED = CLASS_INDEX | BINARY | OTHER


@dataclass
class LossSeries:
    """Every training call of one loss function at one place in the user's code."""

    function: str
    location: Location | None
    classes: int | None = None  # C for ln C; 2 for the per-element binary losses
    weighted: bool = False  # class weights or pos_weight given: imbalance is being handled
    values: dict[int, list[float]] = field(default_factory=dict)  # step -> per-call values
    label_counts: Counter = field(default_factory=Counter)  # sampled 1-D class labels
    positives: float = 0.0  # sampled binary targets: sum and count
    targets_seen: int = 0

    def per_step(self) -> dict[int, float]:
        return {step: sum(v) / len(v) for step, v in sorted(self.values.items()) if v}

    def prior_entropy(self) -> float | None:
        if self.classes == 2 and self.function in BINARY:
            if not self.targets_seen:
                return None
            p = self.positives / self.targets_seen
            return -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)
        total = sum(self.label_counts.values())
        if not total:
            return None
        return -sum(n / total * math.log(n / total) for n in self.label_counts.values() if n)


@dataclass
class LabelProblem:
    function: str
    location: Location | None
    step: int
    message: str


def _arg(args, kwargs, index: int, name: str, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def call_facts(function: str, args, kwargs) -> tuple[int | None, bool, str]:
    """(classes, weighted, reduction) of one call, read from its arguments without computing."""
    logits = _arg(args, kwargs, 0, "input")
    reduction = kwargs.get("reduction", "mean")
    if any(k in kwargs for k in ("size_average", "reduce")):
        reduction = "legacy"  # deprecated flags: the value's scale is not worth guessing
    classes = None
    weighted = False
    if function in CLASS_INDEX and isinstance(logits, torch.Tensor) and logits.dim() >= 1:
        classes = int(logits.shape[1] if logits.dim() >= 2 else logits.shape[0])
        weighted = kwargs.get("weight") is not None or (len(args) > 2 and args[2] is not None)
    elif function in BINARY:
        classes = 2
        weighted = kwargs.get("pos_weight") is not None or kwargs.get("weight") is not None
    return classes, weighted, reduction


def divisor(function: str, reduction: str, args, kwargs) -> float | None:
    """What turns a reduced value into a per-element mean; None when it cannot be known."""
    if reduction in ("mean", "batchmean", "none"):
        return 1.0
    if reduction != "sum":
        return None
    target = _arg(args, kwargs, 1, "target")
    logits = _arg(args, kwargs, 0, "input")
    if function in CLASS_INDEX and isinstance(target, torch.Tensor) and not target.is_floating_point():
        return float(max(target.numel(), 1))
    if isinstance(logits, torch.Tensor) and function not in CLASS_INDEX:
        return float(max(logits.numel(), 1))
    return None


def check_labels(series: LossSeries, args, kwargs, step: int, count: bool) -> str | None:
    """A message if the targets cannot be right for this loss; tallies classes when `count`."""
    target = _arg(args, kwargs, 1, "target")
    logits = _arg(args, kwargs, 0, "input")
    if not isinstance(target, torch.Tensor) or target.numel() == 0:
        return None
    if series.function in CLASS_INDEX:
        return _class_labels(series, logits, target, kwargs, count)
    if series.function in BINARY:
        low, high = (float(v) for v in torch.aminmax(target.detach().float()))
        if low < 0 or high > 1:
            return (f"{series.function} targets range from {_num(low)} to {_num(high)}, outside [0, 1]: "
                    "labels coded as -1/+1 or 1/2 (use 0/1, or a margin loss for ±1 labels)")
        if count and (target.dim() <= 1 or (target.dim() == 2 and target.shape[-1] == 1)):
            series.positives += float(target.detach().float().sum())
            series.targets_seen += target.numel()
    return None


def _class_labels(series, logits, target, kwargs, count) -> str | None:
    classes = series.classes
    if target.is_floating_point():
        if isinstance(logits, torch.Tensor) and target.shape == logits.shape:
            low, high = (float(v) for v in torch.aminmax(target.detach().float()))
            if low < 0 or high > 1:
                return (f"soft targets of {series.function} range from {_num(low)} to {_num(high)}: "
                        "class probabilities must lie in [0, 1]")
            return None
        return (f"{series.function} got float targets of shape {tuple(target.shape)}: it expects "
                "class indices (`.long()`), or class probabilities shaped like the scores")
    ignore = kwargs.get("ignore_index", -100)
    kept = target[target != ignore]
    if kept.numel() == 0 or classes is None:
        return None
    low, high = (int(v) for v in torch.aminmax(kept))
    if low < 0 or high >= classes:
        hint = " (1-based labels?)" if low >= 1 and high == classes else ""
        return (f"{series.function} targets range from {low} to {high}, but the scores have "
                f"{classes} classes: labels must lie in [0, {classes}){hint}")
    if count and target.dim() == 1:
        series.label_counts.update(dict(enumerate(torch.bincount(kept, minlength=classes).tolist())))
    return None


def _num(value: float) -> str:
    return f"{value:g}"
