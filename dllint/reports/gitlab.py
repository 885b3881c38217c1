"""GitLab Code Quality report: a JSON array GitLab shows in merge-request widgets and diffs."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Severity

_SEVERITY = {Severity.INFO: "info", Severity.WARNING: "minor", Severity.ERROR: "major"}


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    seen: Counter[tuple[str, ...]] = Counter()
    issues = []
    for d in diagnostics:
        key = (d.code, d.path, str(d.location.line), d.message)
        issues.append(_issue(d, _fingerprint(key, seen[key])))
        seen[key] += 1
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _fingerprint(key: tuple[str, ...], repeat: int) -> str:
    # GitLab matches issues across pipelines by fingerprint, so it must not depend on run order
    # or machine; identical findings on one line get a counter so that none is dropped as a dupe.
    parts = key if repeat == 0 else (*key, str(repeat))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _issue(d: Diagnostic, fingerprint: str) -> dict[str, Any]:
    return {
        "description": f"{d.code} {d.message}",
        "check_name": d.code,
        "fingerprint": fingerprint,
        "severity": _SEVERITY[d.severity],
        "location": {"path": d.path, "lines": {"begin": d.location.line}},
    }
