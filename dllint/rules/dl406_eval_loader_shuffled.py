"""DL406: a validation or test DataLoader shuffles."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Edit, Fix, Severity
from dllint.engine.rule import Rule
from dllint.facts.loaders import EVAL, dataloaders


class EvalLoaderShuffled(Rule):
    """
    ## What it does
    Finds a validation or test `DataLoader` - bound to `val_loader`/`test_dl`, passed as
    `val_dataloaders=`, returned by `val_dataloader()`/`test_dataloader()`, built in the
    `else` of `if is_train:`, or wrapping a `val_dataset`/`CIFAR10(train=False)` - that is
    built with `shuffle=True`.

    Silent when the role is not clear from the code or the evidence disagrees (a loader built
    in a loop over `["train", "val"]` with one `shuffle=True` for both), for `shuffle=` values
    that are not a literal, and for `DataLoader(**kwargs)`.

    ## Why is this bad?
    Evaluation should see the same samples in the same order every time. Shuffled, a validation
    run cut short (`limit_val_batches`, `break` after N batches) scores a different subset each
    epoch, predictions can no longer be matched with the dataset's own labels or file names by
    position, and saved predictions differ from run to run (field notes, step 8).

    ## Example
    ```python
    from torch.utils.data import DataLoader

    val_loader = DataLoader(val_dataset, batch_size=256, shuffle=True)
    ```

    ## Use instead
    ```python
    from torch.utils.data import DataLoader

    val_loader = DataLoader(val_dataset, batch_size=256, shuffle=False)
    ```
    """

    code = "DL406"
    name = "eval-loader-shuffled"
    severity = Severity.INFO
    summary = "A validation or test DataLoader shuffles"
    help = "build evaluation loaders with `shuffle=False` (the default)"
    origin = "The whole process of data modeling and analysis (step 8)"
    triggers = ("shuffle=True",)

    def check_python(self, module):
        found = []
        for loader in dataloaders(module):
            shuffle = loader.shuffle
            if loader.role != EVAL or not (isinstance(shuffle, ast.Constant) and shuffle.value is True):
                continue
            where = module.location(shuffle)
            fix = Fix((Edit(where.line, where.column, where.end_line, where.end_column, "False"),), "unsafe")
            message = (f"this evaluation DataLoader ({loader.evidence}) shuffles: evaluation order and, when "
                       "cut short, the evaluated subset change from run to run")
            found.append(self.diagnostic(where, message, fix=fix))
        return found
