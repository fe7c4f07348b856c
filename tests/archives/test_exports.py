"""Exports of the project list and tasks: .xlsx typed and frozen, .csv with BOM, filters,
masking, organization isolation, fixed query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from linkstar.projects.services import create_project
from tests.support.archives import _clone_projects
from tests.support.seed import actor_of


def _xlsx(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _csv_rows(response):
    assert response.status_code == 200, response.content[:500]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _by_header(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


@pytest.fixture
def canada(as_bob, amazon_na, entity_yunfan):
    return create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="云帆 Kitchen CA",
        site="amazon-ca",
        entity_id=entity_yunfan.pk,
        start_date=dt.date(2026, 12, 1),
    )


def test_project_workbook_has_typed_cells_frozen_header_widths_and_two_sheets(api, alice, project):
    client = api(alice)
    r = client.client.get(
        "/api/v1/orgs/acme/exports/projects.xlsx",
        {"tasks": "true"},
        HTTP_ACCEPT_LANGUAGE="en",
        **client._headers(),
    )
    workbook = _xlsx(r)
    assert workbook.sheetnames == ["Projects", "Tasks"]
    sheet = workbook["Projects"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 14
    assert sheet.column_dimensions["B"].width == 28
    header, rows = _by_header(sheet)
    assert header[:4] == ("Project code", "Store name", "Platform", "Site code")
    (row,) = rows
    assert row["Project code"] == project.code
    assert row["Site code"] == "amazon-us"
    start = sheet.cell(row=2, column=header.index("Start date") + 1)
    assert start.is_date and start.number_format == "yyyy-mm-dd"
    assert start.value.date() == dt.date(2026, 11, 2)
    assert isinstance(row["Planned finish"], dt.datetime)
    assert row["Template version"] == 1 and isinstance(row["Template version"], int)
    assert row["Progress (%)"] == 0 and isinstance(row["Task count"], int)
    assert isinstance(row["Overdue"], bool)
    assert row["Manager email"] == "bob@example.com"
    tasks = workbook["Tasks"]
    assert tasks.freeze_panes == "A2"
    _header, trows = _by_header(tasks)
    assert len(trows) == project.task_count
    review = next(t for t in trows if t["Task key"] == "review-document-pack")
    assert review["Depends on"].split(", ")[0] == "prepare-license"
    assert isinstance(review["Due date"], dt.datetime)
    assert review["Approval levels"] == 1


def test_headers_and_labels_are_chinese_by_default(api, alice, project):
    workbook = _xlsx(api(alice).get("/orgs/acme/exports/projects.xlsx"))
    assert workbook.sheetnames == ["项目"]
    header, rows = _by_header(workbook["项目"])
    assert header[0] == "项目编号" and "店铺名称" in header
    assert rows[0]["阶段"] == "待提交"


def test_csv_has_a_bom_chinese_text_and_masked_registration_number(api, alice, project):
    rows = _csv_rows(api(alice).get("/orgs/acme/exports/projects.csv"))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[0] == "项目编号"
    assert row["主体"] == "深圳市星河跨境电子商务有限公司"
    masked = row["统一社会信用代码（已遮蔽）"]
    assert masked != "91440300MA5G8ABCD1" and masked.endswith("BCD1") and "*" in masked
    assert "91440300MA5G8ABCD1" not in "".join(",".join(r) for r in rows)
    assert row["开始日期"] == "2026-11-02"


def test_export_applies_the_list_filters(api, alice, project, canada):
    rows = _csv_rows(api(alice).get("/orgs/acme/exports/projects.csv", site="amazon-ca"))
    assert [r[0] for r in rows[1:]] == [canada.code]
    rows = _csv_rows(api(alice).get("/orgs/acme/exports/projects.csv", q="Xinghe"))
    assert [r[0] for r in rows[1:]] == [project.code]
    rows = _csv_rows(api(alice).get("/orgs/acme/exports/tasks.csv", site="amazon-ca"))
    assert {r[0] for r in rows[1:]} == {canada.code}


def test_tasks_export_takes_the_chosen_projects(api, alice, project, canada):
    r = api(alice).client.get(
        "/api/v1/orgs/acme/exports/tasks.xlsx",
        {"project": [canada.pk]},
        **api(alice)._headers(),
    )
    workbook = _xlsx(r)
    header, rows = _by_header(workbook.worksheets[0])
    assert {row[header[0]] for row in rows} == {canada.code}
    assert len(rows) == canada.task_count


def test_a_client_exports_only_her_entitys_projects(api, grace, project, canada):
    rows = _csv_rows(api(grace).get("/orgs/acme/exports/projects.csv"))
    assert [r[0] for r in rows[1:]] == [canada.code]
    rows = _csv_rows(api(grace).get("/orgs/acme/exports/tasks.csv", project=project.pk))
    assert rows[1:] == []


def test_another_organizations_projects_are_never_exported(
    api, alice, mallory, other_org, project, amazon_na
):
    from linkstar.entities.services import create_entity

    as_mallory = actor_of(other_org, mallory)
    evil_entity = create_entity(actor=as_mallory, name="邪恶贸易有限公司")
    evil = create_project(
        actor=as_mallory,
        template_id=amazon_na.pk,
        store_name="Evil Store",
        entity_id=evil_entity.pk,
    )
    rows = _csv_rows(api(alice).get("/orgs/acme/exports/projects.csv"))
    assert [r[0] for r in rows[1:]] == [project.code]
    rows = _csv_rows(api(mallory).get("/orgs/evil/exports/projects.csv"))
    assert [r[1] for r in rows[1:]] == ["Evil Store"]
    rows = _csv_rows(api(mallory).get("/orgs/evil/exports/tasks.csv", project=project.pk))
    assert rows[1:] == []
    assert api(mallory).get("/orgs/acme/exports/projects.csv").status_code == 404
    assert evil.organization_id != project.organization_id


def test_csv_keeps_text_that_looks_like_a_formula_as_text(api, alice, as_bob, amazon_na, entity):
    create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="=HYPERLINK(1)", entity_id=entity.pk
    )
    rows = _csv_rows(api(alice).get("/orgs/acme/exports/projects.csv"))
    assert rows[1][1] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("path", ["projects.xlsx?tasks=true", "projects.csv", "tasks.csv"])
def test_export_costs_a_fixed_number_of_queries(
    api, alice, project, path, django_assert_max_num_queries
):
    client = api(alice)
    url = f"/api/v1/orgs/acme/exports/{path}"
    client.client.get(url, **client._headers())  # the token's first use is recorded once
    with django_assert_max_num_queries(6) as small:
        b"".join(client.client.get(url, **client._headers()).streaming_content)
    _clone_projects(project, 120)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        r = client.client.get(url, **client._headers())
        data = b"".join(r.streaming_content)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(data) > 1000


def test_export_buttons_on_the_project_list_page_download_with_the_filters(
    client, alice, project, canada
):
    client.force_login(alice)
    page = client.get("/o/acme/projects/?site=amazon-ca").content.decode()
    assert 'id="export-buttons"' in page and "exports/projects.xlsx?site=amazon-ca" in page
    assert 'id="archive-these"' in page
    r = client.get("/o/acme/exports/projects.csv?site=amazon-ca")
    rows = _csv_rows(r)
    assert [row[0] for row in rows[1:]] == [canada.code]
    assert "attachment" in r["Content-Disposition"]
    workbook = _xlsx(client.get("/o/acme/exports/projects.xlsx?tasks=1"))
    assert workbook.sheetnames == ["项目", "任务"]
