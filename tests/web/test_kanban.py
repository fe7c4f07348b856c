"""The kanban (看板): one column per stage, the list's filters, and the move endpoint its cards are
dropped on, which asks the stage service and answers a refusal with the service's reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import translation

from linkstar.audit.models import AuditEvent
from linkstar.projects.models import Stage, StoreProject
from linkstar.projects.services import (
    ProjectRow,
    change_stage,
    close_project,
    create_project,
    create_projects_batch,
    org_today,
)
from linkstar.projects.views.board import COLUMN_LIMIT
from tests.support.clients import signed_in as client_for
from tests.support.gates import pass_gates
from tests.support.seed import actor_of

KANBAN = "/o/acme/kanban/"
STAGES = ["preparing", "under_review", "needs_info", "opened", "rejected", "cancelled"]


def move_url(project) -> str:
    return f"/o/acme/kanban/{project.pk}/move/"


def move(client, project, stage, version=None):
    return client.post(
        move_url(project),
        {"stage": stage, "version": project.version if version is None else version},
        headers={"Accept": "application/json"},
    )


def cards(html: str, stage: str) -> list[str]:
    """The project ids of the cards in a column."""
    start = html.index(f'<div class="ls-kanban-list" data-stage="{stage}"')
    end = html.index("</section>", start)
    return re.findall(r'<article [^>]*data-project-id="(\d+)"', html[start:end])


def opening_tag(html: str, project) -> str:
    """The <article> tag of a project's card."""
    match = re.search(rf'<article [^>]*data-project-id="{project.pk}"[^>]*>', html)
    return match.group(0)


def count_badge(html: str, stage: str) -> int:
    start = html.index(f'<section class="ls-kanban-col" data-stage="{stage}"')
    return int(re.search(r"data-count>(\d+)<", html[start:]).group(1))


@pytest.fixture
def board(org, as_bob, as_alice, amazon_na, entity, entity_yunfan, carol):
    """One project per stage (bob manages them, carol is on the team), and a closed one."""
    rows = [ProjectRow(store_name=f"Shop {s}", entity_id=entity.pk) for s in STAGES]
    rows.append(ProjectRow(store_name="Shop closed", entity_id=entity_yunfan.pk))
    projects = create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=rows,
        start_date=org_today(org) + dt.timedelta(days=30),  # nothing overdue yet
        members=[carol.pk],
    )
    pass_gates(*projects)
    paths = {
        "under_review": ["under_review"],
        "needs_info": ["under_review", "needs_info"],
        "opened": ["under_review", "opened"],
        "rejected": ["under_review", "rejected"],
        "cancelled": ["cancelled"],
    }
    by_stage = {}
    for stage, project in zip(STAGES, projects, strict=False):
        for step in paths.get(stage, []):
            change_stage(actor=as_bob, project=project, stage=step)
        by_stage[stage] = StoreProject.objects.get(pk=project.pk)
    closed = projects[-1]
    change_stage(actor=as_bob, project=closed, stage="cancelled")
    closed.tasks.update(status="skipped")
    close_project(actor=as_alice, project=closed)
    by_stage["closed"] = StoreProject.objects.get(pk=closed.pk)
    return by_stage


def test_one_column_per_stage_with_the_active_projects(org, bob, board):
    response = client_for(bob).get(KANBAN)
    assert response.status_code == 200
    html = response.content.decode()
    for stage in STAGES:
        assert cards(html, stage) == [str(board[stage].pk)]
        assert count_badge(html, stage) == 1
    assert f'data-project-id="{board["closed"].pk}"' not in html  # closed: not by default
    card = html[html.index(f'id="card-{board["preparing"].pk}"') :]
    card = card[: card.index("</article>")]
    for text in ("AMZ-US-", "Shop preparing", "深圳市星河跨境电子商务有限公司", "Bob", "0%"):
        assert text in card
    assert 'data-moves="cancelled under_review"' in card
    assert 'data-version="1"' in card


def test_all_statuses_on_request_and_closed_cards_do_not_move(org, bob, board):
    html = client_for(bob).get(KANBAN, {"status": ""}).content.decode()
    assert cards(html, "cancelled") == sorted(
        [str(board["cancelled"].pk), str(board["closed"].pk)], reverse=True
    )
    card = opening_tag(html, board["closed"])
    assert 'data-moves=""' in card and "ls-card-locked" in card


def test_the_list_filters_apply(org, bob, board, entity_yunfan, as_bob, amazon_na, entity):
    create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Canada shop",
        entity_id=entity.pk,
        site="amazon-ca",
    )
    client = client_for(bob)
    html = client.get(KANBAN, {"site": "amazon-ca"}).content.decode()
    assert re.findall(r"data-project-id=\"(\d+)\"", html) == [
        str(StoreProject.objects.get(store_name="Canada shop").pk)
    ]
    html = client.get(KANBAN, {"q": "Shop needs"}).content.decode()
    assert re.findall(r"data-project-id=\"(\d+)\"", html) == [str(board["needs_info"].pk)]
    html = client.get(KANBAN, {"stage": "opened"}).content.decode()
    assert cards(html, "opened") == [str(board["opened"].pk)] and cards(html, "preparing") == []


def test_overdue_projects_carry_a_badge(org, bob, board):
    board["preparing"].tasks.filter(key="prepare-license").update(due_date=dt.date(2020, 1, 1))
    html = client_for(bob).get(KANBAN).content.decode()
    card = html[html.index(f'id="card-{board["preparing"].pk}"') :]
    assert "data-overdue" in card[: card.index("</article>")]
    other = html[html.index(f'id="card-{board["opened"].pk}"') :]
    assert "data-overdue" not in other[: other.index("</article>")]


def test_cards_of_projects_others_manage_are_marked_locked_for_a_manager(
    org, bob, board, as_alice, amazon_na, entity
):
    from linkstar.accounts.services import add_member

    oscar = add_member(
        actor=as_alice, email="oscar@example.com", role="manager", name="Oscar", password="x" * 12
    ).user
    html = client_for(oscar).get(KANBAN).content.decode()
    assert "ls-card-locked" in opening_tag(html, board["preparing"])
    assert "ls-card-locked" not in opening_tag(
        client_for(bob).get(KANBAN).content.decode(), board["preparing"]
    )


def test_a_client_sees_only_the_projects_of_its_entity(org, grace, board):
    html = client_for(grace).get(KANBAN, {"status": ""}).content.decode()
    assert re.findall(r"data-project-id=\"(\d+)\"", html) == [str(board["closed"].pk)]


# --- moving a card ---------------------------------------------------------------------------


def test_a_legal_move_changes_the_stage_and_answers_the_redrawn_card(org, bob, board):
    project = board["preparing"]
    response = move(client_for(bob), project, "under_review")
    assert response.status_code == 200
    data = response.json()
    project.refresh_from_db()
    assert project.stage == "under_review" and project.version == 2
    assert data["stage"] == "under_review" and data["version"] == 2
    assert 'data-stage="under_review"' in data["html"] and 'data-version="2"' in data["html"]
    assert 'data-moves="cancelled needs_info opened rejected"' in data["html"]
    event = AuditEvent.objects.filter(action="project.stage_changed", object_id=str(project.pk))
    assert event.count() == 1 and event.get().changes["stage"]["after"] == "under_review"


def test_a_move_the_state_machine_lacks_is_refused_with_the_reason(org, bob, board):
    project = board["preparing"]
    response = move(client_for(bob), project, "opened")
    assert response.status_code == 409
    assert response["X-LinkStar-Error"] == "transition_not_allowed"
    assert response["Content-Type"].startswith("text/plain")
    with translation.override("zh-hans"):  # the page's language: Chinese unless chosen
        names = (str(Stage.PREPARING.label), str(Stage.OPENED.label))
    assert all(name in response.content.decode() for name in names)
    project.refresh_from_db()
    assert project.stage == "preparing" and project.version == 1


def test_a_stale_card_is_refused(org, bob, as_bob, board):
    project = board["under_review"]
    version = project.version
    change_stage(actor=as_bob, project=project, stage="needs_info")
    response = move(client_for(bob), project, "opened", version=version)
    assert response.status_code == 409
    assert response["X-LinkStar-Error"] == "stale_version"
    project.refresh_from_db()
    assert project.stage == "needs_info"


def test_roles_without_the_right_get_the_reason(org, carol, frank, board):
    project = board["preparing"]
    for user in (carol, frank):
        response = move(client_for(user), project, "under_review")
        assert response.status_code == 403
        assert response["X-LinkStar-Error"] == "permission_denied"
        assert response.content.decode().strip()
    project.refresh_from_db()
    assert project.stage == "preparing"


def test_an_unknown_stage_is_invalid_input(org, bob, board):
    response = move(client_for(bob), board["preparing"], "flying")
    assert response.status_code == 422


def test_another_organizations_member_gets_404(org, mallory, board):
    client = client_for(mallory)
    assert client.get(KANBAN).status_code == 404
    response = move(client, board["preparing"], "under_review")
    assert response.status_code == 404
    board["preparing"].refresh_from_db()
    assert board["preparing"].stage == "preparing"


def test_a_project_of_another_organization_is_not_found_under_this_one(
    org, bob, other_org, mallory, amazon_na
):
    from linkstar.entities.services import create_entity

    evil = actor_of(other_org, mallory)
    theirs = create_project(
        actor=evil,
        template_id=amazon_na.pk,
        store_name="Secret",
        entity_id=create_entity(actor=evil, name="Evil Ltd").pk,
    )
    assert move(client_for(bob), theirs, "under_review").status_code == 404


def test_the_move_endpoint_wants_a_post(org, bob, board):
    assert client_for(bob).get(move_url(board["preparing"])).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(org, board):
    response = Client().get(KANBAN)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- 500 projects ----------------------------------------------------------------------------


def test_500_projects_cost_a_bounded_number_of_queries_and_columns_are_capped(
    org, as_bob, bob, amazon_na, entity, django_assert_max_num_queries
):
    created = create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"Bulk {i:03d}", entity_id=entity.pk) for i in range(500)],
        start_date=dt.date(2026, 11, 2),
    )
    pass_gates(*created[:80])
    for project in created[:80]:
        change_stage(actor=as_bob, project=project, stage="under_review")
    client = client_for(bob)
    with django_assert_max_num_queries(16):
        response = client.get(KANBAN)
    html = response.content.decode()
    assert len(cards(html, "preparing")) == COLUMN_LIMIT
    assert len(cards(html, "under_review")) == COLUMN_LIMIT
    assert count_badge(html, "preparing") == 420 and count_badge(html, "under_review") == 80
    more = re.findall(r'data-more href="([^"]+)">([^<]+)<', html)
    assert len(more) == 2
    assert "stage=preparing" in more[0][0] and "status=active" in more[0][0]
    assert "370" in more[0][1]
    first = StoreProject.objects.get(pk=created[0].pk)
    # the write: lock, stage change, audit, the project's facts and forecast, card
    with django_assert_max_num_queries(24):
        assert move(client, first, "needs_info").status_code == 200
    html = client.get(KANBAN, {"stage": "needs_info"}).content.decode()
    assert html.count("<article") == 1
