"""The vault pages: the list with what expires next and the upload form, the document page,
and the attachments panel of the task page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linkstar.documents.models import Document, TaskAttachment
from linkstar.documents.services import attach_document, upload_document
from tests.support.clients import client_for
from tests.support.files import exe_bytes, licence, pdf_bytes, stored_files, upload
from tests.support.pages import HTMX, html

VAULT = "/o/acme/documents/"


def _today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def filled(as_alice, entity, entity_yunfan):
    """A few current documents, one expired, one expiring, one superseded."""
    made = {
        "licence": upload_document(
            confirm_expiry=True,
            actor=as_alice,
            entity=entity,
            document_type="business_license",
            file=licence("星河营业执照.pdf"),
            expiry_date=_today() + dt.timedelta(days=400),
        ),
        "expired": upload_document(
            confirm_expiry=True,
            actor=as_alice,
            entity=entity,
            document_type="utility_bill",
            file=licence("水电费账单.pdf"),
            issue_date=dt.date(2020, 1, 1),
            expiry_date=_today() - dt.timedelta(days=3),
        ),
        "expiring": upload_document(
            confirm_expiry=True,
            actor=as_alice,
            entity=entity_yunfan,
            document_type="business_license",
            file=licence("云帆营业执照.pdf"),
            expiry_date=_today() + dt.timedelta(days=12),
        ),
    }
    made["old_passport"] = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="passport",
        file=licence("护照-旧.pdf"),
        person_name="张伟",
    )
    made["passport"] = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="passport",
        file=licence("护照.pdf"),
        person_name="张伟",
    )
    return made


def test_vault_lists_current_documents_and_what_expires_next(bob, filled):
    page = html(client_for(bob).get(VAULT))
    for name in ("星河营业执照.pdf", "水电费账单.pdf", "云帆营业执照.pdf", "护照.pdf"):
        assert name in page
    assert "护照-旧.pdf" not in page  # an older version lives on its document's page
    expiring = page.split('id="expiring"')[1].split("</section>")[0]
    assert (
        expiring.index("水电费账单") < expiring.index("云帆") if "水电费账单" in expiring else True
    )
    assert f'data-document-id="{filled["expired"].pk}"' in expiring
    assert f'data-document-id="{filled["expiring"].pk}"' in expiring
    assert f'data-document-id="{filled["licence"].pk}"' not in expiring
    assert 'data-status="expired"' in page and 'data-status="expiring"' in page
    assert "3 days ago" in page and "in 12 days" in page
    assert 'data-nav="vault"' in page


def test_vault_is_in_chinese_by_default(bob, filled):
    page = html(client_for(bob, language="zh-hans").get(VAULT))
    assert "资料库" in page and "即将到期" in page and "已过期" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("status=expired", {"expired"}),
        ("status=expiring", {"expiring"}),
        ("status=valid", {"licence", "passport"}),
        ("document_type=business_license", {"licence", "expiring"}),
    ],
)
def test_vault_filters(bob, filled, params, expected):
    page = html(client_for(bob).get(f"{VAULT}?{params}"))
    table = page.split('id="document-table"')[1]
    shown = {k for k, d in filled.items() if f'data-document-id="{d.pk}"' in table}
    assert shown == expected


def test_vault_filter_by_entity(bob, filled, entity_yunfan):
    page = html(client_for(bob).get(f"{VAULT}?entity={entity_yunfan.pk}"))
    table = page.split('id="document-table"')[1]
    assert "云帆营业执照.pdf" in table and "星河营业执照.pdf" not in table


def test_vault_page_costs_a_bounded_number_of_queries(
    bob, carol, grace, project, filled, django_assert_max_num_queries
):
    for user in (bob, carol, grace):
        client = client_for(user)
        client.get(VAULT)
        with django_assert_max_num_queries(14):
            assert client.get(VAULT).status_code == 200


def test_upload_through_the_form(bob, entity, vault_dir):
    client = client_for(bob)
    response = client.post(
        VAULT + "upload/",
        {
            "entity": entity.pk,
            "document_type": "business_license",
            "issue_date": "2021-03-01",
            "expiry_date": "2031-02-28",
            "notes": "原件扫描",
            "file": upload("营业执照.pdf", pdf_bytes()),
        },
    )
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/documents/{document.pk}/"
    assert document.original_name == "营业执照.pdf" and document.notes == "原件扫描"
    assert len(stored_files(vault_dir)) == 1
    page = html(client.get(response["Location"]))
    assert "uploaded (version 1)" in page
    assert f'href="/o/acme/documents/{document.pk}/download/"' in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("licence.pdf", exe_bytes(), "not one of the accepted types"),
        ("licence.pdf.exe", exe_bytes(), "two extensions"),
        ("licence.pdf", b"", "empty"),
    ],
)
def test_a_bad_file_shows_the_error_on_the_form_and_stores_nothing(
    bob, entity, vault_dir, name, content, message
):
    response = client_for(bob).post(
        VAULT + "upload/",
        {"entity": entity.pk, "document_type": "business_license", "file": upload(name, content)},
    )
    assert response.status_code == 422
    page = html(response)
    form = page.split('id="upload-form"')[1]
    assert 'data-error-for="file"' in form and message in form
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []


def test_missing_fields_are_named(bob, entity):
    response = client_for(bob).post(VAULT + "upload/", {"entity": entity.pk})
    assert response.status_code == 422
    page = html(response)
    assert 'data-error-for="document_type"' in page and 'data-error-for="file"' in page


def test_an_auditor_sees_the_vault_without_an_upload_form(frank, filled):
    page = html(client_for(frank).get(VAULT))
    assert "星河营业执照.pdf" in page
    assert 'id="upload-form"' not in page and 'id="upload-not-allowed"' in page
    response = client_for(frank).post(
        VAULT + "upload/",
        {"entity": filled["licence"].entity_id, "document_type": "business_license"},
    )
    assert response.status_code == 422  # no entity to choose from: nothing is uploaded
    assert Document.objects.count() == 5


def test_a_client_sees_and_uploads_for_her_own_entity_only(grace, filled, entity, entity_yunfan):
    client = client_for(grace)
    page = html(client.get(VAULT))
    assert "云帆营业执照.pdf" in page and "星河营业执照.pdf" not in page
    form = page.split('id="upload-form"')[1]
    assert entity_yunfan.name in form and entity.name not in form
    response = client.post(
        VAULT + "upload/",
        {"entity": entity.pk, "document_type": "business_license", "file": licence()},
    )
    assert response.status_code == 422
    assert Document.objects.count() == 5
    assert client.get(f"/o/acme/documents/{filled['licence'].pk}/").status_code == 404


def test_upload_form_is_prefilled_for_a_new_version(bob, filled):
    passport = filled["passport"]
    page = html(client_for(bob).get(f"/o/acme/documents/{passport.pk}/"))
    assert 'id="new-version"' in page
    link = page.split('id="new-version" href="')[1].split('"')[0].replace("&amp;", "&")
    form = html(client_for(bob).get(link)).split('id="upload-form"')[1]
    assert f'<option value="{passport.entity_id}" selected>' in form
    assert '<option value="passport" selected>' in form
    assert 'value="张伟"' in form


def test_document_page_shows_versions_and_where_it_was_used(bob, as_carol, project, filled):
    passport = filled["passport"]
    task = project.tasks.get(key="prepare-license")
    attach_document(actor=as_carol, task=task, document=passport)
    page = html(client_for(bob).get(f"/o/acme/documents/{passport.pk}/"))
    versions = page.split('id="versions"')[1].split("</section>")[0]
    assert 'data-version="2"' in versions and 'data-version="1"' in versions
    assert "护照-旧.pdf" in versions
    uses = page.split('id="document-uses"')[1].split("</section>")[0]
    assert project.code in uses and f'data-task-id="{task.pk}"' in uses
    old = html(client_for(bob).get(f"/o/acme/documents/{filled['old_passport'].pk}/"))
    assert 'id="superseded-badge"' in old


def test_another_organizations_vault_pages_are_404(mallory, filled):
    client = client_for(mallory)
    assert client.get(VAULT).status_code == 404
    assert client.get(f"/o/evil/documents/{filled['licence'].pk}/").status_code == 404


# --- the task page's attachments panel ------------------------------------------------------------


def test_task_page_attaches_and_detaches_with_htmx(carol, project, filled, entity):
    task = project.tasks.get(key="prepare-license")
    client = client_for(carol)
    page = html(client.get(f"/o/acme/tasks/{task.pk}/"))
    panel = page.split('id="task-attachments"')[1].split("</section>")[0]
    assert 'id="no-attachments"' in panel
    # the entity's current, unexpired documents are offered; Yunfan's and the expired are not
    assert f'value="{filled["licence"].pk}"' in panel
    assert f'value="{filled["expired"].pk}"' not in panel
    assert f'value="{filled["expiring"].pk}"' not in panel
    response = client.post(
        f"/o/acme/tasks/{task.pk}/attachments/", {"document": filled["licence"].pk}, **HTMX
    )
    assert response.status_code == 200
    assert "星河营业执照.pdf" in html(response) and "<html" not in html(response)
    attachment = TaskAttachment.objects.get()
    response = client.post(
        f"/o/acme/tasks/{task.pk}/attachments/{attachment.pk}/detach/", {}, **HTMX
    )
    assert response.status_code == 200 and 'id="no-attachments"' in html(response)
    assert not TaskAttachment.objects.exists()


def test_attach_errors_show_in_the_panel(bob, project, filled):
    task = project.tasks.get(key="prepare-license")
    response = client_for(bob).post(
        f"/o/acme/tasks/{task.pk}/attachments/", {"document": filled["expiring"].pk}, **HTMX
    )
    assert response.status_code == 422
    assert 'id="attach-error"' in html(response)
    assert "another seller entity" in html(response)


def test_attach_without_htmx_redirects_back_to_the_task(bob, project, filled):
    task = project.tasks.get(key="prepare-license")
    response = client_for(bob).post(
        f"/o/acme/tasks/{task.pk}/attachments/", {"document": filled["licence"].pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/tasks/{task.pk}/#task-attachments"
    assert TaskAttachment.objects.count() == 1


def test_a_reviewer_off_the_team_sees_attachments_but_cannot_attach(dave, as_bob, project, filled):
    task = project.tasks.get(key="prepare-license")
    attach_document(actor=as_bob, task=task, document=filled["licence"])
    page = html(client_for(dave).get(f"/o/acme/tasks/{task.pk}/"))
    panel = page.split('id="task-attachments"')[1].split("</section>")[0]
    assert "星河营业执照.pdf" in panel
    assert 'id="attach-form"' not in panel and 'data-action="detach"' not in panel
    response = client_for(dave).post(
        f"/o/acme/tasks/{task.pk}/attachments/", {"document": filled["passport"].pk}, **HTMX
    )
    assert response.status_code == 403
    assert TaskAttachment.objects.count() == 1


def test_document_page_costs_a_bounded_number_of_queries(
    bob, as_alice, as_bob, project, entity, django_assert_max_num_queries
):
    tasks = list(project.tasks.order_by("position")[:6])
    for task in tasks:  # each version went to another task
        document = upload_document(
            confirm_expiry=True,
            actor=as_alice,
            entity=entity,
            document_type="business_license",
            file=licence(),
        )
        attach_document(actor=as_bob, task=task, document=document)
    client = client_for(bob)
    client.get(f"/o/acme/documents/{document.pk}/")
    with django_assert_max_num_queries(12):
        response = client.get(f"/o/acme/documents/{document.pk}/")
    page = html(response)
    assert page.count("data-version=") == 6
    assert page.split('id="document-uses"')[1].count("data-task-id=") == 6
