"""Reading archives and exports back, and cloning projects for the export-scale test."""

from __future__ import annotations

import io
import json
import zipfile

from linkstar.projects.models import StoreProject


def read_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def manifest_of(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("manifest.json"))


def stored_bytes(job) -> bytes:
    from linkstar.documents.services import document_storage

    with document_storage().open(job.storage_name, "rb") as handle:
        return handle.read()


def _clone_projects(project, n: int) -> None:
    """``n`` more projects like ``project`` (rows only: the export reads rows)."""
    base = StoreProject.objects.get(pk=project.pk)
    clones = []
    for i in range(n):
        base.pk = None
        base.id = None
        base.code = f"AMZ-US-{9000 + i}"
        base.store_name = f"Clone {i}"
        clones.append(
            StoreProject(
                **{f.attname: getattr(base, f.attname) for f in base._meta.concrete_fields}
            )
        )
    StoreProject.objects.bulk_create(clones)
