"""How many classes a file's task has, where the file says so.

`class_counts(module)` collects the counts a file shows, each with the node that shows it:
a dataset with a known number of classes (torchvision's `CIFAR10`, Keras' `mnist`, scikit-learn's
`load_iris`, `make_classification(n_classes=4)`), a literal bound to a conventional name
(`num_classes = 10`, `--num-classes` default, `num_labels=5`), or a literal tuple of class names
(`classes = ("plane", "car", ...)`). A file may show several; rules decide what agreement they
need. Values computed at run time are not counted.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.facts.bindings import last_name
from dllint.facts.constants import is_number, resolve

DATASETS = {"CIFAR10": 10, "CIFAR100": 100, "MNIST": 10, "FashionMNIST": 10, "KMNIST": 10, "QMNIST": 10,
            "EMNIST": None, "SVHN": 10, "STL10": 10, "ImageNet": 1000, "Food101": 101, "Flowers102": 102,
            "Caltech101": 101, "Caltech256": 257, "OxfordIIITPet": 37, "StanfordCars": 196, "FGVCAircraft": 100,
            "DTD": 47, "EuroSAT": 10, "GTSRB": 43, "Country211": 211, "Places365": 365, "USPS": 10, "SEMEION": 10,
            "cifar10": 10, "cifar100": 100, "mnist": 10, "fashion_mnist": 10, "reuters": 46,
            "load_iris": 3, "load_wine": 3, "load_digits": 10, "fetch_20newsgroups": 20,
            "fetch_20newsgroups_vectorized": 20, "fetch_covtype": 7, "fetch_olivetti_faces": 40,
            "load_breast_cancer": 2, "imdb": 2}
DATASET_PACKAGES = ("torchvision.datasets.", "keras.datasets.", "tensorflow.keras.datasets.", "sklearn.datasets.")
COUNT_NAME = re.compile(r"^(?:num|n|nb|number_of|total)_?(?:classes|class|labels|categories|cls)$|"
                        r"^(?:class|classes|label|labels)_?(?:num|count|number)$", re.I)
CLASS_LIST_NAME = re.compile(r"^(?:classes|class_names|classnames|labels_names|label_names|categories)$", re.I)


@dataclass(frozen=True)
class ClassCount:
    count: int
    node: ast.AST  # where the file shows it
    what: str  # "`CIFAR10`", "`num_classes = 10`"


def class_counts(module) -> list[ClassCount]:
    """Every class count the file shows (cached)."""
    return module.fact(_class_counts)


def _class_counts(module) -> list[ClassCount]:
    found = []
    for call in module.nodes("Call"):
        found += _from_call(module, call)
    for node in module.nodes("Assign", "AnnAssign"):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            name = last_name(target)
            if isinstance(name, str) and node.value is not None:
                found += _from_binding(module, name, node.value)
    return found


def _from_call(module, call: ast.Call) -> list[ClassCount]:
    found = []
    qualified = module.qualified_name(call.func) or ""
    dataset = next((qualified[len(p):].split(".")[0] for p in DATASET_PACKAGES if qualified.startswith(p)), None)
    keywords = {k.arg: k.value for k in call.keywords}
    if dataset in DATASETS and DATASETS[dataset] is not None:
        count = DATASETS[dataset]
        if dataset == "load_digits" and "n_class" in keywords:
            count = _int(module, keywords["n_class"])
        if count is not None:
            return [ClassCount(count, call, f"`{dataset}`")]
    if qualified == "sklearn.datasets.make_classification":
        count = _int(module, keywords["n_classes"]) if "n_classes" in keywords else 2
        if count is not None:
            found.append(ClassCount(count, call, f"`make_classification` with {count} classes"))
    for name, value in keywords.items():
        if name is not None and COUNT_NAME.match(name):
            count = _int(module, value)
            if count is not None:
                found.append(ClassCount(count, value, f"`{name}={count}`"))
    if last_name(call.func) == "add_argument" and call.args and "default" in keywords:
        option = getattr(call.args[0], "value", None)
        if isinstance(option, str) and COUNT_NAME.match(option.lstrip("-").replace("-", "_")):
            count = _int(module, keywords["default"])
            if count is not None:
                found.append(ClassCount(count, keywords["default"], f"`{option}` default {count}"))
    return found


def _from_binding(module, name: str, value: ast.expr) -> list[ClassCount]:
    if COUNT_NAME.match(name):
        count = _int(module, value)
        return [ClassCount(count, value, f"`{name} = {count}`")] if count is not None else []
    if CLASS_LIST_NAME.match(name) and isinstance(value, (ast.Tuple, ast.List)) and value.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
        return [ClassCount(len(value.elts), value, f"`{name}` lists {len(value.elts)} classes")]
    return []


def _int(module, expr: ast.expr) -> int | None:
    found = resolve(module, expr)
    value = found.value if found is not None else None
    return value if is_number(value) and isinstance(value, int) and value > 0 else None
