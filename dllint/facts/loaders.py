"""Which data a loader, dataset or transform is for: training or evaluation.

The answer comes from names, the way people write them (`train_loader`, `val_ds`,
`transform_test`, `dl_tr`), and from what the code says around a value: the dataset a
`DataLoader` wraps (`CIFAR10(root, train=False)`, `load_dataset(..., split="test")`,
`datasets["val"]`), the key of the dict it sits in, the keyword it is passed as
(`val_dataloaders=`), the function that returns it (`def train_dataloader(self)`), and the
branch it is built in (`if is_train: ... else: ...`). Evidence that disagrees gives None: rules
stay silent when the role is not clear.

    loader_role(module, expr)  -> "train" | "eval" | None   (a loader, dataset or transform)
    dataloaders(module)        -> the `DataLoader(...)` calls of a file, with role and options
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.facts.bindings import definitions, last_name

TRAIN, EVAL = "train", "eval"
_SUFFIX = r"(?:set|sets|data|dataset|datasets|loader|loaders|dl|dls|ds|iter|gen|generator|batch|batches|" \
          r"transform|transforms|tf|tfs|tfms|trans|aug|split|files|imgs|images|x|y|idx|index|indices)?"
_TRAIN = re.compile(rf"(?:pre)?train(?:ing|val)?{_SUFFIX}|tr|trn")
_TEST = re.compile(rf"(?:test|testing|tst|te|holdout|heldout){_SUFFIX}")
_EVAL = re.compile(rf"(?:val|valid|validation|dev|test|testing|tst|te|eval|evaluation|holdout|heldout){_SUFFIX}")
# `trainer`, `train_step`, `test_size`: tokens that mention a phase but name no data.
_NOT_DATA = re.compile(r"step|steps|size|ratio|frac|fraction|split_ratio|epoch|epochs|loss|losses|acc|"
                       r"accuracy|score|scores|metric|metrics|fn|func|mode|time|log|every|freq|interval")
LOADERS = ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader",
           "torch_geometric.loader.DataLoader", "torch_geometric.data.DataLoader", "monai.data.DataLoader")
# Calls that pass an iterable through: `for x in tqdm(enumerate(val_loader))`.
WRAPPERS = {"enumerate", "tqdm", "iter", "track", "progress_bar", "zip"}
_FLAGS = {"train": TRAIN, "is_train": TRAIN, "training": TRAIN, "is_training": TRAIN}
_SPLIT_KEYWORDS = ("split", "subset", "mode", "phase", "image_set", "stage")


UNIT_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$|(^|/)tests?/")


def unit_test_file(path: str) -> bool:
    """pytest's files: `X_test` there is a fixture, and determinism the point."""
    return bool(UNIT_TEST_FILE.search(path.replace("\\", "/")))


def tokens(name: str) -> list[str]:
    """`trainLoader_2` -> ["train", "loader"]; `X_te` -> ["x", "te"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t.lower() for t in re.split(r"[^A-Za-z]+|\s+", spaced) if t]


def name_role(name: str) -> str | None:
    """The role a name states: "train", "eval", or None (none, or both: `train_val_split`)."""
    words = tokens(name)
    if any(_NOT_DATA.fullmatch(w) for w in words):
        return None
    found = {TRAIN if _TRAIN.fullmatch(w) else EVAL if _EVAL.fullmatch(w) else None for w in words}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def names_test_data(name: str) -> bool:
    """`X_test`, `test_df`, `y_te`: the held-out test part (not validation data)."""
    return name_role(name) == EVAL and any(_TEST.fullmatch(w) for w in tokens(name))


def string_role(text: str) -> str | None:
    """A split name or a path: "train", "val", "data/test/", "validation[:10%]"."""
    return name_role(re.sub(r"\[.*", "", text))


@dataclass(frozen=True)
class LoaderCall:
    call: ast.Call
    role: str | None
    evidence: str  # "it is bound to `train_loader`"
    shuffle: ast.expr | None  # the `shuffle=` value, None when not passed
    sampler: bool  # `sampler=` or `batch_sampler=` given
    hidden: bool  # `**kwargs`: keywords that cannot be seen
    dataset: ast.expr | None


def dataloaders(module) -> list[LoaderCall]:
    return module.fact(_dataloaders)


def _dataloaders(module) -> list[LoaderCall]:
    found = []
    for call in module.nodes("Call"):
        if last_name(call.func) != "DataLoader" or not is_dataloader(module, call.func):
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        dataset = call.args[0] if call.args else keywords.get("dataset")
        role, evidence = _call_role(module, call, dataset)
        found.append(LoaderCall(call, role, evidence, keywords.get("shuffle"),
                                bool({"sampler", "batch_sampler"} & keywords.keys()) or len(call.args) > 3,
                                None in keywords, dataset))
    return found


def is_dataloader(module, func: ast.AST) -> bool:
    return module.names.resolves_to(func, *LOADERS, scopes=module.scopes) is not None


def loader_role(module, expr: ast.AST | None) -> str | None:
    """Whether `expr` (a loader, a dataset, a transform, or a call that builds one) is for
    training or for evaluation; None when the code does not say, or says both."""
    return _role(module, expr, 0)[0]


def _role(module, expr, depth: int) -> tuple[str | None, str]:
    if expr is None or depth > 4:
        return None, ""
    if isinstance(expr, ast.Call):
        if last_name(expr.func) in WRAPPERS and expr.args:
            return _role(module, expr.args[0], depth + 1)
        if last_name(expr.func) == "DataLoader":
            keywords = {k.arg: k.value for k in expr.keywords}
            return _call_role(module, expr, expr.args[0] if expr.args else keywords.get("dataset"))
        return dataset_role(module, expr, depth)
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and string_role(key.value):
            return string_role(key.value), f"it is `{module.segment(expr)}`"
        return _role(module, expr.value, depth + 1) if isinstance(expr.value, ast.Attribute) else (None, "")
    if isinstance(expr, (ast.Name, ast.Attribute)):
        text = expr.id if isinstance(expr, ast.Name) else expr.attr
        role = name_role(text)
        if role is not None:
            return role, f"it is `{module.segment(expr)}`"
        found = definitions(module, expr) if depth < 3 else []
        if len(found) == 1 and found[0].kind == "assign" and not found[0].unpack and found[0].value is not None:
            return _role(module, found[0].value, depth + 1)
    return None, ""


def dataset_role(module, call: ast.Call, depth: int = 0) -> tuple[str | None, str]:
    """`CIFAR10(root, train=False)`, `load_dataset(name, split="test")`, `ImageFolder("data/val")`,
    `Subset(full, val_idx)`."""
    roles = set()
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg in ("train", "is_train", "training") and isinstance(value, ast.Constant) \
                and isinstance(value.value, bool):
            roles.add(TRAIN if value.value else EVAL)
        elif keyword.arg in _SPLIT_KEYWORDS and isinstance(value, ast.Constant) and isinstance(value.value, str):
            roles.add(string_role(value.value))
    for argument in call.args[:2]:
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            roles.add(string_role(argument.value))
        elif last_name(call.func) in ("Subset", "SubsetRandomSampler") and isinstance(argument, ast.Name):
            roles.add(name_role(argument.id))
    roles.discard(None)
    if len(roles) == 1:
        return roles.pop(), f"it wraps `{_short(module, call)}`"
    return None, ""


def _call_role(module, call: ast.Call, dataset) -> tuple[str | None, str]:
    """A DataLoader's role from where it goes (binding, keyword, dict key, the function returning
    it, an `if train:` branch) and from the dataset it wraps; disagreement gives None."""
    where = placement_role(module, call)
    data = _role(module, dataset, 1) if dataset is not None else (None, "")
    roles = {r for r, _ in (where, data) if r is not None}
    if len(roles) != 1:
        return None, ""
    return (where if where[0] else data)


def placement_role(module, node: ast.AST) -> tuple[str | None, str]:
    parents = module.parents
    parent = parents.get(node)
    if isinstance(parent, ast.Tuple) and isinstance(parents.get(parent), ast.Assign):
        # `train_dl, val_dl = DataLoader(a), DataLoader(b)`
        statement = parents[parent]
        target = statement.targets[0]
        if isinstance(target, ast.Tuple) and len(target.elts) == len(parent.elts):
            target = target.elts[parent.elts.index(node)]
            role = _target_role(module, target)
            if role:
                return role, f"it is bound to `{module.segment(target)}`"
    if isinstance(parent, ast.keyword) and parent.arg:
        role = name_role(parent.arg)
        if role:
            return role, f"it is passed as `{parent.arg}=`"
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        for target in targets:
            role = _target_role(module, target)
            if role:
                return role, f"it is bound to `{module.segment(target)}`"
    if isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and string_role(key.value):
            return string_role(key.value), f"it is the {key.value!r} entry"
    child, ancestor = node, parent
    while ancestor is not None and not isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if isinstance(ancestor, ast.If):
            role = branch_role(ancestor, child)
            if role:
                branch = "under" if any(child is n for n in ancestor.body) else "in the `else` of"
                return role, f"it is built {branch} `if {module.segment(ancestor.test)}`"
        child, ancestor = ancestor, parents.get(ancestor)
    if isinstance(parent, ast.Return) and isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef)):
        role = name_role(ancestor.name)
        if role:
            return role, f"`{ancestor.name}` returns it"
    return None, ""


def _target_role(module, target: ast.AST) -> str | None:
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return string_role(key.value)
        return None
    if isinstance(target, ast.Attribute):
        return name_role(target.attr)
    return name_role(target.id) if isinstance(target, ast.Name) else None


def branch_role(if_node: ast.If, child: ast.AST) -> str | None:
    """`if train: A else: B`: A is for training and B for evaluation (`if not is_train` swaps,
    `if split == "train"` and `if mode == "val"` count too). `child` is the statement of the
    body or of the `else` that holds the value."""
    test, negate = if_node.test, False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negate = test.operand, True
    role = None
    if isinstance(test, (ast.Name, ast.Attribute)):
        role = _FLAGS.get(test.id if isinstance(test, ast.Name) else test.attr)
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq)):
        side = test.comparators[0]
        if isinstance(side, ast.Constant) and isinstance(side.value, str):
            role = string_role(side.value)
            negate ^= isinstance(test.ops[0], ast.NotEq)
    if role is None or child is test:
        return None
    in_body = any(child is n for n in if_node.body)
    if in_body != negate:
        return role
    # Not training is evaluation; but what is not validation may be training or test.
    return EVAL if role == TRAIN else TRAIN if not isinstance(test, ast.Compare) else None


def _short(module, call: ast.Call) -> str:
    text = module.segment(call)
    return text if len(text) <= 50 and "\n" not in text else f"{module.segment(call.func)}(...)"


# Datasets that stream: `DataLoader` refuses `shuffle=True` for them, and they shuffle themselves.
ITERABLE = re.compile(r"Iterable|Stream|WebDataset|IterDataPipe|DataPipe|Pipe$|to_iterable_dataset|ChainDataset|"
                      r"^shuffle$|^shard$")
ITERABLE_BASES = re.compile(r"IterableDataset|IterDataPipe|DataPipe$")


def dataset_class(module, dataset: ast.AST | None, depth: int = 0) -> tuple[str | None, bool]:
    """(the name of the class or call that built `dataset`, whether it streams). `(None, False)`
    when the origin is not visible."""
    if dataset is None or depth > 4:
        return None, False
    if isinstance(dataset, (ast.Name, ast.Attribute)):
        found = definitions(module, dataset)
        values = [d.value for d in found if d.kind == "assign" and d.value is not None and not d.unpack]
        return dataset_class(module, values[-1], depth + 1) if len(values) == len(found) == 1 else (None, False)
    if not isinstance(dataset, ast.Call):
        return None, False
    name = last_name(dataset.func) or ""
    streaming = any(k.arg == "streaming" and getattr(k.value, "value", None) is True for k in dataset.keywords)
    if streaming or ITERABLE.search(name):
        return name, True
    definition = definitions(module, dataset.func) if isinstance(dataset.func, ast.Name) else []
    if definition and isinstance(definition[-1].node, ast.ClassDef):
        bases = " ".join(module.segment(b) for b in definition[-1].node.bases)
        return name, bool(ITERABLE_BASES.search(bases))
    if isinstance(dataset.func, ast.Attribute) and not module.qualified_name(dataset.func):
        # `ds.map(...)`, `ds.with_format("torch")`: the dataset it was made from decides.
        inner = dataset_class(module, dataset.func.value, depth + 1)
        return (inner[0], inner[1]) if inner[0] else (name, False)
    return name, False


def iterable_classes(module) -> frozenset[str]:
    """Classes this file defines that stream (`class Shards(IterableDataset)`)."""
    return frozenset(c.name for c in module.nodes("ClassDef")
                     if ITERABLE_BASES.search(" ".join(module.segment(b) for b in c.bases)))
