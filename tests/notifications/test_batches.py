"""A publication of many events at once (batch creation, risk detection) tells each person and
each chat channel once, with a summary; integration webhooks stay one per event."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from linkstar.core.actors import Actor
from linkstar.delivery import sending
from linkstar.delivery.models import ChannelKind, Delivery
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event, Notification
from linkstar.notifications.services import update_preferences
from linkstar.projects.services import ProjectRow, create_project, create_projects_batch
from tests.support.delivery import channel_for, make_channel, smtp_sink
from tests.support.notifications import process_all
from tests.support.receivers import Receiver
from tests.support.seed import actor_of


@pytest.fixture
def smtp(settings):
    with smtp_sink(settings) as sink:
        yield sink


@pytest.fixture
def robots():
    with Receiver("wecom") as wecom, Receiver("dingtalk") as dingtalk, Receiver("feishu") as feishu:
        yield [wecom, dingtalk, feishu]


def _batch(actor, template, entity, n, **row):
    return create_projects_batch(
        actor=actor,
        template_id=template.pk,
        rows=[
            ProjectRow(store_name=f"Store {i:03d}", entity_id=entity.pk, **row) for i in range(n)
        ],
        start_date=dt.date(2026, 11, 2),
    )


def test_a_batch_of_twenty_projects_tells_each_other_recipient_once_per_channel(
    as_bob,
    amazon_na,
    entity,
    other_manager,
    alice,
    org,
    smtp,
    robots,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.LINKSTAR_BASE_URL = "https://linkstar.example"
    oscar = other_manager.user
    # oscar wants "project created" by mail too, so that all three ways are counted
    update_preferences(
        actor=other_manager, email_kinds=[EventKind.PROJECT_CREATED, EventKind.RISK_DETECTED]
    )
    for robot in robots:
        channel_for(org, robot)
    make_channel(
        org, kind=ChannelKind.INTEGRATION, url="http://127.0.0.1:9/erp", events=["project.created"]
    )
    # after commit, as in production: the association-risk detection publishes its events
    with django_capture_on_commit_callbacks(execute=True):
        created = _batch(as_bob, amazon_na, entity, 20, manager_id=oscar.pk)
    assert Event.objects.filter(kind=EventKind.PROJECT_CREATED).count() == 20  # kept per event
    risks = Event.objects.filter(kind=EventKind.RISK_DETECTED).count()
    assert risks > 20  # twenty stores of one entity on one site: second accounts, pairwise

    process_all()
    sending.deliver_due()

    per_person = Counter((n.recipient_id, n.kind) for n in Notification.objects.all())
    assert per_person and set(per_person.values()) == {1}
    assert per_person[(oscar.pk, EventKind.PROJECT_CREATED)] == 1
    assert per_person[(oscar.pk, EventKind.RISK_DETECTED)] == 1
    risk_notice = Notification.objects.get(recipient=oscar, kind=EventKind.RISK_DETECTED)
    assert risk_notice.params["batch_count"] == risks and risk_notice.link == "/o/acme/risks/"
    assert (as_bob.user_id, EventKind.PROJECT_CREATED) not in per_person  # who did it

    summary = Notification.objects.get(recipient=oscar, kind=EventKind.PROJECT_CREATED)
    assert summary.params["batch_count"] == 20
    assert summary.link == "/o/acme/projects/"
    mails = [m for rcpts, m in smtp.messages if rcpts == ["oscar@example.com"]]
    subjects = sorted(str(m["Subject"]).strip() for m in mails)
    assert subjects == sorted(["20 个项目由 Bob 创建", f"{risks} 个新的关联风险"])  # one per kind
    mails = [m for m in mails if "创建" in str(m["Subject"])]
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert created[0].code in body and created[4].code in body
    assert created[5].code not in body and "还有 15 个" in body
    assert "https://linkstar.example/o/acme/projects/" in body

    for robot in robots:
        # one message per batch (projects, risks), not one per project or risk
        assert len(robot.requests) == 2, robot.kind
        assert len(robot.accepted) == 2, robot.last.error
        texts = [r.body.decode() for r in robot.accepted]
        assert sum("20 个项目由 Bob 创建" in t for t in texts) == 1
        assert sum(f"{risks} 个新的关联风险" in t for t in texts) == 1

    # the ERP still gets one signed payload per project (delivery rows, one per event)
    assert Delivery.objects.filter(kind=ChannelKind.INTEGRATION).count() == 20


def test_one_project_alone_is_told_as_before(as_bob, amazon_na, entity, other_manager):
    create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Solo",
        entity_id=entity.pk,
        manager_id=other_manager.user_id,
    )
    assert Event.objects.get().batch_key is None
    process_all()
    n = Notification.objects.get()
    assert "batch_count" not in n.params and n.project_id is not None


def test_risks_found_together_make_one_notice_per_manager(
    settled, other_manager, amazon_na, entity, org, smtp, bob
):
    other = create_project(
        actor=other_manager,
        template_id=amazon_na.pk,
        store_name="Xinghe CA",
        entity_id=entity.pk,
        site="amazon-ca",
    )
    process_all()
    Notification.objects.all().delete()
    Delivery.objects.all().delete()
    events.publish_many(
        EventKind.RISK_DETECTED,
        actor=Actor.system(org),
        items=[
            {
                "project": settled,
                "data": {"kind": "email", "other_project_id": other.pk, "masked": f"s{i}***@x.com"},
            }
            for i in range(12)
        ],
    )
    process_all()
    sending.deliver_due()
    notices = Notification.objects.filter(kind=EventKind.RISK_DETECTED)
    assert sorted(n.recipient.email for n in notices) == ["bob@example.com", "oscar@example.com"]
    for notice in notices:
        assert notice.params["batch_count"] == 12
        assert notice.link == "/o/acme/risks/"
    assert Counter(r[0] for r, _ in smtp.messages) == {
        "bob@example.com": 1,
        "oscar@example.com": 1,
    }
    assert all(m["Subject"] == "12 个新的关联风险" for _, m in smtp.messages)


def test_two_workers_on_one_batch_tell_once(as_bob, amazon_na, entity, other_manager):
    from linkstar.delivery.fanout import process_event

    _batch(as_bob, amazon_na, entity, 3, manager_id=other_manager.user_id)
    ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    first = process_event(ids[1])  # any event of the batch claims all of it
    assert len(first) == 1
    assert process_event(ids[0]) == [] and process_event(ids[2]) == []
    assert Notification.objects.count() == 1


def test_a_summary_reads_in_english_in_the_inbox(as_bob, amazon_na, entity, other_manager, org):
    from linkstar.delivery import messages

    _batch(as_bob, amazon_na, entity, 7, manager_id=other_manager.user_id)
    process_all()
    n = Notification.objects.get()
    text = messages.render(n.kind, n.params, n.link, language="en")
    assert text.title == "7 projects created by Bob"
    assert text.lines[-1] == "… and 2 more"
    assert len(text.lines) == 6
    assert actor_of(org, other_manager.user).user_id == n.recipient_id
