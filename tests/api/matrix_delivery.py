"""Permission-matrix entries of the delivery endpoints: channels and the delivery log, for
administrators only."""

from __future__ import annotations

from tests.support.matrix import NO_ADMIN, Case
from tests.support.world import World

NOBODY = "http://127.0.0.1:9/hooks/linkstar"  # nothing listens: a test message fails at once


def _channel_id(w: World) -> int:
    from linkstar.delivery.models import Channel

    if not hasattr(w, "_channel"):
        w._channel = Channel.objects.create(
            organization=w.org, kind="webhook", name="Xinghe ops", url=NOBODY, secret="k-acme"
        )
    return w._channel.pk


def _delivery_id(w: World) -> int:
    """A delivery that was given up (dead), so that it may be retried."""
    from linkstar.delivery.models import Delivery

    if not hasattr(w, "_delivery"):
        w._delivery = Delivery.objects.create(
            organization=w.org,
            channel_id=_channel_id(w),
            kind="webhook",
            target="Xinghe ops",
            summary="任务已逾期",
            payload={"message": {"title": "任务已逾期", "lines": [], "url": ""}},
            state="dead",
            attempts=6,
            max_attempts=6,
            last_error="HTTP 500",
        )
    return w._delivery.pk


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/orgs/{org}/channels"): Case(ok="alice", status=200, denied=NO_ADMIN),
    ("POST", "/orgs/{org}/channels"): Case(
        ok="alice",
        status=201,
        denied=NO_ADMIN,
        body=lambda w: {
            "kind": "dingtalk",
            "name": "开店群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
            "secret": "SEC000111",
        },
    ),
    ("GET", "/orgs/{org}/channels/{channel_id}"): Case(ok="alice", status=200, denied=NO_ADMIN),
    ("PATCH", "/orgs/{org}/channels/{channel_id}"): Case(
        ok="alice", status=200, denied=NO_ADMIN, body=lambda w: {"name": "Ops", "enabled": False}
    ),
    ("DELETE", "/orgs/{org}/channels/{channel_id}"): Case(ok="alice", status=204, denied=NO_ADMIN),
    ("POST", "/orgs/{org}/channels/{channel_id}/test"): Case(
        ok="alice", status=200, denied=NO_ADMIN
    ),
    ("GET", "/orgs/{org}/deliveries"): Case(ok="alice", status=200, denied=NO_ADMIN),
    ("POST", "/orgs/{org}/deliveries/{delivery_id}/retry"): Case(
        ok="alice", status=200, denied=NO_ADMIN
    ),
}

IDS = {"channel_id": _channel_id, "delivery_id": _delivery_id}
