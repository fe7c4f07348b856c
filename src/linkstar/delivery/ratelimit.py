"""Keeping each chat robot within its platform's sending limits, across all workers.

Every message sent on a limited channel takes a :class:`~linkstar.delivery.models.RateSlot`
(a row with its time) when the outbox claims it; a claim admits a message only while every
window of the channel's kind has room (a sliding window: no more than ``count`` slots in any
``seconds``). The channel's row is locked while counting (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serialised), so two workers never both take the
last slot. A message without room is not attempted: it waits, ``pending``, until the oldest
slot in the full window leaves it; waiting is no failed attempt and never leads to ``dead``.

When a platform answers "too many messages" anyway (another program posting through the same
robot), the channel is blocked for the platform's block time plus jitter (``Channel.blocked_until``).

The limits, from each platform's documentation:

- DingTalk custom robot: 20 messages a minute per robot; beyond that the robot is throttled for
  10 minutes (errcode 130101) — 钉钉开放平台 “自定义机器人发送群消息”,
  https://open.dingtalk.com/document/robots/custom-robot-access (“每个机器人每分钟最多发送20条
  消息到群里，如果超过20条，会限流10分钟”).
- WeCom group robot: 20 messages a minute per robot (errcode 45009) — 企业微信 “群机器人配置说明”,
  https://developer.work.weixin.qq.com/document/path/91770 (“每个机器人发送的消息不能超过
  20条/分钟”). No block time is documented: we wait a minute.
- Feishu custom bot: 100 a minute and 5 a second per bot (code 11232) — 飞书开放平台
  “自定义机器人使用指南”, https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
  (“自定义机器人的频率控制和普通应用不同，为单租户单机器人 100 次/分钟，5 次/秒”). No block
  time is documented: we wait a minute.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import connection

from linkstar.core import clock
from linkstar.delivery.models import Channel, RateSlot


@dataclass(frozen=True)
class Window:
    count: int
    seconds: int

    @property
    def span(self) -> dt.timedelta:
        """How long a message holds its slot: the window and a tenth more (at most a second),
        for the time the request takes to reach the platform, whose clock is not ours."""
        return dt.timedelta(seconds=self.seconds + min(1.0, self.seconds / 10))


LIMITS: dict[str, tuple[Window, ...]] = {
    "dingtalk": (Window(20, 60),),
    "wecom": (Window(20, 60),),
    "feishu": (Window(5, 1), Window(100, 60)),
}
# How long a platform refuses a robot after it answered "too many messages".
BLOCK_SECONDS = {"dingtalk": 600, "wecom": 60, "feishu": 60}
# Slots older than this are no longer needed by any window.
KEEP = dt.timedelta(minutes=10)


def limited(kind: str) -> bool:
    return kind in LIMITS


def jitter(seconds: float = 5.0) -> dt.timedelta:
    """A little random extra wait, so that workers and channels do not all retry at once."""
    return dt.timedelta(seconds=random.uniform(0, seconds))


def block_for(kind: str) -> dt.timedelta:
    return dt.timedelta(seconds=BLOCK_SECONDS.get(kind, 60)) + jitter()


def admit(rows: list[tuple[int, int | None, str]], now: dt.datetime | None = None):
    """Of the claimed candidates ``(delivery id, channel id, kind)``, those that may be sent
    now, and ``{delivery id: when to try again}`` for the others. Takes a slot for each one
    admitted. Call inside the claiming transaction."""

    now = now or clock.now()
    by_channel: dict[int, list[tuple[int, str]]] = {}
    admitted: list[int] = []
    for pk, channel_id, kind in rows:
        if channel_id is None or not limited(kind):
            admitted.append(pk)
        else:
            by_channel.setdefault(channel_id, []).append((pk, kind))
    waiting: dict[int, dt.datetime] = {}
    if not by_channel:
        return admitted, waiting
    channels = Channel.objects.filter(pk__in=sorted(by_channel)).order_by("pk")
    if connection.features.has_select_for_update:
        channels = channels.select_for_update()
    blocked = dict(channels.values_list("pk", "blocked_until"))
    slots: list = []
    for channel_id, items in by_channel.items():
        kind = items[0][1]
        until = blocked.get(channel_id)
        if until is not None and until > now:
            waiting.update({pk: until for pk, _ in items})
            continue
        RateSlot.objects.filter(channel_id=channel_id, at__lt=now - KEEP).delete()
        times = list(
            RateSlot.objects.filter(
                channel_id=channel_id, at__gt=now - max(w.span for w in LIMITS[kind])
            )
            .order_by("at")
            .values_list("at", flat=True)
        )
        retry_at = None
        for pk, _ in items:
            if retry_at is None:
                free_at = _free_at(kind, times, now)
                if free_at is None:
                    times.append(now)
                    slots.append(RateSlot(channel_id=channel_id, at=now))
                    admitted.append(pk)
                    continue
                retry_at = free_at + jitter(1.0)
            waiting[pk] = retry_at
    RateSlot.objects.bulk_create(slots)
    return admitted, waiting


def _free_at(kind: str, times: list[dt.datetime], now: dt.datetime) -> dt.datetime | None:
    """None when one more message fits in every window at ``now``; else the moment it will."""
    latest = None
    for window in LIMITS[kind]:
        inside = [t for t in times if t > now - window.span]
        if len(inside) >= window.count:
            # The window has room again once its oldest ``len - count + 1`` slots left it.
            leaves = inside[len(inside) - window.count] + window.span
            latest = leaves if latest is None else max(latest, leaves)
    return latest
