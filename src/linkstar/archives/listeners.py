"""What archives do when another app announces something: a seller entity's personal data is
being erased (the finished archives holding its projects' documents expire at once)."""

from __future__ import annotations

from linkstar.archives.models import ArchiveJob, ArchiveStatus
from linkstar.core.announcements import ENTITY_ERASING, listen


@listen(ENTITY_ERASING)
def expire_archives(*, organization_id: int, entity_id: int, project_ids: list[int]) -> list[str]:
    """Expire every finished archive that holds one of the entity's projects and answer the
    storage names of their files, deleted once the erasure commits. (An archive still being
    built finds the documents' files gone.)"""
    wanted = set(project_ids)
    if not wanted:
        return []
    names = []
    jobs = ArchiveJob.objects.filter(organization_id=organization_id, status=ArchiveStatus.DONE)
    for job in jobs.only("pk", "project_ids", "storage_name"):
        if not wanted.intersection(job.project_ids or ()):
            continue
        if job.storage_name:
            names.append(job.storage_name)
        ArchiveJob.objects.filter(pk=job.pk).update(status=ArchiveStatus.EXPIRED, storage_name="")
    return names
