"""DL103: predictions passed as `y_true` and ground truth as `y_pred` to an asymmetric metric."""

from __future__ import annotations

import dataclasses

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.kinds import quote
from dllint.facts.metric_roles import PREDICTION, TRUTH, role_of, sklearn_arguments

# What swapping the arguments does to each asymmetric metric.
CONSEQUENCES = {
    "precision_score": "precision and recall trade places",
    "recall_score": "recall and precision trade places",
    "fbeta_score": "precision and recall trade places in the F-beta weighting",
    "precision_recall_fscore_support": "precision and recall trade places and support counts predictions",
    "confusion_matrix": "the matrix is transposed (rows become predictions)",
    "multilabel_confusion_matrix": "false positives and false negatives trade places",
    "ConfusionMatrixDisplay.from_predictions": "the matrix is transposed (rows become predictions)",
    "classification_report": "precision and recall trade places and support counts predictions",
    "balanced_accuracy_score": "recall is averaged over predicted classes instead of true ones",
    "r2_score": "the variance of the predictions becomes the baseline",
    "explained_variance_score": "the variance of the predictions becomes the baseline",
    "mean_absolute_percentage_error": "errors are divided by the predictions instead of the targets",
    "mean_poisson_deviance": "the deviance is computed around the predictions",
    "mean_gamma_deviance": "the deviance is computed around the predictions",
    "mean_tweedie_deviance": "the deviance is computed around the predictions",
    "d2_absolute_error_score": "the baseline becomes the predictions' median",
    "roc_auc_score": "scores are read as labels and labels as scores",
    "roc_curve": "scores are read as labels and labels as scores",
    "average_precision_score": "scores are read as labels and labels as scores",
    "precision_recall_curve": "scores are read as labels and labels as scores",
    "det_curve": "scores are read as labels and labels as scores",
    "RocCurveDisplay.from_predictions": "scores are read as labels and labels as scores",
    "PrecisionRecallDisplay.from_predictions": "scores are read as labels and labels as scores",
    "log_loss": "labels are read as probabilities",
    "brier_score_loss": "labels are read as probabilities",
    "hinge_loss": "labels are read as decision values",
}
# f1 is symmetric per class; weighting by the support of `y_true` is not.
WEIGHTED_ONLY = {"f1_score": "classes are weighted by their predicted counts instead of their true support",
                 "jaccard_score": "classes are weighted by their predicted counts instead of their true support"}


class SwappedMetricArguments(Rule):
    """
    ## What it does
    Finds calls of asymmetric scikit-learn metrics - `precision_score`, `recall_score`,
    `fbeta_score`, `confusion_matrix`, `classification_report`, `balanced_accuracy_score`,
    `r2_score`, `mean_absolute_percentage_error`, `roc_auc_score`, `roc_curve`, ... - whose
    `y_true` holds predictions and whose `y_pred` holds ground truth. A value's side comes from
    where it was made (`clf.predict(X)`, `argmax` over model outputs, softmax/sigmoid, against
    `argmax` over one-hot targets or a comparison of labels); only when its origin says nothing,
    from the conventional names of real code (`y_pred`, `preds`, `outputs` against `y_true`,
    `y_test`, `labels`, `targets`, `batch["labels"]`).

    Both arguments must point the wrong way. Symmetric metrics (`accuracy_score`, binary and
    macro `f1_score`, `mean_squared_error`, `matthews_corrcoef`) are left alone, and so are
    comparisons of two models' predictions and values whose side is not visible.

    ## Why is this bad?
    scikit-learn metrics take `(y_true, y_pred)`. Swapped, precision is reported as recall, a
    confusion matrix is transposed, R² uses the predictions' variance as its baseline: the numbers
    look plausible and are wrong, so model selection and reports go astray.

    ## Example
    ```python
    from sklearn.metrics import precision_score
    from sklearn.svm import SVC

    clf = SVC().fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    precision = precision_score(y_pred, y_test)
    ```

    ## Use instead
    ```python
    from sklearn.metrics import precision_score
    from sklearn.svm import SVC

    clf = SVC().fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    precision = precision_score(y_test, y_pred)
    ```
    """

    code = "DL103"
    name = "swapped-metric-arguments"
    severity = Severity.WARNING
    summary = "Predictions passed as `y_true` and ground truth as `y_pred` to an asymmetric metric"
    help = "pass the ground truth first: `metric(y_true, y_pred)`"
    origin = "The considerations for using common evaluation metrics"
    triggers = ("precision_score", "recall_score", "precision_recall", "fbeta", "confusion_matrix",
                "classification_report", "balanced_accuracy", "r2_score", "explained_variance", "percentage_error",
                "deviance", "d2_", "roc_auc", "roc_curve", "det_curve", "log_loss", "brier_score", "hinge_loss",
                "from_predictions", "f1_score", "jaccard_score")

    @dataclasses.dataclass(frozen=True)
    class Options:
        trust_names: bool = dataclasses.field(default=True, metadata={
            "help": "judge a value's side by its name (`y_pred`, `labels`) when its origin is not visible"})

    def check_python(self, module):
        found = []
        for call in module.nodes("Call"):
            arguments = sklearn_arguments(module, call, CONSEQUENCES.keys() | WEIGHTED_ONLY.keys())
            if arguments is None:
                continue
            metric, truth, prediction = arguments
            consequence = CONSEQUENCES.get(metric) or (_weighted(call) and WEIGHTED_ONLY[metric])
            if not consequence:
                continue
            first, second = role_of(module, truth), role_of(module, prediction)
            if first is None or second is None or first.side != PREDICTION or second.side != TRUTH:
                continue
            if not self.options.trust_names and (first.why.startswith("named") or second.why.startswith("named")):
                continue
            message = (f"`{metric}` gets predictions as `y_true` (`{quote(module, truth)}`, {first.why}) and "
                       f"ground truth as `y_pred` (`{quote(module, prediction)}`, {second.why}): {consequence}")
            found.append(self.diagnostic(module.location(truth), message, related=[
                Related(module.location(prediction), f"{TRUTH} passed as `y_pred`")]))
        return found


def _weighted(call) -> bool:
    average = next((k.value for k in call.keywords if k.arg == "average"), None)
    return getattr(average, "value", None) == "weighted"
