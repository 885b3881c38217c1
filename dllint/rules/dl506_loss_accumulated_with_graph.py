"""DL506: the loss tensor, graph and all, kept across iterations for logging."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import own_nodes
from dllint.facts.loop_events import BACKWARD
from dllint.facts.training_loop import training_loops

# Calls and attributes that give a value without the autograd graph.
DETACHING = {"item", "detach", "tolist", "numpy", "float", "int", "data", "detach_"}
APPENDERS = {"append", "extend", "insert"}


class LossAccumulatedWithGraph(Rule):
    """
    ## What it does
    Finds a training loop that backpropagates a loss and also adds that same tensor to a running
    total or a list kept across iterations - `total_loss += loss`, `epoch_loss = epoch_loss +
    loss * n`, `losses.append(loss)` - without `.item()`, `.detach()`, `float()` or `.data`.

    Silent when the total is itself backpropagated (a loss summed over time steps, then one
    `backward()`), when the total starts anew inside each iteration, and when the loss was turned
    into a number before being added.

    ## Why is this bad?
    A loss tensor holds its autograd graph, and every tensor of it holds the graph of the
    iteration before: the activations of every batch stay alive until the loop ends. Memory grows
    each step until CUDA runs out of memory, and each addition runs on the GPU.

    ## Example
    ```python
    total_loss = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss
    ```

    ## Use instead
    ```python
    total_loss = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    ```
    """

    code = "DL506"
    name = "loss-accumulated-with-graph"
    severity = Severity.WARNING
    summary = "A backpropagated loss tensor accumulated across iterations, with its autograd graph"
    help = "accumulate `loss.item()` (or `loss.detach()`)"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (check gradients and parameter updates)"
    triggers = ("backward(",)

    def check_python(self, module):
        diagnostics = []
        for training in training_loops(module):
            backwards = [e for e in training.events if e.kind == BACKWARD and not e.via]
            backpropagated = {name for e in backwards for name in e.names}
            for node in own_nodes(training.loop):
                found = _accumulation(node)
                if found is None:
                    continue
                total, value = found
                if _inside_iteration(module, total, training.loop) or module.segment(total) in backpropagated:
                    continue
                for name in _attached_names(value):
                    backward = next((e for e in backwards if name in e.names and _same_binding(module, name, e.node,
                                                                                              node)), None)
                    if backward is None:
                        continue
                    message = (f"`{name}` is backpropagated (line {backward.node.lineno}) and kept in "
                               f"`{module.segment(total)}` across iterations with its autograd graph: every batch's "
                               "activations stay in memory until the loop ends")
                    diagnostics.append(self.diagnostic(module.location(node), message, related=[
                        Related(module.location(backward.node), "backpropagated here")]))
                    break
        return diagnostics


def _accumulation(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """(the total, the value added) for `t += v`, `t = t + v`, `t.append(v)`."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        return node.target, node.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.BinOp) \
            and isinstance(node.value.op, ast.Add) and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        for own, other in ((node.value.left, node.value.right), (node.value.right, node.value.left)):
            if isinstance(own, ast.Name) and own.id == name:
                return node.targets[0], other
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) \
            and node.value.func.attr in APPENDERS and node.value.args:
        return node.value.func.value, node.value.args[-1]
    return None


def _attached_names(value: ast.expr) -> list[str]:
    """Names in `value` that reach it with their graph (not under `.item()`, `float()`, `.data`)."""
    names, stack = [], [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr in DETACHING) or \
                    (isinstance(func, ast.Name) and func.id in DETACHING):
                continue
        if isinstance(node, ast.Attribute) and node.attr in DETACHING:
            continue
        if isinstance(node, ast.Name):
            names.append(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return names


def _inside_iteration(module, total: ast.expr, loop: ast.AST) -> bool:
    """A total (re)started inside the loop lives for one iteration only."""
    if not isinstance(total, ast.Name):
        return False
    starts = [d for d in module.scopes.scope_of(total).reaching(total.id, total.lineno)
              if d.kind not in ("augassign", "mutation") and not _adds_to_itself(d)]
    return bool(starts) and loop.lineno < starts[-1].line <= loop.end_lineno


def _adds_to_itself(definition) -> bool:
    value = definition.value
    return isinstance(value, ast.BinOp) and any(isinstance(side, ast.Name) and side.id == definition.name
                                                for side in (value.left, value.right))


def _same_binding(module, name: str, backward: ast.AST, accumulation: ast.AST) -> bool:
    # `loss = loss.item()` between the two makes the total get a number.
    scope = module.scopes.scope_of(backward)
    return scope.latest(name, backward.lineno) is scope.latest(name, accumulation.lineno)
