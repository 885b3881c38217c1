"""Project imports resolve to files: absolute, package-relative, and src/ layouts."""

import pytest

from dllint.engine.modules import ModuleIndex, dotted_names

FILES = ["main.py", "models/__init__.py", "models/net.py", "utils/metrics.py", "src/pkg/__init__.py",
         "src/pkg/train.py", "src/pkg/models/__init__.py", "src/pkg/models/res.py", "scripts/my-tool.py"]


def test_dotted_names():
    assert dotted_names("src/pkg/train.py") == ["src.pkg.train", "pkg.train"]
    assert dotted_names("models/__init__.py") == ["models"]
    assert dotted_names("scripts/my-tool.py") == []  # not importable
    assert dotted_names("README.md") == []


@pytest.mark.parametrize("module,importer,expected", [
    ("models.net", None, "models/net.py"),
    ("models", None, "models/__init__.py"),
    ("pkg.train", None, "src/pkg/train.py"),
    (".net", "models/__init__.py", "models/net.py"),
    (".res", "src/pkg/models/__init__.py", "src/pkg/models/res.py"),
    ("..train", "src/pkg/models/res.py", "src/pkg/train.py"),
    (".metrics", "utils/other.py", "utils/metrics.py"),
    ("torch.nn", None, None),
    (".missing", "models/net.py", None),
])
def test_resolve(module, importer, expected):
    assert ModuleIndex(FILES).resolve(module, importer) == expected


def test_resolve_symbol():
    index = ModuleIndex(FILES)
    assert index.resolve_symbol("models.net.Net") == ("models/net.py", "Net")
    assert index.resolve_symbol("pkg.models.res.ResNet.forward") == ("src/pkg/models/res.py", "ResNet.forward")
    assert index.resolve_symbol("..train.run", "src/pkg/models/res.py") == ("src/pkg/train.py", "run")
    assert index.resolve_symbol("torch.nn.Linear") is None
