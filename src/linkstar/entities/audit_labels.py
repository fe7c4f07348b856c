"""The words of the audit events of seller entities, their records and store credentials."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.audit import labels
from linkstar.entities.models import SellerEntity


def _entity_names(actor, ids: set[int]) -> dict[int, str]:
    """The organization's entities by id: the audit log is read by administrators and auditors,
    who see every entity of the organization."""
    rows = SellerEntity.objects.filter(organization_id=actor.organization.pk, pk__in=ids)
    return dict(rows.values_list("pk", "name"))


labels.register(
    actions={
        "entity.created": _("Seller entity created"),
        "entity.updated": _("Seller entity updated"),
        "person.created": _("Person added to a seller entity"),
        "person.updated": _("Person of a seller entity updated"),
        "person.deleted": _("Person removed from a seller entity"),
        "contact.created": _("Contact added"),
        "contact.updated": _("Contact updated"),
        "contact.deleted": _("Contact removed"),
        "account.created": _("Collection account added"),
        "account.updated": _("Collection account updated"),
        "account.deleted": _("Collection account removed"),
        "card.created": _("Card added"),
        "card.updated": _("Card updated"),
        "card.deleted": _("Card removed"),
        "address.created": _("Address added"),
        "address.updated": _("Address updated"),
        "address.deleted": _("Address removed"),
        "credential.created": _("Store credential added"),
        "credential.updated": _("Store credential updated"),
        "credential.rotated": _("Store credential rotated"),
        "credential.revoked": _("Store credential revoked"),
        "credential.deleted": _("Store credential deleted"),
        "secret.revealed": _("Sensitive value revealed"),
        "entity.erased": _("Personal data of a seller entity erased"),
    },
    groups={
        "entity.": _("Seller entities: all"),
        "credential.": _("Store credentials: all"),
        "secret.": _("Reveals of sensitive values: all"),
    },
    object_types={"sellerentity": pgettext_lazy("audit", "Seller entity")},
    fields={
        "entity_id": pgettext_lazy("audit", "Seller entity"),
        "registration_number": pgettext_lazy("audit", "Registration number"),
        "country": pgettext_lazy("audit", "Country"),
        "legal_rep_name": pgettext_lazy("audit", "Legal representative"),
        "legal_rep_id_number": pgettext_lazy("audit", "ID number"),
        "notes": pgettext_lazy("audit", "Notes"),
        # what an erasure destroyed, by counts (``documents.privacy``)
        "sellerentity.erased": pgettext_lazy("audit", "Personal data erased"),
        "sellerentity.people": pgettext_lazy("audit", "People destroyed"),
        "sellerentity.contacts": pgettext_lazy("audit", "Contacts destroyed"),
        "sellerentity.collection_accounts": pgettext_lazy("audit", "Collection accounts destroyed"),
        "sellerentity.cards": pgettext_lazy("audit", "Cards destroyed"),
        "sellerentity.addresses": pgettext_lazy("audit", "Addresses destroyed"),
        "sellerentity.identifiers": pgettext_lazy("audit", "Identifiers destroyed"),
        "sellerentity.credentials": pgettext_lazy("audit", "Store credentials emptied"),
        "sellerentity.documents": pgettext_lazy("audit", "Document versions emptied"),
        "sellerentity.files": pgettext_lazy("audit", "Files deleted"),
    },
    references={"entity_id": "entity"},
    lookups={"entity": _entity_names},
    # what the agency does with a store's secrets is internal: a client's history leaves it out
    internal={"credential.", "secret."},
)
