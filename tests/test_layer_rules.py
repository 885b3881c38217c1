"""DL601-DL605 and the layer facts they read (dllint/facts/layers.py, dllint/facts/layer_order.py)."""

from __future__ import annotations

import ast
import shutil

import pytest
from conftest import FIXTURES, run_cli

from dllint.facts.layer_order import layer_pairs
from dllint.facts.layers import HIDDEN, flag, layer_calls, sizes, text
from dllint.sources.astwalk import index_by_type
from dllint.sources.python_file import parse_python


def module_of(source: str):
    module = parse_python("train.py", source.encode())
    module.nodes_by_type = index_by_type(module.tree)
    return module


def only_layer(source: str):
    module = module_of(source)
    (layer,) = layer_calls(module)
    return module, layer


@pytest.mark.parametrize("source,name,functional", [
    ("import torch.nn as nn\nnn.ConvTranspose2d(1, 2, 3)", "ConvTranspose2d", False),
    ("from torch import nn as tnn\ntnn.MaxPool2d(2)", "MaxPool2d", False),
    ("import torch\ntorch.nn.modules.conv.Conv2d(1, 2, 3)", "Conv2d", False),
    ("import torch.nn.functional as F\nF.interpolate(x, scale_factor=2)", "interpolate", True),
    ("from torch.nn.functional import upsample\nupsample(x, 2)", "upsample", True),
    ("from torch.nn import *\nBatchNorm2d(3)", "BatchNorm2d", False),
])
def test_layers_are_recognised_by_qualified_name(source, name, functional):
    _, layer = only_layer(source)
    assert (layer.name, layer.functional) == (name, functional)


@pytest.mark.parametrize("source", [
    "class Conv2d:\n    pass\nConv2d(1, 2, 3)",  # the project's own class
    "import mmcv\nmmcv.cnn.ConvTranspose2d(1, 2, 3)",
    "def upsample(x):\n    return x\nupsample(1)",
    "from torch.nn import *\nclass Upsample:\n    pass\nUpsample(2)",
])
def test_other_callables_with_torch_names_are_not_layers(source):
    assert layer_calls(module_of(source)) == []


def test_arguments_by_keyword_position_default_and_hidden():
    module, layer = only_layer("import torch.nn as nn\nnn.ConvTranspose2d(8, 4, 3, 2, padding=1)")
    assert isinstance(layer.argument("kernel_size"), ast.Constant)
    assert layer.argument("padding").value == 1
    assert layer.argument("dilation") is None
    assert sizes(module, layer, "stride") == (2, 2)
    assert sizes(module, layer, "dilation", 1) == (1, 1)
    _, starred = only_layer("import torch.nn as nn\nnn.ConvTranspose2d(8, *rest)")
    assert starred.argument("in_channels").value == 8
    assert starred.argument("kernel_size") is HIDDEN
    _, spread = only_layer("import torch.nn as nn\nnn.Conv2d(8, 4, 3, **cfg)")
    assert spread.argument("kernel_size").value == 3 and spread.argument("bias") is HIDDEN


def test_sizes_follow_constants_and_refuse_what_is_not_visible():
    module, layer = only_layer("import torch.nn as nn\nK = (3, 5)\nnn.MaxPool2d(K, stride=None)")
    assert sizes(module, layer, "kernel_size") == (3, 5)
    assert sizes(module, layer, "stride", (3, 5)) == (3, 5)  # None means "the kernel size"
    for source in ("def f(k):\n    nn.MaxPool2d(k)", "nn.MaxPool2d((2, 2, 2))", "nn.MaxPool2d(2.5)",
                   "nn.MaxPool2d(0)"):
        module, layer = only_layer("import torch.nn as nn\n" + source)
        assert sizes(module, layer, "kernel_size") is None, source


def test_text_and_flag():
    module, layer = only_layer("import torch.nn as nn\nMODE = 'bicubic'\nnn.Upsample(None, 2, MODE)")
    assert text(module, layer, "mode") == "bicubic"
    assert text(module, layer, "align_corners") is None
    module, layer = only_layer("import torch.nn as nn\nnn.Conv2d(1, 2, 3, bias=use_bias)")
    assert flag(module, layer, "bias", True) is None
    module, layer = only_layer("import torch.nn as nn\nnn.Linear(1, 2)")
    assert flag(module, layer, "bias", True) is True


def test_layer_pairs_say_how_the_output_is_handed_over():
    module = module_of(
        "import torch.nn as nn\n"
        "seq = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))\n"
        "class B(nn.Module):\n"
        "    def __init__(self):\n"
        "        self.c = nn.Conv2d(1, 2, 3)\n"
        "        self.n = nn.BatchNorm2d(2)\n"
        "    def forward(self, x):\n"
        "        y = self.c(x)\n"
        "        return self.n(y)\n"
        "layers = []\n"
        "layers.append(nn.Linear(2, 2))\n"
        "layers.append(nn.BatchNorm1d(2))\n")
    found = {(p.first.name, p.second.name, p.how) for p in layer_pairs(module)}
    assert found == {("Conv2d", "BatchNorm2d", "in the same `nn.Sequential`"),
                     ("Conv2d", "BatchNorm2d", "through `y`"),
                     ("Linear", "BatchNorm1d", "through consecutive `append`s")}


def test_fix_rewrites_deprecated_upsampling_keeping_align_corners(tmp_path):
    shutil.copy(FIXTURES / "DL602" / "pspnet_old_upsampling.py", tmp_path / "model.py")
    result = run_cli(["check", ".", "--select", "DL602", "--fix", "--no-cache"], tmp_path)
    fixed = (tmp_path / "model.py").read_text()
    ast.parse(fixed)
    assert "F.interpolate(f(x), x_size[2:], mode='bilinear')" in fixed
    assert "nn.Upsample(scale_factor=8, mode='bilinear', align_corners=True)" in fixed
    assert "nn.Upsample(scale_factor=8, mode='nearest')" in fixed
    assert "return F.interpolate(x, size=size, mode='bilinear', align_corners=True)" in fixed
    assert "torch.nn.functional.interpolate(x, scale_factor=2, mode='nearest')" in fixed
    # The name imported on its own would need its import rewritten: reported, left as it is.
    assert "upsample_nearest(labels.float(), size=size)" in fixed
    assert result.stdout.count("DL602") == 1 and ":42:" in result.stdout
    assert result.returncode == 1


def test_fix_inserts_before_a_trailing_comma_and_into_empty_calls(tmp_path):
    source = ("import torch.nn as nn\nimport torch.nn.functional as F\n\n"
              "up = nn.UpsamplingNearest2d()\n"
              "y = F.upsample_bilinear(\n    x,\n    scale_factor=2,\n)\n")
    (tmp_path / "net.py").write_text(source)
    run_cli(["check", ".", "--select", "DL602", "--fix", "--no-cache"], tmp_path)
    fixed = (tmp_path / "net.py").read_text()
    assert 'up = nn.Upsample(mode="nearest")' in fixed
    assert 'scale_factor=2, mode="bilinear", align_corners=True,\n)' in fixed
    ast.parse(fixed)


def test_diff_shows_the_fix_and_writes_nothing(tmp_path):
    source = "import torch.nn.functional as F\ny = F.upsample(x, scale_factor=2)\n"
    (tmp_path / "net.py").write_text(source)
    result = run_cli(["check", ".", "--select", "DL602", "--diff", "--no-cache"], tmp_path)
    assert "+y = F.interpolate(x, scale_factor=2)" in result.stdout
    assert (tmp_path / "net.py").read_text() == source
