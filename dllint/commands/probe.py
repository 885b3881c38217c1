"""`dllint probe SCRIPT [-- ARGS]`: run a training script under the runtime probes, then report.

The report uses `check`'s settings (select/ignore, per-file-ignores, rule options), suppression
comments, formats and exit codes. A script that crashes still gets its report; the exit code is
then 2, as for any run that could not finish.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from dllint.commands.check import CheckRequest, error, findings_exit_code, report, settings_error, settings_resolver
from dllint.engine.errors import SettingsError, UsageError

TORCH_MISSING = "`dllint probe` needs torch: pip install 'dllint[probes]'"


@dataclass
class ProbeRequest:
    script: str
    args: list[str] = field(default_factory=list)
    steps: int | None = None
    sample_every: int = 10
    # Selection, format, output file, fail-on, exit-zero and settings file: the same as `check`'s.
    report: CheckRequest | None = None


def run_probe(request: ProbeRequest) -> int:
    if importlib.util.find_spec("torch") is None:
        error(TORCH_MISSING)
        return 2
    script = Path(request.script)
    if not script.is_file():
        error(f"{request.script}: no such script")
        return 2
    cwd = Path.cwd()
    shared = request.report or CheckRequest(paths=[request.script])
    try:
        settings = settings_resolver(shared, cwd)(script.resolve())
        codes = probe_selection(settings)
    except SettingsError as exc:
        settings_error(exc, cwd)
        return 2
    except UsageError as exc:
        error(str(exc))
        return 2
    from dllint.probes.session import probe_script

    options = {code: settings.options_for(code) for code in codes if settings.options_for(code) is not None}
    result = probe_script(request.script, list(request.args), codes=codes, options=options,
                          steps=request.steps, sample_every=request.sample_every, cwd=cwd)
    diagnostics = _suppressed(result.diagnostics, settings, cwd)
    report(shared, diagnostics, 1)
    if result.internal_error:
        error(f"a probe failed and stopped watching: {result.internal_error}")
    if result.error:
        error(f"{result.error} after {result.steps} optimizer step(s); the report shows what was seen")
    if result.error or result.internal_error:
        return 2
    return findings_exit_code(shared, diagnostics)


def probe_selection(settings) -> list[str]:
    """The DL9 codes to run. A selection naming no probe code (made for `check`) means all of them."""
    from dllint.engine.selection import expand_all, resolve
    from dllint.probes.findings import probe_codes

    probes = probe_codes()
    select = settings.select
    if select is None or not expand_all(select) & set(probes):
        select = ("DL9",)
    chosen = resolve(select, settings.extend_select, settings.ignore)
    return [code for code in probes if code in chosen]


def _suppressed(diagnostics, settings, cwd: Path):
    """Per-file ignores and `# dllint: ignore[...]` / `# noqa` comments in the files pointed at."""
    from dllint.engine import suppressions
    from dllint.engine.runner import drop_per_file_ignores

    kept = []
    for path in sorted({d.path for d in diagnostics}):
        mine = drop_per_file_ignores([d for d in diagnostics if d.path == path], cwd / path, settings)
        try:
            text = (cwd / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        kept += suppressions.apply(mine, suppressions.find_suppressions(text, "python"))
    return sorted(kept, key=lambda d: d.sort_key)
