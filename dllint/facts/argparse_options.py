"""The options a file's argparse parser defines, and the names that hold its parsed namespace.

`args.lr` reads the `--lr` default when `args` is what `parse_args()` returned in this file, what
a function here returns from it, or a parameter named as namespaces are in a file that parses.
The default is the one the program sees: `set_defaults` wins over `add_argument`, a required
option's default is never used, and an option defined twice (train and eval sub-commands) has no
default: which parser runs is decided at run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

from dllint.facts.certain_bindings import CertainBindings, nodes

PARSE = ("parse_args", "parse_known_args")
# Parameter names a parsed namespace goes by: `self.lr` or `model.lr` is an attribute, not an option.
NAMESPACE_PARAMS = {"args", "opt", "opts", "options", "flags", "FLAGS", "arguments", "cli_args", "hp"}


@dataclass(frozen=True)
class Option:
    call: ast.Call  # the `add_argument` call
    default: ast.expr | None  # None when no default is used (none given, or `required=True`)
    type: str  # the `type=` converter when it is a plain name (`float`), else ""
    flag: str  # the first flag as written (`--lr`), or the dest


class ArgparseOptions:
    def __init__(self, module, certain: CertainBindings) -> None:
        self.module = module
        self.certain = certain

    def option(self, dest: str) -> Option | None:
        """The option stored under `dest`; None when absent or defined more than once."""
        return self._options.get(dest)

    def is_namespace(self, name: ast.Name) -> bool:
        """Whether `name` holds the namespace this file's parser returns."""
        binding = self.certain.binding(name.id, name)
        if binding is None:
            return False
        if binding.kind == "param":
            # `def train(args): ... args.lr`: the namespace comes from this file's parser; but
            # only under the names namespaces go by (`self.lr` is an attribute, not an option).
            return name.id in NAMESPACE_PARAMS and self.parses_args
        value = binding.value
        if binding.kind != "assign" or not isinstance(value, ast.Call):
            return False
        if isinstance(value.func, ast.Attribute) and value.func.attr in PARSE:
            return binding.unpack == ((0,) if value.func.attr == "parse_known_args" else ())
        if isinstance(value.func, ast.Name) and not binding.unpack:
            # `args = get_args()` with a local `def get_args(): ... return parser.parse_args()`.
            function = self.certain.binding(value.func.id, value)
            return function is not None and isinstance(function.node, ast.FunctionDef) and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in PARSE
                for n in ast.walk(function.node))
        return False

    @cached_property
    def parses_args(self) -> bool:
        return any(isinstance(c.func, ast.Attribute) and c.func.attr in PARSE for c in self._calls)

    @cached_property
    def _calls(self) -> list[ast.Call]:
        return nodes(self.module, ast.Call)

    @cached_property
    def _options(self) -> dict[str, Option | None]:
        found: dict[str, Option | None] = {}
        overrides: dict[str, ast.expr] = {}
        for call in self._calls:
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr == "add_argument":
                keywords = {kw.arg: kw.value for kw in call.keywords}
                flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                given = keywords.get("dest")
                dest = (given.value if isinstance(given, ast.Constant) and isinstance(given.value, str)
                        else None) or _dest(flags)
                if dest is None:
                    continue
                default = keywords.get("default")
                required = keywords.get("required")
                if isinstance(required, ast.Constant) and required.value is True:
                    default = None  # the default of a required option is never used
                type_ = keywords.get("type")
                option = Option(call, default, type_.id if isinstance(type_, ast.Name) else "",
                                flags[0] if flags else dest)
                # Two parsers defining the same option (train/eval sub-commands): which one runs?
                found[dest] = None if dest in found else option
            elif func.attr == "set_defaults":
                for kw in call.keywords:
                    if kw.arg:
                        overrides[kw.arg] = kw.value
        for dest, value in overrides.items():
            option = found.get(dest)
            found[dest] = Option(option.call, value, option.type, option.flag) if option else None
        return found


def _dest(flags: list[str]) -> str | None:
    """argparse's dest: the first long option, else the first short one, else the positional name."""
    for prefix in ("--", "-", ""):
        for flag in flags:
            if flag.startswith(prefix) and (prefix or not flag.startswith("-")):
                return flag.lstrip("-").replace("-", "_") or None
    return None
