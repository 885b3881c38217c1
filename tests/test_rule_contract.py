"""What every rule owes its users: a matching module name, docs in the fixed sections, fixtures
that fire and stay silent, a doc example that fires, a "Use instead" that does not, a fresh page."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO
from harness import actual, cases, expected

from dllint.engine.registry import all_rules
from dllint.engine.rule import DOC_SECTIONS
from dllint.ruledocs import expected_pages

RULES = list(all_rules().values())
IDS = [r.code for r in RULES]
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
SUFFIX = {"python": "train.py", "yaml": "configs/train.yaml", "json": "configs/train.json",
          "toml": "configs/train.toml"}
# A block whose first line is a comment naming a file (`# pyproject.toml`) is written there.
FILE_HINT = re.compile(r"^(?:#|//)\s*([\w./-]+\.(?:py|ya?ml|json|toml))\s*\n")


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_module_is_named_after_code_and_name(rule):
    module = Path(inspect.getfile(rule)).stem
    assert module == f"{rule.code.lower()}_{rule.name.replace('-', '_')}"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_doc_has_the_fixed_sections(rule):
    sections = rule.doc_sections()
    for title in DOC_SECTIONS:
        assert sections.get(title), f"{rule.code} lacks '## {title}'"
    assert rule.summary and rule.help


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_has_firing_and_silent_fixtures(rule):
    if rule.probe:
        pytest.skip("runtime probe: its examples run under the probe in tests/test_probes_docs.py")
    mine = [c for c in cases(FIXTURES) if c.parent.name == rule.code]
    firing = [c for c in mine if any(code == rule.code for _, _, code in expected(c))]
    assert firing, f"no fixture case in fixtures/{rule.code}/ expects {rule.code}"
    silent_lines = []
    for case in mine:
        files = [p for p in case.rglob("*") if p.is_file()] if case.is_dir() else [case]
        expected_lines = {(p, line) for p, line, _ in expected(case)}
        root = case if case.is_dir() else case.parent
        for file in files:
            count = len(file.read_bytes().splitlines())
            rel = file.relative_to(root).as_posix()
            silent_lines += [n for n in range(1, count + 1) if (rel, n) not in expected_lines]
    assert silent_lines, f"fixtures/{rule.code}/ has no line that must stay silent"


def _materialize(block_language: str, body: str, directory: Path) -> None:
    if block_language == "tree":
        # One path per line; a trailing slash makes a directory; `path: text` gives content.
        for line in body.splitlines():
            entry, _, content = line.strip().partition(": ")
            if not entry:
                continue
            target = directory / entry
            if entry.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content + "\n" if content else "", encoding="utf-8")
        return
    hint = FILE_HINT.match(body)
    target = directory / (hint.group(1) if hint else SUFFIX[block_language])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=IDS)
@pytest.mark.parametrize("section,fires", [("Example", True), ("Use instead", False)])
def test_doc_examples(rule, section, fires, tmp_path):
    if rule.probe:
        pytest.skip("runtime probe: its examples run under the probe in tests/test_probes_docs.py")
    blocks = BLOCK.findall(rule.doc_sections().get(section, ""))
    assert blocks, f"{rule.code}: '## {section}' has no code block"
    language, body = blocks[0]
    # A tree may be followed by the files it cannot spell in one line (`# main.py` python blocks).
    for block_language, block_body in blocks if language == "tree" else blocks[:1]:
        _materialize(block_language, block_body, tmp_path)
    found, errors = actual(tmp_path, rule.code)
    assert errors == []
    codes = [code for _, _, code in found]
    if fires:
        assert rule.code in codes, f"{rule.code}: the doc example does not fire"
    else:
        assert rule.code not in codes, f"{rule.code}: the 'Use instead' example fires: {found}"


def test_rule_pages_are_fresh():
    pages_dir = REPO / "rules"
    pages = expected_pages()
    stale = [name for name, text in pages.items()
             if not (pages_dir / name).exists() or (pages_dir / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in pages_dir.glob("DL*.md") if p.name not in pages)
    assert not stale and not extra, (
        f"rules/ is stale ({stale + extra}); run `python -m dllint.ruledocs rules/`")
