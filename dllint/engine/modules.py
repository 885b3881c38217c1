"""The project's own modules by dotted name, so cross-file facts can follow imports to files.

A file's dotted name is taken relative to the project root and, for `src/` layouts, relative to
`src/` as well (`src/pkg/model.py` is importable as `pkg.model`). Relative imports resolve
against the importing file's package, as Python does.
"""

from __future__ import annotations

from pathlib import PurePosixPath

SOURCE_ROOTS = ("", "src", "lib")


def dotted_names(relative: str) -> list[str]:
    """Every dotted name a project file may be imported as (`src/pkg/a.py` -> pkg.a, src.pkg.a)."""
    path = PurePosixPath(relative)
    if path.suffix not in (".py", ".pyi"):
        return []
    parts = list(path.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    names = []
    for root in SOURCE_ROOTS:
        if not root:
            names.append(parts)
        elif parts[:1] == [root]:
            names.append(parts[1:])
    return [".".join(p) for p in names if p and all(x.isidentifier() for x in p)]


class ModuleIndex:
    def __init__(self, relative_paths: list[str]) -> None:
        self.by_name: dict[str, str] = {}
        self.names_of: dict[str, list[str]] = {}
        for relative in sorted(relative_paths, key=lambda p: (p.count("/"), p)):
            names = dotted_names(relative)
            self.names_of[relative] = names
            for name in names:
                self.by_name.setdefault(name, relative)

    def resolve(self, module: str, importer: str | None = None) -> str | None:
        """The project file for an import (`models.net`, or `.net` relative to `importer`)."""
        if module.startswith("."):
            if importer is None:
                return None
            level = len(module) - len(module.lstrip("."))
            package = PurePosixPath(importer).parent
            for _ in range(level - 1):
                package = package.parent
            tail = module[level:]
            base = [n for n in self.names_of.get(importer, []) if n]
            candidates = [".".join([*str(package).split("/"), *([tail] if tail else [])])
                          if str(package) != "." else tail]
            for name in base:
                parts = name.split(".")
                # the importer's own package, then `level - 1` parents up
                if PurePosixPath(importer).name != "__init__.py":
                    parts = parts[:-1]
                parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
                candidates.append(".".join([*parts, *([tail] if tail else [])]))
            return next((self.by_name[c] for c in candidates if c in self.by_name), None)
        return self.by_name.get(module)

    def resolve_symbol(self, qualified: str, importer: str | None = None) -> tuple[str, str] | None:
        """`models.net.Net` -> ("models/net.py", "Net"); the longest module prefix that is a file."""
        parts = qualified.split(".")
        leading = len(qualified) - len(qualified.lstrip("."))
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if leading and not module.strip("."):
                module = "." * leading
            found = self.resolve(module, importer)
            if found is not None:
                return found, ".".join(parts[cut:])
        return None
