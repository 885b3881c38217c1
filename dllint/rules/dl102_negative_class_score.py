"""DL102: the probability of class 0 ranked as if it were the positive class's score."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import definitions
from dllint.facts.kinds import Kind
from dllint.facts.metric_inputs import reported_inputs
from dllint.facts.metric_roles import TRUTH_NAMES

# Targets rewritten so that class 0 may be the positive one: `y == 0`, `1 - y`, `~y`.
FLIPPING = (ast.Compare, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.ListComp, ast.GeneratorExp, ast.Lambda)
KEEPS = {"numpy", "cpu", "detach", "tolist", "ravel", "flatten", "to_numpy", "squeeze", "reshape", "view",
         "long", "int", "float", "astype", "to", "copy", "clone", "cuda"}
JOINS = {"asarray", "array", "concatenate", "cat", "stack", "hstack", "tensor", "as_tensor", "list", "from_numpy"}
ONE = (1, 1.0, True)
MAX_HOPS = 4


class NegativeClassScore(Rule):
    """
    ## What it does
    Finds the probability of class 0 - `predict_proba(X)[:, 0]`, `softmax(logits, 1)[:, 0]`, also
    after `.detach().cpu().numpy()`, list appends and `np.concatenate` - passed as the score of a
    ranking or probability metric (`roc_auc_score`, `roc_curve`, `average_precision_score`,
    `precision_recall_curve`, `det_curve`, `brier_score_loss`, `log_loss`, the
    `*Display.from_predictions` plots, torchmetrics `AUROC`) whose positive class is the default
    (class 1).

    It stays silent with an explicit `pos_label=0` (or any `pos_label` other than 1), when the
    targets are rewritten so that class 0 is the positive one (`y == 0`, `1 - y`, a one-vs-rest
    column `y_bin[:, 0]`), when the score is negated or subtracted from 1, and for sigmoid outputs,
    whose column 0 is the positive class's probability.

    ## Why is this bad?
    `predict_proba` orders its columns by `clf.classes_`, so column 0 is the negative class. Ranked
    against targets whose positive class is 1, it gives 1 - AUC: a good model looks worse than
    chance, or a bad one looks good, with no error raised. The field notes: *sort the probability
    of each sample belonging to the positive class*.

    ## Example
    ```python
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    clf = LogisticRegression().fit(X_train, y_train)
    y_score = clf.predict_proba(X_test)[:, 0]
    auc = roc_auc_score(y_test, y_score)
    ```

    ## Use instead
    ```python
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    clf = LogisticRegression().fit(X_train, y_train)
    y_score = clf.predict_proba(X_test)[:, 1]
    auc = roc_auc_score(y_test, y_score)
    ```
    """

    code = "DL102"
    name = "negative-class-score"
    severity = Severity.WARNING
    summary = "The probability of class 0 used as the score of the positive class"
    help = "take the positive class's column, `predict_proba(X)[:, 1]`, or pass `pos_label=0`"
    origin = "The considerations for using common evaluation metrics"
    triggers = ("[:, 0]", "[:,0]", "[..., 0]", "[...,0]")

    def check_python(self, module):
        found = reported_inputs(module, lambda item: _negative_column(module, item), "the score of class 0",
                                "class 0 is selected here")
        return [self.diagnostic(module.location(item.argument), message + INVERTED,
                                related=[*related, *_target_note(module, item.metric)])
                for item, message, related in found]


INVERTED = "; the positive class is 1 by default, so the ranking is inverted (ROC AUC becomes 1 - AUC)"


def _negative_column(module, item) -> bool:
    value, metric = item.value, item.metric
    return (metric.needs is Kind.SCORES and value.kind is Kind.SCORES and value.column == 0
            and not _other_positive_label(metric.call) and not _flipped(module, metric.target))


def _other_positive_label(call: ast.Call) -> bool:
    label = next((k.value for k in call.keywords if k.arg == "pos_label"), None)
    if label is None:
        return any(k.arg is None for k in call.keywords)  # `**kwargs` may carry one
    return not (isinstance(label, ast.Constant) and label.value in ONE)


def _flipped(module, target: ast.expr | None, hops: int = 0) -> bool:
    """Targets whose positive class may be class 0 (`y == 0`, `1 - y`, `y_bin[:, 0]`, an
    encoder's output), rewritten here or where they were bound; unknown counts as rewritten."""
    if target is None or hops > MAX_HOPS or isinstance(target, FLIPPING):
        return True
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Tuple) and any(isinstance(e, ast.Constant) for e in key.elts):
            return True  # a one-vs-rest column
        return _flipped(module, target.value, hops + 1)  # `y[mask]`, `batch["label"]`
    if isinstance(target, ast.Call):
        func = target.func
        if isinstance(func, ast.Attribute) and func.attr in KEEPS:
            return _flipped(module, func.value, hops + 1)
        if getattr(func, "attr", getattr(func, "id", "")) in JOINS and target.args:
            return _flipped(module, target.args[0], hops + 1)
        # A loader (`pd.read_csv("d.csv")`, `np.load(path)`) makes targets; a call given other
        # values may encode them (`label_binarize(y, classes=...)`, `encoder.transform(y)`).
        return any(not isinstance(a, (ast.Constant, ast.Name, ast.JoinedStr)) or _target_like(a)
                   for a in [*target.args, *(k.value for k in target.keywords)])
    if isinstance(target, ast.Attribute) and target.attr in ("values", "data"):
        return _flipped(module, target.value, hops + 1)
    if isinstance(target, (ast.Name, ast.Attribute)):
        values = [d.value for d in definitions(module, target) if d.kind == "assign" and not d.unpack]
        return any(v is not None and _flipped(module, v, hops + 1) for v in values)
    return False


def _target_like(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Name) and TRUTH_NAMES.match(expr.id) is not None


def _target_note(module, metric) -> list[Related]:
    return [Related(module.location(metric.target), "targets whose positive class is 1")] if metric.target else []
