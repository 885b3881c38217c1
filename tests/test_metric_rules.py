"""The metric rules' facts beyond the fixtures: sides of a comparison, class counts, cross-file
summaries (picklable, joined through the project's imports), and the rules' severities."""

from __future__ import annotations

import pickle
import textwrap

import pytest
from conftest import FIXTURES

from dllint.engine.diagnostic import Severity
from dllint.engine.runner import lint
from dllint.engine.settings import Settings, with_overrides
from dllint.facts.class_counts import class_counts
from dllint.facts.function_summaries import file_flows
from dllint.facts.kinds import Kind
from dllint.facts.metric_roles import CURVE, PREDICTION, TRUTH, role_of
from dllint.sources.python_file import parse_python


def parse(source: str):
    module = parse_python("train.py", textwrap.dedent(source).encode())
    # module.nodes_by_type is built on first use, as in the engine
    return module


def side(setup: str, expr: str):
    module = parse(f"{setup}\nprint({expr})\n")
    call = next(c for c in module.nodes("Call") if getattr(c.func, "id", "") == "print")
    found = role_of(module, call.args[0])
    return found.side if found else None


ROLES = [
    ("", "y_test", TRUTH),
    ("", "all_labels", TRUTH),
    ("", 'batch["labels"]', TRUTH),
    ("", "p.label_ids", TRUTH),
    ("", "np.array(val_targets).ravel()", TRUTH),
    ("", "y_pred", PREDICTION),
    ("", "preds.cpu().numpy()", PREDICTION),
    ("", "clf.predict(X_test)", PREDICTION),
    ("", "model(x).logits", PREDICTION),
    ("labels = model(x).argmax(dim=1)", "labels", PREDICTION),  # the origin beats the name
    ("y_true = np.argmax(y_test_onehot, axis=1)", "y_true", TRUTH),
    ("y_true = np.argmax(y_onehot, axis=1)", "y_true", TRUTH),
    ("fpr, tpr, _ = roc_curve(y, s)", "fpr", CURVE),
    ("", "x_train", None),
    ("", "a", None),
    ("", "first", None),
]


@pytest.mark.parametrize("setup,expr,expected", ROLES)
def test_roles(setup, expr, expected):
    assert side(setup, expr) == expected


COUNTS = [
    ("import torchvision\nds = torchvision.datasets.CIFAR10('d')", [10]),
    ("from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)", [3]),
    ("from sklearn.datasets import load_digits\nX, y = load_digits(n_class=4, return_X_y=True)", [4]),
    ("from sklearn.datasets import make_classification\nX, y = make_classification()", [2]),
    ("NUM_CLASSES = 5", [5]),
    ("model = build(num_labels=7)", [7]),
    ("parser.add_argument('--num-classes', type=int, default=100)", [100]),
    ("classes = ('cat', 'dog', 'bird')", [3]),
    ("num_classes = len(names)", []),
    ("hidden = 128", []),
]


@pytest.mark.parametrize("source,expected", COUNTS)
def test_class_counts(source, expected):
    assert [c.count for c in class_counts(parse(source))] == expected


def test_file_summaries_are_small_and_picklable():
    module = parse("""
        import numpy as np
        from sklearn.metrics import roc_auc_score
        from .predict import predict_labels

        def compute(preds, labels):
            return roc_auc_score(labels, preds)

        def labels_of(model, x):
            return model(x).argmax(1)

        def run(model, x, y):
            out = model(x).argmax(1)
            report(out, y)
            return roc_auc_score(y, predict_labels(model, x))
        """)
    flows = file_flows(module, Kind.HARD_LABELS)
    assert [s.parameter for s in flows.sinks["compute"]] == ["preds"]
    assert flows.returns["labels_of"].kind == Kind.HARD_LABELS.value
    assert [i.callee for i in flows.intakes] == [".predict.predict_labels"]
    assert pickle.loads(pickle.dumps(flows)) == flows
    assert file_flows(module, Kind.HARD_LABELS) is flows  # cached per file


def run(case, code):
    settings = with_overrides(Settings(root=case), select=(code,), ignore=())
    outcome = lint(["."], case, settings)
    assert outcome.errors == []
    return outcome.diagnostics


def test_cross_file_findings_name_the_other_end():
    findings = run(FIXTURES / "DL101" / "project_eval_loop_into_metrics_helper", "DL101")
    first = min(findings, key=lambda d: d.location.line)
    assert first.location.path == "main.py" and first.location.line == 17
    assert "`compute_metrics` passes `preds` to `roc_auc_score`" in first.message
    assert "utils/metrics.py:13" in first.message
    assert {r.location.path for r in first.related} == {"utils/metrics.py", "main.py"}
    returned = run(FIXTURES / "DL101" / "project_helper_returns_labels", "DL101")
    labels = next(d for d in returned if d.location.line == 14)
    assert "holds what `predict_labels` returns (src/clfkit/inference.py:16)" in labels.message
    assert [r.location.path for r in labels.related] == ["src/clfkit/inference.py"]


def test_cross_file_fallback_is_info(tmp_path):
    (tmp_path / "requirements.txt").write_text("scikit-learn\n")
    (tmp_path / "scoring.py").write_text(textwrap.dedent("""
        from sklearn.utils.validation import check_is_fitted

        def scores(clf, X):
            check_is_fitted(clf)
            if hasattr(clf, "predict_proba"):
                return clf.predict_proba(X)[:, 1]
            else:
                return clf.predict(X)
        """))
    (tmp_path / "bench.py").write_text(textwrap.dedent("""
        from sklearn.metrics import roc_auc_score
        from sklearn.svm import LinearSVC
        from scoring import scores

        clf = LinearSVC().fit(X, y)
        print(roc_auc_score(y_test, scores(clf, X_test)))
        """))
    (finding,) = run(tmp_path, "DL101")
    assert finding.severity is Severity.INFO and finding.location.path == "bench.py"


def test_unknown_origin_across_files_stays_silent(tmp_path):
    (tmp_path / "requirements.txt").write_text("torch\n")
    (tmp_path / "helpers.py").write_text("def passthrough(x):\n    return x\n\ndef load(p):\n    return open(p)\n")
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from sklearn.metrics import roc_auc_score
        from helpers import load, passthrough
        print(roc_auc_score(y, passthrough(scores)), roc_auc_score(y, load("p.npy")))
        print(roc_auc_score(y, passthrough(model(x).softmax(1)[:, 1])))
        """))
    assert run(tmp_path, "DL101") == []
