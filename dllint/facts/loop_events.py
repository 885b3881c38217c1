"""What one pass through a loop body does to gradients and to train/eval mode, in order.

`iteration(module, loop)` flattens the body of a loop (or a function) into `Event`s in execution
order: `backward`, optimizer `step`, gradient `reset`, scheduler `schedule`, `eval` and `train`
mode switches. Calls into functions of the same file are followed (depth 3): their events appear
where the call is, with the callee's parameters replaced by the caller's arguments in `target`
(`evaluate(net)` whose body calls `model.eval()` gives an `eval` of `net`). A function passed to
`step` (an LBFGS closure) runs inside the step, so its events come first.

Branches are kept apart, not merged: each event carries the conditional contexts (an `if` arm, an
`except` handler) it sits in; `runs_after(a, b)` says whether running `a` implies that `b` runs
later in the same pass, `ran_before(a, b)` whether running `b` implies that `a` ran (conditions
that imply each other, no `continue`/`return`/`raise` in between).
Which receivers are optimizers and schedulers is `facts.optimizer_objects`' question.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dllint.facts.bindings import last_name, same_file_function
from dllint.facts.optimizer_objects import OPTIMIZER, SCALER, SCHEDULER, role

BACKWARD, STEP, RESET, SCHEDULE, EVAL, TRAIN = "backward", "step", "reset", "schedule", "eval", "train"
MAX_DEPTH = 3  # nested calls into same-file functions followed from one loop
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
EXITS = (ast.Continue, ast.Break, ast.Return, ast.Raise)
# In-place ops on `p.grad` that clear it (`p.grad.zero_()`, `p.grad.data.fill_(0)`).
GRAD_CLEARS = {"zero_", "fill_", "detach_", "mul_"}
DISTRIBUTED = ("torch.distributed",)


@dataclass(frozen=True)
class Frame:
    block: int  # id() of the statement list
    index: int  # the statement's index in it
    in_loop: bool  # the list is (inside) the body of a loop nested in the flattened body
    callee: bool  # the list belongs to a followed function: its `return` leaves only that call


@dataclass(frozen=True)
class Event:
    kind: str
    node: ast.AST  # where it happens (possibly inside a followed function)
    site: ast.AST  # the statement of the flattened body it comes from (the call, when followed)
    target: str  # the receiver as the flattened body names it: "optimizer", "model", "p"
    names: frozenset  # names in the backward()'d expression (`loss` in `scaler.scale(loss).backward()`)
    conds: tuple  # conditional contexts, outermost first
    frames: tuple  # Frame per statement level, outermost first
    loops: tuple  # loops nested in the flattened body that enclose it
    via: tuple  # followed functions, outermost first
    order: int


def iteration(module, owner: ast.AST) -> list[Event]:
    """The events of one pass through `owner.body` (a loop or a function), cached."""
    store = module.fact(_Store)
    found = store.iterations.get(owner)
    if found is None:
        walker = _Walker(module, store.blocks)
        walker.block(owner.body, _Context((), (), (), (), {}, False, False))
        found = store.iterations[owner] = walker.events
    return found


def runs_after(module, first: Event, later: Event) -> bool:
    """Whenever `first` runs, `later` runs after it in the same pass: `later` is under no
    condition `first` is not under, and nothing leaves the pass in between."""
    return first.order < later.order and first.conds[:len(later.conds)] == later.conds and \
        _straight(module, first, later)


def ran_before(module, earlier: Event, later: Event) -> bool:
    """Whenever `later` runs, `earlier` ran before it in the same pass."""
    return earlier.order < later.order and later.conds[:len(earlier.conds)] == earlier.conds and \
        _straight(module, earlier, later)


def _straight(module, first: Event, later: Event) -> bool:
    """No `continue`/`break`/`return`/`raise` between the two at the levels `first` is on."""
    known = module.fact(_Store).blocks
    blocks = {frame.block: frame.index for frame in later.frames}
    for frame in reversed(first.frames):
        statements = known.get(frame.block, ())
        stop = blocks.get(frame.block)
        for statement in statements[frame.index + 1:stop if stop is not None else len(statements)]:
            if isinstance(statement, ast.Raise) or (isinstance(statement, ast.Return) and not frame.callee):
                return False
            if isinstance(statement, (ast.Continue, ast.Break)) and not frame.in_loop:
                return False
        if stop is not None:
            return True
    return True


def classify(module, call: ast.Call) -> tuple[str, ast.expr | None] | None:
    """(event kind, receiver) for a call that is one, else None."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    attr, receiver = func.attr, func.value
    if attr == "backward":
        qualified = module.qualified_name(receiver) or ""
        # Distributed autograd accumulates into a per-context store that needs no zeroing.
        if qualified.startswith(DISTRIBUTED) or _is_super(receiver) or getattr(receiver, "id", "") == "ctx":
            return None
        return BACKWARD, receiver
    if attr == "manual_backward":
        return BACKWARD, receiver
    if attr == "step":
        found = role(module, receiver)
        if found == OPTIMIZER or (found == SCALER and call.args):
            # `scaler.step(optimizer)` steps the optimizer it is given.
            return STEP, receiver if found == OPTIMIZER else call.args[0]
        # LR schedulers take at most an epoch or a metric; noise schedulers take (output, t, sample).
        if found == SCHEDULER and len(call.args) + len(call.keywords) <= 1:
            return SCHEDULE, receiver
        return None
    if attr == "zero_grad":
        return RESET, receiver
    if attr in GRAD_CLEARS and _is_grad(receiver):
        return RESET, _grad_owner(receiver)
    if attr == "eval" and not call.args and not call.keywords:
        return EVAL, receiver
    if attr == "train" and not call.keywords:
        if not call.args:
            return TRAIN, receiver
        mode = call.args[0]
        if isinstance(mode, ast.Constant) and isinstance(mode.value, bool):
            return (TRAIN if mode.value else EVAL), receiver
    return None


@dataclass(frozen=True)
class _Context:
    frames: tuple
    conds: tuple
    loops: tuple
    via: tuple
    substitute: dict  # callee parameter -> the caller's argument text
    in_loop: bool
    callee: bool

    def with_(self, **changes) -> _Context:
        return _Context(**{**self.__dict__, **changes})


class _Store:
    def __init__(self, module) -> None:
        self.iterations: dict[ast.AST, list[Event]] = {}
        self.blocks: dict[int, list] = {}  # id(statement list) -> the list, for `_straight`


class _Walker:
    def __init__(self, module, blocks: dict) -> None:
        self.module = module
        self.blocks = blocks
        self.events: list[Event] = []
        self.site: ast.AST | None = None

    def block(self, statements: list, context: _Context) -> None:
        self.blocks[id(statements)] = statements
        for index, statement in enumerate(statements):
            inner = context.with_(frames=context.frames + (Frame(id(statements), index, context.in_loop,
                                                                 context.callee),))
            if not context.via:
                self.site = statement
            self.statement(statement, inner)

    def statement(self, node: ast.stmt, context: _Context) -> None:
        if isinstance(node, SCOPES):
            return
        if isinstance(node, ast.If):
            self.expression(node.test, context)
            self.block(node.body, context.with_(conds=context.conds + ((id(node), "if"),)))
            self.block(node.orelse, context.with_(conds=context.conds + ((id(node), "else"),)))
        elif isinstance(node, LOOPS):
            self.expression(node.iter if not isinstance(node, ast.While) else node.test, context)
            self.block(node.body, context.with_(loops=context.loops + (node,), in_loop=True))
            self.block(node.orelse, context.with_(conds=context.conds + ((id(node), "else"),)))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expression(item.context_expr, context)
            self.block(node.body, context)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.block(node.body, context)
            for handler in node.handlers:
                self.block(handler.body, context.with_(conds=context.conds + ((id(handler), "except"),)))
            self.block(node.orelse, context.with_(conds=context.conds + ((id(node), "else"),)))
            self.block(node.finalbody, context)
        elif isinstance(node, ast.Match):
            self.expression(node.subject, context)
            for case in node.cases:
                self.block(case.body, context.with_(conds=context.conds + ((id(case), "case"),)))
        else:
            self.expression(node, context)
            self.grad_assignment(node, context)

    def grad_assignment(self, node: ast.stmt, context: _Context) -> None:
        # `p.grad = None`, `p.grad = torch.zeros_like(p)`, `del p.grad`
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "grad" and not isinstance(node, ast.AugAssign):
                self.add(RESET, node, target.value, context)

    def expression(self, node: ast.AST, context: _Context) -> None:
        # Post-order: arguments are evaluated before the call that receives them.
        stack = [(node, False)]
        while stack:
            current, seen = stack.pop()
            if isinstance(current, SCOPES):
                continue
            if not seen:
                stack.append((current, True))
                stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(current))))
            elif isinstance(current, ast.Call):
                self.call(current, context)

    def call(self, call: ast.Call, context: _Context) -> None:
        found = classify(self.module, call)
        if found is not None:
            kind, receiver = found
            if kind == STEP:
                for argument in call.args:  # `optimizer.step(closure)`: the closure runs first
                    self.follow(argument, call, context, closure=True)
            self.add(kind, call, receiver, context, call)
            return
        if not self.follow(call.func, call, context):
            name = (last_name(call.func) or "").lower()
            # An unseen helper named for it (`model.clear_grads()`, `zero_gradients(x)`) resets.
            if "zero_grad" in name or ("grad" in name and any(w in name for w in ("clear", "reset", "zero"))):
                self.add(RESET, call, call.func.value if isinstance(call.func, ast.Attribute) else None, context)

    def follow(self, func: ast.expr, call: ast.Call, context: _Context, closure: bool = False) -> bool:
        if len(context.via) >= MAX_DEPTH or not isinstance(func, (ast.Name, ast.Attribute)):
            return False
        found = same_file_function(self.module, func)
        if found is None or found[0] in context.via:
            return False
        function, offset = found
        substitute = {} if closure else _parameters(self.module, function, call, offset, context.substitute)
        self.block(function.body, context.with_(via=context.via + (function,), substitute=substitute, callee=True))
        return True

    def add(self, kind: str, node: ast.AST, receiver: ast.expr | None, context: _Context,
            call: ast.Call | None = None) -> None:
        names: frozenset = frozenset()
        if kind == BACKWARD and call is not None:
            # `loss.backward()`, `scaler.scale(loss).backward()`, `accelerator.backward(loss)`
            parts = [*call.args, receiver] if call.args else [receiver]
            names = frozenset(n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name))
        self.events.append(Event(kind, node, self.site, _text(self.module, receiver, context.substitute), names,
                                 context.conds, context.frames, context.loops, context.via, len(self.events)))


def _text(module, expr: ast.expr | None, substitute: dict) -> str:
    if expr is None:
        return ""
    text = module.segment(expr)
    root, dot, rest = text.partition(".")
    return substitute[root] + dot + rest if root in substitute else text


def _parameters(module, function, call: ast.Call, offset: int, outer: dict) -> dict:
    """Callee parameter -> the text of the argument this call passes (outer substitutions kept)."""
    positional = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    mapping = {}
    if offset and positional and isinstance(call.func, ast.Attribute):
        mapping[positional[0]] = _text(module, call.func.value, outer)
    for name, argument in zip(positional[offset:], call.args):
        if isinstance(argument, ast.Starred):
            break
        mapping[name] = _text(module, argument, outer)
    for keyword in call.keywords:
        if keyword.arg is not None:
            mapping[keyword.arg] = _text(module, keyword.value, outer)
    return mapping


def _is_grad(expr: ast.expr) -> bool:
    while isinstance(expr, ast.Attribute) and expr.attr == "data":
        expr = expr.value
    return isinstance(expr, ast.Attribute) and expr.attr == "grad"


def _grad_owner(expr: ast.expr) -> ast.expr:
    while isinstance(expr, ast.Attribute) and expr.attr in ("data", "grad"):
        expr = expr.value
    return expr


def _is_super(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "super"
