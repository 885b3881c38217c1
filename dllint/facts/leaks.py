"""What a leak is, and how the halves of a cross-file leak meet in the project phase.

`facts/leakage.py` finds leaks within a file and exports (`Exported`) what other files need:
the helpers here that fit or split a parameter, the calls into other project files given rows
a fit here learned from, and the calls into other files whose argument is later split here.
`project_leaks(project, code)` matches those through the project's module index.
"""

from __future__ import annotations

from dataclasses import dataclass

from dllint.engine.diagnostic import Location, Related
from dllint.facts.splits import shorten


@dataclass(frozen=True)
class FitSite:
    location: Location
    what: str  # "StandardScaler"
    learns: str  # "statistics" | "labels" | "vocabulary" | "rows"
    method: str  # "fit_transform"
    data: str = ""  # what it learns from, as written (shortened)


@dataclass(frozen=True)
class SplitSite:
    location: Location
    what: str  # "train_test_split"
    cross_validates: bool


@dataclass(frozen=True)
class Leak:
    fit: FitSite  # where rows were learned from (here, or inside a helper)
    split: SplitSite
    anchor: Location  # where the finding goes: the fit, or the call into the helper that fits
    helper: str = ""  # the helper's name when the fit is inside one


@dataclass(frozen=True)
class Exported:
    """One file's part of the cross-file question (picklable, for the project phase)."""

    fits: dict  # module-level function -> ((parameter index, FitSite), ...)
    splits: dict  # module-level function -> ((parameter index, SplitSite), ...)
    # A call into another file whose argument `index` a later split divides:
    # (qualified callee, index, call location, the argument is one part already, SplitSite).
    calls_then_split: tuple = ()
    # A call into another file given rows a fit here learned from:
    # (callee, index, call location, FitSite, the fit saw one part only).
    fits_then_call: tuple = ()

    def __bool__(self) -> bool:
        return bool(self.fits or self.splits or self.calls_then_split or self.fits_then_call)


def reported(label_weak: bool, learns: str, split: SplitSite) -> bool:
    """A fit on the training part that is split again (train -> train + validation) leaks into
    the validation part. Cross-validated instead, it matters only when it learns from labels or
    rows: a scaler's mean and std over the training folds barely move."""
    return not label_weak or not split.cross_validates or learns in ("labels", "rows")


def fit_site(module, found) -> FitSite:
    """The picklable record of a `facts.splits.Fitter`."""
    return FitSite(module.location(found.call), found.what, found.learns, found.method, shorten(module, found.data))


def project_leaks(project, code: str) -> list[Leak]:
    """Leaks whose fit and split sit in different files (each file's `Exported` stored as the
    rule data of `code`)."""
    files = {project.relative(path): data for path, data in project.rule_data(code) if data is not None}
    found = []
    for relative, data in files.items():
        for callee, index, call, weak, split in data.calls_then_split:
            helper = _helper(project, files, callee, relative)
            for position, site in helper[0].fits.get(helper[1], ()) if helper else ():
                if position == index and reported(weak, site.learns, split):
                    found.append(Leak(site, split, call, helper[1]))
        for callee, index, _call, site, weak in data.fits_then_call:
            helper = _helper(project, files, callee, relative)
            for position, split in helper[0].splits.get(helper[1], ()) if helper else ():
                if position == index and reported(weak, site.learns, split):
                    found.append(Leak(site, split, site.location, helper[1]))
    return found


def _helper(project, files: dict, callee: str, importer: str):
    target = project.modules.resolve_symbol(callee, importer)
    if target is None or target[0] not in files or "." in target[1]:
        return None
    return files[target[0]], target[1]


def where(location: Location, here: str) -> str:
    """"line 8" in the same file, "src/data.py:8" in another."""
    return f"line {location.line}" if location.path == here else f"{location.path}:{location.line}"


def splits_them(split: SplitSite, here: str) -> str:
    """"`train_test_split` (line 8) splits them", "`cross_val_score` (line 9) cross-validates them"."""
    action = "cross-validates" if split.cross_validates else "splits"
    return f"`{split.what}` ({where(split.location, here)}) {action} them"


def describe(leak: Leak, opening: str, in_helper: str, harm: str) -> tuple[str, list[Related]]:
    """The message and related places of a leak: `opening` for a fit here ("`SMOTE` resamples
    `X`"), `in_helper` for one inside a helper ("fits `StandardScaler` on these rows")."""
    fit, split, here = leak.fit, leak.split, leak.anchor.path
    if leak.helper and leak.anchor != fit.location:
        opening = f"`{leak.helper}(...)` {in_helper} ({where(fit.location, here)})"
    related = [Related(split.location, f"`{split.what}` splits the rows here")]
    if fit.location != leak.anchor:
        related.append(Related(fit.location, f"`{fit.what}` learns from the rows here"))
    return f"{opening} before {splits_them(split, here)}: {harm}", related
