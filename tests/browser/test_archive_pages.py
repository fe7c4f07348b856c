"""Exports, archives and the calendar feed in headless Chromium: the project list's .xlsx export
(opened with openpyxl), a project archive built in the background while the page polls its
progress, its zip checked against manifest.json, and the secret calendar address fetched by a
calendar client and revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import urllib.error
import urllib.request
import zipfile

import icalendar
import openpyxl
import pytest

from linkstar.archives.models import ArchiveJob
from linkstar.projects.models import Task
from linkstar.projects.services import update_task
from tests.support.browser import english_left, fits, screenshot, signed_in_pages
from tests.support.jobs import run_jobs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


def test_the_project_list_exports_xlsx_and_a_project_archive_is_built_and_verified(
    open_as, org, project, alice, bob, tmp_path
):
    page = open_as(bob)
    page.goto(page.base_url + "/o/acme/projects/")
    page.click("#export-menu")
    with page.expect_download() as info:
        page.click("a[data-export=projects-xlsx]")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "projects.xlsx"
    download.save_as(path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    assert sheet.freeze_panes == "A2"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    row = next(r for r in values[1:] if "Xinghe Home US" in r)
    assert project.code in row
    dates = [v.date() if isinstance(v, dt.datetime) else v for v in row if isinstance(v, dt.date)]
    assert dt.date(2026, 11, 2) in dates  # the start date, a date cell
    start_col = next(i for i, v in enumerate(row) if isinstance(v, dt.datetime | dt.date))
    assert sheet.cell(row=values.index(row) + 1, column=start_col + 1).is_date

    # Archive the project from its page; the list polls the progress until done.
    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/")
    with page.expect_navigation():
        page.click("#archive-project button[type=submit]")
    job = ArchiveJob.objects.get()
    assert page.url.endswith(f"/o/acme/archives/#archive-{job.pk}")
    row = page.locator(f"#archive-{job.pk}")
    assert row.get_attribute("data-status") in {"queued", "running", "pending"}
    assert row.locator(".progress-bar-animated").count() == 1
    assert run_jobs() >= 1
    page.wait_for_selector(f"#archive-{job.pk}[data-status=done]", timeout=8_000)
    row = page.locator(f"#archive-{job.pk}")
    assert row.locator(".progress-bar").inner_text().strip() == "100%"
    assert project.code in row.inner_text()
    assert fits(page, 1366)
    screenshot(page, "archives")
    with page.expect_download() as info:
        row.locator("[data-action=download]").click()
    archive = tmp_path / "archive.zip"
    info.value.save_as(archive)
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
        assert manifest["files"]
        for entry in manifest["files"]:
            data = zf.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            assert len(data) == entry["size"]
        assert names == {e["path"] for e in manifest["files"]} | {"manifest.json"}
        assert any(n.endswith("project.json") for n in names)
        assert any(n.endswith("tasks.csv") for n in names)

    # Another manager's operator sees no download of bob's archive; alice (admin) does.
    admin = open_as(alice)
    admin.goto(admin.base_url + "/o/acme/archives/")
    assert admin.locator(f"#archive-{job.pk} [data-action=download]").count() == 1

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("archives/", "projects/"):
        page.goto(page.base_url + "/o/acme/" + path)
        assert fits(page, 390), path


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_my_calendar_feed_is_created_read_by_a_calendar_and_revoked(
    open_as, org, project, as_bob, carol, settings, live_server
):
    settings.LINKSTAR_BASE_URL = live_server.url
    task = Task.objects.filter(project=project, due_date__isnull=False).order_by("position").first()
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)

    page = open_as(carol)
    with page.expect_navigation():
        page.click("#nav-more")
        page.click("a[data-nav=calendar]")
    assert page.locator("#settings-nav [data-tab=calendar].active").count() == 1
    with page.expect_navigation():
        page.click("#feed-create")
    url = page.input_value("#feed-url")
    assert url.startswith(live_server.url + "/calendar/") and url.endswith(".ics")
    assert page.get_attribute("#feed-subscribe", "href").startswith("webcal://")
    screenshot(page, "calendar-feed")

    status, body = fetch(url)
    assert status == 200
    calendar = icalendar.Calendar.from_ical(body)
    events = [c for c in calendar.walk("VEVENT")]
    # one event per open task of carol's with a due date (she holds the project's operator
    # tasks since its creation, and now this one)
    mine = Task.objects.filter(assignee=carol, due_date__isnull=False).exclude(
        status__in=["done", "skipped"]
    )
    assert len(events) == mine.count()
    assert task.due_date in {e.decoded("dtstart") for e in events}
    assert all(project.code in str(e["summary"]) for e in events)

    page.goto(page.base_url + "/o/acme/settings/calendar/")  # shown once: not again
    assert page.locator("#feed-url").count() == 0
    assert url.rsplit("/", 1)[1] not in page.content()
    assert page.locator("#feed-status .badge").count() == 1
    last_read = page.locator("#feed-status").inner_text().split("·")[1]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", last_read)  # read by a calendar

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits(page, 390)
    page.set_viewport_size({"width": 1366, "height": 768})

    with page.expect_navigation():
        page.click("#feed-revoke")
    assert page.locator("#feed-create").count() == 1
    assert fetch(url)[0] == 404


def test_the_archive_pages_are_all_in_chinese(open_as, org, project, bob, settings, live_server):
    page = open_as(bob, locale="zh-CN")
    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/")
    with page.expect_navigation():
        page.click("#archive-project button[type=submit]")
    assert english_left(page) == []
    run_jobs()
    page.reload()
    assert english_left(page) == []
    page.goto(page.base_url + "/o/acme/settings/calendar/")
    with page.expect_navigation():
        page.click("#feed-create")
    # Product names in the how-to (iPhone, Google Calendar, Outlook …) stay as they are.
    names = {"iphone", "ipad", "android", "google", "macos", "outlook", "calendar", "file"}
    names |= {"internet", "web", "icalendar"}  # Outlook's and the standard's own names
    assert english_left(page, names) == []
    page.goto(page.base_url + "/o/acme/projects/")
    page.click("#export-menu")
    assert english_left(page) == []
