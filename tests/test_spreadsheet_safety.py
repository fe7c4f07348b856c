"""Issue 17 §1 and §5: no text reaches a spreadsheet as a live formula, and a control character
in a name makes no export fail — in every export and in the CSV files of project archives."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from linkstar.archives.services import build_archive, request_archive
from linkstar.core.spreadsheet import safe_text
from linkstar.projects.models import StoreProject
from tests.support.archives import read_zip, stored_bytes
from tests.support.clients import ApiClient

FORMULA = '=HYPERLINK("http://evil.example","点我")'
BELL = "Mini\x07Shop\x1b US"


def test_safe_text():
    assert safe_text("=1+2") == "'=1+2"
    for start in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(start).startswith("'")
    assert safe_text("a\x00b\x07c\x1fd\x7fe") == "abcde"
    assert safe_text("第一行\n第二行\tTab") == "第一行\n第二行\tTab"
    assert safe_text("Shop 1") == "Shop 1"


@pytest.fixture
def hostile(mini_project):
    StoreProject.objects.filter(pk=mini_project.pk).update(store_name=FORMULA + BELL)
    mini_project.refresh_from_db()
    return mini_project


def _cells(content: bytes) -> list:
    book = load_workbook(io.BytesIO(content))
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/acme/exports/projects.xlsx?tasks=true",
        "/orgs/acme/exports/tasks.xlsx",
        "/orgs/acme/reports/report.xlsx",
        "/orgs/acme/exports/document-requests.xlsx",
    ],
)
def test_no_xlsx_export_holds_a_formula_nor_fails_on_a_control_character(bob, hostile, path):
    answer = ApiClient(bob).client.get(
        "/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {ApiClient(bob).token}"
    )
    assert answer.status_code == 200
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    cells = _cells(content)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    if "reports" not in path and "document-requests" not in path:
        assert "'" + FORMULA + "MiniShop US" in texts


def test_csv_exports_and_archive_csvs_guard_their_texts(bob, as_bob, hostile):
    answer = ApiClient(bob).client.get(
        "/api/v1/orgs/acme/exports/projects.csv",
        HTTP_AUTHORIZATION=f"Bearer {ApiClient(bob).token}",
    )
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') + "MiniShop US" in text and "\x07" not in text
    job = build_archive(job_id=request_archive(actor=as_bob, project_ids=[hostile.pk]).pk)
    archive = read_zip(stored_bytes(job))
    for name in archive.namelist():
        if name.endswith(".csv"):
            body = archive.read(name).decode("utf-8-sig")
            assert "\x07" not in body and ',"=' not in body and "\n=" not in body, name
    # the JSON keeps the exact value: it is not a spreadsheet
    data = json.loads(archive.read(f"{hostile.code}/project.json"))
    assert data["project"]["store_name"] == FORMULA + BELL
