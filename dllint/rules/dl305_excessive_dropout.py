"""DL305: a dropout probability so high that little of the signal survives, or not a probability."""

from __future__ import annotations

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule
from dllint.facts.hyperparameters import Setting, judged
from dllint.facts.setting_hooks import SettingsHooks


class ExcessiveDropout(SettingsHooks, Rule):
    """
    ## What it does
    Finds dropout probabilities of 0.8 and above, where the network sees a fifth of its activations
    or less on every training step, and probabilities outside [0, 1] (an error: PyTorch raises, or
    the config is read by code that does not check). In code it reads `nn.Dropout(p)` and its
    1d/2d/3d/alpha variants, `F.dropout(x, p)`, and the `dropout=` argument of `torch.nn` layers
    (`LSTM`, `MultiheadAttention`, `TransformerEncoderLayer`); in config files and Python config
    modules the keys `dropout`, `dropout_rate`, `drop_rate`, `dropout_p`, `dropout_prob` and the
    Hugging Face names (`hidden_dropout_prob`, `attention_probs_dropout_prob`, `attention_dropout`,
    `resid_pdrop`, `embd_pdrop`, `attn_pdrop`, `classifier_dropout`). The value is followed through
    constants, argparse and click defaults, config classes and OmegaConf `${...}` references.

    Stays silent on keep probabilities (`keep_prob`, TensorFlow's convention, is not read), on
    stochastic depth (`drop_path_rate`), on `dropout: 1` in a config file (a switch), and on a
    layer's parameter (`def __init__(self, p=0.9)`): callers pass their own.

    ## Why is this bad?
    Excessive regularization is one of the field notes' reasons a loss stops decreasing: with
    `p=0.9` nine activations in ten are zeroed and the rest scaled by 10, so the gradient is mostly
    noise and the model underfits. A value of 0.9 often comes from TensorFlow code, where the
    argument was the probability to *keep*.

    ## Example
    ```python
    import torch.nn as nn

    head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.9), nn.Linear(256, 10))
    ```

    ## Use instead
    ```python
    import torch.nn as nn

    head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 10))
    ```
    """

    code = "DL305"
    name = "excessive-dropout"
    severity = Severity.WARNING
    summary = "A dropout probability of 0.8 or more, or one outside [0, 1]"
    help = "use 0.1 to 0.5; if the value was TensorFlow's keep probability, use 1 - keep_prob"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.6 excessive regularization)"
    triggers = ("ropout", "drop_rate", "pdrop", "dropout_p")

    @dataclass(frozen=True)
    class Options:
        max_dropout: float = field(default=0.8, metadata={
            "help": "dropout probabilities at or above this are reported"})

    def _check(self, settings: list[Setting]):
        found = []
        for first, verdict, related in judged(settings, "dropout", self._verdict):
            severity = Severity.ERROR if verdict.startswith("is not") else None
            found.append(self.diagnostic(first.location, f"dropout {first.number:g} {verdict}{first.context()}",
                                         severity=severity, related=related))
        return found

    def _verdict(self, setting: Setting) -> str | None:
        p = setting.number
        if p is None or (setting.node is not None and type(setting.value) is int and setting.value == 1):
            return None  # `dropout: 1` in a config file is a switch, not a probability of 1
        if not 0 <= p <= 1:
            return "is not a probability (dropout takes a value in [0, 1])"
        if p == 1:
            return "drops every activation: the layer outputs zeros while training"
        if p >= self.options.max_dropout:
            return (f"zeroes {p:.0%} of activations on every training step, leaving too little signal to "
                    "learn from (is it a keep probability?)")
        return None
