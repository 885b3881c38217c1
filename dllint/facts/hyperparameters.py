"""The hyperparameter settings a file makes: which value, for which optimizer, written where.

One extraction shared by the DL3xx rules, computed once per Python module or config file.
A Setting's location is the value itself when it is written in this file (the literal in the
call, the argparse default, the constant's assignment, the config scalar), so the finding lands
where the user edits it; the optimizer that uses it is the other end (`optimizer_location`).

Values are followed only as far as they are visible in the file: literals and simple arithmetic,
names (the latest binding, when no branch or loop makes it uncertain), argparse defaults read
through `args.x`, and `cfg["x"]`/`cfg.x` on dicts, namespaces and classes defined here. Anything
else (a YAML loaded at run time, a function parameter) yields no Setting: rules stay silent.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from dllint.engine.diagnostic import Location
from dllint.facts import optimizers as opt
from dllint.facts.scopes import SCOPE_NODES

_PY_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CONFIG_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Setting:
    name: str  # canonical: lr, weight_decay, momentum, betas, eps, dropout, epochs
    value: Any  # as loaded or resolved: a number, a tuple of numbers for betas
    location: Location  # the value itself
    family: str | None = None  # optimizers.FAMILY_NAMES key; None when unknown
    optimizer: str | None = None  # the consumer as written: `torch.optim.Adam`, config `type: Adam`
    optimizer_location: Location | None = None
    origin: str = ""  # how the value reaches its consumer; "" for a literal in the call itself
    key: str = ""  # the keyword or config key as written: `lr`, `max_lr`, `base_lr`
    # Gradient-norm clipping in this file: True, False (the file runs the training step and does
    # not clip), None (the step is taken elsewhere: clipping cannot be known). Set on lr only.
    clipped: bool | None = None
    clip_norm: float | None = None  # the smallest max_norm seen, when every one is known
    tensors: bool = False  # the optimizer updates tensors named one by one (`Adam([latent])`)
    rescaled_by: str | None = None  # a scheduler that multiplies or replaces this lr (`LambdaLR`)
    node: Any = field(default=None, compare=False, repr=False)  # the ConfigNode, in config files
    # The optimizer call or config section that sets it: settings of one optimizer share it.
    owner: Any = field(default=None, compare=False, repr=False)

    @property
    def number(self) -> float | None:
        value = self.value
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @property
    def family_name(self) -> str | None:
        return opt.FAMILY_NAMES.get(self.family or "")

    def context(self) -> str:
        """The tail of a message: `; from `--lr` default, used by `torch.optim.Adam` at train.py:40`."""
        parts = [self.origin] if self.origin else []
        other = self.optimizer_location
        if self.node is not None and self.optimizer and other is not None:
            parts.append(f"optimizer `{self.optimizer}` (line {other.line})")
        elif self.optimizer and other is not None and (self.origin or other.line != self.location.line):
            parts.append(f"used by `{self.optimizer}` at {other.path}:{other.line}")
        return "; " + ", ".join(parts) if parts else ""


def from_python(module) -> list[Setting]:
    found = _PY_CACHE.get(module)
    if found is None:
        found = _PY_CACHE[module] = _PythonSettings(module).collect()
    return found


def from_config(config) -> list[Setting]:
    found = _CONFIG_CACHE.get(config)
    if found is None:
        found = _CONFIG_CACHE[config] = _config_settings(config)
    return found


def by_value(settings: list[Setting], name: str) -> list[list[Setting]]:
    """Settings of `name` grouped by where the value is written, in file order.

    One value may feed several optimizers (an argparse default used by whichever `--optimizer`
    is chosen): rules judge the group, and report it once.
    """
    groups: dict[Location, list[Setting]] = {}
    for setting in settings:
        if setting.name == name:
            groups.setdefault(setting.location, []).append(setting)
    return [groups[location] for location in sorted(groups)]


def sibling(settings: list[Setting], setting: Setting, name: str) -> Setting | None:
    """The `name` setting given to the same optimizer call or config section as `setting`."""
    for other in settings:
        if other.name == name and other.owner is not None and other.owner is setting.owner:
            return other
    return None


GROUP_KEYS = ("lr", "weight_decay", "momentum", "betas", "eps")
_DROPOUT_MODULES = {f"torch.nn.{n}" for n in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                              "AlphaDropout", "FeatureAlphaDropout")}
_DROPOUT_FUNCTIONS = {f"torch.nn.functional.{n}" for n in ("dropout", "dropout1d", "dropout2d",
                                                           "dropout3d", "alpha_dropout")}
_TRAINERS = {"pytorch_lightning.Trainer", "lightning.Trainer", "lightning.pytorch.Trainer"}


class _PythonSettings:
    def __init__(self, module) -> None:
        self.module = module
        self.values = _Resolver(module)
        self.found: dict[tuple, Setting] = {}
        self.rescaled: dict[ast.Call, str] = {}  # optimizer call -> scheduler that rescales its lr

    def collect(self) -> list[Setting]:
        qualified = [(call, self.values.qualified(call.func)) for call in self.values.calls]
        for call, name in qualified:
            if name in opt.RESCALING_SCHEDULERS:
                built = self.values.constructor(_arg(call, "optimizer", 0))
                if built is not None:
                    self.rescaled[built] = name
        for call, name in qualified:
            self._call(call, name)
        for node in _nodes(self.module, ast.Dict):
            self._config_dict(node, self.values.literal_mapping(node))
        clipped, clip = self._clipping()
        return [replace(s, clipped=clipped, clip_norm=clip) if s.name == "lr" else s
                for s in self.found.values()]

    def _call(self, call: ast.Call, qualified: str | None) -> None:
        if qualified is None:
            if isinstance(call.func, ast.Name) and call.func.id == "dict":
                self._config_dict(call, self.values.literal_mapping(call))
            return
        is_optimizer, family = opt.optimizer_class_family(qualified)
        if is_optimizer:
            self._optimizer(call, qualified, family)
        elif qualified in opt.PEAK_LR_SCHEDULERS:
            keyword, index = opt.PEAK_LR_SCHEDULERS[qualified]
            built = self.values.constructor(_arg(call, "optimizer", 0))
            family = self._family_of_optimizer(built)
            self._emit("lr", keyword, _arg(call, keyword, index), call, qualified, family)
        elif qualified in opt.FACTORIES:
            at_opt, at_lr, at_wd = opt.FACTORIES[qualified]
            chosen = _arg(call, "opt", at_opt)
            name = self.values.resolve(chosen) if chosen is not None else None
            family = opt.family_of("sgd" if chosen is None else name.value if name else None, loose=True)
            self._emit("lr", "lr", _arg(call, "lr", at_lr), call, qualified, family)
            self._emit("weight_decay", "weight_decay", _arg(call, "weight_decay", at_wd), call, qualified, family)
        elif qualified in opt.TRAINING_ARGUMENTS:
            chosen = _arg(call, "optim", None)
            name = self.values.resolve(chosen) if chosen is not None else None
            family = opt.family_of(opt.TRAINING_ARGUMENTS_DEFAULT_OPTIM if chosen is None
                                   else name.value if name else None, loose=True)
            self._emit("lr", "learning_rate", _arg(call, "learning_rate", None), call, qualified, family)
            self._emit("weight_decay", "weight_decay", _arg(call, "weight_decay", None), call, qualified, family)
            self._emit("epochs", "num_train_epochs", _arg(call, "num_train_epochs", None), call, qualified, None)
        elif qualified == "torch.distributed.optim.ZeroRedundancyOptimizer":
            inner = self.values.qualified(_arg(call, "optimizer_class", None) or ast.Constant(None))
            if inner is not None:
                self._optimizer(call, inner, opt.optimizer_class_family(inner)[1])
        elif qualified in _DROPOUT_MODULES or qualified in _DROPOUT_FUNCTIONS:
            index = 0 if qualified in _DROPOUT_MODULES else 1
            self._emit("dropout", "p", _arg(call, "p", index), call, qualified, None)
        elif qualified in _TRAINERS:
            self._emit("epochs", "max_epochs", _arg(call, "max_epochs", None), call, qualified, None)
        elif qualified.startswith("torch.nn.") and qualified[9:10].isupper():
            self._emit("dropout", "dropout", _arg(call, "dropout", None), call, qualified, None)

    def _optimizer(self, call: ast.Call, display: str, family: str | None) -> None:
        family = _adjusted_family(call, family)
        torch_positions = display.startswith("torch.optim.")
        params = _arg(call, "params", 0)
        extra = {"tensors": self.values.direct_tensors(params), "rescaled_by": self.rescaled.get(call)}
        self._emit("lr", "lr", _arg(call, "lr", 1), call, display, family, **extra)
        for name, positions in opt.TORCH_POSITIONS.items():
            index = positions.get(family or "") if torch_positions else None
            self._emit(name, name, _arg(call, name, index), call, display, family, **extra)
        groups, via = self.values.param_groups(params)
        for group in groups:
            for name in GROUP_KEYS:
                if name in group:
                    self._emit(name, name, group[name], call, display, family, via, **extra)

    def _config_dict(self, node: ast.AST, mapping: dict[str, ast.expr] | None) -> None:
        """mmengine/mmcv Python configs: `optimizer=dict(type='SGD', lr=0.02, ...)`."""
        if not mapping:
            return
        kind = mapping.get("type") or mapping.get("_target_")
        if kind is None:
            return
        # `type='AdamW'` (registry name) or `type=torch.optim.AdamW` (mmengine's new style).
        resolved = self.values.resolve(kind)
        display = resolved.value if resolved else self.values.qualified(kind)
        family = opt.family_of(display)
        if family is None:
            return
        for name in GROUP_KEYS:
            if name in mapping:
                self._emit(name, name, mapping[name], kind, str(display), family, owner=node)

    def _family_of_optimizer(self, call: ast.Call | None) -> str | None:
        """The family of the optimizer a scheduler is built on (`OneCycleLR(optimizer, ...)`)."""
        qualified = self.values.qualified(call.func) if call is not None else None
        is_optimizer, family = opt.optimizer_class_family(qualified) if qualified else (False, None)
        return _adjusted_family(call, family) if is_optimizer else None

    def _emit(self, name: str, key: str, expr: ast.expr | None, user: ast.AST, display: str,
              family: str | None, via: str = "", *, tensors: bool = False, rescaled_by: str | None = None,
              owner: ast.AST | None = None) -> None:
        if expr is None:
            return
        value = self.values.resolve(expr)
        if value is None:
            return
        location = self.module.location(value.node)
        setting = Setting(name, value.value, location, family, display, self.module.location(user),
                          value.origin or via, key, tensors=tensors,
                          rescaled_by=rescaled_by if name == "lr" else None, owner=owner or user)
        # One value feeding two optimizers of the same family is one setting.
        self.found.setdefault((name, location, family), setting)

    def _clipping(self) -> tuple[bool | None, float | None]:
        norms: list[float | None] = []
        steps_here = False  # the backward pass, or a trainer that takes it, is in this file
        for call in self.values.calls:
            func = call.func
            attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            steps_here = steps_here or attr in opt.STEP_CALLS
            exprs = [kw.value for kw in call.keywords if kw.arg in opt.CLIP_KEYWORDS]
            if attr in opt.CLIP_FUNCTIONS:
                # torch/accelerate: (parameters, max_norm); FSDP's module method: (max_norm).
                index = None if attr == "clip_gradients" else 1 if len(call.args) > 1 else 0
                exprs.append(_arg(call, "max_norm", index))
            clip_grad = _arg(call, "clip_grad", None)
            if clip_grad is not None:  # mmengine: optim_wrapper=dict(clip_grad=dict(max_norm=35))
                exprs.append((self.values.mapping(clip_grad) or {}).get("max_norm"))
            for expr in exprs:
                value = self.values.resolve(expr) if expr is not None else None
                number = value.value if value and isinstance(value.value, (int, float)) else None
                if expr is not None and not (isinstance(expr, ast.Constant) and expr.value in (None, 0)):
                    norms.append(float(number) if number is not None and number > 0 else None)
        if not norms:
            return (False if steps_here else None), None
        return True, None if None in norms else min(norms)


def _adjusted_family(call: ast.Call, family: str | None) -> str | None:
    """Keyword switches that change how decay is applied: Adam(decoupled_weight_decay=True) etc."""
    for keyword in call.keywords:
        if not isinstance(keyword.value, ast.Constant) or not isinstance(keyword.value.value, bool):
            continue
        if keyword.arg == "decoupled_weight_decay" and keyword.value.value and family in ("adam", "nadam", "radam"):
            return "adamw"
        if keyword.arg in ("adam_w_mode", "adamw_mode") and not keyword.value.value and family == "adamw":
            return "adam"
    return family


def _arg(call: ast.Call, keyword: str, index: int | None) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index is not None and index < len(call.args) and not any(
            isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _nodes(module, kind: type) -> list:
    """Nodes of one class from the engine's single walk; a walk of our own if it has not run."""
    if module.nodes_by_type:
        return module.nodes(kind.__name__)
    return [node for node in ast.walk(module.tree) if isinstance(node, kind)]


# ---- Python values: where an argument's number is written ------------------------------------

@dataclass(frozen=True)
class _Value:
    value: Any
    node: ast.AST  # where the value is written (a literal), or the expression computing it
    origin: str = ""


# Statements whose body may not run (a `with` body always does).
_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.Match, getattr(ast, "TryStar", ast.Try),
             ast.IfExp)
_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}
_PARSE = ("parse_args", "parse_known_args")
_TENSOR_METHODS = {"requires_grad_", "detach", "clone", "to", "cuda", "float", "contiguous"}
_NAMESPACE_PARAMS = {"args", "opt", "opts", "options", "flags", "FLAGS", "arguments", "cli_args", "hp"}
_MAX_DEPTH = 12


class _Resolver:
    def __init__(self, module) -> None:
        self.module = module
        self.calls: list[ast.Call] = _nodes(module, ast.Call)

    @property
    def scopes(self):
        return self.module.scopes

    def qualified(self, func: ast.AST) -> str | None:
        qualified = self.module.qualified_name(func)
        if qualified is None and isinstance(func, ast.Name):
            # `from torch.optim import *`: a bare name may come from a star-imported module.
            for star in self.module.names.star_modules:
                candidate = f"{star}.{func.id}"
                if opt.optimizer_class_family(candidate)[0] or candidate in opt.PEAK_LR_SCHEDULERS:
                    return candidate
        return qualified

    def resolve(self, expr: ast.AST | None, depth: int = 0) -> _Value | None:
        if expr is None or depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            ok = isinstance(expr.value, (int, float, str)) and not isinstance(expr.value, bool)
            return _Value(expr.value, expr) if ok else None
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            inner = self.resolve(expr.operand, depth + 1)
            if inner is None or not _is_number(inner.value):
                return None
            value = -inner.value if isinstance(expr.op, ast.USub) else inner.value
            literal = isinstance(expr.operand, ast.Constant)
            return _Value(value, expr, "" if literal else f"computed as `{self.module.segment(expr)}`")
        if isinstance(expr, ast.BinOp) and type(expr.op) in _ARITHMETIC:
            left, right = self.resolve(expr.left, depth + 1), self.resolve(expr.right, depth + 1)
            if left is None or right is None or not (_is_number(left.value) and _is_number(right.value)):
                return None
            if isinstance(expr.op, ast.Pow) and abs(right.value) > 64:
                return None  # `10 ** 10 ** 9` would take forever to compute, and is no rate
            try:
                value = _ARITHMETIC[type(expr.op)](left.value, right.value)
            except (ArithmeticError, ValueError):
                return None
            if not _is_number(value):
                return None  # `(-8) ** 0.5` is complex
            literal = all(isinstance(side, (ast.Constant, ast.UnaryOp)) and not (left.origin or right.origin)
                          for side in (expr.left, expr.right))
            return _Value(value, expr, "" if literal else f"computed as `{self.module.segment(expr)}`")
        if isinstance(expr, (ast.Tuple, ast.List)) and expr.elts:  # betas=(0.9, 0.999)
            items = [self.resolve(e, depth + 1) for e in expr.elts]
            if all(item is not None and _is_number(item.value) for item in items):
                return _Value(tuple(item.value for item in items), expr)
            return None
        if isinstance(expr, ast.Name):
            binding = self._assigned(expr.id, expr)
            found = self.resolve(binding, depth + 1) if binding is not None else None
            return replace(found, origin=found.origin or f"from `{expr.id}`") if found else None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            dotted = f"{expr.value.id}.{expr.attr}"
            binding = self._assigned(dotted, expr)
            if binding is not None or self._has_binding(dotted, expr):
                found = self.resolve(binding, depth + 1)
                return replace(found, origin=found.origin or f"from `{dotted}`") if found else None
            if self._is_namespace(expr.value):
                return self._argparse_default(expr.attr, depth)
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            key = expr.attr if isinstance(expr, ast.Attribute) else _constant_key(expr.slice)
            container = self.mapping(expr.value, depth + 1)
            if key is None or container is None or key not in container:
                return None
            found = self.resolve(container[key], depth + 1)
            label = self.module.segment(expr)
            return replace(found, origin=found.origin or f"from `{label}`") if found else None
        if _is_conversion(expr) and self.module.qualified_name(expr.func) is None:
            return _converted(self.resolve(expr.args[0], depth + 1), expr.func.id)
        return None

    # -- names ---------------------------------------------------------------------------------
    def _binding(self, name: str, use: ast.AST):
        scope = self.scopes.scope_of(use)
        bindings = [d for d in scope.reaching(name, getattr(use, "lineno", 10**9)) if d.kind != "mutation"]
        if not bindings:
            return None
        latest = bindings[-1]
        # Several bindings and the latest sits in a branch or loop the use is not in: which one
        # reaches is decided at run time (`if args.opt == "sgd": lr = 0.1 else: lr = 1e-3`).
        # An attribute (`args.lr = 0.01` under `if args.finetune:`) always has an alternative:
        # the object's own value.
        if (len(bindings) > 1 or "." in name) and not self._dominates(latest.node, use):
            return None
        return latest

    def _has_binding(self, name: str, use: ast.AST) -> bool:
        scope = self.scopes.scope_of(use)
        return bool(scope.reaching(name, getattr(use, "lineno", 10**9)))

    def _assigned(self, name: str, use: ast.AST) -> ast.expr | None:
        """The expression `name` was last plainly assigned, unpacking literal tuples."""
        binding = self._binding(name, use)
        if binding is None or binding.kind != "assign" or binding.value is None:
            return None
        value = binding.value
        for index in binding.unpack:
            if not isinstance(value, (ast.Tuple, ast.List)) or index >= len(value.elts):
                return None
            value = value.elts[index]
        return value

    def _dominates(self, statement: ast.AST, use: ast.AST) -> bool:
        parents = self.module.parents
        around_use = set()
        node = use
        while node in parents:
            node = parents[node]
            around_use.add(node)
        node = statement
        while node in parents:
            node = parents[node]
            if isinstance(node, SCOPE_NODES):
                return True
            if isinstance(node, _BRANCHES) and node not in around_use:
                return False
        return True

    def constructor(self, expr: ast.expr | None) -> ast.Call | None:
        """The call that built the object `expr` names (`optimizer` in `OneCycleLR(optimizer, ...)`)."""
        for _ in range(_MAX_DEPTH):
            if isinstance(expr, ast.Call):
                return expr
            if not isinstance(expr, ast.Name):
                return None
            expr = self._assigned(expr.id, expr)
        return None

    # -- argparse ------------------------------------------------------------------------------
    def _is_namespace(self, name: ast.Name) -> bool:
        binding = self._binding(name.id, name)
        if binding is None:
            return False
        if binding.kind == "param":
            # `def train(args): ... args.lr`: the namespace comes from this file's parser; but
            # only under the names namespaces go by (`self.lr` is an attribute, not an option).
            return name.id in _NAMESPACE_PARAMS and self._parses_args
        value = binding.value
        if binding.kind != "assign" or not isinstance(value, ast.Call):
            return False
        if isinstance(value.func, ast.Attribute) and value.func.attr in _PARSE:
            return binding.unpack == ((0,) if value.func.attr == "parse_known_args" else ())
        if isinstance(value.func, ast.Name) and not binding.unpack:
            # `args = get_args()` with a local `def get_args(): ... return parser.parse_args()`.
            function = self._binding(value.func.id, value)
            return function is not None and isinstance(function.node, ast.FunctionDef) and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _PARSE
                for n in ast.walk(function.node))
        return False

    @cached_property
    def _parses_args(self) -> bool:
        return any(isinstance(c.func, ast.Attribute) and c.func.attr in _PARSE for c in self.calls)

    @cached_property
    def _arguments(self) -> dict[str, tuple | None]:
        """argparse dest -> (add_argument call, default, type name, first flag); None if ambiguous."""
        found: dict[str, tuple | None] = {}
        overrides: dict[str, ast.Call] = {}
        for call in self.calls:
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr == "add_argument":
                flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                dest = _constant_key(_arg(call, "dest", None)) or _dest(flags)
                if dest is None:
                    continue
                default = _arg(call, "default", None)
                required = _arg(call, "required", None)
                if isinstance(required, ast.Constant) and required.value is True:
                    default = None  # the default of a required option is never used
                type_ = _arg(call, "type", None)
                entry = (call, default, type_.id if isinstance(type_, ast.Name) else "", flags[0] if flags else dest)
                # Two parsers defining the same option (train/eval sub-commands): which one runs?
                found[dest] = None if dest in found else entry
            elif func.attr == "set_defaults":
                for kw in call.keywords:
                    if kw.arg:
                        overrides[kw.arg] = kw.value
        for dest, value in overrides.items():
            entry = found.get(dest)
            found[dest] = (entry[0], value, entry[2], entry[3]) if entry else None
        return found

    def _argparse_default(self, dest: str, depth: int) -> _Value | None:
        entry = self._arguments.get(dest)
        if entry is None or entry[1] is None:
            return None
        _, default, type_, flag = entry
        found = self.resolve(default, depth + 1)
        if found is not None and isinstance(found.value, str) and type_ in ("float", "int"):
            found = _converted(found, type_)  # argparse runs `type` on string defaults
        return replace(found, origin=f"from `{flag}` default") if found else None

    # -- containers ----------------------------------------------------------------------------
    def literal_mapping(self, node: ast.AST) -> dict[str, ast.expr] | None:
        """`{"lr": 0.1}` or `dict(lr=0.1)` as written; None if `**` spreading hides keys."""
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                return None
            return {k.value: v for k, v in zip(node.keys, node.values)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if isinstance(node, ast.Call) and all(kw.arg for kw in node.keywords):
            return {kw.arg: kw.value for kw in node.keywords}
        return None

    def mapping(self, expr: ast.AST | None, depth: int = 0) -> dict[str, ast.expr] | None:
        """Keys of a dict, namespace or class defined in this file that `expr` evaluates to."""
        if expr is None or depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Dict):
            return self.literal_mapping(expr)
        if isinstance(expr, ast.Call):
            base = self._class_body(expr.func) if isinstance(expr.func, ast.Name) else None
            if base is not None or (isinstance(expr.func, ast.Name) and expr.func.id == "dict") or \
                    self.qualified(expr.func) in ("types.SimpleNamespace", "argparse.Namespace"):
                own = self.literal_mapping(expr)
                inner = self.mapping(expr.args[0], depth + 1) if expr.args else {}
                return None if own is None or inner is None else {**(base or {}), **inner, **own}
            if len(expr.args) == 1 and not expr.keywords and isinstance(expr.args[0], ast.Dict):
                return self.literal_mapping(expr.args[0])  # EasyDict({...}), OmegaConf.create({...})
            return None
        if isinstance(expr, ast.Name):
            body = self._class_body(expr)
            if body is not None:
                return body
            if self._mutated(expr):
                return None
            return self.mapping(self._assigned(expr.id, expr), depth + 1)
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            key = expr.attr if isinstance(expr, ast.Attribute) else _constant_key(expr.slice)
            outer = self.mapping(expr.value, depth + 1)
            return self.mapping(outer.get(key), depth + 1) if outer and key in outer else None
        return None

    def _class_body(self, name: ast.Name) -> dict[str, ast.expr] | None:
        binding = self._binding(name.id, name)
        if binding is None or not isinstance(binding.node, ast.ClassDef):
            return None
        body: dict[str, ast.expr] = {}
        for statement in binding.node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name):
                body[statement.targets[0].id] = statement.value
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and statement.value is not None:
                body[statement.target.id] = statement.value
        return body

    def _mutated(self, name: ast.Name) -> bool:
        """`cfg.update(...)` or `cfg["lr"] = ...` anywhere: the literal is not the whole story."""
        scope = self.scopes.scope_of(name)
        if scope.mutations(name.id, 10**9):
            return True
        return name.id in self._subscript_stores

    @cached_property
    def _subscript_stores(self) -> set[str]:
        return {node.value.id for node in _nodes(self.module, ast.Subscript)
                if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)}

    def param_groups(self, expr: ast.expr | None) -> tuple[list[dict[str, ast.expr]], str]:
        """`[{"params": ..., "lr": 1e-4}, ...]` passed as an optimizer's params, and its name."""
        via = ""
        if isinstance(expr, ast.Name):
            via, expr = f"from param groups `{expr.id}`", self._assigned(expr.id, expr)
        if not isinstance(expr, (ast.List, ast.Tuple)):
            return [], via
        groups = [self.literal_mapping(e) for e in expr.elts if isinstance(e, (ast.Dict, ast.Call))]
        return [g for g in groups if g and "params" in g], via

    def direct_tensors(self, params: ast.expr | None) -> bool:
        """`Adam([latent], ...)`, `[{"params": [self._xyz], "lr": ...}]`: named tensors (inputs,
        latents, perturbations, splats), which are optimized with far larger steps than weights."""
        if isinstance(params, ast.Name):
            params = self._assigned(params.id, params)
        if not isinstance(params, (ast.List, ast.Tuple)) or not params.elts:
            return False
        for element in params.elts:
            group = self.literal_mapping(element) if isinstance(element, (ast.Dict, ast.Call)) else None
            if group and "params" in group:
                if not self.direct_tensors(group["params"]):
                    return False
            elif not (isinstance(element, (ast.Name, ast.Attribute, ast.Subscript)) or (
                    isinstance(element, ast.Call) and isinstance(element.func, ast.Attribute)
                    and element.func.attr in _TENSOR_METHODS)):
                return False
        return True


def _is_conversion(expr: ast.AST) -> bool:
    """`float(x)` / `int(x)` with one argument."""
    return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("float", "int")
            and len(expr.args) == 1 and not expr.keywords)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _converted(found: _Value | None, type_: str) -> _Value | None:
    if found is None:
        return None
    try:
        return replace(found, value=float(found.value) if type_ == "float" else int(found.value))
    except (TypeError, ValueError, OverflowError):
        return None


def _constant_key(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dest(flags: list[str]) -> str | None:
    """argparse's dest: the first long option, else the first short one, else the positional name."""
    for prefix in ("--", "-", ""):
        for flag in flags:
            if flag.startswith(prefix) and (prefix or not flag.startswith("-")):
                return flag.lstrip("-").replace("-", "_") or None
    return None


# ---- config files ------------------------------------------------------------------------------

CONFIG_KEYS = {
    "lr": "lr", "learning_rate": "lr", "base_lr": "lr", "max_lr": "lr", "peak_lr": "lr", "init_lr": "lr",
    "lr0": "lr",
    "weight_decay": "weight_decay", "wd": "weight_decay", "weight_decay_rate": "weight_decay",
    "momentum": "momentum", "betas": "betas", "eps": "eps", "epsilon": "eps", "adam_epsilon": "eps",
    "opt_eps": "eps",
    "dropout": "dropout", "dropout_rate": "dropout", "dropout_p": "dropout", "drop_rate": "dropout",
    "epochs": "epochs", "max_epochs": "epochs", "num_epochs": "epochs", "n_epochs": "epochs",
    "num_train_epochs": "epochs",
}
# Sections whose learning rates are not the optimizer's peak: warm-up starts, LR range tests
# (`lr_finder: {max_lr: 10}` is the end of a sweep, not a training setting), search spaces.
_NOT_PEAK = ("warmup", "lr_find", "range_test", "sweep", "search", "tune")


def _config_settings(config) -> list[Setting]:
    clipped, clip = opt.config_clipping(config)
    found: dict[tuple, Setting] = {}
    for node in config.walk():
        name = CONFIG_KEYS.get(node.key.lower()) if isinstance(node.key, str) else None
        value = _config_value(node, name) if name else None
        if value is None:
            continue
        sections = [str(k).lower() for k in node.path[:-1]]
        if name == "lr" and any(word in s for s in sections for word in _NOT_PEAK):
            continue
        family, display, source = opt.config_family(node)
        location = config.location(node)
        setting = Setting(name, value, location, family, display,
                          _source_location(config, source),
                          f"config key `{node.dotted_path}`", node.key,
                          clipped if name == "lr" else None, clip if name == "lr" else None, node=node,
                          owner=node.parent)
        # A YAML alias repeats a value at its anchor's position: one setting.
        found.setdefault((name, location), setting)
    return list(found.values())


def _source_location(config, source) -> Location | None:
    if source is None:
        return None
    # `adam: {lr: ...}` names the family by its key; `type: Adam` by its value.
    return config.key_location(source) if source.kind == "mapping" else config.location(source)


def _config_value(node, name: str) -> Any:
    if node.kind == "scalar":
        return node.value if _is_number(node.value) else None
    if name == "betas" and node.kind == "sequence" and node.children and all(
            c.kind == "scalar" and _is_number(c.value) for c in node.children):
        return tuple(c.value for c in node.children)
    return None
