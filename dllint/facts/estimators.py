"""Which `.predict` returns class labels: a classifier's or an outlier detector's does; a
regressor's, a Keras model's, a statsmodels result's or a Booster's returns scores.

`estimator_family(module, expr)` follows the receiver back to where the model was built (through
`fit`, pipelines, searches, `best_estimator_`, dict and list literals iterated in a loop, and
same-file classes by their bases); `predict_kind(module, call, name)` turns that into a value
kind. A receiver whose origin is not visible counts as a classifier only in a scikit-learn
modelling file that imports nothing whose `predict` could return scores (`predict_means_labels`).
Labels used only where the estimator has no scores (`if hasattr(clf, "predict_proba") ... else:`)
are a fallback (`in_score_fallback`).
"""

from __future__ import annotations

import ast

from dllint.facts.bindings import assigned_values, definitions, enclosing_class, last_name
from dllint.facts.kinds import SCORE_CALLS, UNKNOWN, ValueKind, hard, quote, scores

CLASSIFIER_SUFFIXES = ("Classifier", "ClassifierCV", "SVC", "NB")
CLASSIFIERS = {"LogisticRegression", "LogisticRegressionCV", "Perceptron", "NearestCentroid",
               "LinearDiscriminantAnalysis", "QuadraticDiscriminantAnalysis", "LabelPropagation",
               "LabelSpreading", "ClassifierMixin"}
# Outlier detectors' `predict` gives +1/-1 labels; their scores are `decision_function`/`score_samples`.
DETECTORS = {"IsolationForest", "OneClassSVM", "SGDOneClassSVM", "EllipticEnvelope", "LocalOutlierFactor"}
REGRESSOR_SUFFIXES = ("Regressor", "Regression", "RegressorMixin", "SVR", "Ridge", "RidgeCV",
                      "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "Lars", "LarsCV", "LassoLarsIC")
SEARCHES = {"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
            "BayesSearchCV"}
# Models whose `predict` returns scores: Keras probabilities, statsmodels fitted probabilities,
# xgboost/lightgbm Booster probabilities or margins.
SCORE_MODELS = ("tensorflow.", "keras.", "tf_keras.", "statsmodels.")
BOOSTERS = {"xgboost.train", "xgboost.Booster", "xgboost.core.Booster", "lightgbm.train",
            "lightgbm.Booster", "lightgbm.basic.Booster", "catboost.CatBoost"}
# In files importing these, `.predict` of a model of unseen origin may return scores.
OTHER_PREDICTORS = {"tensorflow", "keras", "tf_keras", "torch", "lightning", "pytorch_lightning",
                    "jax", "flax", "xgboost", "lightgbm", "catboost", "statsmodels", "prophet",
                    "fastai", "transformers", "mxnet", "paddle"}
SPECIAL_OUTPUTS = {"prediction_type", "pred_leaf", "pred_contrib", "pred_contribs", "pred_interactions"}
MAX_HOPS = 6  # bindings followed from one receiver


def predict_kind(module, call: ast.Call, name: str) -> ValueKind:
    """`model.predict(X)`, `model.fit_predict(X)`, `cross_val_predict(model, X, y)`: `name` is
    the called name. A same-file `predict` is the value tracker's business, not this module's."""
    keywords = {k.arg: k.value for k in call.keywords}
    if name == "cross_val_predict":
        if module.qualified_name(call.func) != "sklearn.model_selection.cross_val_predict":
            return UNKNOWN
        method = keywords.get("method")
        method = "predict" if method is None else getattr(method, "value", None)
        if method in SCORE_CALLS:
            return scores(call, f"scores from `cross_val_predict(..., method={method!r})`")
        model = (call.args[0] if call.args else keywords.get("estimator")) if method == "predict" else None
    elif not isinstance(call.func, ast.Attribute):
        return UNKNOWN  # a project's own `predict(model, X)` imported from elsewhere
    else:
        if any(getattr(keywords.get(k), "value", None) is True for k in ("output_margin", "raw_score")):
            return scores(call, "margins from `predict`")
        model = None if keywords.keys() & SPECIAL_OUTPUTS else call.func.value
    if model is None:
        return UNKNOWN
    family, label = estimator_family(module, model)
    labels = "+1/-1 outlier labels" if label.strip("`") in DETECTORS else "class labels"
    what = f"{labels} from `{quote(module, call.func)}`"
    if family == "classifier":
        return hard(call, f"{what} of {label}")
    if family in ("regressor", "scorer"):
        return scores(call, f"predictions of {label}")
    return hard(call, what) if family is None and predict_means_labels(module) else UNKNOWN


def estimator_family(module, expr: ast.expr, hops: int = 0) -> tuple[str | None, str]:
    """(family, label) of the model `expr` holds: family is classifier, regressor, scorer
    (its `predict` returns scores), unknown (built by something this module cannot classify),
    or None when the model's origin is not visible (a parameter, `joblib.load`)."""
    if hops > MAX_HOPS:
        return None, ""
    if isinstance(expr, ast.Name) and expr.id == "self":
        return _class_family(enclosing_class(module, expr))
    if isinstance(expr, ast.Attribute) and expr.attr in ("best_estimator_", "estimator"):
        return estimator_family(module, expr.value, hops + 1)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        models = [m for d in definitions(module, expr) for m in _models_bound(module, d)]
        found = list(dict.fromkeys(estimator_family(module, m, hops + 1) if m is not None else (None, "")
                                   for m in models))
        if len({family for family, _ in found}) > 1:
            return "unknown", ""
        if len(found) > 1:  # `for model in models.values()`: several of one family
            names = ", ".join(label for _, label in found[:2]) + (", ..." if len(found) > 2 else "")
            return found[0][0], f"each of {names}"
        return found[0] if found else (None, "")
    if not isinstance(expr, ast.Call):
        return None, ""
    inner = _wrapped(expr)
    if inner is not None:
        return estimator_family(module, inner, hops + 1)
    func, name = expr.func, last_name(expr.func) or ""
    defined = definitions(module, func) if isinstance(func, ast.Name) else []
    if defined and isinstance(defined[-1].node, ast.ClassDef):
        return _class_family(defined[-1].node)
    family = _family_by_name(name)
    if family is not None:
        return family, f"`{name}`"
    qualified = module.qualified_name(func) or ""
    if qualified.startswith(SCORE_MODELS) or qualified in BOOSTERS:
        return "scorer", f"`{quote(module, func)}`"
    return (None, "") if name in ("load", "loads", "load_model") else ("unknown", "")


def predict_means_labels(module) -> bool:
    """Whether `.predict` of a model of unseen origin returns class labels in this file: a
    scikit-learn modelling file that imports no library whose models predict scores (Keras,
    xgboost/lightgbm Boosters, statsmodels) or run the project's own `predict` (torch, jax)."""
    return module.fact(_predict_means_labels)


def in_score_fallback(module, statement: ast.AST) -> bool:
    """Inside `if hasattr(clf, "predict_proba") ... else:` or an `except` around a score call:
    labels used only where the estimator offers no scores."""
    position = (statement.lineno, statement.col_offset)
    # Only the statements around it in its own function count. Found by position: mapping every
    # node to its parent costs a walk of the whole file.
    scope = module.scopes.scope_of(statement)
    while scope.parent is not None and not isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = scope.parent
    start = (scope.node.lineno, scope.node.col_offset) if scope.parent is not None else (0, 0)
    for node in _around(module, ("If",), position, start):
        if _mentions_scores(node.test):
            return True
    for node in _around(module, ("Try", "TryStar"), position, start):
        if any(_spans(h, position) for h in node.handlers) and any(_mentions_scores(s) for s in node.body):
            return True
    return False


def _around(module, kinds: tuple[str, ...], position, start) -> list[ast.AST]:
    nodes = module.nodes(*kinds) if module.nodes_by_type else [
        n for n in ast.walk(module.tree) if type(n).__name__ in kinds]
    return [n for n in nodes if (n.lineno, n.col_offset) >= start and _spans(n, position)]


def _spans(node: ast.AST, position) -> bool:
    return (node.lineno, node.col_offset) <= position <= (node.end_lineno, node.end_col_offset)


def _predict_means_labels(module) -> bool:
    imported = [*module.names.aliases.values(), *module.names.star_modules]
    if {m.split(".")[0] for m in imported} & OTHER_PREDICTORS:
        return False
    functions = module.nodes("FunctionDef") or [
        n for n in ast.walk(module.tree) if isinstance(n, ast.FunctionDef)]
    if any(f.name == "predict" for f in functions):
        return False  # the file defines its own `predict`: which one is called is not visible
    return any(m == "sklearn" or m.startswith("sklearn.") and not m.startswith("sklearn.metrics")
               for m in imported)


def _wrapped(call: ast.Call) -> ast.expr | None:
    """The estimator a call hands back or wraps: `fit`, `make_pipeline`, `Pipeline`, a search."""
    func, args = call.func, call.args
    name = last_name(func) or ""
    keywords = {k.arg: k.value for k in call.keywords}
    if isinstance(func, ast.Attribute) and name in ("fit", "set_params", "partial_fit"):
        return func.value  # `fit` returns the estimator itself
    if name == "make_pipeline" and args:
        return args[-1]
    if name == "Pipeline":
        steps = args[0] if args else keywords.get("steps")
        last = steps.elts[-1] if isinstance(steps, (ast.List, ast.Tuple)) and steps.elts else None
        return last.elts[1] if isinstance(last, ast.Tuple) and len(last.elts) > 1 else None
    if name in SEARCHES:
        return args[0] if args else keywords.get("estimator")
    return None


def _models_bound(module, d) -> list[ast.expr | None]:
    """The model expressions a binding may hold; None for one whose origin is not visible.
    `for name, model in models.items()` binds each value of the `models` dict literal."""
    if d.value is None or d.kind not in ("assign", "for"):
        return [None]
    if d.kind == "assign" and not d.unpack:
        return [d.value]
    if d.kind != "for":
        return [None]
    container, path = d.value, d.unpack
    if isinstance(container, ast.Call) and isinstance(container.func, ast.Attribute) and not container.args:
        method, container = container.func.attr, container.func.value
        if (method, path) not in (("items", (1,)), ("values", ())):
            return [None]
    elif path:
        return [None]
    if isinstance(container, (ast.Name, ast.Attribute)):
        values = assigned_values(module, container)
        container = values[-1] if values else None
    if isinstance(container, ast.Dict):
        return list(container.values)
    return list(container.elts) if isinstance(container, (ast.List, ast.Tuple)) else [None]


def _family_by_name(name: str) -> str | None:
    if name in CLASSIFIERS or name in DETECTORS or name.endswith(CLASSIFIER_SUFFIXES):
        return "classifier"
    return "regressor" if name.endswith(REGRESSOR_SUFFIXES) else None


def _class_family(owner: ast.ClassDef | None) -> tuple[str | None, str]:
    """A same-file class without its own `predict`: what its bases make it."""
    for base in owner.bases if owner is not None else ():
        family = _family_by_name(last_name(base) or "")
        if family is not None:
            return family, f"`{owner.name}`"
    return "unknown", ""


def _mentions_scores(node: ast.AST) -> bool:
    return any(getattr(n, "attr", None) in ("predict_proba", "decision_function")
               or getattr(n, "value", None) in ("predict_proba", "decision_function")
               for n in ast.walk(node) if isinstance(n, (ast.Attribute, ast.Constant)))
