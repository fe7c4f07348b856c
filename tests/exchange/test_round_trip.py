"""Export → import round trip: acme's projects exported to .xlsx (the archives app's export,
with its Tasks sheet) import into a fresh organization with every field kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from linkstar.accounts.models import WorkCalendarSettings
from linkstar.accounts.services import add_member, create_organization
from linkstar.entities.services import create_entity
from linkstar.exchange import services
from linkstar.exchange.models import ImportStatus
from linkstar.projects.models import StoreProject
from linkstar.projects.services import create_project
from tests.conftest import EVERY_DAY, actor_of
from tests.exchange.conftest import xlsx


def _acme_projects(as_bob, entity, entity_yunfan, amazon_na):
    """A data set with stages and task states (imported from a tracker) and one project
    created by hand and left as it started."""
    rows = [
        [
            "店铺名称",
            "站点",
            "开店主体",
            "项目经理",
            "开始日期",
            "当前阶段",
            "准备营业执照 状态",
            "准备营业执照 负责人",
            "准备营业执照 截止日期",
            "准备法人身份证 状态",
        ],
        [
            "星河美国店",
            "amazon-us",
            entity.name,
            "bob@example.com",
            "2026-03-05",
            "审核中",
            "已完成",
            "carol@example.com",
            "2026-03-08",
            "不适用",
        ],
        [
            "云帆加拿大店",
            "amazon-ca",
            entity_yunfan.name,
            "bob@example.com",
            "2026-04-01",
            "已开通",
            "进行中",
            "carol@example.com",
            "2026-04-20",
            None,
        ],
        [
            "星河墨西哥店",
            "amazon-mx",
            entity.name,
            None,
            "2026-05-10",
            "需补料",
            None,
            None,
            None,
            "完成",
        ],
    ]
    job = services.create_import(actor=as_bob, kind="projects", file_name="t.xlsx", data=xlsx(rows))
    assert job.errors == [], job.errors
    services.start_import(actor=as_bob, job=job)
    assert services.run_import(job_id=job.pk).status == ImportStatus.DONE
    create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="星河美国二店",
        entity_id=entity.pk,
        site="amazon-us",
        start_date=dt.date(2026, 6, 1),
    )


def _snapshot(organization) -> dict:
    out = {}
    for p in StoreProject.objects.filter(organization=organization).select_related(
        "site", "entity", "manager", "template_version__template"
    ):
        tasks = {
            t.key: (t.status, t.assignee.email if t.assignee else None, t.due_date, t.start_date)
            for t in p.tasks.select_related("assignee")
        }
        out[(p.store_name, p.site.code)] = {
            "entity": p.entity.name,
            "manager": p.manager.email if p.manager else None,
            "start_date": p.start_date,
            "planned_finish": p.planned_finish,
            "stage": p.stage,
            "template": (p.template_version.template.key, p.template_version.number),
            "tasks": tasks,
            "finished": p.finished_task_count,
        }
    return out


def _export(actor, language: str) -> bytes:
    from linkstar.archives.downloads import export_response

    with translation.override(language):
        response = export_response(
            actor=actor, kind="projects", fmt="xlsx", filters={}, with_tasks=True
        )
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_export_imports_into_a_fresh_organization_with_every_field(
    language, org, alice, as_alice, as_bob, bob, carol, entity, entity_yunfan, amazon_na
):
    _acme_projects(as_bob, entity, entity_yunfan, amazon_na)
    before = _snapshot(org)
    assert len(before) == 4
    us = before[("星河美国店", "amazon-us")]
    assert (us["stage"], us["tasks"]["prepare-license"][:3]) == (
        "under_review",
        ("done", "carol@example.com", dt.date(2026, 3, 8)),
    )
    assert us["tasks"]["prepare-legal-rep-id"][0] == "skipped"
    data = _export(as_alice, language)

    fresh = create_organization(name="Beta 代运营", slug="beta", owner=alice)
    # The same working-day calendar as acme's (tests/conftest.py): dates the import computes
    # (the planned finish) count the same days.
    WorkCalendarSettings.objects.create(
        organization=fresh, weekdays=EVERY_DAY, use_cn_holidays=False
    )
    as_admin = actor_of(fresh, alice)
    add_member(actor=as_admin, email=bob.email, role="manager")
    add_member(actor=as_admin, email=carol.email, role="operator")
    for source in (entity, entity_yunfan):
        create_entity(actor=as_admin, name=source.name, name_en=source.name_en)

    as_fresh_bob = actor_of(fresh, bob)
    job = services.create_import(
        actor=as_fresh_bob, kind="projects", file_name="export.xlsx", data=data
    )
    assert job.errors == [], job.errors[:5]
    fields = set(job.mapping["columns"].values())
    assert {
        "store_name",
        "site",
        "entity",
        "manager_email",
        "start_date",
        "stage",
        "template",
        "template_version",
    } <= fields
    assert "task:prepare-license:status" in fields
    assert "task:prepare-license:assignee" in fields
    assert "task:prepare-license:due" in fields
    services.start_import(actor=as_fresh_bob, job=job)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors[:5]

    after = _snapshot(fresh)
    assert after == before
