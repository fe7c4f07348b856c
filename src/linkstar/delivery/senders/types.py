"""The values every sender builds and takes: a prepared request, someone to mention."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PreparedRequest:
    """One HTTP request, always a POST."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Mention:
    """Someone to @-mention. ``user_id`` is the platform's own id for this channel kind (WeCom
    userid, DingTalk userId, Feishu open_id ``ou_…``); ``mobile`` serves WeCom and DingTalk."""

    name: str
    mobile: str = ""
    user_id: str = ""
