"""Metric values across files: the records of the per-file summaries (`facts.function_summaries`
makes them) and their join in the project phase.

`cross_file_inputs(project, code)` follows the project's own imports (`project.modules`) one
level: a call that hands labels or scores to another file's metric helper (its parameter reaches
the metric), and a metric fed by what another file's function returns (also when that function
returns one of its parameters: the caller's argument decides). Callees that resolve to no project
file (libraries) or to a method are left alone: unknown stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from dllint.engine.diagnostic import Location, Related
from dllint.facts.kinds import Kind


@dataclass(frozen=True)
class Shown:  # a value kind as another file sees it
    kind: str  # a `Kind` value
    what: str = ""  # the evidence: "class indices from `argmax`"
    location: Location | None = None  # where the evidence is
    fallback: bool = False
    elements: tuple[Shown, ...] | None = None
    parameter: tuple[str, int | None] | None = None  # kind "parameter": (name, position)


@dataclass(frozen=True)
class Sink:
    parameter: str
    position: int | None  # positional index; None for keyword-only
    metric: str  # "`roc_auc_score`"
    role: str  # the metric's parameter: `y_score`
    needs: str  # a `Kind` value
    location: Location  # the metric call


@dataclass(frozen=True)
class Argument:
    position: int | None
    keyword: str | None
    value: Shown
    location: Location
    text: str
    inline: bool  # the evidence lies inside the argument itself


@dataclass(frozen=True)
class Outgoing:  # a call of an imported function: `utils.metrics.compute_metrics`, `.metrics.compute`
    callee: str
    arguments: tuple[Argument, ...]


@dataclass(frozen=True)
class Intake:
    metric: str
    role: str
    needs: str
    location: Location  # the metric's prediction argument
    text: str
    callee: str
    selection: tuple[int, ...]
    arguments: tuple[Argument, ...]  # of the call, for a function that returns a parameter


@dataclass(frozen=True)
class FileFlows:
    sinks: dict[str, tuple[Sink, ...]]
    returns: dict[str, Shown]
    calls: tuple[Outgoing, ...]
    intakes: tuple[Intake, ...]


@dataclass(frozen=True)
class CrossInput:
    """A value from one file reaching a metric in another."""

    metric: str
    role: str
    needs: str
    location: Location  # where the finding goes: the handing-over argument, or the metric's
    text: str
    value: Shown
    inline: bool
    helper: str  # the function of the other file
    other_end: Location  # the metric call (into a helper) or the helper's evidence (from one)
    into_helper: bool
    parameter: str = ""  # into a helper: its parameter that reaches the metric


def cross_file_inputs(project, code: str) -> list[CrossInput]:
    """Values crossing one file boundary into a metric, from the summaries rule `code` stored."""
    flows = {project.relative(path): summary for path, summary in project.rule_data(code)}
    found = []
    for relative, summary in flows.items():
        for call in summary.calls:
            target = _target(project, flows, call.callee, relative)
            if target is None:
                continue
            function, callee_flows = target
            for sink in callee_flows.sinks.get(function, ()):
                argument = _argument_for(call.arguments, sink.parameter, sink.position)
                if argument is not None:
                    found.append(CrossInput(sink.metric, sink.role, sink.needs, argument.location, argument.text,
                                            argument.value, argument.inline, function, sink.location, True,
                                            sink.parameter))
        for intake in summary.intakes:
            target = _target(project, flows, intake.callee, relative)
            returned = target[1].returns.get(target[0]) if target else None
            value = _select(returned, intake.selection) if returned else None
            inline = False
            if value is not None and value.kind == "parameter":
                argument = _argument_for(intake.arguments, *value.parameter)
                value, inline = (argument.value, argument.inline) if argument else (None, False)
            if value is not None and value.kind in (Kind.HARD_LABELS.value, Kind.SCORES.value):
                found.append(CrossInput(intake.metric, intake.role, intake.needs, intake.location, intake.text,
                                        value, inline, target[0], value.location, False))
    return found


def _target(project, flows, callee: str, importer: str):
    resolved = project.modules.resolve_symbol(callee, importer)
    if resolved is None or resolved[0] not in flows or "." in resolved[1]:
        return None
    return resolved[1], flows[resolved[0]]


def _argument_for(arguments, name: str, position: int | None) -> Argument | None:
    return next((a for a in arguments if a.keyword == name or (position is not None and a.position == position)),
                None)


def _select(value: Shown, selection: tuple[int, ...]) -> Shown | None:
    for index in selection:
        if value.elements is None or not -len(value.elements) <= index < len(value.elements):
            return None
        value = value.elements[index]
    return value



def cross_file_message(item: CrossInput, verb: str) -> tuple[str, list[Related]]:
    """"`compute_metrics` passes `preds` to `roc_auc_score` as `y_score` (utils/metrics.py:12), and
    gets hard labels here: ...", or "`roc_auc_score` gets hard labels as `y_score`: `preds` holds
    what `predict_labels` returns (utils/predict.py:20): class indices from `argmax`"."""
    value, related = item.value, []
    if item.into_helper:
        opening = (f"`{item.helper}` passes `{item.parameter}` to {item.metric} as `{item.role}` "
                   f"({_where(item.other_end, item.location)}), and gets {verb} here")
        related.append(Related(item.other_end, f"{item.metric} is called here"))
    else:
        opening = f"{item.metric} gets {verb} as `{item.role}`"
    if item.inline:
        return f"{opening}: {value.what}", related
    related.append(Related(value.location, f"{verb} come from here"))
    if value.location.path != item.location.path:
        return (f"{opening}: `{item.text}` holds what `{item.helper}` returns "
                f"({_where(value.location, item.location)}): {value.what}"), related
    return f"{opening}: `{item.text}` holds {value.what} ({_where(value.location, item.location)})", related


def _where(location: Location, here: Location) -> str:
    if location.path == here.path:
        return f"line {location.line}"
    return f"{location.path}:{location.line}"


def reported_cross_file(project, code: str, needs: Kind, wrong: Kind, verb: str):
    """The values of kind `wrong` reaching a metric that needs `needs` across files, one per
    place: (input, message, related)."""
    found = {}
    for item in cross_file_inputs(project, code):
        if item.needs == needs.value and item.value.kind == wrong.value:
            message, related = cross_file_message(item, verb)
            found.setdefault(item.location, (item, message, related))
    return list(found.values())
