"""Qualified names from imports: `import torch.nn as tnn; tnn.Softmax` -> `torch.nn.Softmax`."""

from __future__ import annotations

import ast


class ImportMap:
    def __init__(self, aliases: dict[str, str], star_modules: tuple[str, ...]) -> None:
        self.aliases = aliases
        # `from sklearn.metrics import *`: bare names may come from these modules.
        self.star_modules = star_modules

    @classmethod
    def from_module(cls, module) -> "ImportMap":
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
                    joined = f"{base}.{alias.name}" if not base.endswith(".") else base + alias.name
                    aliases[alias.asname or alias.name] = joined
        return cls(aliases, tuple(stars))

    @property
    def imported_modules(self) -> set[str]:
        """Top-level packages this file imports (absolute imports only)."""
        tops = {name.split(".")[0] for name in self.aliases.values() if not name.startswith(".")}
        return tops | {m.split(".")[0] for m in self.star_modules if not m.startswith(".")}

    def qualified_name(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.aliases.get(node.id)
        if base is None:
            return None
        return ".".join([base, *reversed(parts)])

    def resolves_to(self, node: ast.AST, *names: str) -> str | None:
        """The first of `names` (fully qualified) that `node` refers to, also through `import *`."""
        qualified = self.qualified_name(node)
        if qualified is not None:
            return qualified if qualified in names else None
        if isinstance(node, ast.Name) and self.star_modules:
            for name in names:
                module, _, attr = name.rpartition(".")
                if attr == node.id and module in self.star_modules:
                    return name
        return None


def _imports(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
