"""The API fuzzing check of issue 17: schemathesis over the published OpenAPI document
(/api/v1/openapi.json), through the app's WSGI handler, as an administrator, as a read-only
token and as a client member (tests/support/fuzz.py).

It fails on any 5xx answer, and on any successful write by the read-only token, or by the client
outside what a client may write (its own tokens, notifications, preferences and calendar feed;
comments and uploads on its entity's projects and document requests). Bounded and
deterministic: ``LINKSTAR_FUZZ_EXAMPLES`` (default 2) sets the examples per operation (see the
plan below; valid and invalid data), derandomized, so every run sends the same requests. The
figures are printed (``fuzz: N requests, M operations, F failures, …``); ``bench/fuzz.py`` runs
more examples. ``LINKSTAR_FUZZ_ONLY=<regex on "METHOD /path">`` narrows it to reproduce a finding.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from linkstar.accounts.models import TokenScope
from linkstar.accounts.services import issue_token
from linkstar.core.clock import org_today
from linkstar.projects.services import create_project
from tests.support.docrequests import ask
from tests.support.fuzz import GenerationMode, Identity, fuzz

FUZZ_EXAMPLES = int(os.environ.get("LINKSTAR_FUZZ_EXAMPLES", "2"))
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE

# What a client member may write through the API (the permission matrix, tests/api/matrix_*.py):
# its own tokens, notifications, preferences and calendar feed; comments on its entity's projects
# and tasks; documents of its own entity; uploads to the document requests asked of it.
CLIENT_WRITES = [
    ("POST", r"/me/tokens"),
    ("DELETE", r"/me/tokens/\{token_id\}"),
    ("POST", r"/me/notifications/read"),
    ("PUT", r"/orgs/\{org\}/notification-preferences"),
    ("(POST|DELETE)", r"/orgs/\{org\}/calendar-feed"),
    ("POST", r"/orgs/\{org\}/(projects|tasks)/\{\w+\}/comments"),
    ("POST", r"/orgs/\{org\}/entities/\{entity_id\}/documents"),
    ("POST", r"/orgs/\{org\}/document-requests/\{request_id\}/items/\{item_id\}/uploads"),
]
# Signing in is no write of the caller's token (the endpoint takes no token).
ANYONE_WRITES = [("POST", r"/auth/token")]


def _allowed(rules):
    patterns = [re.compile(rf"{m} /api/v1{p}") for m, p in rules]

    def may_write(method: str, path: str) -> bool:
        return any(p.fullmatch(f"{method} {path}") for p in patterns)

    return may_write


@pytest.fixture
def fuzz_world(world):
    """acme with objects behind the path parameters: bob's Xinghe project, a Yunfan project
    (grace's entity), an approval, a document request of each."""
    yunfan = create_project(
        actor=world.actor("bob"),
        template_id=world.amazon_na.pk,
        store_name="Yunfan Kitchen US",
        entity_id=world.entity_yunfan.pk,
    )
    due = org_today(world.org) + dt.timedelta(days=7)
    requests = [ask(world.actor("bob"), p, due=due) for p in (world.project, yunfan)]
    approval = world.approval
    projects = [world.project, yunfan]
    tasks = [t for p in projects for t in p.tasks.order_by("position")[:3]]
    return {
        "org": ["acme"],
        "project_id": [p.pk for p in projects],
        "task_id": [t.pk for t in tasks],
        "entity_id": [world.entity.pk, world.entity_yunfan.pk],
        "user_id": [u.pk for u in world.users.values()],
        "template_id": [world.template.pk, world.amazon_na.pk],
        "number": [1, 2],
        "approval_id": [approval.pk],
        "request_id": [r.pk for r in requests],
        "item_id": [i.pk for r in requests for i in r.items.all()],
    }


def test_fuzz_the_api_as_admin_read_only_and_client(world, fuzz_world, capsys):
    alice, grace = world.users["alice"], world.users["grace"]
    n, half = FUZZ_EXAMPLES, max(1, FUZZ_EXAMPLES // 2)
    # per operation: the administrator n valid and n invalid requests, the read-only token
    # n/2 valid ones (its writes stop at the scope check), the client n valid and n/2 invalid
    identities = [
        Identity("admin", issue_token(user=alice)[1], plan=((POSITIVE, n), (NEGATIVE, n))),
        Identity(
            "read-only",
            issue_token(user=alice, scope=TokenScope.READ)[1],
            _allowed(ANYONE_WRITES),
            plan=((POSITIVE, half),),
        ),
        Identity(
            "client",
            issue_token(user=grace)[1],
            _allowed(ANYONE_WRITES + CLIENT_WRITES),
            plan=((POSITIVE, n), (NEGATIVE, half)),
        ),
    ]
    only = os.environ.get("LINKSTAR_FUZZ_ONLY", "")  # a regex on "METHOD /path", to reproduce
    report = fuzz(identities, path_values=fuzz_world, max_examples=FUZZ_EXAMPLES, only=only)
    with capsys.disabled():
        print(f"\n{report.summary()}")
        if os.environ.get("LINKSTAR_FUZZ_VERBOSE"):
            print("\n".join(report.not_generated))
    assert report.operations, "no operation was fuzzed"
    assert not report.not_generated, "\n".join(report.not_generated)
    assert not report.failures, f"{report.summary()}\n\n" + "\n\n".join(report.failures)
