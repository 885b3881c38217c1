"""Fixture cases: real files (or mini-projects) with inline `# expect: DLxxx` comments.

A case is `fixtures/DLxxx/<file>` or `fixtures/DLxxx/<directory>/`. Expectations come from
`# expect: DL101` comments on the line where the finding must start, or from a sidecar
(`<file>.expect`, or `<directory>/.expect`) with lines `path:line CODE` (`line CODE` for a file
case). Every line without an expectation must stay silent. Each case runs with only its rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from dllint.engine.errors import SettingsError
from dllint.engine.runner import lint
from dllint.engine.settings import Settings, find_settings_file, load_settings, with_overrides

EXPECT = re.compile(r"#\s*expect:\s*((?:DL\d{3}[\s,]*)+)")
SIDECAR = re.compile(r"^(?:(?P<path>[^:\s]+):)?(?P<line>\d+)\s*:?\s*(?P<code>DL\d{3})\s*$")


def cases(fixtures: Path) -> list[Path]:
    found = []
    for code_dir in sorted(p for p in fixtures.iterdir() if p.is_dir()):
        for entry in sorted(code_dir.iterdir()):
            if entry.suffix != ".expect" and not entry.name.startswith("."):
                found.append(entry)
    return found


def expected(case: Path) -> set[tuple[str, int, str]]:
    root = case if case.is_dir() else case.parent
    files = sorted(p for p in case.rglob("*") if p.is_file()) if case.is_dir() else [case]
    wanted = set()
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            match = EXPECT.search(line)
            if match:
                for code in re.findall(r"DL\d{3}", match.group(1)):
                    wanted.add((file.relative_to(root).as_posix(), number, code))
    sidecar = case / ".expect" if case.is_dir() else case.with_name(case.name + ".expect")
    if sidecar.exists():
        for raw in sidecar.read_text(encoding="utf-8").splitlines():
            raw = raw.split("#", 1)[0].strip()
            if not raw:
                continue
            match = SIDECAR.match(raw)
            assert match, f"{sidecar}: bad expectation line {raw!r}"
            path = match.group("path") or case.name
            wanted.add((path, int(match.group("line")), match.group("code")))
    return wanted


def actual(case: Path, code: str) -> tuple[set[tuple[str, int, str]], list[str]]:
    """Run only `code` on the case; findings as (path relative to the case root, line, code)."""
    root = case if case.is_dir() else case.parent
    own = find_settings_file(case) if case.is_dir() else None
    try:
        # A file case is linted whatever its name; which files count as configs is tested apart.
        base = (load_settings(own, root) if own and own.parent == case
                else Settings(root=root, config_files=("*.yaml", "*.yml", "*.json", "*.toml")))
        # Only the case's rule, plus what its own settings add (DL004 needs another rule to run).
        settings = with_overrides(base, select=(code,), ignore=())
        outcome = lint(["." if case.is_dir() else case.name], root, settings)
    except SettingsError as exc:
        return {(Path(exc.path).name, exc.line, "DL003")}, []
    found = {(d.path, d.location.line, d.code) for d in outcome.diagnostics}
    return found, outcome.errors
