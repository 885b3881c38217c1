"""DL901-DL906: what the loss values say.

Two histories: the value each `backward()` started from (any loss, even a hand-written one), and
the per-element mean of each recognised loss function at each call site. Trend rules (chance,
divergence, plateau, initial value) read only recognised losses of a single optimizer: a custom
objective (RL, contrastive, adversarial) is not expected to fall like a supervised loss.
"""

from __future__ import annotations

import math

from dllint.probes.findings import several_optimizers, step_label
from dllint.probes.losses import BINARY, CLASS_INDEX

_TINY = (
    (1.1754943508222875e-38, "float32's smallest normal number"),
    (1.401298464324817e-45, "float32's smallest subnormal number"),
    (6.103515625e-05, "float16's smallest normal number"),
    (5.960464477539063e-08, "float16's smallest subnormal number"),
    (2.2250738585072014e-308, "float64's smallest normal number"),
    (1.1920928955078125e-07, "float32's machine epsilon"),
    *((10.0 ** -k, f"a clamp epsilon of 1e-{k}") for k in (5, 6, 7, 8, 9, 10, 12)),
)
# (value, why): -ln(eps) is what -log(p.clamp(min=eps)) gives once p has underflowed to 0.
CONSTANTS = tuple((-math.log(eps), f"-ln of {why}") for eps, why in _TINY) + (
    (100.0, "BCELoss's clamp of log(0) at -100"),)


def judge(monitor, names, findings) -> None:
    end = monitor.first_bad if monitor.first_bad is not None else math.inf
    _non_finite(monitor, findings)
    backward = {s: sum(v) / len(v) for s, v in sorted(monitor.step_losses.items()) if s < end and v}
    recognised = [(s, {k: v for k, v in s.per_step().items() if k < end}) for s in monitor.series.values()]
    stuck = _underflow(monitor, backward, recognised, findings)
    if several_optimizers(monitor):
        return
    for series, values in recognised:
        if not values:
            continue
        if series.classes and (series.function in CLASS_INDEX or series.function in BINARY):
            if _chance(series, values, findings):
                stuck.add(id(series))
            _initial(series, values, findings)
        if min(values.values()) <= 0:
            continue  # log-likelihoods can be negative: ratios of them mean nothing
        _diverging(series, values, findings)
        if id(series) not in stuck:
            _plateau(monitor, series, values, findings)


def _non_finite(monitor, findings) -> None:
    step = monitor.first_bad
    if step is None or not findings.wants("DL901"):
        return
    where = next((s.location for s in monitor.series.values()
                  if any(not math.isfinite(v) for v in s.values.get(step, ()))), None)
    seen = [v for v in monitor.step_losses.get(step, ()) if not math.isfinite(v)]
    value = seen[0] if seen else math.nan
    origin = f"; {monitor.nonfinite_origin}" if monitor.nonfinite_origin else ""
    findings.add("DL901", where or monitor.backward_location,
                 f"the loss became {value} at {step_label(step)}{origin}. Usual causes: a learning rate "
                 "too high (weights blew up), log or division of 0 in a hand-written loss, NaN/Inf in "
                 "the data, float16 without GradScaler")


def _underflow(monitor, backward, recognised, findings) -> set[int]:
    """DL902. Returns the ids of recognised series stuck at a constant (no plateau finding too)."""
    stuck: set[int] = set()
    if not findings.wants("DL902"):
        return stuck
    options = findings.options("DL902")
    reported: set[float] = set()
    histories = [(s, values, s.location) for s, values in recognised]
    histories.append((None, backward, monitor.backward_location))
    for series, values, location in histories:
        hit = _constant_run(list(values.items()), options.steps, options.tolerance)
        if hit is None or hit[1] in reported:
            continue
        step, constant, why = hit
        reported.add(constant)
        if series is not None:
            stuck.add(id(series))
        findings.add("DL902", location,
                     f"the loss is stuck at {constant:.4f} from {step_label(step)} on: {why}. The predicted "
                     "probability of the true class underflowed to 0 and the clamp passes no gradient. "
                     "Compute the loss from logits (`F.cross_entropy`, `BCEWithLogitsLoss`, `log_softmax`), "
                     "and check the labels, the learning rate and the input normalization")
    return stuck


def _constant_run(items, needed: int, tolerance: float):
    run, start, current = 0, None, None
    for step, value in items:
        match = next(((c, why) for c, why in CONSTANTS if abs(value - c) <= tolerance * c), None)
        if match is None:
            run, current = 0, None
            continue
        if current is None or match[0] != current[0]:
            run, start, current = 0, step, match
        run += 1
        if run >= needed:
            return start, current[0], current[1]
    return None


def _chance(series, values, findings) -> bool:
    if not findings.wants("DL903"):
        return False
    options = findings.options("DL903")
    late = [v for step, v in values.items() if step >= options.warmup_steps]
    if len(late) < options.min_steps:
        return False
    chance = math.log(series.classes)
    spread = statistics_sd(late)
    mean = sum(late) / len(late)
    what = None
    if all(abs(v - chance) <= options.tolerance for v in late):
        what = f"ln {series.classes} = {chance:.4f}: every class is predicted as equally likely"
    else:
        prior = series.prior_entropy()
        half = len(late) // 2
        noise = options.tolerance + 2 * spread / math.sqrt(len(late))
        flat = sum(late[half:]) / (len(late) - half) >= sum(late[:half]) / half - noise
        # Batches differ only by their label mix when the model predicts the frequencies.
        steady = spread <= 0.25 * (prior or 0.0)
        if prior is not None and abs(mean - prior) <= noise and flat and steady:
            what = f"the entropy of the labels ({prior:.4f}): only the class frequencies are predicted"
    if what is None:
        return False
    findings.add("DL903", series.location,
                 f"after {options.warmup_steps} warm-up steps the loss stays at {mean:.4f} for {len(late)} "
                 f"steps, {what}. The model ignores its input. Check that labels match the inputs, the "
                 "input normalization, dead ReLUs, and the learning rate")
    return True


def statistics_sd(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _initial(series, values, findings) -> None:
    if not findings.wants("DL906") or 0 not in values:
        return
    options = findings.options("DL906")
    first = series.values[0][0]
    chance = math.log(series.classes)
    if abs(first - chance) < options.factor * chance:
        return
    findings.add("DL906", series.location,
                 f"the first loss is {first:.4f}, but a fresh model over {series.classes} classes should start "
                 f"near ln {series.classes} = {chance:.4f}: the initial logits are far too large (inputs "
                 "not normalized, a bad init or output scale), or the loss gets probabilities or raw "
                 "scores where it expects logits or log-probabilities")


def _windows(values, start: int, width: int) -> list[tuple[int, float]]:
    ordered = [(s, v) for s, v in values.items() if s >= start]
    return [(ordered[i][0], sum(v for _, v in ordered[i:i + width]) / width)
            for i in range(0, len(ordered) - width + 1, width)]


def _diverging(series, values, findings) -> None:
    if not findings.wants("DL904"):
        return
    options = findings.options("DL904")
    windows = _windows(values, options.warmup_steps, options.window)
    if len(windows) < 3:
        return
    first = windows[0][1]
    low, above, rising = first, 0, 0
    for index, (step, mean) in enumerate(windows[1:], start=1):
        above = above + 1 if mean > options.factor * low and mean >= 0.5 * first else 0
        rising = rising + 1 if mean > windows[index - 1][1] else 0
        base = windows[index - rising][1]
        if above >= 2 or (rising >= options.rising_checks and mean >= (1 + options.min_rise) * base):
            findings.add("DL904", series.location,
                         f"the loss is diverging: {mean:.4g} (mean of {options.window} steps from "
                         f"{step_label(step)}) against a best of {low:.4g}. Usual causes: a learning rate "
                         "too high (or a schedule that raises it), exploding gradients, bad batches")
            return
        low = min(low, mean)


def _plateau(monitor, series, values, findings) -> None:
    if not findings.wants("DL905"):
        return
    options = findings.options("DL905")
    start = options.warmup_steps
    # From the warm-up to the last step seen: a slow start that falls later is no plateau.
    inside = [v for s, v in values.items() if s >= start]
    stop = max(values) + 1
    if len(inside) < options.window or _lr_rising(monitor, start, stop):
        return
    edge = max(1, options.window // 10)
    head, tail = sum(inside[:edge]) / edge, sum(inside[-edge:]) / edge
    if head <= 1e-6 or tail < head * (1 - options.min_decrease):
        return
    findings.add("DL905", series.location,
                 f"the loss went from {head:.4g} to {tail:.4g} over {step_label(start)}-{stop} "
                 f"({(head - tail) / head:.1%} decrease, less than {options.min_decrease:.0%}). Usual causes: "
                 "a learning rate too low or too high, unnormalized inputs, labels that do not match "
                 "the inputs, too much regularization, a model too small")


def _lr_rising(monitor, start: int, stop: int) -> bool:
    """A warm-up schedule still raising the learning rate explains a slow start."""
    lrs: dict[tuple, list[float]] = {}
    for check in monitor.sampler.checks:
        if start <= check.step < stop:
            lrs.setdefault((check.optimizer.index, check.group), []).append(check.lr)
    return any(seq[-1] > seq[0] for seq in lrs.values())

