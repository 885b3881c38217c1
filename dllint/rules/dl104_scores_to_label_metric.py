"""DL104: continuous scores given to a metric that counts label agreements."""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.cross_file_metrics import reported_cross_file
from dllint.facts.function_summaries import file_flows
from dllint.facts.kinds import Kind
from dllint.facts.metric_inputs import reported_inputs


class ScoresToLabelMetric(Rule):
    """
    ## What it does
    Finds continuous scores - `predict_proba`, `decision_function`, softmax/sigmoid outputs,
    raw logits (`outputs.logits`), a regressor's or a Keras model's `predict` - that reach the
    `y_pred` of a metric that counts agreements between labels: `accuracy_score`, `f1_score`,
    `precision_score`, `recall_score`, `confusion_matrix`, `classification_report`,
    `balanced_accuracy_score`, `jaccard_score`, `matthews_corrcoef`, `cohen_kappa_score`. It
    follows values as DL101 does: assignments, appends joined by `np.concatenate`/`torch.cat`,
    method chains, dict items, same-file helpers, and one call into a function of another
    project file (a metric helper given scores, or a helper that returns them).

    Silent for thresholded or arg-maxed scores (`p > 0.5`, `.round()`, `argmax`), for scores
    rewritten in place before the metric (`y_pred[y_pred > 0.5] = 1`), for torchmetrics'
    `Accuracy`/`F1Score` (they threshold probabilities themselves), and when the origin of
    the value is not visible.

    ## Why is this bad?
    Label metrics compare classes. Given probabilities scikit-learn stops with "Classification
    metrics can't handle a mix of binary and continuous targets" - after the training run that
    produced them; other code rounds or casts them silently and reports agreement with the
    wrong labels. The field notes: *actual is discrete (0, 1) and pred is continuous*; only
    ranking metrics take the continuous one.

    ## Example
    ```python
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score

    clf = RandomForestClassifier().fit(X_train, y_train)
    y_prob = clf.predict_proba(X_test)[:, 1]
    print(accuracy_score(y_test, y_prob))
    ```

    ## Use instead
    ```python
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score

    clf = RandomForestClassifier().fit(X_train, y_train)
    y_prob = clf.predict_proba(X_test)[:, 1]
    print(accuracy_score(y_test, y_prob >= 0.5))
    ```
    """

    code = "DL104"
    name = "scores-to-label-metric"
    severity = Severity.ERROR
    summary = "Continuous scores passed where a label metric needs class labels"
    help = "threshold or arg-max the scores first: `y_prob >= 0.5`, `logits.argmax(1)`, or use `clf.predict(X)`"
    origin = "The considerations for using common evaluation metrics"
    # The second line lets the rule summarize files that hand scores to another file's metric.
    triggers = ("accuracy_score", "f1_score", "precision_score", "recall_score", "fbeta_score", "confusion_matrix",
                "classification_report", "balanced_accuracy", "jaccard_score", "matthews_corrcoef",
                "cohen_kappa", "hamming_loss", "zero_one_loss", "precision_recall_fscore_support",
                "predict_proba", "decision_function")

    def summarize_python(self, module):
        return file_flows(module, Kind.SCORES)

    def check_python(self, module):
        found = reported_inputs(module, _scores_for_labels, "continuous scores", "scores come from here")
        return [self.diagnostic(module.location(item.argument), message + NEEDS_LABELS, related=related)
                for item, message, related in found]

    def check_project(self, project):
        found = reported_cross_file(project, self.code, Kind.HARD_LABELS, Kind.SCORES, "continuous scores")
        return [self.diagnostic(item.location, message + NEEDS_LABELS, related=related)
                for item, message, related in found]


NEEDS_LABELS = "; the metric compares class labels"


def _scores_for_labels(item) -> bool:
    return item.metric.needs is Kind.HARD_LABELS and item.value.kind is Kind.SCORES
