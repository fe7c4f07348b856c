"""Platform knowledge the built-in templates must carry: a template for every site the catalog
offers, each with the date its facts were last reviewed, its sources, steps, documents and
approvals, and checklists in one language per item."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from linkstar.catalog.services import CATALOG_FILE
from linkstar.playbooks.services import BUILTIN_DIR
from linkstar.playbooks.validation import due_before_dependency

SHIPPED = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in BUILTIN_DIR.glob("*.json")}
CATALOG = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
SITES = [s["code"] for p in CATALOG["platforms"] for s in p["sites"]]
CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_catalog_site_has_a_built_in_template_in_the_api(api, alice, org):
    missing = []
    for site in SITES:
        answer = api(alice).get("/orgs/acme/templates", site=site, limit=100)
        assert answer.status_code == 200, answer.content
        builtin = [t for t in answer.json()["items"] if t["builtin"]]
        assert all(site in t["sites"] for t in builtin)
        if not builtin:
            missing.append(site)
    assert not missing, f"no built-in template for {missing}"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_template_says_when_it_was_reviewed_and_on_which_sources(name):
    data = SHIPPED[name]
    reviewed = dt.date.fromisoformat(data["reviewed_on"])
    assert reviewed >= dt.date(2026, 1, 1), "reviewed before this round of checks"
    sources = data["sources"]
    assert len(sources) >= 2, "a template rests on at least two sources"
    for source in sources:
        assert source["title"].strip()
        if source.get("url"):
            assert source["url"].startswith("https://"), source


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_template_has_steps_documents_and_approvals(name):
    tasks = SHIPPED[name]["tasks"]
    assert len(tasks) >= 8
    assert sum(1 for t in tasks if t["document_types"]) >= 2
    assert any(t["approval_levels"] >= 1 for t in tasks)
    stages = [t["sets_stage"] for t in tasks if t.get("sets_stage")]
    assert stages.count("under_review") == 1 and stages.count("opened") == 1


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_checklist_item_is_in_one_language(name):
    for task in SHIPPED[name]["tasks"]:
        zh, en = task["checklist"], task.get("checklist_en") or []
        assert len(en) == len(zh), task["key"]
        for item in zh:
            assert CJK.search(item), (task["key"], item)
        for item in en:
            assert not CJK.search(item), (task["key"], item)
        for text in (task["title"], task["description"]):
            assert CJK.search(text), (task["key"], text)
        for text in (task["title_en"], task["description_en"]):
            assert text and not CJK.search(text), (task["key"], text)


def test_catalog_codes_are_unique():
    for codes in (
        [d["code"] for d in CATALOG["document_types"]],
        [p["code"] for p in CATALOG["platforms"]],
        SITES,
    ):
        assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_no_shipped_task_is_due_before_a_task_it_depends_on(name):
    assert due_before_dependency(SHIPPED[name]["tasks"]) == []
