"""What kind of thing each class of a file defines: a model, a dataset, a metric.

`defined(module)` reads class bases by qualified name (`torch.nn.Module`, Lightning's
`LightningModule`, `torch.utils.data.Dataset`/`IterableDataset`, `LightningDataModule`,
`torchmetrics.Metric`), also through classes of the same file (`class Net(BaseNet)` where
`BaseNet(nn.Module)` is defined above). A base imported from another project file is not
followed: the class is not classified, and layout rules say nothing about it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

BASES = {
    "model": ("torch.nn.Module", "torch.nn.modules.module.Module", "lightning.LightningModule",
              "lightning.pytorch.LightningModule", "pytorch_lightning.LightningModule",
              "pytorch_lightning.core.LightningModule", "lightning.pytorch.core.LightningModule"),
    "dataset": ("torch.utils.data.Dataset", "torch.utils.data.IterableDataset",
                "torch.utils.data.dataset.Dataset", "torch.utils.data.dataset.IterableDataset",
                "lightning.LightningDataModule", "lightning.pytorch.LightningDataModule",
                "pytorch_lightning.LightningDataModule"),
    "metric": ("torchmetrics.Metric", "torchmetrics.metric.Metric"),
}
# nn.Modules that are not models: losses, GPU augmentations, metric wrappers live elsewhere by design.
NOT_MODELS = re.compile(r"Loss|Criterion|Transform|Augment|Metric|Normaliz", re.IGNORECASE)


@dataclass(frozen=True)
class Definition:
    kind: str  # "model" | "dataset" | "metric"
    name: str
    line: int
    column: int
    base: str  # the base class as written, for messages


def defined(module) -> list[Definition]:
    return module.fact(_defined)


def _defined(module) -> list[Definition]:
    kinds: dict[str, str] = {}  # same-file class name -> kind
    found = []
    for node in module.nodes("ClassDef"):
        for base in node.bases:
            kind = _kind(module, base, kinds)
            if kind is None:
                continue
            kinds[node.name] = kind
            if kind != "model" or not NOT_MODELS.search(node.name):
                found.append(Definition(kind, node.name, node.lineno, node.col_offset + 1, _dotted(base)))
            break
    return found


def _kind(module, base: ast.expr, local: dict[str, str]) -> str | None:
    if isinstance(base, ast.Name) and base.id in local:
        return local[base.id]
    for qualified in module.names.candidates(base):
        for kind, names in BASES.items():
            if qualified in names:
                return kind
    return None


def _dotted(node: ast.expr) -> str:
    """`nn.Module` as written, without slicing the file's lines (`segment` would split them all)."""
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "..."
