from __future__ import annotations

from ninja import Query, Router, Status

from linkstar.api.common import ERRORS, actor_for, page
from linkstar.api.paging import Paging
from linkstar.core import policy
from linkstar.core.masking import mask
from linkstar.entities import services
from linkstar.entities.schemas import EntityIn, EntityList, EntityOut, EntityPatch

router = Router(tags=["seller entities"])


def entity_out(e) -> dict:
    return {
        "id": e.pk,
        "name": e.name,
        "name_en": e.name_en,
        "registration_number": e.registration_number,
        "country": e.country,
        "legal_rep_name": e.legal_rep_name,
        "legal_rep_id_number": mask(e.legal_rep_id_number) or "",
        "notes": e.notes,
        "version": e.version,
    }


@router.get("/orgs/{org}/entities", response={200: EntityList, **ERRORS})
def entity_list(request, org: str, paging: Query[Paging]):
    actor = actor_for(request, org)
    return page(
        policy.visible_entities(actor).order_by("name", "pk"),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda es: [entity_out(e) for e in es],
    )


@router.post("/orgs/{org}/entities", response={201: EntityOut, **ERRORS})
def entity_create(request, org: str, payload: EntityIn):
    actor = actor_for(request, org)
    fields = payload.model_dump(exclude_none=True)
    entity = services.create_entity(actor=actor, **fields)
    return Status(201, entity_out(entity))


@router.get("/orgs/{org}/entities/{entity_id}", response={200: EntityOut, **ERRORS})
def entity_get(request, org: str, entity_id: int):
    actor = actor_for(request, org)
    return entity_out(policy.get_visible(policy.visible_entities(actor), pk=entity_id))


@router.patch("/orgs/{org}/entities/{entity_id}", response={200: EntityOut, **ERRORS})
def entity_update(request, org: str, entity_id: int, payload: EntityPatch):
    actor = actor_for(request, org)
    entity = policy.get_visible(policy.visible_entities(actor), pk=entity_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version", None)
    fields = {k: v for k, v in fields.items() if v is not None}
    return entity_out(services.update_entity(actor=actor, entity=entity, version=version, **fields))
