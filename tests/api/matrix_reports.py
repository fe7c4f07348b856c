"""Permission-matrix entries of the reports."""

from __future__ import annotations

from tests.support.matrix import Case

CASES = {
    ("GET", "/orgs/{org}/reports"): Case(ok="frank", status=200, denied=("grace",)),
    ("GET", "/orgs/{org}/reports/report.xlsx"): Case(
        ok="bob", status=200, denied=("grace",), binary=True
    ),
}
