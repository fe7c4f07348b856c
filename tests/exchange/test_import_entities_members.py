"""Seller entities and members import through their own services, all rows or none."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.accounts.models import Membership
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import PermissionDenied
from linkstar.entities.models import SellerEntity
from linkstar.exchange import services
from linkstar.exchange.models import ImportStatus
from tests.support.exchange import xlsx


def test_entities_import(as_bob, org):
    data = xlsx(
        [
            ["主体名称", "英文名", "统一社会信用代码", "营业执照到期", "法人"],
            ["深圳市甲有限公司", "Shenzhen Jia", "91440300MA5G8AAAA1", "2027年6月30日", "王五"],
            ["深圳市乙有限公司", None, None, None, None],
        ]
    )
    job = services.create_import(actor=as_bob, kind="entities", file_name="e.xlsx", data=data)
    assert job.errors == []
    assert not SellerEntity.objects.exists()  # the preview wrote nothing
    services.start_import(actor=as_bob, job=job)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    jia = SellerEntity.objects.get(name="深圳市甲有限公司")
    assert (jia.name_en, jia.registration_number, jia.licence_expiry, jia.legal_rep_name) == (
        "Shenzhen Jia",
        "91440300MA5G8AAAA1",
        dt.date(2027, 6, 30),
        "王五",
    )
    assert SellerEntity.objects.count() == 2
    assert AuditEvent.objects.filter(action="entity.created").count() == 2
    assert AuditEvent.objects.filter(action="import.completed").count() == 1


def test_a_duplicate_entity_row_refuses_the_import(as_bob, entity):
    data = xlsx([["主体名称"], ["新主体有限公司"], [entity.name]])
    job = services.create_import(actor=as_bob, kind="entities", file_name="e.xlsx", data=data)
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "主体名称")]
    services.update_import_mapping(actor=as_bob, job=job, mapping=job.mapping)
    assert SellerEntity.objects.count() == 1


def test_members_import_by_an_admin(as_alice, org):
    data = "邮箱,姓名,角色,初始密码\r\nwang@example.com,王五,运营,long enough pw\r\n".encode("gbk")
    job = services.create_import(actor=as_alice, kind="members", file_name="m.csv", data=data)
    assert job.errors == []
    services.start_import(actor=as_alice, job=job)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    m = Membership.objects.get(user__email="wang@example.com")
    assert (m.role, m.user.name) == ("operator", "王五")
    assert all(cells[3] == "••••••" for _n, cells in job.rows)  # the password is not kept


def test_managers_cannot_import_members(as_bob):
    with pytest.raises(PermissionDenied):
        services.create_import(
            actor=as_bob, kind="members", file_name="m.csv", data=b"email,role\r\na@b.c,admin\r\n"
        )
