"""The README stays true: its example report is what dllint prints on the bundled example."""

import re

from conftest import REPO, run_cli


def test_example_report_in_readme_is_current():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"the report \(exit code 1\)\nreads:\n\n```text\n(.*?)```", readme, re.S)
    assert shown, "README lost its example report"
    result = run_cli(["check", "examples/image-classifier", "--no-cache"], REPO)
    assert result.returncode == 1
    assert result.stdout == shown.group(1)


def test_readme_commands_name_real_paths():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "dllint check examples/image-classifier" in readme
    assert (REPO / "examples" / "image-classifier").is_dir()
    assert "pip install -e '.[dev,probes]'" in readme and "python -m pytest" in readme
    assert "python -m pytest" in (REPO / ".ci" / "run").read_text()
