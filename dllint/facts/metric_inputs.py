"""What each metric call of a file is given as its prediction, also through same-file helpers.

`metric_inputs(module)` lists, for every metric call (`facts.metrics`), the value handed to its
prediction argument and its kind (`facts.values`). When the metric gets a parameter of a function
of the same file (`def obtain_auc(actual, pred): roc_curve(actual, pred)`), the value is judged
where that function is called, one input per call site: the finding belongs where the wrong value
is handed over. `describe(module, argument, value)` words the evidence for a message.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dllint.engine.diagnostic import Related
from dllint.facts.bindings import argument_for, call_sites
from dllint.facts.kinds import Kind, ValueKind, quote
from dllint.facts.metrics import MetricCall, metric_call
from dllint.facts.values import kind_of

# Names of metrics in a file's text: a file with none of them has no metric input to look at.
METRIC_TOKENS = ("_score(", "_curve(", "confusion_matrix(", "classification_report(", "_loss(", "auroc", "AUROC",
                 "AveragePrecision", "average_precision(", "roc(", "ROC(", "PrecisionRecall", "matthews_corrcoef(",
                 "from_predictions(", "_support(")


@dataclass(frozen=True)
class MetricInput:
    metric: MetricCall
    argument: ast.expr  # where the value is handed over: the metric's argument, or a helper call's
    value: ValueKind
    helper: ast.FunctionDef | None = None  # the same-file function whose parameter carries it
    parameter: str | None = None


def metric_inputs(module) -> list[MetricInput]:
    """Every metric call's prediction input, resolved through same-file helpers (cached)."""
    return module.fact(_metric_inputs)


def metric_calls(module) -> list[MetricCall]:
    """Every metric call of the file, in source order (cached)."""
    return module.fact(_metric_calls)


def _metric_calls(module) -> list[MetricCall]:
    if not any(token in module.text for token in METRIC_TOKENS):
        return []
    return [metric for call in module.nodes("Call") if (metric := metric_call(module, call)) is not None]


def _metric_inputs(module) -> list[MetricInput]:
    found = []
    for metric in metric_calls(module):
        value = kind_of(module, metric.prediction)
        if value.kind is not Kind.PARAMETER:
            found.append(MetricInput(metric, metric.prediction, value))
            continue
        function, name = value.parameter
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for site, offset in call_sites(module, function):
            argument = argument_for(site, function, name, offset)
            if argument is not None:
                found.append(MetricInput(metric, argument, kind_of(module, argument), function, name))
    return found


def helper_opening(module, found: MetricInput, verb: str) -> tuple[str, list[Related]]:
    """The start of a message about a value handed to a same-file helper that feeds a metric:
    "`obtain_auc` passes `pred` to `roc_curve` as `y_score` (line 20), and gets hard labels here"."""
    metric = found.metric
    opening = (f"`{found.helper.name}` passes `{found.parameter}` to {metric.name} as "
               f"`{metric.prediction_role}` (line {metric.call.lineno}), and gets {verb} here")
    return opening, [Related(module.location(metric.call), f"{metric.name} is called here")]


def describe(module, argument: ast.expr, value: ValueKind, origin: str) -> tuple[str, list[Related]]:
    """": class indices from `argmax`" when the evidence is inside the argument, else
    "`preds` holds class indices from `argmax` (line 12)" with a related location there."""
    evidence = value.evidence
    if any(node is evidence.node for node in ast.walk(argument)):
        return f": {evidence.what}", []
    text = quote(module, argument)
    return f": `{text}` holds {evidence.describe()}", [Related(module.location(evidence.node), origin)]


def reported_inputs(module, accept, verb: str, origin: str) -> list[tuple[MetricInput, str, list[Related]]]:
    """The inputs `accept(item)` picks, one per place, each with the start of its message
    ("`roc_auc_score` gets hard labels as `y_score`: ...") and its related locations."""
    found = {}
    for item in metric_inputs(module):
        if not accept(item):
            continue
        if item.helper is None:
            opening, related = f"{item.metric.name} gets {verb} as `{item.metric.prediction_role}`", []
        else:
            opening, related = helper_opening(module, item, verb)
        detail, more = describe(module, item.argument, item.value, origin)
        found.setdefault(module.location(item.argument), (item, opening + detail, [*related, *more]))
    return list(found.values())
