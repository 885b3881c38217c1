"""The command line: `dllint check`, `dllint probe`, `dllint rule`, `dllint rules`.

Kept light at import time: rules, yaml and rich load only when a command needs them.
"""

from __future__ import annotations

import sys

import click

from dllint import __version__

FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab", "junit")
SEVERITIES = ("error", "warning", "info")


def _codes(values: tuple[str, ...]) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(c.strip() for v in values for c in v.split(",") if c.strip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dllint")
def main() -> None:
    """dllint: find the silent failures of deep-learning projects before they cost a training run."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Codes, prefixes (DL1) or names to check (replaces the settings).")
@click.option("--ignore", multiple=True, help="Codes, prefixes or names to skip.")
@click.option("--extend-select", multiple=True, help="Codes, prefixes or names to add to the selection.")
@click.option("--format", "format_", type=click.Choice(FORMATS),
              help="Output format [default: full on a terminal, else concise].")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="warning", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of the findings.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Worker processes [default: the number of cores].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings file to use (pyproject.toml or dllint.yaml).")
@click.option("--fix", is_flag=True, help="Apply fixes (atomically, only if the result still parses).")
@click.option("--diff", is_flag=True, help="Print the fixes as a diff; change nothing.")
@click.option("--no-progress", is_flag=True, help="Never show a progress bar.")
def check(paths, select, ignore, extend_select, format_, output_file, fail_on, exit_zero, statistics,
          no_cache, jobs, config_file, fix, diff, no_progress) -> None:
    """Lint Python files, hyperparameter config files and the project layout under PATHS (default: .)."""
    from dllint.commands.check import CheckRequest, run_check

    request = CheckRequest(
        paths=list(paths) or ["."], select=_codes(select), ignore=_codes(ignore) or (),
        extend_select=_codes(extend_select) or (), format=format_, output_file=output_file,
        fail_on=fail_on, exit_zero=exit_zero, statistics=statistics, use_cache=not no_cache,
        jobs=jobs, config_file=config_file, fix=fix, diff=diff, progress=not no_progress,
    )
    sys.exit(run_check(request))


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("script", type=click.Path(dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--steps", type=click.IntRange(min=1), help="Stop the script after N optimizer steps.")
@click.option("--sample-every", type=click.IntRange(min=1), default=10, show_default=True,
              help="Measure gradients and activations every K steps (and the first 3).")
@click.option("--select", multiple=True, help="Probe codes, prefixes or names to report (default: every DL9 probe).")
@click.option("--ignore", multiple=True, help="Codes, prefixes or names to skip.")
@click.option("--extend-select", multiple=True, help="Codes, prefixes or names to add to the selection.")
@click.option("--format", "format_", type=click.Choice(FORMATS),
              help="Output format [default: full on a terminal, else concise].")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False),
              help="Write the report here, apart from the script's own output.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="warning", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings file to use (pyproject.toml or dllint.yaml).")
def probe(script, args, steps, sample_every, select, ignore, extend_select, format_, output_file, fail_on,
          exit_zero, config_file) -> None:
    """Run a training script (as `python SCRIPT ARGS` would) under the runtime probes (DL9xx).

    Needs torch. Put the script's own options after `--` or after the script name.
    """
    from dllint.commands.check import CheckRequest
    from dllint.commands.probe import ProbeRequest, run_probe

    args = list(args)
    if args[:1] == ["--"]:  # `dllint probe train.py -- --lr 0.1`: the separator is ours, not the script's
        args = args[1:]
    report = CheckRequest(
        paths=[script], select=_codes(select), ignore=_codes(ignore) or (),
        extend_select=_codes(extend_select) or (), format=format_, output_file=output_file,
        fail_on=fail_on, exit_zero=exit_zero, config_file=config_file, use_cache=False, progress=False,
    )
    request = ProbeRequest(script=script, args=args, steps=steps, sample_every=sample_every, report=report)
    sys.exit(run_probe(request))


@main.command()
@click.argument("code_or_name")
def rule(code_or_name: str) -> None:
    """Print the documentation of one rule (by code, e.g. DL101, or by name)."""
    from dllint.engine.registry import lookup
    from dllint.ruledocs import render_rule_page

    found = lookup(code_or_name)
    if found is None:
        click.echo(f"dllint: error: unknown rule {code_or_name!r} (see `dllint rules`)", err=True)
        sys.exit(2)
    click.echo(render_rule_page(found), nl=False)


@main.command()
@click.option("--format", "format_", type=click.Choice(("text", "json")), default="text", show_default=True)
def rules(format_: str) -> None:
    """List every rule."""
    from dllint.ruledocs import render_rule_list

    click.echo(render_rule_list(format_), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
