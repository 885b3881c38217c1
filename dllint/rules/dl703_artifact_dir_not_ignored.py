"""DL703: a directory that training fills with artifacts, and that .gitignore does not cover."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Location, Severity
from dllint.engine.ignore import GitignoreStack
from dllint.engine.rule import Rule

ARTIFACT_DIRECTORIES = ("data/", "checkpoints/", "logs/", "model_hub/", "wandb/", "lightning_logs/", "mlruns/",
                        "outputs/", "multirun/", "runs/", "saved/")
# A file name no one writes: asking whether it would be ignored tells `data/*` (with a kept
# `!data/.gitkeep`) from a directory nothing covers.
PROBE = "dllint-probe.ckpt"


class ArtifactDirNotIgnored(Rule):
    """
    ## What it does
    Finds, at the root of a project, directories that training, data preparation and
    experiment trackers fill (`data/`, `checkpoints/`, `logs/`, `model_hub/`, `wandb/`,
    `lightning_logs/`, `mlruns/`, `outputs/`, `multirun/`, `runs/`, `saved/`; the list is an
    option) that exist but that no `.gitignore` covers. The finding points at `.gitignore`, or at
    the project's root file when there is none.

    A directory counts as covered when it is ignored itself, when its contents are (`data/*` with
    `!data/.gitkeep` to keep the empty directory), or when a `.gitignore` inside it ignores what
    it holds. It stays silent on directories that hold Python code at their top (a `data/`
    package of loaders is code, not data), on directories that do not exist (nothing to commit
    yet), and on loose files that are not a project root.

    ## Why is this bad?
    These directories fill with checkpoints, datasets and run logs of hundreds of megabytes. One
    `git add .` or `git commit -a` puts them in the repository's history, where they stay in every
    clone even after deletion. Ignoring them up front is the cheap fix; the field notes' layout
    keeps data/, checkpoints/, logs/ and model_hub/ apart for exactly this reason.

    ## Example
    ```tree
    requirements.txt: torch
    .gitignore: __pycache__/
    train.py: import torch
    checkpoints/
    ```

    ## Use instead
    ```tree
    requirements.txt: torch
    .gitignore: checkpoints/
    train.py: import torch
    checkpoints/
    ```
    """

    code = "DL703"
    name = "artifact-dir-not-ignored"
    severity = Severity.WARNING
    summary = "A directory of artifacts (data/, checkpoints/, logs/, ...) that .gitignore does not cover"
    help = "add the directory to .gitignore (`/checkpoints/`); keep an empty one with `!checkpoints/.gitkeep`"
    origin = "A complete Pytorch deep learning project code structure and project release guide"

    @dataclass(frozen=True)
    class Options:
        directories: tuple[str, ...] = field(default=ARTIFACT_DIRECTORIES, metadata={
            "help": "directories at the project root that must be ignored when they exist"})

    def check_project(self, project):
        if not project.is_root:
            return None
        gitignore = project.root / ".gitignore"
        at = Location(project.display(".gitignore"), 1, 1) if gitignore.is_file() else project.anchor()
        found = []
        for name in self.options.directories:
            name = name.strip("/")
            if not name or not project.is_dir(name) or _holds_code(project.root / name) or _covered(project, name):
                continue
            where = ".gitignore does not" if gitignore.is_file() else "there is no .gitignore to"
            message = (f"`{name}/` exists and {where} cover it: the checkpoints, data or logs written "
                       "there end up in git with the next `git add .`")
            found.append(self.diagnostic(at, message))
        return found


def _covered(project, name: str) -> bool:
    if project.is_ignored(name + "/") or project.is_ignored(f"{name}/{PROBE}"):
        return True
    # A `.gitignore` of its own inside the directory (`*` then `!.gitignore`).
    inner = GitignoreStack.for_directory(project.root).enter(project.root / name)
    return inner.ignores(project.root / name / PROBE, False)


def _holds_code(directory) -> bool:
    try:
        return any(entry.name.endswith(".py") for entry in os.scandir(directory))
    except OSError:
        return False
