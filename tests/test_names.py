"""facts/names.py: qualified names through imports, aliases and `import *`."""

from __future__ import annotations

import ast
import textwrap

from dllint.sources.python_file import parse_python


def parse(source: str):
    module = parse_python("train.py", textwrap.dedent(source).encode())
    # module.nodes_by_type is built on first use, as in the engine
    return module


def callee(module, text: str) -> ast.expr:
    """The `func` of the last call whose callee reads `text`."""
    calls = [n for n in module.nodes("Call") if ast.unparse(n.func) == text]
    return calls[-1].func


def test_aliases_resolve_without_stars():
    module = parse("""
        import torch.nn as tnn
        import sklearn.metrics as skm
        tnn.Softmax(dim=1)
        skm.RocCurveDisplay.from_predictions(y, p)
        """)
    names = module.names
    assert names.qualified_name(callee(module, "tnn.Softmax")) == "torch.nn.Softmax"
    func = callee(module, "skm.RocCurveDisplay.from_predictions")
    assert names.candidates(func) == ("sklearn.metrics.RocCurveDisplay.from_predictions",)
    assert names.resolves_to(func, "sklearn.metrics.RocCurveDisplay.from_predictions") is not None


def test_star_import_resolves_bare_and_dotted_names():
    module = parse("""
        from sklearn.metrics import *
        roc_auc_score(y, p)
        RocCurveDisplay.from_predictions(y, p)
        """)
    names = module.names
    assert names.qualified_name(callee(module, "RocCurveDisplay.from_predictions")) is None
    assert names.resolves_to(callee(module, "roc_auc_score"), "sklearn.metrics.roc_auc_score") == \
        "sklearn.metrics.roc_auc_score"
    dotted = callee(module, "RocCurveDisplay.from_predictions")
    assert names.resolves_to(dotted, "sklearn.metrics.roc_curve",
                             "sklearn.metrics.RocCurveDisplay.from_predictions") == \
        "sklearn.metrics.RocCurveDisplay.from_predictions"
    assert names.resolves_to(dotted, "sklearn.metrics.RocCurveDisplay") is None


def test_an_import_of_the_first_name_wins_over_stars():
    module = parse("""
        from sklearn.metrics import *
        from plots import RocCurveDisplay
        RocCurveDisplay.from_predictions(y, p)
        """)
    func = callee(module, "RocCurveDisplay.from_predictions")
    assert module.names.candidates(func) == ("plots.RocCurveDisplay.from_predictions",)
    assert module.names.resolves_to(func, "sklearn.metrics.RocCurveDisplay.from_predictions") is None


def test_every_star_module_is_a_candidate_and_names_keep_their_order():
    module = parse("""
        from torchmetrics import *
        from sklearn.metrics import *
        from .helpers import *
        auroc(p, y)
        """)
    func = callee(module, "auroc")
    assert module.names.candidates(func) == ("torchmetrics.auroc", "sklearn.metrics.auroc", ".helpers.auroc")
    assert module.names.resolves_to(func, "sklearn.metrics.auroc", "torchmetrics.auroc") == "sklearn.metrics.auroc"


def test_a_name_the_file_binds_itself_comes_from_no_star_given_its_scopes():
    module = parse("""
        from sklearn.metrics import *
        from torchmetrics import *

        def roc_auc_score(y, p):
            return 0.5

        def evaluate(out, y):
            roc_auc_score(y, out)
            auroc = AUROC(task="binary")
            auroc(out, y)
            RocCurveDisplay.from_predictions(y, out)
        """)
    names, scopes = module.names, module.scopes
    assert names.candidates(callee(module, "roc_auc_score"), scopes) == ()
    assert names.candidates(callee(module, "auroc"), scopes) == ()
    # Without scopes the answer is by imports alone (what callers that pass none have always had).
    assert "sklearn.metrics.roc_auc_score" in names.candidates(callee(module, "roc_auc_score"))
    display = callee(module, "RocCurveDisplay.from_predictions")
    assert names.resolves_to(display, "sklearn.metrics.RocCurveDisplay.from_predictions", scopes=scopes) == \
        "sklearn.metrics.RocCurveDisplay.from_predictions"


def test_only_dotted_names_have_candidates():
    module = parse("""
        from sklearn.metrics import *
        get_metric("auc")(y, p)
        """)
    call = next(n for n in module.nodes("Call") if isinstance(n.func, ast.Call))
    assert module.names.candidates(call.func) == ()
    assert module.names.resolves_to(call.func, "sklearn.metrics.get_metric") is None
