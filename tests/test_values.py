"""facts/values.py: what an expression holds, and DL101's use of it beyond the fixtures."""

from __future__ import annotations

import textwrap

import pytest
from conftest import FIXTURES

from dllint.engine.diagnostic import Severity
from dllint.engine.runner import lint
from dllint.engine.settings import Settings, load_settings, with_overrides
from dllint.facts.bindings import argument_for, assigned_values, call_sites
from dllint.facts.kinds import Kind
from dllint.facts.values import MAX_CALL_DEPTH, kind_of
from dllint.sources.python_file import parse_python


def parse(source: str):
    module = parse_python("train.py", textwrap.dedent(source).encode())
    # module.nodes_by_type is built on first use, as in the engine
    return module


def last_argument(module, function: str = "roc_auc_score", index: int = 1):
    """The `index`-th argument of the last call of `function` in the file."""
    calls = [n for n in module.nodes("Call") if getattr(n.func, "id", getattr(n.func, "attr", "")) == function]
    return max(calls, key=lambda c: (c.lineno, c.col_offset)).args[index]


def kind(source: str, function: str = "roc_auc_score", index: int = 1):
    module = parse(source)
    return kind_of(module, last_argument(module, function, index))


HARD = [
    "preds = outputs.argmax(1)",
    "preds = torch.argmax(outputs, dim=-1).cpu().numpy()",
    "_, preds = torch.max(outputs.data, 1)",
    "preds = torch.max(outputs, dim=1)[1]",
    "preds = outputs.max(-1).indices.tolist()",
    "preds = outputs.topk(1).indices.squeeze(1)",
    "preds = (probs > 0.5).astype(int)",
    "preds = (probs >= threshold).astype(np.int64)",
    "preds = probs > 0.5",
    "preds = torch.sigmoid(logits).round()",
    "preds = np.round(probs)",
    "preds = np.rint(probs)",
    "preds = round(p)",
    "preds = (torch.sigmoid(logits) > 0.5).long().view(-1)",
    "preds = probs.gt(0.5).int()",
    "preds = (probs > 0.5).to(torch.int64)",
    "preds = (logits > 0).type(torch.LongTensor)",
    "preds = torch.where(probs > 0.5, 1, 0)",
    "preds = np.where(probs > 0.5, 1.0, 0.0)",
    "preds = [1 if p > 0.5 else 0 for p in probs]",
    "preds = [int(p > 0.5) for p in probs]",
    "preds = model.predict_classes(x)",
    "preds = 1 - outputs.argmax(1)",
    "preds = torch.tensor(probs, dtype=torch.long)",
    "preds = np.clip(outputs.argmax(1), 0, 1)",
]


@pytest.mark.parametrize("line", HARD)
def test_hard_labels(line):
    found = kind(f"""
        import numpy as np
        import torch
        {line}
        roc_auc_score(y, preds)
        """)
    assert found.kind is Kind.HARD_LABELS, line
    assert found.evidence is not None and found.evidence.line == 4


SCORES = [
    "preds = clf.predict_proba(X)[:, 1]",
    "preds = clf.decision_function(X)",
    "preds = -iso.score_samples(X)",
    "preds = torch.softmax(outputs, dim=1)[:, 1]",
    "preds = F.softmax(outputs, 1).max(dim=1)[0]",
    "preds = outputs.sigmoid().detach().cpu().numpy()",
    "preds = scipy.special.expit(margin)",
    "preds = np.round(torch.sigmoid(logits).numpy(), 3)",
    "preds = torch.sigmoid(logits).round(decimals=2)",
    "preds = np.where(mask, torch.sigmoid(logits).numpy(), 0.0)",
    "preds = nn.Softmax(dim=-1)(outputs)[:, 1]",
]


@pytest.mark.parametrize("line", SCORES)
def test_scores(line):
    found = kind(f"""
        import numpy as np
        import scipy.special
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        {line}
        roc_auc_score(y, preds)
        """)
    assert found.kind is Kind.SCORES, line


UNKNOWN = [
    "preds = model(x)",
    "preds = outputs.max(1)[0]",  # the largest logit: a score, but of unknown scale
    "preds = load_predictions('preds.npy')",
    "preds = np.concatenate([outputs.argmax(1), extra])",  # one member unknown: no claim
    "preds = outputs.argmax(1) * torch.softmax(outputs, 1)[:, 1]",  # mixed
    "preds = max(scores, 0)",
    "preds = frame.where(frame > 0, 0, 1)",  # pandas' `where`, not numpy's
    "preds = predict(model, x)",  # a project function imported from another file
]


@pytest.mark.parametrize("line", UNKNOWN)
def test_unknown(line):
    found = kind(f"""
        import numpy as np
        import torch
        {line}
        roc_auc_score(y, preds)
        """)
    assert found.kind is Kind.UNKNOWN, line


def test_list_appends_joined_then_chained():
    found = kind("""
        import numpy as np
        import torch
        all_preds = []
        for x, y in loader:
            out = model(x)
            all_preds.append(out.argmax(dim=1))
        preds = torch.cat(all_preds, dim=0).detach().cpu().numpy().ravel()
        roc_auc_score(targets, preds)
        """)
    assert found.kind is Kind.HARD_LABELS
    assert found.evidence.line == 7


def test_extend_augassign_and_np_append():
    for fill in ("y_pred.extend(predicted.cpu().numpy())", "y_pred += predicted.tolist()",
                 "y_pred = np.append(y_pred, predicted.cpu().numpy())"):
        found = kind(f"""
            import numpy as np
            import torch
            y_pred = []
            for x, y in loader:
                _, predicted = torch.max(net(x), 1)
                {fill}
            roc_auc_score(y_true, y_pred)
            """)
        assert found.kind is Kind.HARD_LABELS, fill


def test_latest_definition_wins():
    found = kind("""
        import torch
        preds = out.argmax(1)
        preds = torch.softmax(out, 1)[:, 1]
        roc_auc_score(y, preds)
        """)
    assert found.kind is Kind.SCORES
    found = kind("""
        import torch
        preds = torch.softmax(out, 1)[:, 1]
        preds = out.argmax(1)
        roc_auc_score(y, preds)
        """)
    assert found.kind is Kind.HARD_LABELS


def test_tuple_returned_from_same_file_function():
    found = kind("""
        import numpy as np
        import torch

        def infer(model, x):
            logits = model(x)
            return torch.softmax(logits, -1)[:, 1], logits.argmax(-1)

        probs, labels = infer(model, x)
        roc_auc_score(y, probs)
        roc_auc_score(y, labels)
        """)
    assert found.kind is Kind.HARD_LABELS and found.evidence.line == 7


def test_parameters_are_replaced_by_the_callers_arguments():
    source = """
        import torch

        def to_numpy(t):
            return t.detach().cpu().numpy()

        hard = to_numpy(out.argmax(1))
        soft = to_numpy(out.softmax(1))
        roc_auc_score(y, soft)
        roc_auc_score(y, hard)
        """
    assert kind(source).kind is Kind.HARD_LABELS
    module = parse(source)
    calls = [n for n in module.nodes("Call") if getattr(n.func, "id", "") == "roc_auc_score"]
    assert kind_of(module, min(calls, key=lambda c: c.lineno).args[1]).kind is Kind.SCORES


def test_call_depth_is_limited():
    chain = "\n".join(f"def f{i}(x):\n    return f{i + 1}(x)\n" for i in range(MAX_CALL_DEPTH + 2))
    found = kind(f"""
import torch
{chain}
def f{MAX_CALL_DEPTH + 2}(x):
    return x.argmax(1)

roc_auc_score(y, f0(out))
""")
    assert found.kind is Kind.UNKNOWN


def test_recursion_and_cycles_end():
    found = kind("""
        def walk(node):
            return walk(node.parent)

        a = b
        b = a
        roc_auc_score(y, walk(tree))
        roc_auc_score(y, a)
        """)
    assert found.kind is Kind.UNKNOWN


def test_parameter_kind_and_call_sites():
    module = parse("""
        from sklearn import metrics
        from sklearn.linear_model import LogisticRegression

        def obtain_auc(actual, pred):
            fpr, tpr, _ = metrics.roc_curve(actual, pred, pos_label=1)
            return metrics.auc(fpr, tpr)

        model = LogisticRegression().fit(X, y)
        obtain_auc(y_test, model.predict(X_test))
        obtain_auc(y_test, pred=model.predict_proba(X_test)[:, 1])
        """)
    found = kind_of(module, last_argument(module, "roc_curve"))
    assert found.kind is Kind.PARAMETER
    function, name = found.parameter
    assert (function.name, name) == ("obtain_auc", "pred")
    sites = call_sites(module, function)
    assert [call.lineno for call, _ in sites] == [10, 11]
    kinds = [kind_of(module, argument_for(call, function, name, offset)).kind for call, offset in sites]
    assert kinds == [Kind.HARD_LABELS, Kind.SCORES]


def test_method_call_sites_skip_self():
    module = parse("""
        class Evaluator:
            def auc(self, y, scores):
                return roc_auc_score(y, scores)

            def run(self, out, y):
                return self.auc(y, out.argmax(1))
        """)
    found = kind_of(module, last_argument(module))
    (call, offset), = call_sites(module, found.parameter[0])
    assert offset == 1
    assert kind_of(module, argument_for(call, found.parameter[0], "scores", offset)).kind is Kind.HARD_LABELS


def test_self_attributes_across_methods():
    found = kind("""
        import torch

        class Lit:
            def __init__(self):
                self.preds = []

            def validation_step(self, batch, i):
                self.preds.append(self.model(batch[0]).argmax(1))

            def on_validation_epoch_end(self):
                roc_auc_score(self.targets, torch.cat(self.preds))
        """)
    assert found.kind is Kind.HARD_LABELS and found.evidence.line == 9


PREDICT = [
    ("from sklearn.ensemble import RandomForestClassifier\nclf = RandomForestClassifier().fit(X, y)",
     Kind.HARD_LABELS),
    ("from sklearn.pipeline import Pipeline\nclf = Pipeline([('s', Scaler()), ('svc', SVC())])",
     Kind.HARD_LABELS),
    (("from sklearn.model_selection import GridSearchCV\n"
     "clf = GridSearchCV(LogisticRegression(), grid).fit(X, y).best_estimator_"), Kind.HARD_LABELS),
    ("from sklearn.ensemble import IsolationForest\nclf = IsolationForest()", Kind.HARD_LABELS),
    ("from sklearn.ensemble import GradientBoostingRegressor\nclf = GradientBoostingRegressor()", Kind.SCORES),
    ("from sklearn.linear_model import Ridge\nclf = Ridge(alpha=1.0)", Kind.SCORES),
    ("import tensorflow as tf\nclf = tf.keras.models.load_model('m.keras')", Kind.SCORES),
    ("import xgboost as xgb\nclf = xgb.train(params, dtrain)", Kind.SCORES),
    ("import statsmodels.api as sm\nclf = sm.Logit(y, X).fit()", Kind.SCORES),
    # Origin not visible: labels only in a scikit-learn file without other model libraries.
    ("import joblib\nfrom sklearn.model_selection import train_test_split\nclf = joblib.load('m.pkl')",
     Kind.HARD_LABELS),
    ("import joblib, torch\nfrom sklearn.model_selection import KFold\nclf = joblib.load('m.pkl')",
     Kind.UNKNOWN),
    ("import joblib\nfrom sklearn.metrics import roc_auc_score\nclf = joblib.load('m.pkl')", Kind.UNKNOWN),
    ("from keras.models import load_model\nfrom sklearn.svm import SVC\nclf = load_model('m.h5')", Kind.SCORES),
    ("from xgboost import XGBClassifier\nclf = XGBClassifier()", Kind.HARD_LABELS),
    ("from sklearn.svm import SVC\nclf = build_model()", Kind.UNKNOWN),
]


@pytest.mark.parametrize("setup,expected", PREDICT)
def test_predict_by_model_origin(setup, expected):
    found = kind(f"{setup}\nroc_auc_score(y, clf.predict(X))\n")
    assert found.kind is expected, setup


def test_models_iterated_from_a_literal_collection():
    source = """
        from sklearn.svm import SVC
        import torch
        models = {{"a": {first}, "b": {second}}}
        for name, model in models.items():
            roc_auc_score(y, model.predict(X))
        """
    found = kind(source.format(first="SVC()", second="RandomForestClassifier()"))
    assert found.kind is Kind.HARD_LABELS
    assert "each of `SVC`, `RandomForestClassifier`" in found.evidence.what
    assert kind(source.format(first="Ridge()", second="SVR()")).kind is Kind.SCORES
    assert kind(source.format(first="SVC()", second="SVR()")).kind is Kind.UNKNOWN


def test_cross_val_predict_method():
    source = """
        from sklearn.model_selection import cross_val_predict
        from sklearn.svm import SVC
        roc_auc_score(y, cross_val_predict(SVC(), X, y{extra}))
        """
    assert kind(source.format(extra="")).kind is Kind.HARD_LABELS
    assert kind(source.format(extra=", method='decision_function'")).kind is Kind.SCORES
    assert kind(source.format(extra=", method=method")).kind is Kind.UNKNOWN


def test_predict_keywords_that_return_scores():
    found = kind("from xgboost import XGBClassifier\nclf = XGBClassifier()\n"
                 "roc_auc_score(y, clf.predict(X, output_margin=True))\n")
    assert found.kind is Kind.SCORES


def test_same_file_predict_method_decides():
    source = """
        import torch

        class Wrapper:
            def predict(self, x):
                return {body}

        w = Wrapper()
        roc_auc_score(y, w.predict(x))
        """
    assert kind(source.format(body="torch.sigmoid(self.net(x))")).kind is Kind.SCORES
    assert kind(source.format(body="self.net(x).argmax(1)")).kind is Kind.HARD_LABELS


def test_fallback_when_no_scores_are_available():
    found = kind("""
        from sklearn.svm import SVC
        if hasattr(clf, "predict_proba"):
            s = clf.predict_proba(X)[:, 1]
        elif hasattr(clf, "decision_function"):
            s = clf.decision_function(X)
        else:
            s = clf.predict(X)
        roc_auc_score(y, s)
        """)
    assert found.kind is Kind.HARD_LABELS and found.fallback
    found = kind("""
        from sklearn.svm import SVC

        def scores(clf, X):
            try:
                return clf.predict_proba(X)[:, 1]
            except AttributeError:
                return clf.predict(X)

        roc_auc_score(y, scores(clf, X))
        """)
    assert found.kind is Kind.HARD_LABELS and found.fallback


def test_assigned_values_of_self_attributes():
    module = parse("""
        class M:
            def setup(self):
                self.auroc = BinaryAUROC()

            def step(self, p, t):
                self.auroc.update(p, t)
        """)
    call = next(n for n in module.nodes("Call") if getattr(n.func, "attr", "") == "update")
    (value,) = assigned_values(module, call.func.value)
    assert value.func.id == "BinaryAUROC"


def test_cached_per_module_and_comprehensions_do_not_break_scopes():
    module = parse("""
        preds = [int(p > 0.5) for p in probs]
        roc_auc_score(y, preds)
        """)
    argument = last_argument(module)
    assert kind_of(module, argument) is kind_of(module, argument)
    assert kind_of(module, argument).kind is Kind.HARD_LABELS


# The rule beyond the fixture harness: severities, options, related locations. ---------------
def run_rule(path, settings_text=""):
    """Lint one file with only DL101, under the given `dllint.yaml` text (as a user would)."""
    root = path.parent
    if settings_text:
        (root / "dllint.yaml").write_text(settings_text, encoding="utf-8")
        settings = load_settings(root / "dllint.yaml", root)
    else:
        settings = Settings(root=root)
    outcome = lint([path.name], root, with_overrides(settings, select=("DL101",), ignore=()))
    assert outcome.errors == []
    return outcome.diagnostics


def test_fallback_is_info_and_can_be_turned_off(tmp_path):
    case = tmp_path / "bench.py"
    case.write_bytes((FIXTURES / "DL101" / "hasattr_fallback.py").read_bytes())
    (finding,) = run_rule(case)
    assert finding.severity is Severity.INFO
    assert run_rule(case, "rules:\n  DL101:\n    report-fallback: false\n") == []


def test_errors_name_the_origin_on_another_line():
    findings = run_rule(FIXTURES / "DL101" / "field_notes_obtain_auc.py")
    (finding,) = findings
    assert finding.severity is Severity.ERROR
    assert "`obtain_auc` passes `pred` to `roc_curve`" in finding.message
    lines = sorted(r.location.line for r in finding.related)
    assert lines == [20, 35]  # the metric inside the helper, and where the labels were made


# Dict items, in-place rewrites, probability columns, logits, imported functions. ---------------
def test_dict_items_written_or_built_as_literals():
    assert kind("""
        import torch
        out = {"preds": logits.argmax(1), "probs": torch.softmax(logits, 1)[:, 1]}
        roc_auc_score(y, out["preds"])
        """).kind is Kind.HARD_LABELS
    assert kind("""
        import torch
        results = {}
        results["preds"] = logits.argmax(1).cpu().numpy()
        results["probs"] = torch.sigmoid(logits).cpu().numpy()
        roc_auc_score(y, results["probs"])
        roc_auc_score(y, results["preds"])
        """).kind is Kind.HARD_LABELS
    assert kind("""
        out = {"preds": logits.argmax(1)}
        roc_auc_score(y, out["scores"])
        """).kind is Kind.UNKNOWN


@pytest.mark.parametrize("rewrite", ["y_pred[y_pred > 0.5] = 1", "y_pred.round_()", "y_pred[:] = 0"])
def test_values_rewritten_in_place_are_unknown(rewrite):
    found = kind(f"""
        import torch
        y_pred = torch.sigmoid(model(x))
        {rewrite}
        accuracy_score(y, y_pred)
        """, "accuracy_score")
    assert found.kind is Kind.UNKNOWN


def test_probability_columns():
    source = """
        import torch
        proba = clf.predict_proba(X)
        {line}
        roc_auc_score(y, p)
        """
    assert kind(source.format(line="p = proba[:, 0]")).column == 0
    assert kind(source.format(line="p = torch.softmax(out, 1)[..., 0].numpy()")).column == 0
    assert kind(source.format(line="p = proba[:, 1]")).column == 1
    for line in ("p = 1 - proba[:, 0]", "p = -proba[:, 0]", "p = torch.sigmoid(out)[:, 0]", "p = proba[0]"):
        found = kind(source.format(line=line))
        assert found.kind is Kind.SCORES and found.column is None, line


def test_logits_attribute_is_scores():
    assert kind("accuracy_score(y, model(**batch).logits)", "accuracy_score").kind is Kind.SCORES


def test_imported_functions_are_external_only_when_traced():
    from dllint.facts.values import traced_kind

    module = parse("""
        from utils.predict import predict_labels
        preds = predict_labels(model, loader)
        _, hard = predict_labels(model, loader)
        roc_auc_score(y, preds)
        roc_auc_score(y, hard)
        """)
    first, second = sorted((c for c in module.nodes("Call") if getattr(c.func, "id", "") == "roc_auc_score"),
                           key=lambda c: c.lineno)
    assert kind_of(module, first.args[1]).kind is Kind.UNKNOWN
    traced = traced_kind(module, first.args[1])
    assert traced.kind is Kind.EXTERNAL and module.qualified_name(traced.call.func) == "utils.predict.predict_labels"
    assert traced_kind(module, second.args[1]).selection == (1,)
