"""Where the feature matrix handed to a scikit-learn estimator comes from, and whether anything
could have rescaled it on the way.

`raw_origin(module, expr, at)` follows a name back through assignments, `train_test_split`,
column and row selection (`df.drop(...)`, `df[cols]`, `.values`, `bunch.data`) to a call that
loads raw feature data (`pd.read_csv`, `load_wine`, `np.loadtxt` ...). Anything else on the way
(a function call, arithmetic, a parameter) means the origin is not visible, and the answer is None.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

SCALE_SENSITIVE = (
    "SVC", "SVR", "LinearSVC", "LinearSVR", "NuSVC", "NuSVR", "KNeighborsClassifier", "KNeighborsRegressor",
    "RadiusNeighborsClassifier", "RadiusNeighborsRegressor", "LogisticRegression", "LogisticRegressionCV",
    "MLPClassifier", "MLPRegressor", "SGDClassifier", "SGDRegressor", "PCA", "KernelPCA", "KMeans",
    "MiniBatchKMeans",
)
FITS = ("fit", "fit_transform", "fit_predict")
CROSS_VALIDATION = {f"sklearn.model_selection.{n}" for n in (
    "cross_val_score", "cross_validate", "cross_val_predict", "learning_curve", "validation_curve")}
RAW_LOADERS = {
    "pandas.read_csv", "pandas.read_table", "pandas.read_excel", "pandas.read_parquet",
    "pandas.read_feather", "pandas.read_sql", "pandas.read_sql_query", "numpy.loadtxt",
    "numpy.genfromtxt", "sklearn.datasets.load_wine", "sklearn.datasets.load_breast_cancer",
    "sklearn.datasets.fetch_california_housing", "sklearn.datasets.fetch_covtype",
    "sklearn.datasets.fetch_kddcup99", "sklearn.datasets.fetch_openml",
    # Not raw: make_classification/make_blobs and load_diabetes are already centred and scaled;
    # load_iris and load_digits have features on one common scale, and unscaled models of them
    # are the textbook examples.
}
SPLITTERS = {"sklearn.model_selection.train_test_split"}
# Operations that select rows or columns, or change the container, but keep values as they are.
KEEPS_VALUES = {"drop", "dropna", "fillna", "copy", "astype", "to_numpy", "select_dtypes", "reset_index",
                "sample", "filter", "head", "tail", "sort_values", "drop_duplicates", "reindex", "reshape",
                "squeeze", "infer_objects", "get"}
# Not `pd.get_dummies`: one-hot columns are 0/1, and an all-categorical table needs no scaling.
WRAPPERS = {"numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.copy", "pandas.DataFrame"}
# Files whose name says the features were already prepared.
PREPARED = re.compile(r"scal|normali|standardi|preprocess|processed|embedding", re.IGNORECASE)
# Calls that read an array without changing it; any other call that receives it might rescale it.
PURE_PREFIXES = ("numpy.", "pandas.", "matplotlib.", "seaborn.", "sklearn.metrics.", "sklearn.model_selection.")
PURE_BUILTINS = {"print", "len", "type", "isinstance", "list", "sorted", "str", "repr", "range", "enumerate",
                 "zip", "display", "id", "hash", "min", "max", "sum"}


@dataclass(frozen=True)
class RawOrigin:
    loader: ast.Call  # the call that loaded the data
    loader_name: str  # "pd.read_csv", as written
    names: frozenset[str]  # every name the data passed through


def raw_origin(module, expr: ast.AST) -> RawOrigin | None:
    names: set[str] = set()
    loader = _trace(module, expr, names, 0)
    if loader is None or _touched(module, names):
        return None
    return RawOrigin(loader, module.segment(loader.func), frozenset(names))


def _trace(module, expr: ast.AST, names: set[str], depth: int) -> ast.Call | None:
    if depth > 16:
        return None
    if isinstance(expr, ast.Name):
        names.add(expr.id)
        definition = module.scopes.scope_of(expr).latest(expr.id, expr.lineno)
        if definition is None or definition.kind != "assign" or definition.value is None:
            return None
        return _trace_value(module, definition.value, definition.unpack, names, depth + 1)
    if isinstance(expr, ast.Subscript):
        return _trace(module, expr.value, names, depth + 1)
    if isinstance(expr, ast.Attribute) and expr.attr in ("values", "data", "frame", "iloc", "loc"):
        return _trace(module, expr.value, names, depth + 1)
    if isinstance(expr, ast.Call):
        return _trace_value(module, expr, (), names, depth + 1)
    return None


def _trace_value(module, value: ast.AST, unpack: tuple[int, ...], names: set[str], depth: int):
    if unpack and isinstance(value, (ast.Tuple, ast.List)) and unpack[0] < len(value.elts):
        return _trace_value(module, value.elts[unpack[0]], unpack[1:], names, depth)
    if not isinstance(value, ast.Call):
        return None if unpack else _trace(module, value, names, depth)
    qualified = module.qualified_name(value.func) or ""
    if qualified in SPLITTERS and len(unpack) == 1:
        # `X_tr, X_te, y_tr, y_te = train_test_split(X, y)`: element i is a part of array i // 2.
        index = unpack[0] // 2
        return _trace(module, value.args[index], names, depth) if index < len(value.args) else None
    if qualified in RAW_LOADERS:
        source = value.args[0] if value.args else None
        if unpack not in ((), (0,)) or (isinstance(source, ast.Constant) and isinstance(source.value, str)
                                        and PREPARED.search(source.value)):
            return None
        return value
    if unpack:
        return None
    if isinstance(value.func, ast.Attribute) and value.func.attr in KEEPS_VALUES and not qualified:
        return _trace(module, value.func.value, names, depth)
    if qualified in WRAPPERS and value.args:
        return _trace(module, value.args[0], names, depth)
    return None


def _touched(module, names: set[str]) -> bool:
    """Whether anything in the file could have rescaled the data: it is the argument of a call
    that is not known to only read it (a scaler, a project function), or it is assigned into."""
    for call in module.nodes("Call"):
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if not any(isinstance(n, ast.Name) and n.id in names for a in arguments for n in ast.walk(a)):
            continue
        if not _pure(module, call):
            return True
    for node in module.nodes("Assign", "AugAssign"):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            base = target
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if base is not target and isinstance(base, ast.Name) and base.id in names:
                return True  # `df[cols] = scaler.fit_transform(df[cols])`, `X[:, 0] /= 100`
            if isinstance(node, ast.AugAssign) and isinstance(target, ast.Name) and target.id in names:
                return True
    return False


def _pure(module, call: ast.Call) -> bool:
    func = call.func
    qualified = module.qualified_name(func) or ""
    if isinstance(func, ast.Name) and qualified == "" and func.id in PURE_BUILTINS:
        return True
    if qualified.startswith(PURE_PREFIXES):
        return True
    if isinstance(func, ast.Attribute) and func.attr in ("fit", "predict", "predict_proba", "decision_function",
                                                         "score", "fit_predict", "fit_transform", "transform"):
        return _estimator_reads_only(module, func.value)
    return False


def _estimator_reads_only(module, receiver: ast.AST, depth: int = 0) -> bool:
    """True for a scikit-learn estimator, or a pipeline of them, with no step that may rescale."""
    if isinstance(receiver, ast.Name):
        definition = module.scopes.scope_of(receiver).latest(receiver.id, receiver.lineno)
        receiver = definition.value if definition is not None else None
    if not isinstance(receiver, ast.Call) or depth > 4:
        return False
    steps = _pipeline_steps(module, receiver)
    if steps is not None:
        return bool(steps) and all(_estimator_reads_only(module, s, depth + 1) for s in steps)
    qualified = module.qualified_name(receiver.func) or ""
    return qualified.startswith("sklearn.") and not qualified.startswith(
        ("sklearn.preprocessing", "sklearn.pipeline", "sklearn.compose", "sklearn.kernel_approximation"))


def _pipeline_steps(module, call: ast.Call) -> list | None:
    """The steps of `make_pipeline(...)` or `Pipeline([(name, step), ...])`; None otherwise."""
    qualified = module.qualified_name(call.func) or ""
    if qualified == "sklearn.pipeline.make_pipeline":
        return list(call.args)
    pairs = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "steps"), None)
    if qualified == "sklearn.pipeline.Pipeline" and isinstance(pairs, ast.List) and all(
            isinstance(p, ast.Tuple) and len(p.elts) == 2 for p in pairs.elts):
        return [p.elts[1] for p in pairs.elts]
    return None


# Meta-estimators and helpers that fit the estimator they are given.
META = {"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
        "OneVsRestClassifier", "OneVsOneClassifier", "BaggingClassifier", "BaggingRegressor",
        "CalibratedClassifierCV", "MultiOutputClassifier", "MultiOutputRegressor"}
# Pipeline steps known not to rescale; any other step (a scaler, a ColumnTransformer, a custom
# transformer) may, and the pipeline is not judged.
KEEPS_SCALE = ("sklearn.impute.", "sklearn.feature_selection.", "sklearn.preprocessing.PolynomialFeatures")


def sensitive_estimator(module, expr: ast.AST, sensitive: frozenset[str], depth: int = 0) -> str | None:
    """The scale-sensitive scikit-learn class that `expr` (a constructor call or a name bound to
    one, possibly inside a pipeline or a search) is, as written; None when unknown or scaled."""
    if isinstance(expr, ast.Name) and depth < 4:
        definition = module.scopes.scope_of(expr).latest(expr.id, expr.lineno)
        if definition is None or definition.kind != "assign" or definition.unpack:
            return None
        return sensitive_estimator(module, definition.value, sensitive, depth + 1)
    if not isinstance(expr, ast.Call) or depth >= 4:
        return None
    qualified = module.qualified_name(expr.func) or ""
    if not qualified.startswith("sklearn."):
        return None
    name = qualified.rpartition(".")[2]
    if name in sensitive:
        return module.segment(expr.func)
    if name in META:
        inner = expr.args[0] if expr.args else next((k.value for k in expr.keywords if k.arg == "estimator"), None)
        return sensitive_estimator(module, inner, sensitive, depth + 1) if inner is not None else None
    steps = _pipeline_steps(module, expr)
    if steps is None:
        return None
    found = None
    for step in steps:
        shown = sensitive_estimator(module, step, sensitive, depth + 1)
        qualified = (module.qualified_name(step.func) or "") if isinstance(step, ast.Call) else ""
        if shown is None and not qualified.startswith(KEEPS_SCALE):
            return None  # a step that may rescale, or one that cannot be seen
        found = found or shown
    return found
