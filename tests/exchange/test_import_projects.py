"""A real Chinese tracker imports: merged header cells, a title row, blank rows, full-width
characters, dates as text and as Excel serials, stages in Chinese or English, per-task columns."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput
from linkstar.exchange import services
from linkstar.exchange.models import ImportJob, ImportMapping, ImportStatus
from linkstar.projects.models import StageChange, StoreProject, Task
from tests.support.exchange import tracker, xlsx
from tests.support.jobs import run_jobs


@pytest.fixture
def people(bob, carol):
    return bob, carol


def test_a_chinese_tracker_imports_every_field(
    as_bob, bob, carol, entity, entity_yunfan, amazon_na, django_capture_on_commit_callbacks
):
    job = services.create_import(
        actor=as_bob,
        kind="projects",
        file_name="开店进度.xlsx",
        data=tracker(entity, entity_yunfan),
    )
    assert job.header_row == 3
    assert job.total == 3  # blank rows left out
    columns = job.mapping["columns"]
    headers = {job.headers[int(i)]: f for i, f in columns.items()}
    assert headers == {
        "店铺名称": "store_name",
        "平台": "platform",
        "站点": "site",
        "开店主体": "entity",
        "项目经理": "manager",
        "开始日期": "start_date",
        "当前阶段": "stage",
        "准备营业执照 状态": "task:prepare-license:status",
        "准备营业执照 负责人": "task:prepare-license:assignee",
        "准备营业执照 截止日期": "task:prepare-license:due",
        "准备法人身份证 状态": "task:prepare-legal-rep-id:status",
    }
    assert job.errors == []
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(actor=as_bob, job=job)
    assert job.status == ImportStatus.QUEUED
    assert run_jobs() >= 1
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert job.result["created"] == 3
    projects = {p.store_name: p for p in StoreProject.objects.select_related("site", "entity")}
    assert set(projects) == {"星河家居美国店", "Yunfan Home CA", "星河墨西哥店"}

    us = projects["星河家居美国店"]
    assert (us.site.code, us.entity, us.manager, us.start_date, us.stage) == (
        "amazon-us",
        entity,
        bob,
        dt.date(2026, 3, 5),
        "under_review",
    )
    license_task = us.tasks.get(key="prepare-license")
    assert (license_task.status, license_task.assignee, license_task.due_date) == (
        "done",
        carol,
        dt.date(2026, 3, 8),
    )
    assert license_task.completed_at is not None
    assert us.tasks.get(key="prepare-legal-rep-id").status == "done"
    assert us.finished_task_count == 2

    ca = projects["Yunfan Home CA"]
    assert (ca.site.code, ca.entity, ca.manager, ca.start_date, ca.stage) == (
        "amazon-ca",
        entity_yunfan,
        bob,
        dt.date(2026, 3, 14),
        "under_review",
    )
    license_task = ca.tasks.get(key="prepare-license")
    assert (license_task.status, license_task.assignee, license_task.due_date) == (
        "in_progress",
        carol,
        dt.date(2026, 3, 19),
    )
    assert ca.tasks.get(key="prepare-legal-rep-id").status == "todo"
    assert ca.finished_task_count == 0

    mx = projects["星河墨西哥店"]
    # no manager column value: the importing manager, as in the batch wizard
    assert (mx.site.code, mx.entity, mx.manager, mx.start_date, mx.stage) == (
        "amazon-mx",
        entity,
        bob,
        dt.date(2026, 3, 5),
        "preparing",
    )
    assert mx.tasks.exclude(status="todo").count() == 0
    for p in projects.values():
        assert p.template_version.template == amazon_na
        assert p.task_count == p.tasks.count() > 0

    assert AuditEvent.objects.filter(action="project.created").count() == 3
    assert AuditEvent.objects.filter(action="project.stage_changed").count() == 2
    # the task states of one project: one event listing every changed task field
    states = AuditEvent.objects.filter(action="project.updated").order_by("seq")
    assert [e.project_id for e in states] == [us.pk, ca.pk]
    assert states[0].changes["task:prepare-license:status"] == {"before": "todo", "after": "done"}
    assert states[0].changes["task:prepare-license:assignee_id"]["after"] == carol.pk
    assert states[0].changes["task:prepare-license:due_date"]["after"] == "2026-03-08"
    assert states[0].changes["task:prepare-legal-rep-id:status"]["after"] == "done"
    assert states[0].changes["imported"] == {"before": None, "after": True}
    completed = AuditEvent.objects.get(action="import.completed")
    assert completed.changes["projects"]["after"] == 3
    assert StageChange.objects.filter(to_stage="under_review").count() == 2


def test_a_bad_row_blocks_the_whole_import_and_is_named(
    as_bob, carol, entity, entity_yunfan, amazon_na
):
    data = tracker(entity, entity_yunfan)
    job = services.create_import(actor=as_bob, kind="projects", file_name="t.xlsx", data=data)
    # break the Mexico row's date and the Canada row's entity
    job.rows[1][1][3] = "无此主体有限公司"
    job.rows[2][1][5] = "2026-13-45"
    job.save()
    job = services.update_import_mapping(actor=as_bob, job=job, mapping=job.mapping)
    assert [(e["row"], e["column"]) for e in job.errors] == [(6, "开店主体"), (7, "开始日期")]
    with pytest.raises(InvalidInput):
        services.start_import(actor=as_bob, job=job)
    assert not StoreProject.objects.exists()
    assert not Task.objects.exists()


def test_errors_found_when_the_job_runs_import_nothing(
    as_bob, carol, entity, entity_yunfan, amazon_na
):
    job = services.create_import(
        actor=as_bob, kind="projects", file_name="t.xlsx", data=tracker(entity, entity_yunfan)
    )
    services.start_import(actor=as_bob, job=job)
    # between preview and run, another project takes the name of the third row
    from linkstar.projects.services import create_project

    create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="星河墨西哥店",
        entity_id=entity.pk,
        site="amazon-mx",
    )
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["field"]) for e in job.errors] == [(7, "store_name")], job.errors
    assert StoreProject.objects.count() == 1
    assert not AuditEvent.objects.filter(action="import.completed").exists()


def test_the_mapping_is_remembered_for_the_next_upload(
    as_bob, carol, entity, entity_yunfan, amazon_na
):
    data = tracker(entity, entity_yunfan)
    job = services.create_import(actor=as_bob, kind="projects", file_name="t.xlsx", data=data)
    mapping = dict(job.mapping)
    columns = dict(mapping["columns"])
    del columns[str(job.headers.index("当前阶段"))]  # the person ignores the stage column
    services.update_import_mapping(
        actor=as_bob,
        job=job,
        mapping={"columns": columns, "defaults": {"template_id": amazon_na.pk}},
    )
    assert ImportMapping.objects.filter(kind="projects").count() == 1
    again = services.create_import(actor=as_bob, kind="projects", file_name="t.xlsx", data=data)
    assert again.mapping["columns"] == columns
    assert again.mapping["defaults"] == {"template_id": amazon_na.pk}
    assert ImportJob.objects.count() == 2


def test_a_gbk_csv_imports(as_bob, bob, entity, amazon_na):
    text = f"店铺名称,站点,主体,开始日期,阶段\r\n星河家居,亚马逊美国站,{entity.name},2026-03-05,已开通\r\n"
    job = services.create_import(
        actor=as_bob, kind="projects", file_name="tracker.csv", data=text.encode("gbk")
    )
    assert job.errors == []
    services.start_import(actor=as_bob, job=job)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    project = StoreProject.objects.get()
    assert (project.store_name, project.site.code, project.stage, project.start_date) == (
        "星河家居",
        "amazon-us",
        "opened",
        dt.date(2026, 3, 5),
    )


def test_a_utf8_csv_with_bom_and_english_headers_imports(as_bob, entity, amazon_na):
    text = "Store name,Site,Seller entity,Start date,Stage\nXinghe,Amazon US,Shenzhen Xinghe,2026-03-05,needs info\n"
    job = services.create_import(
        actor=as_bob, kind="projects", file_name="t.csv", data=text.encode("utf-8-sig")
    )
    assert job.errors == []
    services.start_import(actor=as_bob, job=job)
    assert services.run_import(job_id=job.pk).status == ImportStatus.DONE
    assert StoreProject.objects.get().stage == "needs_info"


def test_operators_cannot_import_projects(as_carol, entity):
    from linkstar.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_import(
            actor=as_carol, kind="projects", file_name="t.csv", data=b"a,b\n1,2\n"
        )


def test_the_run_reuses_the_rows_the_preview_resolved(as_bob, carol, entity, entity_yunfan):
    job = services.create_import(
        actor=as_bob, kind="projects", file_name="t.xlsx", data=tracker(entity, entity_yunfan)
    )
    assert job.plan["fingerprint"] == services.fingerprint(job)
    assert [r[0] for r in job.plan["rows"]] == [4, 6, 7]
    services.start_import(actor=as_bob, job=job)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    assert StoreProject.objects.count() == 3
    # the sheet's lookups (every platform of the catalog, …) were not loaded again
    assert not [
        q for q in queries.captured_queries if q["sql"].startswith('SELECT "catalog_platform"')
    ]


def test_a_plan_gone_stale_is_resolved_again_and_its_errors_named(
    as_alice, as_bob, carol, entity, entity_yunfan
):
    from linkstar.accounts.services import remove_member

    job = services.create_import(
        actor=as_bob, kind="projects", file_name="t.xlsx", data=tracker(entity, entity_yunfan)
    )
    services.start_import(actor=as_bob, job=job)
    # Carol, assignee of a task on rows 4 and 6, leaves between the preview and the run.
    remove_member(actor=as_alice, user_id=carol.pk)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (4, "准备营业执照 负责人"),
        (6, "准备营业执照 负责人"),
    ]
    assert not StoreProject.objects.exists()


def _tracker_of(entity, rows: int) -> bytes:
    """Each row its own entity (without identifiers: no association risks, whose rows the
    compliance app inserts in batches of its own)."""
    table = [["店铺名称", "站点", "开店主体", "开始日期", "当前阶段", "准备营业执照 状态"]]
    for i in range(rows):
        table.append(
            [
                f"店 {i}",
                "amazon-us",
                f"主体 {i:02d}",
                "2026-03-05",
                "审核中",
                "已完成" if i % 2 else None,
            ]
        )
    return xlsx(table)


def _queries_of_a_run(as_bob, entity, rows: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    job = services.create_import(
        actor=as_bob, kind="projects", file_name="t.xlsx", data=_tracker_of(entity, rows)
    )
    assert job.errors == []
    services.start_import(actor=as_bob, job=job)
    with CaptureQueriesContext(connection) as queries:
        job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    return len(queries)


def test_a_run_costs_the_same_queries_for_2_rows_as_for_12(as_alice, as_bob, entity, amazon_na):
    """Within one chunk (``LINKSTAR_IMPORT_CHUNK_ROWS``) the statements do not grow with the
    rows (beyond SQLite's 999 parameters per bulk insert, Django splits inserts in batches)."""
    from linkstar.entities.services import create_entity

    for i in range(12):
        create_entity(actor=as_alice, name=f"主体 {i:02d}")
    _queries_of_a_run(as_bob, entity, 1)  # the first one creates the code sequence
    StoreProject.objects.all().delete()
    small = _queries_of_a_run(as_bob, entity, 2)
    StoreProject.objects.all().delete()
    assert _queries_of_a_run(as_bob, entity, 12) == small
