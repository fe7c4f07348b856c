"""The entity pages (organization settings), the store-credentials page of a project and the
reveal action. Thin: ``entities.services`` write, ``entities.selectors`` read."""

from linkstar.entities.views.credentials import (
    credential_delete,
    credential_list,
    credential_revoke,
    credential_rotate,
)
from linkstar.entities.views.entities import (
    entity_create,
    entity_detail,
    entity_edit,
    entity_list,
)
from linkstar.entities.views.erase import entity_erase
from linkstar.entities.views.records import record_create, record_delete, record_edit
from linkstar.entities.views.reveal import reveal

__all__ = [
    "credential_delete",
    "credential_list",
    "credential_revoke",
    "credential_rotate",
    "entity_create",
    "entity_detail",
    "entity_edit",
    "entity_erase",
    "entity_list",
    "record_create",
    "record_delete",
    "record_edit",
    "reveal",
]
