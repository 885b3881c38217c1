"""The probe rules' doc examples are training scripts: under `dllint probe` the Example must fire
its rule and "Use instead" must not (what the contract test checks with `dllint check` for the
static rules)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("torch")

from test_probes import probe  # noqa: E402

from dllint.engine.registry import all_rules  # noqa: E402

PROBES = [rule for rule in all_rules().values() if getattr(rule, "probe", False)]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_every_dl9_rule_is_an_opt_in_probe():
    assert [r.code for r in PROBES] == [c for c in all_rules() if c.startswith("DL9")]
    assert all(r.engine_emitted and not r.enabled_by_default for r in PROBES)


@pytest.mark.parametrize("rule", PROBES, ids=[r.code for r in PROBES])
@pytest.mark.parametrize("section,fires", [("Example", True), ("Use instead", False)])
def test_doc_example_under_the_probe(rule, section, fires, tmp_path):
    (source,) = BLOCK.findall(rule.doc_sections()[section])[:1]
    result = probe(tmp_path, source)
    found = [d.code for d in result.diagnostics]
    assert (rule.code in found) == fires, [f"{d.code} {d.message}" for d in result.diagnostics]
    if not fires:
        assert result.error is None and found == [], found
