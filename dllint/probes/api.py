"""`dllint.probes.watch`: the probes on one model and its optimizers, inside a `with` block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from dllint.engine.diagnostic import Diagnostic, Location
from dllint.engine.options import build_options
from dllint.engine.registry import lookup
from dllint.engine.selection import expand_all
from dllint.probes.findings import probe_codes
from dllint.probes.locations import Locator
from dllint.probes.monitor import Monitor
from dllint.probes.records import RootInfo
from dllint.probes.session import Session


class Watch:
    def __init__(self, model, optimizer, loss_fn=None, *, sample_every: int = 10, select=None,
                 options: dict[str, Any] | None = None) -> None:
        locator = Locator(Path.cwd(), Location("<unknown>", 1))
        here = locator.here(3) or locator.fallback
        locator.fallback = here  # the `with watch(...)` line, when nothing closer is known
        optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
        modules = list(model.modules())
        if isinstance(loss_fn, nn.Module):
            modules += list(loss_fn.modules())
        monitor = Monitor(locator, sample_every=sample_every, modules=modules, optimizers=optimizers)
        monitor.roots[id(model)] = RootInfo(model, here)
        self.session = Session(monitor, resolve_codes(select), resolve_options(options or {}))
        self._findings: list[Diagnostic] | None = None

    def __enter__(self) -> Watch:
        self.session.__enter__()
        return self

    def __exit__(self, *exc) -> bool:
        self.session.__exit__(*exc)
        self._findings = self.session.findings()
        return False

    @property
    def findings(self) -> list[Diagnostic]:
        """The diagnostics; inside the block, what the steps so far show."""
        if self._findings is None:
            self.session.monitor.flush()
            return self.session.findings()
        return self._findings


def resolve_codes(select) -> list[str]:
    codes = probe_codes()
    if select is None:
        return codes
    chosen = expand_all([select] if isinstance(select, str) else list(select))
    return [code for code in codes if code in chosen]


def resolve_options(options: dict[str, Any]) -> dict[str, Any]:
    """`{"DL912": {"max-log10-ratio": -0.5}}` (or an Options instance) -> validated Options."""
    resolved = {}
    for key, value in options.items():
        rule = lookup(str(key))
        if rule is None:
            raise ValueError(f"unknown rule {key!r}")
        resolved[rule.code] = value if isinstance(value, rule.Options) else build_options(
            rule.Options, value, f"options.{rule.code}")
    return resolved
