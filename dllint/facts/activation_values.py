"""The values `facts.activations` finds: what kind of activation a tensor holds, where it was
applied, and, across files, which project model or function it came out of. Small and
picklable (no AST nodes except a same-file parameter), so `facts.model_index` can keep them in
per-file summaries.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from dllint.engine.diagnostic import Location


class Act(enum.Enum):
    SOFTMAX = "softmax probabilities"
    SIGMOID = "sigmoid probabilities"
    LOG_SOFTMAX = "log-probabilities"
    LOG_SIGMOID = "log-sigmoid values"
    LOG_PROBS = "logs of probabilities"
    LOGITS = "raw scores (logits)"
    OUTPUT = "the output of a project model"  # resolved by facts.model_index
    PARAMETER = "a parameter"
    UNKNOWN = "unknown"


PROBABILITIES = (Act.SOFTMAX, Act.SIGMOID)


@dataclass(frozen=True)
class Ref:
    """The output of a model that another project file defines, resolved in the project phase."""

    symbol: str  # the model's class as imported: "models.net.Net", ".net.Net"
    importer: str  # display path of the importing file
    selectors: tuple[tuple[str, object], ...] = ()  # then ("item", "exist"), ("index", 0), ("attr", "x")


@dataclass(frozen=True)
class Value:
    act: Act
    what: str = ""  # the code that applied the activation: "`F.softmax(out, dim=1)`"
    where: Location | None = None
    owner: str = ""  # the boundary crossed on the way: "`Net.forward`"
    elements: tuple[Value, ...] | None = None  # a tuple's members
    items: tuple[tuple[str, Value], ...] | None = None  # a dict's items
    ref: Ref | None = None  # act is OUTPUT
    parameter: tuple[object, str] | None = None  # act is PARAMETER: (function node, name), same file only


UNKNOWN = Value(Act.UNKNOWN)


def select(value: Value, kind: str, key) -> Value:
    """One member of a value: `out[0]`, `out["exist"]`, `out.logits`; a tensor's rows stay what they were."""
    if value.act is Act.OUTPUT:
        return replace(value, ref=replace(value.ref, selectors=(*value.ref.selectors, (kind, key))))
    if value.elements is not None:
        inside = kind == "index" and isinstance(key, int) and -len(value.elements) <= key < len(value.elements)
        return value.elements[key] if inside else UNKNOWN
    if value.items is not None:
        return dict(value.items).get(key, UNKNOWN) if kind in ("item", "attr") else UNKNOWN
    return value if kind == "index" and value.act not in (Act.PARAMETER, Act.UNKNOWN) else UNKNOWN


def merge(values) -> Value:
    """Alternatives (returns, branches, call sites) must agree, or the value is unknown."""
    values = list(values)
    if not values:
        return UNKNOWN
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    if any(v.act is not first.act or v.ref != first.ref or v.parameter != first.parameter for v in values):
        return UNKNOWN
    elements = items = None
    if all(v.elements is not None and len(v.elements) == len(first.elements) for v in values):
        elements = tuple(merge(column) for column in zip(*(v.elements for v in values)))
    if all(v.items is not None for v in values):
        keys = [k for k, _ in first.items if all(k in dict(v.items) for v in values)]
        items = tuple((k, merge(dict(v.items)[k] for v in values)) for k in keys)
    return replace(first, elements=elements, items=items)


def with_owner(value: Value, owner: str) -> Value:
    """Name the function or forward a value came out of, unless a nearer one is already named."""
    if value.elements is not None:
        value = replace(value, elements=tuple(with_owner(e, owner) for e in value.elements))
    if value.items is not None:
        value = replace(value, items=tuple((k, with_owner(v, owner)) for k, v in value.items))
    if value.owner or value.act in (Act.UNKNOWN, Act.PARAMETER):
        return value
    return replace(value, owner=owner)


def explain(value: Value, path: str) -> str:
    """Where a value got its activation, for a message about a finding in `path`."""
    where = value.where
    place = "" if where is None else f" (line {where.line})" if where.path == path else f" ({where.path}:{where.line})"
    if value.owner:
        return f"{value.act.value} returned by {value.owner}: {value.what}{place}"
    return f"{value.act.value} from {value.what}{place}"
