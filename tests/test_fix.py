"""`--fix` writes atomically and only when the result parses; `--diff` writes nothing."""

from __future__ import annotations

import io

from conftest import run_cli

from dllint.commands.fix import apply_fixes
from dllint.engine.diagnostic import Diagnostic, Edit, Fix, Location, Severity

SOURCE = (
    "import torch\n"
    "x = 1  # dllint: ignore[DL999]\n"
    "# dllint: ignore[DL001]\n"
    "y = 2\n"
    "z = 3  # noqa: DL001, E501\n"
    "w = 4  # dllint: ignore[DL001, DL998]  # keep this note\n"
)
FIXED = "import torch\nx = 1\ny = 2\nz = 3  # noqa: E501\nw = 4  # keep this note\n"


def test_diff_shows_and_writes_nothing(tmp_path):
    (tmp_path / "a.py").write_text(SOURCE)
    result = run_cli(["check", ".", "--diff"], tmp_path)
    assert "-x = 1  # dllint: ignore[DL999]\n" in result.stdout and "+w = 4  # keep this note\n" in result.stdout
    assert (tmp_path / "a.py").read_text() == SOURCE


def test_fix_removes_unused_suppressions(tmp_path):
    (tmp_path / "a.py").write_text(SOURCE)
    (tmp_path / "a.py").chmod(0o640)
    result = run_cli(["check", ".", "--fix"], tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    assert (tmp_path / "a.py").read_text() == FIXED
    assert (tmp_path / "a.py").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]  # no temporary left behind
    assert run_cli(["check", "."], tmp_path).returncode == 0


def test_fix_that_would_not_parse_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = (1,\n     2)\n")
    bad = Diagnostic("DL004", "unused-suppression", Severity.WARNING, "m", Location("a.py", 2, 7),
                     fix=Fix((Edit(2, 7, 2, 8, ""),)))  # deletes the closing parenthesis
    remaining, errors = apply_fixes([bad], tmp_path, write=True, diff_stream=io.StringIO())
    assert remaining == [bad]
    assert errors and "would not parse" in errors[0]
    assert path.read_text() == "x = (1,\n     2)\n"
