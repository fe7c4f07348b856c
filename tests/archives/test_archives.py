"""Project archives: contents, manifest checksums, documents, permissions, expiry, audit."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest
from django.db import connection

from linkstar.archives import services
from linkstar.archives.models import ArchiveJob, ArchiveStatus
from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from linkstar.documents.services import document_storage
from linkstar.projects.services import create_project
from tests.support.archives import manifest_of, read_zip, stored_bytes
from tests.support.seed import actor_of


def _built(actor, **kwargs) -> ArchiveJob:
    job = services.request_archive(actor=actor, **kwargs)
    job = services.build_archive(job_id=job.pk)
    assert job.status == ArchiveStatus.DONE, job.error
    return job


def _download(client, job, org="acme"):
    return client.get(f"/orgs/{org}/archives/{job.pk}/download")


def test_archive_holds_every_file_of_the_project_and_the_manifest_verifies(
    worked_project, as_bob, licence
):
    job = _built(as_bob, project_ids=[worked_project.pk])
    data = stored_bytes(job)
    assert hashlib.sha256(data).hexdigest() == job.sha256 and len(data) == job.size
    archive = read_zip(data)
    manifest = manifest_of(archive)
    names = set(archive.namelist())
    listed = {f["path"] for f in manifest["files"]}
    assert names == listed | {"manifest.json"}
    assert job.file_count == len(names)
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert len(content) == entry["size"], entry["path"]
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
    folder = worked_project.code
    for name in ("project.json", "tasks.csv", "history.csv", "audit.json", "comments.json"):
        assert f"{folder}/{name}" in names
    document, original = licence
    path = f"{folder}/documents/{document.pk}-营业执照.pdf"
    assert archive.read(path) == original
    assert manifest["projects"][0]["code"] == folder


def test_project_json_has_the_template_version_tasks_approvals_and_stage_changes(
    worked_project, as_bob, licence
):
    job = _built(as_bob, project_ids=[worked_project.pk])
    archive = read_zip(stored_bytes(job))
    data = json.loads(archive.read(f"{worked_project.code}/project.json"))
    assert data["project"]["code"] == worked_project.code
    assert data["project"]["stage"] == "under_review"
    template = data["template"]
    assert template["key"] == "amazon-na" and template["version"]["number"] == 1
    assert [b["key"] for b in template["blueprints"]][:2] == [
        "prepare-license",
        "prepare-legal-rep-id",
    ]
    assert "business_license" in template["required_document_types"]
    tasks = {t["key"]: t for t in data["tasks"]}
    assert tasks["review-document-pack"]["depends_on_keys"][0] == "prepare-license"
    assert tasks["prepare-license"]["attachments"][0]["document_id"] == licence[0].pk
    (approval,) = data["approvals"]
    assert approval["status"] == "approved"
    assert approval["decisions"][0]["decided_by"]["email"] == "dave@example.com"
    assert approval["decisions"][0]["comment"] == "齐全"
    assert [c["to_stage"] for c in data["stage_changes"]][-1] == "under_review"
    assert {m["email"] for m in data["team"]} >= {"bob@example.com", "carol@example.com"}
    # the entity is masked as in every answer
    assert data["entity"]["registration_number"] != "91440300MA5G8ABCD1"
    assert "91440300MA5G8ABCD1" not in archive.read(f"{worked_project.code}/project.json").decode()
    assert "440301198805121234" not in archive.read(f"{worked_project.code}/project.json").decode()


def test_history_audit_and_comments_files(worked_project, as_bob):
    job = _built(as_bob, project_ids=[worked_project.pk])
    archive = read_zip(stored_bytes(job))
    folder = worked_project.code
    history = list(
        csv.DictReader(io.StringIO(archive.read(f"{folder}/history.csv").decode("utf-8-sig")))
    )
    kinds = {row["kind"] for row in history}
    assert kinds == {"stage_change", "audit"}
    assert any(row["action"] == "preparing → under_review" for row in history)
    audit = json.loads(archive.read(f"{folder}/audit.json"))
    expected = AuditEvent.objects.filter(project_id=worked_project.pk).count()
    assert len(audit) == expected and all(e["hash"] for e in audit)
    comments = json.loads(archive.read(f"{folder}/comments.json"))
    assert comments[0]["body"] == "执照已上传 @bob"
    tasks = list(
        csv.DictReader(io.StringIO(archive.read(f"{folder}/tasks.csv").decode("utf-8-sig")))
    )
    assert len(tasks) == worked_project.task_count


def test_archive_by_filters_holds_every_matching_project_and_no_other(
    project, as_alice, as_bob, amazon_na, entity_yunfan
):
    other = create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="云帆 CA",
        site="amazon-ca",
        entity_id=entity_yunfan.pk,
    )
    job = _built(as_alice, filters={"site": "amazon-ca"})
    assert job.project_ids == [other.pk]
    archive = read_zip(stored_bytes(job))
    folders = {name.split("/")[0] for name in archive.namelist() if "/" in name}
    assert folders == {other.code}
    job = _built(as_alice, filters={})
    assert set(job.project_ids) == {project.pk, other.pk}
    assert job.processed == job.total == 2


def test_requesting_is_audited_and_building_runs_in_the_background(
    project, as_bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = services.request_archive(actor=as_bob, project_ids=[project.pk])
    assert job.status == ArchiveStatus.QUEUED and job.total == 1
    assert len(callbacks) == 1  # the build job is enqueued once the request commits
    event = AuditEvent.objects.get(action="archive.requested")
    assert event.object_id == str(job.pk) and event.project_id == project.pk
    assert event.changes["project_ids"]["after"] == [project.pk]


def test_building_twice_is_harmless(project, as_bob):
    job = _built(as_bob, project_ids=[project.pk])
    again = services.build_archive(job_id=job.pk)
    assert again.storage_name == job.storage_name and again.sha256 == job.sha256


def test_who_may_request_an_archive(project, as_carol, as_grace, as_frank, other_manager):
    with pytest.raises(PermissionDenied):
        services.request_archive(actor=as_carol, project_ids=[project.pk])
    with pytest.raises(PermissionDenied):
        services.request_archive(actor=other_manager, project_ids=[project.pk])
    with pytest.raises(PermissionDenied):
        services.request_archive(actor=as_grace, project_ids=[project.pk])
    assert services.request_archive(actor=as_frank, project_ids=[project.pk]).total == 1


def test_projects_of_another_organization_cannot_be_named(project, mallory, other_org):
    as_mallory = actor_of(other_org, mallory)
    with pytest.raises(InvalidInput) as caught:
        services.request_archive(actor=as_mallory, project_ids=[project.pk])
    assert caught.value.errors[0].field == "project_ids"
    with pytest.raises(InvalidInput):
        services.request_archive(actor=as_mallory, filters={})
    assert not ArchiveJob.objects.exists()


def test_only_the_requester_and_admins_download_while_they_see_every_project(
    api, project, as_bob, alice, bob, carol, frank, mallory, org, entity_yunfan
):
    job = _built(as_bob, project_ids=[project.pk])
    r = _download(api(bob), job)
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert b"".join(r.streaming_content) == stored_bytes(job)
    assert _download(api(alice), job).status_code == 200  # an administrator
    for other in (carol, frank):  # not the requester, not an admin
        assert _download(api(other), job).status_code == 404
        assert api(other).get(f"/orgs/acme/archives/{job.pk}").status_code == 404
    assert _download(api(mallory), job).status_code == 404
    assert _download(api(mallory), job, org="evil").status_code == 404
    # bob now sees only another seller entity's projects: the archive is no longer his to take
    from linkstar.accounts.models import Membership

    Membership.objects.filter(organization=org, user=bob).update(
        role="client", entity=entity_yunfan
    )
    assert _download(api(bob), job).status_code == 404


def test_the_first_download_per_person_is_audited(api, project, as_bob, bob, alice):
    job = _built(as_bob, project_ids=[project.pk])
    for _ in range(3):
        assert _download(api(bob), job).status_code == 200
    _download(api(alice), job)
    events = AuditEvent.objects.filter(action="archive.downloaded").order_by("seq")
    assert [e.actor_label for e in events] == ["bob@example.com", "alice@example.com"]
    job.refresh_from_db()
    assert job.download_count == 4


def test_an_archive_expires_then_the_cleanup_deletes_its_file(api, project, as_bob, bob, settings):
    settings.LINKSTAR_ARCHIVE_TTL_HOURS = 72
    job = _built(as_bob, project_ids=[project.pk])
    assert job.expires_at - job.finished_at == dt.timedelta(hours=72)
    assert services.cleanup_expired_archives() == 0
    with clock.travel(hours=71):
        assert _download(api(bob), job).status_code == 200
    with clock.travel(hours=73):
        r = _download(api(bob), job)
        assert r.status_code == 410 and r.json()["code"] == "archive_expired"
        assert services.cleanup_expired_archives() == 1
        assert services.cleanup_expired_archives() == 0  # idempotent
    job.refresh_from_db()
    assert job.status == ArchiveStatus.EXPIRED and job.storage_name == ""
    assert not document_storage().listdir(f"archives/{job.organization_id}")[1]
    assert _download(api(bob), job).status_code == 410


def test_a_pending_archive_is_not_ready(api, project, as_bob, bob):
    job = services.request_archive(actor=as_bob, project_ids=[project.pk])
    r = _download(api(bob), job)
    assert r.status_code == 409 and r.json()["code"] == "archive_not_ready"


def test_a_failed_build_says_why(project, as_bob, bob, org):
    from linkstar.accounts.models import Membership

    job = services.request_archive(actor=as_bob, project_ids=[project.pk])
    Membership.objects.filter(organization=org, user=bob).delete()
    job = services.build_archive(job_id=job.pk)
    assert job.status == ArchiveStatus.FAILED and job.error


def test_api_requests_polls_and_lists_archives(api, project, bob, alice):
    r = api(bob).post("/orgs/acme/archives", {"project_ids": [project.pk]})
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued" and body["download_url"] is None
    services.build_archive(job_id=body["id"])
    r = api(bob).get(f"/orgs/acme/archives/{body['id']}")
    assert r.json()["status"] == "done" and r.json()["percent"] == 100
    assert r.json()["download_url"].endswith(f"/archives/{body['id']}/download")
    assert api(bob).get("/orgs/acme/archives").json()["count"] == 1
    assert api(alice).get("/orgs/acme/archives").json()["count"] == 1
    r = api(bob).post("/orgs/acme/archives", {"filters": {"site": "amazon-ca"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "filters"
    r = api(bob).post("/orgs/acme/archives", {})
    assert r.status_code == 422


def test_archives_page_shows_progress_and_the_row_polls(client, project, as_bob, bob):
    client.force_login(bob)
    r = client.post("/o/acme/archives/new/", {"project": [project.pk]})
    assert r.status_code == 302
    job = ArchiveJob.objects.get()
    page = client.get("/o/acme/archives/").content.decode()
    assert f'id="archive-{job.pk}"' in page and 'hx-trigger="every 2s"' in page
    services.build_archive(job_id=job.pk)
    row = client.get(f"/o/acme/archives/{job.pk}/").content.decode()
    assert "hx-trigger" not in row and "100%" in row and "download" in row
    r = client.get(f"/o/acme/archives/{job.pk}/download/")
    assert r.status_code == 200
    detail = client.get(f"/o/acme/projects/{project.pk}/").content.decode()
    assert 'id="archive-project"' in detail


def test_archives_page_costs_a_fixed_number_of_queries(
    client, project, as_bob, bob, django_assert_max_num_queries
):
    client.force_login(bob)
    _built(as_bob, project_ids=[project.pk])
    with django_assert_max_num_queries(20) as few:
        client.get("/o/acme/archives/")
    for _ in range(5):
        _built(as_bob, project_ids=[project.pk])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/o/acme/archives/")


def test_archive_includes_the_projects_platform_mail(project, as_bob, monkeypatch):
    """The mail comes from platformmail.archive.mail_for_archive (helper D's interface)."""
    job = _built(as_bob, project_ids=[project.pk])
    archive = read_zip(stored_bytes(job))
    from linkstar.platformmail.archive import mail_for_archive

    expected = mail_for_archive(project)
    for path, raw in expected:
        assert archive.read(f"{project.code}/{path}") == raw
    assert connection.vendor in ("sqlite", "postgresql")


def test_archive_these_on_the_project_list_takes_its_filters(
    client, project, alice, as_bob, amazon_na, entity_yunfan
):
    other = create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="云帆 CA",
        site="amazon-ca",
        entity_id=entity_yunfan.pk,
    )
    client.force_login(alice)
    r = client.post("/o/acme/archives/new/", {"query": "site=amazon-ca&page=2"})
    assert r.status_code == 302
    job = ArchiveJob.objects.get()
    assert job.project_ids == [other.pk] and job.filters["site"] == "amazon-ca"


def test_building_costs_a_fixed_number_of_queries_per_project(
    project, as_alice, as_bob, amazon_na, entity, django_assert_max_num_queries
):
    from django.test.utils import CaptureQueriesContext

    def cost(ids) -> int:
        job = services.request_archive(actor=as_alice, project_ids=ids)
        with CaptureQueriesContext(connection) as captured:
            services.build_archive(job_id=job.pk)
        return len(captured.captured_queries)

    one = cost([project.pk])
    more = [
        create_project(
            actor=as_bob, template_id=amazon_na.pk, store_name=f"S{i}", entity_id=entity.pk
        )
        for i in range(2)
    ]
    three = cost([project.pk, *[p.pk for p in more]])
    per_project = (three - one) / 2
    assert per_project <= 25, (
        one,
        three,
    )  # the same small cost for each project, whatever its size
