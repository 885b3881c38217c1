"""DL705: models, datasets or metrics defined outside the place the project's layout keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Location, Severity
from dllint.engine.rule import Rule
from dllint.facts.definitions import defined
from dllint.facts.layout import chosen, is_side_code, places

NOUNS = {"model": "models", "dataset": "datasets", "metric": "metrics"}


class MisplacedModule(Rule):
    """
    ## What it does
    Finds `nn.Module`/`LightningModule` models, `Dataset`/`IterableDataset`/`LightningDataModule`
    classes and torchmetrics `Metric` classes defined outside the place the project's layout
    profile keeps them, when the project has that place: a model class in `main.py` or
    `utils/utils.py` of a project with a `models/` package (`seed` profile), a dataset in
    `src/train.py` of a lightning-hydra project with `src/data/`. The profile is the one
    named in the `layout` setting, or the closest one under `layout: auto` (as for DL701).

    It stays silent when the place does not exist or holds no Python code (DL701 reports
    missing parts; a `models/` of saved weights is no code place), with a custom `layout` list
    (it names no places), in tests, docs, examples, demos, notebooks and benchmarks, on `nn.Module`s
    that are not models (losses, criteria, transforms and augmentations, metric wrappers), and
    on classes whose base comes from another project file.

    ## Why is this bad?
    A layout is only useful while it is true: a newcomer looks for the network in `models/` and
    the data pipeline in `datasets/`, and an import of the model from the training script pulls
    in the whole script (argument parsing, a training run at import time without a
    `__main__` guard) wherever the model is needed, in evaluation, export and tests.

    ## Example
    ```tree
    requirements.txt: torch
    models/model.py: import torch.nn as nn
    datasets/data_loader.py: from torch.utils.data import Dataset
    utils/utils.py: import logging
    ```

    ```python
    # main.py
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(784, 10)
    ```

    ## Use instead
    ```tree
    requirements.txt: torch
    models/model.py: import torch.nn as nn
    datasets/data_loader.py: from torch.utils.data import Dataset
    utils/utils.py: import logging
    main.py: from models.model import Net
    ```
    """

    code = "DL705"
    name = "misplaced-module"
    severity = Severity.INFO
    summary = "A model, dataset or metric defined outside its place in the project layout"
    help = "move the class to where the layout keeps its kind, and import it from there"
    origin = "A complete Pytorch deep learning project code structure and project release guide"
    triggers = ("Module", "Dataset", "DataModule", "Metric")

    @dataclass(frozen=True)
    class Options:
        min_match: float = field(default=0.34, metadata={
            "help": "with `layout: auto`, the least fraction of the closest profile's parts that must "
                    "be present before the rule speaks (as DL701's)"})

    def summarize_python(self, module):
        return defined(module) or None

    def check_project(self, project):
        found = chosen(project, self.options.min_match) if project.is_root else None
        if not found:
            return None
        profile = found[0]
        where = {kind: [p for p in places(project, profile, kind) if _is_code(project, p)] for kind in NOUNS}
        diagnostics = []
        for path, definitions in project.rule_data(self.code):
            relative = project.relative(path)
            if is_side_code(relative):  # tests and examples define toy models on purpose
                continue
            for definition in definitions:
                homes = where[definition.kind]
                if not homes or any(_inside(relative, home) for home in homes):
                    continue
                shown = " or ".join(f"`{home}`" for home in homes)
                message = (f"{definition.kind} `{definition.name}` ({definition.base}) is defined in `{relative}`; "
                           f"the project keeps {NOUNS[definition.kind]} in {shown} (`{profile.name}` layout)")
                diagnostics.append(self.diagnostic(Location(path, definition.line, definition.column), message))
        return diagnostics


def _inside(relative: str, home: str) -> bool:
    return relative.startswith(home) if home.endswith("/") else relative == home


def _is_code(project, place: str) -> bool:
    if not place.endswith("/"):
        return place.endswith(".py")
    return next((project.root / place).rglob("*.py"), None) is not None
