"""What document requests do when another app announces something: a seller entity's personal
data is being erased (the files its client uploaded and that wait for review go too)."""

from __future__ import annotations

from linkstar.core.announcements import ENTITY_ERASING, listen
from linkstar.docrequests.models import RequestUpload


@listen(ENTITY_ERASING)
def clear_uploads(*, organization_id: int, entity_id: int, project_ids: list[int]) -> list[str]:
    """Blank the uploads to the entity's requests (file, name, checksum, dates) and answer the
    storage names of their files, deleted once the erasure commits."""
    uploads = RequestUpload.objects.filter(item__request__entity_id=entity_id)
    names = [n for n in uploads.values_list("storage_name", flat=True) if n]
    uploads.update(
        storage_name="",
        original_name="",
        sha256="",
        size=0,
        issue_date=None,
        expiry_date=None,
        reason="",
    )
    return names
