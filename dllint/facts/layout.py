"""Layout profiles (dllint/rules/data/layout_profiles.toml) and how a project tree matches them.

A profile lists `parts` (directories end in `/`; ` | ` separates alternatives, globs allowed;
`{package}` is the project's own package: `src/` or a top-level directory with `__init__.py`)
and `optional` parts that are never reported missing but help recognise the profile. A part
that `.gitignore` covers counts as present: data/, logs/ and checkpoints/ are made locally and
kept out of git, so a fresh clone lacks them. `places` say where the profile keeps each kind of
definition (`model`, `dataset`, `metric`), in the same notation.

`chosen(project, min_match)` is the profile a project follows: the one named in the settings,
or with `layout: auto` the closest one, when the project imports a machine-learning framework
and has at least `min_match` of its parts.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

# A project that imports none of these is a library or an unrelated repository: `layout: auto`
# does not hold it to a deep-learning profile.
DL_PACKAGES = frozenset({
    "torch", "torchvision", "tensorflow", "keras", "sklearn", "lightning", "pytorch_lightning",
    "jax", "flax", "transformers", "timm", "xgboost", "lightgbm",
})


# Code beside the project proper: tests, docs, examples and notebooks define toy models and
# write their hyperparameters in on purpose. Layout rules leave them alone.
SIDE_DIRECTORIES = ("tests", "test", "testing", "docs", "doc", "examples", "example", "demos", "demo",
                    "notebooks", "benchmarks")


def is_side_code(relative: str) -> bool:
    """A test, doc, example, demo, notebook or benchmark file (`tests/`, `test_x.py`, `conftest.py`)."""
    parts = relative.split("/")
    name = parts[-1]
    return (any(part in SIDE_DIRECTORIES for part in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    parts: tuple[str, ...]
    optional: tuple[str, ...] = ()
    places: tuple[tuple[str, str], ...] = ()  # (kind, part): where the profile defines models...


@functools.cache
def profiles() -> dict[str, Profile]:
    text = resources.files("dllint.rules").joinpath("data/layout_profiles.toml").read_text(encoding="utf-8")
    return {name: Profile(name, table["description"], tuple(table["parts"]), tuple(table.get("optional", ())),
                          tuple(table.get("places", {}).items()))
            for name, table in tomllib.loads(text).items()}


def chosen(project, min_match: float) -> tuple[Profile, list[str], bool] | None:
    """(profile, its missing parts, named in the settings) for the profile the project follows."""
    layout = project.settings.layout
    if isinstance(layout, tuple):
        profile = Profile("custom", "the `layout` list in dllint's settings", layout, ())
        return profile, missing_parts(project, profile.parts), True
    if layout != "auto":
        profile = profiles()[layout]
        return profile, missing_parts(project, profile.parts), True
    if not project.imports & DL_PACKAGES:
        return None
    profile, missing = closest(project)
    if len(profile.parts) - len(missing) < min_match * len(profile.parts):
        return None
    return profile, missing, False


def places(project, profile: Profile, kind: str) -> list[str]:
    """The paths (directories end in `/`) that exist in the project where `profile` keeps `kind`."""
    part = dict(profile.places).get(kind)
    if part is None:
        return []
    found = []
    for alternative in (a.strip() for a in part.split("|")):
        names = [alternative.replace("{package}", p) for p in _packages(project)] \
            if "{package}" in alternative else [alternative]
        for name in names:
            is_dir = name.endswith("/")
            if project.is_dir(name.rstrip("/")) if is_dir else project.exists(name):
                found.append(name)
    return found


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
