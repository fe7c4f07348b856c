"""The words sellers use (shared/GLOSSARY.md) on the main pages, in Chinese: the stage, role and
closing words the trade uses, and none of the words the glossary says to avoid."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from linkstar.playbooks.services import BUILTIN_DIR, load_builtin_templates
from linkstar.projects.models import StoreProject, Task

pytestmark = pytest.mark.django_db

AVOIDED = ("被拒", "执行人", "闭环")
STAGES = ("待提交", "审核中", "需补料", "已开通", "未通过", "已取消")


def page(user, path: str) -> str:
    client = Client()
    client.force_login(user)
    client.cookies["linkstar_language"] = "zh-hans"
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def assert_avoided_words_absent(html: str) -> None:
    for word in AVOIDED:
        assert word not in html, word


def test_the_project_list_and_kanban_name_the_stages_as_sellers_do(bob, project):
    for path in ("/o/acme/projects/", "/o/acme/kanban/"):
        html = page(bob, path)
        for stage in STAGES:
            assert stage in html, (path, stage)
        assert_avoided_words_absent(html)


def test_the_members_page_names_the_roles_as_agencies_do(alice, bob, carol, erin, frank):
    html = page(alice, "/o/acme/settings/members/")
    for role in ("项目经理", "运营专员", "审核主管", "审计（只读）"):
        assert role in html, role
    assert_avoided_words_absent(html)


def test_a_closed_project_reads_as_jie_xiang(bob, project):
    StoreProject.objects.filter(pk=project.pk).update(status="closed", stage="opened")
    html = page(bob, f"/o/acme/projects/{project.pk}/")
    assert "已结项" in html
    assert_avoided_words_absent(html)


def test_the_project_archive_is_called_a_project_archive_package(alice, project):
    html = page(alice, "/o/acme/archives/")
    assert "归档包" in html
    assert not re.search(r">\s*归档\s*<", html), "归档 alone reads as hiding the project"


def test_a_task_checklist_is_in_one_language(bob, project):
    task = Task.objects.filter(project=project).exclude(checklist=[]).first()
    item = task.checklist[0]
    assert item["text_en"] and item["text"]
    html = page(bob, f"/o/acme/tasks/{task.pk}/")
    assert item["text"] in html
    assert item["text_en"] not in html


def test_a_project_on_an_older_template_version_offers_the_upgrade(bob, project, tmp_path):
    shipped = json.loads((BUILTIN_DIR / "amazon-na.json").read_text(encoding="utf-8"))
    shipped["tasks"][0]["title"] = "新的第一步"
    (tmp_path / "amazon-na.json").write_text(json.dumps(shipped), encoding="utf-8")
    assert load_builtin_templates(directory=tmp_path) == {"amazon-na": "updated to v2"}
    html = page(bob, f"/o/acme/projects/{project.pk}/")
    assert "模板已有新版本 v2" in html
    assert f"/o/acme/projects/{project.pk}/upgrade/" in html


def visible_text(html: str) -> str:
    """What a person reads: the page without markup, scripts and attributes."""
    html = re.sub(r"(?s)<(script|style|template)\b.*?</\1>", " ", html)
    return re.sub(r"(?s)<[^>]+>", " ", html)


def test_no_raw_codes_reach_a_person_on_the_project_task_and_home_pages(bob, project):
    task = Task.objects.get(project=project, key="prepare-license")
    paths = (
        f"/o/acme/projects/{project.pk}/",
        f"/o/acme/projects/{project.pk}/?tab=history",
        f"/o/acme/tasks/{task.pk}/",
        "/o/acme/",
    )
    for path in paths:
        text = visible_text(page(bob, path))
        for raw in ("prepare-license", "business_license", "project.created", "assignees"):
            assert raw not in text, (path, raw)
