"""add_comment: mentions, refusals, the client's own projects, audit."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput, NotFound, PermissionDenied
from linkstar.projects.models import Comment, Mention
from linkstar.projects.services import add_comment
from tests.support.seed import PASSWORD, actor_of, build_project


def _mentioned(comment: Comment) -> set[str]:
    return {m.user.email for m in Mention.objects.filter(comment=comment).select_related("user")}


def _nothing_written(before: tuple[int, int, int]) -> bool:
    return (Comment.objects.count(), Mention.objects.count(), AuditEvent.objects.count()) == before


def _counts() -> tuple[int, int, int]:
    return Comment.objects.count(), Mention.objects.count(), AuditEvent.objects.count()


def test_operator_comments_on_a_project(mini_project, as_carol, carol):
    comment = add_comment(actor=as_carol, project=mini_project, body="  Licence scanned.  ")
    comment.refresh_from_db()
    assert comment.body == "Licence scanned."
    assert comment.author == carol
    assert comment.project == mini_project
    assert comment.task is None
    assert comment.organization_id == mini_project.organization_id


def test_comment_on_a_task_names_the_task(mini_project, as_carol, task_of):
    task = task_of(mini_project, "collect")
    comment = add_comment(actor=as_carol, project=mini_project, task=task, body="Done soon")
    assert Comment.objects.get(pk=comment.pk).task == task


def test_email_mention_is_recorded(mini_project, as_carol, dave):
    comment = add_comment(
        actor=as_carol, project=mini_project, body="@dave@example.com please look"
    )
    assert _mentioned(comment) == {"dave@example.com"}
    assert Mention.objects.get(comment=comment).notified_at is None


def test_name_mention_is_recorded_case_insensitively(mini_project, as_carol, erin):
    comment = add_comment(actor=as_carol, project=mini_project, body="@erin can you approve?")
    assert _mentioned(comment) == {"erin@example.com"}


def test_several_mentions_and_the_same_person_twice(mini_project, as_carol, bob, dave, erin):
    comment = add_comment(
        actor=as_carol,
        project=mini_project,
        body="@Bob and @DAVE@example.com, cc @Dave and @Erin",
    )
    assert _mentioned(comment) == {"bob@example.com", "dave@example.com", "erin@example.com"}
    assert Mention.objects.filter(comment=comment).count() == 3


def test_the_author_mentioning_themselves_is_not_recorded(mini_project, as_carol, bob):
    comment = add_comment(
        actor=as_carol, project=mini_project, body="@Carol note to self, @carol@example.com, @Bob"
    )
    assert _mentioned(comment) == {"bob@example.com"}


def test_mentioning_someone_of_another_organization_does_nothing(mini_project, as_carol, mallory):
    comment = add_comment(
        actor=as_carol, project=mini_project, body="@mallory@example.com and @Mallory look"
    )
    assert _mentioned(comment) == set()


def test_mentioning_an_unknown_name_does_nothing(mini_project, as_carol, bob):
    comment = add_comment(actor=as_carol, project=mini_project, body="ask @nobody or email a@b")
    assert _mentioned(comment) == set()


def test_a_longer_name_does_not_mention_the_member_whose_name_starts_it(
    mini_project, org, as_alice, as_bob, alice
):
    """``@Alice`` is Alice, not also a member called ``Al``."""
    from linkstar.accounts.services import add_member

    al = add_member(
        actor=as_alice, email="al@example.com", role="operator", name="Al", password=PASSWORD
    ).user
    comment = add_comment(actor=as_bob, project=mini_project, body="@Alice please sign")
    assert _mentioned(comment) == {"alice@example.com"}
    comment = add_comment(actor=as_bob, project=mini_project, body="@Al please sign")
    assert _mentioned(comment) == {al.email}


def test_two_members_with_the_same_name_are_both_mentioned(mini_project, as_alice, as_carol, bob):
    from linkstar.accounts.services import add_member

    add_member(
        actor=as_alice, email="bob2@example.com", role="operator", name="Bob", password=PASSWORD
    )
    comment = add_comment(actor=as_carol, project=mini_project, body="@Bob which one of you?")
    assert _mentioned(comment) == {"bob@example.com", "bob2@example.com"}


def test_chinese_name_mention_without_a_space_after_it(mini_project, org, as_alice, as_bob):
    from linkstar.accounts.services import add_member

    add_member(
        actor=as_alice, email="zhang@example.com", role="operator", name="张伟", password=PASSWORD
    )
    comment = add_comment(actor=as_bob, project=mini_project, body="@张伟请补充营业执照")
    assert _mentioned(comment) == {"zhang@example.com"}


@pytest.mark.parametrize("body", ["", "   \n ", None])
def test_empty_comment_is_refused(mini_project, as_carol, body):
    before = _counts()
    with pytest.raises(InvalidInput) as caught:
        add_comment(actor=as_carol, project=mini_project, body=body)
    assert caught.value.errors[0].field == "body"
    assert _nothing_written(before)


def test_overlong_comment_is_refused(mini_project, as_carol):
    before = _counts()
    with pytest.raises(InvalidInput) as caught:
        add_comment(actor=as_carol, project=mini_project, body="x" * 10001)
    assert caught.value.errors[0].field == "body"
    assert _nothing_written(before)


@pytest.fixture
def yunfan_project(as_bob, mini_template, entity_yunfan):
    return build_project(
        manager=as_bob, template=mini_template, entity=entity_yunfan, store_name="Yunfan US"
    )


def test_client_comments_on_a_project_of_its_own_entity(yunfan_project, org, grace, task_of):
    as_grace = actor_of(org, grace)
    comment = add_comment(actor=as_grace, project=yunfan_project, body="Licence uploaded")
    assert comment.author == grace
    on_task = add_comment(
        actor=as_grace,
        project=yunfan_project,
        task=task_of(yunfan_project, "collect"),
        body="Here is the ID card",
    )
    assert on_task.task.key == "collect"


def test_client_cannot_comment_on_another_entitys_project(mini_project, org, grace, task_of):
    as_grace = actor_of(org, grace)
    before = _counts()
    with pytest.raises(PermissionDenied):
        add_comment(actor=as_grace, project=mini_project, body="Not my store")
    with pytest.raises(PermissionDenied):
        add_comment(
            actor=as_grace,
            project=mini_project,
            task=task_of(mini_project, "collect"),
            body="Not my store",
        )
    assert _nothing_written(before)


def test_auditor_cannot_comment(mini_project, org, frank):
    before = _counts()
    with pytest.raises(PermissionDenied):
        add_comment(actor=actor_of(org, frank), project=mini_project, body="Looks fine")
    assert _nothing_written(before)


def test_operator_not_on_the_team_cannot_comment(mini_project, org, as_alice):
    from linkstar.accounts.services import add_member

    outsider = add_member(
        actor=as_alice, email="otto@example.com", role="operator", name="Otto", password=PASSWORD
    ).user
    with pytest.raises(PermissionDenied):
        add_comment(actor=actor_of(org, outsider), project=mini_project, body="Hello")


def test_another_organizations_admin_gets_not_found(mini_project, other_org, mallory):
    with pytest.raises(NotFound):
        add_comment(actor=actor_of(other_org, mallory), project=mini_project, body="Hi")
    assert not Comment.objects.exists()


def test_comment_is_audited_with_its_mentions(mini_project, as_carol, carol, dave, task_of, audit):
    task = task_of(mini_project, "collect")
    comment = add_comment(actor=as_carol, project=mini_project, task=task, body="@Dave see this")
    (event,) = audit("comment.created", comment)
    assert event.actor == carol
    assert event.project_id == mini_project.pk
    assert event.changes == {
        "body": {"before": None, "after": "@Dave see this"},
        "task_id": {"before": None, "after": task.pk},
        "mentions": {"before": None, "after": [dave.pk]},
        "for_client": {"before": None, "after": False},
    }
