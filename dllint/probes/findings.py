"""From what a run showed to diagnostics: the rules' metadata and options, and the judges."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from dllint.engine.diagnostic import Diagnostic, Location, Related, Severity
from dllint.engine.registry import all_rules

PROBE_PREFIX = "DL9"


def probe_codes() -> list[str]:
    return [code for code in all_rules() if code.startswith(PROBE_PREFIX)]


class Findings:
    """Collects the diagnostics of the selected probe rules, each built by its own rule class."""

    def __init__(self, codes: Iterable[str], options: dict[str, Any], fallback: Location) -> None:
        catalogue = all_rules()
        self.rules = {code: catalogue[code](options.get(code)) for code in codes}
        self.fallback = fallback
        self.diagnostics: list[Diagnostic] = []

    def wants(self, code: str) -> bool:
        return code in self.rules

    def options(self, code: str) -> Any:
        return self.rules[code].options

    def add(self, code: str, location: Location | None, message: str, *,
            related: Iterable[Related] = (), severity: Severity | None = None) -> None:
        if code in self.rules:
            self.diagnostics.append(self.rules[code].diagnostic(
                location or self.fallback, message, related=related, severity=severity))


def judge(monitor, codes: Iterable[str], options: dict[str, Any]) -> list[Diagnostic]:
    from dllint.probes import judge_gradients, judge_layers, judge_loss, judge_parameters
    from dllint.probes.names import Names

    findings = Findings(codes, options, monitor.locator.fallback)
    names = Names(monitor)
    for judge_module in (judge_loss, judge_gradients, judge_parameters, judge_layers):
        judge_module.judge(monitor, names, findings)
    for diagnostic in monitor.extra:
        if findings.wants(diagnostic.code):
            findings.diagnostics.append(diagnostic)
    return sorted(findings.diagnostics, key=lambda d: d.sort_key)


# Small helpers the judges share ------------------------------------------------------------------
def step_label(step: int) -> str:
    """Steps are counted from 1 in messages: "step 1" is the first optimizer step."""
    return f"step {step + 1}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def listing(names: list[str], most: int = 4) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def by_location(items: Iterable[tuple[Location, Any]]) -> dict[Location, list[Any]]:
    grouped: dict[Location, list[Any]] = {}
    for location, item in items:
        grouped.setdefault(location, []).append(item)
    return grouped


def several_optimizers(monitor) -> bool:
    """GANs and actor-critic loops take turns: their losses are adversarial, not meant to fall."""
    return sum(1 for info in monitor.optimizers.values() if info.steps or info.skipped_run) > 1
