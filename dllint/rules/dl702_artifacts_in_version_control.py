"""DL702: checkpoints, datasets and experiment logs that git tracks, or would add."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dllint.engine.diagnostic import Location, Severity
from dllint.engine.rule import Rule
from dllint.facts import artifacts
from dllint.facts.artifacts import Artifact

# kind -> (one, many)
NAMES = {"weights": ("a model weights file", "model weights files"), "dataset": ("a dataset", "dataset files"),
         "log": ("an experiment log", "experiment log files")}


class ArtifactsInVersionControl(Rule):
    """
    ## What it does
    Finds training artifacts that git tracks, or that nothing ignores so that the next
    `git add .` commits them: model weights and checkpoints (`*.pt`, `*.pth`, `*.ckpt`,
    `*.safetensors`, `*.h5`, `*.onnx`, `pytorch_model.bin`, ...), datasets (`*.csv`, `*.parquet`,
    `*.npy`, `*.pkl`, archives, ...) of at least `min-data-bytes`, and experiment logs
    (TensorBoard event files, anything under `wandb/`, `mlruns/`, `lightning_logs/`). Each
    finding points at the artifact; a directory holding more than `max-listed` of them gets one
    finding on its first.

    Works with and without git: in a repository, tracked files come from git and the rest of
    the tree is checked against every ignore rule git applies; in a plain directory, against the
    `.gitignore` files. It stays silent on files under `tests/`, `docs/` and fixture directories
    (deliberate test assets), on files stored with Git LFS (`filter=lfs` in `.gitattributes`),
    on ignored and excluded paths, and on loose files that are not a project root.

    ## Why is this bad?
    Git keeps every version of every committed file forever: a few checkpoints make each clone
    gigabytes large, and removing them later means rewriting history. Datasets in the repository
    may also be data that must not be shared. Weights and data belong in ignored directories,
    Git LFS, DVC or a model registry.

    ## Example
    ```tree
    requirements.txt: torch
    train.py: import torch
    checkpoints/best.pt: PK
    ```

    ## Use instead
    ```tree
    requirements.txt: torch
    .gitignore: checkpoints/
    train.py: import torch
    checkpoints/best.pt: PK
    ```
    """

    code = "DL702"
    name = "artifacts-in-version-control"
    severity = Severity.WARNING
    summary = "Checkpoints, datasets or experiment logs tracked by git, or not ignored"
    help = ("keep artifacts out of git: add their directory to .gitignore (and `git rm --cached` what is "
            "tracked), or store them with Git LFS or DVC")
    origin = "A complete Pytorch deep learning project code structure and project release guide"

    @dataclass(frozen=True)
    class Options:
        min_data_bytes: int = field(default=1_000_000, metadata={
            "help": "smallest dataset file (csv, parquet, npy, pkl, archives...) reported; weights and "
                    "logs are reported at any size"})
        max_listed: int = field(default=3, metadata={
            "help": "a directory with more artifacts of one kind than this gets one finding for all"})

    def check_project(self, project):
        if not project.is_root:
            return None
        groups: dict[tuple, list[Artifact]] = defaultdict(list)
        for artifact in artifacts.find(project, self.options.min_data_bytes):
            groups[(artifact.tracked, artifact.kind, _directory(artifact))].append(artifact)
        found = []
        for (tracked, kind, directory), members in groups.items():
            if len(members) > self.options.max_listed:
                names = ", ".join(f"`{PurePosixPath(m.path).name}`" for m in members[:3])
                verb = "that git tracks" if tracked else "that nothing ignores"
                where = "the project root" if directory == "." else f"`{directory}/`"
                subject = f"{where} holds {len(members)} {NAMES[kind][1]} ({names}, ...) {verb}"
                found.append(self._finding(project, members[0], subject, tracked, "them"))
                continue
            for artifact in members:
                verb = "tracked by git" if tracked else "that nothing ignores"
                subject = f"`{artifact.path}` is {NAMES[kind][0]} {verb}"
                found.append(self._finding(project, artifact, subject, tracked, "it"))
        return found

    def _finding(self, project, artifact: Artifact, subject: str, tracked: bool, them: str):
        if tracked:
            why = f"every version stays in the repository's history; `git rm --cached` {them} and ignore {them}"
        elif project.git_tracked is not None:
            why = f"`git add .` will commit {them}"
        else:
            why = f"the first `git add .` will commit {them}"
        return self.diagnostic(Location(project.display(artifact.path), 1, 1), f"{subject}: {why}")


def _directory(artifact: Artifact) -> str:
    """Run logs group under their run directory (`wandb/`), the rest under their own directory."""
    parts = PurePosixPath(artifact.path).parts
    for index, part in enumerate(parts[:-1]):
        if part in artifacts.RUN_DIRECTORIES:
            return "/".join(parts[: index + 1])
    return "/".join(parts[:-1]) or "."
