"""The audit log page: administrators and auditors read the events (newest first, in words),
filter them, and verify the hash chain; other roles get a 403 page that says why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from linkstar.audit.models import AuditEvent
from linkstar.projects.models import Stage
from linkstar.projects.services import (
    ProjectRow,
    change_stage,
    create_projects_batch,
    update_project,
)
from tests.support.gates import pass_gates
from tests.support.pages import HTMX

pytestmark = pytest.mark.django_db

AUDIT = "/o/acme/audit/"
VERIFY = "/o/acme/audit/verify/"


@pytest.fixture
def many_projects(as_alice, amazon_na, entity, bob):
    rows = [
        ProjectRow(store_name=f"Store {i:03}", entity_id=entity.pk, manager_id=bob.pk)
        for i in range(500)
    ]
    return create_projects_batch(
        actor=as_alice, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 11, 2)
    )


@pytest.fixture
def history(project, as_bob):
    """A renamed project that went under review: events with before/after worth reading."""
    update_project(actor=as_bob, project=project, store_name="Xinghe Home America")
    project.refresh_from_db()
    pass_gates(project)
    change_stage(actor=as_bob, project=project, stage="under_review", note="submitted")
    return project


def tamper(event: AuditEvent, **columns) -> None:
    sets = ", ".join(f"{name} = %s" for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET {sets} WHERE id = %s", [*columns.values(), event.pk]
        )


def rows_of(response) -> list:
    return [row["event"] for row in response.context["rows"]]


def test_the_log_costs_a_bounded_number_of_queries(
    client, frank, dave, history, many_projects, django_assert_max_num_queries
):
    client.force_login(frank)
    # 10 = 9 + the notification bell's unread count (issue 5)
    with django_assert_max_num_queries(10):
        response = client.get(AUDIT)
    assert response.status_code == 200
    assert response.context["page"].paginator.count > 500
    with django_assert_max_num_queries(10):
        filtered = client.get(AUDIT, {"action": "project.", "page": "3"})
    assert filtered.status_code == 200
    with django_assert_max_num_queries(7):
        verified = client.get(VERIFY, **HTMX)
    assert 'id="verify-ok"' in verified.content.decode()


def test_events_are_newest_first_with_translated_labels_and_readable_changes(
    client, alice, history
):
    client.force_login(alice)
    response = client.get(AUDIT)
    events = rows_of(response)
    assert [e.seq for e in events] == sorted((e.seq for e in events), reverse=True)
    assert events[0].action == "project.stage_changed"
    html = response.content.decode()
    assert "项目阶段变更" in html  # project.stage_changed, in Chinese by default
    stage = next(line for line in response.context["rows"][0]["changes"] if line.field == "stage")
    with translation.override("zh-hans"):  # the stage's label, not its code
        assert (stage.before, stage.after) == (
            str(Stage.PREPARING.label),
            str(Stage.UNDER_REVIEW.label),
        )
    assert stage.after != "under_review" and stage.after in html
    assert "Xinghe Home US" in html and "Xinghe Home America" in html
    assert f'href="/o/acme/projects/{history.pk}/"' in html
    client.cookies["linkstar_language"] = "en"
    english = client.get(AUDIT).content.decode()
    assert "Project stage changed" in english and "Under review" in english
    assert "Store name" in english and "Stage" in english


def test_an_unknown_action_is_shown_raw(client, alice, org, as_alice):
    from linkstar.audit.services import record

    record(actor=as_alice, action="robot.danced", object_type="robot", object_id=7)
    client.force_login(alice)
    html = client.get(AUDIT).content.decode()
    assert 'data-action="robot.danced"' in html and ">robot.danced<" in html


def test_times_are_shown_in_the_organization_time_zone(client, alice, history):
    client.force_login(alice)
    response = client.get(AUDIT)
    event = rows_of(response)[0]
    shanghai = timezone.localtime(event.at, timezone=dt.timezone(dt.timedelta(hours=8)))
    assert shanghai.strftime("%Y-%m-%d %H:%M:%S") in response.content.decode()
    assert "Asia/Shanghai" in response.content.decode()


def test_filter_by_action_and_by_group(client, alice, history):
    client.force_login(alice)
    only = rows_of(client.get(AUDIT, {"action": "project.updated"}))
    assert [e.action for e in only] == ["project.updated"]
    group = {e.action for e in rows_of(client.get(AUDIT, {"action": "project."}))}
    assert group == {"project.created", "project.updated", "project.stage_changed"}


def test_filter_by_actor(client, alice, bob, history):
    client.force_login(alice)
    events = rows_of(client.get(AUDIT, {"actor": bob.pk}))
    assert events and all(e.actor_id == bob.pk for e in events)


def test_filter_by_object(client, alice, history, entity):
    client.force_login(alice)
    events = rows_of(
        client.get(AUDIT, {"object_type": "storeproject", "object_id": str(history.pk)})
    )
    assert {e.action for e in events} == {
        "project.created",
        "project.updated",
        "project.stage_changed",
    }
    entity_events = rows_of(
        client.get(AUDIT, {"object_type": "sellerentity", "object_id": str(entity.pk)})
    )
    assert [e.action for e in entity_events] == ["entity.created"]


def test_filter_by_date_range(client, alice, history):
    client.force_login(alice)
    today = timezone.localdate(timezone=dt.timezone(dt.timedelta(hours=8)))
    yesterday = today - dt.timedelta(days=1)
    assert rows_of(client.get(AUDIT, {"since": today.isoformat(), "until": today.isoformat()}))
    assert not rows_of(client.get(AUDIT, {"until": yesterday.isoformat()}))
    assert not rows_of(client.get(AUDIT, {"since": (today + dt.timedelta(days=1)).isoformat()}))


def test_a_bad_filter_value_drops_that_filter_only(client, alice, history):
    client.force_login(alice)
    events = rows_of(client.get(AUDIT, {"action": "project.updated", "since": "not a date"}))
    assert [e.action for e in events] == ["project.updated"]


def test_pagination(client, alice, many_projects):
    client.force_login(alice)
    first = client.get(AUDIT)
    second = client.get(AUDIT, {"page": 2})
    assert len(rows_of(first)) == 50
    assert rows_of(first)[-1].seq > rows_of(second)[0].seq
    assert "page=2" in first.content.decode()


@pytest.mark.parametrize("login", ["bob", "carol", "dave", "grace"])
def test_other_roles_get_a_403_page_that_says_why(client, request, login, org):
    user = request.getfixturevalue(login)
    client.force_login(user)
    response = client.get(AUDIT)
    assert response.status_code == 403
    html = response.content.decode()
    assert "只有管理员和审计员可以查看操作日志" in html
    assert 'id="audit-table"' not in html
    htmx = client.get(VERIFY, **HTMX)
    assert htmx.status_code == 403 and htmx["X-LinkStar-Error"] == "permission_denied"


def test_verify_reports_an_intact_chain(client, frank, history):
    client.force_login(frank)
    response = client.get(VERIFY, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="verify-ok"' in html
    assert "<html" not in html  # a fragment for htmx
    assert response.context["result"].checked == AuditEvent.objects.count()


def test_verify_names_the_first_altered_event(client, frank, history):
    event = AuditEvent.objects.get(action="project.updated")
    tamper(event, actor_label="nobody@example.com")
    client.force_login(frank)
    response = client.get(VERIFY, **HTMX)
    html = response.content.decode()
    assert 'id="verify-broken"' in html
    assert f'data-first-bad-seq="{event.seq}"' in html
    assert f"事件 #{event.seq} 在写入后被篡改" in html
    assert "nobody@example.com" in html


def test_verify_without_htmx_is_a_page(client, alice, history):
    client.force_login(alice)
    response = client.get(VERIFY)
    assert response.status_code == 200
    assert "<html" in response.content.decode() and 'id="verify-ok"' in response.content.decode()


def test_another_organizations_member_gets_404(client, history, other_org, mallory):
    client.force_login(mallory)
    assert client.get(AUDIT).status_code == 404
    assert client.get(VERIFY).status_code == 404
    assert client.get(VERIFY, **HTMX).status_code == 404


def test_mallory_sees_only_her_own_organizations_events(client, history, other_org, mallory):
    client.force_login(mallory)
    events = rows_of(client.get("/o/evil/audit/"))
    assert events and {e.organization_id for e in events} == {other_org.pk}
