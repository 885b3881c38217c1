"""DL304: `lr: 1e-3` in a YAML file that PyYAML reads: the program gets the string "1e-3"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Edit, Fix, Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.config_reader import YamlNumbers, YamlReads, reader_of, yaml_numbers, yaml_reads

STRING_KEYS = ("version", "name", "id", "tag", "sha", "hash", "commit", "revision", "path", "file", "dir", "url",
               "prefix", "suffix", "run", "experiment", "label", "title", "description")


class YamlExponentReadAsString(Rule):
    """
    ## What it does
    Finds numbers in YAML config files written in exponent form without a dot or without a signed
    exponent (`1e-3`, `5e4`, `1.0e3`) when the project reads YAML with PyYAML (`yaml.safe_load`,
    `yaml.load`, mmengine's `Config.fromfile`, `HfArgumentParser.parse_yaml_file`), or when no code
    in the linted project shows which reader loads the file. `--fix` rewrites the value in the
    form every YAML reader parses as the same float (`1e-3` -> `1.0e-3`).

    Stays silent when OmegaConf, Hydra, jsonargparse (Lightning CLI) or ruamel.yaml reads the
    file: they follow YAML 1.2 and get the float. That is known from the file itself (a Hydra
    `defaults:` list, `_target_`, a `# @package` header, `${...}` interpolation, `class_path`,
    torchtune's `_component_`),
    from its place under a `@hydra.main(config_path=...)` directory, from code that loads it by
    name, or from the project using only such readers; a project that uses both kinds without
    tying this file to one is not reported. Also silent for a key the code converts itself
    (`float(cfg["lr"])`, a pydantic field typed `float`), for quoted strings, and for keys that
    hold names (`version: 1e3`).

    ## Why is this bad?
    PyYAML implements YAML 1.1, whose floats need a dot and a signed exponent, so `lr: 1e-3` loads
    as the string "1e-3". Depending on the code that receives it, training crashes far from the
    config (`TypeError: '<' not supported between 'str' and 'float'` inside the optimizer), or a
    comparison or a default silently wins and the run trains with a learning rate nobody chose.

    ## Example
    ```yaml
    optimizer:
      name: adam
      lr: 1e-3
    ```

    ## Use instead
    ```yaml
    optimizer:
      name: adam
      lr: 1.0e-3
    ```
    """

    code = "DL304"
    name = "yaml-exponent-read-as-string"
    severity = Severity.ERROR
    summary = "`lr: 1e-3` in YAML read by PyYAML (YAML 1.1) is the string '1e-3', not a number"
    help = "write the number with a dot and a signed exponent (`1.0e-3`), or load the file with OmegaConf"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.2 improperly set learning rate)"
    triggers = ("yaml", "omegaconf", "OmegaConf", "hydra", "LightningCLI", "jsonargparse", "pydantic", "float(cfg",
                "float(conf", "float(hparams", "float(params", "float(args", "float(opt", "float(self.")
    fixable = True

    @dataclass(frozen=True)
    class Options:
        string_keys: tuple[str, ...] = field(default=STRING_KEYS, metadata={
            "help": "words in a key that say its value is a name, not a number (`version: 1e3`, `commit: 5e10`)"})

    def summarize_python(self, module):
        # Which reader loads the YAML files is a question about the whole project: decided there.
        return yaml_reads(module) or None

    def summarize_config(self, config):
        return yaml_numbers(config)

    def check_project(self, project):
        data = list(project.rule_data(self.code))
        reads = [(path, found) for path, found in data if isinstance(found, YamlReads)]
        converted = frozenset().union(*(found.converted for _, found in reads))
        words = set(self.options.string_keys)
        diagnostics = []
        for path, numbers in data:
            if not isinstance(numbers, YamlNumbers) or numbers.syntax is not None:
                continue
            reader = reader_of(path, reads)
            if reader is None:
                continue
            for found in numbers.strings:
                if found.key in converted or set(re.split(r"[_\W]+", found.key.lower())) & words:
                    continue  # the code applies `float(...)` to this key itself, or it holds a name
                diagnostics.append(self._finding(found, reader))
        return diagnostics

    def _finding(self, found, reader):
        kind, where = reader
        if kind == "pyyaml":
            how = f"PyYAML reads it (line {where.line} of {where.path}) as the string '{found.raw}', not a number"
        else:
            how = (f"PyYAML reads it as the string '{found.raw}', and no code in the project shows a reader that "
                   "would parse it as a float")
        message = (f"`{found.key}: {found.raw}` is not a number to YAML 1.1: {how}; write `{found.spelling}`, "
                   "which every YAML reader loads as the same float")
        loc = found.location
        fix = Fix((Edit(loc.line, loc.column, loc.end_line, loc.end_column, found.spelling),))
        related = [Related(where, "PyYAML loads the config here")] if where is not None else []
        return self.diagnostic(loc, message, fix=fix, related=related)
