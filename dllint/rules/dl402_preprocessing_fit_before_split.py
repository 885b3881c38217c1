"""DL402: a preprocessing step learns from rows that a later split puts in the evaluation part."""

from __future__ import annotations

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.leakage import TEXT as LEAKAGE_TEXT
from dllint.facts.leakage import exported, leaks
from dllint.facts.leaks import describe, project_leaks

HARM = {
    "statistics": "the evaluation rows' statistics shape the preprocessing, so the score is optimistic",
    "labels": "the evaluation rows' labels pick what the model sees, so the score is optimistic",
    "vocabulary": "categories seen only in the evaluation rows are already known to the encoder",
}


class PreprocessingFitBeforeSplit(Rule):
    """
    ## What it does
    Finds a scaler, imputer, PCA, feature selector, TF-IDF vectorizer or target encoder that is
    fit (`fit`, `fit_transform`, `scale(X)`) on data that is split afterwards: by
    `train_test_split`, a CV splitter's `.split(X)`, `cross_val_score` and friends, a search
    (`GridSearchCV.fit`) or `*CV` estimator, `random_split`, or slicing into `X_train`/`X_test`.
    The data is followed through assignments, column loops (`df[col] = scaler.fit_transform(...)`),
    `drop`/`values`/`np.hstack`, and helper functions of the same file or of other files of the
    project that fit their parameter.

    Silent when the fit comes after the split (`scaler.fit(X_train)`, then `transform(X_test)`),
    when the step is inside a `Pipeline` given to the cross-validation, for steps that learn
    nothing from the rows (a constant imputer, `Normalizer`, `PolynomialFeatures`), and in
    branches that never run together. A fit on the training part leaks when that part is split
    again into training and validation; when it is cross-validated instead, the fit is reported
    only if the step learns from the labels (feature selection, target encoding): a scaler's
    mean and std over the training folds barely move. Encoders that only learn the
    category vocabulary are left alone unless `vocabulary_encoders` is set.

    ## Why is this bad?
    The test rows were meant to be unseen. A scaler fit on all rows has seen their mean and
    spread, a selector has seen their labels, and the score measured on them is optimistic: it
    will not hold on new data (field notes, steps 3-4 and 7: clean and standardize, then split).

    ## Example
    ```python
    import pandas as pd
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    df = pd.read_csv("data.csv")
    X, y = df.drop(columns="label"), df["label"]
    X_scaled = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, test_size=0.2)
    ```

    ## Use instead
    ```python
    import pandas as pd
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    df = pd.read_csv("data.csv")
    X, y = df.drop(columns="label"), df["label"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ```
    """

    code = "DL402"
    name = "preprocessing-fit-before-split"
    severity = Severity.ERROR
    summary = "A preprocessing step is fit on data that is split afterwards (leakage)"
    help = ("split first and fit on the training part only, or put the step in a `Pipeline` so that "
            "cross-validation refits it on each training fold")
    origin = "The whole process of data modeling and analysis (steps 3-4 and 7)"
    # The leakage facts need one of these (`leakage.TEXT`): narrower tokens keep dllint fast.
    triggers = LEAKAGE_TEXT

    @dataclass(frozen=True)
    class Options:
        vocabulary_encoders: bool = field(default=False, metadata={
            "help": "also report one-hot, ordinal and label encoders, which learn only the categories"})

    def _wanted(self, learns: str) -> bool:
        return learns in ("statistics", "labels") or (learns == "vocabulary" and self.options.vocabulary_encoders)

    def check_python(self, module):
        return [self._report(leak) for leak in leaks(module) if self._wanted(leak.fit.learns)]

    def summarize_python(self, module):
        return exported(module) or None

    def check_project(self, project):
        return [self._report(leak) for leak in project_leaks(project, self.code) if self._wanted(leak.fit.learns)]

    def _report(self, leak):
        fit = leak.fit
        message, related = describe(leak, f"`{fit.what}` learns from all rows of `{fit.data}` (`{fit.method}`)",
                                    f"fits `{fit.what}` on these rows", HARM[fit.learns])
        return self.diagnostic(leak.anchor, message, related=related)
