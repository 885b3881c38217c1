"""DL408: a Dataset draws NumPy random numbers that every DataLoader worker repeats."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.dataset_rng import rng_uses
from dllint.facts.loaders import dataloaders

PIN_FILES = ("requirements.txt", "requirements-dev.txt", "requirements/base.txt", "setup.py", "setup.cfg",
             "pyproject.toml", "environment.yml", "environment.yaml")
# `torch==1.8.1`, `torch<=1.7`, `torch<1.9`: a PyTorch that does not seed NumPy per worker.
OLD_TORCH = re.compile(r"\btorch\s*(==|<=|~=|<)\s*1\.(\d+)")


@dataclass(frozen=True)
class Found:
    uses: tuple  # facts.dataset_rng.RngUse
    seeds_workers: bool  # a `worker_init_fn` is given, or the dataset asks for its worker
    workers: tuple[bool, ...]  # per DataLoader here: may it start worker processes?


class NumpyRngInDataset(Rule):
    """
    ## What it does
    Finds a map-style `Dataset` whose `__getitem__` (or a method of the same class it calls)
    draws from a NumPy generator made once - `self.rng = np.random.default_rng(...)` or
    `np.random.RandomState(...)` in `__init__`, or a module-level generator - when no
    `DataLoader` of the project seeds its workers (`worker_init_fn=`). The global `np.random`
    functions are reported too when the project pins a PyTorch older than 1.9.

    Silent when a `worker_init_fn` is given anywhere in the project, when the dataset asks
    `get_worker_info()`, when the generator is made again or reseeded per item, per worker or
    per epoch (`__getitem__`, `worker_init`, `set_epoch`), when every DataLoader of the project
    runs in the main process (`num_workers` unset or 0), and for validation/test datasets, where
    the same draws every epoch are the point.

    ## Why is this bad?
    DataLoader workers are copies of the main process. Each gets the generator in the same
    state, so with 4 workers every "random" crop, flip or noise draw comes 4 times, and because
    the copies are made again each epoch, every epoch repeats the last: the augmentation adds far
    less variety than it seems (before PyTorch 1.9 the global `np.random` had the same problem).

    ## Example
    ```python
    import numpy as np
    from torch.utils.data import DataLoader, Dataset

    class Crops(Dataset):
        def __init__(self, images):
            self.images = images
            self.rng = np.random.default_rng(0)

        def __getitem__(self, index):
            x = self.rng.integers(0, 32)
            return self.images[index][:, x:x + 224]

    loader = DataLoader(Crops(images), batch_size=32, shuffle=True, num_workers=4)
    ```

    ## Use instead
    ```python
    import numpy as np
    from torch.utils.data import DataLoader, get_worker_info


    def seed_worker(worker_id):
        # Each worker makes its own generator from its own seed.
        info = get_worker_info()
        info.dataset.rng = np.random.default_rng(info.seed)


    loader = DataLoader(Crops(images), batch_size=32, shuffle=True, num_workers=4, worker_init_fn=seed_worker)
    ```
    """

    code = "DL408"
    name = "numpy-rng-in-dataset"
    severity = Severity.WARNING
    summary = "A Dataset draws NumPy random numbers that every DataLoader worker repeats"
    help = ("seed the generator per worker in a `worker_init_fn` (`info.dataset.rng = "
            "np.random.default_rng(info.seed)`), or use `torch`/global NumPy random numbers")
    origin = "The whole process of data modeling and analysis (steps 4 and 7)"
    triggers = ("np.random", "numpy.random", "worker_init_fn", "DataLoader(")

    @dataclass(frozen=True)
    class Options:
        global_numpy_rng: bool = field(default=False, metadata={
            "help": "also report the global `np.random` whatever the PyTorch version (seeded per worker since 1.9)"})

    def summarize_python(self, module):
        uses = tuple(rng_uses(module)) if "__getitem__" in module.text and "random" in module.text else ()
        loaders = dataloaders(module) if "DataLoader" in module.text else []
        seeds = "worker_init_fn" in module.text or "get_worker_info" in module.text
        workers = tuple(_may_fork(loader.call) for loader in loaders)
        return Found(uses, seeds, workers) if uses or seeds or workers else None

    def check_project(self, project):
        found = [data for _, data in project.rule_data(self.code)]
        workers = [w for f in found for w in f.workers]
        if any(f.seeds_workers for f in found) or (workers and not any(workers)):
            return []
        uses = [u for f in found for u in f.uses]
        legacy = self.options.global_numpy_rng or (any(u.made is None for u in uses) and _old_torch(project))
        diagnostics = []
        for use in uses:
            if use.made is not None:
                message = (f"`{use.generator}` ({use.made_as}) is made once and copied into every DataLoader "
                           f"worker in the same state: `{use.dataset}` workers draw the same numbers, and each "
                           "epoch repeats them")
                diagnostics.append(self.diagnostic(use.location, message, related=[
                    Related(use.made, "the generator is made here")]))
            elif legacy:
                message = (f"`{use.dataset}.__getitem__` draws from the global `np.random`, which PyTorch before "
                           "1.9 does not seed per DataLoader worker: every worker draws the same numbers")
                diagnostics.append(self.diagnostic(use.location, message))
        return diagnostics


def _may_fork(call: ast.Call) -> bool:
    value = next((k.value for k in call.keywords if k.arg == "num_workers"), None)
    if value is None and len(call.args) > 5:
        value = call.args[5]
    return value is not None and not (isinstance(value, ast.Constant) and value.value == 0)


def _old_torch(project) -> bool:
    for name in PIN_FILES:
        path = project.root / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            continue
        if any(int(minor) < 9 or (op == "<" and int(minor) <= 9) for op, minor in OLD_TORCH.findall(text)):
            return True
    return False
