"""Settings: found, validated, applied; the nearest file wins; nothing unknown passes silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from dllint.engine.errors import SettingsError
from dllint.engine.settings import find_settings_file, from_mapping, load_settings

BROKEN = "def f(:\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_nearest_settings_file_wins(tmp_path):
    _write(tmp_path, {"pyproject.toml": "[tool.dllint]\nignore = ['DL001']\n",
                      "sub/dllint.yaml": "select: [DL001]\n", "sub/a.py": BROKEN, "b.py": BROKEN})
    assert find_settings_file(tmp_path / "sub" / "a.py") == tmp_path / "sub" / "dllint.yaml"
    assert find_settings_file(tmp_path / "b.py") == tmp_path / "pyproject.toml"
    assert run_cli(["check", "b.py"], tmp_path).stdout == ""
    assert run_cli(["check", "sub"], tmp_path).stdout.startswith("sub/a.py:1:")


def test_pyproject_without_tool_table_is_not_settings(tmp_path):
    _write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    assert find_settings_file(tmp_path) is None


def test_explicit_config_option(tmp_path):
    _write(tmp_path, {"strict.yaml": "ignore: [DL001]\n", "a.py": BROKEN})
    assert run_cli(["check", ".", "--config", "strict.yaml"], tmp_path).returncode == 0
    missing = run_cli(["check", ".", "--config", "nope.yaml"], tmp_path)
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


@pytest.mark.parametrize("table,message", [
    ({"selct": ["DL1"]}, "unknown settings key 'selct'"),
    ({"select": ["DL9999"]}, "unknown rule code or name 'DL9999'"),
    ({"ignore": "DL001"}, None),  # a single string is accepted as a one-item list
    ({"ignore": [1]}, "`ignore` must be a list of strings"),
    ({"layout": "flat"}, "unknown layout profile 'flat'"),
    ({"rules": {"DL999": {}}}, "unknown rule 'DL999'"),
    ({"rules": {"DL004": {"x": 1}}}, "unknown option 'x' in rules.DL004"),
    ({"per-file-ignores": {"tests/*": ["nonsense"]}}, "unknown rule code or name 'nonsense'"),
])
def test_validation(table, message, tmp_path):
    if message is None:
        assert from_mapping(table, tmp_path).ignore == ("DL001",)
        return
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        from_mapping(table, tmp_path)


def test_broken_settings_file_names_its_line(tmp_path):
    _write(tmp_path, {"dllint.yaml": "select:\n  - DL001\n  bad: [\n"})
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path / "dllint.yaml", tmp_path)
    assert caught.value.line >= 3 and "invalid YAML" in caught.value.message


def test_cache_gives_same_findings_and_notices_edits(tmp_path):
    _write(tmp_path, {"a.py": BROKEN})
    env = {"DLLINT_CACHE_DIR": str(tmp_path / "cache")}
    first = run_cli(["check", "."], tmp_path, env=env)
    second = run_cli(["check", "."], tmp_path, env=env)
    assert first.stdout == second.stdout != ""
    assert any((tmp_path / "cache").rglob("*")), "the first run filled the cache"
    (tmp_path / "a.py").write_text("x = 1\n")
    assert run_cli(["check", "."], tmp_path, env=env).stdout == ""
    assert not any(p.suffix == ".dllint" for p in tmp_path.iterdir())


def test_check_writes_nothing_into_the_tree(tmp_path):
    _write(tmp_path, {"a.py": BROKEN, "configs/x.yaml": "lr: 0.1\n"})
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    run_cli(["check", "."], tmp_path, env={"DLLINT_CACHE_DIR": str(tmp_path.parent / "elsewhere-cache")})
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_exclude_applies_below_but_not_to_a_directory_named_on_the_command_line(tmp_path):
    _write(tmp_path, {"pyproject.toml": "[tool.dllint]\nexclude = ['examples/', 'gen_*.py']\n",
                      "examples/demo/a.py": BROKEN, "examples/demo/gen_x.py": BROKEN, "b.py": BROKEN})
    assert [line.split(":")[0] for line in run_cli(["check", "."], tmp_path).stdout.splitlines()] == ["b.py"]
    named = run_cli(["check", "examples/demo"], tmp_path).stdout.splitlines()
    assert [line.split(":")[0] for line in named] == ["examples/demo/a.py"]
    # A file named on the command line (as pre-commit passes them) still honours exclude.
    assert run_cli(["check", "examples/demo/a.py"], tmp_path).stdout == ""
