"""The current time, in one place, so that tests move it instead of sleeping.

Everything time-driven (reminders, retries with backoff, expiring links, schedules) reads
:func:`now`. Tests call :func:`travel` (``with clock.travel(days=3): ...``) or :func:`set_offset`;
production never does, and then :func:`now` is ``django.utils.timezone.now()``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    return timezone.now() + _offset


def today(time_zone: str = "Asia/Shanghai") -> dt.date:
    """The date it is now in ``time_zone`` (an organization's, usually)."""
    return now().astimezone(ZoneInfo(time_zone)).date()


def org_today(organization) -> dt.date:
    return today(organization.time_zone)


def set_offset(delta: dt.timedelta) -> None:
    global _offset
    _offset = delta


def offset() -> dt.timedelta:
    return _offset


@contextmanager
def travel(delta: dt.timedelta | None = None, **kwargs):
    """Move the clock forward (or back) by ``delta`` or ``timedelta(**kwargs)`` for the block;
    nested travels add up."""
    step = delta if delta is not None else dt.timedelta(**kwargs)
    before = _offset
    set_offset(before + step)
    try:
        yield
    finally:
        set_offset(before)


@contextmanager
def frozen_at(moment: dt.datetime):
    """Make :func:`now` read ``moment`` (approximately: the offset is fixed on entry)."""
    before = _offset
    set_offset(before + (moment - now()))
    try:
        yield
    finally:
        set_offset(before)
