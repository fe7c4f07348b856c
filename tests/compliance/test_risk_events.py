"""New association risks are announced once per pair of projects, not once per stored side."""

from __future__ import annotations

from linkstar.compliance.models import AssociationRisk
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event
from tests.compliance.conftest import identify, open_store


def test_a_shared_identifier_is_announced_once_for_the_pair(
    as_bob, seller_a, seller_b, django_capture_on_commit_callbacks
):
    identify(seller_a, "email", "store@seller.example")
    identify(seller_b, "email", "store@seller.example")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    with django_capture_on_commit_callbacks(execute=True):
        second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert AssociationRisk.objects.count() == 2  # one row from each project's side
    [event] = Event.objects.filter(kind=EventKind.RISK_DETECTED)
    assert {event.project_id, event.data["other_project_id"]} == {first.pk, second.pk}
    assert event.data["kind"] == "email"
