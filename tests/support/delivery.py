"""Helpers of the outbox tests (helper B): channels, events, an SMTP sink."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from linkstar.delivery.models import Channel
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind


def make_channel(org, *, kind: str, url: str, secret: str = "", name: str = "", **extra) -> Channel:
    """A channel written straight to the table (the services are tested on their own)."""
    return Channel.objects.create(
        organization=org,
        kind=kind,
        name=name or f"{kind} robot",
        url=url,
        secret=secret,
        **extra,
    )


def channel_for(org, robot, **extra) -> Channel:
    """A channel pointing at a test receiver, with the receiver's secret."""
    return make_channel(org, kind=robot.kind, url=robot.url, secret=robot.secret, **extra)


def task_done_event(actor, project, **data):
    task = project.tasks.order_by("position").first()
    return events.publish(
        EventKind.TASK_DONE, actor=actor, project=project, task=task, data=data or {"n": 1}
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpSink:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

    messages: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


@contextmanager
def smtp_sink(settings):
    """A running :class:`SmtpSink` with Django's mail settings pointed at it (``settings``: the
    pytest-django fixture), stopped afterwards."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.DEFAULT_FROM_EMAIL = "LinkStar <noreply@linkstar.test>"
    try:
        yield sink
    finally:
        sink.stop()
