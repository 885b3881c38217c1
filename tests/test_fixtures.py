"""Every fixture case: exactly the expected findings, nothing else, no crash."""

import pytest
from conftest import FIXTURES
from harness import actual, cases, expected

CASES = cases(FIXTURES)


@pytest.mark.parametrize("case", CASES, ids=[c.relative_to(FIXTURES).as_posix() for c in CASES])
def test_fixture_case(case):
    code = case.parent.name
    found, errors = actual(case, code)
    assert errors == []
    assert sorted(found) == sorted(expected(case))
