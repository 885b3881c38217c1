"""The facts behind the training/evaluation loop rules (DL501-DL510), and their fixes."""

from __future__ import annotations

import ast
import textwrap

import pytest

from dllint.facts.evaluation import grad_enabled_at, mode_at, model_calls, regions
from dllint.facts.loop_events import BACKWARD, EVAL, RESET, SCHEDULE, STEP, TRAIN, iteration, ran_before, runs_after
from dllint.facts.model_layers import mode_layers
from dllint.facts.optimizer_objects import OPTIMIZER, SCALER, SCHEDULER, role
from dllint.facts.seeding import seeding
from dllint.facts.training_loop import training_loops
from dllint.sources.astwalk import index_by_type
from dllint.sources.python_file import parse_python


def parse(source: str, path: str = "train.py"):
    module = parse_python(path, textwrap.dedent(source).encode())
    module.nodes_by_type = index_by_type(module.tree)
    return module


def kinds(events):
    return [(e.kind, e.target) for e in events]


def test_one_pass_in_execution_order_through_helpers_and_closures():
    module = parse("""
        def clear(opt):
            opt.zero_grad()

        for x, y in loader:
            def closure():
                loss_fn(model(x), y).backward()
            scaler.scale(loss).backward()
            optimizer.step(closure)
            clear(optimizer)
            scheduler.step()
            model.eval()
            model.train(False)
            model.train()
    """)
    events = iteration(module, module.nodes("For")[0])
    assert kinds(events) == [(BACKWARD, "scaler.scale(loss)"), (BACKWARD, "loss_fn(model(x), y)"),
                             (STEP, "optimizer"), (RESET, "optimizer"), (SCHEDULE, "scheduler"),
                             (EVAL, "model"), (EVAL, "model"), (TRAIN, "model")]
    assert events[0].names == {"scaler", "loss"}
    assert events[3].via and events[3].site.lineno == 10  # the reset happens in `clear()`, called here


def test_conditions_and_exits_decide_what_surely_runs():
    module = parse("""
        for x in loader:
            loss.backward()
            if bad:
                optimizer.zero_grad()
                continue
            if (i + 1) % k == 0:
                optimizer.step()
            optimizer.zero_grad()
            optimizer.step()
    """)
    backward, skip, step, reset, last = iteration(module, module.nodes("For")[0])
    assert ran_before(module, backward, skip) and not runs_after(module, skip, step)  # `continue` between
    assert not runs_after(module, backward, step)  # the step is conditional
    assert runs_after(module, reset, last) and ran_before(module, backward, reset)


@pytest.mark.parametrize("source,expected", [
    ("optimizer.step()", OPTIMIZER), ("opt_d.step()", OPTIMIZER), ("self.optimizers()[0].step()", OPTIMIZER),
    ("lr_scheduler.step()", SCHEDULER), ("scaler.step(opt)", SCALER), ("env.step(action)", None),
    ("o = torch.optim.SGD(params)\no.step()", OPTIMIZER), ("s = get_cosine_schedule_with_warmup(o)\ns.step()",
                                                          SCHEDULER),
])
def test_optimizer_roles(source, expected):
    module = parse("import torch\n" + source)
    call = next(c for c in module.nodes("Call") if getattr(c.func, "attr", None) == "step")
    assert role(module, call.func.value) == expected


def test_training_loops_are_innermost_and_skip_distributed_autograd_and_mxnet():
    module = parse("""
        import torch.distributed.autograd as dist_autograd
        for epoch in range(3):
            for x, y in loader:
                optimizer.zero_grad(); loss.backward(); optimizer.step()
        for x in loader:
            with dist_autograd.context() as cid:
                dist_autograd.backward(cid, [loss])
                opt.step(cid)
    """)
    assert [t.loop.lineno for t in training_loops(module)] == [4]
    assert training_loops(parse("import mxnet\nfor x in d:\n    l.backward()\n    trainer.step(1)\n")) == []


def test_mode_layers_follow_bindings_wrappers_and_call_sites():
    module = parse("""
        import torch
        from torch import nn
        from torchvision import models

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.norm = nn.BatchNorm2d(8)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block()

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

        def run(model):
            return model(x)

        net = nn.DataParallel(Net()).to("cuda")
        plain = Plain()
        resnet = models.resnet18()
        lstm = nn.LSTM(4, 4, num_layers=2, dropout=0.2)
        run(net)
        print(net, plain, resnet, lstm)
    """)
    names = {n.id: n for n in module.nodes("Name") if n.id in ("net", "plain", "resnet", "lstm")
             and isinstance(n.ctx, ast.Load)}
    assert mode_layers(module, names["net"]).mode_dependent is True
    assert mode_layers(module, names["plain"]).mode_dependent is False
    assert mode_layers(module, names["resnet"]).mode_dependent is True
    assert mode_layers(module, names["lstm"]).mode_dependent is True
    inner = next(c for c in module.nodes("Call") if getattr(c.func, "id", None) == "model")
    assert mode_layers(module, inner.func).mode_dependent is True  # through `run(net)`


def test_evaluation_regions_and_the_state_they_run_in():
    module = parse("""
        import torch

        def evaluate(model, loader):
            return [model(x) for x, _ in loader]

        def validation_step(self, batch):
            return self.model(batch)

        def main(model, train_loader, val_loader):
            for epoch in range(3):
                model.train()
                for x, y in train_loader:
                    optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
                model.eval()
                with torch.no_grad():
                    evaluate(model, val_loader)
                    for x, y in val_loader:
                        model(x)
    """)
    found = regions(module)
    assert [r.why for r in found] == ["`evaluate()` is named for evaluation", "it iterates `val_loader`"]
    for region in found:
        call = model_calls(module, region)[0]
        assert mode_at(module, call, "model")[0] == EVAL
        assert grad_enabled_at(module, call) is False


def test_mode_wraps_around_the_loop():
    module = parse("""
        model.eval()
        for epoch in range(3):
            for x, y in val_loader:
                model(x)
            model.train()
    """)
    call = next(c for c in module.nodes("Call") if getattr(c.func, "id", None) == "model")
    state, where = mode_at(module, call, "model")
    assert state == TRAIN and where.lineno == 6


def test_pytest_functions_are_not_evaluation():
    module = parse("import pytest\n\ndef test_model():\n    model(x)\n", path="tests/test_net.py")
    assert regions(module) == []


def test_seeding_summary():
    module = parse("""
        from utils.setup import prepare, helper

        def seed_all(s):
            torch.manual_seed(s)

        def main():
            seed_all(0)
            prepare()
            for x in loader:
                optimizer.zero_grad(); loss.backward(); optimizer.step()

        if __name__ == "__main__":
            main()
    """)
    found = seeding(module)
    assert found.entry.line == 13 and found.seeds
    assert found.seeding_functions == {"seed_all", "main"}
    assert ("utils.setup", "prepare") in found.calls


def _apply(text: str, fix) -> str:
    lines = text.splitlines(keepends=True)
    for edit in reversed(fix.edits):
        start = sum(len(line) for line in lines[:edit.line - 1]) + edit.column - 1
        end = sum(len(line) for line in lines[:edit.end_line - 1]) + edit.end_column - 1
        text = text[:start] + edit.content + text[end:]
        lines = text.splitlines(keepends=True)
    return text


def test_forward_fix_calls_the_module_and_is_unsafe():
    from dllint.rules.dl507_forward_called_directly import ForwardCalledDirectly

    text = "out = self.encoder.forward(x, mask=m)\n"
    module = parse(text)
    [found] = ForwardCalledDirectly().visit_Call(module.nodes("Call")[0], module)
    assert found.fix.applicability == "unsafe"
    assert _apply(text, found.fix) == "out = self.encoder(x, mask=m)\n"


def test_torch_load_fix_adds_weights_only():
    from dllint.rules.dl509_unsafe_torch_load import UnsafeTorchLoad

    text = "import torch\nstate = torch.load(\n    path,\n    map_location='cpu',\n)\n"
    module = parse(text)
    call = next(c for c in module.nodes("Call") if isinstance(c.func, ast.Attribute))
    [found] = UnsafeTorchLoad().visit_Call(call, module)
    assert found.fix.applicability == "unsafe"
    assert "map_location='cpu', weights_only=True,\n)" in _apply(text, found.fix)
