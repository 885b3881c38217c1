"""Finds the files to lint, once: Python files, hyperparameter config files, project roots."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dllint.engine.ignore import DEFAULT_EXCLUDE, GitignoreStack, spec
from dllint.engine.settings import Settings
from dllint.sources.config_file import CONFIG_SUFFIXES as CONFIG_FORMATS

PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_SUFFIXES = tuple(CONFIG_FORMATS)
# Files that look like configs but configure tools, not training. Never read as hyperparameters.
NEVER_CONFIG = spec((
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".github/", ".gitlab-ci.yml", ".gitlab/",
    "*.lock", "*-lock.json", "*.lock.json", "package.json", "tsconfig*.json", "jsconfig*.json",
    "pyrightconfig.json", ".vscode/", ".devcontainer/", ".idea/", "pyproject.toml", "dllint.yaml",
    ".dllint.yaml", "environment*.yml", "environment*.yaml", "mkdocs.yml", "mkdocs.yaml",
    ".readthedocs.yml", ".readthedocs.yaml", "codecov.yml", ".codecov.yml", "docker-compose*.yml",
    "docker-compose*.yaml", "compose.yaml", "compose.yml", ".markdownlint*", ".yamllint*",
    "renovate.json", ".prettierrc*", ".eslintrc*", "*.schema.json", "*.ipynb",
))
ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt",
                "dllint.yaml", ".dllint.yaml", "environment.yml")
TRAINING_SCRIPT_PREFIXES = ("train", "main")


@dataclass(frozen=True)
class Target:
    path: Path  # absolute
    display: str  # as printed: relative to the current directory when below it
    kind: str  # "python" | "config"
    settings: Settings


@dataclass
class Discovery:
    targets: list[Target] = field(default_factory=list)
    roots: list[tuple[Path, Settings]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def discover(arguments: list[str], settings_for, cwd: Path) -> Discovery:
    """`settings_for(path) -> Settings` gives the settings that govern a path."""
    found = Discovery()
    seen: set[Path] = set()
    for argument in arguments:
        path = Path(os.path.abspath(os.path.join(cwd, argument)))
        try:
            resolved = path.resolve(strict=True)
            is_dir = resolved.is_dir()
        except (OSError, RuntimeError) as exc:
            found.errors.append(f"{argument}: {_reason(exc)}")
            continue
        settings = settings_for(path)
        if is_dir:
            if any((path / marker).exists() for marker in ROOT_MARKERS):
                found.roots.append((path, settings))
            _walk(path, settings, cwd, found, seen)
        else:
            kind = classify(path, settings, explicit=True, beside_training_script=False)
            if kind and path not in seen and not _excluded(path, settings, False):
                seen.add(path)
                found.targets.append(Target(path, display_path(path, cwd), kind, settings))
    return found


def classify(path: Path, settings: Settings, *, explicit: bool, beside_training_script: bool) -> str | None:
    name = path.name
    if name.endswith(PYTHON_SUFFIXES):
        return "python"
    if not name.endswith(CONFIG_SUFFIXES):
        return None
    relative = _relative(path, settings.root)
    if NEVER_CONFIG.match_file(relative):
        return None
    if beside_training_script or spec(settings.config_files).match_file(relative):
        return "config"
    return None


def _walk(top: Path, settings: Settings, cwd: Path, found: Discovery, seen: set[Path]) -> None:
    excluded = spec(DEFAULT_EXCLUDE + settings.exclude)
    base = settings.root
    if top != base and excluded.match_file(_relative(top, base) + "/"):
        # A directory named on the command line is linted even if `exclude` covers it (as ruff
        # does); patterns then apply below it.
        base = top
    ignores = GitignoreStack.for_directory(top)
    if ignores.ignores(top, True):
        # A directory named on the command line is linted even if an outer .gitignore hides it.
        ignores = GitignoreStack().enter(top)
    stack = [(top, ignores)]
    while stack:
        directory, ignores = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            found.errors.append(f"{display_path(directory, cwd)}: {_reason(exc)}")
            continue
        names = [e.name for e in entries]
        beside_script = any(n.startswith(TRAINING_SCRIPT_PREFIXES) and n.endswith(".py") for n in names)
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            try:
                # Directory symlinks are not followed: that is how symlink loops stay harmless.
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                is_dir = is_file = False
            relative = _relative(path, base) + ("/" if is_dir else "")
            if excluded.match_file(relative) or ignores.ignores(path, is_dir):
                continue
            if is_dir:
                subdirs.append(path)
            elif is_file or entry.is_symlink():
                kind = classify(path, settings, explicit=False, beside_training_script=beside_script)
                if kind and path not in seen:
                    seen.add(path)
                    found.targets.append(Target(path, display_path(path, cwd), kind, settings))
        for subdir in reversed(subdirs):
            stack.append((subdir, ignores.enter(subdir)))


def _excluded(path: Path, settings: Settings, is_dir: bool) -> bool:
    relative = _relative(path, settings.root)
    return bool(settings.exclude) and spec(settings.exclude).match_file(relative)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40:
        return "symbolic link loop"
    return getattr(exc, "strerror", None) or str(exc)
