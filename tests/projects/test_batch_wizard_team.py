"""The batch wizard's "operators sharing the stores" (issue 12 §3.1): the choice reaches the
service as team_roles {"operator": [...]}, is kept between the steps, and its errors are named."""

from __future__ import annotations

from linkstar.projects.models import StoreProject, Task
from tests.support.clients import client_for
from tests.support.pages import BATCH, wizard


def test_step_one_offers_the_members_who_work_on_tasks(bob, carol, dave, frank, amazon_na):
    html = client_for(bob).get(BATCH, {"template": amazon_na.pk}).content.decode()
    choices = html.split('id="operator-choices"')[1].split("</fieldset>")[0]
    assert "Carol · Operator" in choices and "Dave · Reviewer" in choices
    assert "Frank" not in choices  # an auditor changes nothing


def test_the_chosen_operators_share_the_stores(bob, carol, dave, amazon_na, entity):
    client = client_for(bob)
    rows = [(f"Store {i}", "", entity.name, "") for i in range(4)]
    preview = client.post(
        BATCH, wizard(amazon_na, rows=rows, operators=[carol.pk, dave.pk], action="preview")
    )
    html = preview.content.decode()
    assert f'<input type="hidden" name="operators" value="{carol.pk}">' in html
    assert 'id="batch-operators"' in html
    response = client.post(
        BATCH, wizard(amazon_na, rows=rows, operators=[carol.pk, dave.pk], action="create")
    )
    assert response.status_code == 302
    projects = StoreProject.objects.order_by("pk")
    operators = [
        set(Task.objects.filter(project=p, role="operator").values_list("assignee_id", flat=True))
        for p in projects
    ]
    assert operators == [{carol.pk}, {dave.pk}, {carol.pk}, {dave.pk}]


def test_an_operator_not_offered_is_refused_and_nothing_is_created(bob, amazon_na, entity, frank):
    from linkstar.accounts.models import Membership

    Membership.objects.filter(user=frank).update(role="client")  # became a client meanwhile
    client = client_for(bob)
    rows = [("Store", "", entity.name, "")]
    response = client.post(
        BATCH, wizard(amazon_na, rows=rows, operators=[frank.pk], action="create")
    )
    assert 'id="batch-start-form"' in response.content.decode()  # back to step 1, flagged
    assert not StoreProject.objects.exists()
