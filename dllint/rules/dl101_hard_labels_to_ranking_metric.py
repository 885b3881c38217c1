"""DL101: hard predictions (labels) given to a metric that ranks or weighs scores."""

from __future__ import annotations

import ast
import dataclasses

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import argument_for, call_sites
from dllint.facts.kinds import Kind
from dllint.facts.metrics import metric_call
from dllint.facts.values import kind_of


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
            metric = metric_call(module, call)
            if metric is None or metric.needs is not Kind.SCORES:
                continue
            value = kind_of(module, metric.prediction)
            if value.kind is Kind.HARD_LABELS:
                opening = f"{metric.name} gets hard labels as `{metric.prediction_role}`"
                self._keep(found, self._report(module, metric.prediction, value, opening))
            elif value.kind is Kind.PARAMETER:
                self._through_helper(module, metric, value.parameter, found)
        return list(found.values())

    @staticmethod
    def _keep(found, diagnostic) -> None:
        if diagnostic is not None:
            found.setdefault(diagnostic.location, diagnostic)

    def _through_helper(self, module, metric, parameter, found) -> None:
        # `def obtain_auc(actual, pred): roc_curve(actual, pred)`: judged where it is called.
        function, name = parameter
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return
        for call, offset in call_sites(module, function):
            argument = argument_for(call, function, name, offset)
            value = kind_of(module, argument) if argument is not None else None
            if value is None or value.kind is not Kind.HARD_LABELS:
                continue
            opening = (f"`{function.name}` passes `{name}` to {metric.name} as `{metric.prediction_role}` "
                       f"(line {metric.call.lineno}), and gets hard labels here")
            related = Related(module.location(metric.call), f"{metric.name} is called here")
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
