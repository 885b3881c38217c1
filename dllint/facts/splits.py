"""What learns from data and what divides it, in scikit-learn-style code: the calls the leakage
facts (`facts/leakage.py`) put in order.

- `fitter(module, call)`: a `fit`/`fit_transform`/`fit_resample` (or `scale(X)`, `resample(X)`)
  of a preprocessing step or a resampler, with what it learns from: statistics of the rows
  (scalers, imputers, PCA, selectors, TF-IDF, target encoders), only the category vocabulary
  (one-hot, ordinal and label encoders), or rows it adds and drops (imblearn samplers).
- `splitter(module, call)`: `train_test_split`, a CV splitter's `.split(X)`, `cross_val_*`,
  searches and `*CV` estimators that cross-validate inside `fit`, `random_split`, and
  Hugging Face `Dataset.train_test_split`.
- `roots(module, expr)`: the names whose data an expression selects (`df[cols].values` -> df).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dllint.facts.bindings import definitions, last_name
from dllint.facts.loaders import name_role, tokens

_SKL = "sklearn."
STATISTICS = {
    f"{_SKL}preprocessing.{n}" for n in (
        "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "QuantileTransformer",
        "PowerTransformer", "KBinsDiscretizer", "SplineTransformer")
} | {f"{_SKL}impute.{n}" for n in ("SimpleImputer", "KNNImputer", "IterativeImputer")} | {
    f"{_SKL}decomposition.{n}" for n in (
        "PCA", "IncrementalPCA", "KernelPCA", "TruncatedSVD", "FastICA", "NMF", "FactorAnalysis", "SparsePCA",
        "MiniBatchSparsePCA", "DictionaryLearning", "LatentDirichletAllocation")
} | {f"{_SKL}feature_extraction.text.{n}" for n in ("TfidfVectorizer", "TfidfTransformer")} | {
    f"{_SKL}feature_selection.VarianceThreshold"}
# Learn from the labels too: the worst leaks, also inside cross-validation of the training part.
SUPERVISED = {f"{_SKL}feature_selection.{n}" for n in (
    "SelectKBest", "SelectPercentile", "SelectFpr", "SelectFdr", "SelectFwe", "GenericUnivariateSelect", "RFE",
    "RFECV", "SelectFromModel", "SequentialFeatureSelector")} | {f"{_SKL}preprocessing.TargetEncoder"} | {
    f"category_encoders.{n}" for n in ("TargetEncoder", "WOEEncoder", "CatBoostEncoder", "LeaveOneOutEncoder",
                                        "JamesSteinEncoder", "MEstimateEncoder", "GLMMEncoder", "QuantileEncoder")}
# Learn which categories exist and nothing about their frequencies or the labels.
VOCABULARY = {f"{_SKL}preprocessing.{n}" for n in (
    "OneHotEncoder", "OrdinalEncoder", "LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer")} | {
    f"{_SKL}feature_extraction.text.{n}" for n in ("CountVectorizer", "HashingVectorizer")}
# Functions that standardize with the statistics of what they are given.
SCALING_FUNCTIONS = {f"{_SKL}preprocessing.{n}" for n in (
    "scale", "minmax_scale", "maxabs_scale", "robust_scale", "quantile_transform", "power_transform")}
RESAMPLER_MODULES = ("imblearn.over_sampling.", "imblearn.under_sampling.", "imblearn.combine.")
FIT_METHODS = {"fit", "fit_transform", "fit_resample", "fit_sample"}
COMPOSITES = {f"{_SKL}pipeline.Pipeline", f"{_SKL}pipeline.make_pipeline", f"{_SKL}compose.ColumnTransformer",
              f"{_SKL}compose.make_column_transformer", f"{_SKL}pipeline.FeatureUnion"}

_MS = f"{_SKL}model_selection."
CV_FUNCTIONS = {f"{_MS}{n}" for n in ("cross_val_score", "cross_validate", "cross_val_predict", "learning_curve",
                                       "validation_curve", "permutation_test_score")}
SPLIT_FUNCTIONS = {f"{_MS}train_test_split", "torch.utils.data.random_split", "torch.utils.data.dataset.random_split"}
SPLITTER_CLASSES = {f"{_MS}{n}" for n in (
    "KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "RepeatedKFold", "RepeatedStratifiedKFold",
    "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit", "LeaveOneOut", "LeavePOut", "LeaveOneGroupOut",
    "LeavePGroupsOut", "TimeSeriesSplit", "PredefinedSplit")}
SEARCHES = {f"{_MS}{n}" for n in ("GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV",
                                   "HalvingRandomSearchCV")} | {"skopt.BayesSearchCV"} | {
    f"{_SKL}linear_model.{n}" for n in ("LogisticRegressionCV", "RidgeCV", "RidgeClassifierCV", "LassoCV",
                                        "ElasticNetCV", "LarsCV", "LassoLarsCV")}
LABEL_WORDS = {"y", "label", "labels", "target", "targets", "lbl", "lbls", "class", "classes"}
# Methods that keep the rows of a table or array (select, reshape, convert), for `roots`.
WRAPPERS = {"numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.copy", "pandas.DataFrame",
            "torch.tensor", "torch.from_numpy", "torch.as_tensor", "torch.Tensor", "torch.FloatTensor"}
JOINS = {"pandas.concat", "numpy.concatenate", "numpy.hstack", "numpy.vstack", "numpy.column_stack",
         "numpy.c_", "scipy.sparse.hstack"}


@dataclass(frozen=True)
class Fitter:
    call: ast.Call  # the call that learns
    data: ast.expr  # what it learns from
    what: str  # "StandardScaler", as written
    learns: str  # "statistics" | "labels" | "vocabulary" | "rows"
    method: str  # "fit_transform", "fit_resample", "scale", ...


@dataclass(frozen=True)
class Splitter:
    call: ast.Call
    data: tuple[ast.expr, ...]  # the feature data it divides (labels left out)
    what: str  # "train_test_split", "KFold.split", "cross_val_score", "GridSearchCV.fit"
    cross_validates: bool


def fitter(module, call: ast.Call) -> Fitter | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in FIT_METHODS:
        data = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("X", "raw_documents")),
                                                   None)
        if data is None:
            return None
        found = _kind(module, func.value, 0)
        if found is None:
            return None
        learns, what = found
        if (learns == "rows") != (func.attr in ("fit_resample", "fit_sample")):
            return None
        return Fitter(call, data, what, learns, func.attr)
    if not call.args or not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    qualified = module.names.resolves_to(func, *SCALING_FUNCTIONS, "sklearn.utils.resample", scopes=module.scopes)
    if qualified is None:
        return None
    learns = "rows" if qualified == "sklearn.utils.resample" else "statistics"
    return Fitter(call, call.args[0], module.segment(func), learns, last_name(func) or "")


def _kind(module, receiver: ast.AST, depth: int) -> tuple[str, str] | None:
    """What the estimator `receiver` (a constructor call, or a name bound to one) learns."""
    if depth > 4:
        return None
    if isinstance(receiver, (ast.Name, ast.Attribute)):
        found = definitions(module, receiver)
        values = [d.value for d in found if d.value is not None and d.kind == "assign" and not d.unpack]
        return _kind(module, values[-1], depth + 1) if len(values) == len(found) == 1 else None
    if not isinstance(receiver, ast.Call):
        return None
    qualified = module.qualified_name(receiver.func) or ""
    what = last_name(receiver.func) or ""
    if qualified in SUPERVISED:
        return "labels", what
    if qualified in STATISTICS:
        if qualified.endswith("SimpleImputer") and any(
                k.arg == "strategy" and getattr(k.value, "value", None) == "constant" for k in receiver.keywords):
            return None  # a constant fill learns nothing from the rows
        return "statistics", what
    if qualified in VOCABULARY:
        return "vocabulary", what
    if qualified.startswith(RESAMPLER_MODULES):
        return "rows", what
    if qualified in COMPOSITES:
        return _composite(module, receiver, depth)
    return None


def _composite(module, call: ast.Call, depth: int) -> tuple[str, str] | None:
    """A pipeline or column transformer made only of preprocessing steps learns what its steps
    do; one that ends in a model is a model, and fitting it is training, not preprocessing."""
    steps = []
    for argument in call.args or [k.value for k in call.keywords if k.arg in ("steps", "transformers")]:
        items = argument.elts if isinstance(argument, (ast.List, ast.Tuple)) else [argument]
        for item in items:
            if isinstance(item, ast.Tuple) and len(item.elts) >= 2:
                item = item.elts[1]
            if isinstance(item, ast.Constant) and item.value in ("passthrough", "drop"):
                continue
            steps.append(item)
    kinds = [_kind(module, step, depth + 1) for step in steps]
    if not kinds or any(k is None or k[0] == "rows" for k in kinds):
        return None
    order = ("labels", "statistics", "vocabulary")
    learns = min((k[0] for k in kinds), key=order.index)
    return learns, last_name(call.func) or ""


def splitter(module, call: ast.Call) -> Splitter | None:
    func = call.func
    name = last_name(func)
    if name in ("split", "fit") and isinstance(func, ast.Attribute):
        owner = _class_of(module, func.value)
        if owner is None or not (owner in SPLITTER_CLASSES if name == "split" else owner in SEARCHES):
            return None
        data = call.args[:1] or [k.value for k in call.keywords if k.arg == "X"]
        short = owner.rpartition(".")[2]
        return Splitter(call, tuple(data), f"{short}.{name}", True) if data else None
    if name == "train_test_split" and isinstance(func, ast.Attribute) and not module.qualified_name(func):
        return Splitter(call, (func.value,), "train_test_split", False)  # Hugging Face `Dataset`
    qualified = module.names.resolves_to(func, *SPLIT_FUNCTIONS, *CV_FUNCTIONS, scopes=module.scopes)
    if qualified is None:
        return None
    if qualified in CV_FUNCTIONS:
        data = call.args[1:2] or [k.value for k in call.keywords if k.arg == "X"]
        return Splitter(call, tuple(data), name or "", True) if data else None
    data = [a for a in call.args if not isinstance(a, ast.Starred) and not is_label(module, a)]
    return Splitter(call, tuple(data), name or "", False) if data else None


def _class_of(module, receiver: ast.AST, depth: int = 0) -> str | None:
    if isinstance(receiver, ast.Call):
        return module.qualified_name(receiver.func)
    if isinstance(receiver, (ast.Name, ast.Attribute)) and depth < 3:
        found = definitions(module, receiver)
        if len(found) == 1 and found[0].kind == "assign" and not found[0].unpack and found[0].value is not None:
            return _class_of(module, found[0].value, depth + 1)
    return None


def roots(module, expr: ast.AST, depth: int = 0) -> set[str]:
    """The names whose rows `expr` holds: `df[cols].values` -> {"df"}, `np.hstack([a, b])` ->
    {"a", "b"}, `self.X[:, 1:]` -> {"self.X"}. Empty when not visible (any other call)."""
    if depth > 8:
        return set()
    if isinstance(expr, ast.Name):
        return {expr.id}
    if isinstance(expr, ast.Attribute):
        if isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return {f"self.{expr.attr}"}
        return roots(module, expr.value, depth + 1)
    if isinstance(expr, ast.Subscript):
        return roots(module, expr.value, depth + 1)
    if isinstance(expr, (ast.List, ast.Tuple)):
        return set().union(*(roots(module, e, depth + 1) for e in expr.elts)) if expr.elts else set()
    if isinstance(expr, ast.Call):
        qualified = module.qualified_name(expr.func) or ""
        if qualified in WRAPPERS and expr.args:
            return roots(module, expr.args[0], depth + 1)
        if qualified in JOINS and expr.args:
            return roots(module, expr.args[0], depth + 1)
        if isinstance(expr.func, ast.Attribute) and not qualified:
            return roots(module, expr.func.value, depth + 1)  # `df.drop(...)`, `X.reshape(-1, 1)`
    return set()


def is_label(module, expr: ast.AST) -> bool:
    """`y`, `y_train`, `df["target"]`, `labels`: what a split carries along, not features."""
    found = roots(module, expr)
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) \
            and isinstance(expr.slice.value, str) and names_label(expr.slice.value):
        return True
    return bool(found) and all(names_label(r.rpartition(".")[2]) for r in found)


def names_label(name: str) -> bool:
    """`y`, `y_train`, `labels`, `target_col`."""
    words = tokens(name)
    return bool(words) and (words[0] in LABEL_WORDS or any(w in ("label", "labels", "target", "targets")
                                                             for w in words))


def part_role(name: str) -> str | None:
    """"train"/"eval" for data whose name says it is one part of a split (`X_train`, `df_val`)."""
    return name_role(name.rpartition(".")[2])


def shorten(module, expr: ast.AST) -> str:
    text = " ".join(module.segment(expr).split())
    return text if len(text) <= 40 else text[:37] + "..."


def fitted_name(module, call: ast.Call) -> str:
    """The name the fitted object goes by: `scaler` in `scaler.fit(X)` and in
    `scaler = StandardScaler().fit(X)`; "" when it is dropped (`StandardScaler().fit_transform(X)`)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return ""
    if isinstance(func.value, (ast.Name, ast.Attribute)):
        return module.segment(func.value)
    parent = module.parents.get(call)
    if func.attr == "fit" and isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        return module.segment(parent.targets[0])
    return ""
