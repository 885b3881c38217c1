"""DL507: `module.forward(x)` on another module skips its hooks."""

from __future__ import annotations

import ast
import re

from dllint.engine.diagnostic import Edit, Fix, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import definitions, last_name

# Receivers whose `forward` is no module's: pipelines, ONNX/TensorRT sessions, saved function
# references, custom-op objects.
NOT_A_MODULE = re.compile(r"pipe|session|sess$|(?:^|_)ref(?:erence)?$|(?:^|_)(?:func|fn)$|callback|hook|"
                          r"(?:^|_)obj$|engine$|runner$|client$", re.IGNORECASE)
OTHER_OBJECTS = ("torch.classes.", "onnxruntime.", "tensorrt.", "transformers.pipeline", "transformers.pipelines.")


class ForwardCalledDirectly(Rule):
    """
    ## What it does
    Finds `x.forward(...)` calls on another module - `model.forward(batch)`,
    `self.encoder.forward(x)` - where calling the module itself, `model(batch)`, is meant.

    Silent for `super().forward(...)`, for `self.forward(...)` inside the class itself, for
    explicit calls through a class (`nn.Linear.forward(self, x)`, `Parent.forward(self, x)`),
    and for `forward` on things that are not modules by their construction or name: autograd
    `Function`s, pipelines (`pipe.forward`), ONNX/TensorRT sessions, `torch.classes` custom ops,
    saved function references (`ref.forward`), instances of plain classes of the same file, and
    skorch nets (`net.forward(X)` is skorch's own API) in files that use skorch.

    ## Why is this bad?
    `module(x)` runs `forward` inside `__call__`, which also runs the forward pre-hooks and hooks
    (and backward hooks) registered on the module: what `torch.utils.checkpoint`, pruning, weight
    norm/spectral norm, quantization observers, FSDP/DDP wrappers, profilers and feature
    extractors rely on. Calling `.forward` directly silently skips all of them.

    ## Example
    ```python
    for x, y in loader:
        logits = model.forward(x)
        loss = criterion(logits, y)
    ```

    ## Use instead
    ```python
    for x, y in loader:
        logits = model(x)
        loss = criterion(logits, y)
    ```
    """

    code = "DL507"
    name = "forward-called-directly"
    severity = Severity.WARNING
    summary = "`module.forward(...)` called directly: the module's hooks do not run"
    help = "call the module itself: `model(x)` instead of `model.forward(x)`"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.3 inappropriate network architecture)"
    triggers = (".forward(",)

    def visit_Call(self, node: ast.Call, module):
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "forward" or not _another_module(module, func.value):
            return None
        receiver = module.segment(func.value)
        start, end = module.location(func.value), module.location(func)
        # `model.forward(x)` -> `model(x)`: hooks now run, which may change behaviour: unsafe.
        fix = Fix((Edit(start.end_line, start.end_column, end.end_line, end.end_column, ""),), "unsafe")
        message = f"`{receiver}.forward(...)` bypasses `{receiver}`'s hooks; call `{receiver}(...)`"
        return [self.diagnostic(module.location(node), message, fix=fix)]


def _another_module(module, receiver: ast.expr) -> bool:
    if isinstance(receiver, ast.Call):
        return False  # `super().forward(...)`, `torch.jit.trace(...).forward`
    if isinstance(receiver, ast.Name):
        if receiver.id in ("self", "cls", "ctx"):
            return False
        found = definitions(module, receiver)
        if found and isinstance(found[-1].node, ast.ClassDef):
            return False  # `Parent.forward(self, x)`
        if not found and (module.names.qualified_name(receiver) or receiver.id[:1].isupper()):
            return False  # an imported or builtin class: `Linear.forward(self, x)`
    name = last_name(receiver) or ""
    if name[:1].isupper() and not isinstance(receiver, ast.Subscript):
        return False  # `nn.Linear.forward(self, x)`, `MyFunction.forward(ctx, x)`
    return not NOT_A_MODULE.search(name) and not _built_as_other(module, receiver)


def _built_as_other(module, receiver: ast.expr) -> bool:
    """Bound to a non-module: `torch.classes.ops.X()`, an ONNX session, a plain class of this
    file, or a parameter annotated with one (`ref: HookFunctionReference`)."""
    if not isinstance(receiver, (ast.Name, ast.Attribute)):
        return False
    found = definitions(module, receiver)
    if "skorch" in module.names.imported_modules and not any(
            isinstance(d.value, ast.Call) and any(q.startswith(("torch.", "torchvision.")) for q in
                                                  module.names.candidates(d.value.func)) for d in found):
        return True  # skorch's `NeuralNet.forward(X)` is its documented API, not a module's
    for definition in found:
        value = definition.value
        if definition.kind == "param":
            value = getattr(definition.node, "annotation", None)
            value = ast.Call(value, [], []) if value is not None else None
        if not isinstance(value, ast.Call):
            continue
        if any(q.startswith(OTHER_OBJECTS) for q in module.names.candidates(value.func)):
            return True
        if isinstance(value.func, ast.Name):
            found = definitions(module, value.func)
            cls = found[-1].node if found else None
            if isinstance(cls, ast.ClassDef) and all(getattr(b, "id", None) == "object" for b in cls.bases):
                return True
    return False
