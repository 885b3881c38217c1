"""Which YAML reader a project's code uses, and what a YAML 1.1 reader makes of `lr: 1e-3`.

PyYAML implements YAML 1.1, whose floats need a dot and a signed exponent: `1e-3` and `1.0e3` are
strings to it, while OmegaConf, Hydra, jsonargparse (Lightning CLI) and ruamel.yaml read them as
floats. Whether a config's `1e-3` is a bug is therefore a question about the project's code:

    reads = config_reader.yaml_reads(module)   # per Python file: readers, literal paths, float(...)
    config_reader.float_syntax(config)          # the file itself says OmegaConf/Hydra/jsonargparse

`yaml12_number` and `yaml11_spelling` are the value side: the float a YAML 1.2 reader sees, and
how to write it so PyYAML sees the same float.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass

from dllint.engine.diagnostic import Location
from dllint.facts.certain_bindings import nodes
from dllint.facts.constants import resolve
from dllint.facts.optimizers import config_keys, config_nodes

# A YAML 1.2 (core schema) float or int, as OmegaConf and ruamel read it.
_YAML12_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_EXPONENT = re.compile(r"([-+]?)([0-9]*)(?:\.([0-9]*))?([eE])([-+]?)([0-9]+)")

PYYAML = {f"yaml.{name}" for name in ("safe_load", "load", "full_load", "unsafe_load", "load_all",
                                       "safe_load_all", "full_load_all", "unsafe_load_all")}
# Readers built on PyYAML's resolver: they hand `1e-3` over as a string too.
PYYAML_BASED = {"mmengine.Config.fromfile", "mmcv.Config.fromfile", "mmengine.config.Config.fromfile",
                "mmengine.fileio.load", "mmcv.load"}
PYYAML_METHODS = {"parse_yaml_file"}  # transformers' HfArgumentParser
# Readers that parse `1e-3` as a float (YAML 1.2 rules, or a fixed resolver).
FLOAT_AWARE = {"omegaconf.OmegaConf.load": "OmegaConf", "hydra.main": "Hydra", "hydra.compose": "Hydra",
               "hydra.initialize": "Hydra", "hydra.initialize_config_dir": "Hydra",
               "hydra.initialize_config_module": "Hydra", "hydra.experimental.compose": "Hydra"}
FLOAT_AWARE_PACKAGES = {"jsonargparse": "jsonargparse", "ruamel": "ruamel.yaml",
                        "lightning.pytorch.cli": "LightningCLI", "pytorch_lightning.cli": "LightningCLI",
                        "pytorch_lightning.utilities.cli": "LightningCLI", "lightning.pytorch.CLI": "LightningCLI"}
_CONFIG_FILE = re.compile(r"[\w./-]*\.(?:ya?ml|json|toml)$")


def yaml12_number(node) -> float | None:
    """The float OmegaConf/ruamel read from a plain YAML scalar that PyYAML left a string (`1e-3`)."""
    if node.kind != "scalar" or node.quoted or not isinstance(node.value, str) or not node.raw:
        return None
    text = node.raw.strip()
    if text != node.value or not _YAML12_NUMBER.fullmatch(text):
        return None
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def yaml11_spelling(text: str) -> str | None:
    """`1e-3` -> `1.0e-3`, `5E4` -> `5.0E+4`: the same float, written so PyYAML reads a float."""
    match = _EXPONENT.fullmatch(text.strip())
    if match is None:
        return None
    sign, whole, fraction, marker, exponent_sign, exponent = match.groups()
    if not whole and not fraction:
        return None
    return f"{sign}{whole or '0'}.{fraction or '0'}{marker}{exponent_sign or '+'}{exponent}"


@dataclass(frozen=True)
class YamlReads:
    """How one Python file reads YAML: picklable, for the project phase."""

    pyyaml: tuple[tuple[str, Location], ...] = ()  # (call as written, where)
    float_aware: tuple[tuple[str, Location], ...] = ()  # (reader name, where)
    paths: tuple[tuple[str, str, Location], ...] = ()  # ("pyyaml" | reader, literal file name, the call)
    hydra_dirs: tuple[str, ...] = ()  # `config_path` of hydra.main/initialize, as written
    converted: frozenset[str] = frozenset()  # keys the code passes through `float(...)`

    def __bool__(self) -> bool:
        return bool(self.pyyaml or self.float_aware or self.converted)


def yaml_reads(module) -> YamlReads:
    return module.fact(_yaml_reads)


# A file that mentions none of these reads no YAML (`float(...)` conversions are still recorded).
_READER_WORDS = ("yaml", "hydra", "OmegaConf", "omegaconf", "jsonargparse", "CLI", "ruamel", "fromfile")


def _yaml_reads(module) -> YamlReads:
    pyyaml, aware, paths, hydra_dirs, converted = [], [], [], [], set()
    reads = any(word in module.text for word in _READER_WORDS)
    for call in nodes(module, ast.Call):
        if isinstance(call.func, ast.Name) and call.func.id == "float" and len(call.args) == 1:
            key = _last_key(call.args[0])
            if key is not None:
                converted.add(key)
            continue
        if not reads:
            continue
        name = module.qualified_name(call.func) or ""
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if name in PYYAML or name in PYYAML_BASED or method in PYYAML_METHODS:
            pyyaml.append((module.segment(call.func), module.location(call)))
            paths += [("pyyaml", p, module.location(call)) for p in literal_paths(module, call)]
        elif name in FLOAT_AWARE or _package_reader(name):
            reader = FLOAT_AWARE.get(name) or _package_reader(name)
            aware.append((reader, module.location(call)))
            paths += [(reader, p, module.location(call)) for p in literal_paths(module, call)]
            config_path = _keyword(call, "config_path")
            found = resolve(module, config_path) if config_path is not None else None
            if reader == "Hydra" and found is not None and isinstance(found.value, str):
                hydra_dirs.append(found.value)
    converted |= _pydantic_float_fields(module)
    return YamlReads(tuple(pyyaml), tuple(aware), tuple(paths), tuple(hydra_dirs), frozenset(converted))


def float_syntax(config) -> str | None:
    """The reader a YAML file's own syntax implies, when it reads `1e-3` as a float.

    Hydra defaults lists, `_target_`, `# @package` headers and `${...}` interpolation only mean
    something to OmegaConf/Hydra; `class_path`/`init_args` to jsonargparse (Lightning CLI).
    """
    return config.fact(_float_syntax)


def _float_syntax(config) -> str | None:
    keys = config_keys(config)
    defaults_list = any(n.kind == "sequence" and n.parent is not None and n.parent.parent is None
                        for n in keys.get("defaults", ()))
    if "# @package" in config.text or "_target_" in keys or "_partial_" in keys or defaults_list:
        return "Hydra"
    if "class_path" in keys or "init_args" in keys:
        return "jsonargparse"
    if "_component_" in keys:
        return "OmegaConf"  # torchtune's `config.instantiate`, over OmegaConf
    if "${" in config.text and any(n.kind == "scalar" and isinstance(n.value, str) and "${" in n.value
                                   for n in config_nodes(config)):
        return "OmegaConf"
    return None


@dataclass(frozen=True)
class ExponentString:
    """A plain YAML scalar PyYAML reads as a string but means a number (`lr: 1e-3`)."""

    key: str  # the mapping key (for a list item, its list's key)
    dotted: str
    raw: str
    location: Location
    spelling: str  # the same number written for YAML 1.1: `1.0e-3`


@dataclass(frozen=True)
class YamlNumbers:
    """One YAML file's exponent strings, and the reader its own syntax implies."""

    strings: tuple[ExponentString, ...]
    syntax: str | None  # "Hydra" | "OmegaConf" | "jsonargparse" | None




_EXPONENT_TEXT = re.compile(r"[0-9.][eE][-+]?[0-9]")


def yaml_numbers(config) -> YamlNumbers | None:
    if config.format != "yaml" or not _EXPONENT_TEXT.search(config.text):
        return None
    strings = []
    for node in config_nodes(config):
        number = yaml12_number(node)
        spelling = yaml11_spelling(node.raw) if number is not None else None
        key = node.key if isinstance(node.key, str) else (node.parent.key if node.parent is not None else None)
        if spelling is None or not isinstance(key, str):
            continue
        strings.append(ExponentString(key, node.dotted_path, node.raw, config.location(node), spelling))
    return YamlNumbers(tuple(strings), float_syntax(config)) if strings else None


def reader_of(path: str, reads: list[tuple[str, YamlReads]]) -> tuple[str, Location | None] | None:
    """Who reads the YAML file at `path` (display paths): ("pyyaml", the call) when PyYAML does,
    ("unknown", None) when no code in the project reads YAML, None when a reader that gets
    `1e-3` right does, or when both kinds are used and nothing ties one to this file."""
    for reader_path, found in reads:
        for directory in found.hydra_dirs:
            root = posixpath.normpath(posixpath.join(posixpath.dirname(reader_path), directory))
            if path.startswith(root + "/"):
                return None  # under `@hydra.main(config_path=...)`: OmegaConf reads it
    tied = [(kind, where) for _, found in reads for kind, name, where in found.paths
            if path == name or path.endswith("/" + name.lstrip("./"))]
    if tied:
        return ("pyyaml", tied[0][1]) if all(kind == "pyyaml" for kind, _ in tied) else None
    pyyaml = [where for _, found in reads for _, where in found.pyyaml]
    aware = [where for _, found in reads for _, where in found.float_aware]
    if aware:
        return None
    return ("pyyaml", pyyaml[0]) if pyyaml else ("unknown", None)


def _package_reader(name: str) -> str | None:
    for prefix, reader in FLOAT_AWARE_PACKAGES.items():
        if name == prefix or name.startswith(prefix + "."):
            return reader
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def literal_paths(module, call: ast.Call) -> list[str]:
    """YAML file names the call reads, when the file shows them: `safe_load(open("cfg.yaml"))`,
    `with open(args.config) as f: safe_load(f)` with a `--config` default."""
    found: list[str] = []
    todo = list(call.args[:1]) + [kw.value for kw in call.keywords if kw.arg in ("stream", "filename", "file")]
    for _ in range(4):
        later = []
        for expr in todo:
            for node in ast.walk(expr):
                value = resolve(module, node) if isinstance(node, (ast.Name, ast.Attribute, ast.Constant)) else None
                if value is not None and isinstance(value.value, str) and _CONFIG_FILE.fullmatch(value.value):
                    found.append(value.value)
                elif isinstance(node, ast.Name):
                    binding = module.scopes.scope_of(node).latest(node.id, node.lineno)
                    if binding is not None and binding.kind == "with" and binding.value is not None:
                        later.append(binding.value)  # `with open(path) as f`
        if found or not later:
            break
        todo = later
    return found


def _last_key(expr: ast.expr) -> str | None:
    """`cfg["lr"]`, `cfg.optimizer.lr`, `config.get("lr")` -> "lr"."""
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
        return expr.slice.value
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" and expr.args:
        first = expr.args[0]
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    return None


def _pydantic_float_fields(module) -> set[str]:
    """Fields of pydantic models annotated `float`: pydantic converts "1e-3" to 0.001 on the way in."""
    fields: set[str] = set()
    for cls in nodes(module, ast.ClassDef):
        if not any((module.qualified_name(base) or "").startswith(("pydantic.", "pydantic_settings."))
                   for base in cls.bases):
            continue
        for statement in cls.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and \
                    "float" in ast.unparse(statement.annotation):
                fields.add(statement.target.id)
    return fields
