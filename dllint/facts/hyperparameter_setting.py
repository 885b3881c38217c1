"""One hyperparameter setting: its value, where it is written, and the optimizer it feeds.

A module of its own so that the Python and config-file extractions can both build settings while
`facts.hyperparameters`, which rules import, imports them both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dllint.engine.diagnostic import Location
from dllint.facts import optimizers as opt
from dllint.facts.constants import is_number


@dataclass(frozen=True)
class Setting:
    name: str  # canonical: lr, weight_decay, momentum, betas, eps, dropout, epochs
    value: Any  # as loaded or resolved: a number, a tuple of numbers for betas
    location: Location  # the value itself
    family: str | None = None  # optimizers.FAMILY_NAMES key; None when unknown
    optimizer: str | None = None  # the consumer as written: `torch.optim.Adam`, config `type: Adam`
    optimizer_location: Location | None = None
    origin: str = ""  # how the value reaches its consumer; "" for a literal in the call itself
    key: str = ""  # the keyword or config key as written: `lr`, `max_lr`, `base_lr`
    # Gradient-norm clipping in this file: True, False (the file runs the training step and does
    # not clip), None (the step is taken elsewhere: clipping cannot be known). Set on lr only.
    clipped: bool | None = None
    clip_norm: float | None = None  # the smallest max_norm seen, when every one is known
    tensors: bool = False  # the optimizer updates tensors named one by one (`Adam([latent])`)
    rescaled_by: str | None = None  # a scheduler that multiplies or replaces this lr (`LambdaLR`)
    # Only a head on a frozen backbone trains (a linear probe): SGD takes lr 10-30 there (MoCo).
    head_only: bool = False
    node: Any = field(default=None, compare=False, repr=False)  # the ConfigNode, in config files
    # The optimizer call or config section that sets it: settings of one optimizer share it.
    owner: Any = field(default=None, compare=False, repr=False)

    @property
    def number(self) -> float | None:
        return float(self.value) if is_number(self.value) else None

    @property
    def family_name(self) -> str | None:
        return opt.FAMILY_NAMES.get(self.family or "")

    def context(self) -> str:
        """The tail of a message: `; from `--lr` default, used by `torch.optim.Adam` at train.py:40`."""
        parts = [self.origin] if self.origin else []
        other = self.optimizer_location
        if self.node is not None and self.optimizer and other is not None:
            parts.append(f"optimizer `{self.optimizer}` (line {other.line})")
        elif self.optimizer and other is not None and (self.origin or other.line != self.location.line):
            parts.append(f"used by `{self.optimizer}` at {other.path}:{other.line}")
        return "; " + ", ".join(parts) if parts else ""
