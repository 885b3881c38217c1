"""`dllint check`: settings, discovery, the run, fixes, the report, the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dllint import __version__
from dllint.engine.diagnostic import Severity
from dllint.engine.errors import SettingsError, UsageError


@dataclass
class CheckRequest:
    paths: list[str]
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    format: str | None = None
    output_file: str | None = None
    fail_on: str = "warning"
    exit_zero: bool = False
    statistics: bool = False
    use_cache: bool = True
    jobs: int | None = None
    config_file: str | None = None
    fix: bool = False
    diff: bool = False
    progress: bool = True


def run_check(request: CheckRequest) -> int:
    cwd = Path.cwd()
    try:
        settings_for = settings_resolver(request, cwd)
        from dllint.engine.discovery import discover

        discovery = discover(request.paths, settings_for, cwd)
    except SettingsError as exc:
        settings_error(exc, cwd)
        return 2
    except UsageError as exc:
        error(str(exc))
        return 2
    from dllint.engine.cache import Cache, default_directory
    from dllint.engine.runner import default_jobs, run

    cache = Cache(default_directory()) if request.use_cache else None
    with _progress(request, len(discovery.targets)) as progress:
        outcome = run(discovery, cwd, jobs=request.jobs or default_jobs(), cache=cache, progress=progress)
    diagnostics = outcome.diagnostics
    if request.fix or request.diff:
        from dllint.commands.fix import apply_fixes

        diagnostics, fix_errors = apply_fixes(diagnostics, cwd, write=request.fix, diff_stream=sys.stdout)
        outcome.errors.extend(fix_errors)
    if not request.diff:
        report(request, diagnostics, outcome.files_checked)
    for message in outcome.errors:
        error(message)
    if outcome.errors:
        return 2
    return findings_exit_code(request, diagnostics)


def findings_exit_code(request: CheckRequest, diagnostics) -> int:
    """1 when a finding reaches `--fail-on` (unless `--exit-zero`), else 0; shared with `probe`."""
    if request.exit_zero:
        return 0
    threshold = Severity.parse(request.fail_on)
    return 1 if any(d.severity >= threshold for d in diagnostics) else 0


def settings_resolver(request: CheckRequest, cwd: Path):
    from dllint.engine.discovery import ROOT_MARKERS
    from dllint.engine.settings import find_settings_file, load_settings, with_overrides

    loaded: dict = {}

    def overridden(settings):
        return with_overrides(
            settings,
            select=request.select,
            ignore=settings.ignore + tuple(request.ignore),
            extend_select=settings.extend_select + tuple(request.extend_select),
        )

    if request.config_file:
        path = Path(request.config_file)
        if not path.is_file():
            raise UsageError(f"{request.config_file}: no such settings file")
        fixed = overridden(load_settings(path.resolve(), cwd))
        _validate(fixed)
        return lambda _path: fixed

    def settings_for(path: Path):
        found = find_settings_file(path)
        if found not in loaded:
            start = path if path.is_dir() else path.parent
            root = next((d for d in [start, *start.parents] if any((d / m).exists() for m in ROOT_MARKERS)), start)
            loaded[found] = overridden(load_settings(found, root))
            _validate(loaded[found])
        return loaded[found]

    settings_for(cwd)  # fail early on broken settings, even with no files to lint
    return settings_for


def _validate(settings) -> None:
    from dllint.engine.selection import expand_all

    for group in (settings.select or (), settings.ignore, settings.extend_select):
        expand_all(group)


def report(request: CheckRequest, diagnostics, files_checked: int) -> None:
    from dllint.engine.context import ReportContext
    from dllint.engine.registry import all_rules
    from dllint.reports import load

    stdout_tty = request.output_file is None and sys.stdout.isatty()
    name = "statistics" if request.statistics else (request.format or ("full" if stdout_tty else "concise"))
    sources = _sources(diagnostics) if name == "full" else {}
    color = name == "full" and _wants_color(stdout_tty)
    context = ReportContext(all_rules(), __version__, files_checked, color=color, sources=sources)
    text = load(name).render(diagnostics, context)
    if request.output_file:
        Path(request.output_file).write_text(text, encoding="utf-8")
    else:
        # Bytes, not text: a non-UTF-8 locale must not turn a non-ASCII path into a crash.
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()


def _wants_color(is_tty: bool) -> bool:
    # https://no-color.org and the FORCE_COLOR convention.
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_tty


def _sources(diagnostics) -> dict[str, str]:
    # Source lines for the `full` format. Findings may point at a multi-GB checkpoint (DL702):
    # only small text files are read.
    texts = {}
    for path in {d.path for d in diagnostics}:
        try:
            if Path(path).stat().st_size > 2 * 1024 * 1024:
                continue
            data = Path(path).read_bytes()
        except OSError:
            continue
        if b"\0" not in data[:8192]:
            texts[path] = data.decode("utf-8", errors="replace")
    return texts


class _NoProgress:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress(request: CheckRequest, total: int):
    # A bar only for people: a terminal on stderr, and enough files to wait for.
    if not request.progress or total < 200 or not sys.stderr.isatty() or os.environ.get("CI"):
        return _NoProgress()
    from dllint.commands.progress import ProgressBar

    return ProgressBar(total)


def error(message: str) -> None:
    print(f"dllint: error: {message}", file=sys.stderr)


def settings_error(exc: SettingsError, cwd: Path) -> None:
    if exc.path:
        try:
            shown = Path(exc.path).resolve().relative_to(cwd).as_posix()
        except ValueError:
            shown = exc.path
        print(f"{shown}:{exc.line}:1: DL003 {exc.message}", file=sys.stderr)
    else:
        print(f"dllint: error: DL003 {exc.message}", file=sys.stderr)
