"""DL403: rows are over- or under-sampled before the data is split or cross-validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.leakage import TEXT as LEAKAGE_TEXT
from dllint.facts.leakage import exported, leaks
from dllint.facts.leaks import describe, project_leaks

UNDER = re.compile(r"Under|NearMiss|Tomek|NearestNeighbours|ClusterCentroids|OneSided|Neighbourhood|"
                   r"InstanceHardness|CondensedNearest|AllKNN")


class ResamplingBeforeSplit(Rule):
    """
    ## What it does
    Finds `fit_resample` of an imbalanced-learn sampler (SMOTE, ADASYN, RandomOverSampler,
    RandomUnderSampler, SMOTETomek, ...) and `sklearn.utils.resample` on data that is split or
    cross-validated afterwards (`train_test_split`, `.split(X)` of a CV splitter,
    `cross_val_score`, a search's `fit`, `random_split`, slicing into `X_train`/`X_test`),
    following the rows through assignments, `pd.concat`, and helper functions of the project.

    Silent when only the training part is resampled (`smote.fit_resample(X_train, y_train)`)
    and the model is then fit on it, and for an imbalanced-learn `Pipeline` given to the
    cross-validation, which resamples each training fold only. Resampling the training part and
    then cross-validating that resampled data is reported: its validation folds hold synthetic
    neighbours and copies of the training rows.

    ## Why is this bad?
    Over-sampling copies minority rows or synthesizes neighbours between them; split afterwards,
    a row and its copy land on both sides and the model is scored on data it was trained on.
    Under-sampling first makes the test part as balanced as the training part, so the metrics
    describe a class balance the model will never meet (field notes: upsampling, downsampling
    and negative sampling are for training data).

    ## Example
    ```python
    from imblearn.over_sampling import SMOTE
    from sklearn.model_selection import train_test_split

    X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)
    X_train, X_test, y_train, y_test = train_test_split(X_res, y_res, stratify=y_res)
    ```

    ## Use instead
    ```python
    from imblearn.over_sampling import SMOTE
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y)
    X_train, y_train = SMOTE(random_state=0).fit_resample(X_train, y_train)
    ```
    """

    code = "DL403"
    name = "resampling-before-split"
    severity = Severity.ERROR
    summary = "Rows are resampled before the data is split or cross-validated"
    help = ("split first and resample the training part only; in cross-validation use an imbalanced-learn "
            "`Pipeline` so that each training fold is resampled on its own")
    origin = "Upsampling, Downsampling and Negative Sampling"
    triggers = LEAKAGE_TEXT  # what the leakage facts need (`leakage.TEXT`)

    @dataclass(frozen=True)
    class Options:
        under_sampling: bool = field(default=True, metadata={
            "help": "also report under-samplers, which copy nothing but change the class balance being measured"})

    def _wanted(self, leak) -> bool:
        return leak.fit.learns == "rows" and (self.options.under_sampling or not UNDER.search(leak.fit.what))

    def check_python(self, module):
        return [self._report(leak) for leak in leaks(module) if self._wanted(leak)]

    def summarize_python(self, module):
        return exported(module) or None

    def check_project(self, project):
        return [self._report(leak) for leak in project_leaks(project, self.code) if self._wanted(leak)]

    def _report(self, leak):
        fit = leak.fit
        if UNDER.search(fit.what):
            harm = "the evaluation part gets the resampled class balance instead of the real one"
        else:
            harm = "copies and synthetic neighbours of the same rows land on both sides, so the score is optimistic"
        message, related = describe(leak, f"`{fit.what}` resamples `{fit.data}`",
                                    f"resamples these rows with `{fit.what}`", harm)
        return self.diagnostic(leak.anchor, message, related=related)
