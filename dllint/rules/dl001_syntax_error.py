"""DL001: a Python file that does not parse."""

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a Python file that cannot be read as Python: a syntax error, bytes that do not decode
    in the file's declared encoding, NUL bytes (a binary file with a `.py` name), or nesting deeper
    than the Python parser accepts.

    ## Why is this bad?
    A file that does not parse cannot be checked, so every other rule is blind to it; and a
    training script that does not parse fails only when the job finally starts.

    ## Example
    ```python
    import torch

    def train(model:
        pass
    ```

    ## Use instead
    ```python
    import torch

    def train(model):
        pass
    ```
    """

    code = "DL001"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "A Python file that does not parse"
    help = "fix the syntax or the encoding; dllint checks nothing else in this file until it parses"
    origin = "dllint itself"
    engine_emitted = True
