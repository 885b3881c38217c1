"""A probe's own failure must never break the training run it watches.

Every hook torch calls, and the bookkeeping around every wrapped call, goes through `guarded`: an
exception there switches the probes off for the rest of the run and is reported once (exit 2),
while the script carries on as if nothing watched it. `StopRun` (`--steps`) is a BaseException
and passes through.
"""

from __future__ import annotations

import functools


def guarded(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        monitor = getattr(self, "monitor", self)
        if monitor.broken:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported, never raised into the user's script
            monitor.fail(f"{method.__qualname__}: {type(exc).__name__}: {exc}")
            return None

    return wrapper
