"""Control characters never get in: an API body's strings, every text a model saves (pages,
CLI, services) and the cells of an imported sheet lose them (issue 17 §5) — so a store name
cannot break an export, a search or a chat message later."""

from __future__ import annotations

from linkstar.entities.models import SellerEntity
from linkstar.entities.services import create_entity
from linkstar.exchange import services as imports
from linkstar.exchange.models import ImportStatus

DIRTY = "深圳\x07市甲\x1b贸易\x00有限公司\x7f"
CLEAN = "深圳市甲贸易有限公司"


def test_an_api_body_loses_its_control_characters(api, bob, org):
    r = api(bob).post(
        f"/orgs/{org.slug}/entities",
        {"name": DIRTY, "country": "CN", "notes": "第一行\n第二行\x0b\tok"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["name"] == CLEAN
    entity = SellerEntity.objects.get(pk=r.json()["id"])
    assert (entity.name, entity.notes) == (CLEAN, "第一行\n第二行\tok")  # line breaks and tabs kept


def test_a_saved_text_loses_them_whatever_wrote_it(as_bob):
    # (no NUL here: the forms refuse it, and PostgreSQL refuses it in the service's own queries)
    entity = create_entity(actor=as_bob, name=DIRTY.replace("\x00", ""), country="CN")
    entity.refresh_from_db()
    assert entity.name == CLEAN


def test_an_imported_cell_loses_them(as_bob, org):
    data = f"主体名称,备注\r\n{DIRTY},a\x08b\r\n".encode()
    job = imports.create_import(actor=as_bob, kind="entities", file_name="e.csv", data=data)
    assert job.errors == []
    imports.start_import(actor=as_bob, job=job)
    assert imports.run_import(job_id=job.pk).status == ImportStatus.DONE
    assert SellerEntity.objects.get(name=CLEAN).notes == "ab"
