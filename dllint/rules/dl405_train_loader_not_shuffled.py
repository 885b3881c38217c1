"""DL405: the training DataLoader reads the data in the same order every epoch."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.engine.diagnostic import Edit, Fix, Location, Severity
from dllint.engine.rule import Rule
from dllint.facts.loaders import TRAIN, dataloaders, dataset_class, iterable_classes, unit_test_file

# A file that trains: an explicit `shuffle=False` next to it is a training loader gone wrong.
TRAINS = re.compile(r"\.backward\(|training_step|\.fit\(|optimizer\.step\(|Trainer\(")
# Loaders built to read the training data in order on purpose: feature extraction, statistics.
IN_ORDER = re.compile(r"extract|feature|embed|predict|infer|export|stat|calib|cache|precompute|encode|"
                      r"compute|mean|norm|visuali|plot|dump|save|eval|test|valid", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    location: Location
    message: str
    dataset: str | None  # the class that built the dataset, to check against the project's
    fix: Fix | None
    explicit: bool  # `shuffle=False` written out (already checked against its own file's training)


@dataclass(frozen=True)
class Found:
    candidates: tuple[Candidate, ...]
    iterable: frozenset[str]  # dataset classes defined here that stream
    trains: bool


class TrainLoaderNotShuffled(Rule):
    """
    ## What it does
    Finds a training `DataLoader` - bound to `train_loader`, passed as `train_dataloaders=`,
    returned by `train_dataloader()`, built in the `if is_train:` branch, or wrapping a
    `train_dataset`/`CIFAR10(train=True)` - that neither shuffles (`shuffle=True`) nor draws
    from a sampler (`sampler=`, `batch_sampler=`).

    Silent for `DataLoader(**kwargs)` whose keywords cannot be seen, `shuffle=args.shuffle`,
    datasets that stream or shuffle themselves (`IterableDataset` subclasses anywhere in the
    project, `load_dataset(..., streaming=True)`, WebDataset, `ds.shuffle(...)`), loaders whose
    role the names do not make clear or contradict, and loaders in functions that read the
    training data in order on purpose (feature extraction, statistics, caching), and in unit
    tests. An explicit `shuffle=False` is reported only in a file that trains.

    ## Why is this bad?
    Without shuffling every epoch presents the batches in the same order - often sorted by
    class or by file name - so consecutive updates pull the model the same way, the loss
    oscillates with the epoch, and the model generalizes worse (field notes, step 7, and
    "loss oscillating" in the loss issues).

    ## Example
    ```python
    from torch.utils.data import DataLoader

    train_loader = DataLoader(train_dataset, batch_size=64, num_workers=4)
    for images, labels in train_loader:
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    from torch.utils.data import DataLoader

    train_loader = DataLoader(train_dataset, batch_size=64, shuffle=True, num_workers=4)
    for images, labels in train_loader:
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL405"
    name = "train-loader-not-shuffled"
    severity = Severity.WARNING
    summary = "The training DataLoader does not shuffle"
    help = "pass `shuffle=True` to the training DataLoader, or a sampler (`RandomSampler`, `DistributedSampler`)"
    origin = "The whole process of data modeling and analysis (step 7)"
    triggers = ("DataLoader", "IterableDataset", "DataPipe")

    def summarize_python(self, module):
        if unit_test_file(module.path):
            return None  # a test wants the same batches every run
        trains = bool(TRAINS.search(module.text))
        candidates = []
        streams_here = "IterableDataset" in module.text or "DataPipe" in module.text
        for loader in dataloaders(module):
            if loader.role != TRAIN or loader.sampler or loader.hidden or _in_order(module, loader.call):
                continue
            shuffle = loader.shuffle
            explicit = isinstance(shuffle, ast.Constant) and shuffle.value is False
            if (shuffle is not None and not explicit) or (explicit and not trains):
                continue
            name, streams = dataset_class(module, loader.dataset)
            if streams or (name is None and streams_here):
                continue
            candidates.append(self._candidate(module, loader, explicit, name))
        iterable = iterable_classes(module)
        return Found(tuple(candidates), iterable, trains) if candidates or iterable or trains else None

    def check_project(self, project):
        found = [data for _, data in project.rule_data(self.code)]
        streaming = frozenset().union(*(f.iterable for f in found))
        trains = any(f.trains for f in found)
        return [self.diagnostic(c.location, c.message, fix=c.fix) for f in found for c in f.candidates
                if c.dataset not in streaming and (trains or c.explicit)]

    def _candidate(self, module, loader, explicit: bool, dataset: str | None) -> Candidate:
        call = loader.call
        if explicit:
            where = module.location(loader.shuffle)
            fix = Edit(where.line, where.column, where.end_line, where.end_column, "True")
            state = "passes `shuffle=False`"
        else:
            last = module.location([*call.args, *call.keywords][-1]) if call.args or call.keywords else None
            fix = Edit(last.end_line, last.end_column, last.end_line, last.end_column, ", shuffle=True") \
                if last is not None else None
            state = "never sets `shuffle` (the default is False)"
        message = (f"this training DataLoader ({loader.evidence}) {state} and has no sampler: every epoch "
                   "reads the data in the same order")
        return Candidate(module.location(call), message, dataset, Fix((fix,), "unsafe") if fix else None, explicit)


def _in_order(module, node: ast.AST) -> bool:
    parent = module.parents.get(node)
    while parent is not None:
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and IN_ORDER.search(parent.name) \
                and not parent.name.startswith(("train", "get_train", "build_train", "make_train")):
            return True
        parent = module.parents.get(parent)
    return False
