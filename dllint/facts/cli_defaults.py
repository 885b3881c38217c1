"""Parameters whose value a command-line framework supplies, and the default it supplies.

`@click.option("--lr", default=1e-3)` on `def main(lr)`: `lr` is 1e-3 unless the user passes
`--lr`, exactly as an argparse default is. Entry points of typer (`@app.command()`,
`typer.run(main)`), fire (`fire.Fire(main)`), tyro (`tyro.cli(main)`) and jsonargparse
(`CLI(main)`) take their defaults from the signature itself (`lr: float = 1e-3`, or
`typer.Option(1e-3)`). An ordinary function's default is not a value: its callers pass their own.

    found = cli_defaults.default(module, arg)   # (default expression, "`--lr` default") or None
"""

from __future__ import annotations

import ast
from functools import cached_property

from dllint.facts.certain_bindings import nodes

CLICK_PARAMS = {"click.option", "click.argument"}
# Calls that run a function as a command line: its signature's defaults are the values.
CLI_RUNNERS = {"fire.Fire", "typer.run", "tyro.cli", "jsonargparse.CLI", "jsonargparse.auto_cli"}
TYPER_PARAMS = {"typer.Option", "typer.Argument"}


# A file that mentions none of these runs no command-line framework: nothing to look up.
CLI_MARKERS = ("click", "typer", "fire", "tyro", "jsonargparse")


def default(module, function: ast.AST, arg: ast.arg) -> tuple[ast.expr, str] | None:
    """The default a CLI framework gives parameter `arg` of `function`, and how to name it."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or \
            not any(marker in module.text for marker in CLI_MARKERS):
        return None
    return module.fact(_CliFunctions).default(function, arg)


class _CliFunctions:
    def __init__(self, module) -> None:
        self.module = module

    def default(self, function: ast.FunctionDef, arg: ast.arg) -> tuple[ast.expr, str] | None:
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call) and self.module.qualified_name(decorator.func) in CLICK_PARAMS:
                if _click_dest(decorator) == arg.arg:
                    value = next((kw.value for kw in decorator.keywords if kw.arg == "default"), None)
                    flag = next((a.value for a in decorator.args if isinstance(a, ast.Constant)), arg.arg)
                    return (value, f"`{flag}` default") if value is not None else None
        if function.name not in self._entry_points and not any(self._is_typer_command(d)
                                                               for d in function.decorator_list):
            return None
        value = _signature_default(function, arg)
        if isinstance(value, ast.Call) and self.module.qualified_name(value.func) in TYPER_PARAMS:
            value = next((kw.value for kw in value.keywords if kw.arg == "default"),
                         value.args[0] if value.args else None)
        return (value, f"`{arg.arg}` default of the `{function.name}` command") if value is not None else None

    def _is_typer_command(self, decorator: ast.expr) -> bool:
        # `@app.command()` where `app = typer.Typer()`.
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "command" and isinstance(decorator.func.value, ast.Name)):
            return False
        return decorator.func.value.id in self._typer_apps

    @cached_property
    def _typer_apps(self) -> set[str]:
        apps = set()
        for assign in nodes(self.module, ast.Assign):
            if isinstance(assign.value, ast.Call) and self.module.qualified_name(assign.value.func) == "typer.Typer":
                apps |= {t.id for t in assign.targets if isinstance(t, ast.Name)}
        return apps

    @cached_property
    def _entry_points(self) -> set[str]:
        names = set()
        for call in nodes(self.module, ast.Call):
            if call.args and isinstance(call.args[0], ast.Name) and \
                    self.module.qualified_name(call.func) in CLI_RUNNERS:
                names.add(call.args[0].id)
        return names


def _click_dest(call: ast.Call) -> str | None:
    """click's parameter name: a bare name among the declarations, else the first `--` option,
    else the first `-` one."""
    declared = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    bare = [d for d in declared if d.isidentifier()]
    if bare:
        return bare[0]
    for prefix in ("--", "-"):
        for flag in declared:
            if flag.startswith(prefix):
                return flag[len(prefix):].replace("-", "_").lower() or None
    return None


def _signature_default(function: ast.FunctionDef, arg: ast.arg) -> ast.expr | None:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    if arg in positional:
        index = positional.index(arg) - (len(positional) - len(args.defaults))
        return args.defaults[index] if index >= 0 else None
    if arg in args.kwonlyargs:
        return args.kw_defaults[args.kwonlyargs.index(arg)]
    return None
