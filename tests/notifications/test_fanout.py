"""Each event reaches the right people, and not the wrong ones."""

from __future__ import annotations

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.approvals.services import decide_approval
from linkstar.core.actors import Actor
from linkstar.delivery.fanout import process_event
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event, Notification
from linkstar.projects.services import add_comment, change_stage, create_project, update_task
from tests.support.notifications import process_all, told
from tests.support.seed import actor_of


def first_task(project):
    return project.tasks.order_by("position").first()


def test_an_assigned_task_is_told_to_its_assignee(settled, as_bob, carol):
    update_task(actor=as_bob, task=first_task(settled), assignee_id=carol.pk)
    process_all()
    assert told(EventKind.TASK_ASSIGNED) == {"carol"}
    n = Notification.objects.get()
    assert n.project_id == settled.pk and n.task_id == first_task(settled).pk
    assert n.link == f"/o/acme/tasks/{n.task_id}/"
    assert n.params["project_code"] == settled.code
    assert n.params["store_name"] == "Xinghe Home US"


def test_who_assigns_a_task_to_themselves_is_not_told(settled, as_bob, bob):
    update_task(actor=as_bob, task=first_task(settled), assignee_id=bob.pk)
    process_all()
    assert not Notification.objects.exists()


def test_an_approval_request_goes_to_those_who_may_decide_it_now(
    approval_project, as_carol, alice, bob, dave, erin, frank, grace
):
    project = approval_project(levels=2)
    task = project.tasks.get(key="collect")
    task = update_task(actor=as_carol, task=task, status="in_progress")
    update_task(actor=as_carol, task=task, status="done")
    process_all()
    # reviewers, admins and the project's manager; never the requester, the auditor, a client
    assert told(EventKind.APPROVAL_REQUESTED) == {"alice", "bob", "dave", "erin"}
    Notification.objects.all().delete()

    approval = ApprovalRequest.objects.get(task=task)
    decide_approval(
        actor=actor_of(project.organization, dave),
        approval=approval,
        decision="approve",
        comment="ok",
    )
    process_all()
    # level 2: not dave, who decided level 1; carol hears that level 1 was approved
    assert told(EventKind.APPROVAL_REQUESTED) == {"alice", "bob", "erin"}
    assert told(EventKind.APPROVAL_DECIDED) == {"carol"}


def test_a_decision_is_told_to_the_requester_only(approval_project, as_carol, dave, org):
    project = approval_project(levels=1)
    task = update_task(actor=as_carol, task=project.tasks.get(key="collect"), status="in_progress")
    update_task(actor=as_carol, task=task, status="done")
    process_all()
    Notification.objects.all().delete()
    approval = ApprovalRequest.objects.get(task=task)
    decide_approval(
        actor=actor_of(org, dave), approval=approval, decision="reject", comment="licence blurry"
    )
    process_all()
    assert told(EventKind.APPROVAL_DECIDED) == {"carol"}
    n = Notification.objects.get(kind=EventKind.APPROVAL_DECIDED)
    assert n.params["decision"] == "reject" and n.params["comment"] == "licence blurry"


def test_mentioned_members_are_told_but_not_a_client_of_another_entity(
    settled, as_carol, dave, frank, grace
):
    add_comment(actor=as_carol, project=settled, body="@Dave @Frank @Grace @Carol please look")
    process_all()
    # grace is a client of Yunfan: this project is Xinghe's, she hears nothing of it
    assert told(EventKind.COMMENT_MENTION) == {"dave", "frank"}


def test_a_client_is_told_about_her_own_entity_s_project(
    as_bob, amazon_na, entity_yunfan, grace, org
):
    own = create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Yunfan Kitchen US",
        entity_id=entity_yunfan.pk,
    )
    process_all()
    add_comment(
        actor=as_bob,
        project=own,
        body="@Grace please upload the bank statement",
        for_client=True,  # an internal comment mentions no client
    )
    process_all()
    assert told(EventKind.COMMENT_MENTION) == {"grace"}


def test_an_operator_not_on_the_project_hears_nothing_of_it(settled, as_bob, as_alice):
    from linkstar.accounts.services import add_member

    add_member(
        actor=as_alice,
        email="olga@example.com",
        role="operator",
        name="Olga",
        password="long enough pw",
    )
    add_comment(actor=as_bob, project=settled, body="@Olga hello")
    process_all()
    assert "olga" not in told()


def test_a_stage_change_is_told_to_manager_and_team_but_not_the_actor(settled, as_alice, as_bob):
    change_stage(actor=as_bob, project=settled, stage="cancelled", note="seller withdrew")
    process_all()
    assert told(EventKind.PROJECT_STAGE_CHANGED) == {"carol"}


def test_a_stage_change_by_an_admin_reaches_the_manager_too(settled, as_alice):
    change_stage(actor=as_alice, project=settled, stage="cancelled")
    process_all()
    assert told(EventKind.PROJECT_STAGE_CHANGED) == {"bob", "carol"}


def test_a_risk_is_told_to_the_managers_of_both_projects(
    settled, other_manager, amazon_na, entity, org, as_alice
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
    events.publish(
        EventKind.RISK_DETECTED,
        actor=Actor.system(org),
        project=settled,
        data={"kind": "email", "other_project_id": other.pk, "masked": "st***@x.com"},
    )
    process_all()
    assert told(EventKind.RISK_DETECTED) == {"bob", "oscar"}
    n = Notification.objects.filter(kind=EventKind.RISK_DETECTED).first()
    assert n.params["other_code"] == other.code


@pytest.mark.parametrize("kind", [EventKind.MAIL_RECEIVED, EventKind.MAIL_STAGE_PROPOSED])
def test_platform_mail_is_told_to_the_project_s_manager(settled, org, kind):
    events.publish(
        kind,
        actor=Actor.system(org),
        project=settled,
        data={
            "subject": "Your seller account is approved",
            "sender": "amazon.com",
            "proposed_stage": "opened",
        },
    )
    process_all()
    assert told(kind) == {"bob"}


def test_nobody_outside_the_organization_is_told(settled, org, other_org, mallory, carol):
    evil = Actor.system(other_org)
    # an event of evil naming acme's carol, and one of acme naming mallory
    events.publish(EventKind.COMMENT_MENTION, actor=evil, data={"user_ids": [carol.pk]})
    events.publish(
        EventKind.COMMENT_MENTION,
        actor=Actor.system(org),
        project=settled,
        data={"user_ids": [mallory.pk, carol.pk]},
    )
    process_all()
    rows = list(Notification.objects.select_related("recipient"))
    assert [(n.recipient.email, n.organization_id) for n in rows] == [("carol@example.com", org.pk)]


def test_an_event_processed_twice_makes_nothing_twice(settled, as_bob, carol):
    update_task(actor=as_bob, task=first_task(settled), assignee_id=carol.pk)
    event = Event.objects.get(kind=EventKind.TASK_ASSIGNED)
    assert len(process_event(event.pk)) == 1
    assert process_event(event.pk) == []
    Event.objects.filter(pk=event.pk).update(processed_at=None)  # as if the mark were lost
    process_event(event.pk)
    assert Notification.objects.count() == 1
    event.refresh_from_db()
    assert event.processed_at is not None
