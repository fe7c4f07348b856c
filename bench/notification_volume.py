"""LinkStar notification volume: what a 100-row batch makes people read (issue 12 §2).

    .venv/bin/python bench/notification_volume.py                 # 100 rows, SQLite
    .venv/bin/python bench/notification_volume.py --rows 300
    DATABASE_URL=postgres://... .venv/bin/python bench/notification_volume.py   # a scratch database

The organization is built as bench/run.py does (its helpers), plus a second manager (oscar) and a
second seller entity that shares the first one's legal representative, with one project already
open: every project of the batch is then an association risk with it. Mail goes to a real SMTP
server on 127.0.0.1 (aiosmtpd, as the tests' sink) and chat to a DingTalk-like robot on 127.0.0.1
(a threaded ``http.server`` answering ``errcode 0``); both count what they receive.

Then bob creates the batch through ``create_projects_batch`` for oscar to manage, the events are
fanned out as the worker does (``process_event``), and the outbox sweep (``deliver_due``) runs
with the clock driven forward in 30-second steps (``linkstar.core.clock.travel``) until nothing
is due, so that the chat robot's limit (20 a minute) and the mail coalescing window are waited
out without sleeping. It prints the events recorded, the inbox rows, and the mails and chat
messages actually received — counted by the receivers, not computed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from run import bootstrap, configure, make_org


class ChatRobot:
    """A DingTalk-like robot on 127.0.0.1: counts messages, answers ``errcode 0``."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with robot.lock:
                    robot.messages.append(json.loads(body.decode("utf-8")))
                reply = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=bench"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailSink:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the recipients and subjects."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[list[str], str]] = []
        self.lock = threading.Lock()
        with socket.socket() as probe:  # aiosmtpd wants a port of its own, not 0
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=email_policy.default)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), str(mail["Subject"]).strip()))
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = configure(args)
    try:
        bootstrap()
        return run(args)
    finally:
        if not args.keep and not os.environ.get("DATABASE_URL"):
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args) -> int:
    from django.conf import settings
    from django.db import connection

    from linkstar.accounts.services import add_member
    from linkstar.core import clock
    from linkstar.delivery import sending
    from linkstar.delivery.fanout import process_event
    from linkstar.delivery.models import Channel, Delivery
    from linkstar.entities.services import create_entity
    from linkstar.notifications.models import Event, Notification
    from linkstar.playbooks.models import Template
    from linkstar.projects.services import ProjectRow, create_project, create_projects_batch

    mail = MailSink()
    robot = ChatRobot()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
    try:
        world = make_org(f"vol-{uuid.uuid4().hex[:6]}")
        alice, bob = world.actors["alice"], world.actors["bob"]
        oscar = add_member(
            actor=alice,
            email=f"oscar@{world.org.slug}.bench",
            role="manager",
            name="Oscar",
            password="bench-password",
        ).user
        twin = create_entity(
            actor=alice,
            name="深圳市星河贸易有限公司",
            registration_number="91440300MA5G8YYYY2",
            legal_rep_name="张伟",
            legal_rep_id_number="440301198805120000",  # the first entity's legal representative
        )
        template = Template.objects.get(organization__isnull=True, key="amazon-na")
        create_project(
            actor=bob, template_id=template.pk, store_name="Twin Store US", entity_id=twin.pk
        )
        Channel.objects.create(
            organization=world.org, kind="dingtalk", name="团队群", url=robot.url
        )
        for event_id in Event.objects.filter(processed_at__isnull=True).values_list(
            "pk", flat=True
        ):
            process_event(event_id)
        sending.deliver_due()
        mail.received.clear()
        robot.messages.clear()
        Notification.objects.all().delete()
        first_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        print(
            f"LinkStar notification volume — {connection.vendor}, Python "
            f"{platform.python_version()}, {os.cpu_count()} CPUs"
        )
        started = time.perf_counter()
        rows = [
            ProjectRow(store_name=f"Batch Store {i:03d}", entity_id=world.entity.pk)
            for i in range(args.rows)
        ]
        create_projects_batch(
            actor=bob,
            template_id=template.pk,
            rows=[
                ProjectRow(store_name=r.store_name, entity_id=r.entity_id, manager_id=oscar.pk)
                for r in rows
            ],
        )
        created = time.perf_counter() - started
        new_events = Event.objects.filter(pk__gt=first_event)
        by_kind = Counter(new_events.values_list("kind", flat=True))
        for event_id in new_events.order_by("pk").values_list("pk", flat=True):
            process_event(event_id)
        # the worker's sweep every 30 s of travelled time, until nothing is left to send
        steps = 0
        for steps in range(1, 240):
            with clock.travel(seconds=30 * steps):
                sending.deliver_due()
            if not Delivery.objects.filter(state__in=["pending", "failed", "sending"]).exists():
                break
        states = Counter(Delivery.objects.values_list("state", flat=True))
        inbox = Counter(
            (n.recipient.display_name, n.kind)
            for n in Notification.objects.select_related("recipient")
        )
        mails_to = Counter(rcpt for rcpts, _ in mail.received for rcpt in rcpts)
        print(f"batch of {args.rows} rows created by Bob for Oscar in {created:.1f} s")
        print("events recorded (kept one per project / risk):")
        for kind, n in sorted(by_kind.items()):
            print(f"  {kind:<24} {n:>5}")
        print("in-app notifications (recipient, kind):")
        for (who, kind), n in sorted(inbox.items()):
            print(f"  {who:<10} {kind:<24} {n:>5}")
        print(f"mails received by the SMTP server:         {len(mail.received):>5}")
        for rcpt, n in sorted(mails_to.items()):
            subjects = [s for rcpts, s in mail.received if rcpt in rcpts]
            print(f"  {rcpt:<34} {n:>3}  {' | '.join(subjects)[:90]}")
        print(f"chat messages received by the robot:       {len(robot.messages):>5}")
        for message in robot.messages:
            print(f"  {message.get('markdown', {}).get('title', '')[:80]}")
        print(
            f"deliveries by state: {dict(sorted(states.items()))}; "
            f"sweeps: {steps} (30 s apart, travelled)"
        )
        return 0 if not states.get("dead") else 1
    finally:
        robot.stop()
        mail.stop()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
