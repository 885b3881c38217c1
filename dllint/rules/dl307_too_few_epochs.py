"""DL307: a training run configured for fewer epochs than a model needs to converge."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.hyperparameters import Setting, from_config, from_python, judged
from dllint.facts.optimizers import config_keys

# The run's length is given in steps or iterations: the epoch count is a cap, or ignored.
STEP_KEYS = {"max_steps", "max_iters", "max_iter", "total_steps", "num_train_steps", "train_steps",
             "num_steps", "total_iters", "max_train_steps", "n_steps", "num_iterations", "train_iters"}
# Starting from pretrained weights, one to three epochs is the norm (BERT, LLM supervised tuning).
PRETRAINED_KEYS = ("pretrained", "checkpoint", "model_name_or_path", "lora", "peft", "tokenizer", "load_from",
                   "base_model", "init_from")
PRETRAINED_CODE = ("from_pretrained", "pretrained=True", "weights=", "load_state_dict", "init_from")
# Runs meant to be short: smoke tests, debugging, CI, examples.
SHORT_RUN_WORDS = {"debug", "test", "tests", "smoke", "sanity", "ci", "fast", "quick", "tiny", "toy", "dev",
                   "example", "examples", "demo", "docs", "overfit", "profile", "profiling", "benchmark"}
_WORDS = re.compile(r"[a-z]+")


class TooFewEpochs(Rule):
    """
    ## What it does
    Finds training runs configured for fewer than 3 epochs: `epochs`, `max_epochs`, `num_epochs`,
    `num_train_epochs` and `total_epochs` in config files and Python config modules, Lightning's
    `Trainer(max_epochs=...)`, `TrainingArguments(num_train_epochs=...)`, and a training loop
    `for epoch in range(2):` around a backward pass or optimizer step. Off by default: turn it on
    for projects that train from scratch.

    Stays silent where a short run is intended: when the length is given in steps or iterations
    (`max_steps`, `max_iters`), when the run starts from pretrained weights (`from_pretrained`,
    `pretrained`, `checkpoint`, `lora` keys: fine-tuning for 1-3 epochs is the norm), in debug,
    test, smoke, CI and example configs and scripts, and for `-1`/`0` (Lightning: unlimited).

    ## Why is this bad?
    Inadequate training time is one of the field notes' reasons a model does not reach a good
    loss: trained from scratch for one or two passes over the data, it stops while the loss is
    still falling, and the result looks like a model or data problem.

    ## Example
    ```yaml
    model:
      arch: resnet18
    trainer:
      max_epochs: 1
    ```

    ## Use instead
    ```yaml
    model:
      arch: resnet18
    trainer:
      max_epochs: 90
    ```
    """

    code = "DL307"
    name = "too-few-epochs"
    severity = Severity.INFO
    summary = "A training run configured for fewer than 3 epochs"
    help = "train until the validation loss stops improving (tens of epochs from scratch), or give max_steps"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.8 inadequate training time)"
    triggers = ("epoch",)
    enabled_by_default = False

    @dataclass(frozen=True)
    class Options:
        min_epochs: int = field(default=3, metadata={"help": "epoch counts below this are reported"})

    def check_python(self, module):
        if _short_run_path(module.path) or any(marker in module.text for marker in PRETRAINED_CODE):
            return None
        settings = [s for s in from_python(module) if not _counts_steps(s)]
        return self._check(settings)

    def check_config(self, config):
        if _short_run_path(config.path):
            return None
        for key, nodes in config_keys(config).items():
            if key in STEP_KEYS and any(isinstance(n.value, int) and n.value > 0 for n in nodes):
                return None
            if any(marker in key for marker in PRETRAINED_KEYS) and any(n.value not in (None, False, "")
                                                                        for n in nodes):
                return None
        return self._check(from_config(config))

    def _check(self, settings: list[Setting]):
        return [self.diagnostic(first.location, f"{verdict}{first.context()}", related=related)
                for first, verdict, related in judged(settings, "epochs", self._verdict)]

    def _verdict(self, setting: Setting) -> str | None:
        epochs = setting.number
        if epochs is None or epochs <= 0 or epochs >= self.options.min_epochs:
            return None
        return (f"{epochs:g} epoch{'s' if epochs != 1 else ''} of training is too short for a model to "
                f"converge from scratch (fewer than {self.options.min_epochs})")


def _short_run_path(path: str) -> bool:
    return bool(SHORT_RUN_WORDS & set(_WORDS.findall(path.lower())))


def _counts_steps(setting: Setting) -> bool:
    """`Trainer(max_epochs=1, max_steps=5000)`: the step budget decides."""
    call = setting.owner
    return isinstance(call, ast.Call) and any(kw.arg in STEP_KEYS for kw in call.keywords)
