"""The loss/activation facts (what a tensor holds, which object is a loss, the project index of
models) and DL201-DL206 beyond the fixtures: cross-file chains, messages, speed guards."""

from __future__ import annotations

import ast
import pickle
import textwrap

import pytest

from dllint.engine.runner import lint
from dllint.engine.settings import Settings, with_overrides
from dllint.facts.activation_values import Act
from dllint.facts.activations import activation_of, forward_value
from dllint.facts.local_bindings import binding
from dllint.facts.losses import loss_calls
from dllint.facts.model_index import _classes, summary
from dllint.facts.nn_modules import training_returns
from dllint.sources.python_file import parse_python

CODES = ("DL201", "DL202", "DL203", "DL204", "DL205", "DL206")
PREAMBLE = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def parse(source: str, path: str = "train.py"):
    return parse_python(path, (PREAMBLE + textwrap.dedent(source)).encode())


def last_loss_input(source: str):
    module = parse(source)
    calls = loss_calls(module)
    assert calls, "no loss call recognized"
    return activation_of(module, calls[-1].input)




@pytest.mark.parametrize("code,act", [
    ("out = F.softmax(model(x), dim=1)\nloss = F.cross_entropy(out, y)", Act.SOFTMAX),
    ("out = model(x).softmax(-1).view(-1, 10).float()\nloss = F.cross_entropy(out, y)", Act.SOFTMAX),
    ("out = torch.sigmoid(model(x))\nloss = F.binary_cross_entropy_with_logits(out.squeeze(1), y)", Act.SIGMOID),
    ("out = F.log_softmax(model(x), 1)\nloss = F.nll_loss(out, y)", Act.LOG_SOFTMAX),
    ("out = torch.log(F.softmax(model(x), 1) + 1e-8)\nloss = F.nll_loss(out, y)", Act.LOG_PROBS),
    ("head = nn.Linear(10, 1)\nloss = nn.BCELoss()(head(x), y)", Act.LOGITS),
    ("net = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1), nn.Dropout())\nloss = F.cross_entropy(net(x), y)",
     Act.SOFTMAX),
    ("out = {'p': F.softmax(z, 1), 'z': z}\nloss = F.cross_entropy(out['p'], y)", Act.SOFTMAX),
    ("out = {}\nout['p'] = torch.sigmoid(z)\nloss = F.binary_cross_entropy_with_logits(out['p'], y)", Act.SIGMOID),
    ("p, z = F.softmax(z, 1), z\nloss = F.cross_entropy(p, y)", Act.SOFTMAX),
    ("act = F.softmax\nloss = F.cross_entropy(act(z, dim=1), y)", Act.SOFTMAX),  # a function kept in a name
    # A softmax in a branch does not surely reach the loss.
    ("out = model(x)\nif probs:\n    out = F.softmax(out, 1)\nloss = F.cross_entropy(out, y)", Act.UNKNOWN),
    # After the loss, for metrics: the loss saw the logits.
    ("out = model(x)\nloss = F.cross_entropy(out, y)\nout = F.softmax(out, 1)", Act.UNKNOWN),
    ("loss = F.cross_entropy(model(x), y)", Act.UNKNOWN),
])
def test_what_reaches_the_loss(code, act):
    assert last_loss_input(code).act is act


def test_forward_leaves_out_inference_branches():
    module = parse("""
    class A(nn.Module):
        def forward(self, x):
            x = self.fc(x)
            if not self.training:
                return x.softmax(-1)
            return x

    class B(nn.Module):
        def forward(self, x):
            if self.training:
                return self.fc(x)
            return F.softmax(self.fc(x), dim=-1)
    """)
    a, b = module.nodes("ClassDef")
    assert [ast.unparse(r) for r in training_returns(a.body[0])] == ["return x"]
    assert [ast.unparse(r) for r in training_returns(b.body[0])] == ["return self.fc(x)"]


def test_forward_value_through_attributes_factories_and_bases():
    module = parse("""
    def head(n):
        return nn.Sequential(nn.Linear(8, n), nn.Softmax(dim=1))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = head(10)

        def forward(self, x):
            return self.head(x)

    class Child(Net):
        pass

    class Pair(nn.Module):
        def forward(self, x):
            return self.fc(x), torch.sigmoid(x)
    """)
    net, child, pair = module.nodes("ClassDef")
    assert forward_value(module, net).act is Act.SOFTMAX
    assert forward_value(module, net).owner == "`Net.forward`"
    assert forward_value(module, child).act is Act.SOFTMAX
    value = forward_value(module, pair)
    assert value.act is Act.UNKNOWN and value.elements[1].act is Act.SIGMOID


def test_loss_objects_are_followed_and_must_agree():
    module = parse("""
    class Lit:
        def __init__(self, loss_fn):
            self.criterion = nn.CrossEntropyLoss()
            self.loss_func = F.binary_cross_entropy_with_logits
            self.losses = {"nll": nn.NLLLoss()}
            self.loss_fn = loss_fn

        def training_step(self, x, y):
            return self.criterion(x, y) + self.loss_func(x, y) + self.losses["nll"](x, y) + self.loss_fn(x, y)

    lit = Lit(nn.MSELoss())
    crit = nn.BCELoss() if cfg.probs else nn.BCEWithLogitsLoss()
    other = crit(x, y)
    """)
    assert sorted(c.family for c in loss_calls(module)) == ["bce_with_logits", "cross_entropy", "nll", "regression"]


def test_binding_is_certain_only_outside_branches():
    module = parse("""
    def f(flag):
        a = 1
        if flag:
            a = 2
        b = 3
        return a, b
    """)
    names = {n.id: n for n in module.nodes("Name") if n.lineno == 10}
    assert binding(module, "a", names["a"]) is None
    assert binding(module, "b", names["b"]).value.value == 3


def test_summaries_are_small_and_picklable():
    module = parse("""
    class Net(nn.Module):
        def forward(self, x):
            return F.softmax(self.fc(x), dim=1)

    class Identity(nn.Module):
        def forward(self, x):
            return x
    """, "models/net.py")
    assert [name for name, _ in module.fact(_classes)] == ["Net"]  # a parameter is not a fact across files
    data = summary(module, [], lambda v: v.act is Act.SOFTMAX)
    assert pickle.loads(pickle.dumps(data)) == data


def run(tmp_path, files: dict[str, str], codes=CODES):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    settings = with_overrides(Settings(root=tmp_path), select=codes, ignore=())
    outcome = lint(["."], tmp_path, settings)
    assert outcome.errors == []
    return outcome.diagnostics


MODEL = PREAMBLE + """\n
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return {"probs": F.softmax(self.fc(x), dim=1), "logits": self.fc(x)}
"""


def test_across_files_through_reexport_and_wrapper(tmp_path):
    found = run(tmp_path, {
        "models/net.py": MODEL,
        "models/__init__.py": "from .net import Net\n",
        "lit.py": """
            import torch.nn as nn
            from models import Net

            class Lit(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = Net()
                    self.criterion = nn.CrossEntropyLoss()

                def forward(self, x):
                    return self.net(x)

                def training_step(self, batch):
                    x, y = batch
                    out = self(x)
                    return self.criterion(out["probs"], y) + self.criterion(out["logits"], y)
        """,
    })
    assert [(d.code, d.path, d.location.line) for d in found] == [("DL201", "lit.py", 17)]
    diagnostic = found[0]
    assert "returned by `Net.forward`: `F.softmax(self.fc(x), dim=1)` (models/net.py:12)" in diagnostic.message
    assert diagnostic.related[0].location.path == "models/net.py"


def test_across_files_unknown_stays_silent(tmp_path):
    found = run(tmp_path, {
        "models/net.py": MODEL,
        "train.py": """
            import torch.nn as nn
            from models.missing import Net
            from models.net import Net as Real

            model = Net()
            real = Real()
            criterion = nn.CrossEntropyLoss()
            loss = criterion(model(x), y) + criterion(real(x)["logits"], y) + criterion(real(x)[0], y)
        """,
    })
    assert found == []


def test_log_of_model_output_across_files(tmp_path):
    found = run(tmp_path, {
        "models/net.py": MODEL,
        "train.py": """
            import torch
            import torch.nn.functional as F
            from models.net import Net

            model = Net()
            loss = F.nll_loss(torch.log(model(x)["probs"] + 1e-9), y)
        """,
    })
    assert [(d.code, d.location.line) for d in found] == [("DL205", 7)]


def test_a_library_file_is_not_slowed_by_loss_facts():
    # Files without any loss text compute no loss calls (the cheap gate before a walk of calls).
    module = parse("y = model(x)\nz = criterion_builder(y)\n")
    module.text = module.text.replace("torch", "tensor")
    assert loss_calls(module) == []


@pytest.mark.parametrize("code,act", [
    ("head = nn.Linear(10, 1)\nloss = nn.BCELoss()(head(x).clamp(0, 1), y)", Act.UNKNOWN),
    ("head = nn.Linear(10, 1)\nloss = nn.BCELoss()(torch.clamp(head(x), min=0.0, max=1.0), y)", Act.UNKNOWN),
    ("head = nn.Linear(10, 1)\nloss = nn.BCELoss()(head(x).clamp(min=-5), y)", Act.LOGITS),
])
def test_scores_clamped_into_the_unit_interval_are_not_raw(code, act):
    assert last_loss_input(code).act is act


@pytest.mark.parametrize("code,act", [
    ("net = nn.Sequential(nn.Linear(4, 3))\nnet.add_module('sm', nn.Softmax(1))\nloss = F.nll_loss(net(x), y)",
     Act.UNKNOWN),
    ("net = nn.Sequential(nn.Linear(4, 3), nn.Softmax(1))\nnet[-1] = nn.LogSoftmax(1)\nloss = F.nll_loss(net(x), y)",
     Act.UNKNOWN),
    ("net = nn.Sequential(nn.Linear(4, 3))\nlayers = []\nlayers.append(1)\nloss = F.nll_loss(net(x), y)", Act.LOGITS),
])
def test_a_sequential_changed_after_construction_is_not_read(code, act):
    assert last_loss_input(code).act is act
