"""Qualified names from imports: `import torch.nn as tnn; tnn.Softmax` -> `torch.nn.Softmax`."""

from __future__ import annotations

import ast


class ImportMap:
    def __init__(self, aliases: dict[str, str], star_modules: tuple[str, ...]) -> None:
        self.aliases = aliases
        # `from sklearn.metrics import *`: bare names may come from these modules.
        self.star_modules = star_modules

    @classmethod
    def from_module(cls, module) -> ImportMap:
        aliases: dict[str, str] = {}
        stars: list[str] = []
        # The engine's walk indexes nodes by type; without it (a bare module), walk once here.
        indexed = module.nodes_by_type
        nodes = module.nodes("Import", "ImportFrom") if indexed else _imports(module.tree)
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        # `import torch.nn` binds `torch`.
                        top = alias.name.split(".")[0]
                        aliases[top] = top
            else:
                base = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        stars.append(base)
                        continue
                    aliases[alias.asname or alias.name] = _join(base, alias.name)
        return cls(aliases, tuple(stars))

    @property
    def imported_modules(self) -> set[str]:
        """Top-level packages this file imports (absolute imports only)."""
        tops = {name.split(".")[0] for name in self.aliases.values() if not name.startswith(".")}
        return tops | {m.split(".")[0] for m in self.star_modules if not m.startswith(".")}

    def qualified_name(self, node: ast.AST) -> str | None:
        root, dotted = _split(node)
        base = self.aliases.get(root.id) if root is not None else None
        return None if base is None else ".".join([base, *dotted])

    def candidates(self, node: ast.AST, scopes=None) -> tuple[str, ...]:
        """The fully qualified names `node` may refer to: the one its imports give, or, when no
        import binds its first name, one per `import *` module (`from sklearn.metrics import *`
        then `RocCurveDisplay.from_predictions`). Given the file's `scopes`, a first name the file
        binds itself before the use (`auroc = AUROC()`, `def roc_auc_score`) comes from no star."""
        qualified = self.qualified_name(node)
        if qualified is not None:
            return (qualified,)
        root, dotted = _split(node)
        if root is None or not self.star_modules:
            return ()
        if scopes is not None and scopes.scope_of(root).latest(root.id, root.lineno) is not None:
            return ()
        name = ".".join([root.id, *dotted])
        return tuple(_join(star, name) for star in self.star_modules)

    def resolves_to(self, node: ast.AST, *names: str, scopes=None) -> str | None:
        """The first of `names` (fully qualified) that `node` refers to, also through `import *`
        (`scopes` as for `candidates`)."""
        found = self.candidates(node, scopes)
        return next((name for name in names if name in found), None)


def _split(node: ast.AST) -> tuple[ast.Name | None, list[str]]:
    """`a.b.c` -> (the `a` node, ["b", "c"]); no root for anything but a dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return (node if isinstance(node, ast.Name) else None), parts[::-1]


def _join(base: str, name: str) -> str:
    # `from . import x` has the base "." and gives ".x", not "..x".
    return base + name if base.endswith(".") else f"{base}.{name}"


def _imports(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
