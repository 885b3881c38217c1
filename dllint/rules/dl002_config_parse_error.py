"""DL002: a hyperparameter config file that does not load.

The engine emits it from `load_config`'s ConfigParseError; this class carries metadata and docs.
"""

from __future__ import annotations

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class ConfigParseErrorRule(Rule):
    """
    ## What it does
    Reports a YAML, JSON or TOML config file that its loader rejects: a syntax error, bytes
    that are not UTF-8, binary content, a tag that a safe YAML loader refuses (such as
    `!!python/object/apply:`), nesting too deep to load, or a YAML alias bomb. The message names
    the loader's error, and the finding points at the line and column the loader reported.

    YAML is read with PyYAML's safe loader (what `yaml.safe_load` sees), JSON with `json.loads`
    and TOML with `tomllib`.

    ## Why is this bad?
    The training script that reads this file will crash at start-up, or, worse, a job launcher
    may fall back to defaults and train with hyperparameters nobody chose. dllint cannot check
    the values in a file it cannot load, so the hyperparameter rules (DL3xx) stay silent on it.

    ## Example
    ```yaml
    model:
      name: resnet50
      widths: [64, 128, 256
    optimizer:
      lr: 0.1
    ```

    ## Use instead
    ```yaml
    model:
      name: resnet50
      widths: [64, 128, 256]
    optimizer:
      lr: 0.1
    ```
    """

    code = "DL002"
    name = "config-parse-error"
    severity = Severity.ERROR
    summary = "A YAML/JSON/TOML config file that does not load"
    help = "fix the file at the reported line; dllint checks its values once it loads"
    origin = "A complete Pytorch deep learning project code structure (configs/)"
    engine_emitted = True
