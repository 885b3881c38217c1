"""Runtime probes: gradient, loss and activation checks on a real training run (DL9xx).

    with dllint.probes.watch(model, optimizer) as w:
        train(...)
    print(w.findings)

    result = dllint.probes.check_overfit_batch(model, (x, y), loss_fn, lambda p: torch.optim.Adam(p))

`dllint probe train.py` does the same for a whole script, with no change to it. Importing this
package is cheap: torch loads when a function here is called. `dllint check` never imports it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_overfit_batch", "watch"]


def watch(model, optimizer, loss_fn=None, *, sample_every: int = 10, select=None,
          options: dict[str, Any] | None = None):
    """Watch one model and its optimizer(s) while the `with` block trains them; then `.findings`."""
    from dllint.probes.api import Watch

    return Watch(model, optimizer, loss_fn, sample_every=sample_every, select=select, options=options)


def check_overfit_batch(model, batch, loss_fn, optimizer_factory, *, steps: int | None = None,
                        max_final_fraction: float | None = None):
    """Train a copy of `model` on one `(inputs, targets)` batch; DL917 if the loss will not go down.

    The model, its optimizer and the random number generators are left as they were.
    """
    from dllint.probes.overfit import check_overfit_batch as run

    return run(model, batch, loss_fn, optimizer_factory, steps=steps, max_final_fraction=max_final_fraction)
