"""The labels stored under the old masking rule (a third of a value at most, issue 17 §11) are
tightened by the migration: identifiers, stores' environments and risks' evidence."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

from linkstar.compliance.models import AssociationRisk
from linkstar.entities.models import Identifier
from tests.support.compliance import identify, open_store

migration = import_module("linkstar.compliance.migrations.0003_tighten_masked_labels")

OLD = "1380***8000"  # the old label of 13800138000, four digits at each end


def test_old_labels_are_tightened(as_bob, seller_a, seller_b, gated):
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    from_before = AssociationRisk.objects.filter(organization=gated.organization)
    assert from_before.exists()
    Identifier.objects.update(masked=OLD)
    from_before.update(masked=OLD, identifiers=[{"kind": "phone", "masked": OLD}])

    migration.tighten_labels(apps, None)

    assert set(Identifier.objects.values_list("masked", flat=True)) == {"********000"}
    for risk in AssociationRisk.objects.all():
        assert risk.masked == "********000"
        assert risk.identifiers == [{"kind": "phone", "masked": "********000"}]
