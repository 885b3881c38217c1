"""NumPy random numbers drawn in a map-style `Dataset`'s `__getitem__` (and the methods of the
same class it calls), and where the generator comes from.

DataLoader workers are forked copies of the main process. PyTorch (since 1.9) seeds the global
`np.random` state of each worker differently, but a generator object made once - in `__init__`
or at module level (`self.rng = np.random.default_rng(0)`) - is copied into every worker in the
same state: the workers draw the same numbers, and since the copy is made again each epoch
(non-persistent workers), every epoch repeats them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dllint.engine.diagnostic import Location
from dllint.facts.bindings import own_nodes
from dllint.facts.loaders import EVAL, name_role

GENERATORS = {"numpy.random.RandomState", "numpy.random.default_rng", "numpy.random.Generator",
              "numpy.random.mtrand.RandomState"}
DATASET_BASES = {"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"}
# Reseeding the generator per worker or per item fixes it.
RESEED = re.compile(r"worker|seed|epoch|reset", re.IGNORECASE)


@dataclass(frozen=True)
class RngUse:
    location: Location  # the draw in `__getitem__`
    generator: str  # "self.rng", or "np.random" for the global state
    made: Location | None  # where the generator object was made (None for the global state)
    made_as: str  # "np.random.default_rng(0)"
    dataset: str  # the class


def rng_uses(module) -> list[RngUse]:
    return module.fact(_rng_uses)


def _rng_uses(module) -> list[RngUse]:
    found = []
    module_level = _generators(module, [s for s in module.tree.body if isinstance(s, ast.Assign)], "")
    for cls in module.nodes("ClassDef"):
        methods = {m.name: m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if "__getitem__" not in methods or not _is_dataset(module, cls) or name_role(cls.name) == EVAL:
            continue
        made = {**module_level}
        for method in methods.values():
            made.update(_generators(module, own_nodes(method), "self."))
        reached = _reached(methods, "__getitem__")
        # Reseeded per worker (`worker_init`, `set_epoch`) or made again per item: fresh each time.
        if any(_assigns(module, m, made) for n, m in methods.items() if RESEED.search(n) or m in reached):
            continue
        for method in reached:
            for call in (n for n in own_nodes(method) if isinstance(n, ast.Call)):
                use = _use(module, call, made, cls.name)
                if use is not None:
                    found.append(use)
    return sorted(found, key=lambda use: (use.location.line, use.location.column))


def _is_dataset(module, cls: ast.ClassDef) -> bool:
    for base in cls.bases:
        qualified = module.qualified_name(base) or ""
        if qualified in DATASET_BASES:
            return True
        if "Iterable" not in module.segment(base) and module.segment(base).endswith("Dataset") and \
                not qualified.startswith(("datasets.", "tensorflow", "keras")):
            return True
    return False


def _generators(module, nodes, prefix: str) -> dict[str, ast.Call]:
    found = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and module.qualified_name(node.value.func) in GENERATORS:
            for target in node.targets:
                text = module.segment(target)
                if text.startswith(prefix) and (prefix or isinstance(target, ast.Name)):
                    found[text] = node.value
    return found


def _assigns(module, method, made: dict) -> bool:
    """The method (re)makes or reseeds one of the generators: `self.rng = default_rng(seed)`."""
    for node in own_nodes(method):
        if isinstance(node, ast.Assign) and any(module.segment(t) in made for t in node.targets):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "seed" \
                and module.segment(node.func.value) in made:
            return True
    return False


def _use(module, call: ast.Call, made: dict, dataset: str) -> RngUse | None:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = module.segment(func.value)
    if receiver in made:
        return RngUse(module.location(call), receiver, module.location(made[receiver]),
                      module.segment(made[receiver]), dataset)
    qualified = module.qualified_name(func) or ""
    if qualified.startswith("numpy.random.") and qualified not in GENERATORS and func.attr != "seed":
        return RngUse(module.location(call), "np.random", None, "", dataset)
    return None


def _reached(methods: dict, start: str) -> list:
    """`__getitem__` and the methods it calls through `self.` (two levels deep)."""
    order, frontier = [methods[start]], [methods[start]]
    for _ in range(2):
        called = {n.func.attr for m in frontier for n in own_nodes(m) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                  and n.func.value.id == "self" and n.func.attr in methods}
        frontier = [methods[c] for c in called if methods[c] not in order]
        order += frontier
    return order
