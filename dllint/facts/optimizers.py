"""Optimizer families: which class, factory string or config `type` is which kind of optimizer.

A family is what the hyperparameter rules reason about: "adam" (L2 decay added to the gradient
before the adaptive scaling), "adamw" (decoupled decay), "sgd", "lion", ... Names are matched
by their last dotted component, case-insensitively, so `torch.optim.AdamW`, `AdamW` in a config
`type:` and timm's `"adamw"` string all land on "adamw".
"""

from __future__ import annotations

import re

FAMILY_NAMES = {
    "adam": "Adam", "adamw": "AdamW", "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax",
    "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adadelta": "Adadelta",
    "lbfgs": "LBFGS", "lion": "Lion", "lamb": "LAMB", "lars": "LARS", "adafactor": "Adafactor",
    "rprop": "Rprop",
}
_ALIASES = {
    "sparseadam": "adam", "asgd": "sgd", "momentum": "sgd", "nesterov": "sgd", "rmsproptf": "rmsprop",
    "fusedsgd": "sgd", "fusedlamb": "lamb", "fusedlion": "lion",
    # apex and DeepSpeed FusedAdam/CPUAdam default to `adam_w_mode=True`: decoupled decay.
    "fusedadam": "adamw", "deepspeedcpuadam": "adamw", "fusedadamw": "adamw",
}
FAMILY_KEYS = set(FAMILY_NAMES) | set(_ALIASES)  # section names that name a family (`adam: {lr: ...}`)
# Packages whose classes are optimizers even when their name is not in the table.
OPTIMIZER_PACKAGES = ("torch.optim", "timm.optim", "bitsandbytes.optim", "apex.optimizers",
                      "deepspeed.ops", "lion_pytorch", "torch_optimizer", "pytorch_optimizer")
# Classes in those packages that are not optimizers, or wrap one whose family they do not tell.
NOT_OPTIMIZERS = {"Optimizer", "Lookahead", "ZeroRedundancyOptimizer", "OSS"}
# bitsandbytes marks its classes with these; its Adam kernels apply decay decoupled, like AdamW.
_BNB_MARK = re.compile(r"^paged|_?(?:8|32)bit$")
# (keyword, positional index) of torch.optim constructor arguments beyond `lr` (always index 1).
TORCH_POSITIONS = {
    "weight_decay": {"sgd": 4, "adam": 4, "adamw": 4, "nadam": 4, "radam": 4, "adamax": 4,
                     "rmsprop": 4, "adadelta": 4, "adagrad": 3},
    "momentum": {"sgd": 2},
    "betas": {"adam": 2, "adamw": 2, "nadam": 2, "radam": 2, "adamax": 2},
    "eps": {"adam": 3, "adamw": 3, "nadam": 3, "radam": 3, "adamax": 3, "rmsprop": 3, "adadelta": 3},
}


def family_of(name: object, *, loose: bool = False) -> str | None:
    """The family a class name, qualified name or string names; None when unknown.

    `loose` is for factory strings, which put modifiers around the family (`"lookahead_adamw"`,
    `"paged_adamw_8bit"`, `"adamw_torch_fused"`): the first underscore-separated part that names
    a family wins. Class names and config `type:` values must name the family as a whole.
    """
    if not isinstance(name, str) or not name.strip():
        return None
    last = name.strip().rsplit(".", 1)[-1].lower()
    bnb = bool(_BNB_MARK.search(last))
    parts = [_BNB_MARK.sub("", last)] + (last.split("_") if loose else [])
    for part in parts:
        family = part if part in FAMILY_NAMES else _ALIASES.get(part)
        if family:
            return "adamw" if bnb and family == "adam" else family
    return None


def optimizer_class_family(qualified: str) -> tuple[bool, str | None]:
    """(is an optimizer class, its family) for an import-resolved constructor name."""
    module, _, cls = qualified.rpartition(".")
    if cls in NOT_OPTIMIZERS or not cls[:1].isupper():
        return False, None
    family = family_of(cls)
    if module.startswith("bitsandbytes") and family == "adam":
        family = "adamw"  # bitsandbytes' Adam applies decay decoupled, like its AdamW
    if family is not None and (module.startswith(OPTIMIZER_PACKAGES) or module in ("transformers",
                                                                                   "transformers.optimization")):
        return True, family
    # Optimizer-only packages: an unknown class there is still an optimizer (generic bounds).
    return (module.startswith(OPTIMIZER_PACKAGES) and not module.startswith("torch.optim")), None


# Learning-rate schedulers whose argument is a peak learning rate: name -> (keyword, position).
PEAK_LR_SCHEDULERS = {
    "torch.optim.lr_scheduler.OneCycleLR": ("max_lr", 1),
    "torch.optim.lr_scheduler.CyclicLR": ("max_lr", 2),
    # pip `cosine_annealing_warmup`: warms up to max_lr, then anneals.
    "cosine_annealing_warmup.CosineAnnealingWarmupRestarts": ("max_lr", None),
    "cosine_annealing_warmup.scheduler.CosineAnnealingWarmupRestarts": ("max_lr", None),
}
# Schedulers that multiply (LambdaLR: the Annotated Transformer's `Adam(lr=1)` with a Noam factor)
# or replace (OneCycleLR, CyclicLR) the learning rate given to the optimizer's constructor.
RESCALING_SCHEDULERS = {f"torch.optim.lr_scheduler.{n}" for n in ("LambdaLR", "MultiplicativeLR",
                                                                   "OneCycleLR", "CyclicLR")}
# Factories whose optimizer is named by a string: name -> positions of (opt, lr, weight_decay).
FACTORIES = {
    "timm.optim.create_optimizer_v2": (1, 2, 3),
    "timm.optim.optim_factory.create_optimizer_v2": (1, 2, 3),
    "timm.optim.create_optimizer_v2.create_optimizer_v2": (1, 2, 3),
}
# Trainer argument classes: learning_rate/weight_decay keywords, optimizer named by `optim`.
TRAINING_ARGUMENTS = {
    "transformers.TrainingArguments", "transformers.Seq2SeqTrainingArguments",
    "transformers.training_args.TrainingArguments", "trl.SFTConfig", "trl.DPOConfig",
}
TRAINING_ARGUMENTS_DEFAULT_OPTIM = "adamw_torch"


# ---- config files ------------------------------------------------------------------------------

# Keys naming the class (Hydra `_target_`, mmengine/pytorch-template `type`, Lightning CLI
# `class_path`, plain `name`) must name a family as a whole; the optimizer-named keys may hold
# factory strings (`optim: adamw_torch_fused`, timm's `opt: lookahead_adamw`).
CLASS_KEYS = ("_target_", "class_path", "type", "name")
OPTIMIZER_KEYS = ("optimizer", "optim", "opt", "optimizer_name", "optimizer_type", "optimizer_cls")
# Sections holding a class's arguments: the class is named one level up.
ARGUMENT_SECTIONS = {"args", "kwargs", "init_args", "params", "optimizer_params", "optimizer_kwargs",
                     "opt_args", "options"}
DEEPSPEED_MARKERS = ("train_batch_size", "train_micro_batch_size_per_gpu", "zero_optimization")


def config_family(node) -> tuple[str | None, str | None, object]:
    """(family, class as written, the node naming it) for a value in a config mapping."""
    section = node.parent
    sections = [section]
    if section is not None and str(section.key).lower() in ARGUMENT_SECTIONS and section.parent is not None:
        sections.append(section.parent)
    for mapping in sections:
        if mapping is None or mapping.kind != "mapping":
            continue
        for key in CLASS_KEYS + OPTIMIZER_KEYS:
            named = mapping.get(key)
            if named is None or named.kind != "scalar" or not isinstance(named.value, str):
                continue
            family = family_of(named.value, loose=key in OPTIMIZER_KEYS)
            if family == "adam" and _deepspeed_adamw(mapping):
                family = "adamw"
            if family is not None:
                return family, named.value, named
            if key in ("_target_", "class_path", "type"):
                return None, None, None  # some other class (a scheduler, a LightningModule)
        if isinstance(mapping.key, str) and family_of(mapping.key) is not None:
            return family_of(mapping.key), mapping.key, mapping  # `adam: {lr: ...}`
    return None, None, None


def _deepspeed_adamw(section) -> bool:
    """DeepSpeed's `"type": "Adam"` runs FusedAdam with `adam_w_mode: true` unless told otherwise."""
    root = section
    while root.parent is not None:
        root = root.parent
    if not any(root.get(key) is not None for key in DEEPSPEED_MARKERS):
        return False
    params = section.get("params")
    mode = params.get("adam_w_mode") if params is not None and params.kind == "mapping" else None
    return mode is None or mode.value is not False


def config_nodes(config) -> list:
    """Every node of a config file, in document order: walked once, shared by every fact."""
    return config.fact(_config_nodes)


def _config_nodes(config) -> list:
    return list(config.walk())


def config_keys(config) -> dict[str, list]:
    """Nodes by lowercased key, in document order: `config_keys(c).get("lr", [])` (one pass per file)."""
    return config.fact(_config_keys)


def _config_keys(config) -> dict[str, list]:
    index: dict[str, list] = {}
    for node in config_nodes(config):
        if isinstance(node.key, str):
            index.setdefault(node.key.lower(), []).append(node)
    return index
