"""The Import pages: upload → mapping → preview with a named error → fix → run → result."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linkstar.exchange.models import ImportJob, ImportStatus
from linkstar.projects.models import StoreProject
from tests.support.exchange import xlsx
from tests.support.jobs import run_jobs


def tracker(entity_name: str, rows: int = 3, bad_stage_row: int | None = 1) -> bytes:
    table = [["2026 开店进度表"], ["店铺名称", "站点", "开店主体", "开始日期", "当前阶段"]]
    for i in range(rows):
        stage = "火星阶段" if i == bad_stage_row else "审核中"
        table.append([f"星河店 {i}", "亚马逊美国站", entity_name, "2026/3/5", stage])
    return xlsx(table)


def upload(client, org, data: bytes, kind: str = "projects", name: str = "进度.xlsx"):
    return client.post(
        reverse("import_start", args=[org.slug]),
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
    )


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def test_a_manager_uploads_maps_fixes_an_error_imports_and_sees_the_result(
    bob_client, org, entity, amazon_na, django_capture_on_commit_callbacks
):
    client = bob_client
    start = client.get(reverse("import_start", args=[org.slug]))
    assert start.status_code == 200
    assert b'data-tab="import"' in start.content

    response = upload(client, org, tracker(entity.name))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_detail", args=[org.slug, job.pk])

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    # one select per source column, the guessed field preselected
    assert '<select class="form-select form-select-sm" name="col-0"' in html
    assert '<option value="store_name" selected>' in html
    assert '<option value="stage" selected>' in html
    # the bad row is named: sheet row 4 (title row 1, header row 2), its column and message
    assert 'data-row="4" class="ls-row-bad"' in html
    assert '<div class="ls-row-error" data-column="当前阶段">第 4 行，当前阶段：未知阶段' in html
    assert "火星阶段" in html
    assert 'id="import-run" disabled' in html

    # running is refused while a row has an error
    refused = client.post(
        response["Location"],
        {
            "action": "run",
            "col-0": "store_name",
            "col-1": "site",
            "col-2": "entity",
            "col-3": "start_date",
            "col-4": "stage",
        },
    )
    assert refused.status_code == 302
    assert ImportJob.objects.get().status == ImportStatus.UPLOADED

    # the fix: the stage column is not imported
    fixed = client.post(
        response["Location"],
        {
            "action": "check",
            "col-0": "store_name",
            "col-1": "site",
            "col-2": "entity",
            "col-3": "start_date",
            "col-4": "",
            "template_id": str(amazon_na.pk),
        },
    )
    assert fixed.status_code == 302
    job.refresh_from_db()
    assert job.errors == []
    page = client.get(fixed["Location"]).content.decode()
    assert 'id="import-ready"' in page
    assert 'id="import-run" disabled' not in page

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            fixed["Location"],
            {
                "action": "run",
                "col-0": "store_name",
                "col-1": "site",
                "col-2": "entity",
                "col-3": "start_date",
                "template_id": str(amazon_na.pk),
            },
        )
    assert started.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    waiting = client.get(started["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    bar = client.get(reverse("import_progress", args=[org.slug, job.pk]), HTTP_HX_REQUEST="true")
    assert bar.status_code == 200 and b'data-status="queued"' in bar.content

    assert run_jobs() >= 1
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    done = client.get(reverse("import_progress", args=[org.slug, job.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    assert b"hx-trigger" not in done.content  # the polling stops

    result = client.get(started["Location"]).content.decode()
    projects = list(StoreProject.objects.order_by("pk"))
    assert len(projects) == 3
    assert all(p.stage == "preparing" for p in projects)  # the stage column was left out
    for p in projects:
        assert reverse("project_detail", args=[org.slug, p.pk]) in result
    assert 'id="import-result-summary"' in result
    assert "width: 100%" in result

    listing = client.get(reverse("import_start", args=[org.slug])).content.decode()
    assert f'data-import-id="{job.pk}"' in listing


def test_the_remembered_mapping_is_preselected_on_the_next_upload(bob_client, org, entity):
    client = bob_client
    first = upload(client, org, tracker(entity.name, bad_stage_row=None))
    client.post(
        first["Location"],
        {
            "action": "check",
            "col-0": "store_name",
            "col-1": "site",
            "col-2": "entity",
            "col-3": "",
            "col-4": "stage",
        },
    )
    second = upload(client, org, tracker(entity.name, bad_stage_row=None))
    html = client.get(second["Location"]).content.decode()
    job = ImportJob.objects.order_by("-pk").first()
    assert "3" not in job.mapping["columns"]  # the start date column stays ignored
    assert 'id="col-3" data-header="开始日期">\n            <option value="">' in html


def test_a_file_that_cannot_be_read_is_refused_on_the_form(bob_client, org):
    response = upload(bob_client, org, b"not a workbook", name="x.pdf")
    assert response.status_code == 422
    assert b"is-invalid" in response.content
    assert not ImportJob.objects.exists()


def test_an_operator_gets_the_403_page(client, carol, org):
    client.force_login(carol)
    response = client.get(reverse("import_start", args=[org.slug]))
    assert response.status_code == 403
    assert b'id="forbidden"' in response.content


def test_a_manager_may_not_import_members(bob_client, org):
    response = bob_client.get(reverse("import_start", args=[org.slug]) + "?kind=members")
    assert response.status_code == 403
    data = b"email,role\r\na@example.com,admin\r\n"
    posted = upload(bob_client, org, data, kind="members", name="m.csv")
    assert posted.status_code == 403
    assert not ImportJob.objects.exists()


def test_an_admin_imports_members_through_the_page(
    client, alice, org, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    data = "邮箱,姓名,角色,初始密码\r\nwang@example.com,王五,运营,long enough pw\r\n".encode("gbk")
    response = upload(client, org, data, kind="members", name="m.csv")
    job = ImportJob.objects.get()
    assert job.errors == [], job.errors
    page = client.get(response["Location"]).content.decode()
    assert "long enough pw" not in page  # the initial password is never shown back
    assert "••••••" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            response["Location"],
            {
                "action": "run",
                "col-0": "email",
                "col-1": "name",
                "col-2": "role",
                "col-3": "password",
            },
        )
    run_jobs()
    result = client.get(response["Location"]).content.decode()
    assert reverse("org_members", args=[org.slug]) in result


def test_another_organizations_import_is_not_found(client, mallory, bob, org, entity):
    from linkstar.exchange import services
    from tests.support.seed import actor_of

    job = services.create_import(
        actor=actor_of(org, bob), kind="projects", file_name="t.xlsx", data=tracker(entity.name)
    )
    client.force_login(mallory)
    assert client.get(reverse("import_detail", args=[org.slug, job.pk])).status_code == 404
    assert client.get(reverse("import_detail", args=["evil", job.pk])).status_code == 404


@pytest.mark.parametrize("rows", [5, 60])
def test_the_pages_cost_a_fixed_number_of_queries(
    bob_client, org, entity, amazon_na, rows, django_assert_max_num_queries
):
    client = bob_client
    response = upload(client, org, tracker(entity.name, rows=rows, bad_stage_row=None))
    job = ImportJob.objects.get()
    with django_assert_max_num_queries(20):
        assert client.get(response["Location"]).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("import_start", args=[org.slug])).status_code == 200
    with django_assert_max_num_queries(8):
        client.get(reverse("import_progress", args=[org.slug, job.pk]), HTTP_HX_REQUEST="true")
