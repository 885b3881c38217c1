"""DL913-DL915: what the layers and the labels showed on sampled training steps."""

from __future__ import annotations

import math

from dllint.engine.diagnostic import Severity
from dllint.probes.findings import by_location, step_label
from dllint.probes.losses import BINARY, CLASS_INDEX


def judge(monitor, names, findings) -> None:
    end = monitor.first_bad if monitor.first_bad is not None else math.inf
    _dead_relu(monitor, names, end, findings)
    _inputs(monitor, names, findings)
    for note in monitor.notes:
        findings.add(note.code, note.location, f"{note.message} (seen at {step_label(note.step)})")
    _imbalance(monitor, findings)


def _dead_relu(monitor, names, end, findings) -> None:
    if not findings.wants("DL913"):
        return
    options = findings.options("DL913")
    dead = []
    for record in monitor.sampler.relus.values():
        fractions = [f for step, f in record.fractions if step < end][-options.checks:]
        if len(fractions) >= options.checks and all(f >= options.max_dead_fraction for f in fractions):
            name = names.module(record.module) + (f" (call {record.ordinal + 1})" if record.ordinal else "")
            dead.append((names.module_location(record.module), (name, min(fractions))))
    for location, items in by_location(dead).items():
        listing_ = ", ".join(f"`{n}` {f:.0%}" for n, f in items)
        findings.add("DL913", location,
                     f"dead ReLU units: {listing_} of the units output 0 for every sample of the batch "
                     f"(last {options.checks} checks, threshold {options.max_dead_fraction:.0%}). Usual causes: "
                     "a learning rate too high, a large negative bias, unnormalized inputs, a poor init; "
                     "LeakyReLU/GELU or normalization before the activation keep units alive")


def _inputs(monitor, names, findings) -> None:
    if not findings.wants("DL914"):
        return
    options = findings.options("DL914")
    done: set[int] = set()
    for record in monitor.sampler.inputs:
        if id(record.root) in done:
            continue
        if abs(record.mean) <= options.max_abs_mean and record.std <= options.max_std:
            continue
        done.add(id(record.root))
        root = monitor.roots.get(id(record.root))
        pixels = record.low >= 0 and 2 < record.high <= 255 and float(record.high).is_integer()
        hint = (" (raw 0-255 pixel values: scale to [0, 1], e.g. `ToTensor()` or `/ 255`, then "
                "normalize with the dataset mean and std)" if pixels else
                " (standardize the features: subtract the mean and divide by the std of the training set)")
        findings.add("DL914", root.location if root else None,
                     f"the first layer `{names.module(record.layer)}` ({type(record.layer).__name__}) of "
                     f"{type(record.root).__name__} receives inputs with mean {record.mean:.4g}, std "
                     f"{record.std:.4g}, range [{record.low:.4g}, {record.high:.4g}] at "
                     f"{step_label(record.step)}: not normalized{hint}")


def _imbalance(monitor, findings) -> None:
    if not findings.wants("DL915"):
        return
    options = findings.options("DL915")
    for series in monitor.series.values():
        if series.weighted:
            continue  # class weights or pos_weight: the imbalance is already handled
        if series.function in CLASS_INDEX:
            counts = [n for n in series.label_counts.values() if n]
        elif series.function in BINARY and series.targets_seen:
            counts = [series.positives, series.targets_seen - series.positives]
            counts = [n for n in counts if n > 0]
        else:
            continue
        if len(counts) < 2 or sum(counts) < options.min_labels:
            continue
        ratio = max(counts) / min(counts)
        if ratio < options.imbalance_ratio:
            continue
        findings.add("DL915", series.location,
                     f"heavy class imbalance in the sampled targets of {series.function}: the most frequent "
                     f"class is {ratio:.0f}x the rarest ({int(sum(counts))} labels seen). Consider class "
                     "weights (`weight=`, `pos_weight=`), a weighted sampler, or metrics beyond accuracy",
                     severity=Severity.INFO)
