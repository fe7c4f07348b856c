"""New association risks are announced once per pair of projects, in one publication."""

from __future__ import annotations

from linkstar.compliance.models import AssociationRisk
from linkstar.compliance.services import detect_risks, on_identifiers_changed
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event
from tests.support.compliance import identify, open_store, register, seller


def test_a_shared_identifier_is_announced_once_for_the_pair(
    as_bob, seller_a, seller_b, django_capture_on_commit_callbacks
):
    identify(seller_a, "email", "store@seller.example")
    identify(seller_b, "email", "store@seller.example")
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    with django_capture_on_commit_callbacks(execute=True):
        second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert AssociationRisk.objects.count() == 1  # one row for the pair
    [event] = Event.objects.filter(kind=EventKind.RISK_DETECTED)
    assert (event.project_id, event.data["other_project_id"]) == (first.pk, second.pk)
    assert event.data["kind"] in ("email", "phone") and event.data["identifiers"] == 2
    assert "store@seller.example" not in str(event.data)


def test_each_new_pair_is_one_event_published_together(
    as_bob, org, seller_a, django_capture_on_commit_callbacks
):
    identify(seller_a, "phone", "13800138000")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    others = []
    for i in range(3):
        entity = seller(org, f"其他主体 {i}")
        others.append(open_store(as_bob, entity, "amazon-us", f"O{i} US"))
        register(others[-1], "phone", "13800138000")
    with django_capture_on_commit_callbacks(execute=True):
        new = detect_risks(organization=org, projects=others)
    assert len(new) == 3 + 3  # first with each, and the three stores with one another
    events = Event.objects.filter(kind=EventKind.RISK_DETECTED)
    assert events.count() == 6
    assert len({e.batch_key for e in events}) == 1 and events[0].batch_key
    assert {(e.project_id, e.data["other_project_id"]) for e in events} == {
        (r.project_id, r.other_project_id) for r in new
    }
    assert any(e.project_id == first.pk for e in events)
    # nothing new, nothing told
    with django_capture_on_commit_callbacks(execute=True):
        assert detect_risks(organization=org) == []
    assert Event.objects.filter(kind=EventKind.RISK_DETECTED).count() == 6


def test_a_reopened_risk_is_announced_again(
    as_bob, seller_a, seller_b, django_capture_on_commit_callbacks
):
    identify(seller_a, "phone", "13800138000")
    row = identify(seller_b, "phone", "13800138000")
    with django_capture_on_commit_callbacks(execute=True):
        open_store(as_bob, seller_a, "amazon-us", "A US")
        open_store(as_bob, seller_b, "amazon-us", "B US")
    assert Event.objects.filter(kind=EventKind.RISK_DETECTED).count() == 1
    row.delete()
    with django_capture_on_commit_callbacks(execute=True):
        on_identifiers_changed(seller_b)  # closed: not announced
    assert Event.objects.filter(kind=EventKind.RISK_DETECTED).count() == 1
    identify(seller_b, "phone", "13800138000")
    with django_capture_on_commit_callbacks(execute=True):
        on_identifiers_changed(seller_b)
    assert Event.objects.filter(kind=EventKind.RISK_DETECTED).count() == 2
