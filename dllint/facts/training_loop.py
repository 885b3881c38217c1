"""Training loops: the innermost loops whose one pass calls `backward()` and an optimizer `step()`,
directly or through functions and methods of the same file (`self.backward_step(loss)`,
`train_step(batch)`), with the events of that pass (`facts.loop_events`).

Lightning's `training_step` and Hugging Face's `Trainer` have no such loop in user code: the
framework runs backward, step and the gradient reset, so nothing is found there. Distributed
autograd (`dist_autograd.backward(context_id, ...)`) is no `backward` here: its gradients live
in a per-context store that needs no zeroing.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass

from dllint.facts.bindings import last_name
from dllint.facts.loop_events import BACKWARD, LOOPS, STEP, Event, iteration

BACKWARD_CALLS = ("backward", "manual_backward")
ROUNDS = 3  # callers of callers of a function that calls backward()


@dataclass(frozen=True)
class TrainingLoop:
    loop: ast.AST
    events: list[Event]
    function: ast.AST  # the enclosing function, or the module

    def of(self, kind: str) -> list[Event]:
        return [event for event in self.events if event.kind == kind]


def training_loops(module) -> list[TrainingLoop]:
    """Every training loop of the file, in source order (cached)."""
    return module.fact(_find)


def backward_calls(module) -> list[ast.Call]:
    """`x.backward(...)`/`manual_backward(...)` calls of the file (cached)."""
    return module.fact(_backward_calls)


def _backward_calls(module) -> list[ast.Call]:
    return [c for c in module.nodes("Call") if isinstance(c.func, ast.Attribute) and c.func.attr in BACKWARD_CALLS]


def _find(module) -> list[TrainingLoop]:
    found = []
    for loop, events in loops_reaching_backward(module):
        if _has_both(events, None) and not any(_has_both(events, inner) for inner in _inner_loops(events)):
            found.append(TrainingLoop(loop, events, module.scopes.scope_of(loop).node))
    return found


def _reaching_lines(module, backwards: list[ast.Call]) -> set[int]:
    """Lines of backward() calls and of calls to same-file functions that may reach one (by name:
    exactness comes later, from `iteration`, which follows the calls for real)."""
    functions = module.nodes("FunctionDef", "AsyncFunctionDef")
    marked = {c.lineno for c in backwards}
    names: set[str] = set()
    for _ in range(ROUNDS):
        grown = {f.name for f in functions if any(f.lineno <= line <= f.end_lineno for line in marked)}
        if grown <= names:
            break
        names |= grown
        marked |= {c.lineno for c in module.nodes("Call") if last_name(c.func) in names}
    return marked


def _has_both(events: list[Event], inner: ast.AST | None) -> bool:
    kinds = {e.kind for e in events if inner is None or inner in e.loops}
    return BACKWARD in kinds and STEP in kinds


def _inner_loops(events: list[Event]) -> set[ast.AST]:
    return {loop for event in events for loop in event.loops}


def shown_at(event: Event) -> ast.AST:
    """Where a finding about `event` points: the event itself, or the call in the loop that
    leads to it when it happens inside a followed function."""
    return event.site if event.via else event.node


def describe(module, event: Event) -> str:
    """`optimizer.step()` as written, with `via helper()` when it happens inside one."""
    text = module.segment(event.node)
    text = text if len(text) <= 50 else text[:47] + "..."
    return f"`{text}` (in `{event.via[-1].name}()`)" if event.via else f"`{text}`"


def loops_reaching_backward(module) -> list[tuple[ast.AST, list[Event]]]:
    """Every loop (not only the innermost) whose pass calls `backward()`, with its events, in
    source order: an epoch loop calling `train_one_epoch()` and `evaluate()` of the file is one."""
    return module.fact(_reaching)


def _reaching(module) -> list[tuple[ast.AST, list[Event]]]:
    backwards = backward_calls(module)
    # MXNet's `backward()` overwrites gradients (grad_req="write"): its loops are no concern here.
    if not backwards or "mxnet" in module.names.imported_modules:
        return []
    lines = sorted(_reaching_lines(module, backwards))
    found = []
    for loop in module.nodes(*(cls.__name__ for cls in LOOPS)):
        start = bisect.bisect_left(lines, loop.lineno)
        if start < len(lines) and lines[start] <= loop.end_lineno:
            events = iteration(module, loop)
            if any(e.kind == BACKWARD for e in events):
                found.append((loop, events))
    found.sort(key=lambda pair: (pair[0].lineno, pair[0].col_offset))
    return found
