"""DL101: hard predictions (labels) given to a metric that ranks or weighs scores."""

from __future__ import annotations

import dataclasses

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.cross_file_metrics import reported_cross_file
from dllint.facts.function_summaries import HARD_LABEL_TOKENS, file_flows
from dllint.facts.kinds import Kind
from dllint.facts.metric_inputs import reported_inputs


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
    `np.concatenate`/`torch.cat`, method chains such as `.detach().cpu().numpy()`, dict items,
    `self.` attributes, calls into functions of the same file, and one call into a function of
    another project file (followed through the project's imports). When a helper passes its
    parameter to the metric - `compute_metrics(preds, labels)` in `utils/metrics.py` calling
    `roc_auc_score(labels, preds)` - the finding is at the call that hands it labels, naming the
    metric's place; when the labels come from another file's function, it is at the metric,
    naming that function's place.

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
    # Narrow on purpose: `roc_`/`ROC` alone match `roc_bert`, `_rocm` and `PROCESSOR`. The second
    # line lets the rule summarize files that make hard labels for another file's metric.
    triggers = ("roc_curve", "roc_auc", "RocCurve", "ROC(", "auroc", "AUROC", "average_precision",
                "AveragePrecision", "precision_recall_curve", "PrecisionRecall", "det_curve",
                "DetCurve", "log_loss", "brier_score", "top_k_accuracy", "_roc(", ".roc(", " roc(",
                *HARD_LABEL_TOKENS)

    @dataclasses.dataclass(frozen=True)
    class Options:
        report_fallback: bool = dataclasses.field(default=True, metadata={
            "help": "report, at info severity, labels used only when an estimator has no scores"})

    def summarize_python(self, module):
        # Helpers and metrics are often in different files: the project phase joins them.
        return file_flows(module, Kind.HARD_LABELS)

    def check_python(self, module):
        found = reported_inputs(module, self._accepts, "hard labels", "hard labels come from here")
        return [self._diagnostic(module.location(item.argument), item.value.fallback, message,
                                 related) for item, message, related in found]

    def check_project(self, project):
        found = reported_cross_file(project, self.code, Kind.SCORES, Kind.HARD_LABELS, "hard labels")
        return [self._diagnostic(item.location, item.value.fallback, message, related)
                for item, message, related in found if self.options.report_fallback or not item.value.fallback]

    def _accepts(self, item) -> bool:
        value = item.value
        return (item.metric.needs is Kind.SCORES and value.kind is Kind.HARD_LABELS
                and (self.options.report_fallback or not value.fallback))

    def _diagnostic(self, location, fallback: bool, message: str, related):
        if not fallback:
            return self.diagnostic(location, message, related=related)
        message += "; used only for estimators without `predict_proba` or `decision_function`"
        return self.diagnostic(location, message, severity=Severity.INFO, related=related)
