"""Bad input becomes a diagnostic or a one-line error (exit 2), never a traceback, and the other
findings of the run survive."""

from __future__ import annotations

import os

import pytest
from conftest import run_cli

BROKEN = "import torch\n\ndef train(model:\n    pass\n"


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _check(tmp_path, *args):
    result = run_cli(["check", ".", "--format", "concise", *args], tmp_path)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return result


def _lines(result):
    return [line.split(": ", 1)[0] + " " + line.split()[1] for line in result.stdout.splitlines()]


@pytest.mark.parametrize("name,data,expected", [
    ("nul.py", b"import torch\n\x00\x00binary\n", "nul.py:2:1 DL001"),
    ("latin1_no_cookie.py", b"name = 'caf\xe9'\n", "latin1_no_cookie.py:1:12 DL001"),
    ("nested.py", b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "nested.py:1:"),
    ("long_chain.py", b"x = " + b"+".join([b"1"] * 200_000) + b"\n", "long_chain.py:1:1 DL001"),
])
def test_python_that_cannot_be_read_is_dl001(tmp_path, name, data, expected):
    _write(tmp_path, name, data)
    _write(tmp_path, "other.py", BROKEN)
    result = _check(tmp_path)
    assert result.returncode == 1
    found = _lines(result)
    assert any(line.startswith(expected) for line in found), found
    assert "other.py:3:10 DL001" in found  # the rest of the run survives


@pytest.mark.parametrize("name,data", [
    ("latin1_cookie.py", b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n"),
    ("bom_crlf.py", b"\xef\xbb\xbfimport torch\r\n\r\nx = torch.ones(2)\r\n"),
    ("empty.py", b""),
    ("generated.py", b"".join(b"W%d = [%s]\n" % (i, b", ".join([b"0.125"] * 40)) for i in range(8000))),
])
def test_valid_odd_python_is_clean(tmp_path, name, data):
    path = _write(tmp_path, name, data)
    if name == "generated.py":
        assert path.stat().st_size > 2_000_000
    result = _check(tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("name,data,line", [
    ("configs/broken.yaml", "optimizer:\n  lr: [0.1, 0.2\n  momentum: 0.9\n", 3),
    ("configs/broken.json", '{\n  "lr": 0.1,\n  "momentum": \n}\n', 4),
    ("configs/broken.toml", "[optimizer]\nlr = 0.1\nlr = 0.2\n", 3),
    ("configs/evil.yaml", "lr: !!python/object/apply:os.system ['touch pwned']\n", 1),
])
def test_broken_configs_are_dl002(tmp_path, name, data, line):
    _write(tmp_path, name, data)
    _write(tmp_path, "other.py", BROKEN)
    result = _check(tmp_path)
    found = _lines(result)
    assert any(f.startswith(f"{name}:{line}:") and f.endswith("DL002") for f in found), found
    assert "other.py:3:10 DL001" in found
    assert not (tmp_path / "pwned").exists()


def test_yaml_alias_bomb_finishes(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    _write(tmp_path, "configs/bomb.yaml", "\n".join(levels) + "\nlr: 0.1\n")
    result = _check(tmp_path)
    assert result.returncode in (0, 1)


def test_deeply_nested_yaml_is_dl002(tmp_path):
    _write(tmp_path, "configs/deep.yaml", "[" * 100_000 + "]" * 100_000 + "\n")
    result = _check(tmp_path)
    assert result.returncode == 1 and "DL002" in result.stdout


def test_symlink_loop_and_dangling_link_are_one_line_errors(tmp_path):
    os.symlink("b.py", tmp_path / "a.py")
    os.symlink("a.py", tmp_path / "b.py")
    os.symlink("missing.py", tmp_path / "dangling.py")
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up")  # a directory loop: never followed
    _write(tmp_path, "train.py", BROKEN)
    result = _check(tmp_path)
    assert result.returncode == 2
    assert "train.py:3:10: DL001" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert errors and all(line.startswith("dllint: error: ") for line in errors)
    assert any("a.py" in line and "symbolic links" in line for line in errors)
    assert any("dangling.py" in line for line in errors)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_one_line_error(tmp_path):
    path = _write(tmp_path, "secret.py", "x = 1\n")
    path.chmod(0)
    _write(tmp_path, "train.py", BROKEN)
    result = _check(tmp_path)
    assert result.returncode == 2
    assert "secret.py" in result.stderr and "train.py:3:10: DL001" in result.stdout


def test_unreadable_directory_is_one_line_error(tmp_path):
    # A path that exists but cannot be listed: a file where a directory is expected.
    _write(tmp_path, "train.py", BROKEN)
    result = run_cli(["check", "train.py/inner"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("dllint: error: train.py/inner:")
    assert "Traceback" not in result.stderr
