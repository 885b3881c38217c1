"""What the probes keep of a run: plain numbers and references, read by the judges at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dllint.engine.diagnostic import Location


@dataclass
class ParamCheck:
    """One parameter at one sampled optimizer step."""

    param: Any  # the torch Parameter (names are resolved at the end)
    grad_norm: float | None  # None: `.grad` was None
    grad_abs_mean: float
    weight_norm: float
    delta_norm: float | None = None  # None: not measured (memory budget)

    @property
    def ndim(self) -> int:
        return self.param.dim()

    @property
    def numel(self) -> int:
        return self.param.numel()


@dataclass
class GroupCheck:
    """One parameter group of one optimizer at one sampled step."""

    step: int
    optimizer: OptimizerInfo
    group: int
    lr: float
    weight_decay: float
    decoupled: bool | None  # None: an optimizer whose decay style is unknown
    params: list[ParamCheck]


@dataclass
class OptimizerInfo:
    index: int
    name: str
    location: Location | None
    steps: int = 0
    skipped_run: int = 0  # GradScaler skips in a row, now
    worst_skip_run: int = 0  # the longest such run after a successful step
    skip_location: Location | None = None
    skip_scale: float | None = None

    def label(self) -> str:
        return f"{self.name} #{self.index + 1}" if self.index else self.name


@dataclass
class RootInfo:
    """A module called from outside any other module: the model as the script uses it."""

    module: Any
    location: Location | None  # where the script first called it
    layer_order: list[Any] = field(default_factory=list)  # weighted leaves, first training forward


@dataclass
class ParamState:
    param: Any
    checks: int = 0
    had_grad: bool = False
    norms: list[float] = field(default_factory=list)  # while in no optimizer: manual updates?


@dataclass
class ReluRecord:
    module: Any
    ordinal: int  # a ReLU module reused in one forward pass is several layers
    fractions: list[tuple[int, float]] = field(default_factory=list)  # (step, dead unit fraction)


@dataclass
class InputRecord:
    root: Any
    layer: Any
    step: int
    mean: float
    std: float
    low: float
    high: float


@dataclass
class Note:
    """A finding decided while the run was going (bad labels, a crash's cause)."""

    code: str
    location: Location | None
    message: str
    step: int
