"""Which paths are not linted: `.gitignore` files (matched by pathspec), defaults, `exclude`."""

from __future__ import annotations

import functools
from pathlib import Path

import pathspec

# Never linted: tool caches, environments, and run outputs (copies of configs, logs).
DEFAULT_EXCLUDE = (
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", ".tox/", ".nox/", "__pycache__/", "node_modules/",
    "site-packages/", ".mypy_cache/", ".pytest_cache/", ".ruff_cache/", ".eggs/", "*.egg-info/",
    ".ipynb_checkpoints/", "build/", "dist/", "wandb/", "mlruns/", "lightning_logs/", "multirun/",
    ".hydra/",
)


@functools.lru_cache(maxsize=256)
def spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


class GitignoreStack:
    """The `.gitignore` files that apply to a directory, nearest last (it has the final say)."""

    def __init__(self, layers: tuple[tuple[Path, pathspec.GitIgnoreSpec], ...] = ()) -> None:
        self.layers = layers

    @classmethod
    def for_directory(cls, directory: Path) -> GitignoreStack:
        # Start at the repository root so `dllint check src/` honours the top-level .gitignore.
        top = next((d for d in [directory, *directory.parents] if (d / ".git").exists()), directory)
        chain = [d for d in [directory, *directory.parents] if d == top or top in d.parents]
        stack = cls()
        for d in reversed(chain):
            stack = stack.enter(d)
        return stack

    def enter(self, directory: Path) -> GitignoreStack:
        gitignore = directory / ".gitignore"
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return self
        return GitignoreStack(self.layers + ((directory, spec(tuple(lines))),))

    def ignores(self, path: Path, is_dir: bool) -> bool:
        for base, layer in reversed(self.layers):
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            result = layer.check_file(relative + ("/" if is_dir else ""))
            if result.include is not None:
                return result.include
        return False
