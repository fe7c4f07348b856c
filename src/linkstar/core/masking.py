from __future__ import annotations


def mask(value: str | None, *, keep_start: int = 4, keep_end: int = 4) -> str | None:
    """``330102199001011234`` → ``3301**********1234``; short values keep less so most is hidden."""
    if value is None or value == "":
        return value
    n = len(value)
    if n <= keep_start + keep_end:
        keep_start, keep_end = (0, min(2, n // 3))
    hidden = n - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + (value[n - keep_end :] if keep_end else "")
