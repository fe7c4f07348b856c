"""Permission-matrix entries of the import endpoints (exchange)."""

from __future__ import annotations

from tests.support.matrix import Case, Multipart
from tests.support.world import World

CSV = "店铺名称,站点,主体\r\n矩阵测试店,amazon-us,杭州云帆贸易有限公司\r\n"


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("tracker.csv", CSV.encode("gb18030"), "text/csv")


def _import_id(w: World) -> int:
    from linkstar.exchange.services import create_import

    if not hasattr(w, "_import"):
        w._import = create_import(
            actor=w.actor("bob"), kind="projects", file_name="t.csv", data=CSV.encode("utf-8")
        )
    return w._import.pk


def _mapping(w: World) -> dict:
    _import_id(w)
    return {"columns": dict(w._import.mapping["columns"]), "defaults": {}}


IDS = {"import_id": _import_id}

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/orgs/{org}/imports"): Case(
        ok="bob",
        status=201,
        denied=("carol", "dave", "frank", "grace"),
        body=lambda w: Multipart(kind="projects", file=_upload),
    ),
    ("GET", "/orgs/{org}/imports/{import_id}"): Case(ok="bob", status=200, client_hidden=True),
    ("PUT", "/orgs/{org}/imports/{import_id}/mapping"): Case(
        ok="bob", status=200, client_hidden=True, body=_mapping
    ),
    ("POST", "/orgs/{org}/imports/{import_id}/run"): Case(
        ok="bob", status=202, client_hidden=True, audited=False
    ),
}
