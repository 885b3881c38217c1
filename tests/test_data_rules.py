"""The data facts behind DL401-DL408: roles of loaders and pipelines, what learns and what
splits, the order of fits and splits, and the raw-pixel walk."""

from __future__ import annotations

import ast
import textwrap

import pytest

from dllint.facts.dataset_rng import rng_uses
from dllint.facts.leakage import exported, leaks
from dllint.facts.loaders import EVAL, TRAIN, dataloaders, loader_role, name_role, names_test_data
from dllint.facts.pixels import raw_pixels
from dllint.facts.splits import fitter, roots, splitter
from dllint.sources.astwalk import index_by_type
from dllint.sources.python_file import parse_python


def module_of(source: str, path: str = "train.py"):
    module = parse_python(path, textwrap.dedent(source).encode())
    module.nodes_by_type = index_by_type(module.tree)
    return module


def calls(module, name: str) -> list[ast.Call]:
    return [c for c in module.nodes("Call") if module.segment(c.func).endswith(name)]


@pytest.mark.parametrize("name,role", [
    ("train_loader", TRAIN), ("trainloader", TRAIN), ("dl_tr", TRAIN), ("trainval_set", TRAIN),
    ("val_loader", EVAL), ("testLoader", EVAL), ("X_te", EVAL), ("valid_dl", EVAL), ("eval_dataset", EVAL),
    ("train_test_split", None), ("trainer", None), ("test_size", None), ("train_loss", None), ("loader", None),
    ("train_val_loader", None),
])
def test_name_role(name, role):
    assert name_role(name) == role


def test_names_test_data_excludes_validation():
    assert names_test_data("X_test") and names_test_data("test_df") and names_test_data("y_te")
    assert not names_test_data("X_val") and not names_test_data("X_train")


def test_loader_role_for_the_training_loop_rules():
    module = module_of("""
        from torch.utils.data import DataLoader
        from torchvision.datasets import CIFAR10
        loaders = {"train": DataLoader(a, shuffle=True), "val": DataLoader(b)}
        held_out = DataLoader(CIFAR10("data", train=False))
        both = DataLoader(train_set)
        valid_dl = DataLoader(train_set)

        class Module:
            def val_dataloader(self):
                return DataLoader(self.ds)

        for x, y in tqdm(enumerate(held_out)):
            pass
        for batch in loaders["val"]:
            pass
    """)
    found = {module.segment(loader.call): loader for loader in dataloaders(module)}
    assert found["DataLoader(a, shuffle=True)"].role == TRAIN
    assert found["DataLoader(b)"].role == EVAL
    assert found['DataLoader(CIFAR10("data", train=False))'].role == EVAL
    assert found["DataLoader(self.ds)"].role == EVAL
    loops = module.nodes("For")
    assert loader_role(module, loops[0].iter) == EVAL  # through tqdm(enumerate(...)) and the binding
    assert loader_role(module, loops[1].iter) == EVAL  # loaders["val"]
    # Bound to `valid_dl` but wrapping the training set: the evidence disagrees.
    assert found["DataLoader(train_set)"].role is None


def test_branch_roles():
    module = module_of("""
        from torch.utils.data import DataLoader
        def build(is_train, split):
            if is_train:
                loader = DataLoader(a)
            else:
                loader = DataLoader(b)
            if split == "val":
                other = DataLoader(c)
            else:
                other = DataLoader(d)
            return loader, other
    """)
    roles = [loader.role for loader in dataloaders(module)]
    assert roles == [TRAIN, EVAL, EVAL, None]


def test_fitter_and_splitter_recognition():
    module = module_of("""
        from sklearn.preprocessing import StandardScaler, OneHotEncoder
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import KFold, train_test_split
        from imblearn.over_sampling import SMOTE
        scaler = StandardScaler()
        scaler.fit(X)
        OneHotEncoder().fit_transform(df)
        SimpleImputer(strategy="constant").fit_transform(df)
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        SMOTE().fit_resample(X, y)
        train_test_split(X, y)
        KFold(5).split(X_scaled)
        "a,b".split(",")
    """)
    learned = [fitter(module, c) for c in module.nodes("Call")]
    kinds = [(f.what, f.learns) for f in learned if f is not None]
    assert kinds == [("StandardScaler", "statistics"), ("OneHotEncoder", "vocabulary"), ("SMOTE", "rows")]
    splits = [s for s in (splitter(module, c) for c in module.nodes("Call")) if s is not None]
    assert [(s.what, [module.segment(d) for d in s.data]) for s in splits] == [
        ("train_test_split", ["X"]), ("KFold.split", ["X_scaled"])]


def test_roots_follow_selections():
    module = module_of("import numpy as np\nx = np.hstack([df[cols].values, self.extra[:, 1:]])\n"
                       "y = other.drop(columns='a')\nz = make_features(df)\n")
    _, first, second, third = module.tree.body
    assert roots(module, first.value) == {"df", "self.extra"}
    assert roots(module, second.value) == {"other"}
    assert roots(module, third.value) == set()  # a project function may build anything


def test_leaks_in_order_and_exports_for_other_files():
    module = module_of("""
        import pandas as pd
        from sklearn.preprocessing import StandardScaler
        from sklearn.model_selection import train_test_split
        from project.split import make_folds

        def scale(frame):
            frame[["a"]] = StandardScaler().fit_transform(frame[["a"]])
            return frame

        df = scale(pd.read_csv("x.csv"))
        train, test = train_test_split(df)
        X = StandardScaler().fit_transform(raw)
        make_folds(X)
    """)
    found = leaks(module)
    assert [(leak.anchor.line, leak.helper, leak.split.what) for leak in found] == [(11, "scale", "train_test_split")]
    shared = exported(module)
    assert list(shared.fits) == ["scale"] and shared.fits["scale"][0][0] == 0
    assert [(callee, index) for callee, index, *_ in shared.fits_then_call] == [("project.split.make_folds", 0)]


def test_dataset_generators():
    module = module_of("""
        import numpy as np
        from torch.utils.data import Dataset
        class Crops(Dataset):
            def __init__(self):
                self.rng = np.random.RandomState(0)
            def __getitem__(self, i):
                return self.rng.rand() + np.random.rand()
    """)
    uses = rng_uses(module)
    assert [(u.generator, u.made is not None) for u in uses] == [("self.rng", True), ("np.random", False)]


def test_raw_pixels_walk_stops_at_scaling():
    module = module_of("""
        import cv2, torch
        model = torch.load("m.pt")
        a = torch.from_numpy(cv2.imread("a.jpg")).float()
        model(a)
        b = torch.from_numpy(cv2.imread("b.jpg")).float() / 255
        model(b)
    """)
    assert [p.conversion.line for p in raw_pixels(module)] == [4]
