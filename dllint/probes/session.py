"""A probed run: install the hooks, run the script (or the `watch` block), judge, take hooks off.

`probe_script` runs a file as `python SCRIPT ARGS` would: the same `sys.argv`, `__main__`, working
directory and `sys.path[0]`, with the script's own output untouched. A crash, `sys.exit` or the
`--steps` limit all end the run the same way: the hooks come off and what was seen is judged.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dllint.engine.diagnostic import Diagnostic, Location
from dllint.probes.findings import judge
from dllint.probes.locations import Locator, display_path
from dllint.probes.monitor import Monitor, StopRun
from dllint.probes.patches import Patches

# The session a running script is in, so `check_overfit_batch` inside it can report there.
_current: list[Session] = []


@dataclass
class ProbeResult:
    diagnostics: list[Diagnostic]
    steps: int
    stopped: bool = False  # `--steps` ended the script
    error: str | None = None  # the script crashed or exited non-zero: one line
    exit_code: int = 0  # what `python SCRIPT` would have exited with
    internal_error: str | None = None  # a probe failed (a dllint bug); the script ran on unwatched


@dataclass
class Session:
    monitor: Monitor
    codes: list[str]
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.patches = Patches(self.monitor, creation_sites=self.monitor.watched_modules is None)

    def __enter__(self) -> Session:
        _current.append(self)
        self.patches.install()
        return self

    def __exit__(self, *exc) -> bool:
        try:
            self.patches.remove()
        finally:
            _current.remove(self)
        return False

    def findings(self) -> list[Diagnostic]:
        return judge(self.monitor, self.codes, self.options)


def current() -> Session | None:
    return _current[-1] if _current else None


def probe_script(script: str, args: list[str], *, codes: list[str], options: dict[str, Any],
                 steps: int | None = None, sample_every: int = 10, cwd: Path | None = None) -> ProbeResult:
    cwd = cwd or Path.cwd()
    path = Path(script).resolve()
    locator = Locator(cwd, Location(display_path(cwd, str(path)), 1))
    monitor = Monitor(locator, sample_every=sample_every, max_steps=steps)
    result = ProbeResult([], 0)
    saved_argv, saved_path, saved_cwd = sys.argv[:], sys.path[:], os.getcwd()
    sys.argv = [script, *args]
    sys.path.insert(0, str(path.parent))
    session = Session(monitor, codes, options)
    try:
        with session:
            runpy.run_path(str(path), run_name="__main__")
    except StopRun:
        result.stopped = True
    except SystemExit as exc:
        result.exit_code, result.error = _exit_status(exc)
    except BaseException as exc:  # the script's own failure: show it as Python would, then report
        _print_traceback(exc, str(path))
        result.exit_code, result.error = 1, f"the script raised {type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.chdir(saved_cwd)  # a script that changed directory must not move the report's paths
    result.steps = monitor.step
    try:
        result.diagnostics = session.findings()
    except Exception as exc:  # noqa: BLE001 - the run is over; say what broke instead of a traceback
        monitor.broken = monitor.broken or f"judging the run: {type(exc).__name__}: {exc}"
    result.internal_error = monitor.broken
    return result


def _exit_status(exc: SystemExit) -> tuple[int, str | None]:
    code = exc.code
    if code is None or code == 0:
        return 0, None
    if not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    return code, f"the script exited with status {code}"


def _print_traceback(exc: BaseException, script: str) -> None:
    """The traceback as `python SCRIPT` prints it: from the script's frame on, without dllint's."""
    tb = exc.__traceback__
    while tb is not None and os.path.realpath(tb.tb_frame.f_code.co_filename) != os.path.realpath(script):
        tb = tb.tb_next
    ours = os.path.dirname(os.path.realpath(__file__)) + os.sep
    frames = traceback.StackSummary.from_list(
        [f for f in traceback.extract_tb(tb or exc.__traceback__) if not os.path.realpath(f.filename).startswith(ours)])
    lines = ["Traceback (most recent call last):\n", *frames.format(),
             *traceback.format_exception_only(type(exc), exc)]
    sys.stderr.write("".join(lines))
    sys.stderr.flush()
