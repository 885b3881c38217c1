"""DL509: `torch.load` that may unpickle arbitrary objects."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Edit, Fix, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import last_name

LOADS = ("torch.load", "torch.serialization.load")
ALLOWLISTS = ("safe_globals", "add_safe_globals")


class UnsafeTorchLoad(Rule):
    """
    ## What it does
    Finds `torch.load(...)` calls that do not say `weights_only=`: also through `import torch as
    t`, `from torch import load` and `torch.serialization.load`.

    Silent with an explicit `weights_only=True` or `weights_only=False` (a deliberate choice for a
    trusted file), with `**kwargs` that may carry it, inside `with
    torch.serialization.safe_globals([...]):`, in files that allow-list classes with
    `torch.serialization.add_safe_globals(...)` (both only make sense with weights-only loading),
    and in an `except TypeError:` fallback for torch versions that do not know `weights_only`.

    ## Why is this bad?
    A checkpoint is a pickle. Before PyTorch 2.6, `torch.load` defaults to `weights_only=False`
    and unpickling runs whatever code the file names: a downloaded checkpoint can execute
    arbitrary commands. From 2.6 on the default flipped, so the same line behaves differently
    across versions (and fails on checkpoints that store objects). Saying it pins the behaviour.

    ## Example
    ```python
    import torch

    state = torch.load("checkpoints/best.pt", map_location="cpu")
    model.load_state_dict(state)
    ```

    ## Use instead
    ```python
    import torch

    state = torch.load("checkpoints/best.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    ```
    """

    code = "DL509"
    name = "unsafe-torch-load"
    severity = Severity.WARNING
    summary = "`torch.load` without `weights_only=`: unpickling can run arbitrary code"
    help = "pass `weights_only=True` (load a `state_dict`), or `weights_only=False` only for files you trust"
    origin = "Summary of Deep Learning Project Experience (10-11. load the model, deployment)"
    triggers = ("load(",)

    def visit_Call(self, node: ast.Call, module):
        if last_name(node.func) != "load" or not module.names.resolves_to(node.func, *LOADS):
            return None
        if any(k.arg in ("weights_only", None) for k in node.keywords) or _allow_listed(module, node):
            return None
        message = (f"`{module.segment(node.func)}(...)` without `weights_only=`: before PyTorch 2.6 it unpickles "
                   "arbitrary objects, so a checkpoint can run code when loaded")
        return [self.diagnostic(module.location(node), message, fix=_fix(module, node))]


def _allow_listed(module, node: ast.Call) -> bool:
    if any(last_name(c.func) == "add_safe_globals" for c in module.nodes("Call")):
        return True
    parent = module.parents.get(node)
    while parent is not None:
        # `except TypeError:` around a call for torch versions that have no `weights_only`.
        if isinstance(parent, ast.ExceptHandler) and parent.type is not None and \
                "TypeError" in module.segment(parent.type):
            return True
        if isinstance(parent, (ast.With, ast.AsyncWith)) and any(
                isinstance(i.context_expr, ast.Call) and last_name(i.context_expr.func) in ALLOWLISTS
                for i in parent.items):
            return True
        parent = module.parents.get(parent)
    return False


def _fix(module, node: ast.Call) -> Fix | None:
    # Adding `weights_only=True` may make loading fail on pickled objects: unsafe.
    arguments = [*node.args, *node.keywords]
    if not arguments:
        return None
    last = module.location(max(arguments, key=lambda a: (a.end_lineno, a.end_col_offset)))
    return Fix((Edit(last.end_line, last.end_column, last.end_line, last.end_column, ", weights_only=True"),),
               "unsafe")
