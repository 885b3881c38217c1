"""DL907, DL908, DL912, DL916: gradients and updates measured around sampled `optimizer.step()`s.

Only steps before the first non-finite loss count: after it every number is a consequence.
"""

from __future__ import annotations

import math

from torch import nn

from dllint.engine.diagnostic import Related
from dllint.probes.findings import by_location, listing, median, step_label

_SPARSE_OWNERS = (nn.Embedding, nn.EmbeddingBag)  # most rows get no gradient in a step, by design


def judge(monitor, names, findings) -> None:
    end = monitor.first_bad if monitor.first_bad is not None else math.inf
    checks = [c for c in monitor.sampler.checks if c.step < end]
    groups: dict[tuple, list] = {}
    for check in checks:
        groups.setdefault((check.optimizer.index, check.group), []).append(check)
    _exploding(monitor, names, checks, findings)
    _vanishing(monitor, names, checks, findings)
    for series in groups.values():
        _update_ratio(monitor, series, findings)
        _decay(monitor, series, findings)


def _exploding(monitor, names, checks, findings) -> None:
    if not findings.wants("DL907"):
        return
    options = findings.options("DL907")
    for check in checks:
        bad = [p for p in check.params if p.grad_norm is not None and not math.isfinite(p.grad_norm)]
        if bad:
            findings.add("DL907", names.param_location(bad[0].param),
                         f"non-finite gradient in {listing([names.param(p.param) for p in bad])} at "
                         f"{step_label(check.step)} while the loss was finite: an overflow in the backward "
                         "pass (float16 without GradScaler, sqrt/log/division at 0 inside the model)")
            return
    norms: dict[int, dict[int, float]] = {}  # optimizer -> step -> global gradient norm
    infos = {}
    for check in checks:
        squares = sum(p.grad_norm ** 2 for p in check.params if p.grad_norm is not None)
        by_step = norms.setdefault(check.optimizer.index, {})
        by_step[check.step] = math.sqrt(by_step.get(check.step, 0.0) ** 2 + squares)
        infos[check.optimizer.index] = check.optimizer
    for index, by_step in norms.items():
        message = _norm_trouble(monitor, by_step, options)
        if message:
            findings.add("DL907", infos[index].location, message + ". Lower the learning rate, clip the "
                         "gradients (`clip_grad_norm_`), check normalization layers and the loss scale")
    for info in monitor.optimizers.values():
        if info.worst_skip_run >= options.max_skipped_steps:
            findings.add("DL907", info.skip_location or info.location,
                         f"GradScaler skipped {info.worst_skip_run} steps of {info.label()} in a row after "
                         f"training had started (scale {info.skip_scale:g}): the gradients are inf/NaN at "
                         "every scale, a real overflow or NaN rather than float16's range")


def _norm_trouble(monitor, by_step: dict[int, float], options) -> str | None:
    big = [s for s in sorted(by_step) if by_step[s] > options.max_norm]
    if len(big) >= 2:
        return (f"the global gradient norm is {by_step[big[-1]]:.3g} at {step_label(big[-1])} "
                f"(above {options.max_norm:g})")
    # Growth between steps a whole sampling interval apart: the first steps' extra samples are too close.
    steps = [s for s in sorted(by_step) if s % monitor.sample_every == 0]
    run = 0
    for previous, step in zip(steps, steps[1:]):
        grew = by_step[previous] > 0 and by_step[step] > options.growth * by_step[previous]
        run = run + 1 if grew else 0
        if run >= options.growth_checks:
            first = steps[steps.index(step) - run]
            return (f"the global gradient norm grows more than {options.growth:g}x per check: "
                    f"{by_step[first]:.3g} at {step_label(first)} to {by_step[step]:.3g} at {step_label(step)}")
    return None


def _vanishing(monitor, names, checks, findings) -> None:
    if not findings.wants("DL908"):
        return
    options = findings.options("DL908")
    history: dict[int, list] = {}
    losses = {s: sum(v) / len(v) for s, v in monitor.step_losses.items() if v}
    start = next((losses[s] for s in sorted(losses) if math.isfinite(losses[s])), None)
    for check in checks:
        # A loss driven near 0 has near-zero gradients by success, not by vanishing.
        if start is not None and abs(losses.get(check.step, start)) < 0.01 * abs(start):
            continue
        for p in check.params:
            if p.grad_norm is not None and p.ndim >= 2:
                history.setdefault(id(p.param), []).append((check.step, p))
    tiny = []
    for records in history.values():
        param = records[0][1].param
        owner = names.params.get(id(param))
        if len(records) < options.min_checks or (owner and isinstance(owner[2], _SPARSE_OWNERS)):
            continue
        value = median([r.grad_abs_mean for _, r in records])
        if value < options.min_mean_abs_grad:
            tiny.append((names.param_location(param), (names.param(param), value)))
    reported = {name for _, (name, _) in tiny}
    for location, items in by_location(tiny).items():
        zero = all(v == 0 for _, v in items)
        why = ("exactly zero: nothing flows back through it (dead ReLUs after it, a detached or "
               "constant branch)" if zero else "sigmoid/tanh saturation, too deep without residual "
               "connections or normalization, or a poor init")
        findings.add("DL908", location,
                     f"vanishing gradient: the mean |grad| of {listing([n for n, _ in items])} is "
                     f"{max(v for _, v in items):.2g} (median over checks), below "
                     f"{options.min_mean_abs_grad:g}: {why}")
    for root in names.models:
        _depth_ratio(names, root, history, reported, options, findings)


def _depth_ratio(names, root, history, reported, options, findings) -> None:
    layers = []
    for module in root.layer_order:
        weight = getattr(module, "weight", None)
        if weight is not None and id(weight) in history and len(history[id(weight)]) >= options.min_checks:
            layers.append(weight)
    if len(layers) < 3 or names.param(layers[0]) in reported:
        return
    last = dict(history[id(layers[-1])])
    ratios = []
    for step, record in history[id(layers[0])]:
        other = last.get(step)
        if other and other.grad_norm and record.grad_norm is not None:
            rms = record.grad_norm / math.sqrt(record.numel)
            ratios.append(rms / (other.grad_norm / math.sqrt(other.numel)))
    if len(ratios) < options.min_checks or median(ratios) >= options.min_first_last_ratio:
        return
    findings.add("DL908", names.param_location(layers[0]),
                 f"vanishing gradient through depth: the gradient RMS of the first layer "
                 f"`{names.param(layers[0])}` is {median(ratios):.2g} times the last layer's "
                 f"`{names.param(layers[-1])}`: saturating activations (sigmoid/tanh), no residual "
                 "connections or normalization, or a poor init",
                 related=[Related(names.param_location(layers[-1]), "the last layer")])


def _update_ratio(monitor, series, findings) -> None:
    if not findings.wants("DL912"):
        return
    options = findings.options("DL912")
    logs, lrs = [], []
    for check in series:
        if check.step >= options.max_step or check.lr <= 0:
            continue
        # Matrices and kernels only: a bias or norm scale starting at 0 or 1 has no useful ratio.
        measured = [p for p in check.params if p.ndim >= 2 and p.grad_norm is not None and p.delta_norm is not None]
        weight = math.sqrt(sum(p.weight_norm ** 2 for p in measured))
        delta = math.sqrt(sum(p.delta_norm ** 2 for p in measured))
        if weight > 0 and delta > 0 and math.isfinite(delta):
            logs.append(math.log10(delta / weight))
            lrs.append(check.lr)
    if len(logs) < options.min_checks:
        return
    value = median(logs)
    first = series[0]
    where = f"param group {first.group} of {first.optimizer.label()} (lr={lrs[-1]:g})"
    if value > options.max_log10_ratio:
        verdict = "the learning rate is too high: the weights change by a large part of themselves each step"
    elif value < options.min_log10_ratio and lrs[-1] <= lrs[0] and not _loss_falling(monitor):
        verdict = "the learning rate is too low: the weights hardly move and the loss does not fall"
    else:
        return
    findings.add("DL912", first.optimizer.location,
                 f"update/weight ratio 10^{value:.1f} (median log10 ||dw||/||w|| over {len(logs)} checks) in "
                 f"{where}, outside 10^[{options.min_log10_ratio:g}, {options.max_log10_ratio:g}]: {verdict}")


def _loss_falling(monitor) -> bool:
    values = [sum(v) / len(v) for _, v in sorted(monitor.step_losses.items()) if v]
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 10:
        return False
    edge = max(1, len(values) // 10)
    head, tail = sum(values[:edge]) / edge, sum(values[-edge:]) / edge
    return tail < head * 0.95


def _decay(monitor, series, findings) -> None:
    if not findings.wants("DL916"):
        return
    options = findings.options("DL916")
    first = series[0]
    # Decoupled decay (AdamW) does not enter the gradient; an unknown optimizer cannot be judged.
    # A loss falling well shows the data gradient still wins (a fine-tuned backbone with small
    # gradients and large weights can show a high ratio and train fine).
    if first.weight_decay <= 0 or first.decoupled is not False or _loss_falling(monitor):
        return
    ratios = []
    for check in series[:options.checks]:
        with_grad = [p for p in check.params if p.grad_norm is not None]
        grad = math.sqrt(sum(p.grad_norm ** 2 for p in with_grad))
        weight = math.sqrt(sum(p.weight_norm ** 2 for p in with_grad))
        if grad > 0 and math.isfinite(grad):
            ratios.append(check.weight_decay * weight / grad)
    if len(ratios) < options.checks or median(ratios) <= options.max_ratio:
        return
    findings.add("DL916", first.optimizer.location,
                 f"weight decay {first.weight_decay:g} in param group {first.group} of {first.optimizer.label()} "
                 f"pulls the weights {median(ratios):.2g}x harder than the data gradient (median of the first "
                 f"{len(ratios)} checks): the regularization dominates and the loss stalls high. Lower it "
                 "(1e-4 to 5e-4 for SGD/Adam) or use AdamW's decoupled decay")
