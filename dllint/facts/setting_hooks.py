"""The hooks the hyperparameter rules share, as mixins placed before `Rule` in a rule's bases.

`SettingsHooks` hands every Python file's and config file's settings (`facts.hyperparameters`) to
the rule's `_check(settings)`. `LinkedSettingsHooks` adds the project phase of DL301-DL303: each
file stores its `config_links.summary`, and the values whose optimizer another file names are
judged with the rule's `_verdict(setting)` and reported as `<name> <value> <verdict>`, in every file
and across files alike.

    class WeightDecayTooHigh(LinkedSettingsHooks, Rule):
        linked_name = "weight_decay"
"""

from __future__ import annotations

from dllint.facts import config_links
from dllint.facts.hyperparameters import from_config, from_python, judged


class SettingsHooks:
    def check_python(self, module):
        return self._check(from_python(module))

    def check_config(self, config):
        return self._check(from_config(config))


class LinkedSettingsHooks(SettingsHooks):
    linked_name = ""  # the setting judged across files: "lr" or "weight_decay"

    def summarize_python(self, module):
        return config_links.summary(module)

    def summarize_config(self, config):
        return config_links.summary(config)

    def check_project(self, project):
        # Values whose optimizer another file names (a `_base_`, a Hydra group, the code reading them).
        found = config_links.new_findings(project, self.code, self.linked_name, self._linked_verdict)
        return [self._report(setting, verdict, related) for setting, verdict, related in found]

    def _linked_verdict(self, setting):
        return self._verdict(setting)

    def _check(self, settings):
        return [self._report(first, verdict, related)
                for first, verdict, related in judged(settings, self.linked_name, self._verdict)]

    def _report(self, setting, verdict: str, related):
        label = self.linked_name.replace("_", " ")
        return self.diagnostic(setting.location, f"{label} {setting.number:g} {verdict}{setting.context()}",
                               related=related)
