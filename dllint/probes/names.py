"""Qualified names (`encoder.layers.0.weight`) and source lines of the modules and parameters of
the models a script called, so a finding names what the user wrote."""

from __future__ import annotations

from dllint.engine.diagnostic import Location
from dllint.probes.records import RootInfo


class Names:
    def __init__(self, monitor) -> None:
        self.monitor = monitor
        with_params = [r for r in monitor.roots.values() if next(r.module.parameters(), None) is not None]
        inner: set[int] = set()
        for root in with_params:
            inner.update(id(m) for m in root.module.modules() if m is not root.module)
        # A submodule the script also called on its own (`model.encoder(x)`) is named from its model.
        self.models: list[RootInfo] = [r for r in with_params if id(r.module) not in inner]
        self.modules: dict[int, tuple[RootInfo, str]] = {}
        self.params: dict[int, tuple[RootInfo, str, object, str]] = {}
        for root in self.models:
            for name, module in root.module.named_modules(remove_duplicate=False):
                self.modules.setdefault(id(module), (root, name))
                for attr, param in module.named_parameters(recurse=False):
                    qualified = f"{name}.{attr}" if name else attr
                    self.params.setdefault(id(param), (root, qualified, module, attr))

    def module(self, module) -> str:
        found = self.modules.get(id(module))
        if found is None:
            return type(module).__name__
        root, name = found
        return name or type(root.module).__name__

    def param(self, param) -> str:
        found = self.params.get(id(param))
        if found is None:
            return f"<{tuple(param.shape)} tensor>"
        root, name = found[0], found[1]
        # `weight` alone says little when the model is a single layer: `Linear.weight`.
        return name if "." in name else f"{type(root.module).__name__}.{name}"

    def model_of(self, param) -> RootInfo | None:
        found = self.params.get(id(param))
        return found[0] if found else None

    def model_label(self, root: RootInfo) -> str:
        return type(root.module).__name__

    def module_location(self, module) -> Location:
        found = self.modules.get(id(module))
        located = self.monitor.module_locations.get(module)
        if located is not None or found is None:
            return located or self.monitor.locator.fallback
        root, name = found
        parts = name.split(".") if name else []
        while parts:  # the nearest enclosing module the script itself created
            parts.pop()
            parent = root.module.get_submodule(".".join(parts)) if parts else root.module
            located = self.monitor.module_locations.get(parent)
            if located is not None:
                return located
        return root.location or self.monitor.locator.fallback

    def param_location(self, param) -> Location:
        found = self.params.get(id(param))
        if found is None:
            return self.monitor.locator.fallback
        _, _, owner, attr = found
        located = self.monitor.param_locations.get(owner, {}).get(attr)
        return located or self.module_location(owner)
