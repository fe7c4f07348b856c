"""Fixtures of the archives tests: a project that has been worked on (documents attached, a
comment, an approval decided, a stage change), and helpers to read what the exports answer."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.seed import actor_of


@pytest.fixture
def licence(as_alice, entity):
    """A real business licence PDF in the vault, with its bytes."""
    from linkstar.documents.services import upload_document
    from tests.support.files import licence as licence_file

    upload = licence_file()
    data = upload.read()
    upload.seek(0)
    document = upload_document(
        actor=as_alice, entity=entity, document_type="business_license", file=upload
    )
    return document, data


@pytest.fixture
def id_front(as_alice, entity):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from linkstar.documents.services import upload_document
    from tests.support.files import png_bytes

    data = png_bytes(3, 3)
    document = upload_document(
        actor=as_alice,
        entity=entity,
        document_type="legal_rep_id_front",
        file=SimpleUploadedFile("法人身份证正面.png", data, content_type="image/png"),
    )
    return document, data


@pytest.fixture
def worked_project(project, as_bob, as_carol, dave, org, licence):
    """bob's project with the licence attached to its first task (done), a comment, a task
    through a decided approval, and a stage change."""
    from linkstar.approvals.models import ApprovalRequest
    from linkstar.approvals.services import decide_approval
    from linkstar.documents.services import attach_document
    from linkstar.projects.services import add_comment, update_task
    from tests.support.gates import pass_gates

    document, _data = licence
    task = project.tasks.get(key="prepare-license")
    attach_document(actor=as_carol, task=task, document=document)
    task = update_task(actor=as_carol, task=task, status="in_progress")
    update_task(actor=as_carol, task=task, status="done")
    add_comment(actor=as_carol, project=project, task=task, body="执照已上传 @bob")
    pass_gates(project)
    for key in (
        "prepare-legal-rep-id",
        "prepare-credit-card",
        "prepare-collection-account",
        "prepare-address-proof",
        "prepare-contact-info",
    ):
        t = project.tasks.get(key=key)
        t = update_task(actor=as_carol, task=t, status="in_progress")
        update_task(actor=as_carol, task=t, status="done")
    review = project.tasks.get(key="review-document-pack")
    review = update_task(actor=as_bob, task=review, status="in_progress")
    update_task(actor=as_bob, task=review, status="done")
    approval = ApprovalRequest.objects.get(task=review)
    decide_approval(
        actor=actor_of(org, dave), approval=approval, decision="approve", comment="齐全"
    )
    from linkstar.projects.services import change_stage

    project.refresh_from_db()
    change_stage(actor=as_bob, project=project, stage="under_review", note="submitted")
    project.refresh_from_db()
    return project


def a_day(offset: int = 0) -> dt.date:
    return dt.date(2026, 11, 2) + dt.timedelta(days=offset)
