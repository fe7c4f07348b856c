"""The outbox's entry points for the rest of LinkStar. (Interface fixed; bodies by the delivery
work.) Each call inserts rows in the caller's transaction; sending happens in the worker."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Message:
    """A notification as a chat robot or a mail shows it, already in its reader's language."""

    title: str  # one line: "任务已逾期：上传营业执照"
    lines: list[str] = field(default_factory=list)  # project, task, due date … one fact per line
    url: str = ""  # absolute link to the page (settings.LINKSTAR_BASE_URL + path)
    mention_user_ids: list[int] = field(default_factory=list)  # @ them where the robot can


def queue_chat(*, event, message: Message) -> list:
    """One delivery per enabled chat channel (WeCom, DingTalk, Feishu, generic webhook) of the
    event's organization, and of its project when the channel is per project, that takes
    ``event.kind``. Returns the Delivery rows."""
    raise NotImplementedError


def queue_email(*, user, subject: str, body: str, organization, event=None) -> object:
    """One mail to ``user`` (plain text ``body``; an HTML alternative is derived). Returns the
    Delivery row."""
    raise NotImplementedError


def queue_webhooks(*, event) -> list:
    """One delivery per integration webhook subscribed to ``event.kind`` (issue 6): the
    versioned JSON payload of the event, signed. Returns the Delivery rows."""
    raise NotImplementedError
