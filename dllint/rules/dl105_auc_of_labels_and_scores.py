"""DL105: `sklearn.metrics.auc` given labels and scores instead of the points of a curve."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Edit, Fix, Severity
from dllint.engine.rule import Rule
from dllint.facts.kinds import quote
from dllint.facts.metric_roles import CURVE, PREDICTION, TRUTH, curve_named, role_of


class AucOfLabelsAndScores(Rule):
    """
    ## What it does
    Finds `sklearn.metrics.auc(x, y)` called with ground-truth labels and prediction scores
    (`auc(y_true, y_score)`, `metrics.auc(labels, model.predict_proba(X)[:, 1])`) instead of the
    points of a curve. A value counts as labels or scores by where it was made, or else by its
    conventional name (`y_true`, `labels` / `y_score`, `probs`, `preds`), as in DL103.

    Silent for the points of a curve - the unpacked results of `roc_curve`,
    `precision_recall_curve` or `det_curve`, and names such as `fpr`, `tpr`, `recall`,
    `precision` - and when neither argument's side is visible (`auc(x, y)` of any curve).

    ## Why is this bad?
    `auc` integrates y over x with the trapezoidal rule; it is not ROC AUC. Given labels as x it
    either stops ("x is neither increasing nor decreasing") or, when the labels happen to be
    sorted, returns the area under a meaningless polyline. The ROC AUC of labels and scores is
    `roc_auc_score(y_true, y_score)`, or `auc(fpr, tpr)` after `roc_curve`.

    ## Example
    ```python
    from sklearn import metrics

    y_score = clf.predict_proba(X_test)[:, 1]
    print(metrics.auc(y_test, y_score))
    ```

    ## Use instead
    ```python
    from sklearn import metrics

    y_score = clf.predict_proba(X_test)[:, 1]
    print(metrics.roc_auc_score(y_test, y_score))
    ```
    """

    code = "DL105"
    name = "auc-of-labels-and-scores"
    severity = Severity.ERROR
    summary = "`sklearn.metrics.auc` given labels and scores instead of curve points"
    help = "use `roc_auc_score(y_true, y_score)`, or `auc(fpr, tpr)` with the points from `roc_curve`"
    origin = "The considerations for using common evaluation metrics"
    triggers = ("auc(",)
    fixable = True

    def visit_Call(self, call: ast.Call, module):
        if not module.names.resolves_to(call.func, "sklearn.metrics.auc", scopes=module.scopes):
            return None
        if len(call.args) != 2 or call.keywords:
            return None
        x, y = call.args
        first, second = role_of(module, x), role_of(module, y)
        if any(r is not None and r.side == CURVE for r in (first, second)) or curve_named(x) or curve_named(y):
            return None
        truth = first is not None and first.side == TRUTH
        scores = second is not None and second.side == PREDICTION
        if not (truth or scores) or (first is not None and first.side == PREDICTION):
            return None
        shown = first if truth else second
        message = (f"`auc` integrates a curve, but gets {'ground-truth labels' if truth else 'predictions'} "
                   f"(`{quote(module, x if truth else y)}`, {shown.why}): it is not ROC AUC; use "
                   f"`roc_auc_score({quote(module, x)}, {quote(module, y)})`")
        return [self.diagnostic(module.location(call), message, fix=_fix(module, call))]


def _fix(module, call: ast.Call) -> Fix | None:
    # `metrics.auc(` -> `metrics.roc_auc_score(`: only when the name is spelled through a module.
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    location = module.location(func)
    edit = Edit(location.end_line, location.end_column - len("auc"), location.end_line, location.end_column,
                "roc_auc_score")
    return Fix((edit,), applicability="unsafe")
