"""The audit trail: every service write appends an event (who, from where, what, before/after),
events are hash-chained per organization, rows are append-only through the ORM, and
``verify_chain`` finds rows changed or removed behind the ORM's back (raw SQL)."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from itertools import pairwise

import pytest
from django.db import connection, transaction
from django.db.models import ProtectedError

from linkstar.accounts.services import add_member, change_member_role, remove_member
from linkstar.approvals.models import ApprovalRequest
from linkstar.approvals.services import decide_approval
from linkstar.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from linkstar.audit.services import GENESIS, _digest, verify_chain
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from linkstar.entities.services import create_entity, update_entity
from linkstar.playbooks.services import (
    create_draft_version,
    create_template,
    publish_version,
    replace_draft_tasks,
    retire_version,
)
from linkstar.projects.models import TaskStatus
from linkstar.projects.services import (
    ProjectRow,
    add_comment,
    change_stage,
    close_project,
    create_project,
    create_projects_batch,
    skip_task,
    update_project,
    update_task,
)
from tests.support.seed import actor_of

TABLE = AuditEvent._meta.db_table


def chain(org) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=org).order_by("seq"))


def head_seq(org) -> int:
    return AuditChainHead.objects.get(organization=org).last_seq


@contextmanager
def appends(org, *actions: str, by):
    """Assert the block appends exactly ``actions`` to ``org``'s chain, each by user ``by``."""
    start = head_seq(org)
    yield
    new = list(AuditEvent.objects.filter(organization=org, seq__gt=start).order_by("seq"))
    assert [e.action for e in new] == list(actions)
    for event in new:
        assert event.actor_id == by.pk
        assert event.actor_label == by.email
        assert event.changes, f"{event.action} recorded no changes"
    assert head_seq(org) == start + len(actions)


def raw_sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


# --- what an event holds ---------------------------------------------------------------------


def test_creating_a_project_records_actor_ip_object_and_changes(org, bob, entity, amazon_na):
    actor = actor_of(org, bob, ip="203.0.113.7")
    project = create_project(
        actor=actor,
        template_id=amazon_na.pk,
        store_name="Xinghe Home US",
        entity_id=entity.pk,
        start_date=dt.date(2026, 11, 2),
    )
    event = chain(org)[-1]
    assert event.actor_id == bob.pk
    assert event.actor_label == "bob@example.com"
    assert event.ip == "203.0.113.7"
    assert event.action == "project.created"
    assert event.object_type == "storeproject"
    assert event.object_id == str(project.pk)
    assert event.project_id == project.pk
    assert event.changes["code"] == {"before": None, "after": "AMZ-US-0001"}
    assert event.changes["store_name"] == {"before": None, "after": "Xinghe Home US"}
    assert event.changes["start_date"] == {"before": None, "after": "2026-11-02"}
    assert event.changes["tasks"]["after"] == project.tasks.count()


def test_an_actor_without_ip_leaves_ip_empty(org, as_alice):
    entity = create_entity(actor=as_alice, name="义乌市启明进出口有限公司")
    event = chain(org)[-1]
    assert (event.action, event.object_id, event.ip) == ("entity.created", str(entity.pk), "")


def test_task_update_records_status_before_and_after(org, project, carol):
    task = project.tasks.get(key="prepare-license")
    update_task(
        actor=actor_of(org, carol, ip="198.51.100.4"), task=task, status=TaskStatus.IN_PROGRESS
    )
    event = chain(org)[-1]
    assert event.action == "task.updated"
    assert (event.object_type, event.object_id) == ("task", str(task.pk))
    assert event.project_id == project.pk
    assert event.ip == "198.51.100.4"
    assert event.changes == {"status": {"before": "todo", "after": "in_progress"}}


def test_member_writes_are_audited(org, alice, as_alice):
    with appends(org, "member.added", by=alice):
        m = add_member(
            actor=as_alice, email="zoe@example.com", role="operator", password="long enough"
        )
    with appends(org, "member.role_changed", by=alice):
        change_member_role(actor=as_alice, user_id=m.user_id, role="reviewer")
    assert chain(org)[-1].changes["role"] == {"before": "operator", "after": "reviewer"}
    with appends(org, "member.removed", by=alice):
        remove_member(actor=as_alice, user_id=m.user_id)
    assert chain(org)[-1].changes["role"] == {"before": "reviewer", "after": None}


def test_entity_writes_are_audited_with_secrets_masked(org, bob, as_bob):
    with appends(org, "entity.created", by=bob):
        entity = create_entity(
            actor=as_bob, name="杭州云帆", legal_rep_id_number="330106199002151234"
        )
    with appends(org, "entity.updated", by=bob):
        update_entity(actor=as_bob, entity=entity, legal_rep_id_number="330106199002159876")
    for event in chain(org)[-2:]:
        dumped = json.dumps(event.changes)
        assert "330106199002151234" not in dumped
        assert "330106199002159876" not in dumped
    assert set(chain(org)[-1].changes) == {"legal_rep_id_number"}


def test_template_writes_are_audited(org, alice, as_alice, amazon_na):
    with appends(org, "template.cloned", by=alice):
        template = create_template(actor=as_alice, name="我们的亚马逊美国", clone_from=amazon_na)
    v1 = template.versions.get(number=1)
    with appends(org, "template.published", by=alice):
        publish_version(actor=as_alice, version=v1)
    with appends(org, "template.version_created", by=alice):
        v2 = create_draft_version(actor=as_alice, template=template)
    tasks = [
        {
            "key": "only",
            "title": "唯一任务",
            "phase": "documents",
            "offset_days": 0,
            "duration_days": 1,
        }
    ]
    with appends(org, "template.draft_saved", by=alice):
        replace_draft_tasks(actor=as_alice, version=v2, tasks=tasks)
    assert chain(org)[-1].changes["tasks"]["after"] == ["only"]
    with appends(org, "template.retired", by=alice):
        retire_version(actor=as_alice, version=v1)


def test_project_writes_are_audited(org, bob, as_bob, project, entity, amazon_na):
    with appends(org, "project.created", "project.created", by=bob):
        batch = create_projects_batch(
            actor=as_bob,
            template_id=amazon_na.pk,
            rows=[
                ProjectRow(store_name="Shop B", entity_id=entity.pk),
                ProjectRow(store_name="Shop C", entity_id=entity.pk),
            ],
        )
    assert [e.object_id for e in chain(org)[-2:]] == [str(p.pk) for p in batch]
    with appends(org, "project.updated", by=bob):
        update_project(actor=as_bob, project=project, store_name="Xinghe Home America")
    assert chain(org)[-1].changes == {
        "store_name": {"before": "Xinghe Home US", "after": "Xinghe Home America"}
    }
    with appends(org, "comment.created", by=bob):
        add_comment(actor=as_bob, project=project, body="开始准备资料")
    with appends(org, "project.stage_changed", by=bob):
        change_stage(actor=as_bob, project=project, stage="cancelled", note="客户暂停")
    assert chain(org)[-1].changes["stage"] == {"before": "preparing", "after": "cancelled"}
    tasks = list(project.tasks.order_by("position"))
    with appends(org, *["task.skipped"] * len(tasks), by=bob):
        for task in tasks:
            skip_task(actor=as_bob, task=task, reason="不适用")
    project.refresh_from_db()
    with appends(org, "project.closed", by=bob):
        close_project(actor=as_bob, project=project)


def test_task_and_approval_writes_are_audited(org, bob, carol, dave, as_bob, project):
    for task in project.tasks.filter(key__startswith="prepare-"):
        skip_task(actor=as_bob, task=task, reason="已有资料")
    as_carol = actor_of(org, carol)
    review = project.tasks.get(key="review-document-pack")
    with appends(org, "task.updated", by=carol):
        review = update_task(actor=as_carol, task=review, status=TaskStatus.IN_PROGRESS)
    with appends(org, "approval.requested", "task.updated", by=carol):
        review = update_task(actor=as_carol, task=review, status=TaskStatus.DONE)
    approval = ApprovalRequest.objects.get(task=review)
    assert chain(org)[-1].changes["status"] == {
        "before": "in_progress",
        "after": "awaiting_approval",
    }
    with appends(org, "task.updated", "approval.approved", by=dave):
        decide_approval(actor=actor_of(org, dave), approval=approval, decision="approve")
    task_event, approval_event = chain(org)[-2:]
    assert task_event.changes["status"] == {"before": "awaiting_approval", "after": "done"}
    assert (approval_event.object_type, approval_event.object_id) == (
        "approvalrequest",
        str(approval.pk),
    )


def test_a_refused_write_appends_nothing(org, as_carol, as_bob, entity, amazon_na):
    before = head_seq(org)
    with pytest.raises(PermissionDenied):
        create_project(
            actor=as_carol, template_id=amazon_na.pk, store_name="Shop", entity_id=entity.pk
        )
    with pytest.raises(InvalidInput):
        create_project(actor=as_bob, template_id=amazon_na.pk, store_name="", entity_id=entity.pk)
    assert head_seq(org) == before == len(chain(org))


# --- the chain -------------------------------------------------------------------------------


def test_each_organization_has_its_own_chain(org, other_org, as_alice, project):
    for organization in (org, other_org):
        events = chain(organization)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == GENESIS
        for previous, event in pairwise(events):
            assert event.prev_hash == previous.hash
        head = AuditChainHead.objects.get(organization=organization)
        assert (head.last_seq, head.last_hash) == (events[-1].seq, events[-1].hash)
    assert [e.action for e in chain(other_org)] == ["organization.created", "member.added"]
    assert not {e.hash for e in chain(org)} & {e.hash for e in chain(other_org)}

    other_before = chain(other_org)
    create_entity(actor=as_alice, name="另一个主体")
    assert chain(other_org) == other_before
    assert [(e.pk, e.hash) for e in chain(other_org)] == [(e.pk, e.hash) for e in other_before]
    assert verify_chain(organization_id=org.pk).ok
    assert verify_chain(organization_id=other_org.pk).ok


# --- append-only through the ORM ------------------------------------------------------------


def test_saving_an_existing_event_raises(org):
    event = chain(org)[0]
    event.changes = {"forged": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    event.refresh_from_db()
    assert "forged" not in event.changes


def test_deleting_an_event_raises(org):
    event = chain(org)[0]
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "write",
    [
        lambda qs: qs.update(actor_label="someone else"),
        lambda qs: qs.delete(),
        lambda qs: AuditEvent.objects.all().delete(),
        lambda qs: AuditEvent.objects.bulk_update(list(qs), ["actor_label"]),
    ],
    ids=["queryset-update", "queryset-delete", "delete-all", "bulk-update"],
)
def test_queryset_writes_raise(org, write):
    before = [(e.pk, e.actor_label, e.hash) for e in chain(org)]
    with pytest.raises(AppendOnlyError):
        write(AuditEvent.objects.filter(organization=org))
    assert [(e.pk, e.actor_label, e.hash) for e in chain(org)] == before


def test_deleting_a_user_who_acted_is_refused_and_keeps_the_chain(org, bob, project):
    """A cascade (SET_NULL) would rewrite ``actor_id`` behind the append-only guard."""
    with pytest.raises(ProtectedError), transaction.atomic():
        bob.delete()
    assert AuditEvent.objects.filter(organization=org, actor=bob).exists()
    assert verify_chain(organization_id=org.pk).ok


# --- verify_chain against tampering with raw SQL ---------------------------------------------


@pytest.fixture
def events(org, project):
    """Six events in acme: organization, alice, bob, carol, entity, project."""
    events = chain(org)
    assert len(events) >= 6
    return events


def test_an_intact_chain_verifies(org, events):
    result = verify_chain(organization_id=org.pk)
    assert result.ok
    assert result.checked == len(events) == AuditEvent.objects.filter(organization=org).count()
    assert result.first_bad_id is None


def test_verify_detects_changed_changes(org, other_org, events):
    target = events[2]
    raw_sql(
        f"UPDATE {TABLE} SET changes = %s WHERE id = %s",
        [json.dumps({"role": {"before": None, "after": "admin"}}), target.pk],
    )
    result = verify_chain(organization_id=org.pk)
    assert not result.ok
    assert (result.first_bad_id, result.first_bad_seq) == (target.pk, target.seq)
    assert result.checked == target.seq
    assert result.reason
    assert verify_chain(organization_id=other_org.pk).ok


def test_verify_detects_changed_actor_label(org, events):
    target = events[3]
    raw_sql(
        f"UPDATE {TABLE} SET actor_label = %s WHERE id = %s", ["mallory@example.com", target.pk]
    )
    result = verify_chain(organization_id=org.pk)
    assert not result.ok
    assert result.first_bad_id == target.pk


def test_verify_detects_a_row_rehashed_after_its_change(org, events):
    """Recomputing the changed row's own hash does not help: the next row no longer follows."""
    target, following = events[2], events[3]
    target.actor_label = "mallory@example.com"
    raw_sql(
        f"UPDATE {TABLE} SET actor_label = %s, hash = %s WHERE id = %s",
        [target.actor_label, _digest(target), target.pk],
    )
    result = verify_chain(organization_id=org.pk)
    assert not result.ok
    assert result.first_bad_id == following.pk


def test_verify_detects_a_deleted_middle_row(org, events):
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[2].pk])
    result = verify_chain(organization_id=org.pk)
    assert not result.ok
    assert result.first_bad_id == events[3].pk
    assert result.reason


def test_verify_detects_a_deleted_last_row(org, events):
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[-1].pk])
    result = verify_chain(organization_id=org.pk)
    assert not result.ok
    assert result.checked == len(events) - 1
    assert result.first_bad_seq == events[-1].seq
    assert result.reason
