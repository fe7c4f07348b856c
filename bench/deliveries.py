"""LinkStar outbox benchmark: notifications delivered per second to a local webhook receiver.

    .venv/bin/python bench/deliveries.py                        # 2,000 deliveries, SQLite
    .venv/bin/python bench/deliveries.py --deliveries 5000 --concurrency 1 8 16
    DATABASE_URL=postgres://... .venv/bin/python bench/deliveries.py   # a scratch database

The organization is built as bench/run.py does (its helpers), with one project. Four channels
point at a threaded ``http.server`` on 127.0.0.1 (in its own process) that checks each request's HMAC-SHA256
signature (``X-LinkStar-Signature``) and answers 200: two generic signed webhooks (chat
messages) and two integration webhooks (versioned event payloads). For each concurrency, N/4
``task.done`` events are published and queued through ``outbox.queue_chat`` and
``outbox.queue_webhooks`` (timed: the cost added to the request that causes them), then
``sending.deliver_due`` — the real sweep the worker runs: claim with a lease, build and sign the
request, POST it over HTTP, log the attempt, mark it sent — runs until nothing is due. It prints
deliveries per second, and checks that the receiver got every one exactly once, signed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import platform
import shutil
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from run import bootstrap, configure, make_org

SECRET = "bench-webhook-secret"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counts = None  # (received, bad): multiprocessing.Value each, set in the child
    latency = 0.0  # seconds the endpoint takes to answer (a remote robot: 50-300 ms)

    def do_POST(self):
        if self.latency:
            time.sleep(self.latency)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        stamp = self.headers.get("X-LinkStar-Timestamp", "")
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        ok = hmac.compare_digest(
            self.headers.get("X-LinkStar-Signature", ""), "sha256=" + mac.hexdigest()
        )
        received, bad = self.counts
        with received.get_lock():
            received.value += 1
        if not ok:
            with bad.get_lock():
                bad.value += 1
        reply = b'{"ok":true}'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def _serve(port, received, bad, latency) -> None:
    _Handler.counts = (received, bad)
    _Handler.latency = latency
    server = ThreadingHTTPServer(("127.0.0.1", port.value), _Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    port.value = server.server_address[1]
    server.serve_forever()


class Receiver:
    """A signed-webhook endpoint in its own process (so that it does not share the sender's
    GIL): verifies each signature, counts, answers 200."""

    def __init__(self, latency: float = 0.0) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.received, self.bad = ctx.Value("i", 0), ctx.Value("i", 0)
        port = ctx.Value("i", 0)
        self.process = ctx.Process(
            target=_serve, args=(port, self.received, self.bad, latency), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while port.value == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.port = port.value

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def count(self) -> int:
        return self.received.value

    def reset(self) -> None:
        self.received.value = 0
        self.bad.value = 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="how long the receiver takes to answer (a remote robot: 50-300 ms)",
    )
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
    from django.db import connection, transaction
    from django.db.models import Count

    from linkstar.delivery import outbox, sending
    from linkstar.delivery.models import Channel, Delivery
    from linkstar.notifications import events
    from linkstar.notifications.kinds import EventKind
    from linkstar.playbooks.models import Template
    from linkstar.projects.services import create_project

    world = make_org(f"bench-{uuid.uuid4().hex[:6]}")
    org, bob = world.org, world.actors["bob"]
    template = Template.objects.get(organization__isnull=True, key="amazon-na")
    project = create_project(
        actor=bob, template_id=template.pk, store_name="Bench Store", entity_id=world.entity.pk
    )
    task = project.tasks.order_by("position").first()
    receiver = Receiver(latency=args.latency_ms / 1000)
    for n in range(2):
        Channel.objects.create(
            organization=org, kind="webhook", name=f"chat {n}", url=receiver.url, secret=SECRET
        )
        Channel.objects.create(
            organization=org,
            kind="integration",
            name=f"erp {n}",
            url=receiver.url,
            secret=SECRET,
            events=[EventKind.TASK_DONE],
        )
    events_per_run = max(1, args.deliveries // 4)
    print(
        f"LinkStar outbox benchmark — {connection.vendor}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{events_per_run} task.done events x 4 channels (2 signed webhooks, 2 integration "
        f"webhooks) = {events_per_run * 4} deliveries per run; receiver on {receiver.url}, "
        f"answering after {args.latency_ms} ms"
    )
    print()
    print(
        f"{'concurrency':>11} {'queue ms':>9} {'per event':>10} {'send s':>7} {'deliveries/s':>13}"
    )
    failures = 0
    for concurrency in args.concurrency:
        settings.LINKSTAR_DELIVERY_CONCURRENCY = concurrency
        Delivery.objects.filter(organization=org).delete()
        receiver.reset()
        started = time.perf_counter()
        for i in range(events_per_run):
            with transaction.atomic():
                event = events.publish(
                    EventKind.TASK_DONE, actor=bob, project=project, task=task, data={"n": i}
                )
                message = outbox.Message(
                    title=f"任务已完成：{task.title}",
                    lines=[f"项目：{project.code} {project.store_name}", f"#{i}"],
                    url=f"{settings.LINKSTAR_BASE_URL}/o/{org.slug}/",
                )
                outbox.queue_chat(event=event, message=message)
                outbox.queue_webhooks(event=event)
        queued = time.perf_counter() - started
        total = Delivery.objects.filter(organization=org).count()
        started = time.perf_counter()
        sent = 0
        while True:
            counts = sending.deliver_due(max_seconds=600)
            sent += counts.get("sent", 0)
            if not counts:
                break
        seconds = time.perf_counter() - started
        states = dict(
            Delivery.objects.filter(organization=org).values_list("state").annotate(n=Count("pk"))
        )
        ok = (
            sent == total == receiver.count
            and receiver.bad.value == 0
            and states == {"sent": total}
        )
        failures += 0 if ok else 1
        print(
            f"{concurrency:>11} {queued * 1000:>9.0f} {queued * 1000 / events_per_run:>8.2f}ms "
            f"{seconds:>7.2f} {total / seconds:>13.0f}"
            + ("" if ok else f"  MISMATCH sent={sent} received={receiver.count} {states}")
        )
        if not ok:
            errors = Delivery.objects.filter(organization=org).exclude(state="sent")
            for error in sorted(set(errors.values_list("last_error", flat=True)))[:3]:
                print(f"{'':>11} {error}")
    receiver.stop()
    print()
    print(
        "queue ms: publishing the events and inserting their deliveries (in the request's "
        "transaction); send s: deliver_due until nothing is due (claim, sign, POST, log, mark)."
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
