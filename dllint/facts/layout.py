"""Layout profiles (dllint/rules/data/layout_profiles.toml) and how a project tree matches them.

A profile lists `parts` (directories end in `/`; ` | ` separates alternatives, globs allowed;
`{package}` is the project's own package: `src/` or a top-level directory with `__init__.py`)
and `optional` parts that are never reported missing but help recognise the profile. A part
that `.gitignore` covers counts as present: data/, logs/ and checkpoints/ are made locally and
kept out of git, so a fresh clone lacks them.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    parts: tuple[str, ...]
    optional: tuple[str, ...] = ()


@functools.cache
def profiles() -> dict[str, Profile]:
    text = resources.files("dllint.rules").joinpath("data/layout_profiles.toml").read_text(encoding="utf-8")
    return {name: Profile(name, table["description"], tuple(table["parts"]), tuple(table.get("optional", ())))
            for name, table in tomllib.loads(text).items()}


def closest(project) -> tuple[Profile, list[str]]:
    """The profile with most parts present (optional ones included), ties broken by fraction."""
    best = None
    for profile in profiles().values():
        missing = missing_parts(project, profile.parts)
        present = len(profile.parts) - len(missing)
        bonus = len(profile.optional) - len(missing_parts(project, profile.optional))
        key = (present + bonus, present / len(profile.parts))
        if best is None or key > best[0]:
            best = (key, profile, missing)
    return best[1], best[2]


def missing_parts(project, parts) -> list[str]:
    packages = _packages(project)
    return [_shown(part) for part in parts if not _present(project, part, packages)]


def _present(project, part: str, packages: tuple[str, ...]) -> bool:
    for alternative in (a.strip() for a in part.split("|")):
        if "{package}" in alternative:
            if any(_present(project, alternative.replace("{package}", p), ()) for p in packages):
                return True
            continue
        is_dir = alternative.endswith("/")
        pattern = alternative.rstrip("/")
        if any(c in pattern for c in "*?["):
            if any(m.is_dir() or not is_dir for m in project.root.glob(pattern)):
                return True
        elif (project.is_dir(pattern) if is_dir else project.exists(pattern)) or project.is_ignored(alternative):
            return True
    return False


def _packages(project) -> tuple[str, ...]:
    found = ["src"] if project.is_dir("src") else []
    try:
        entries = sorted(project.root.iterdir())
    except OSError:
        return tuple(found)
    found += [e.name for e in entries
              if e.name not in ("tests", "test", "docs", "src") and (e / "__init__.py").is_file()]
    return tuple(found)


def _shown(part: str) -> str:
    return part.split("|")[0].strip().replace("{package}", "<package>")
