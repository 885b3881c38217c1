"""What one file tells the project phase about metric values, for questions across files.

The engine lints files in parallel and caches them one by one, so a question that spans two files
is answered from small picklable summaries (`file_flows(module)`), one per file:

- sinks: which parameter of a top-level function reaches which metric argument
  (`def compute_metrics(preds, labels): roc_auc_score(labels, preds)`);
- returns: what a top-level function returns (hard labels, scores, one of its parameters);
- calls: calls into imported functions whose arguments hold hard labels or scores;
- intakes: metric calls whose prediction comes from an imported function (`preds = predict(...)`).

`facts.cross_file_metrics` joins them in the project phase.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from dataclasses import replace

from dllint.facts.bindings import own_nodes
from dllint.facts.cross_file_metrics import Argument, FileFlows, Intake, Outgoing, Shown, Sink
from dllint.facts.estimators import in_score_fallback
from dllint.facts.kinds import Kind, ValueKind, merge, quote
from dllint.facts.metric_inputs import metric_calls
from dllint.facts.values import kind_of, traced_kind

KNOWN = {Kind.HARD_LABELS, Kind.SCORES}
# Imported callees that are never a project's own function.
LIBRARIES = set(sys.stdlib_module_names) | {
    "numpy", "torch", "sklearn", "scipy", "pandas", "matplotlib", "seaborn", "tensorflow", "keras",
    "jax", "torchvision", "torchmetrics", "torchaudio", "timm", "transformers", "lightning",
    "pytorch_lightning", "xgboost", "lightgbm", "catboost", "tqdm", "wandb", "mlflow", "statsmodels",
    "PIL", "cv2", "datasets", "evaluate", "accelerate", "einops", "yaml", "omegaconf", "hydra"}
# Text that makes hard labels or scores. Rules that join files also read files with these
# (triggers), and only functions whose text has one are summarized: the rest cannot hold either.
HARD_LABEL_TOKENS = ("argmax", ".predict(", "predict_classes", "torch.max(", ".max(1)", ".max(dim=1)",
                     ".max(-1)", ".max(dim=-1)", "topk(1)", "> 0.5", ">= 0.5", ".round()", "np.round(")
SCORE_TOKENS = ("predict_proba", "decision_function", "softmax(", "sigmoid(", "expit(")
_NEWLINE = re.compile("\n")
PASS_THROUGH_STATEMENTS = 3  # a function this short may return its parameter (`to_numpy(t)`)


def file_flows(module, wanted: Kind) -> FileFlows | None:
    """This file's summary for the project phase about values of kind `wanted` (HARD_LABELS for
    ranking metrics, SCORES for label metrics), cached; None when it has nothing to say."""
    cache = module.fact(_Cache).flows
    if wanted not in cache:
        cache[wanted] = _file_flows(_Scan(module, wanted))
    return cache[wanted]


class _Cache:
    def __init__(self, module) -> None:
        self.flows: dict[Kind, FileFlows | None] = {}


class _Scan:
    """One file and one wanted kind, with the lines whose text may make that kind."""

    def __init__(self, module, wanted: Kind) -> None:
        self.module, self.wanted = module, wanted
        self.lines = _token_lines(module, HARD_LABEL_TOKENS if wanted is Kind.HARD_LABELS else SCORE_TOKENS)


def _file_flows(scan: _Scan) -> FileFlows | None:
    module, sinks, intakes = scan.module, {}, []
    for metric in metric_calls(module):
        if metric.needs is scan.wanted:
            continue
        head = (metric.name, metric.prediction_role, metric.needs.value)
        value = traced_kind(module, metric.prediction)
        if value.kind is Kind.PARAMETER and _top_level(module, value.parameter[0]):
            function, name = value.parameter
            sinks.setdefault(function.name, []).append(
                Sink(name, _position(function, name), *head, module.location(metric.call)))
        elif value.kind is Kind.EXTERNAL:
            callee = module.qualified_name(value.call.func)
            intakes.append(Intake(*head, module.location(metric.prediction), quote(module, metric.prediction),
                                  callee, value.selection, _arguments(scan, value.call)))
    functions = [f for f in module.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    returns = {f.name: shown for f in functions if (shown := _returns(scan, f)) is not None}
    calls = tuple(_outgoing(scan))
    if not (sinks or returns or calls or intakes):
        return None
    return FileFlows({k: tuple(v) for k, v in sinks.items()}, returns, calls, tuple(intakes))


def _mentions_values(scan: _Scan, node: ast.AST) -> bool:
    """Whether a line of `node` has a token that makes the wanted kind."""
    if node is scan.module.tree:
        return bool(scan.lines)
    index = bisect.bisect_left(scan.lines, node.lineno)
    return index < len(scan.lines) and scan.lines[index] <= (node.end_lineno or node.lineno)


def _token_lines(module, tokens) -> list[int]:
    text, found = module.text, []
    for token in tokens:  # `str.find` per token beats one regex of alternatives
        at = text.find(token)
        while at != -1:
            found.append(at)
            at = text.find(token, at + 1)
    if not found:
        return []
    newlines = [m.start() for m in _NEWLINE.finditer(text)]
    return sorted({bisect.bisect_left(newlines, at) + 1 for at in found})


def _outgoing(scan: _Scan):
    module = scan.module
    functions = sorted(module.nodes("FunctionDef", "AsyncFunctionDef"), key=lambda f: (f.lineno, f.col_offset))
    starts = [(f.lineno, f.col_offset) for f in functions]
    makers = {f.name for f in functions if _mentions_values(scan, f)}  # may return labels or scores
    tainted: dict[ast.AST, set[str]] = {}
    for call in module.nodes("Call"):
        if not isinstance(call.func, (ast.Name, ast.Attribute)) or not call.args + call.keywords:
            continue
        region = _innermost(functions, starts, call) or module.tree
        if not _mentions_values(scan, region):
            continue
        callee = module.qualified_name(call.func)
        if not callee or callee.split(".")[0] in LIBRARIES:
            continue
        if region not in tainted:
            tainted[region] = _tainted(scan, list(own_nodes(region)), makers)
        arguments = _arguments(scan, call, tainted[region])
        if arguments:
            yield Outgoing(callee, arguments)


def _innermost(functions, starts, node: ast.AST):
    position = (node.lineno, node.col_offset)
    for function in reversed(functions[:bisect.bisect_right(starts, position)]):
        if (function.end_lineno, function.end_col_offset) >= position:
            return function
    return None


def _tainted(scan: _Scan, nodes, makers: set[str]) -> set[str]:
    """Names of a region that may hold labels or scores: bound (or appended to) from text with a
    value token, a call of a same-file maker, or another such name. A cheap pre-filter before
    the value tracker, which follows only what this lets through."""
    bindings = []
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)) and getattr(node, "value", 1):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.iter if isinstance(node, ast.For) else node.value
            bindings.append(({n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}, value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args and isinstance(
                node.func.value, ast.Name) and node.func.attr in ("append", "extend", "insert"):
            bindings.append(({node.func.value.id}, node.args[-1]))
    bindings = [(targets, _names(value), _mentions_values(scan, value)) for targets, value in bindings]
    tainted, changed = set(), True
    while changed:
        changed = False
        for targets, names, token in bindings:
            if not targets <= tainted and (token or names & tainted or names & makers):
                tainted |= targets
                changed = True
    return tainted


def _names(expr: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def _arguments(scan: _Scan, call: ast.Call, tainted: set[str] | None = None) -> tuple[Argument, ...]:
    """The arguments of `call` whose kind this file shows, by position or keyword (only those
    that `tainted` names may hold labels or scores, when given)."""
    module, found = scan.module, []
    pairs = [(i, None, a) for i, a in enumerate(call.args)]
    if any(isinstance(a, ast.Starred) for a in call.args):
        pairs = pairs[:next(i for i, a in enumerate(call.args) if isinstance(a, ast.Starred))]
    pairs += [(None, k.arg, k.value) for k in call.keywords if k.arg]
    for position, keyword, expr in pairs:
        if tainted is not None and (isinstance(expr, ast.Constant) or not (
                _mentions_values(scan, expr) or _names(expr) & tainted)):
            continue
        value = kind_of(module, expr)
        if value.kind is scan.wanted and value.evidence is not None:
            inline = any(node is value.evidence.node for node in ast.walk(expr))
            found.append(Argument(position, keyword, _shown(module, value), module.location(expr),
                                  quote(module, expr), inline))
    return tuple(found)


def _returns(scan: _Scan, function) -> Shown | None:
    module = scan.module
    through = _passes_through(function)
    if not (through or _mentions_values(scan, function)):
        return None
    nodes = list(own_nodes(function))
    if any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in nodes):
        return None
    returned = [node for node in nodes if isinstance(node, ast.Return) and node.value is not None]
    tainted = _tainted(scan, nodes, set()) if not through else None
    if tainted is not None and not any(_mentions_values(scan, r.value) or _names(r.value) & tainted
                                       for r in returned):
        return None  # what it returns is not made from the wanted kind's text
    values = []
    for node in returned:
        value = kind_of(module, node.value)
        if value.kind is Kind.HARD_LABELS and in_score_fallback(module, node):
            value = replace(value, fallback=True)  # labels only for estimators without scores
        values.append(value)
    found = merge(values) if values else None
    if found is None or not _worth(found, function, scan.wanted):
        return None
    return _shown(module, found, function)


def _passes_through(function) -> bool:
    """A short function returning a chain on a parameter: `return t.detach().cpu().numpy()`."""
    if len(function.body) > PASS_THROUGH_STATEMENTS or not isinstance(function.body[-1], ast.Return):
        return False
    parameters = {a.arg for a in [*function.args.posonlyargs, *function.args.args]}
    value = function.body[-1].value
    while isinstance(value, (ast.Call, ast.Attribute, ast.Subscript)):
        value = (value.args[0] if value.args and isinstance(value.func, ast.Attribute) and
                 isinstance(value.func.value, ast.Name) and value.func.value.id in ("np", "numpy", "torch")
                 else value.func) if isinstance(value, ast.Call) else value.value
    return isinstance(value, ast.Name) and value.id in parameters


def _worth(found: ValueKind, function, wanted: Kind) -> bool:
    if found.kind is wanted or (found.kind is Kind.PARAMETER and found.parameter[0] is function):
        return True
    return any(_worth(e, function, wanted) for e in found.elements or ())


def _shown(module, value: ValueKind, function=None) -> Shown:
    elements = tuple(_shown(module, e, function) for e in value.elements) if value.elements else None
    if value.kind is Kind.PARAMETER and function is not None and value.parameter[0] is function:
        name = value.parameter[1]
        return Shown("parameter", elements=elements, parameter=(name, _position(function, name)))
    if value.kind not in KNOWN or value.evidence is None:
        return Shown(Kind.UNKNOWN.value, elements=elements)
    return Shown(value.kind.value, value.evidence.what, module.location(value.evidence.node), value.fallback,
                 elements)


def _top_level(module, function) -> bool:
    return isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and function in module.tree.body


def _position(function, name: str) -> int | None:
    positional = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    return positional.index(name) if name in positional else None
