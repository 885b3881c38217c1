"""Which side of a comparison a value is: the model's predictions, or the ground truth.

`role_of(module, expr)` answers PREDICTION, TRUTH, CURVE (points of a ROC/PR curve) or None.
What a value is made from decides first: a model's `predict`, `predict_proba`, softmax/sigmoid
outputs or `argmax` over them are predictions; `argmax` over one-hot targets, a comparison or a
cast of ground truth stays ground truth; the unpacked results of `roc_curve` are curve points.
Only when the origin says nothing does the name decide, with the conventions of real code
(`y_true`, `y_test`, `labels`, `targets`, `batch["labels"]`, `p.label_ids` against `y_pred`,
`preds`, `outputs`, `y_score`, `probs`). Anything else is None, and rules stay silent.

`sklearn_arguments(module, call, names)` gives a scikit-learn metric call's name and its
ground-truth and prediction arguments, by position or keyword.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.facts.bindings import definitions, last_name
from dllint.facts.call_kinds import JOINS, KEEPS_VALUES
from dllint.facts.kinds import SCORE_CALLS

PREDICTION, TRUTH, CURVE = "prediction", "ground truth", "curve"
MODEL_CALLS = SCORE_CALLS | {"predict", "predict_classes", "fit_predict", "cross_val_predict", "forward"}
INDEX_CALLS = {"argmax", "max", "topk", "round", "rint", "around", "astype", "long", "int", "to", "type",
               "where", "clip", "clamp", "float"}
CURVES = {"roc_curve", "precision_recall_curve", "det_curve", "calibration_curve"}
# Prefixes and suffixes real code puts around the names: `all_labels`, `val_targets`, `y_test_np`.
_AFFIXES = r"(?:all_|val_|valid_|test_|eval_|train_|batch_|epoch_|total_|final_|true_|np_|gt_)*"
_SUFFIXES = (r"(?:_list|_np|_arr|_array|_all|_tensor|_ids|_idx|_cpu|_numpy|_1d|_flat|_vec|_binary|_bin|"
             r"_onehot|_one_hot|_oh|_cat|_enc|_encoded)*")
TRUTH_NAMES = re.compile(rf"^{_AFFIXES}(?:y|ys|y_?true|y_?test|y_?val|y_?valid|y_?eval|y_?train|y_?gt|gts?|"
                         rf"ground_?truths?|labels?|targets?|true|actuals?|truths?|golds?|references?|"
                         rf"label_ids|y_?actual|y_?target|y_?label|y_?labels){_SUFFIXES}$", re.I)
PREDICTION_NAMES = re.compile(rf"^{_AFFIXES}(?:y_?preds?|y_?predicted|y_?predictions?|preds?|predictions?|"
                              rf"predicted(?:_labels?|_class(?:es)?)?|pred_labels?|pred_class(?:es)?|"
                              rf"y_?hat|yhat|outputs?|y_?scores?|scores|probs?|probas?|probabilities|"
                              rf"y_?probs?|y_?probas?|logits){_SUFFIXES}$", re.I)
CURVE_NAMES = re.compile(r"^(?:(?:fpr|tpr|fnr|fprs|tprs|recalls?|precisions?|thresholds?)(?:_\w+)?|x|y|xs|ys)$", re.I)
MAX_HOPS = 4


@dataclass(frozen=True)
class Role:
    side: str  # PREDICTION, TRUTH or CURVE
    why: str  # "made by `clf.predict`", "named `y_test`"


def role_of(module, expr: ast.expr, hops: int = 0) -> Role | None:
    """Which side `expr` is on; None when neither its origin nor its name says."""
    expr = _unwrap(module, expr)
    found = _by_origin(module, expr, hops)
    return found if found is not None else _by_name(module, expr, hops)


def _unwrap(module, expr: ast.expr) -> ast.expr:
    """`np.array(y_test).ravel()` -> `y_test`: calls that keep the values and their side."""
    for _ in range(12):
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in KEEPS_VALUES:
            expr = expr.func.value
        elif isinstance(expr, ast.Call) and expr.args and last_name(expr.func) in (JOINS | {"list", "tuple"}):
            expr = expr.args[0]
        elif isinstance(expr, ast.Attribute) and expr.attr in ("values", "data", "T"):
            expr = expr.value
        elif isinstance(expr, ast.Subscript) and not _key(expr):
            expr = expr.value  # `y_test[mask]`, `proba[:, 1]`: the same side
        else:
            return expr
    return expr


def _by_origin(module, expr: ast.expr, hops: int) -> Role | None:
    if isinstance(expr, ast.Call):
        name = last_name(expr.func) or ""
        if name in MODEL_CALLS:
            return Role(PREDICTION, f"made by `{_text(module, expr.func)}`")
        if name in CURVES:
            return Role(CURVE, f"made by `{name}`")
        if name in INDEX_CALLS:  # `argmax(y_onehot, 1)` stays truth, `argmax(out, 1)` a prediction
            subject = expr.args[0] if expr.args and not isinstance(expr.func, ast.Attribute) else \
                getattr(expr.func, "value", None)
            inner = role_of(module, subject, hops + 1) if subject is not None and hops < MAX_HOPS else None
            if inner is None and name in ("argmax", "topk") and isinstance(subject, ast.Call):
                return Role(PREDICTION, f"class indices from `{name}` over `{_text(module, subject)}`")
            return inner if inner is not None and inner.side != CURVE else None
        return None
    if isinstance(expr, ast.Compare) and hops < MAX_HOPS:
        inner = role_of(module, expr.left, hops + 1)
        return inner if inner is not None and inner.side != CURVE else None
    if isinstance(expr, ast.Attribute) and expr.attr == "logits":
        return Role(PREDICTION, "model logits")
    if isinstance(expr, (ast.Name, ast.Attribute)) and hops < MAX_HOPS:
        return _by_binding(module, expr, hops)
    return None


def _by_binding(module, expr: ast.expr, hops: int) -> Role | None:
    found = [d for d in definitions(module, expr) if d.kind in ("assign", "for") and d.value is not None]
    if len(found) != 1:
        return None
    d = found[0]
    if d.kind == "for" or d.unpack:
        if isinstance(d.value, ast.Call) and last_name(d.value.func) in CURVES and d.kind == "assign":
            return Role(CURVE, f"made by `{last_name(d.value.func)}`")
        return None  # `for x, y in loader`: the name says more than the loop
    return _by_origin(module, _unwrap(module, d.value), hops + 1)


def _by_name(module, expr: ast.expr, hops: int) -> Role | None:
    name = _key(expr) if isinstance(expr, ast.Subscript) else last_name(expr)
    if not isinstance(name, str):
        return None
    for side, pattern in ((TRUTH, TRUTH_NAMES), (PREDICTION, PREDICTION_NAMES)):
        if pattern.match(name):
            return Role(side, f"named `{name}`")
    return None


def curve_named(expr: ast.expr) -> bool:
    name = last_name(expr)
    return isinstance(name, str) and CURVE_NAMES.match(name) is not None


def sklearn_arguments(module, call: ast.Call, names) -> tuple[str, ast.expr, ast.expr] | None:
    """(metric name, ground-truth argument, prediction argument) of a call of one of
    `sklearn.metrics.<names>`; None for other calls or when an argument is not visible."""
    for qualified in module.names.candidates(call.func, module.scopes):
        metric = qualified[len("sklearn.metrics."):] if qualified.startswith("sklearn.metrics.") else None
        if metric in names:
            break
    else:
        return None
    if any(isinstance(a, ast.Starred) for a in call.args[:2]):
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    truth = call.args[0] if call.args else keywords.get("y_true")
    prediction = call.args[1] if len(call.args) > 1 else next(
        (keywords[k] for k in ("y_pred", "y_score", "probas_pred", "y_prob", "y_proba") if k in keywords), None)
    return (metric, truth, prediction) if truth is not None and prediction is not None else None


def _key(expr: ast.Subscript) -> str | None:
    index = expr.slice
    return index.value if isinstance(index, ast.Constant) and isinstance(index.value, str) else None


def _text(module, node: ast.AST) -> str:
    text = " ".join(module.segment(node).split())
    return text if len(text) <= 40 else text[:37] + "..."
