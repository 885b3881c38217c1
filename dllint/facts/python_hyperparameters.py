"""The hyperparameter settings a Python file makes, and whether it clips gradients.

Read from the calls that take them: optimizers (keywords, torch's positions, param groups),
schedulers whose argument is a peak learning rate, optimizer factories, trainer argument classes,
dropout layers and Lightning's Trainer, and mmengine-style `dict(type="SGD", lr=0.02)` configs.
Each value is followed by `facts.constants`; one that does not resolve yields no setting.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from dllint.facts import optimizers as opt
from dllint.facts.certain_bindings import nodes
from dllint.facts.constants import literal_mapping, resolver
from dllint.facts.hyperparameter_setting import Setting

GROUP_KEYS = ("lr", "weight_decay", "momentum", "betas", "eps")
_DROPOUT_MODULES = {f"torch.nn.{n}" for n in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                              "AlphaDropout", "FeatureAlphaDropout")}
_DROPOUT_FUNCTIONS = {f"torch.nn.functional.{n}" for n in ("dropout", "dropout1d", "dropout2d",
                                                           "dropout3d", "alpha_dropout")}
_TRAINERS = {"pytorch_lightning.Trainer", "lightning.Trainer", "lightning.pytorch.Trainer"}
_TENSOR_METHODS = {"requires_grad_", "detach", "clone", "to", "cuda", "float", "contiguous"}


def collect(module) -> list[Setting]:
    return _PythonSettings(module).collect()


class _PythonSettings:
    def __init__(self, module) -> None:
        self.module = module
        self.values = resolver(module)
        self.calls: list[ast.Call] = nodes(module, ast.Call)
        self.found: dict[tuple, Setting] = {}
        self.rescaled: dict[ast.Call, str] = {}  # optimizer call -> scheduler that rescales its lr

    def collect(self) -> list[Setting]:
        qualified = [(call, self._qualified(call.func)) for call in self.calls]
        for call, name in qualified:
            if name in opt.RESCALING_SCHEDULERS:
                built = self.values.certain.constructor(_arg(call, "optimizer", 0))
                if built is not None:
                    self.rescaled[built] = name
        for call, name in qualified:
            self._call(call, name)
        for node in nodes(self.module, ast.Dict):
            self._config_dict(node, literal_mapping(node))
        clipped, clip = self._clipping()
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
            self._emit("dropout", "p", _arg(call, "p", index), call, qualified, None)
        elif qualified in _TRAINERS:
            self._emit("epochs", "max_epochs", _arg(call, "max_epochs", None), call, qualified, None)
        elif qualified.startswith("torch.nn.") and qualified[9:10].isupper():
            self._emit("dropout", "dropout", _arg(call, "dropout", None), call, qualified, None)

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
        for call in self.calls:
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
