"""DL704: optimizer hyperparameters written into code while the project has a config system."""

from __future__ import annotations

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.config_system import evidence_in_config, evidence_in_python, is_project_code, literals

LABELS = {"lr": "learning rate", "weight_decay": "weight decay", "momentum": "momentum"}


class HardcodedHyperparameters(Rule):
    """
    ## What it does
    Finds learning rates, weight decays and momenta written as literals into an optimizer or
    scheduler call (`Adam(model.parameters(), lr=1e-3)`, `OneCycleLR(opt, max_lr=0.1)`) in a
    project that keeps hyperparameters elsewhere: a config file that sets them (YAML, JSON,
    TOML: `lr: 3e-4`), a Python config module (`configs/config.py`, `hparams.py`), or a
    command-line option (`--lr`). The finding names the config system, preferring one that
    sets the same hyperparameter.

    It stays silent in projects with no config system (a single script may well write its
    rates in), on values that come from a config, an option, a constant or a parameter, on
    mmengine-style config dicts (`dict(type="SGD", lr=0.01)`), on optimizers of input tensors
    (`Adam([latent], lr=0.1)`), in tests, docs, examples, demos, notebooks and benchmarks
    (self-contained on purpose), and in the config modules themselves.

    ## Why is this bad?
    A hyperparameter that bypasses the config cannot be swept, is missing from the run's saved
    config, and silently contradicts it: the YAML says `lr: 3e-4`, the optimizer trains at
    1e-3, and the experiment log records the wrong one.

    ## Example
    ```tree
    requirements.txt: torch
    configs/train.yaml: lr: 0.0003
    train.py: import torch; optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ```

    ## Use instead
    ```tree
    requirements.txt: torch
    configs/train.yaml: lr: 0.0003
    train.py: import torch, yaml; cfg = yaml.safe_load(open("configs/train.yaml")); opt = torch.optim.Adam(p, cfg["lr"])
    ```
    """

    code = "DL704"
    name = "hardcoded-hyperparameters"
    severity = Severity.INFO
    summary = "Optimizer hyperparameters written into code while the project has a config system"
    help = "read the value from the project's config (or option) so runs can set, sweep and record it"
    origin = "A complete Pytorch deep learning project code structure and project release guide"
    triggers = ("lr", "LR", "learning_rate", "LEARNING_RATE", "weight_decay", "WEIGHT_DECAY", "momentum")

    def summarize_python(self, module):
        found = (tuple(evidence_in_python(module)), tuple(literals(module)))
        return found if any(found) else None

    def summarize_config(self, config):
        found = tuple(evidence_in_config(config))
        return (found, ()) if found else None

    def check_project(self, project):
        facts = list(project.rule_data(self.code))
        evidence = {path: items for path, (items, _) in facts if items}
        if not evidence:
            return None
        found = []
        for path, (_, written) in facts:
            if written and not is_project_code(project.relative(path)):
                continue
            for literal in written:
                source = _best(evidence, path, literal.name)
                message = (f"{LABELS[literal.name]} `{literal.value:g}` is written into `{literal.consumer}`, "
                           f"bypassing the project's config ({source.what})")
                found.append(self.diagnostic(literal.location, message, related=[
                    Related(source.location, source.what)]))
        return found


def _best(evidence: dict, path: str, name: str):
    """Prefer this file's own option for the same setting, then any file setting it, then any."""
    same_file = [e for e in evidence.get(path, ()) if e.name == name]
    same_name = [e for items in evidence.values() for e in items if e.name == name]
    return (same_file or same_name or [e for items in evidence.values() for e in items])[0]
