"""The kinds a value can hold, the evidence for one, and how alternatives combine.

Shared by `facts.values` (which follows values back to their origin) and `facts.estimators` and
`facts.metrics` (which know what a model's `predict` returns and what a metric needs).
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, replace

# Calls that give scores whoever the receiver is: an estimator's score methods and activations.
SCORE_CALLS = {"predict_proba", "predict_log_proba", "decision_function", "score_samples",
               "softmax", "log_softmax", "sigmoid", "expit", "logsigmoid"}


class Kind(enum.Enum):
    HARD_LABELS = "hard labels"  # class indices, thresholded, rounded or int-cast values, booleans
    SCORES = "scores"  # probabilities, logits, decision values, regression outputs
    PARAMETER = "parameter"  # passes through a parameter of the enclosing function
    # What a function of another file returns (`compute(x)` imported from the project): only the
    # project phase can tell. `kind_of` reports it as UNKNOWN; `traced_kind` keeps it.
    EXTERNAL = "external"
    EMPTY = "empty"  # an empty container that is filled later (`preds = []`)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    node: ast.AST  # where the kind was decided: the `argmax` call, the comparison, ...
    what: str  # a noun phrase: "class indices from `argmax`"

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 1)

    def describe(self) -> str:
        return f"{self.what} (line {self.line})"


@dataclass(frozen=True)
class ValueKind:
    kind: Kind
    evidence: Evidence | None = None
    elements: tuple[ValueKind, ...] | None = None  # a tuple's members (`torch.max(x, 1)`)
    parameter: tuple[ast.AST, str] | None = None  # (function, name) when kind is PARAMETER
    fallback: bool = False  # hard only where the estimator offers no scores (`hasattr` checks)
    # SCORES that are one column of a class-probability matrix: `predict_proba(X)[:, 0]` is 0.
    column: int | None = None
    call: ast.Call | None = None  # when kind is EXTERNAL: the call into the other file
    selection: tuple[int, ...] = ()  # EXTERNAL: the tuple members taken from what it returns


UNKNOWN = ValueKind(Kind.UNKNOWN)
EMPTY = ValueKind(Kind.EMPTY)


def hard(node: ast.AST, what: str) -> ValueKind:
    return ValueKind(Kind.HARD_LABELS, Evidence(node, what))


def scores(node: ast.AST, what: str) -> ValueKind:
    return ValueKind(Kind.SCORES, Evidence(node, what))


def merge(kinds) -> ValueKind:
    """One kind for alternatives (branches, returns, list members): they must agree."""
    kinds = [k for k in kinds if k.kind is not Kind.EMPTY]
    if len(kinds) <= 1:
        return kinds[0] if kinds else EMPTY
    elements = None
    if all(k.elements is not None for k in kinds) and len({len(k.elements) for k in kinds}) == 1:
        elements = tuple(merge(column) for column in zip(*(k.elements for k in kinds)))
    found = {k.kind for k in kinds}
    labels = [k for k in kinds if k.kind is Kind.HARD_LABELS]
    if found == {Kind.HARD_LABELS, Kind.SCORES} and all(k.fallback for k in labels):
        # Scores where the estimator has them, labels as a last resort: still a fallback.
        return replace(labels[0], elements=elements)
    if len(found) == 1 and len({(k.parameter, k.call, k.selection) for k in kinds}) == 1:
        column = kinds[0].column if len({k.column for k in kinds}) == 1 else None
        return replace(kinds[0], elements=elements, fallback=all(k.fallback for k in kinds), column=column)
    return ValueKind(Kind.UNKNOWN, elements=elements)


def select(found: ValueKind, path: tuple[int, ...]) -> ValueKind:
    """One member of a tuple value (`_, pred = torch.max(out, 1)` takes member 1)."""
    if found.kind is Kind.EXTERNAL and found.elements is None:
        return replace(found, selection=found.selection + tuple(path))
    for index in path:
        if found.elements is None or not -len(found.elements) <= index < len(found.elements):
            return UNKNOWN
        found = found.elements[index]
    return found


def quote(module, node: ast.AST, limit: int = 40) -> str:
    """`node`'s source on one line, shortened for a message."""
    text = " ".join(module.segment(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
