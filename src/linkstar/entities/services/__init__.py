"""Every write on seller entities, their records and store credentials, and the audited reveal.

Each service checks the permission through ``core.policy``, validates (422 naming the field,
nothing changed), writes in one transaction, keeps the entity's association-risk identifiers in
step (``entities.identifiers``) and appends an audit event holding masked values only.
"""

from linkstar.entities.services.credentials import (
    create_credential,
    delete_credential,
    revoke_credential,
    set_credential_revoked,
    update_credential,
)
from linkstar.entities.services.entity import create_entity, update_entity
from linkstar.entities.services.records import (
    create_account,
    create_address,
    create_card,
    create_contact,
    create_person,
    create_record,
    delete_account,
    delete_address,
    delete_card,
    delete_contact,
    delete_person,
    delete_record,
    update_account,
    update_address,
    update_card,
    update_contact,
    update_person,
    update_record,
)
from linkstar.entities.services.reveal import reveal_secret

__all__ = [
    "create_account",
    "create_address",
    "create_card",
    "create_contact",
    "create_credential",
    "create_entity",
    "create_person",
    "create_record",
    "delete_account",
    "delete_address",
    "delete_card",
    "delete_contact",
    "delete_credential",
    "delete_person",
    "delete_record",
    "reveal_secret",
    "revoke_credential",
    "set_credential_revoked",
    "update_account",
    "update_address",
    "update_card",
    "update_contact",
    "update_credential",
    "update_entity",
    "update_person",
    "update_record",
]
