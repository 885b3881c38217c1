"""DL004: a suppression comment that suppresses nothing."""

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class UnusedSuppression(Rule):
    """
    ## What it does
    Reports a `# dllint: ignore[...]`, `# dllint: ignore-file[...]` or `# noqa: DLxxx` comment
    that suppressed no finding in this run, or that names a code dllint does not know.
    Comments for rules that were not selected in the run are left alone: they cannot be judged.
    `--fix` removes the idle codes, and the whole comment when none is left (other linters' codes in
    a `noqa` are kept).

    ## Why is this bad?
    A stale suppression hides the next real finding on that line, and a misspelt code (`DL3001` for
    `DL301`) suppresses
    nothing while looking as if it did.

    ## Example
    ```python
    import torch

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # dllint: ignore[DL3001]
    ```

    ## Use instead
    ```python
    import torch

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    ```
    """

    code = "DL004"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment that suppressed nothing, or names an unknown code"
    help = "remove the comment, or correct the code it names"
    origin = "dllint itself"
    engine_emitted = True
    fixable = True
