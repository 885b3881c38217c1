"""DL504: evaluation builds autograd graphs it never uses."""

from __future__ import annotations

import ast

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.evaluation import MODEL_CALL_TRIGGERS, grad_enabled_at, model_calls, regions
from dllint.facts.training_loop import backward_calls

NEEDS_GRADIENTS = ("enable_grad", "autograd.grad", "requires_grad_", ".backward(")


class EvaluationWithoutNoGrad(Rule):
    """
    ## What it does
    Finds evaluation code - a function named `evaluate`/`validate`/`test`, a loop over a
    validation or test loader, or a function computing a metric - that calls a model with
    gradients enabled: no `torch.no_grad()`/`torch.inference_mode()` block or decorator, no
    `torch.set_grad_enabled(...)`, around the call or around every call of the function in the
    same file.

    Silent when the evaluation needs gradients (`torch.enable_grad()`, `torch.autograd.grad`,
    `backward()` for saliency maps or adversarial examples), for evaluation functions no code of
    the same file calls (the caller may disable gradients), and for Lightning's
    `validation_step`, which Lightning runs under `no_grad`.

    ## Why is this bad?
    Every forward pass records the autograd graph and keeps the activations it needs. Evaluation
    then uses several times the memory it needs (often running out on batch sizes training
    handled) and runs slower, for gradients nobody computes.

    ## Example
    ```python
    def evaluate(model, loader):
        model.eval()
        correct = 0
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
        return correct / len(loader.dataset)

    print(evaluate(model, val_loader))
    ```

    ## Use instead
    ```python
    import torch

    @torch.no_grad()
    def evaluate(model, loader):
        model.eval()
        correct = 0
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
        return correct / len(loader.dataset)

    print(evaluate(model, val_loader))
    ```
    """

    code = "DL504"
    name = "evaluation-without-no-grad"
    severity = Severity.INFO
    summary = "Evaluation runs a model with gradients enabled"
    help = "wrap evaluation in `with torch.no_grad():` (or `torch.inference_mode()`), or decorate the function"
    origin = "Summary of Deep Learning Project Experience (8. model evaluation)"
    # Evaluation matters only where a model is called: names such as `model`, `net`, `encoder`.
    triggers = MODEL_CALL_TRIGGERS

    def check_python(self, module):
        diagnostics = []
        backwards = backward_calls(module)
        for region in regions(module):
            if _needs_gradients(module, region.node, backwards):
                continue
            call = next((c for c in model_calls(module, region) if grad_enabled_at(module, c)), None)
            if call is None:
                continue
            model = module.segment(call.func)
            message = (f"`{model}` runs with gradients enabled in evaluation code ({region.why}): autograd "
                       "records the graph and keeps activations that nothing uses")
            diagnostics.append(self.diagnostic(module.location(call), message))
        return diagnostics


def _needs_gradients(module, node: ast.AST, backwards) -> bool:
    if any(node.lineno <= c.lineno <= node.end_lineno for c in backwards):
        return True
    text = "\n".join(module.lines[node.lineno - 1:node.end_lineno])
    return any(marker in text for marker in NEEDS_GRADIENTS)
