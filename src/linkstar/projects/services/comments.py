"""Comments on projects and tasks, and the members they mention."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership, Role
from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects import visibility
from linkstar.projects.models import Comment, Mention, StoreProject, Task


def find_mentions(body: str, memberships) -> list[int]:
    """Members named in ``body`` as ``@email`` or ``@name`` (names may contain spaces).
    At each ``@`` the longest handle wins, so ``@Alice`` does not also mention a member ``Al``
    (no word-boundary test: Chinese text often runs on straight after ``@张伟``)."""
    lowered = body.lower()
    users = [m.user for m in memberships]
    best: dict[int, tuple[int, set[int]]] = {}  # position of the "@" → (length, user ids)
    for user in users:
        for handle in {user.email.lower(), (user.name or "").lower()} - {""}:
            token = f"@{handle}"
            at = lowered.find(token)
            while at != -1:
                length, ids = best.get(at, (0, set()))
                if len(token) > length:
                    best[at] = (len(token), {user.pk})
                elif len(token) == length:
                    ids.add(user.pk)
                at = lowered.find(token, at + 1)
    winners = set().union(*(ids for _length, ids in best.values()))
    return [user.pk for user in users if user.pk in winners]


@transaction.atomic
def add_comment(
    *,
    actor: Actor,
    project: StoreProject,
    body: str,
    task: Task | None = None,
    for_client: bool = False,
) -> Comment:
    """Comment on a project or one of its tasks; ``@email`` / ``@name`` mentions of members are
    recorded for notification. A comment is internal to the agency unless ``for_client``; a
    client's own comment always is for the client. An internal comment mentions no client (the
    client could not read it). Who is told besides the mentioned: the project's clients of a
    comment shared with them, the project's team of a client's comment (issue 15 §1)."""
    if task is not None:
        policy.require(actor, "task.comment", task)
    else:
        policy.require(actor, "project.comment", project)
    body = (body or "").strip()
    if not body:
        raise InvalidInput(FieldError("body", _("A comment cannot be empty.")))
    if len(body) > 10000:
        raise InvalidInput(FieldError("body", _("A comment has at most 10,000 characters.")))
    from_client = visibility.is_client(actor)
    for_client = bool(for_client) or from_client
    comment = Comment.objects.create(
        organization=actor.organization,
        project=project,
        task=task,
        author=actor.user,
        body=body,
        for_client=for_client,
    )
    memberships = Membership.objects.filter(organization=actor.organization).select_related("user")
    if not for_client:
        memberships = memberships.exclude(role=Role.CLIENT, is_owner=False)
    mentioned = [uid for uid in find_mentions(body, memberships) if uid != actor.user_id]
    Mention.objects.bulk_create(Mention(comment=comment, user_id=uid) for uid in mentioned)
    record(
        actor=actor,
        action="comment.created",
        obj=comment,
        project_id=project.pk,
        changes={
            "body": {"before": None, "after": body},
            "task_id": {"before": None, "after": task.pk if task else None},
            "mentions": {"before": None, "after": mentioned},
            "for_client": {"before": None, "after": for_client},
        },
    )
    excerpt = body[:200]
    if mentioned:
        events.publish(
            EventKind.COMMENT_MENTION,
            actor=actor,
            project=project,
            task=task,
            obj=comment,
            data={"user_ids": mentioned, "excerpt": excerpt},
        )
    if for_client:
        # The mentioned hear of it once, by their mention.
        events.publish(
            EventKind.COMMENT_FROM_CLIENT if from_client else EventKind.COMMENT_FOR_CLIENT,
            actor=actor,
            project=project,
            task=task,
            obj=comment,
            data={"mentioned": mentioned, "excerpt": excerpt},
        )
    return comment
