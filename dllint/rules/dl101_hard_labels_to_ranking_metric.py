"""DL101: hard predictions (labels) given to a metric that ranks or weighs scores."""

from __future__ import annotations

import ast
import dataclasses

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.values import (
    Kind,
    argument_for,
    assigned_values,
    call_sites,
    definitions,
    kind_of,
)

# sklearn.metrics names whose second argument is a score, with that parameter's name.
SKLEARN = {"roc_curve": "y_score", "roc_auc_score": "y_score", "average_precision_score": "y_score",
           "precision_recall_curve": "probas_pred", "det_curve": "y_score", "log_loss": "y_pred",
           "brier_score_loss": "y_prob", "top_k_accuracy_score": "y_score",
           "RocCurveDisplay.from_predictions": "y_pred", "DetCurveDisplay.from_predictions": "y_pred",
           "PrecisionRecallDisplay.from_predictions": "y_pred"}
SCORE_KEYWORDS = ("y_score", "probas_pred", "y_pred", "y_prob", "y_proba")
# torchmetrics take `preds` first: functional metrics, and metric objects called or updated.
TM_FUNCTIONS = {f"{task}{metric}" for task in ("", "binary_", "multiclass_", "multilabel_")
                for metric in ("auroc", "average_precision", "roc", "precision_recall_curve")}
TM_CLASSES = {f"{task}{metric}" for task in ("", "Binary", "Multiclass", "Multilabel")
              for metric in ("AUROC", "AveragePrecision", "ROC", "PrecisionRecallCurve")}
KEEPS_METRIC = {"to", "cuda", "cpu", "clone", "double", "float"}


class HardLabelsToRankingMetric(Rule):
    """
    ## What it does
    Finds hard predictions - `.predict(...)` of a classifier, `argmax`, `torch.max(out, 1)`
    indices, `round`, thresholded comparisons (`p > 0.5`), integer casts (`.astype(int)`,
    `.long()`), `where(p > t, 1, 0)` - that reach the score argument of a ranking or
    probability metric: `roc_curve`, `roc_auc_score`, `average_precision_score`,
    `precision_recall_curve`, `det_curve`, `log_loss`, `brier_score_loss`, the
    `*Display.from_predictions` plots, and torchmetrics `AUROC`/`AveragePrecision`/`ROC`. It
    follows the value through assignments, tuple unpacking, list appends joined by
    `np.concatenate`/`torch.cat`, method chains such as `.detach().cpu().numpy()`, and calls into
    functions of the same file. When a helper passes its parameter to the metric, the finding is
    at the call that hands it labels.

    Silent when the origin is not visible (a parameter nobody in the file passes, a raw model
    output), for `predict_proba`, `decision_function`, softmax/sigmoid outputs, a regressor's or a
    Keras model's `predict`, and when the labels are re-assigned to scores before the metric.
    Labels used only when the estimator has neither `predict_proba` nor `decision_function`
    are reported at info severity.

    ## Why is this bad?
    These metrics sort the samples by score. Given 0/1 labels there are two distinct scores, so the
    ROC curve has a single corner, the AUC collapses to (TPR + TNR) / 2, average precision and
    log loss are meaningless, and model comparisons come out wrong without any error. The field
    notes: *pred is continuous (e.g. 0.3, 0.8); to plot the ROC curve, sort the probabilities of
    belonging to the positive class.*

    ## Example
    ```python
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    clf = RandomForestClassifier().fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    auc = roc_auc_score(y_test, y_pred)
    ```

    ## Use instead
    ```python
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    clf = RandomForestClassifier().fit(X_train, y_train)
    y_score = clf.predict_proba(X_test)[:, 1]
    auc = roc_auc_score(y_test, y_score)
    ```
    """

    code = "DL101"
    name = "hard-labels-to-ranking-metric"
    severity = Severity.ERROR
    summary = "Hard predictions (labels) passed where a ranking or probability metric needs scores"
    help = "pass scores: `predict_proba(X)[:, 1]`, `decision_function(X)`, or softmax/sigmoid outputs"
    origin = "The considerations for using common evaluation metrics"
    # Narrow on purpose: `roc_`/`ROC` alone match `roc_bert`, `_rocm` and `PROCESSOR`.
    triggers = ("roc_curve", "roc_auc", "RocCurve", "ROC(", "auroc", "AUROC", "average_precision",
                "AveragePrecision", "precision_recall_curve", "PrecisionRecall", "det_curve",
                "DetCurve", "log_loss", "brier_score", "top_k_accuracy", "_roc(", ".roc(", " roc(")

    @dataclasses.dataclass(frozen=True)
    class Options:
        report_fallback: bool = dataclasses.field(default=True, metadata={
            "help": "report, at info severity, labels used only when an estimator has no scores"})

    def check_python(self, module):
        found = {}  # by location: a helper called twice from one line is one finding
        for call in module.nodes("Call"):
            sink = self._sink(module, call)
            if sink is None:
                continue
            metric, argument, role = sink
            value = kind_of(module, argument)
            if value.kind is Kind.HARD_LABELS:
                self._keep(found, self._report(module, argument, value, f"{metric} gets hard labels as `{role}`"))
            elif value.kind is Kind.PARAMETER:
                self._through_helper(module, call, metric, role, value.parameter, found)
        return list(found.values())

    @staticmethod
    def _keep(found, diagnostic) -> None:
        if diagnostic is not None:
            found.setdefault(diagnostic.location, diagnostic)

    def _through_helper(self, module, metric_call, metric, role, parameter, found) -> None:
        # `def obtain_auc(actual, pred): roc_curve(actual, pred)`: judged where it is called.
        function, name = parameter
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return
        for call, offset in call_sites(module, function):
            argument = argument_for(call, function, name, offset)
            value = kind_of(module, argument) if argument is not None else None
            if value is None or value.kind is not Kind.HARD_LABELS:
                continue
            opening = (f"`{function.name}` passes `{name}` to {metric} as `{role}` "
                       f"(line {metric_call.lineno}), and gets hard labels here")
            related = Related(module.location(metric_call), f"{metric} is called here")
            self._keep(found, self._report(module, argument, value, opening, related))

    def _report(self, module, argument, value, opening, *related):
        evidence = value.evidence
        if value.fallback and not self.options.report_fallback:
            return None
        if any(node is evidence.node for node in ast.walk(argument)):
            message = f"{opening}: {evidence.what}"
        else:
            text = module.segment(argument)
            text = text if len(text) <= 40 else text[:37] + "..."
            message = f"{opening}: `{text}` holds {evidence.describe()}"
            related = (*related, Related(module.location(evidence.node), "hard labels come from here"))
        severity = None
        if value.fallback:
            message += "; used only for estimators without `predict_proba` or `decision_function`"
            severity = Severity.INFO
        return self.diagnostic(module.location(argument), message, severity=severity, related=related)

    def _sink(self, module, call):
        """(metric name, score argument, its parameter name) when `call` is a ranking metric."""
        for qualified in _candidates(module, call.func):
            if qualified.startswith("sklearn.metrics.") and qualified[16:] in SKLEARN:
                return _argument(call, f"`{qualified[16:]}`", 1, SCORE_KEYWORDS, SKLEARN[qualified[16:]])
            if qualified.startswith("torchmetrics.") and qualified.rsplit(".", 1)[-1] in TM_FUNCTIONS:
                return _argument(call, f"`{qualified.rsplit('.', 1)[-1]}`", 0, ("preds",), "preds")
        # A torchmetrics object: `auroc(preds, target)`, `self.val_auroc.update(preds, target)`.
        if "torchmetrics" not in module.names.imported_modules:
            return None
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("update", "forward"):
            func = func.value
        metric = _metric_object(module, func)
        return _argument(call, metric, 0, ("preds",), "preds") if metric else None


def _argument(call, metric, position, keywords, role):
    """(how to name the metric, its score argument, the parameter name) for the message."""
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
        return metric, call.args[position], role
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return metric, keyword.value, keyword.arg
    return None


def _candidates(module, func) -> list[str]:
    qualified = module.qualified_name(func)
    if qualified is not None:
        return [qualified]
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or definitions(module, func):
        return []
    # `from sklearn.metrics import *`: the name may come from any star-imported module.
    dotted = ".".join([func.id, *reversed(parts)])
    return [f"{star}.{dotted}" for star in module.names.star_modules]


def _metric_object(module, func, hops=0):
    """The torchmetrics class `func` is an instance of (also inside a `MetricCollection`)."""
    if isinstance(func, ast.Call):
        if isinstance(func.func, ast.Attribute) and func.func.attr in KEEPS_METRIC and hops < 4:
            return _metric_object(module, func.func.value, hops + 1)
        names = [n.rsplit(".", 1)[-1] for n in _candidates(module, func.func) if n.startswith("torchmetrics.")]
        metric = next((n for n in names if n in TM_CLASSES), None)
        if metric is not None:
            return f"`{metric}`"
        if "MetricCollection" in names:
            inner = [_metric_object(module, n, hops + 1) for n in ast.walk(func) if isinstance(n, ast.Call)
                     and n is not func]
            member = next((m for m in inner if m), None)
            return f"{member} in a `MetricCollection`" if member else None
        return None
    if isinstance(func, (ast.Name, ast.Attribute)) and hops < 4:
        found = [_metric_object(module, v, hops + 1) for v in assigned_values(module, func)]
        return next((m for m in found if m), None)
    return None
