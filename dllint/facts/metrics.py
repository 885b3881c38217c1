"""Which calls compute a metric, what the metric needs, and which argument is which.

`metric_call(module, call)` recognises scikit-learn's ranking and label metrics (also the
`*Display.from_predictions` plots, and through `from sklearn.metrics import *`), torchmetrics'
functional ranking metrics, and torchmetrics metric objects: called, `update`d or `forward`ed,
bound to a name or to `self.x` in another method, moved with `.to(device)`, or inside a
`MetricCollection`. It answers with the prediction argument (scores or labels, as the metric
needs) and the target argument, so rules about metrics only judge values.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dllint.facts.bindings import assigned_values
from dllint.facts.kinds import Kind

# sklearn.metrics names that rank or weigh scores, with their score parameter's name.
SKLEARN_SCORES = {
    "roc_curve": "y_score", "roc_auc_score": "y_score", "average_precision_score": "y_score",
    "precision_recall_curve": "probas_pred", "det_curve": "y_score", "log_loss": "y_pred",
    "brier_score_loss": "y_prob", "top_k_accuracy_score": "y_score",
    "RocCurveDisplay.from_predictions": "y_pred", "DetCurveDisplay.from_predictions": "y_pred",
    "PrecisionRecallDisplay.from_predictions": "y_pred"}
SCORE_KEYWORDS = ("y_score", "probas_pred", "y_pred", "y_prob", "y_proba")
# sklearn.metrics names that count agreements between labels: they take `y_pred` as labels.
SKLEARN_LABELS = {
    "accuracy_score", "balanced_accuracy_score", "f1_score", "fbeta_score", "precision_score",
    "recall_score", "precision_recall_fscore_support", "jaccard_score", "confusion_matrix",
    "multilabel_confusion_matrix", "classification_report", "matthews_corrcoef",
    "cohen_kappa_score", "hamming_loss", "zero_one_loss", "ConfusionMatrixDisplay.from_predictions"}
# torchmetrics take `preds` first. Only ranking metrics are listed: torchmetrics' label metrics
# (`Accuracy`, `F1Score`) threshold probabilities themselves, so they need no labels.
TM_FUNCTIONS = {f"{task}{metric}" for task in ("", "binary_", "multiclass_", "multilabel_")
                for metric in ("auroc", "average_precision", "roc", "precision_recall_curve")}
TM_CLASSES = {f"{task}{metric}" for task in ("", "Binary", "Multiclass", "Multilabel")
              for metric in ("AUROC", "AveragePrecision", "ROC", "PrecisionRecallCurve")}
KEEPS_METRIC = {"to", "cuda", "cpu", "clone", "double", "float"}
MAX_HOPS = 4  # bindings and `.to(...)` calls followed back from a metric object


@dataclass(frozen=True)
class MetricCall:
    call: ast.Call
    name: str  # for a message: "`roc_auc_score`", "`AUROC` in a `MetricCollection`"
    needs: Kind  # what the prediction must hold: SCORES (ranking) or HARD_LABELS
    prediction: ast.expr
    prediction_role: str  # the parameter it is passed as: `y_score`, `probas_pred`, `preds`
    target: ast.expr | None  # None when not visible (`roc_auc_score(*args)`)
    target_role: str | None


def metric_call(module, call: ast.Call) -> MetricCall | None:
    """The metric `call` computes; None for other calls and for metrics whose prediction
    argument is not visible."""
    for qualified in module.names.candidates(call.func, module.scopes):
        if qualified.startswith("sklearn.metrics."):
            name = qualified[len("sklearn.metrics."):]
            if name in SKLEARN_SCORES:
                return _sklearn(call, name, Kind.SCORES, SCORE_KEYWORDS, SKLEARN_SCORES[name])
            if name in SKLEARN_LABELS:
                return _sklearn(call, name, Kind.HARD_LABELS, ("y_pred",), "y_pred")
        name = qualified.rsplit(".", 1)[-1]
        if qualified.startswith("torchmetrics.") and name in TM_FUNCTIONS:
            return _torchmetrics(call, f"`{name}`")
    # A torchmetrics object: `auroc(preds, target)`, `self.val_auroc.update(preds, target)`.
    if not module.fact(_imports_torchmetrics):
        return None
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("update", "forward"):
        func = func.value
    metric = torchmetrics_object(module, func)
    return _torchmetrics(call, metric) if metric else None


def _imports_torchmetrics(module) -> bool:
    return "torchmetrics" in module.names.imported_modules


def torchmetrics_object(module, expr: ast.expr, hops: int = 0) -> str | None:
    """How to name the torchmetrics ranking metric `expr` holds ("`BinaryAUROC`", "`AUROC` in a
    `MetricCollection`"); None when it holds none, or its origin is not visible."""
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in KEEPS_METRIC and hops < MAX_HOPS:
            return torchmetrics_object(module, func.value, hops + 1)
        names = [n.rsplit(".", 1)[-1] for n in module.names.candidates(func, module.scopes)
                 if n.startswith("torchmetrics.")]
        metric = next((n for n in names if n in TM_CLASSES), None)
        if metric is not None:
            return f"`{metric}`"
        if "MetricCollection" in names:
            inner = [torchmetrics_object(module, n, hops + 1) for n in ast.walk(expr)
                     if isinstance(n, ast.Call) and n is not expr]
            member = next((m for m in inner if m), None)
            return f"{member} in a `MetricCollection`" if member else None
        return None
    if isinstance(expr, (ast.Name, ast.Attribute)) and hops < MAX_HOPS:
        found = [torchmetrics_object(module, v, hops + 1) for v in assigned_values(module, expr)]
        return next((m for m in found if m), None)
    return None


def _sklearn(call, name, needs, keywords, role) -> MetricCall | None:
    """`metric(y_true, y_pred_or_score, ...)`."""
    prediction = _argument(call, 1, keywords, role)
    if prediction is None:
        return None
    target = _argument(call, 0, ("y_true",), "y_true") or (None, None)
    return MetricCall(call, f"`{name}`", needs, *prediction, *target)


def _torchmetrics(call, name) -> MetricCall | None:
    """`metric(preds, target)`, functional or an object's `__call__`/`update`/`forward`."""
    prediction = _argument(call, 0, ("preds",), "preds")
    if prediction is None:
        return None
    target = _argument(call, 1, ("target",), "target") or (None, None)
    return MetricCall(call, name, Kind.SCORES, *prediction, *target)


def _argument(call, position, keywords, role) -> tuple[ast.expr, str] | None:
    """The argument at `position` or passed by one of `keywords`, with the parameter's name."""
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
        return call.args[position], role
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value, keyword.arg
    return None
