"""The monitor: counts steps, keeps the loss history, decides which steps are sampled.

Everything here only reads. Per step it keeps detached loss scalars (no `.item()`): they are
read in one batch when a sampled step ends. The module hooks that measure activations exist only
during sampled steps, so the other steps run torch's hook-free fast path.
"""

from __future__ import annotations

import math
import weakref
from contextlib import contextmanager

import torch

from dllint.probes import losses
from dllint.probes.locations import Locator
from dllint.probes.records import Note, OptimizerInfo, RootInfo
from dllint.probes.safety import guarded
from dllint.probes.sampler import Sampler, read_floats

# Backward passes with no optimizer step at all before each one counts as a step. Gradient
# accumulation before the first `step()` stays well below this.
MANUAL_AFTER = 64


class StopRun(BaseException):  # noqa: N818 - not an error: `--steps N` was reached
    """Raised from an optimizer step hook to end the script after `--steps N`."""


class Monitor:
    def __init__(self, locator: Locator, *, sample_every: int = 10, max_steps: int | None = None,
                 modules=None, optimizers=None) -> None:
        self.locator = locator
        self.sample_every = max(1, sample_every)
        self.max_steps = max_steps
        # The `watch` API looks at one model and its optimizers only; `dllint probe` at everything.
        self.watched_modules = None if modules is None else {id(m) for m in modules}
        self.watched_optimizers = None if optimizers is None else {id(o) for o in optimizers}
        self.step = 0  # the step in progress: optimizer steps of the first optimizer so far
        self.sampling = False
        self.paused = 0
        self.pending: list[torch.Tensor] = []  # backward losses of the step in progress
        self.unflushed: list[tuple[int, torch.Tensor]] = []
        self.step_losses: dict[int, list[float]] = {}
        self.loss_pending: list[tuple] = []
        self.series: dict[tuple, losses.LossSeries] = {}
        self.backward_location = None
        self.scaled: tuple | None = None
        self.in_backward = self.in_loss = False
        self.backwards = 0
        self.optimizers: dict[int, OptimizerInfo] = {}
        self.optimizer_refs: dict[int, object] = {}
        self.primary: int | None = None
        self.created: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.module_locations: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.param_locations: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.roots: dict[int, RootInfo] = {}
        self.notes: list[Note] = []
        self.extra: list = []  # diagnostics made elsewhere during the run (the overfit check)
        self.first_bad: int | None = None  # first step with a non-finite loss
        self.nonfinite_origin: str | None = None
        self.diagnose = False
        self.broken: str | None = None  # the probes' own failure, if any: they stopped there
        self.sampler = Sampler(self)

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._set_sampling(True)

    def stop(self) -> None:
        self._set_sampling(False)
        if not self.broken:
            self.pending_to_history()
            self.flush()

    def fail(self, message: str) -> None:
        self.broken = f"{message} (at step {self.step + 1})"
        self._set_sampling(False)

    @contextmanager
    def pause(self):
        """Hides what runs inside (the overfit check's own training) from this run's records."""
        self.paused += 1
        try:
            yield
        finally:
            self.paused -= 1

    def is_sampled(self, step: int) -> bool:
        return step < 3 or step % self.sample_every == 0

    def _set_sampling(self, on: bool) -> None:
        if on != self.sampling:
            self.sampling = on
            self.sampler.install() if on else self.sampler.remove()

    def watches_module(self, module) -> bool:
        return self.watched_modules is None or id(module) in self.watched_modules

    def watches_optimizer(self, optimizer) -> bool:
        return not self.paused and (self.watched_optimizers is None or id(optimizer) in self.watched_optimizers)

    # optimizers --------------------------------------------------------------------------------
    def optimizer(self, opt) -> OptimizerInfo:
        info = self.optimizers.get(id(opt))
        if info is None:
            location = self.created.get(opt) or self.locator.here(2)
            info = OptimizerInfo(len(self.optimizers), type(opt).__name__, location)
            self.optimizers[id(opt)] = info
            self.optimizer_refs[id(opt)] = opt
            # Membership now, not only on sampled steps: an optimizer may step only between them.
            self.sampler.optimized.update(id(p) for group in opt.param_groups for p in group["params"])
            if self.primary is None:
                self.primary = id(opt)
        return info

    @guarded
    def before_step(self, opt, args, kwargs) -> None:
        if self.watches_optimizer(opt):
            info = self.optimizer(opt)
            if self.sampling:
                self.sampler.before_step(opt, info)

    @guarded
    def after_step(self, opt, args, kwargs) -> None:
        if not self.watches_optimizer(opt):
            return
        info = self.optimizer(opt)
        info.steps += 1
        info.skipped_run = 0
        if self.sampling:
            self.sampler.after_step(opt, info)
        if id(opt) == self.primary:
            self.end_step()

    @guarded
    def skipped_step(self, opt, scaler) -> None:
        """GradScaler found inf/NaN gradients and did not call `optimizer.step()`."""
        info = self.optimizer(opt)
        info.skipped_run += 1
        if info.steps:  # the first skips only calibrate the loss scale
            info.worst_skip_run = max(info.worst_skip_run, info.skipped_run)
            info.skip_location = info.skip_location or self.locator.here(2)
            info.skip_scale = float(scaler.get_scale())
        if id(opt) == self.primary:
            self.end_step()

    def end_step(self) -> None:
        was_sampled = self.sampling
        self.pending_to_history()
        self.sampler.end_step(self.step)
        self.step += 1
        self.sampler.depth = 0
        if was_sampled or self.step % self.sample_every == 0 or len(self.unflushed) > 512:
            self.flush()
        if self.max_steps is not None and self.step >= self.max_steps:
            raise StopRun
        self._set_sampling(self.is_sampled(self.step) or self.diagnose)

    # losses ----------------------------------------------------------------------------------
    def pending_to_history(self) -> None:
        self.unflushed.extend((self.step, value) for value in self.pending)
        self.pending = []

    def backward(self, original, tensors, *args, **kwargs):
        if self.in_backward or self.paused or self.broken:
            return original(tensors, *args, **kwargs)
        self._record_backward(tensors)
        self.in_backward = True
        try:
            result = original(tensors, *args, **kwargs)
        finally:
            self.in_backward = False
        self._after_backward()
        return result

    @guarded
    def _record_backward(self, tensors) -> None:
        single = tensors[0] if isinstance(tensors, (list, tuple)) and len(tensors) == 1 else tensors
        if isinstance(single, torch.Tensor) and single.numel() == 1:
            scaled = self.scaled
            value = scaled[1] if scaled is not None and scaled[0] is single else single
            self.pending.append(value.detach())
            if self.backward_location is None:
                self.backward_location = self.locator.here(2)

    @guarded
    def _after_backward(self) -> None:
        self.backwards += 1
        if self.primary is None and self.backwards > MANUAL_AFTER:
            # Weights updated by hand (`w -= lr * w.grad`): each backward pass is a step.
            self.end_step()

    @guarded
    def scaled_loss(self, loss, scaled) -> None:
        if isinstance(loss, torch.Tensor):
            self.scaled = (scaled, loss)

    def loss_call(self, function: str, original, args, kwargs):
        if self.in_loss or self.paused or self.broken or not torch.is_grad_enabled():
            return original(*args, **kwargs)
        self.in_loss = True
        try:
            series = self._before_loss(function, args, kwargs)
            try:
                out = original(*args, **kwargs)
            except Exception:
                if series is not None and _labelled(function):
                    try:
                        self._label_note(series, losses.check_labels(series, args, kwargs, self.step, count=False))
                    except Exception:  # noqa: S110 - a broken device cannot be read; the real error follows
                        pass
                raise
            if series is not None:
                self._after_loss(series, function, out, args, kwargs)
            return out
        finally:
            self.in_loss = False

    @guarded
    def _before_loss(self, function, args, kwargs):
        location = self.locator.here(3)
        series = self.series.get((function, location))
        if series is None:
            classes, weighted, _ = losses.call_facts(function, args, kwargs)
            series = losses.LossSeries(function, location, classes, weighted)
            self.series[(function, location)] = series
        if self.sampling and _labelled(function):
            self._label_note(series, losses.check_labels(series, args, kwargs, self.step, count=True))
        return series

    @guarded
    def _after_loss(self, series, function, out, args, kwargs) -> None:
        if isinstance(out, torch.Tensor) and out.requires_grad:
            _, _, reduction = losses.call_facts(function, args, kwargs)
            divisor = losses.divisor(function, reduction, args, kwargs)
            if divisor is not None:
                self.loss_pending.append((series, self.step, out.detach(), divisor))

    def _label_note(self, series, message: str | None) -> None:
        if message and not any(n.code == "DL915" and n.location == series.location for n in self.notes):
            self.notes.append(Note("DL915", series.location, message, self.step))

    def flush(self) -> None:
        """Reads the stored loss scalars in one batch (one device sync per flush)."""
        backward, self.unflushed = self.unflushed, []
        calls, self.loss_pending = self.loss_pending, []
        tensors = [v for _, v in backward] + [t if t.numel() == 1 else t.float().mean() for _, _, t, _ in calls]
        values = read_floats(tensors)
        for (step, _), value in zip(backward, values):
            self.step_losses.setdefault(step, []).append(value)
        for (series, step, _, divisor), value in zip(calls, values[len(backward):]):
            series.values.setdefault(step, []).append(value / divisor)
        if self.first_bad is None:
            bad = [s for (s, _), v in zip(backward, values) if not math.isfinite(v)]
            bad += [s for (_, s, _, _), v in zip(calls, values[len(backward):]) if not math.isfinite(v)]
            if bad:
                self.first_bad = min(bad)
                self.nonfinite_origin = self.sampler.nonfinite_origin(self.first_bad)
                self.diagnose = self.nonfinite_origin is None
        elif self.diagnose and self.nonfinite_origin is None:
            self.nonfinite_origin = self.sampler.nonfinite_origin(None)
            self.diagnose = False

    # where things were made ----------------------------------------------------------------------
    @guarded
    def optimizer_created(self, opt) -> None:
        self.created[opt] = self.locator.here(3)

    @guarded
    def module_registered(self, parent, name, module) -> None:
        if module is not None and module not in self.module_locations:
            self.module_locations[module] = self.locator.here(2)

    @guarded
    def parameter_registered(self, module, name, param) -> None:
        if param is not None:
            self.param_locations.setdefault(module, {})[name] = self.locator.here(2)

    def module_name(self, module) -> str:
        from dllint.probes.names import Names

        return Names(self).module(module)


def _labelled(function: str) -> bool:
    return function in losses.CLASS_INDEX or function in losses.BINARY
