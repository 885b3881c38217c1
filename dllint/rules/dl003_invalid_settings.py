"""DL003: dllint's own settings are invalid."""

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class InvalidSettings(Rule):
    """
    ## What it does
    Refuses `[tool.dllint]` (pyproject.toml) or `dllint.yaml` settings with an unknown key, an
    unknown rule code or name, an unknown rule option, or a value of the wrong type. The run stops
    with exit code 2 and names the file and line.

    ## Why is this bad?
    A misspelt key that is silently ignored means a threshold you think you set is not applied,
    or a rule you think you turned off is still on (or the reverse), without any sign.

    ## Example
    ```toml
    # pyproject.toml
    [tool.dllint]
    selct = ["DL1"]

    [tool.dllint.rules.DL301]
    adaptive-max-learning-rate = "high"
    ```

    ## Use instead
    ```toml
    # pyproject.toml
    [tool.dllint]
    select = ["DL1"]
    ```
    """

    code = "DL003"
    name = "invalid-settings"
    severity = Severity.ERROR
    summary = "Unknown keys, codes or bad values in dllint's settings"
    help = "see `dllint rules` for codes and `dllint rule CODE` for a rule's options"
    origin = "dllint itself"
    engine_emitted = True
