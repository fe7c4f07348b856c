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


def tighten(masked: str, *, kind: str = "") -> str:
    """A masked label kept from before the third rule (a risk's evidence, an identifier's label:
    their values are not kept to mask again) brought under it. Works on the label alone, so it
    only ever hides more: a mailbox keeps its domain, an address its first third, a label such as
    ``Payoneer 6222…6789`` its first word."""
    if not masked:
        return masked
    if "@" in masked:
        local, _at, domain = masked.partition("@")
        keep = min(2, shown_budget(len(local)))
        return local[:keep] + "*" * (len(local) - keep) + "@" + domain
    if masked.endswith("…") or kind == "address":
        text = masked.removesuffix("…")
        return text[: min(10, shown_budget(len(text)))] + "…"
    head, space, tail = masked.rpartition(" ")
    if space and "*" in tail:
        return head + space + (mask(tail) or "")
    return mask(masked) or ""
