"""An import's stored rows hold what the tracker held — registration and identity numbers,
initial passwords: kept encrypted while the import is open, dropped to the masked preview once
it is done, and never answered in full (issue 17 §2)."""

from __future__ import annotations

import json

from django.db import connection

from linkstar.exchange import services
from linkstar.exchange.models import ImportJob, ImportStatus
from tests.support.exchange import xlsx

USCC = "91440300MA5G8QWXY1"
ID_NUMBER = "440301199003077777"


def stored_rows(job: ImportJob) -> str:
    """The rows column as the database holds it (what a backup of it carries)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rows FROM exchange_importjob WHERE id = %s", [job.pk])
        return str(cursor.fetchone()[0])


def entities_sheet(rows: int = 1) -> bytes:
    header = ["主体名称", "统一社会信用代码", "法人", "法人身份证号"]
    body = [
        [f"深圳市第{n}贸易有限公司", USCC if n == 0 else None, "王五", None] for n in range(rows)
    ]
    body[0][3] = ID_NUMBER
    return xlsx([header, *body])


def test_an_open_import_keeps_its_rows_encrypted(as_bob, org):
    job = services.create_import(
        actor=as_bob, kind="entities", file_name="e.xlsx", data=entities_sheet()
    )
    raw = stored_rows(job)
    assert raw.startswith("enc1:")
    assert USCC not in raw and ID_NUMBER not in raw and "王五" not in raw
    assert ImportJob.objects.get(pk=job.pk).rows[0][1][1] == USCC  # the run still reads it


def test_the_answer_masks_registration_and_identity_numbers(api, bob, as_bob, org):
    job = services.create_import(
        actor=as_bob, kind="entities", file_name="e.xlsx", data=entities_sheet()
    )
    r = api(bob).get(f"/orgs/{org.slug}/imports/{job.pk}")
    assert r.status_code == 200, r.content
    text = r.content.decode()
    assert USCC not in text and ID_NUMBER not in text
    cells = r.json()["preview"][0]["cells"]
    assert cells[1].endswith(USCC[-4:]) and cells[1].count("*") >= 12
    assert cells[3].endswith("7777") and cells[3].count("*") >= 12
    assert cells[0] == "深圳市第0贸易有限公司"  # other columns as they were


def test_the_page_masks_them_too(client, bob, as_bob, org):
    job = services.create_import(
        actor=as_bob, kind="entities", file_name="e.xlsx", data=entities_sheet()
    )
    client.force_login(bob)
    page = client.get(f"/o/{org.slug}/import/{job.pk}/").content.decode()
    assert "深圳市第0贸易有限公司" in page
    assert USCC not in page and ID_NUMBER not in page


def test_a_done_import_keeps_only_its_masked_preview(as_bob, org):
    job = services.create_import(
        actor=as_bob, kind="entities", file_name="e.xlsx", data=entities_sheet(rows=130)
    )
    assert job.errors == []
    services.start_import(actor=as_bob, job=job)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    job = ImportJob.objects.get(pk=job.pk)
    assert job.preview_only and job.plan == {}
    assert len(job.rows) == services.PREVIEW_ROWS  # the rest of the sheet is dropped
    assert job.total == 130
    kept = json.dumps(job.rows, ensure_ascii=False)
    assert USCC not in kept and ID_NUMBER not in kept
    assert job.rows[0][1][0] == "深圳市第0贸易有限公司"
    assert job.rows[0][1][1].endswith(USCC[-4:])
    assert "enc1:" in stored_rows(job)


def test_a_members_import_keeps_no_password(as_alice, org):
    data = "邮箱,姓名,角色,初始密码\r\nwang@example.com,王五,运营,Quartz-Lantern-58\r\n".encode()
    job = services.create_import(actor=as_alice, kind="members", file_name="m.csv", data=data)
    services.start_import(actor=as_alice, job=job)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    assert "Quartz-Lantern-58" not in json.dumps(ImportJob.objects.get(pk=job.pk).rows)
