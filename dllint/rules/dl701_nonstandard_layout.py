"""DL701: the project tree lacks parts of its layout profile (settings `layout`, default auto)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.layout import Profile, chosen

LISTED = 6  # missing parts named in the message; the rest are counted


class NonstandardLayout(Rule):
    """
    ## What it does
    Compares the project tree with a layout profile and lists, in one finding on the project's
    root file, the parts it lacks. Profiles: `seed` (the field notes: data/, checkpoints/, logs/,
    model_hub/, utils/, models/, configs/, datasets/, main.py), `lightning-hydra`,
    `cookiecutter-data-science`, `pytorch-template`, or a list of paths in the `layout` setting.

    With `layout: auto` (the default) the closest profile is chosen, and the rule stays silent
    when the project resembles none of them (fewer than `min-match` of the closest profile's
    parts present) or imports no machine-learning framework at all. A profile named in the
    settings is always checked. Directories of artifacts (data/, logs/, checkpoints/) are usually
    git-ignored and absent from a fresh clone: a part that `.gitignore` covers counts as present.
    Only project roots (a directory with pyproject.toml, setup.py, requirements.txt, .git ...)
    are checked.

    ## Why is this bad?
    A project that keeps its models, data loading, metrics and configs where its kind of project
    keeps them is one a newcomer can navigate, and one whose checkpoints and logs land in known,
    ignored places instead of beside the code.

    ## Example
    ```tree
    requirements.txt: torch
    main.py: import torch
    models/model.py: import torch.nn as nn
    datasets/data_loader.py: from torch.utils.data import Dataset
    configs/config.py: lr = 1e-3
    utils/utils.py: import os
    data/
    logs/
    ```

    ## Use instead
    ```tree
    requirements.txt: torch
    .gitignore: checkpoints/
    main.py: import torch
    models/model.py: import torch.nn as nn
    datasets/data_loader.py: from torch.utils.data import Dataset
    configs/config.py: lr = 1e-3
    utils/utils.py: import os
    utils/metrics.py: from sklearn import metrics
    data/
    logs/
    model_hub/
    ```
    """

    code = "DL701"
    name = "nonstandard-layout"
    severity = Severity.INFO
    summary = "The project tree lacks parts of its layout profile"
    help = "add the missing parts, or name the profile you follow in the `layout` setting"
    origin = "A complete Pytorch deep learning project code structure and project release guide"

    @dataclass(frozen=True)
    class Options:
        min_match: float = field(default=0.34, metadata={
            "help": "with `layout: auto`, the least fraction of the closest profile's parts that must "
                    "be present before the rule speaks"})

    def check_project(self, project):
        found = chosen(project, self.options.min_match) if project.is_root else None
        # Not a deep-learning project, or one that resembles no profile: nothing to compare with.
        return self._report(project, *found) if found else None

    def _report(self, project, profile: Profile, missing: list[str], explicit: bool):
        if not missing:
            return None
        listed = _enumerate(missing[:LISTED] + ([f"{len(missing) - LISTED} more"] if len(missing) > LISTED else []))
        total, present = len(profile.parts), len(profile.parts) - len(missing)
        if explicit:
            message = f"the project lacks {len(missing)} of the {total} parts of the `{profile.name}` layout: {listed}"
        else:
            message = (f"the project is closest to the `{profile.name}` layout ({present} of {total} parts) "
                       f"but lacks {listed}")
        help = (f"`{profile.name}` is {profile.description}; add the missing parts, or set `layout` in dllint's "
                "settings to the profile you follow (or a list of paths)")
        return [self.diagnostic(project.anchor(), message, help=help)]


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
