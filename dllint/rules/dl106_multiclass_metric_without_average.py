"""DL106: a binary-average metric on class indices of a task with more than two classes."""

from __future__ import annotations

import ast
import dataclasses

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import last_name
from dllint.facts.class_counts import class_counts
from dllint.facts.kinds import Kind
from dllint.facts.metric_inputs import metric_inputs

AVERAGED = {"`f1_score`", "`precision_score`", "`recall_score`", "`fbeta_score`", "`jaccard_score`"}
# Values that hold one class index per sample over all classes (not thresholded binaries).
CLASS_INDICES = {"argmax", "max", "topk", "predict_classes", "predict", "fit_predict", "cross_val_predict"}
# Other keywords that show the call was written for its classes (`labels=[...]`, `pos_label=2`).
CHOSEN = {"average", "labels", "pos_label"}


class MulticlassMetricWithoutAverage(Rule):
    """
    ## What it does
    Finds `f1_score`, `precision_score`, `recall_score`, `fbeta_score` and `jaccard_score`
    called without `average=` (so with the default `average="binary"`) on class indices -
    `argmax` over the class axis, `torch.max(out, 1)` indices, a classifier's `predict` - in a
    file whose task has more than two classes: a dataset with a known class count (`CIFAR10`,
    `MNIST`, `load_iris`, ...), `num_classes = 10`, a `--num-classes` default, or a tuple of
    class names. Through a same-file helper (`def obtain_f1(actual, pred)`), the finding is at
    the metric, naming the call that gives it multiclass indices.

    Silent when the call sets `average`, `labels` or `pos_label`, when the file shows a count of
    two classes anywhere (binary after all, or a mix it cannot tell apart), and for thresholded
    predictions (`p > 0.5`), which are binary.

    ## Why is this bad?
    With `average="binary"` these metrics score only the class `pos_label=1`. scikit-learn stops
    with "Target is multiclass but average='binary'" - at the end of a training run - and code
    written around that error (a `try`, a per-batch metric that happened to see two classes)
    reports the score of class 1 as if it were the model's.

    ## Example
    ```python
    import torch
    from sklearn.metrics import f1_score

    num_classes = 10

    def evaluate(model, x, y):
        preds = model(x).argmax(dim=1)
        return f1_score(y, preds)
    ```

    ## Use instead
    ```python
    import torch
    from sklearn.metrics import f1_score

    num_classes = 10

    def evaluate(model, x, y):
        preds = model(x).argmax(dim=1)
        return f1_score(y, preds, average="macro")
    ```
    """

    code = "DL106"
    name = "multiclass-metric-without-average"
    severity = Severity.WARNING
    summary = "A binary-average metric on class indices of a task with more than two classes"
    help = 'pass `average="macro"` (or "weighted", "micro", None for per-class scores)'
    origin = "The considerations for using common evaluation metrics"
    triggers = ("f1_score", "precision_score", "recall_score", "fbeta_score", "jaccard_score")

    @dataclasses.dataclass(frozen=True)
    class Options:
        min_classes: int = dataclasses.field(default=3, metadata={
            "help": "the smallest class count that makes a task multiclass"})

    def check_python(self, module):
        found = {}
        for item in metric_inputs(module):
            metric, value = item.metric, item.value
            if metric.name not in AVERAGED or metric.call in found or not _default_average(metric):
                continue
            if value.kind is not Kind.HARD_LABELS or value.fallback or not _class_indices(value):
                continue
            counts = class_counts(module)
            if not counts or min(c.count for c in counts) < self.options.min_classes:
                continue
            shown = counts[0]
            where = "" if item.helper is None else f", as `{item.helper.name}` is given at line {item.argument.lineno}"
            message = (f"{metric.name} averages as 'binary' (the default) over {value.evidence.what}{where}, "
                       f"but the task has {shown.count} classes ({shown.what}, line {shown.node.lineno}); "
                       "only class 1 is scored, or scikit-learn stops with 'Target is multiclass'")
            related = [Related(module.location(shown.node), f"{shown.count} classes")]
            if item.helper is not None:
                related.append(Related(module.location(item.argument), "class indices are passed here"))
            found[metric.call] = self.diagnostic(module.location(metric.call), message, related=related)
        return list(found.values())


def _default_average(metric) -> bool:
    call = metric.call
    keywords = {k.arg for k in call.keywords}
    positional = 3 if metric.name == "`fbeta_score`" else 2  # old code passes `beta` by position
    return not (keywords & CHOSEN or None in keywords or len(call.args) > positional
                or any(isinstance(a, ast.Starred) for a in call.args))


def _class_indices(value) -> bool:
    node = value.evidence.node
    return (isinstance(node, ast.Call) and last_name(node.func) in CLASS_INDICES
            and "outlier" not in value.evidence.what)
