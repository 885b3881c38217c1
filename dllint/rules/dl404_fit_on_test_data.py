"""DL404: a preprocessing step, resampler or model learns from the test or validation data."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Edit, Fix, Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.bindings import definitions
from dllint.facts.loaders import EVAL, TRAIN, names_test_data, unit_test_file
from dllint.facts.splits import fitter, part_role, roots, shorten

# Models fit on held-out data on purpose: calibration and stacking learn from predictions there.
HELD_OUT_LEARNERS = re.compile(r"calibrat|isotonic|platt|meta|stack|blend|threshold", re.IGNORECASE)
PREDICTIONS = re.compile(r"pred|proba|score|oof|logit|output", re.IGNORECASE)


class FitOnTestData(Rule):
    """
    ## What it does
    Finds `fit`/`fit_transform` of a scaler, encoder, imputer, PCA or selector, and
    `fit_resample` of a sampler, on data named as the test or validation part (`X_test`,
    `test_df`, `X_val`, `y_te`), and a model trained (`fit(X, y)`) on the test part.

    Silent for `transform` of the test data, for data that mixes training and test rows
    (`pd.concat([train, test])`), for calibrators and stacking models, which are meant to learn
    from held-out predictions, for models fit on validation data, and in unit tests
    (`test_*.py` files), where `X_test` is just a fixture.

    ## Why is this bad?
    `scaler.fit_transform(X_test)` scales the test rows by their own statistics: the model sees
    them on a different scale than it was trained on, and the test set's statistics are used to
    evaluate. An encoder fit on the test labels gives them codes of their own; a resampler
    changes the class balance the metrics are measured on; a model fit on the test data makes
    every later score a training score (field notes, steps 7-8: split, then evaluate).

    ## Example
    ```python
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.fit_transform(X_test)
    ```

    ## Use instead
    ```python
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)
    ```
    """

    code = "DL404"
    name = "fit-on-test-data"
    severity = Severity.ERROR
    summary = "A preprocessing step, resampler or model is fit on test or validation data"
    help = "fit on the training data only and apply `transform` to the test data"
    origin = "The whole process of data modeling and analysis (steps 7-8)"
    triggers = ("sklearn", "imblearn", ".fit(X", ".fit(x")

    @dataclass(frozen=True)
    class Options:
        models: bool = field(default=True, metadata={
            "help": "also report models trained with `fit(X_test, y_test)`"})

    def check_python(self, module):
        if unit_test_file(module.path):
            return None
        trained: dict[str, ast.Call] = {}  # receiver -> its fit on training data
        found = []
        for call in module.nodes("Call"):
            func = call.func
            if not isinstance(func, ast.Attribute) or func.attr not in ("fit", "fit_transform", "fit_resample",
                                                                         "fit_sample"):
                continue
            receiver = module.segment(func.value)
            fit = fitter(module, call)
            data = roots(module, fit.data if fit else call.args[0]) if fit or call.args else set()
            if data and all(part_role(n) == TRAIN for n in data):
                trained.setdefault(receiver, call)
            elif fit is not None and data and all(part_role(n) == EVAL for n in data):
                found.append(self._preprocessing(module, call, fit, trained.get(receiver)))
            elif fit is None and self.options.models and func.attr == "fit" and self._model_on_test(module, call):
                found.append(self.diagnostic(module.location(call), (
                    f"`{receiver}` is trained on `{shorten(module, call.args[0])}`, the test data: every score "
                    "measured on it afterwards is a training score"),
                    help="train on the training part; keep the test part for the final evaluation only"))
        return found

    def _preprocessing(self, module, call, fit, earlier):
        shown = shorten(module, fit.data)
        if fit.learns == "rows":
            harm = "the metrics are then measured on a class balance the model will never meet"
        elif fit.learns == "vocabulary":
            harm = "its categories get codes of their own, which need not match the training codes"
        else:
            harm = "it is transformed by its own statistics instead of the training data's, and those leak in"
        message = f"`{fit.what}` is fit on `{shown}` (`{fit.method}`), held-out data: {harm}"
        related, fix = [], None
        if earlier is not None:
            related.append(Related(module.location(earlier), "fit on the training data here"))
            if fit.method == "fit_transform":
                end = module.location(call.func)
                start = end.end_column - len("fit_transform")
                fix = Fix((Edit(end.end_line, start, end.end_line, end.end_column, "transform"),), "unsafe")
        help = "apply `transform` with the step fit on the training data" if fit.learns != "rows" else \
            "resample the training part only"
        return self.diagnostic(module.location(call), message, related=related, fix=fix, help=help)

    @staticmethod
    def _model_on_test(module, call: ast.Call) -> bool:
        if len(call.args) < 2 or any(isinstance(a, ast.Starred) for a in call.args):
            return False
        for argument in call.args[:2]:
            names = roots(module, argument)
            if not names or not all(names_test_data(n.rpartition(".")[2]) for n in names):
                return False
            if PREDICTIONS.search(module.segment(argument)):
                return False
        receiver = call.func.value
        built = [d.value for d in definitions(module, receiver) if d.value is not None] \
            if isinstance(receiver, (ast.Name, ast.Attribute)) else [receiver]
        shown = " ".join([module.segment(receiver), *(module.segment(v) for v in built)])
        return not HELD_OUT_LEARNERS.search(shown)
