"""Output formats: each rendered from real diagnostics and read back as its consumer would."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Edit, Fix, Location, Related, Severity
from dllint.engine.rule import Rule
from dllint.reports import FORMATS, load

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
CONCISE = re.compile(r"^(.*):(\d+):(\d+): (DL\d{3}) (.*)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class HardLabels(Rule):
    """Hard labels reach a ranking metric.

    ## What it does
    Flags `roc_auc_score(y, preds.argmax(1))`.
    """

    code = "DL101"
    name = "hard-labels-to-ranking-metric"
    severity = Severity.ERROR
    summary = "Ranking metric computed from hard labels"
    help = "pass scores or probabilities, not argmax labels"


class HighLearningRate(Rule):
    code = "DL202"
    name = "learning-rate-too-high"
    severity = Severity.WARNING
    summary = "Learning rate outside the usual range"
    help = "lower it"


class MissingSeed(Rule):
    code = "DL303"
    name = "missing-seed"
    severity = Severity.INFO
    summary = "No random seed set"


RULES = {r.code: r for r in (HardLabels, HighLearningRate, MissingSeed)}
TRAIN = "preds = model(x)\nauc = roc_auc_score(y, preds.argmax(1))\n"
CONFIG = "数据:\n  lr: 10.0\n"


def _diagnostics() -> list[Diagnostic]:
    span = Location("src/train.py", 2, 24, 2, 39)  # preds.argmax(1)
    fix = Fix((Edit(2, 24, 2, 39, "preds.softmax(1)[:, 1]"),), applicability="unsafe")
    defined = Related(Location("src/train.py", 1, 1, 1, 6), "preds defined here")
    return [
        HardLabels().diagnostic(span, "roc_auc_score gets hard labels", fix=fix, related=[defined]),
        HighLearningRate().diagnostic(
            Location("configs/données 数据.yaml", 2, 7, 2, 11), "lr = 10.0 est trop élevé"
        ),
        MissingSeed().diagnostic(Location("src/train.py", 1, 1), "no seed is set"),
    ]


def _context(color: bool = False) -> ReportContext:
    sources = {"src/train.py": TRAIN, "configs/données 数据.yaml": CONFIG}
    return ReportContext(
        rules=RULES, version="9.8.7", files_checked=5, color=color, sources=sources
    )


def _render(fmt: str, diagnostics=None, context=None) -> str:
    diagnostics = _diagnostics() if diagnostics is None else diagnostics
    return load(fmt).render(diagnostics, context or _context())


# --- registry -------------------------------------------------------------------------------


def test_every_format_loads_and_rich_stays_unimported():
    code = (
        "import sys, dllint.reports as r\n"
        "mods = [r.load(n) for n in r.FORMATS]\n"
        "assert all(callable(m.render) for m in mods)\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"


def test_unknown_format_names_the_choices():
    with pytest.raises(ValueError, match="concise, full"):
        load("xml")
    assert set(FORMATS) >= {"concise", "full", "json", "sarif", "github", "gitlab", "junit"}


# --- concise --------------------------------------------------------------------------------


def test_concise_lines_match_the_problem_matcher():
    diagnostics = _diagnostics()
    lines = _render("concise").splitlines()
    assert len(lines) == len(diagnostics)
    for line, d in zip(lines, diagnostics):
        match = CONCISE.match(line)
        assert match, line
        loc = d.location
        assert match.groups() == (loc.path, str(loc.line), str(loc.column), d.code, d.message)
    assert lines[1] == "configs/données 数据.yaml:2:7: DL202 lr = 10.0 est trop élevé"


def test_concise_is_empty_without_findings_and_folds_multiline_messages():
    assert _render("concise", []) == ""
    d = MissingSeed().diagnostic(Location("a.py", 3, 2), "first\nsecond")
    assert _render("concise", [d]) == "a.py:3:2: DL303 first second\n"


# --- full -----------------------------------------------------------------------------------


def test_full_without_color_shows_source_caret_help_and_link():
    out = _render("full")
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "src/train.py:2:24: DL101 [error] roc_auc_score gets hard labels"
    source = next(line for line in lines if line.startswith("2 | auc"))
    caret = lines[lines.index(source) + 1]
    # The carets sit exactly under `preds.argmax(1)`.
    start = source.index("preds.argmax(1)")
    assert caret[start:] == "^" * len("preds.argmax(1)")
    assert caret[:start].strip() == "|"
    assert "  = help: pass scores or probabilities, not argmax labels" in lines
    assert "  = note: src/train.py:1:1: preds defined here" in lines
    assert "  = rule: https://github.com/dllint/dllint/blob/main/rules/DL101.md" in lines
    assert lines[-1] == "Found 3 findings (1 error, 1 warning, 1 info) in 2 files."


def test_full_caret_counts_cells_of_wide_characters():
    d = HighLearningRate().diagnostic(Location("c.yaml", 1, 4, 1, 5), "x")
    context = _context()
    context.sources = {"c.yaml": "数据: 1\n"}
    out = _render("full", [d], context)
    lines = out.splitlines()
    # "数据: " is 5 cells wide on a terminal although it is 4 characters.
    assert lines[2] == "1 | 数据: 1"
    assert lines[3] == "  |      ^"


def test_full_with_color_differs_only_by_escapes():
    plain = _render("full")
    colored = _render("full", context=_context(color=True))
    assert "\x1b[" in colored
    assert ANSI.sub("", colored) == plain


def test_full_summary_without_findings_and_without_source():
    assert _render("full", []) == "All checks passed (5 files checked).\n"
    d = MissingSeed().diagnostic(Location("gone.py", 4, 1), "no seed \x1b[31m")
    out = _render("full", [d])
    assert "\x1b" not in out  # a control character in a message is shown, not sent
    assert " | " not in out
    assert out.endswith("Found 1 finding (1 info) in 1 file.\n")


# --- json -----------------------------------------------------------------------------------


def test_json_objects_have_the_documented_keys_in_order():
    raw = _render("json")
    assert "données" in raw  # written as UTF-8, not \u escapes
    data = json.loads(raw)
    keys = ["code", "name", "severity", "message", "path", "line", "column"]
    keys += ["end_line", "end_column", "fix", "help", "related"]
    assert [list(obj) for obj in data] == [keys] * 3
    first, second, third = data
    assert first["severity"] == "error" and second["severity"] == "warning"
    assert third["severity"] == "info"
    span = (first["line"], first["column"], first["end_line"], first["end_column"])
    assert span == (2, 24, 2, 39)
    assert first["fix"] == {
        "applicability": "unsafe",
        "edits": [
            {
                "line": 2,
                "column": 24,
                "end_line": 2,
                "end_column": 39,
                "content": "preds.softmax(1)[:, 1]",
            }
        ],
    }
    assert first["related"] == [
        {"path": "src/train.py", "line": 1, "column": 1, "message": "preds defined here"}
    ]
    assert second["path"] == "configs/données 数据.yaml" and second["fix"] is None
    assert json.loads(_render("json", [])) == []


# --- sarif ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # This copy of the schema keeps the log's own constraints under definitions/Root and has none
    # at the top level, so validating against it as-is would accept anything.
    schema = {**schema, "$ref": "#/definitions/Root"}
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_sarif_is_valid_and_the_validator_bites(sarif_validator):
    log = json.loads(_render("sarif"))
    sarif_validator.validate(log)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(broken)
    del broken["version"]
    assert not sarif_validator.is_valid(broken)
    sarif_validator.validate(json.loads(_render("sarif", [])))


def test_sarif_rules_and_results():
    run = json.loads(_render("sarif"))["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("dllint", "9.8.7")
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["DL101", "DL202", "DL303"]
    dl101 = rules[0]
    assert dl101["name"] == "hard-labels-to-ranking-metric"
    assert dl101["shortDescription"]["text"] == HardLabels.summary
    assert dl101["fullDescription"]["text"] == "Flags `roc_auc_score(y, preds.argmax(1))`."
    assert "## What it does" in dl101["help"]["markdown"]
    assert dl101["help"]["text"] == HardLabels.help
    assert dl101["helpUri"] == _context().docs_url("DL101")
    assert [r["defaultConfiguration"]["level"] for r in rules] == ["error", "warning", "note"]
    results = run["results"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 24, "endLine": 2, "endColumn": 39}
    # A point location has no end, so viewers highlight the line rather than nothing.
    point = results[2]["locations"][0]["physicalLocation"]["region"]
    assert point == {"startLine": 1, "startColumn": 1}


def test_sarif_uris_related_locations_and_fixes(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    run = json.loads(_render("sarif"))["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    first, second, _ = run["results"]
    artifact = second["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uriBaseId"] == "%SRCROOT%"
    assert artifact["uri"].isascii() and " " not in artifact["uri"]
    assert unquote(artifact["uri"]) == "configs/données 数据.yaml"
    related = first["relatedLocations"]
    assert related[0]["message"]["text"] == "preds defined here"
    assert related[0]["physicalLocation"]["region"]["startLine"] == 1
    (fix,) = first["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "src/train.py"
    (replacement,) = change["replacements"]
    region_of_span = {"startLine": 2, "startColumn": 24, "endLine": 2, "endColumn": 39}
    assert replacement["deletedRegion"] == region_of_span
    assert replacement["insertedContent"]["text"] == "preds.softmax(1)[:, 1]"
    assert "fixes" not in second


def test_sarif_describes_a_code_missing_from_the_rule_table(sarif_validator):
    d = Diagnostic("DL001", "parse-error", Severity.ERROR, "invalid syntax", Location("x.py", 1, 5))
    log = json.loads(_render("sarif", [d]))
    sarif_validator.validate(log)
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["name"] == "parse-error" and rule["defaultConfiguration"]["level"] == "error"


# --- github ---------------------------------------------------------------------------------

GITHUB = re.compile(r"^::(error|warning|notice) (.*?)::(.*)$")


def _unescape(text: str) -> str:
    for escaped, raw in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def test_github_annotations_escape_data_and_properties():
    message = "100% sure: a, b\r\nnext line"
    d = HardLabels().diagnostic(Location("dir:1/a,b.py", 3, 2, 4, 9), message)
    (line,) = _render("github", [d]).splitlines()
    match = GITHUB.match(line)
    assert match
    level, props, data = match.groups()
    assert level == "error"
    assert data == "100%25 sure: a, b%0D%0Anext line"
    assert _unescape(data) == message
    fields = dict(item.split("=", 1) for item in props.split(","))
    assert fields["file"] == "dir%3A1/a%2Cb.py"
    assert {k: fields[k] for k in ("line", "col", "endLine", "endColumn")} == {
        "line": "3", "col": "2", "endLine": "4", "endColumn": "9"
    }
    assert fields["title"] == "DL101 (hard-labels-to-ranking-metric)"


def test_github_levels_and_unicode():
    lines = _render("github").splitlines()
    assert [GITHUB.match(line).group(1) for line in lines] == ["error", "warning", "notice"]
    assert lines[1].endswith("::lr = 10.0 est trop élevé")
    assert "file=configs/données 数据.yaml," in lines[1]


# --- gitlab ---------------------------------------------------------------------------------


def test_gitlab_code_quality_issues():
    issues = json.loads(_render("gitlab"))
    assert [i["severity"] for i in issues] == ["major", "minor", "info"]
    first = issues[0]
    assert first["check_name"] == "DL101"
    assert "roc_auc_score gets hard labels" in first["description"]
    assert first["location"] == {"path": "src/train.py", "lines": {"begin": 2}}
    assert issues[1]["location"]["path"] == "configs/données 数据.yaml"
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}", f) for f in fingerprints)


def test_gitlab_fingerprints_are_stable_and_unique():
    diagnostics = _diagnostics()
    def by_description(items):
        return {i["description"]: i["fingerprint"] for i in json.loads(_render("gitlab", items))}

    assert by_description(diagnostics[::-1]) == by_description(diagnostics)
    # Same code, place and message -> same fingerprint, whatever the column or the run.
    d = MissingSeed().diagnostic(Location("a.py", 7, 1), "no seed")
    moved = MissingSeed().diagnostic(Location("a.py", 7, 9), "no seed")
    other = MissingSeed().diagnostic(Location("a.py", 8, 1), "no seed")
    one, two = (json.loads(_render("gitlab", [x]))[0]["fingerprint"] for x in (d, moved))
    assert one == two == hashlib.sha256(b"DL303\0a.py\0" b"7\0no seed").hexdigest()
    assert json.loads(_render("gitlab", [other]))[0]["fingerprint"] != one
    # Two identical findings must not collapse into one issue.
    twins = json.loads(_render("gitlab", [d, d]))
    assert twins[0]["fingerprint"] == one != twins[1]["fingerprint"]


# --- junit ----------------------------------------------------------------------------------


def test_junit_is_well_formed_with_one_case_per_finding():
    d = HardLabels().diagnostic(Location("a&b.py", 1, 1), 'x < y & "z"\x01 bad')
    root = ET.fromstring(_render("junit", [*_diagnostics(), d]))
    (suite,) = root.iter("testsuite")
    assert suite.get("name") == "dllint"
    assert (suite.get("tests"), suite.get("failures")) == ("4", "4")
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        "src/train.py", "configs/données 数据.yaml", "src/train.py", "a&b.py"
    ]
    failure = cases[0].find("failure")
    assert failure.get("message") == "roc_auc_score gets hard labels"
    assert failure.get("type") == "error"
    assert "help: pass scores or probabilities" in failure.text
    assert "note: src/train.py:1:1: preds defined here" in failure.text
    assert cases[3].find("failure").get("message") == 'x < y & "z"\N{REPLACEMENT CHARACTER} bad'


def test_junit_without_findings_has_one_passing_case():
    root = ET.fromstring(_render("junit", []))
    (suite,) = root.iter("testsuite")
    assert suite.get("failures") == "0"
    (case,) = suite.findall("testcase")
    assert case.find("failure") is None


# --- statistics -----------------------------------------------------------------------------


def test_statistics_sorted_by_count_then_code():
    seed = MissingSeed().diagnostic(Location("b.py", 1, 1), "no seed")
    diagnostics = [*_diagnostics(), seed, seed]
    rows = [line.split() for line in _render("statistics", diagnostics).splitlines()]
    assert rows == [
        ["3", "DL303", "missing-seed"],
        ["1", "DL101", "hard-labels-to-ranking-metric"],
        ["1", "DL202", "learning-rate-too-high"],
    ]
    assert _render("statistics", []) == ""
