"""Training artifacts in a project tree: checkpoints, datasets and experiment logs, and whether git
keeps them (tracked) or would (present and not ignored).

The engine's discovery lists only Python and config files, so the tree is read here: tracked
files from `git ls-files` (`project.git_tracked`), everything else by a walk of our own that
honours every `.gitignore` on the way down, skips version-control, virtualenv and cache
directories and the `exclude` setting, never follows directory symlinks, and stops after
`MAX_ENTRIES` directory entries (a data directory of a million images must not stall a
pre-commit hook). Inside a git work tree, git itself has the last word: candidates it would not
add after all (`.git/info/exclude`, a global excludes file) are dropped with one
`git check-ignore` call, and files stored with Git LFS with one `git check-attr` call.

Files under test, docs and fixture directories are the project's own test assets, and files
Git LFS stores (`filter=lfs` in `.gitattributes`; without git, the root one's patterns) are
versioned the intended way: neither counts.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dllint.engine.ignore import DEFAULT_EXCLUDE, GitignoreStack, spec

WEIGHTS = ("*.pt", "*.pth", "*.ckpt", "*.safetensors", "*.h5", "*.onnx", "*.pdparams", "*.joblib",
           "pytorch_model*.bin", "tf_model*.h5", "*.tflite", "*.mlmodel")
DATASETS = ("*.csv", "*.tsv", "*.parquet", "*.feather", "*.arrow", "*.npy", "*.npz", "*.hdf5", "*.tfrecord",
            "*.tfrecords", "*.pkl", "*.pickle", "*.jsonl", "*.mat", "*.mdb", "*.zip", "*.tar", "*.tar.gz",
            "*.tgz", "*.7z")
EVENT_LOGS = ("*.tfevents.*", "events.out.tfevents*")
# Top-level directories whose large files are data whatever their format (`data/cnews/train.txt`).
DATA_DIRECTORIES = ("data", "dataset", "datasets", "raw_data")
CODE = (".py", ".pyi", ".ipynb", ".md", ".rst", ".sh", ".toml", ".cfg")
# Whatever lies below these is an experiment run's output.
RUN_DIRECTORIES = ("wandb", "mlruns", "lightning_logs", "multirun")
# A project's own test and documentation assets: small, deliberate, reviewed.
ASSET_DIRECTORIES = ("tests", "test", "testing", "fixtures", "testdata", "test_data", "docs", "doc")
MAX_ENTRIES = 50_000
MAX_DEPTH = 24
# Run outputs are what this walk is for; the rest of the linter's default excludes still apply.
_SKIP = spec(tuple(p for p in DEFAULT_EXCLUDE if p.rstrip("/") not in RUN_DIRECTORIES)
             + ("env/", ".conda/", ".dvc/", ".cache/"))


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the project root, posix
    kind: str  # "weights" | "dataset" | "log"
    tracked: bool  # git tracks it; False: present, not ignored, not (yet) tracked


def find(project, min_data_bytes: int = 1_000_000) -> list[Artifact]:
    """Every artifact git tracks, or would add, in the project; tracked ones first."""
    root = project.root
    excluded = spec(project.settings.exclude) if project.settings.exclude else None
    tracked = project.git_tracked
    found = []
    for relative in sorted(tracked or ()):
        kind = classify(root, relative, min_data_bytes)
        if kind and not _exempt(relative, excluded):
            found.append(Artifact(relative, kind, True))
    untracked = []
    for relative in _walk(root, excluded):
        if tracked is not None and relative in tracked:
            continue
        kind = classify(root, relative, min_data_bytes)
        if kind and not _exempt(relative, excluded):
            untracked.append(Artifact(relative, kind, False))
    found += sorted(untracked, key=lambda a: a.path)
    if tracked is None:
        lfs = _lfs_patterns(root)
        return [a for a in found if not (lfs and lfs.match_file(a.path))]
    # Git answers for every ignore and attribute source: nested .gitignore and .gitattributes,
    # `.git/info/exclude`, a global excludes file.
    dropped = _git_lfs(root, [a.path for a in found]) | _git_ignored(root, [a.path for a in untracked])
    return [a for a in found if a.path not in dropped]


def classify(root: Path, relative: str, min_data_bytes: int) -> str | None:
    """"weights", "dataset" or "log" for an artifact file; None for anything else, and for a
    symlink (git keeps only the link) or a file gone from the working tree."""
    path = PurePosixPath(relative)
    if any(part in RUN_DIRECTORIES for part in path.parts[:-1]) or spec(EVENT_LOGS).match_file(path.name):
        kind = "log"
    elif spec(WEIGHTS).match_file(path.name):
        kind = "weights"
    elif spec(DATASETS).match_file(path.name) or (
            len(path.parts) > 1 and path.parts[0] in DATA_DIRECTORIES and path.suffix not in CODE):
        kind = "dataset"
    else:
        return None
    try:
        status = os.lstat(root / relative)
    except OSError:
        return None
    if stat.S_ISLNK(status.st_mode) or (kind == "dataset" and status.st_size < min_data_bytes):
        return None
    return kind


def _exempt(relative: str, excluded) -> bool:
    parts = PurePosixPath(relative).parts[:-1]
    return any(part.lower() in ASSET_DIRECTORIES for part in parts) or bool(excluded and excluded.match_file(relative))


def _walk(root: Path, excluded):
    """Files below `root` that no .gitignore or `exclude` covers, as posix paths relative to it."""
    stack = [(root, GitignoreStack.for_directory(root), 0)]
    budget = MAX_ENTRIES
    while stack and budget > 0:
        directory, ignores, depth = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        budget -= len(entries)
        subdirectories = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file(follow_symlinks=False)
            except OSError:
                continue
            path = Path(entry.path)
            relative = path.relative_to(root).as_posix()
            if ignores.ignores(path, is_dir) or (is_dir and (_SKIP.match_file(relative + "/") or bool(
                    excluded and excluded.match_file(relative + "/")))):
                continue
            if is_dir and depth < MAX_DEPTH:
                subdirectories.append((path, ignores.enter(path), depth + 1))
            elif is_file:
                yield relative
        stack.extend(reversed(subdirectories))  # depth first, in name order


def _lfs_patterns(root: Path):
    try:
        lines = (root / ".gitattributes").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    patterns = tuple(line.split()[0] for line in lines if "filter=lfs" in line and not line.startswith("#"))
    return spec(patterns) if patterns else None


def _git_ignored(root: Path, paths: list[str]) -> set[str]:
    """The paths git ignores by any rule (`.git/info/exclude`, `core.excludesFile` included)."""
    return set(_git(root, ["check-ignore", "--no-index", "-z", "--stdin"], paths))


def _git_lfs(root: Path, paths: list[str]) -> set[str]:
    """The paths whose `filter` attribute is `lfs`, from any .gitattributes."""
    out = _git(root, ["check-attr", "-z", "--stdin", "filter"], paths)
    return {out[i] for i in range(0, len(out) - 2, 3) if out[i + 2] == "lfs"}


def _git(root: Path, arguments: list[str], paths: list[str]) -> list[str]:
    if not paths:
        return []
    try:
        result = subprocess.run(["git", "-C", str(root), *arguments], capture_output=True, timeout=30,
                                input="\0".join(paths).encode("utf-8", "surrogateescape"))
    except (OSError, subprocess.SubprocessError):
        return []
    return result.stdout.decode("utf-8", "surrogateescape").split("\0")
