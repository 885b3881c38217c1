"""What an expression holds: hard labels, scores, or something this file does not show.

`kind_of(module, expr)` follows a value back to where it was made: names through `module.scopes`
(the latest definition before the use wins), tuple unpacking, list `append`/`extend` and `+=`
followed by `np.concatenate`/`torch.cat`, method chains that keep values (`.detach().cpu()`),
subscripts, and calls into functions defined in the same file (their returns, with their
parameters replaced by the caller's arguments). It never guesses: when the origin is not visible
the answer is UNKNOWN, and rules stay silent on UNKNOWN. Which `.predict` returns class labels
(a classifier's) and which returns scores (a regressor's, Keras', a Booster's) is decided at the
bottom of this module.
"""

from __future__ import annotations

import ast
import enum
import functools
from dataclasses import dataclass, replace

MAX_CALL_DEPTH = 2  # nested calls into same-file functions followed from one expression
MAX_CHAIN = 120  # definitions followed at once: generated code can chain `x = f(x)` for pages
SCORE_CALLS = {"predict_proba", "predict_log_proba", "decision_function", "score_samples",
               "softmax", "log_softmax", "sigmoid", "expit", "logsigmoid"}
ACTIVATION_MODULES = {"Softmax", "LogSoftmax", "Sigmoid", "Softmax2d"}
KEEPS_VALUES = {"detach", "cpu", "cuda", "numpy", "tolist", "flatten", "ravel", "squeeze",
                "unsqueeze", "view", "view_as", "reshape", "reshape_as", "float", "double", "half",
                "clone", "contiguous", "copy", "item", "to_numpy", "permute", "transpose", "t"}
INT_CASTS = {"long", "int", "bool", "byte", "short"}
JOINS = {"concatenate", "concat", "cat", "stack", "hstack", "vstack", "array", "asarray",
         "asanyarray", "tensor", "as_tensor", "from_numpy", "ravel", "squeeze", "flatten", "append"}
ARRAY_LIBS = ("numpy.", "torch.", "jax.", "tensorflow.", "cupy.")
APPENDERS = {"append", "extend", "insert"}


class Kind(enum.Enum):
    HARD_LABELS = "hard labels"  # class indices, thresholded, rounded or int-cast values, booleans
    SCORES = "scores"  # probabilities, logits, decision values, regression outputs
    PARAMETER = "parameter"  # passes through a parameter of the enclosing function
    EMPTY = "empty"  # an empty container that is filled later (`preds = []`)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    node: ast.AST  # where the kind was decided: the `argmax` call, the comparison, ...
    what: str  # a noun phrase: "class indices from `argmax`"

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 1)

    def describe(self) -> str:
        return f"{self.what} (line {self.line})"


@dataclass(frozen=True)
class ValueKind:
    kind: Kind
    evidence: Evidence | None = None
    elements: tuple[ValueKind, ...] | None = None  # a tuple's members (`torch.max(x, 1)`)
    parameter: tuple[ast.AST, str] | None = None  # (function, name) when kind is PARAMETER
    fallback: bool = False  # hard only where the estimator offers no scores (`hasattr` checks)


UNKNOWN = ValueKind(Kind.UNKNOWN)
EMPTY = ValueKind(Kind.EMPTY)


def kind_of(module, expr: ast.expr) -> ValueKind:
    """What `expr` holds, judged from this file alone; cached per module and node."""
    return _analysis(module).kind(expr, 0)


def definitions(module, expr: ast.expr) -> list:
    """The bindings (`facts.scopes.Definition`) a read of a name or `self.attr` sees: the latest
    before it in its scope, or for `self.attr` set in another method, every binding in the class."""
    return _analysis(module).definitions(expr)


def assigned_values(module, expr: ast.expr) -> list[ast.expr]:
    """The expressions those bindings assigned (`clf = SVC()` gives the `SVC()` call)."""
    return [d.value for d in definitions(module, expr) if d.value is not None]


def call_sites(module, function: ast.AST) -> list[tuple[ast.Call, int]]:
    """Calls of a same-file function, with how many leading parameters the call binds implicitly."""
    values = _analysis(module)
    calls = module.nodes("Call") or [n for n in ast.walk(module.tree) if isinstance(n, ast.Call)]
    return [(call, found[1]) for call in calls
            if (found := values.same_file_function(call.func)) and found[0] is function]


def argument_for(call: ast.Call, function, name: str, offset: int = 0) -> ast.expr | None:
    """The expression `call` passes for parameter `name` of `function`, None when not visible."""
    positional = [a.arg for a in [*function.args.posonlyargs, *function.args.args]][offset:]
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None  # where the later arguments land is not visible
        if index < len(positional) and positional[index] == name:
            return arg
    return next((k.value for k in call.keywords if k.arg == name), None)


def merge(kinds) -> ValueKind:
    """One kind for alternatives (branches, returns, list members): they must agree."""
    kinds = [k for k in kinds if k.kind is not Kind.EMPTY]
    if len(kinds) <= 1:
        return kinds[0] if kinds else EMPTY
    elements = None
    if all(k.elements is not None for k in kinds) and len({len(k.elements) for k in kinds}) == 1:
        elements = tuple(merge(column) for column in zip(*(k.elements for k in kinds)))
    found = {k.kind for k in kinds}
    hard = [k for k in kinds if k.kind is Kind.HARD_LABELS]
    if found == {Kind.HARD_LABELS, Kind.SCORES} and all(k.fallback for k in hard):
        # Scores where the estimator has them, labels as a last resort: still a fallback.
        return replace(hard[0], elements=elements)
    if len(found) == 1 and len({k.parameter for k in kinds}) == 1:
        return replace(kinds[0], elements=elements, fallback=all(k.fallback for k in kinds))
    return ValueKind(Kind.UNKNOWN, elements=elements)


def _analysis(module) -> _Values:
    # Kept on the module itself so it lives and dies with it (a global map keyed by module would
    # keep every linted file alive: the analysis refers back to its module).
    found = vars(module).get("_dllint_values")
    if found is None:
        found = vars(module)["_dllint_values"] = _Values(module)
    return found


class _Values:
    def __init__(self, module) -> None:
        self.module = module
        self.cache: dict[tuple[ast.AST, int], ValueKind] = {}
        self.active: set[tuple[ast.AST, int]] = set()

    def kind(self, expr: ast.AST, depth: int) -> ValueKind:
        key = (expr, depth)
        if key in self.cache:
            return self.cache[key]
        if key in self.active or len(self.active) > MAX_CHAIN:
            return UNKNOWN  # a value defined through itself (a cycle through calls), or too far
        self.active.add(key)
        try:
            found = self._compute(expr, depth)
        finally:
            self.active.discard(key)
        self.cache[key] = found
        return found

    def _compute(self, expr: ast.AST, depth: int) -> ValueKind:
        if isinstance(expr, ast.Name):
            return self._name(expr, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr, depth)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, depth)
        if isinstance(expr, ast.Subscript):
            base = self.kind(expr.value, depth)
            if base.elements is None:
                return base  # `proba[:, 1]`, `preds[mask]`: the same values, fewer of them
            index = _int_constant(expr.slice)
            return _select(base, (index,)) if index is not None else replace(merge(base.elements), elements=None)
        if isinstance(expr, ast.Compare):
            if all(isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)) for op in expr.ops):
                return UNKNOWN
            return _hard(expr, f"the comparison `{self.text(expr)}`")
        if isinstance(expr, ast.BinOp):
            sides = [self.kind(s, depth) for s in (expr.left, expr.right) if not _is_constant(s)]
            return merge(sides) if sides else UNKNOWN
        if isinstance(expr, ast.IfExp):
            if _is_constant(expr.body) and _is_constant(expr.orelse):
                return _hard(expr, f"the conditional `{self.text(expr)}`")
            return merge([self.kind(expr.body, depth), self.kind(expr.orelse, depth)])
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            members = tuple(self.kind(e, depth) for e in expr.elts)
            return replace(merge(members), elements=members)
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.kind(expr.elt, depth)
        if isinstance(expr, (ast.UnaryOp, ast.Starred, ast.NamedExpr, ast.Await)):
            return self.kind(expr.operand if isinstance(expr, ast.UnaryOp) else expr.value, depth)
        return UNKNOWN

    # Names and attributes -------------------------------------------------------------------
    def _name(self, expr: ast.Name, depth: int) -> ValueKind:
        bound = self._comprehension_binding(expr)
        if bound is not None:
            return _select(self.kind(bound[0], depth), bound[1])
        found = [self._definition(d, expr, depth) for d in self.definitions(expr)]
        return merge(found) if found else UNKNOWN

    def definitions(self, expr: ast.expr) -> list:
        """The bindings a read of a name or `self.attr` sees (scopes' latest-definition rule)."""
        scopes = self.module.scopes
        dotted = _dotted_self(expr)
        name = expr.id if isinstance(expr, ast.Name) else dotted
        if name is None:
            return []
        latest = scopes.scope_of(expr).latest(name, expr.lineno)
        if latest is not None or dotted is None:
            return [latest] if latest is not None else []
        # `self.x` set in another method (`__init__`, `setup`): every binding in the class.
        owner = self.enclosing_class(expr)
        methods = [m for m in (owner.body if owner else ()) if isinstance(m, ast.FunctionDef)]
        return [d for m in methods for d in scopes.scope_of(m).definitions.get(dotted, ())
                if d.kind != "mutation"]

    def _definition(self, d, use: ast.expr, depth: int) -> ValueKind:
        if d.kind == "param":
            function = self.module.parents.get(self.module.parents.get(d.node))
            return ValueKind(Kind.PARAMETER, Evidence(d.node, f"the parameter `{d.name}`"),
                             parameter=(function, d.name))
        if d.value is None or d.kind in ("with", "other"):
            return UNKNOWN
        found = _select(self.kind(d.value, depth), d.unpack)
        if d.kind == "augassign" and not _is_constant(d.value):
            # `preds += batch.argmax(1).tolist()`: the earlier contents and the added ones.
            earlier = self.module.scopes.scope_of(d.node).latest(d.name, d.line)
            found = merge([found, self._definition(earlier, use, depth) if earlier else UNKNOWN])
        if found.kind is Kind.EMPTY or isinstance(d.value, (ast.List, ast.ListComp)):
            added = [self.kind(v, depth) for v in self._appended(d, use)]
            found = merge([found, *added]) if added else found
        if found.kind is Kind.HARD_LABELS and self._in_score_fallback(d.node):
            found = replace(found, fallback=True)
        return found

    def _appended(self, d, use: ast.expr) -> list[ast.expr]:
        """Values `append`ed/`extend`ed to the list bound by `d` before `use`."""
        if "." not in d.name:
            found = self.module.scopes.scope_of(use).mutations(d.name, use.lineno)
            return [m.value for m in found if m.line >= d.line and m.node.func.attr in APPENDERS]
        # Scopes record mutations of plain names only; `self.preds.append(...)` is found here.
        owner = self.enclosing_class(use)
        calls = [n for n in ast.walk(owner)] if owner is not None else []
        return [c.args[-1] for c in calls if isinstance(c, ast.Call) and c.args
                and isinstance(c.func, ast.Attribute) and c.func.attr in APPENDERS
                and _dotted_self(c.func.value) == d.name]

    def _attribute(self, expr: ast.Attribute, depth: int) -> ValueKind:
        if expr.attr in ("indices", "values"):
            base = self.kind(expr.value, depth)
            if base.elements is not None and len(base.elements) == 2:  # torch.return_types
                return base.elements[expr.attr == "indices"]
            return replace(base, elements=None) if expr.attr == "values" else UNKNOWN
        if expr.attr in ("data", "T", "mT"):
            return self.kind(expr.value, depth)
        found = [self._definition(d, expr, depth) for d in self.definitions(expr)]
        return merge(found) if found else UNKNOWN

    def _comprehension_binding(self, name: ast.Name) -> tuple[ast.expr, tuple[int, ...]] | None:
        node = self.module.parents.get(name)
        while node is not None and not isinstance(node, ast.stmt):
            for generator in getattr(node, "generators", ()):
                path = _path_to(generator.target, name.id, ())
                if path is not None:
                    return generator.iter, path
            node = self.module.parents.get(node)
        return None

    def _in_score_fallback(self, statement: ast.AST) -> bool:
        """Inside `if hasattr(clf, "predict_proba") ... else:` or an `except` around a score call."""
        node = self.module.parents.get(statement)
        while node is not None and not isinstance(node, (ast.FunctionDef, ast.Module)):
            if isinstance(node, ast.If) and _mentions_scores(node.test):
                return True
            if isinstance(node, ast.ExceptHandler) and any(
                    _mentions_scores(s) for s in self.module.parents[node].body):
                return True
            node = self.module.parents.get(node)
        return False

    def enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        while node is not None and not isinstance(node, ast.ClassDef):
            node = self.module.parents.get(node)
        return node

    # Calls ------------------------------------------------------------------------------------
    def _call(self, call: ast.Call, depth: int) -> ValueKind:
        func = call.func
        qualified = self.module.qualified_name(func) or ""
        library = qualified.startswith(ARRAY_LIBS)
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        builtin = isinstance(func, ast.Name) and not qualified and not self.definitions(func)
        # `np.round(x, 2)` / `x.round(2)` / `round(x, 2)`: the subject, then the other arguments.
        if library or builtin:
            subject, rest = (call.args[0] if call.args else None), call.args[1:]
        else:
            subject, rest = (func.value if isinstance(func, ast.Attribute) else None), call.args
        keywords = {k.arg: k.value for k in call.keywords}
        if name in SCORE_CALLS:
            return _scores(call, f"scores from `{name}`")
        if name in ("argmax", "predict_classes"):
            return _hard(call, f"class indices from `{name}`")
        if self._constructs(func, ACTIVATION_MODULES):
            return _scores(call, "probabilities from a softmax/sigmoid module")
        if name in ("predict", "fit_predict", "cross_val_predict"):
            same = self.same_file_function(func) if name == "predict" else None
            if same is not None:
                return self.returns(same[0], call, same[1], depth)
            return _predict_kind(self, call, name)
        if subject is None:
            return self._other_call(call, func, depth)
        if name in ("round", "rint", "around") and (library or builtin or not qualified):
            decimals = rest[0] if rest else keywords.get("decimals", keywords.get("ndigits"))
            if decimals is None or _int_constant(decimals) == 0:
                return _hard(call, f"rounded values from `{self.text(func) if library or builtin else '.round()'}`")
            return self.kind(subject, depth)
        if name == "astype" or (name in ("to", "type") and not library):
            if any(_integer_dtype(a) for a in [*rest, *keywords.values()]):
                cast = ", ".join(self.text(a) for a in [*rest, *keywords.values()])
                return _hard(call, f"an integer cast `.{name}({cast})`")
            return self.kind(subject, depth) if (rest or keywords) else UNKNOWN
        if name in INT_CASTS and isinstance(func, ast.Attribute) and not (library or rest or keywords):
            return _hard(call, f"an integer cast `.{name}()`")
        if builtin and name in ("int", "bool"):
            return _hard(call, f"an integer cast `{name}(...)`")
        if name == "where" and library and len(call.args) == 3:
            branches = call.args[1:]
            if all(_is_constant(b) for b in branches):
                return _hard(call, f"labels from `{self.text(call, 50)}`")
            return merge(self.kind(b, depth) for b in branches if not _is_constant(b))
        if name in ("max", "min", "topk", "kthvalue") and not (builtin or qualified.startswith("numpy.")):
            dim = rest[0] if rest else keywords.get("dim")
            if name in ("topk", "kthvalue") or _int_constant(dim) is not None:
                indices = _hard(call, f"class indices from `{self.text(call)}`")
                return ValueKind(Kind.UNKNOWN, elements=(self.kind(subject, depth), indices))
            return self.kind(subject, depth) if "axis" in keywords else UNKNOWN
        if (library and name in JOINS) or (builtin and name in ("list", "tuple", "float", "abs")):
            if _integer_dtype(keywords.get("dtype")):
                return _hard(call, f"an integer cast `{self.text(func)}(..., dtype={self.text(keywords['dtype'])})`")
            joined = merge(self.kind(a, depth) for a in call.args[:2 if name == "append" else 1])
            return replace(joined, elements=None)
        if builtin and name in ("zip", "enumerate"):
            members = tuple(self.kind(a, depth) for a in call.args)
            return ValueKind(Kind.UNKNOWN, elements=(UNKNOWN, *members) if name == "enumerate" else members)
        if name in KEEPS_VALUES and isinstance(func, ast.Attribute) and not library:
            return self.kind(func.value, depth)
        if name in ("clip", "clamp") and (library or isinstance(func, ast.Attribute)):
            return self.kind(subject, depth)  # `np.clip(p, eps, 1 - eps)` before `log_loss`
        return self._other_call(call, func, depth)

    def _other_call(self, call: ast.Call, func: ast.expr, depth: int) -> ValueKind:
        same = self.same_file_function(func)
        if same is not None:
            return self.returns(same[0], call, same[1], depth)
        if isinstance(func, ast.Name) and func.id in ("list", "tuple") and not call.args:
            return EMPTY
        if any(self._constructs(v, ACTIVATION_MODULES) for v in assigned_values(self.module, func)):
            return _scores(call, "probabilities from a softmax/sigmoid module")
        return UNKNOWN

    def _constructs(self, expr: ast.expr, names: set[str]) -> bool:
        """`expr` is a call building one of `names` (`nn.Softmax(dim=1)`)."""
        return isinstance(expr, ast.Call) and _last_name(expr.func) in names

    def same_file_function(self, func: ast.expr) -> tuple[ast.AST, int] | None:
        """The function defined in this file that `func` calls, with the implicit `self` count."""
        if isinstance(func, ast.Name):
            found = self.definitions(func)
            if found and isinstance(found[-1].node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return found[-1].node, 0
            return None
        if not isinstance(func, ast.Attribute):
            return None
        owner = self.class_of(func.value)
        method = next((m for m in (owner.body if owner else ()) if isinstance(m, ast.FunctionDef)
                       and m.name == func.attr), None)
        if method is None:
            return None
        static = any(_last_name(d) == "staticmethod" for d in method.decorator_list)
        return method, 0 if static else 1

    def class_of(self, expr: ast.expr) -> ast.ClassDef | None:
        """The same-file class whose instance `expr` is (`self`, or a name bound to `Model(...)`)."""
        if isinstance(expr, ast.Name) and expr.id == "self":
            return self.enclosing_class(expr)
        for value in assigned_values(self.module, expr) if isinstance(expr, (ast.Name, ast.Attribute)) else ():
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                found = self.definitions(value.func)
                if found and isinstance(found[-1].node, ast.ClassDef):
                    return found[-1].node
        return None

    def returns(self, function, call: ast.Call, offset: int, depth: int) -> ValueKind:
        """What a call of a same-file function returns, its parameters replaced by the arguments."""
        if depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        found = []
        for node in _own_nodes(function):
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                return UNKNOWN
            if isinstance(node, ast.Return) and node.value is not None:
                value = self._substitute(self.kind(node.value, depth + 1), function, call, offset, depth)
                if value.kind is Kind.HARD_LABELS and self._in_score_fallback(node):
                    value = replace(value, fallback=True)
                found.append(value)
        return merge(found) if found else UNKNOWN

    def _substitute(self, found: ValueKind, function, call, offset: int, depth: int) -> ValueKind:
        if found.elements is not None:
            found = replace(found, elements=tuple(
                self._substitute(e, function, call, offset, depth) for e in found.elements))
        if found.kind is Kind.PARAMETER and found.parameter[0] is function:
            argument = argument_for(call, function, found.parameter[1], offset)
            return self.kind(argument, depth + 1) if argument is not None else UNKNOWN
        return found

    def estimator(self, expr: ast.expr, hops: int = 0) -> tuple[str | None, str]:
        """(family, label) of the model `expr` holds: family is classifier, regressor, scorer
        (its `predict` returns scores), unknown (built by something this module cannot classify),
        or None when the model's origin is not visible (a parameter, `joblib.load`)."""
        if hops > 6:
            return None, ""
        if isinstance(expr, ast.Name) and expr.id == "self":
            return _class_family(self.enclosing_class(expr))
        if isinstance(expr, ast.Attribute) and expr.attr in ("best_estimator_", "estimator"):
            return self.estimator(expr.value, hops + 1)
        if isinstance(expr, (ast.Name, ast.Attribute)):
            models = [m for d in self.definitions(expr) for m in self._models_bound(d)]
            found = list(dict.fromkeys(self.estimator(m, hops + 1) if m is not None else (None, "")
                                       for m in models))
            if len({family for family, _ in found}) > 1:
                return "unknown", ""
            if len(found) > 1:  # `for model in models.values()`: several of one family
                names = ", ".join(label for _, label in found[:2]) + (", ..." if len(found) > 2 else "")
                return found[0][0], f"each of {names}"
            return found[0] if found else (None, "")
        if not isinstance(expr, ast.Call):
            return None, ""
        func, args = expr.func, expr.args
        name = _last_name(func) or ""
        keywords = {k.arg: k.value for k in expr.keywords}
        inner = None
        if isinstance(func, ast.Attribute) and name in ("fit", "set_params", "partial_fit"):
            inner = func.value  # `fit` returns the estimator itself
        elif name == "make_pipeline" and args:
            inner = args[-1]
        elif name == "Pipeline":
            steps = args[0] if args else keywords.get("steps")
            last = steps.elts[-1] if isinstance(steps, (ast.List, ast.Tuple)) and steps.elts else None
            inner = last.elts[1] if isinstance(last, ast.Tuple) and len(last.elts) > 1 else None
        elif name in SEARCHES:
            inner = args[0] if args else keywords.get("estimator")
        if inner is not None:
            return self.estimator(inner, hops + 1)
        defined = self.definitions(func) if isinstance(func, ast.Name) else []
        if defined and isinstance(defined[-1].node, ast.ClassDef):
            return _class_family(defined[-1].node)
        family = _family_by_name(name)
        if family is not None:
            return family, f"`{name}`"
        qualified = self.module.qualified_name(func) or ""
        if qualified.startswith(SCORE_MODELS) or qualified in BOOSTERS:
            return "scorer", f"`{self.text(func)}`"
        return (None, "") if name in ("load", "loads", "load_model") else ("unknown", "")

    def _models_bound(self, d) -> list[ast.expr | None]:
        """The model expressions a binding may hold; None for one whose origin is not visible.
        `for name, model in models.items()` binds each value of the `models` dict literal."""
        if d.value is None or d.kind not in ("assign", "for"):
            return [None]
        if d.kind == "assign" and not d.unpack:
            return [d.value]
        if d.kind != "for":
            return [None]
        container, path = d.value, d.unpack
        if isinstance(container, ast.Call) and isinstance(container.func, ast.Attribute) and not container.args:
            method, container = container.func.attr, container.func.value
            if (method, path) not in (("items", (1,)), ("values", ())):
                return [None]
        elif path:
            return [None]
        if isinstance(container, (ast.Name, ast.Attribute)):
            values = assigned_values(self.module, container)
            container = values[-1] if values else None
        if isinstance(container, ast.Dict):
            return list(container.values)
        return list(container.elts) if isinstance(container, (ast.List, ast.Tuple)) else [None]

    @functools.cached_property
    def predict_means_labels(self) -> bool:
        """Whether `.predict` of a model of unseen origin returns class labels in this file: a
        scikit-learn modelling file that imports no library whose models predict scores (Keras,
        xgboost/lightgbm Boosters, statsmodels) or run the project's own `predict` (torch, jax)."""
        imported = [*self.module.names.aliases.values(), *self.module.names.star_modules]
        if {m.split(".")[0] for m in imported} & OTHER_PREDICTORS:
            return False
        functions = self.module.nodes("FunctionDef") or [
            n for n in ast.walk(self.module.tree) if isinstance(n, ast.FunctionDef)]
        if any(f.name == "predict" for f in functions):
            return False  # the file defines its own `predict`: which one is called is not visible
        return any(m == "sklearn" or m.startswith("sklearn.") and not m.startswith("sklearn.metrics")
                   for m in imported)

    def text(self, node: ast.AST, limit: int = 40) -> str:
        text = " ".join(self.module.segment(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _hard(node: ast.AST, what: str) -> ValueKind:
    return ValueKind(Kind.HARD_LABELS, Evidence(node, what))


def _scores(node: ast.AST, what: str) -> ValueKind:
    return ValueKind(Kind.SCORES, Evidence(node, what))


def _select(found: ValueKind, path: tuple[int, ...]) -> ValueKind:
    """One member of a tuple value (`_, pred = torch.max(out, 1)` takes member 1)."""
    for index in path:
        if found.elements is None or not -len(found.elements) <= index < len(found.elements):
            return UNKNOWN
        found = found.elements[index]
    return found


def _path_to(target: ast.AST, name: str, path: tuple[int, ...]) -> tuple[int, ...] | None:
    if isinstance(target, ast.Name):
        return path if target.id == name else None
    for index, element in enumerate(getattr(target, "elts", ())):
        found = _path_to(getattr(element, "value", element) if isinstance(element, ast.Starred)
                         else element, name, path + (index,))
        if found is not None:
            return found
    return None


def _dotted_self(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        return f"{expr.value.id}.{expr.attr}"
    return None


def _last_name(func: ast.AST) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _is_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and node.value is not None


def _int_constant(node: ast.AST | None) -> int | None:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _integer_dtype(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.rsplit(".", 1)[-1].lower()
    elif isinstance(node, ast.Attribute):
        text = node.attr.lower()
    else:
        return isinstance(node, ast.Name) and node.id in ("int", "bool")
    return text.startswith(("int", "uint", "bool", "long", "short", "byte"))


def _mentions_scores(node: ast.AST) -> bool:
    return any(getattr(n, "attr", None) in ("predict_proba", "decision_function")
               or getattr(n, "value", None) in ("predict_proba", "decision_function")
               for n in ast.walk(node) if isinstance(n, (ast.Attribute, ast.Constant)))


def _own_nodes(function: ast.AST):
    """Nodes of a function body, not entering nested functions, lambdas or classes."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


# Which `.predict` returns class labels -------------------------------------------------------
CLASSIFIER_SUFFIXES = ("Classifier", "ClassifierCV", "SVC", "NB")
CLASSIFIERS = {"LogisticRegression", "LogisticRegressionCV", "Perceptron", "NearestCentroid",
               "LinearDiscriminantAnalysis", "QuadraticDiscriminantAnalysis", "LabelPropagation",
               "LabelSpreading", "ClassifierMixin"}
# Outlier detectors' `predict` gives +1/-1 labels; their scores are `decision_function`/`score_samples`.
DETECTORS = {"IsolationForest", "OneClassSVM", "SGDOneClassSVM", "EllipticEnvelope", "LocalOutlierFactor"}
REGRESSOR_SUFFIXES = ("Regressor", "Regression", "RegressorMixin", "SVR", "Ridge", "RidgeCV",
                      "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "Lars", "LarsCV", "LassoLarsIC")
SEARCHES = {"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
            "BayesSearchCV"}
# Models whose `predict` returns scores: Keras probabilities, statsmodels fitted probabilities,
# xgboost/lightgbm Booster probabilities or margins.
SCORE_MODELS = ("tensorflow.", "keras.", "tf_keras.", "statsmodels.")
BOOSTERS = {"xgboost.train", "xgboost.Booster", "xgboost.core.Booster", "lightgbm.train",
            "lightgbm.Booster", "lightgbm.basic.Booster", "catboost.CatBoost"}
# In files importing these, `.predict` of a model of unseen origin may return scores.
OTHER_PREDICTORS = {"tensorflow", "keras", "tf_keras", "torch", "lightning", "pytorch_lightning",
                    "jax", "flax", "xgboost", "lightgbm", "catboost", "statsmodels", "prophet",
                    "fastai", "transformers", "mxnet", "paddle"}
SPECIAL_OUTPUTS = {"prediction_type", "pred_leaf", "pred_contrib", "pred_contribs", "pred_interactions"}


def _predict_kind(values: _Values, call: ast.Call, name: str) -> ValueKind:
    """`model.predict(X)`, `model.fit_predict(X)`, `cross_val_predict(model, X, y)`."""
    keywords = {k.arg: k.value for k in call.keywords}
    if name == "cross_val_predict":
        if values.module.qualified_name(call.func) != "sklearn.model_selection.cross_val_predict":
            return UNKNOWN
        method = keywords.get("method")
        method = "predict" if method is None else getattr(method, "value", None)
        if method in SCORE_CALLS:
            return _scores(call, f"scores from `cross_val_predict(..., method={method!r})`")
        model = (call.args[0] if call.args else keywords.get("estimator")) if method == "predict" else None
    elif not isinstance(call.func, ast.Attribute):
        return UNKNOWN  # a project's own `predict(model, X)` imported from elsewhere
    else:
        if any(getattr(keywords.get(k), "value", None) is True for k in ("output_margin", "raw_score")):
            return _scores(call, "margins from `predict`")
        model = None if keywords.keys() & SPECIAL_OUTPUTS else call.func.value
    if model is None:
        return UNKNOWN
    family, label = values.estimator(model)
    labels = "+1/-1 outlier labels" if label.strip("`") in DETECTORS else "class labels"
    what = f"{labels} from `{values.text(call.func)}`"
    if family == "classifier":
        return _hard(call, f"{what} of {label}")
    if family in ("regressor", "scorer"):
        return _scores(call, f"predictions of {label}")
    return _hard(call, what) if family is None and values.predict_means_labels else UNKNOWN


def _family_by_name(name: str) -> str | None:
    if name in CLASSIFIERS or name in DETECTORS or name.endswith(CLASSIFIER_SUFFIXES):
        return "classifier"
    return "regressor" if name.endswith(REGRESSOR_SUFFIXES) else None


def _class_family(owner: ast.ClassDef | None) -> tuple[str | None, str]:
    """A same-file class without its own `predict`: what its bases make it."""
    for base in owner.bases if owner is not None else ():
        family = _family_by_name(_last_name(base) or "")
        if family is not None:
            return family, f"`{owner.name}`"
    return "unknown", ""
