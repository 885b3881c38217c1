"""The hyperparameter settings a Python file makes, and whether it clips gradients.

Read from the calls that take them: optimizers (keywords, torch's positions, param groups),
schedulers whose argument is a peak learning rate, optimizer factories, trainer argument classes,
dropout layers and Lightning's Trainer, and mmengine-style `dict(type="SGD", lr=0.02)` configs.
Each value is followed by `facts.constants`; one that does not resolve yields no setting.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from functools import cached_property

from dllint.engine.diagnostic import Location
from dllint.facts import optimizers as opt
from dllint.facts.argparse_options import NAMESPACE_PARAMS
from dllint.facts.certain_bindings import nodes
from dllint.facts.cli_defaults import CLI_MARKERS
from dllint.facts.clipping import call_argument as _arg
from dllint.facts.clipping import code_clipping
from dllint.facts.config_reader import literal_paths
from dllint.facts.constants import literal_mapping, resolver
from dllint.facts.hyperparameter_setting import Setting

GROUP_KEYS = ("lr", "weight_decay", "momentum", "betas", "eps")
# Settings whose optimizer family a config file may leave to the code that reads it.
LINKED = ("lr", "weight_decay")
_DROPOUT_MODULES = {f"torch.nn.{n}" for n in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                              "AlphaDropout", "FeatureAlphaDropout")}
_DROPOUT_FUNCTIONS = {f"torch.nn.functional.{n}" for n in ("dropout", "dropout1d", "dropout2d",
                                                           "dropout3d", "alpha_dropout")}
_LOWERCASE_CALLS = {"dict", "create_optimizer_v2", *(n.rsplit(".", 1)[1] for n in _DROPOUT_FUNCTIONS)}
_TRAINERS = {"pytorch_lightning.Trainer", "lightning.Trainer", "lightning.pytorch.Trainer"}
_TENSOR_METHODS = {"requires_grad_", "detach", "clone", "to", "cuda", "float", "contiguous"}


@dataclass(frozen=True)
class ConfigRead:
    """An optimizer argument read from a config object the file does not show (`cfg.optim.lr`):
    the config file that holds it can say the value, and this call says the optimizer family."""

    keys: tuple[str, ...]  # ("optim", "lr") for `cfg.optim.lr`, `cfg["optim"]["lr"]`
    name: str  # canonical setting name: lr, weight_decay
    family: str
    optimizer: str
    location: Location  # the optimizer call
    files: tuple[str, ...] = ()  # YAML files this file loads into the config object, when literal
    clipped: bool | None = None


def collect(module) -> list[Setting]:
    return module.fact(_collected)[0]


def config_reads(module) -> list[ConfigRead]:
    return module.fact(_collected)[1]


def _collected(module) -> tuple[list[Setting], list[ConfigRead]]:
    found = _PythonSettings(module)
    settings = found.collect()
    clipped = next((s.clipped for s in settings if s.name == "lr"), None)
    return settings, [replace(r, clipped=clipped if clipped is not None else found.clipping[0])
                      for r in found.reads]


class _PythonSettings:
    def __init__(self, module) -> None:
        self.module = module
        self.values = resolver(module)
        self.calls: list[ast.Call] = nodes(module, ast.Call)
        self.found: dict[tuple, Setting] = {}
        self.rescaled: dict[ast.Call, str] = {}  # optimizer call -> scheduler that rescales its lr
        self.reads: list[ConfigRead] = []
        self.clipping: tuple[bool | None, float | None] = (None, None)

    def collect(self) -> list[Setting]:
        qualified = [(call, self._qualified(call.func)) for call in self.calls if _candidate(call.func)]
        for call, name in qualified:
            if name in opt.RESCALING_SCHEDULERS:
                built = self.values.certain.constructor(_arg(call, "optimizer", 0))
                if built is not None:
                    self.rescaled[built] = name
        for call, name in qualified:
            self._call(call, name)
        for node in nodes(self.module, ast.Dict):
            self._config_dict(node, literal_mapping(node))
        if self.reads or any(s.name == "lr" for s in self.found.values()):  # clipping bounds lr only
            self.clipping = code_clipping(self.calls, self.values)
        clipped, clip = self.clipping
        return [replace(s, clipped=clipped, clip_norm=clip) if s.name == "lr" else s
                for s in self.found.values()]

    def _call(self, call: ast.Call, qualified: str | None) -> None:
        if qualified is None:
            if isinstance(call.func, ast.Name) and call.func.id == "dict":
                self._config_dict(call, literal_mapping(call))
            return
        is_optimizer, family = opt.optimizer_class_family(qualified)
        if is_optimizer:
            self._optimizer(call, qualified, family)
        elif qualified in opt.PEAK_LR_SCHEDULERS:
            keyword, index = opt.PEAK_LR_SCHEDULERS[qualified]
            built = self.values.certain.constructor(_arg(call, "optimizer", 0))
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
            inner = self._qualified(_arg(call, "optimizer_class", None) or ast.Constant(None))
            if inner is not None:
                self._optimizer(call, inner, opt.optimizer_class_family(inner)[1])
        elif qualified in _DROPOUT_MODULES or qualified in _DROPOUT_FUNCTIONS:
            index = 0 if qualified in _DROPOUT_MODULES else 1
            self._emit("dropout", "p", self._layer_argument(_arg(call, "p", index)), call, qualified, None)
        elif qualified in _TRAINERS:
            self._emit("epochs", "max_epochs", _arg(call, "max_epochs", None), call, qualified, None)
        elif qualified.startswith("torch.nn.") and qualified[9:10].isupper():
            self._emit("dropout", "dropout", self._layer_argument(_arg(call, "dropout", None)), call, qualified, None)

    def _optimizer(self, call: ast.Call, display: str, family: str | None) -> None:
        family = _adjusted_family(call, family)
        torch_positions = display.startswith("torch.optim.")
        params = _arg(call, "params", 0)
        extra = {"tensors": self._direct_tensors(params), "rescaled_by": self.rescaled.get(call)}
        self._emit("lr", "lr", _arg(call, "lr", 1), call, display, family, **extra)
        for name, positions in opt.TORCH_POSITIONS.items():
            index = positions.get(family or "") if torch_positions else None
            self._emit(name, name, _arg(call, name, index), call, display, family, **extra)
        groups, via = self._param_groups(params)
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
        display = resolved.value if resolved else self._qualified(kind)
        family = opt.family_of(display)
        if family is None:
            return
        for name in GROUP_KEYS:
            if name in mapping:
                self._emit(name, name, mapping[name], kind, str(display), family, owner=node)

    def _layer_argument(self, expr: ast.expr | None) -> ast.expr | None:
        """None for `nn.Dropout(drop_rate)` / `(config.attention_dropout)` in model code, where the name
        is a parameter that no module-level binding shares: callers decide the value, and finding
        that out through the scopes of every model file is the costly part of reading them."""
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in self._parameters and \
                root.id not in self.module.scopes.scope_of(self.module.tree).definitions:
            return None
        return expr

    @cached_property
    def _parameters(self) -> set[str]:
        text = self.module.text
        if any(marker in text for marker in CLI_MARKERS):
            return set()  # a command's parameters carry its CLI defaults (`facts.cli_defaults`)
        classes = {c.name for c in nodes(self.module, ast.ClassDef)}
        found = {a.arg for a in nodes(self.module, ast.arg)
                 if getattr(a.annotation, "id", getattr(a.annotation, "value", None)) not in classes}
        return found - NAMESPACE_PARAMS if "parse_args" in text or "parse_known_args" in text else found

    def _family_of_optimizer(self, call: ast.Call | None) -> str | None:
        """The family of the optimizer a scheduler is built on (`OneCycleLR(optimizer, ...)`)."""
        qualified = self._qualified(call.func) if call is not None else None
        is_optimizer, family = opt.optimizer_class_family(qualified) if qualified else (False, None)
        return _adjusted_family(call, family) if is_optimizer else None

    def _emit(self, name: str, key: str, expr: ast.expr | None, user: ast.AST, display: str,
              family: str | None, via: str = "", *, tensors: bool = False, rescaled_by: str | None = None,
              owner: ast.AST | None = None) -> None:
        if expr is None:
            return
        value = self.values.resolve(expr)
        if value is None:
            if name in LINKED and family is not None:
                self._config_read(name, expr, user, display, family)
            return
        location = self.module.location(value.node)
        setting = Setting(name, value.value, location, family, display, self.module.location(user),
                          value.origin or via, key, tensors=tensors,
                          rescaled_by=rescaled_by if name == "lr" else None, owner=owner or user)
        # One value feeding two optimizers of the same family is one setting.
        self.found.setdefault((name, location, family), setting)

    def _config_read(self, name: str, expr: ast.expr, user: ast.AST, display: str, family: str) -> None:
        keys: list[str] = []
        while isinstance(expr, (ast.Attribute, ast.Subscript)):
            key = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr.slice, "value", None)
            if not isinstance(key, str):
                return
            keys.append(key)
            expr = expr.value
        # `self.lr` is an attribute, `args.lr` an argparse option with no default: no config file.
        if not keys or not isinstance(expr, ast.Name) or expr.id in ("self", "cls") or \
                self.values.options.is_namespace(expr):
            return
        loaded = self.values.certain.assigned(expr.id, expr)
        files = tuple(literal_paths(self.module, loaded)) if isinstance(loaded, ast.Call) else ()
        self.reads.append(ConfigRead(tuple(reversed(keys)), name, family, display, self.module.location(user),
                                     files))

    def _qualified(self, func: ast.AST) -> str | None:
        qualified = self.module.qualified_name(func)
        if qualified is None and isinstance(func, ast.Name):
            # `from torch.optim import *`: a bare name may come from a star-imported module.
            for star in self.module.names.star_modules:
                candidate = f"{star}.{func.id}"
                if opt.optimizer_class_family(candidate)[0] or candidate in opt.PEAK_LR_SCHEDULERS:
                    return candidate
        return qualified

    def _param_groups(self, expr: ast.expr | None) -> tuple[list[dict[str, ast.expr]], str]:
        """`[{"params": ..., "lr": 1e-4}, ...]` passed as an optimizer's params, and its name."""
        via = ""
        if isinstance(expr, ast.Name):
            via, expr = f"from param groups `{expr.id}`", self.values.certain.assigned(expr.id, expr)
        if not isinstance(expr, (ast.List, ast.Tuple)):
            return [], via
        groups = [literal_mapping(e) for e in expr.elts if isinstance(e, (ast.Dict, ast.Call))]
        return [g for g in groups if g and "params" in g], via

    def _direct_tensors(self, params: ast.expr | None) -> bool:
        """`Adam([latent], ...)`, `[{"params": [self._xyz], "lr": ...}]`: named tensors (inputs,
        latents, perturbations, splats), which are optimized with far larger steps than weights."""
        if isinstance(params, ast.Name):
            params = self.values.certain.assigned(params.id, params)
        if not isinstance(params, (ast.List, ast.Tuple)) or not params.elts:
            return False
        for element in params.elts:
            group = literal_mapping(element) if isinstance(element, (ast.Dict, ast.Call)) else None
            if group and "params" in group:
                if not self._direct_tensors(group["params"]):
                    return False
            elif not (isinstance(element, (ast.Name, ast.Attribute, ast.Subscript)) or (
                    isinstance(element, ast.Call) and isinstance(element.func, ast.Attribute)
                    and element.func.attr in _TENSOR_METHODS)):
                return False
        return True


def _candidate(func: ast.expr) -> bool:
    """Only classes (capitalized) and a few functions take settings: most calls (`x.view(...)`,
    `torch.cat(...)`) are skipped before the costlier import resolution."""
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name[:1].isupper() or name in _LOWERCASE_CALLS


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
