"""Training entry points and random seeding, per file, for the project phase.

`seeding(module)` summarizes a file: whether it is a training entry point (a `__main__` guard or
module-level code, with a training loop or a Lightning `Trainer.fit`), whether it seeds
(`torch.manual_seed`, `np.random.seed`, `random.seed`, `seed_everything`, `set_seed`, a helper
named `*seed*`, `enable_full_determinism`), which of its top-level functions seed (also through
same-file calls), and which imported names it calls, so that a seed set in `utils.set_up(args)`
of another project file is found.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.engine.diagnostic import Location
from dllint.facts.bindings import assigned_values, last_name
from dllint.facts.training_loop import training_loops

SEEDS = re.compile(r"seed|full_determinism", re.IGNORECASE)
# Hugging Face's `Trainer.train()` is no entry point here: it seeds from `TrainingArguments.seed`.
LIGHTNING = ("lightning.", "pytorch_lightning.")


@dataclass(frozen=True)
class Seeding:
    entry: Location | None  # where the training entry point is (None: not one)
    trains_at: Location | None
    seeds: bool  # the file calls a seed function (anywhere)
    seeding_functions: frozenset  # top-level functions that seed
    calls: tuple  # (module, name) of imported names the file calls: `from utils import setup` -> ("utils", "setup")


def seeding(module) -> Seeding:
    calls = module.nodes("Call")
    lowered = module.text.lower()
    # Most files never mention a seed: no need to look at each call.
    maybe = any(word in lowered for word in ("seed", "full_determinism", "default_rng", "randomstate", "random("))
    seed_calls = [c for c in calls if SEEDS.search(last_name(c.func) or "") or _seeded_generator(c)] if maybe else []
    functions = {f.name: f for f in module.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    seeding_functions = {name for name, f in functions.items() if any(_inside(c, f) for c in seed_calls)}
    for _ in range(3 if seeding_functions else 0):  # `main()` calls `setup()`, which seeds
        callers = [c for c in calls if last_name(c.func) in seeding_functions]
        grown = {name for name, f in functions.items() if any(_inside(c, f) for c in callers)}
        if grown <= seeding_functions:
            break
        seeding_functions |= grown
    imported = module.names.aliases
    called = {(imported[n].rpartition(".")[0], imported[n].rpartition(".")[2]) for c in calls
              if isinstance(c.func, ast.Name) and (n := c.func.id) in imported}
    trains = _training(module, calls)
    guard = next((s for s in module.tree.body if _is_main_guard(s)), None)
    entry = None
    if trains is not None and (guard is not None or module.scopes.scope_of(trains).node is module.tree):
        entry = module.location(guard.test if guard is not None else trains)
    return Seeding(entry, module.location(trains) if trains is not None else None, bool(seed_calls),
                   frozenset(seeding_functions), tuple(sorted(called)))


def _training(module, calls) -> ast.AST | None:
    loops = training_loops(module)
    if loops:
        return loops[0].loop
    for call in calls if "Trainer" in module.text else ():
        if last_name(call.func) in ("fit", "train") and isinstance(call.func, ast.Attribute):
            made = _trainer_class(module, call.func.value)
            if made is not None and any(q.startswith(LIGHTNING) for q in made) and call.func.attr == "fit":
                return call
    return None


def _trainer_class(module, expr: ast.expr) -> tuple[str, ...] | None:
    values = [expr] if isinstance(expr, ast.Call) else assigned_values(module, expr) \
        if isinstance(expr, (ast.Name, ast.Attribute)) else []
    for value in values:
        if isinstance(value, ast.Call):
            names = module.names.candidates(value.func)
            if any(n.endswith("Trainer") for n in names):
                return names
    return None


def _seeded_generator(call: ast.Call) -> bool:
    # `np.random.default_rng(0)`, `np.random.RandomState(seed)`, `random.Random(seed)`
    return last_name(call.func) in ("default_rng", "RandomState", "Random") and bool(call.args or call.keywords)


def _inside(node: ast.AST, function: ast.AST) -> bool:
    return function.lineno <= node.lineno <= function.end_lineno


def _is_main_guard(statement: ast.stmt) -> bool:
    test = statement.test if isinstance(statement, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
