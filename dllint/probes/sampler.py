"""What a sampled step measures: activations through module hooks, gradients and updates around
`optimizer.step()`. Measurements are read to Python floats at the end of the sampled step."""

from __future__ import annotations

import torch
from torch import nn

from dllint.probes.records import GroupCheck, InputRecord, ParamCheck, ParamState, ReluRecord, RootInfo
from dllint.probes.safety import guarded

# The layers whose input is "the data" when one of them is the first to run (DL914).
FIRST_LAYERS = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.RNNBase)
RELUS = (nn.ReLU, nn.ReLU6)
# Copies of the weights, to measure what `step()` changed, stop at this many bytes per step.
SNAPSHOT_BUDGET = 1 << 30
# Optimizers that add weight decay to the gradient (L2) unless told to decouple it.
COUPLED = {"SGD", "Adam", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "ASGD"}


def read_floats(tensors: list) -> list[float]:
    """Tensor scalars to floats with one device transfer per device."""
    by_device: dict = {}
    for index, t in enumerate(tensors):
        by_device.setdefault(t.device, []).append(index)
    out = [0.0] * len(tensors)
    for indices in by_device.values():
        values = torch.stack([tensors[i].detach().float().reshape(()) for i in indices]).tolist()
        for i, value in zip(indices, values):
            out[i] = value
    return out


def _norm(t, order=2):
    return torch.linalg.vector_norm(t.detach(), order, dtype=torch.float32)


def _own_params(module) -> bool:
    return any(p is not None for p in module._parameters.values())


class Sampler:
    def __init__(self, monitor) -> None:
        self.monitor = monitor
        self.handles: list = []
        self.depth = 0
        self.root: RootInfo | None = None
        self.first_pending = False
        self.conv_last = False  # the last weighted layer was a convolution: 3-D outputs are (N, C, L)
        self.ordinals: dict[int, int] = {}
        self.order: list | None = None
        self.flags: list = []
        self.last_flags: tuple[int, list] | None = None
        self.pending: dict[int, tuple] = {}  # optimizer id -> (step, groups) awaiting `after_step`
        self.scanned = -1
        self.checks: list[GroupCheck] = []
        self.params: dict[int, ParamState] = {}
        self.optimized: set[int] = set()
        self.relus: dict[tuple[int, int], ReluRecord] = {}
        self.inputs: list[InputRecord] = []

    def install(self) -> None:
        from torch.nn.modules import module as registry

        self.handles = [registry.register_module_forward_pre_hook(self.pre_forward),
                        registry.register_module_forward_hook(self.post_forward, always_call=True)]

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    # forward -----------------------------------------------------------------------------------
    @guarded
    def pre_forward(self, module, args) -> None:
        monitor = self.monitor
        if monitor.paused or not monitor.watches_module(module) or torch.compiler.is_compiling():
            return
        if self.depth == 0:
            self._enter_root(module)
        self.depth += 1
        if self.first_pending and _own_params(module):
            self.first_pending = False
            if isinstance(module, FIRST_LAYERS) and module.training and torch.is_grad_enabled():
                self._first_input(module, args)

    def _enter_root(self, module) -> None:
        root = self.monitor.roots.get(id(module))
        if root is None:
            root = RootInfo(module, self.monitor.locator.here(3))
            self.monitor.roots[id(module)] = root
        self.root, self.first_pending, self.ordinals = root, True, {}
        self.order = [] if not root.layer_order and module.training else None
        if next(module.parameters(), None) is not None:
            self.flags = []  # a non-finite output is looked for in the step's last model forward

    def _first_input(self, layer, args) -> None:
        x = args[0] if args else None
        if sum(1 for r in self.inputs if r.root is self.root.module) >= 8:
            return  # the data's scale is clear after a few batches; keep memory flat
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.numel() < 2:
            return
        data = x.detach().float()
        low, high = torch.aminmax(data)
        stats = torch.stack([data.mean(), data.std(), low, high]).tolist()
        self.inputs.append(InputRecord(self.root.module, layer, self.monitor.step, *stats))

    @guarded
    def post_forward(self, module, args, output) -> None:
        monitor = self.monitor
        if monitor.paused or not monitor.watches_module(module) or torch.compiler.is_compiling():
            return
        self.depth = max(0, self.depth - 1)
        if module.training and torch.is_grad_enabled() and isinstance(output, torch.Tensor):
            self._measure_output(module, output)
        if self.depth == 0 and self.order is not None and self.root is not None:
            self.root.layer_order, self.order = self.order, None

    def _measure_output(self, module, output) -> None:
        if _own_params(module):
            self.conv_last = isinstance(module, nn.modules.conv._ConvNd)
            if self.order is not None and module not in self.order:
                self.order.append(module)
        if isinstance(module, RELUS):
            self._dead_units(module, output)
        if output.is_floating_point() and next(module.children(), None) is None:
            self.flags.append((module, torch.isfinite(output.detach()).all()))

    def _dead_units(self, module, out) -> None:
        ordinal = self.ordinals.get(id(module), 0)
        self.ordinals[id(module)] = ordinal + 1
        if out.dim() < 2:
            return
        units_dim = 1 if out.dim() != 3 or self.conv_last else out.dim() - 1
        units = out.detach().movedim(units_dim, 0).reshape(out.shape[units_dim], -1)
        if units.shape[1] < 8:  # too few values per unit to call one dead
            return
        dead = float((~units.ne(0).any(dim=1)).float().mean())
        record = self.relus.setdefault((id(module), ordinal), ReluRecord(module, ordinal))
        record.fractions.append((self.monitor.step, dead))
        del record.fractions[:-32]  # the judge reads the last few

    def end_step(self, step: int) -> None:
        if self.flags:
            values = read_floats([flag for _, flag in self.flags])
            self.last_flags = (step, [(m, v > 0) for (m, _), v in zip(self.flags, values)])
            self.flags = []

    def nonfinite_origin(self, step: int | None) -> str | None:
        """Which layer's output went non-finite first in the sampled forward pass of `step`."""
        if self.last_flags is None or (step is not None and self.last_flags[0] != step):
            return None
        seen_at, flags = self.last_flags
        when = "" if step is not None else f" (seen at step {seen_at})"
        bad = next((i for i, (_, finite) in enumerate(flags) if not finite), None)
        if bad is None:
            return "every layer's output was finite: the loss computation itself made it" + when
        module = flags[bad][0]
        name = self.monitor.module_name(module)
        if bad == 0:
            return f"the first layer `{name}` already gave non-finite output: its input or weights{when}"
        return f"first non-finite output: `{name}` ({type(module).__name__}){when}"

    # optimizer steps -----------------------------------------------------------------------------
    def before_step(self, opt, info) -> None:
        step = self.monitor.step
        groups = []
        budget = SNAPSHOT_BUDGET
        for index, group in enumerate(opt.param_groups):
            params = [p for p in group["params"] if p.requires_grad]
            self.optimized.update(id(p) for p in group["params"])
            with torch.no_grad():
                snaps = []
                for p in params:
                    size = p.numel() * p.element_size()
                    keep = p.grad is not None and size <= budget
                    snaps.append(p.detach().clone() if keep else None)
                    budget -= size if keep else 0
            groups.append((index, group, params, snaps))
        self.pending[id(opt)] = (step, groups)
        self._scan_roots(count=self.scanned != step)
        self.scanned = step

    def after_step(self, opt, info) -> None:
        step, groups = self.pending.pop(id(opt), (None, []))
        if step is None:
            return
        for index, group, params, snaps in groups:
            checks = self._measure(params, snaps)
            decoupled = group.get("decoupled_weight_decay")
            if decoupled is None:
                decoupled = True if info.name == "AdamW" else (False if info.name in COUPLED else None)
            self.checks.append(GroupCheck(step, info, index, _float(group.get("lr")),
                                          _float(group.get("weight_decay")), decoupled, checks))

    def _measure(self, params, snaps) -> list[ParamCheck]:
        scalars, layout = [], []
        with torch.no_grad():
            for p, snap in zip(params, snaps):
                g = p.grad if p.grad is not None and not p.grad.is_sparse else None
                row = [_norm(p)]
                if g is not None:
                    row += [_norm(g), _norm(g, 1)]
                if snap is not None:
                    row.append(_norm(p.detach() - snap))
                layout.append((p, g is not None, snap is not None, len(scalars)))
                scalars += row
        values = read_floats(scalars) if scalars else []
        checks = []
        for p, has_grad, has_snap, at in layout:
            weight = values[at]
            grad, l1 = (values[at + 1], values[at + 2]) if has_grad else (None, 0.0)
            delta = values[at + 1 + 2 * has_grad] if has_snap else None
            checks.append(ParamCheck(p, grad, l1 / max(p.numel(), 1), weight, delta))
        return checks

    def _scan_roots(self, count: bool) -> None:
        """Which parameters of the models got a gradient; the weights of those in no optimizer.

        Every optimizer's step looks (a GAN zeroes one model's gradients before the other steps);
        a step counts once.
        """
        manual, seen = [], set()
        for root in self.monitor.roots.values():
            for p in root.module.parameters():
                if not p.requires_grad or id(p) in seen:
                    continue
                seen.add(id(p))
                state = self.params.setdefault(id(p), ParamState(p))
                state.had_grad = state.had_grad or p.grad is not None
                if count:
                    state.checks += 1
                    if id(p) not in self.optimized:
                        manual.append(state)
        if manual:
            for state, value in zip(manual, read_floats([_norm(s.param) for s in manual])):
                state.norms.append(value)


def _float(value) -> float:
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0
