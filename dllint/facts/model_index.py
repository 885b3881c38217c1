"""Where an activation meets a loss, within a file and across the project.

Per file: `follow(module, sites, wanted)` takes the places where an activation matters (the input
of a loss call, the argument of a `log`) and traces each input (`facts.activations`). A value the
rule wants is a hit; a parameter is followed one level out, to the calls of its function in the
same file (the finding is then at the argument the caller passes, the loss call related); the
output of a model that another project file defines is left pending.

Across files: `summary(module, pending, wanted)` keeps what the project phase needs, small and
picklable: what each class's `forward` returns while training (when the rule may want it), and
the pending sites. `ProjectIndex` joins
the summaries: it follows the project's imports to files (`project.modules`, also re-exports in a
package's `__init__.py`) and a chain of models (`LitModel.forward` returns `self.net(x)`, `Net`
defined in `models/net.py`), then applies what the site selected (`model(x)["exist"]`, `[0]`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace

from dllint.engine.diagnostic import Location, Related
from dllint.facts.activation_values import UNKNOWN, Act, Ref, Value, explain, select
from dllint.facts.activations import activation_of, forward_value
from dllint.facts.bindings import argument_for, last_name
from dllint.facts.kinds import quote
from dllint.facts.local_bindings import class_at
from dllint.facts.nn_modules import callee_function, method

MAX_CHAIN = 4  # project files followed from one site: model -> wrapped model -> ...


@dataclass(frozen=True)
class Site:
    node: ast.AST  # the loss call, or the `log` call
    name: str  # "`nn.CrossEntropyLoss`"
    input: ast.expr
    note: str = ""  # anything else the rule's message needs (DL206: what the target is)


@dataclass(frozen=True)
class Hit:
    location: Location  # where to report: the input, or the argument a caller passes
    site: str
    text: str  # the reported expression's source
    value: Value
    related: tuple[Related, ...] = ()
    note: str = ""

    def describe(self) -> str:
        """"softmax probabilities `F.softmax(x, 1)`", or "`probs`, which holds softmax
        probabilities from `F.softmax(x, 1)` (line 8)" when the activation is made elsewhere."""
        value = self.value
        if value.where == self.location and not value.owner:
            return f"{value.act.value} `{self.text}`"
        return f"`{self.text}`, which holds {explain(value, self.location.path)}"

    def related_to_origin(self, note: str) -> tuple[Related, ...]:
        """The related locations, plus where the value got its activation."""
        where = self.value.where
        return (*self.related, Related(where, note)) if where is not None else self.related


@dataclass(frozen=True)
class Summary:
    classes: tuple[tuple[str, Value], ...]  # class name -> what its forward returns while training
    pending: tuple[tuple[Hit, Ref], ...]  # hits whose value is the output of another file's model


def follow(module, sites: list[Site], wanted: Callable[[Value], bool]) -> tuple[list[Hit], list[Hit]]:
    """(hits in this file, pending hits whose `value.ref` another file resolves)."""
    hits, pending = [], []
    for site in sites:
        value = activation_of(module, site.input)
        if value.act is Act.PARAMETER:
            _through_callers(module, site, value, wanted, hits, pending)
            continue
        hit = Hit(module.location(site.input), site.name, quote(module, site.input), value, note=site.note)
        if value.act is Act.OUTPUT:
            pending.append(hit)
        elif wanted(value):
            hits.append(hit)
    # `-(y * log(p) + (1 - y) * log(1 - p))` is one mistake on one line, reported once.
    seen = set()
    hits = [h for h in hits if (h.location.line, h.value.where) not in seen
            and not seen.add((h.location.line, h.value.where))]
    return hits, pending


def _through_callers(module, site, value, wanted, hits, pending) -> None:
    function, name = value.parameter
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    related = (Related(module.location(site.node), f"{site.name} is called here, on `{name}`"),)
    for call, offset in call_sites(module, function):
        argument = argument_for(call, function, name, offset)
        found = activation_of(module, argument) if argument is not None else UNKNOWN
        hit = Hit(module.location(argument), f"{site.name} (through `{function.name}`, line {site.node.lineno})",
                  quote(module, argument), found, related, site.note) if argument is not None else None
        if found.act is Act.OUTPUT:
            pending.append(hit)
        elif hit is not None and wanted(found):
            hits.append(hit)


def call_sites(module, function: ast.AST) -> list[tuple[ast.Call, int]]:
    """Calls of a function of this file (by name, then checked), with the implicit `self` count."""
    found = []
    for call in module.nodes("Call"):
        if last_name(call.func) != function.name:
            continue
        callee = callee_function(module, call.func)
        if callee is not None and callee[0] is function:
            found.append((call, callee[1]))
    return found


def summary(module, pending: list[Hit], wanted: Callable[[Value], bool]) -> Summary | None:
    """What the project phase needs from this file: the classes whose forward returns something
    `wanted` (or another project model's output, for chains), and the pending hits."""
    classes = tuple((name, value) for name, value in module.fact(_classes) if _relevant(value, wanted))
    refs = tuple((replace(h, value=UNKNOWN), h.value.ref) for h in pending)
    return Summary(classes, refs) if classes or refs else None


def _relevant(value: Value, wanted) -> bool:
    members = [*(value.elements or ()), *(v for _, v in value.items or ())]
    return value.act is Act.OUTPUT or wanted(value) or any(_relevant(m, wanted) for m in members)


def _classes(module) -> tuple[tuple[str, Value], ...]:
    found = []
    parts = _parts(module)
    for node in module.nodes("ClassDef"):
        if method(node, "forward") is None or node.name in parts:
            continue
        value = _picklable(forward_value(module, node))
        if value.act is not Act.UNKNOWN or value.elements or value.items:
            found.append((node.name, value))
    return tuple(found)


def _parts(module) -> set[str]:
    """Classes that another class of the file builds (`self.block = Block()`): building blocks,
    traced when the model that holds them is, and not on their own. In a transformers model file
    that is most classes; another file that imports a block and puts a loss on its output is
    rare enough to leave unseen."""
    names = {c.name for c in module.nodes("ClassDef")}
    found = set()
    for call in module.nodes("Call"):
        func = call.func
        if isinstance(func, ast.Name) and func.id in names and func.id not in found:
            owner = class_at(module, call.lineno)
            if owner is not None and owner.name != func.id:
                found.add(func.id)
    return found


def _picklable(value: Value) -> Value:
    """Parameters are same-file facts (they hold AST nodes): across files they are unknown."""
    if value.act is Act.PARAMETER:
        return UNKNOWN
    if value.elements is not None:
        value = replace(value, elements=tuple(_picklable(e) for e in value.elements))
    if value.items is not None:
        value = replace(value, items=tuple((k, _picklable(v)) for k, v in value.items))
    return value


class ProjectIndex:
    """The summaries of one rule, joined: resolves pending hits to the values they receive."""

    def __init__(self, project, code: str) -> None:
        self.project = project
        # By display path: converting every summary's path to a project path costs a file-system
        # call each, and only the few files that pending sites lead to are looked up.
        self.summaries = dict(project.rule_data(code))

    def pending(self):
        """Every pending hit of the project, with the value its site receives."""
        for data in self.summaries.values():
            for hit, ref in data.pending:
                yield replace(hit, value=self.resolve(ref))

    def resolve(self, ref: Ref, depth: int = 0) -> Value:
        if depth > MAX_CHAIN:
            return UNKNOWN
        found = self._class(ref.symbol, self.project.relative(ref.importer), depth)
        for kind, key in ref.selectors:
            found = select(found, kind, key)
        return self.resolve(found.ref, depth + 1) if found.act is Act.OUTPUT else found

    def _class(self, symbol: str, importer: str, depth: int) -> Value:
        located = self.project.modules.resolve_symbol(symbol, importer)
        if located is None or "." in located[1] or depth > MAX_CHAIN:
            return UNKNOWN
        path, name = located
        data = self.summaries.get(self.project.display(path))
        value = dict(data.classes).get(name) if data is not None else None
        if value is not None:
            return value
        again = _reexported(self.project.root / path, name) if path.endswith("__init__.py") else None
        return self._class(again, path, depth + 1) if again else UNKNOWN


def _reexported(path, name: str) -> str | None:
    """`from .net import Net` in a package's `__init__.py`: where `name` really lives. Read here,
    because an `__init__.py` rarely passes a rule's text pre-filter and has no summary."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    base = "." * node.level + (node.module or "")
                    return f"{base}{alias.name}" if base.endswith(".") else f"{base}.{alias.name}"
    return None


class TracedSites:
    """The hooks of a rule that judges what reaches its sites, in a file and across files: a
    mixin, listed before `Rule`. The rule says where its sites are, which values it wants, and
    how to report a hit."""

    code: str

    def sites(self, module) -> list[Site]:  # pragma: no cover - each rule has its own
        raise NotImplementedError

    def wanted(self, value: Value) -> bool:  # pragma: no cover
        raise NotImplementedError

    def report(self, hit: Hit):  # pragma: no cover
        raise NotImplementedError

    def check_python(self, module):
        return [self.report(hit) for hit in module.fact(self._traced)[0]]

    def summarize_python(self, module):
        return summary(module, module.fact(self._traced)[1], self.wanted)

    def check_project(self, project):
        return [self.report(hit) for hit in ProjectIndex(project, self.code).pending() if self.wanted(hit.value)]

    def _traced(self, module) -> tuple[list[Hit], list[Hit]]:
        return follow(module, self.sites(module), self.wanted)
