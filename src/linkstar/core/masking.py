"""How a sensitive value is shown when it must be recognisable but not readable.

One rule for every mask: at most a third of the value's characters are shown, the end first
(people recognise an account or an ID by its last digits), so that a short value is never
mostly visible (issue 17 §11).
"""

from __future__ import annotations


def shown_budget(length: int) -> int:
    """How many characters of a value of ``length`` a mask may show: a third, rounded down."""
    return length // 3


def mask(value: str | None, *, keep_start: int = 4, keep_end: int = 4) -> str | None:
    """``330102199001011234`` → ``33************1234``, ``12345678`` → ``******78``: up to
    ``keep_end`` characters at the end and ``keep_start`` at the start, never more than a third
    of the value together."""
    if value is None or value == "":
        return value
    n = len(value)
    budget = shown_budget(n)
    end = min(keep_end, budget)
    start = min(keep_start, budget - end)
    return value[:start] + "*" * (n - start - end) + (value[n - end :] if end else "")
