"""One run: discover, lint files in parallel, run tree rules per project, apply suppressions."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dllint.engine import suppressions as supp
from dllint.engine.cache import Cache
from dllint.engine.diagnostic import Diagnostic
from dllint.engine.discovery import Discovery, Target
from dllint.engine.ignore import spec
from dllint.engine.project import Project
from dllint.engine.registry import all_rules
from dllint.engine.ruleset import RuleSet, RuleSetSpec
from dllint.engine.summary import FileResult
from dllint.engine.worker import check_file

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one-line messages; any error means exit 2
    files_checked: int = 0


def run(discovery: Discovery, cwd: Path, *, jobs: int, cache: Cache | None,
        progress: Callable[[int, int], None] | None = None) -> Outcome:
    rulesets: dict[RuleSetSpec, RuleSet] = {}
    for settings in [t.settings for t in discovery.targets] + [s for _, s in discovery.roots]:
        spec_ = RuleSetSpec.from_settings(settings)
        if spec_ not in rulesets:
            rulesets[spec_] = RuleSet(spec_)
    results = _lint_files(discovery.targets, rulesets, jobs, cache, progress)
    outcome = Outcome(errors=list(discovery.errors), files_checked=len(discovery.targets))
    by_path: dict[str, FileResult] = {}
    for result in results:
        by_path[result.path] = result
        if result.error:
            outcome.errors.append(result.error)
        outcome.errors.extend(result.crashes)
    project_diagnostics = _project_phase(discovery, results, rulesets, cwd, outcome)
    outcome.diagnostics = _finish(discovery, by_path, project_diagnostics, rulesets, cwd)
    return outcome


_WORKER: dict = {}


def _init_worker(rulesets: dict, cache: Cache | None) -> None:
    _WORKER["rulesets"], _WORKER["cache"] = rulesets, cache


def _work(task: tuple) -> FileResult:
    path, display, kind, spec_ = task
    return check_file(path, display, kind, _WORKER["rulesets"][spec_], _WORKER["cache"])


def _lint_files(targets: list[Target], rulesets, jobs: int, cache, progress) -> list[FileResult]:
    tasks = [(t.path, t.display, t.kind, RuleSetSpec.from_settings(t.settings)) for t in targets]
    results: list[FileResult] = []
    if jobs <= 1 or len(tasks) < PARALLEL_THRESHOLD:
        _init_worker(rulesets, cache)
        for task in tasks:
            results.append(_work(task))
            if progress:
                progress(len(results), len(tasks))
        return results
    # fork shares the already-imported rules with the workers; spawn elsewhere.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                             initializer=_init_worker, initargs=(rulesets, cache)) as pool:
        chunk = max(1, min(32, len(tasks) // (jobs * 8)))
        for result in pool.map(_work, tasks, chunksize=chunk):
            results.append(result)
            if progress:
                progress(len(results), len(tasks))
    return results


def _project_phase(discovery, results, rulesets, cwd, outcome) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    groups: dict[tuple[Path, bool], tuple] = {}
    roots = sorted(discovery.roots, key=lambda r: len(r[0].parts), reverse=True)
    loose = [t for t in discovery.targets]
    for root, settings in roots:
        groups[(root, True)] = (settings, [])
    summaries = {r.path: r.summary for r in results if r.summary is not None}
    for target in loose:
        summary = summaries.get(target.display)
        if summary is None:
            continue
        owner = next((r for r, _ in roots if r == target.path or r in target.path.parents), None)
        if owner is None:
            key = (cwd, False)
            groups.setdefault(key, (target.settings, []))
        else:
            key = (owner, True)
        groups[key][1].append(summary)
    for (root, is_root), (settings, members) in groups.items():
        project = Project(root, settings, members, cwd, is_root)
        ruleset = rulesets[RuleSetSpec.from_settings(settings)]
        for rule in ruleset.project_rules:
            try:
                diagnostics.extend(rule.check_project(project) or ())
            except Exception as exc:  # keep every other finding
                outcome.errors.append(f"rule {rule.code} ({rule.name}) failed on project "
                                      f"{project.display('.') or '.'}: {type(exc).__name__}: {exc}")
    return diagnostics


def _finish(discovery, by_path: dict[str, FileResult], extra: list[Diagnostic], rulesets, cwd) -> list[Diagnostic]:
    settings_by_path = {t.display: t.settings for t in discovery.targets}
    per_path: dict[str, list[Diagnostic]] = {}
    for result in by_path.values():
        per_path.setdefault(result.path, []).extend(result.diagnostics)
    for diagnostic in extra:
        per_path.setdefault(diagnostic.path, []).append(diagnostic)
    final: list[Diagnostic] = []
    for path, diagnostics in per_path.items():
        result = by_path.get(path)
        suppressions = result.suppressions if result else _suppressions_of(cwd / path)
        settings = settings_by_path.get(path) or (discovery.roots[0][1] if discovery.roots else None)
        if settings is not None:
            diagnostics = drop_per_file_ignores(diagnostics, cwd / path, settings)
        kept = supp.apply(diagnostics, suppressions)
        if settings is not None and suppressions:
            ruleset = rulesets[RuleSetSpec.from_settings(settings)]
            if ruleset.selected("DL004"):
                rule = ruleset.engine_rule("DL004")
                # Probe codes never run under `check`: their suppressions cannot be judged here.
                ran = frozenset(c for c in ruleset.spec.codes if not all_rules()[c].probe)
                lines = _lines_of(cwd / path)
                kept.extend(rule.diagnostic(loc, msg, fix=fix)
                            for loc, msg, fix in supp.unused(path, suppressions, ran, lines))
        final.extend(kept)
    final.sort(key=lambda d: d.sort_key)
    return final


def drop_per_file_ignores(diagnostics, path: Path, settings) -> list[Diagnostic]:
    if not settings.per_file_ignores:
        return diagnostics
    from dllint.engine.selection import expand_all

    try:
        relative = path.resolve().relative_to(settings.root.resolve()).as_posix()
    except (ValueError, OSError):
        relative = path.name
    ignored: set[str] = set()
    for pattern, selectors in settings.per_file_ignores:
        if spec((pattern,)).match_file(relative):
            ignored |= expand_all(selectors)
    return [d for d in diagnostics if d.code not in ignored]


def _lines_of(path: Path) -> list[str]:
    from dllint.sources.text import split_lines

    try:
        return split_lines(path.read_bytes().decode("utf-8", errors="replace"))
    except OSError:
        return []


def _suppressions_of(path: Path) -> list:
    # Tree rules may point at files that were not linted (pyproject.toml, .gitignore).
    language = {".py": "python", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}.get(path.suffix)
    if language is None and path.name != ".gitignore":
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return supp.find_suppressions(text, language or "gitignore")


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def lint(paths: list[str], cwd: Path, settings, *, jobs: int = 1, cache: Cache | None = None) -> Outcome:
    """Lint with one fixed Settings (tests, the API): no settings-file lookup."""
    from dllint.engine.discovery import discover

    return run(discover(paths, lambda _path: settings, cwd), cwd, jobs=jobs, cache=cache)
