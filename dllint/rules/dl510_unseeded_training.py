"""DL510: a training entry point that never seeds the random number generators."""

from __future__ import annotations

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.seeding import seeding


class UnseededTraining(Rule):
    """
    ## What it does
    Finds training entry points - a script with a `__main__` guard or module-level code that runs
    a training loop (`backward()` and an optimizer `step()`) or a Lightning `Trainer.fit` - in
    which nothing seeds the random number generators: no `torch.manual_seed`, `np.random.seed`,
    `random.seed`, `lightning.seed_everything`, `transformers.set_seed`, nor a helper named for
    it (`set_seed(args.seed)`, `init_seeds()`), also in a function of another project file that
    the script calls.

    Silent for library code (no entry point), for Hugging Face's `Trainer`, which seeds from
    `TrainingArguments.seed`, and for files that only define training functions.

    ## Why is this bad?
    Weight initialization, data shuffling, augmentation and dropout all draw random numbers. An
    unseeded run cannot be repeated: a change in the loss may be noise, a bug cannot be
    reproduced, and two configurations cannot be compared on the same footing.

    ## Example
    ```python
    import torch

    def main():
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()

    if __name__ == "__main__":
        main()
    ```

    ## Use instead
    ```python
    import torch

    def main():
        torch.manual_seed(0)
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()

    if __name__ == "__main__":
        main()
    ```
    """

    code = "DL510"
    name = "unseeded-training"
    severity = Severity.INFO
    summary = "Training entry point that never seeds torch, numpy or random"
    help = "seed every generator at start-up: `torch.manual_seed(s)`, `np.random.seed(s)`, `random.seed(s)` " \
           "(or `lightning.seed_everything(s)`)"
    origin = "Summary of Deep Learning Project Experience (7. dataset partitioning and model construction)"
    # `seed` too: a helper that seeds in another file must be summarized.
    triggers = ("backward(", ".fit(", "seed", "full_determinism")

    def summarize_python(self, module):
        return seeding(module)

    def check_project(self, project):
        found = dict(project.rule_data(self.code))
        by_file = {project.relative(path): facts for path, facts in found.items()}
        diagnostics = []
        for path, facts in found.items():
            if facts.entry is None or facts.seeds or any(
                    _seeds_in(project, path, module, name, by_file) for module, name in facts.calls):
                continue
            message = "this training entry point never seeds torch, numpy or random: runs cannot be repeated"
            related = [Related(facts.trains_at, "training starts here")] if facts.trains_at != facts.entry else []
            diagnostics.append(self.diagnostic(facts.entry, message, related=related))
        return diagnostics


def _seeds_in(project, path, module, name, by_file) -> bool:
    """`from utils import setup`: does the project's `utils.setup` seed?"""
    resolved = project.modules.resolve(module, project.relative(path)) if module else None
    facts = by_file.get(resolved) if resolved else None
    return facts is not None and name in facts.seeding_functions
