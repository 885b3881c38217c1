"""Data leakage by order: a preprocessing step or a resampler learns from rows that a later
split, cross-validation or slice puts into the evaluation part.

Each scope (the module, each function) is read once in source order (`facts/splits.py` says
which calls learn and which divide). A fit marks its result, and the names its rows came from
when the fitted object transforms something after the split; assignments carry the marks on
(`X = df.drop(...)`, `np.hstack([X, Z])`, `windows(X)`), rebinding to unmarked data clears them.
A split whose features carry a mark is a leak.

A fit on one part of a split (`X_train`, or a name bound from a split) is where it belongs
unless that part is split again; a later cross-validation of it is reported only for fits that
learn from the labels or resample rows: a scaler's mean and std over the training folds barely
move, while selected features and synthetic minority samples decide the score. Helpers of the same file
that fit or split their parameters are followed at their call sites; calls into other project
files are handed to the project phase (`Exported`), which matches them with that file's helpers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from dllint.engine.diagnostic import Location
from dllint.facts.bindings import argument_for, same_file_function
from dllint.facts.leaks import Exported, FitSite, Leak, SplitSite, fit_site, reported
from dllint.facts.loaders import unit_test_file
from dllint.facts.order import calls, exclusive, expressions, statements, used_after
from dllint.facts.splits import fitted_name, fitter, names_label, part_role, roots, shorten, splitter

# Attributes and methods that describe data without holding its rows.
META = {"shape", "size", "ndim", "dtype", "dtypes", "columns", "index", "nbytes"}
SCALARS = {"len", "int", "float", "str", "bool", "print", "type", "isinstance", "range", "repr", "id", "hash",
           "round", "min", "max", "sum", "sorted", "set"}
STATS = {"mean", "std", "var", "sum", "min", "max", "count", "nunique", "describe", "info", "value_counts",
         "isnull", "isna", "unique", "median", "quantile", "corr", "item", "tolist"}
LIBRARIES = ("numpy", "pandas", "sklearn", "torch", "scipy", "matplotlib", "seaborn", "imblearn", "os", "sys", "math",
             "random", "json", "pickle", "joblib", "re", "collections", "itertools", "functools", "tensorflow", "keras",
             "xgboost", "lightgbm", "catboost", "transformers", "datasets", "plotly", "statsmodels", "tqdm",
             "category_encoders", "pathlib", "logging", "time", "warnings")
REUSES = {"transform", "inverse_transform", "predict", "predict_proba", "score", "decision_function"}
TEXT = ("sklearn", "imblearn", "category_encoders", "train_test_split", "random_split")


@dataclass(frozen=True)
class _Label:
    site: FitSite
    anchor: Location
    weak: bool  # fit on one part of a split: leaks only into CV, and only when strong
    call: ast.AST  # the fit, or the call into the helper
    helper: str = ""
    # The fitted object: the rows it learned from leak only if it transforms something later
    # (a scaler fit on all of `X` and never used again, for a plot or a printout, leaks nothing).
    reuse: str = ""
    external: tuple | None = None  # (qualified callee, index) for a call into another file


@dataclass
class _Effects:
    fits: list = field(default_factory=list)  # (parameter index, FitSite)
    splits: list = field(default_factory=list)  # (parameter index, SplitSite)


def leaks(module) -> list[Leak]:
    return module.fact(_Analysis).leaks


def exported(module) -> Exported:
    analysis = module.fact(_Analysis)
    if not analysis.active:
        return Exported({}, {})
    functions = [f for f in module.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    fits, splits = {}, {}
    for function in functions:
        effects = analysis.effects(function)
        fits.update({function.name: tuple(effects.fits)} if effects.fits else {})
        splits.update({function.name: tuple(effects.splits)} if effects.splits else {})
    return Exported(fits, splits, tuple(analysis.calls_then_split), tuple(analysis.fits_then_call))


class _Analysis:
    def __init__(self, module) -> None:
        self.module = module
        self.leaks: list[Leak] = []
        self.calls_then_split: list = []
        self.fits_then_call: list = []
        self._effects: dict[ast.AST, _Effects] = {}
        self.active = any(token in module.text for token in TEXT) and not unit_test_file(module.path)
        if not self.active:
            return  # nothing here learns from or splits a table; a unit test leaks on purpose
        self._run(module.tree, None)
        for function in module.nodes("FunctionDef", "AsyncFunctionDef"):
            self.effects(function)

    def effects(self, function) -> _Effects:
        if function not in self._effects:
            self._effects[function] = _Effects()  # a recursive helper sees no effects of itself
            self._effects[function] = self._run(function, function)
        return self._effects[function]

    def _run(self, scope, function) -> _Effects:
        flow = _Flow(self, function)
        for statement in statements(scope.body):  # `scope` is the module or the function
            flow.step(statement)
        return flow.effects


class _Flow:
    def __init__(self, analysis: _Analysis, function) -> None:
        self.analysis, self.module = analysis, analysis.module
        self.marks: dict[str, set] = {}
        self.parts: set[str] = set()
        self.on_call: dict[ast.AST, set] = {}
        self.reported: set = set()
        self.effects = _Effects()
        args = function.args if function is not None else None
        self.params = [a.arg for a in [*args.posonlyargs, *args.args]] if args else []
        self.function = function

    def step(self, statement: ast.AST) -> None:
        for expression in expressions(statement):
            for call in calls(expression):
                self._call(call, statement)
        self._bind(statement)

    # -- calls -----------------------------------------------------------------------------------
    def _call(self, call: ast.Call, statement) -> None:
        module = self.module
        found = fitter(module, call)
        if found is not None:
            if any(isinstance(n, ast.Name) and names_label(n.id) for n in ast.walk(found.data)):
                return  # binning or encoding the target builds the labels, it is no feature leak
            data = roots(module, found.data)
            label = _Label(fit_site(module, found), module.location(call), self._weak(data), call)
            self.on_call.setdefault(call, set()).add(label)  # what it returns is transformed by all rows
            receiver = fitted_name(module, call)
            if found.learns != "rows" and receiver:
                self._mark(call, data, replace(label, reuse=receiver))
            self._param_effect(data, self.effects.fits, fit_site(module, found))
            return
        split = splitter(module, call)
        if split is not None:
            site = SplitSite(module.location(call), split.what, split.cross_validates)
            for data in split.data:
                self._divide(data, site, statement)
                self._param_effect(roots(module, data), self.effects.splits, site)
            return
        # Helpers are plain functions or `self.` methods; other receivers' classes cost a walk.
        plain = isinstance(call.func, ast.Name) or module.segment(call.func).startswith("self.")
        helper = same_file_function(module, call.func) if plain else None
        if helper is not None:
            self._helper(call, *helper, statement)
        elif call.args:
            self._external(call)

    def _helper(self, call, function, offset, statement) -> None:
        module = self.module
        effects = self.analysis.effects(function)
        params = [a.arg for a in [*function.args.posonlyargs, *function.args.args]][offset:]
        for index, site in effects.fits:
            argument = argument_for(call, function, params[index], offset) if index < len(params) else None
            if argument is not None:
                data = roots(module, argument)
                self._mark(call, data, _Label(site, module.location(call), self._weak(data), call, function.name))
        for index, site in effects.splits:
            argument = argument_for(call, function, params[index], offset) if index < len(params) else None
            if argument is not None:
                self._divide(argument, site, statement)

    def _external(self, call: ast.Call) -> None:
        qualified = self.module.qualified_name(call.func)
        if not qualified or qualified.split(".")[0] in LIBRARIES:
            return
        for index, argument in enumerate(call.args):
            if isinstance(argument, ast.Starred):
                break
            for label in self.carried(argument):
                if label.external is None and not label.helper:
                    self.analysis.fits_then_call.append((qualified, index, self.module.location(call), label.site,
                                                         label.weak))
            data = roots(self.module, argument)
            if data:
                site = FitSite(self.module.location(call), "", "", "")
                self._mark(call, data, _Label(site, site.location, self._weak(data), call, external=(qualified, index)))

    def _mark(self, call, names: set[str], label: _Label) -> None:
        self.on_call.setdefault(call, set()).add(label)
        for name in names:
            self.marks.setdefault(name, set()).add(label)

    def _weak(self, names: set[str]) -> bool:
        return bool(names) and all(n in self.parts or part_role(n) for n in names)

    def _divide(self, data: ast.expr, site: SplitSite, statement) -> None:
        for label in self.carried(data):
            key = (label.site, label.anchor)
            unused = label.reuse and not used_after(self.module, self.function, label.reuse, REUSES, statement,
                                                    label.call)
            if key in self.reported or unused or exclusive(self.module, label.call, statement):
                continue
            if label.external is not None:
                callee, index = label.external
                self.analysis.calls_then_split.append((callee, index, label.anchor, label.weak, site))
            elif reported(label.weak, label.site.learns, site):
                self.analysis.leaks.append(Leak(label.site, site, label.anchor, label.helper))
            else:
                continue
            self.reported.add(key)

    def _param_effect(self, names: set[str], into: list, site) -> None:
        for index, param in enumerate(self.params):
            if param in names and (index, site) not in into:
                into.append((index, site))

    # -- values ----------------------------------------------------------------------------------
    def carried(self, expr: ast.AST | None, depth: int = 0) -> set:
        if expr is None or depth > 40:
            return set()
        depth += 1
        if isinstance(expr, ast.Name):
            return set(self.marks.get(expr.id, ()))
        if isinstance(expr, ast.Attribute):
            if expr.attr in META:
                return set()
            if isinstance(expr.value, ast.Name) and expr.value.id == "self":
                return set(self.marks.get(f"self.{expr.attr}", ()))
            return self.carried(expr.value, depth)
        if isinstance(expr, ast.Call):
            found = set(self.on_call.get(expr, ()))
            func = expr.func
            if isinstance(func, ast.Name) and func.id in SCALARS:
                return found
            if isinstance(func, ast.Attribute) and func.attr not in STATS:
                found |= self.carried(func.value, depth)
            for argument in [*expr.args, *(k.value for k in expr.keywords)]:
                found |= self.carried(argument, depth)
            return found
        if isinstance(expr, (ast.Compare, ast.BoolOp, ast.Constant, ast.Lambda)):
            return set()
        found = set()
        for child in ast.iter_child_nodes(expr):
            if isinstance(child, (ast.expr, ast.comprehension)):
                found |= self.carried(child if isinstance(child, ast.expr) else child.iter, depth)
        return found

    def _bind(self, statement) -> None:
        if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = statement.value
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            value, targets = statement.iter, [statement.target]
        else:
            return
        if value is None:
            return
        divided = isinstance(value, ast.Call) and splitter(self.module, value) is not None
        augmented = isinstance(statement, ast.AugAssign)
        for target in targets:
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
                for element, part in zip(target.elts, value.elts):  # `X_tr, X_te = X[:n], X[n:]`
                    self._assign(element, self.carried(part), False, part, augmented)
            else:
                self._assign(target, set() if divided else self.carried(value), divided, value, augmented)

    def _assign(self, target, labels: set, divided: bool, value, augmented: bool) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(getattr(element, "value", element), labels, divided, value, augmented)
            return
        if isinstance(target, ast.Name) or (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                                            and target.value.id == "self"):
            name = target.id if isinstance(target, ast.Name) else f"self.{target.attr}"
            if divided or self._slice_split(target, value, name):
                self.parts.add(name)
                self.marks.pop(name, None)
            elif augmented:
                self.marks.setdefault(name, set()).update(labels)
            elif labels:
                self.marks[name] = set(labels)
            else:
                self.marks.pop(name, None)
                self.parts.discard(name)
            return
        base = target  # `df[cols] = ...`, `X[:, 0] = ...`: the table keeps its rows and gains marks
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            base = base.value
        if isinstance(base, ast.Name) and labels:
            self.marks.setdefault(base.id, set()).update(labels)

    def _slice_split(self, target, value, name: str) -> bool:
        """`X_train = X_scaled[:800]`, `test = df.iloc[n:]`, `X_val = X[val_idx]`: a manual split,
        reported like one when the sliced rows carry a fit's mark."""
        if part_role(name) is None or not isinstance(value, ast.Subscript):
            return False
        index = value.slice.elts[0] if isinstance(value.slice, ast.Tuple) and value.slice.elts else value.slice
        if not (isinstance(index, ast.Slice) or (isinstance(index, ast.Name) and part_role(index.id))):
            return False
        site = SplitSite(self.module.location(value), shorten(self.module, value), False)
        self._divide(value.value, site, self.module.parents.get(value))
        return True

