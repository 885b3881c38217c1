"""The global hooks a probed run needs, and taking them off again in reverse order.

Module and optimizer hooks are torch's own global hooks. Losses, `backward` and GradScaler have
none, so those functions are wrapped: each wrapper calls the original with the same arguments and
returns its result untouched. Creation sites (which line made this layer or optimizer) come from
torch's registration hooks and a wrapper around `Optimizer.__init__`; only `dllint probe` needs
them, because `watch` is given objects that already exist.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch.amp.grad_scaler import GradScaler
from torch.nn.modules import module as module_hooks
from torch.optim import optimizer as optimizer_hooks

from dllint.probes.losses import RECOGNISED


class Patches:
    def __init__(self, monitor, *, creation_sites: bool) -> None:
        self.monitor = monitor
        self.creation_sites = creation_sites
        self._saved: list[tuple[object, str, object]] = []
        self._handles: list = []

    def install(self) -> None:
        monitor = self.monitor
        self._wrap(torch.autograd, "backward", lambda original: functools.wraps(original)(
            lambda tensors, *a, **k: monitor.backward(original, tensors, *a, **k)))
        for name in sorted(RECOGNISED):
            if hasattr(F, name):
                self._wrap(F, name, functools.partial(_loss_wrapper, monitor, name))
        self._wrap(GradScaler, "scale", functools.partial(_scale_wrapper, monitor))
        self._wrap(GradScaler, "step", functools.partial(_scaler_step_wrapper, monitor))
        self._handles += [optimizer_hooks.register_optimizer_step_pre_hook(monitor.before_step),
                          optimizer_hooks.register_optimizer_step_post_hook(monitor.after_step)]
        if self.creation_sites:
            self._wrap(optimizer_hooks.Optimizer, "__init__", functools.partial(_init_wrapper, monitor))
            self._handles += [
                module_hooks.register_module_module_registration_hook(monitor.module_registered),
                module_hooks.register_module_parameter_registration_hook(monitor.parameter_registered),
            ]
        monitor.start()

    def remove(self) -> None:
        self.monitor.stop()
        for handle in reversed(self._handles):
            handle.remove()
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._handles, self._saved = [], []

    def _wrap(self, owner, name: str, make) -> None:
        original = getattr(owner, name)
        self._saved.append((owner, name, original))
        setattr(owner, name, make(original))


def _loss_wrapper(monitor, name, original):
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return monitor.loss_call(name, original, args, kwargs)

    return wrapper


def _scale_wrapper(monitor, original):
    @functools.wraps(original)
    def scale(scaler, outputs):
        scaled = original(scaler, outputs)
        monitor.scaled_loss(outputs, scaled)
        return scaled

    return scale


def _scaler_step_wrapper(monitor, original):
    @functools.wraps(original)
    def step(scaler, optimizer, *args, **kwargs):
        before = monitor.optimizers.get(id(optimizer))
        count = before.steps if before else 0
        result = original(scaler, optimizer, *args, **kwargs)
        if monitor.watches_optimizer(optimizer) and scaler.is_enabled():
            info = monitor.optimizer(optimizer)
            if info.steps == count:
                monitor.skipped_step(optimizer, scaler)
        return result

    return step


def _init_wrapper(monitor, original):
    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        monitor.optimizer_created(self)

    return __init__
