"""The template pages: library, template, version, draft editor, version diff, project upgrade."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.playbooks.models import Template, TemplateVersion, VersionStatus, blueprint_as_dict
from linkstar.playbooks.services import (
    create_draft_version,
    replace_draft_tasks,
)
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import ProjectRow, create_projects_batch
from tests.support.seed import MINI_TASKS, publish_next

# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def browser_of():
    """``browser_of(user)`` → a Django test client signed in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def next_tasks() -> list[dict]:
    """Version 2 of the mini plan: check renamed, announce dropped, kyc added."""
    tasks = [dict(t) for t in copy.deepcopy(MINI_TASKS) if t["key"] != "announce"]
    tasks[1]["title"] = "Check the pack twice"
    tasks.append(
        {"key": "kyc", "title": "KYC video call", "phase": "review", "depends_on": ["submit"]}
    )
    return tasks


@pytest.fixture
def v2(as_alice, mini_template, mini_project) -> TemplateVersion:
    """Published after ``mini_project`` was created, so the project is one version behind."""
    return publish_next(as_alice, mini_template, next_tasks())


@pytest.fixture
def other_manager(as_alice):
    """A manager of acme who does not manage the test project."""
    from linkstar.accounts.services import add_member
    from tests.support.seed import PASSWORD

    return add_member(
        actor=as_alice, email="oscar@example.com", role="manager", name="Oscar", password=PASSWORD
    ).user


@pytest.fixture
def draft(as_alice, mini_template) -> TemplateVersion:
    return create_draft_version(actor=as_alice, template=mini_template)


def editor_data(tasks: list[dict], *, version: int, action: str = "save") -> dict:
    """What the editor form posts for these blueprints, one row per task, in order."""
    data: dict = {"version": str(version), "action": action, "row": []}
    for i, bp in enumerate(tasks):
        rid = f"r{i}"
        data["row"].append(rid)
        data[f"t{rid}-key"] = bp["key"]
        data[f"t{rid}-title"] = bp["title"]
        data[f"t{rid}-title_en"] = bp.get("title_en") or ""
        data[f"t{rid}-description"] = bp.get("description") or ""
        data[f"t{rid}-description_en"] = bp.get("description_en") or ""
        data[f"t{rid}-phase"] = bp["phase"]
        data[f"t{rid}-offset_days"] = str(bp.get("offset_days", 0))
        data[f"t{rid}-duration_days"] = str(bp.get("duration_days", 1))
        data[f"t{rid}-depends_on"] = ", ".join(bp.get("depends_on") or [])
        data[f"t{rid}-role"] = bp.get("role") or ""
        data[f"t{rid}-approval_levels"] = str(bp.get("approval_levels", 0))
        data[f"t{rid}-document_types"] = list(bp.get("document_types") or [])
        data[f"t{rid}-checklist"] = "\n".join(bp.get("checklist") or [])
        data[f"t{rid}-sets_stage"] = bp.get("sets_stage") or ""
    return data


def saved_tasks(version: TemplateVersion) -> list[dict]:
    return [blueprint_as_dict(bp) for bp in version.blueprints.order_by("position")]


def row_html(html: str, key: str) -> str:
    """The HTML of the editor row whose key is ``key``."""
    match = re.search(rf'<tr id="row-[^"]*"[^>]*data-key="{re.escape(key)}".*?</tr>', html, re.S)
    assert match, f"no row {key}"
    return match.group(0)


def url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(name, args=["acme", *args])


# --- library ---------------------------------------------------------------------------------


def test_the_library_lists_builtin_and_own_templates_with_versions_and_task_counts(
    browser_of, alice, mini_template, amazon_na
):
    r = browser_of(alice).get(url("template_library"))
    assert r.status_code == 200
    html = r.content.decode()
    own = html[html.index('id="own-templates"') : html.index('id="builtin-templates"')]
    builtin = html[html.index('id="builtin-templates"') :]
    assert f'data-template-id="{mini_template.pk}"' in own
    assert f'data-template-id="{amazon_na.pk}"' in builtin
    assert "亚马逊北美站开店 SOP" in builtin
    row = re.search(rf'data-template-id="{mini_template.pk}".*?</tr>', own, re.S).group(0)
    assert ">5</td>" in row  # five tasks
    assert f"/o/acme/projects/new/?template={mini_template.pk}" in row
    assert f"/o/acme/templates/{mini_template.pk}/clone/" in row


def test_the_library_filters_by_site(browser_of, alice, mini_template):
    r = browser_of(alice).get(url("template_library"), {"site": "shopee-br"})
    html = r.content.decode()
    assert f'data-template-id="{mini_template.pk}"' not in html
    assert "shopee" in html.lower()


def test_a_manager_sees_the_library_without_clone_buttons_and_the_reason(
    browser_of, bob, mini_template
):
    html = browser_of(bob).get(url("template_library")).content.decode()
    assert 'data-action="clone"' not in html
    assert 'id="new-template"' not in html
    assert 'id="manage-reason"' in html
    assert "只有管理员可以修改模板" in html
    assert 'data-action="new-project"' in html  # a manager may start projects


def test_an_auditor_sees_no_new_project_link(browser_of, frank, mini_template):
    html = browser_of(frank).get(url("template_library")).content.decode()
    assert 'data-action="new-project"' not in html


# --- create and clone --------------------------------------------------------------------------


def test_an_admin_clones_a_builtin_template(browser_of, alice, amazon_na, org):
    client = browser_of(alice)
    r = client.get(url("template_clone", amazon_na.pk))
    assert r.status_code == 200
    assert "亚马逊北美站开店 SOP" in r.content.decode()
    r = client.post(url("template_clone", amazon_na.pk), {"name": "Acme Amazon NA"})
    clone = Template.objects.get(organization=org, name="Acme Amazon NA")
    assert r.status_code == 302 and r["Location"] == url("template_detail", clone.pk)
    assert clone.cloned_from == amazon_na
    draft = clone.versions.get()
    assert draft.status == VersionStatus.DRAFT
    assert draft.blueprints.count() == amazon_na.versions.get(status="published").blueprints.count()
    assert AuditEvent.objects.filter(action="template.cloned").count() == 1


def test_a_clone_needs_a_name_and_changes_nothing_without_one(browser_of, alice, org, amazon_na):
    before = Template.objects.count()
    r = browser_of(alice).post(url("template_clone", amazon_na.pk), {"name": "  "})
    assert r.status_code == 422
    assert "is-invalid" in r.content.decode()
    assert Template.objects.count() == before


def test_an_admin_creates_an_empty_template(browser_of, alice, org):
    client = browser_of(alice)
    assert client.get(url("template_create")).status_code == 200
    r = client.post(url("template_create"), {"name": "Blank Temu", "site": "temu-us"})
    template = Template.objects.get(organization=org, name="Blank Temu")
    assert r.status_code == 302 and r["Location"] == url("template_detail", template.pk)
    assert template.site.code == "temu-us"
    assert template.versions.get().blueprints.count() == 0


def test_creating_without_a_site_shows_the_error_on_the_field(browser_of, alice, org):
    r = browser_of(alice).post(url("template_create"), {"name": "Blank", "site": ""})
    assert r.status_code == 422
    assert not Template.objects.filter(organization=org).exists()


@pytest.mark.parametrize("page", ["template_create", "template_clone"])
def test_a_manager_may_not_create_or_clone_and_is_told_why(browser_of, bob, amazon_na, org, page):
    args = (amazon_na.pk,) if page == "template_clone" else ()
    client = browser_of(bob)
    r = client.get(url(page, *args))
    assert r.status_code == 403
    assert "只有管理员可以修改模板" in r.content.decode()
    r = client.post(url(page, *args), {"name": "Mine", "site": "amazon-us"})
    assert r.status_code == 403
    assert not Template.objects.filter(organization=org).exists()


# --- template page -----------------------------------------------------------------------------


def test_the_template_page_lists_versions_and_the_projects_on_an_older_one(
    browser_of, bob, mini_template, mini_project, v2
):
    html = browser_of(bob).get(url("template_detail", mini_template.pk)).content.decode()
    assert 'data-version="1"' in html and 'data-version="2"' in html
    table = html[html.index('id="outdated-projects"') :]
    assert f'data-project-id="{mini_project.pk}"' in table
    assert url("project_upgrade", mini_project.pk) in table
    assert f"/o/acme/projects/new/?template={mini_template.pk}" in html
    assert 'data-action="publish"' not in html  # not an admin


def test_only_the_projects_manager_gets_the_upgrade_link(
    browser_of, mini_template, mini_project, v2, other_manager
):
    html = browser_of(other_manager).get(url("template_detail", mini_template.pk))
    html = html.content.decode()
    assert f'data-project-id="{mini_project.pk}"' in html
    assert url("project_upgrade", mini_project.pk) not in html


def test_no_project_is_listed_when_all_are_on_the_newest_version(
    browser_of, alice, mini_template, mini_project
):
    html = browser_of(alice).get(url("template_detail", mini_template.pk)).content.decode()
    assert 'id="no-outdated"' in html
    assert 'id="outdated-projects"' not in html


def test_a_builtin_template_page_explains_it_is_read_only(browser_of, alice, org, amazon_na):
    html = browser_of(alice).get(url("template_detail", amazon_na.pk)).content.decode()
    assert "内置模板只读" in html or "Built-in templates are read-only" in html
    assert 'data-action="edit"' not in html and 'id="new-draft"' not in html
    assert 'id="clone-template"' in html


def test_the_version_page_shows_the_tasks(browser_of, carol, mini_template):
    r = browser_of(carol).get(url("template_version", mini_template.pk, 1))
    html = r.content.decode()
    assert r.status_code == 200
    for bp in MINI_TASKS:
        assert f'data-key="{bp["key"]}"' in html


def test_new_draft_publish_and_retire_from_the_template_page(browser_of, alice, mini_template):
    client = browser_of(alice)
    r = client.post(url("template_version_new", mini_template.pk))
    assert r.status_code == 302 and r["Location"] == url(
        "template_version_edit", mini_template.pk, 2
    )
    r = client.post(url("template_version_publish", mini_template.pk, 2))
    assert r.status_code == 302
    assert mini_template.versions.get(number=2).status == VersionStatus.PUBLISHED
    r = client.post(url("template_version_retire", mini_template.pk, 1))
    assert r.status_code == 302
    assert mini_template.versions.get(number=1).status == VersionStatus.RETIRED


def test_a_second_draft_is_refused_with_the_reason(browser_of, alice, mini_template, draft):
    client = browser_of(alice)
    page = url("template_detail", mini_template.pk)
    r = client.post(url("template_version_new", mini_template.pk), HTTP_REFERER=page)
    assert r.status_code == 302 and r["Location"] == page
    html = client.get(page).content.decode()
    assert "仍是草稿" in html or "still a draft" in html
    assert mini_template.versions.count() == 2


def test_publishing_a_draft_with_plan_errors_shows_them_on_the_rows(
    browser_of, alice, as_alice, mini_template, draft
):
    tasks = saved_tasks(draft)
    tasks[2]["depends_on"] = ["no-such-key"]
    replace_draft_tasks(actor=as_alice, version=draft, tasks=tasks)
    r = browser_of(alice).post(url("template_version_publish", mini_template.pk, 2))
    assert r.status_code == 422
    row = row_html(r.content.decode(), "submit")
    assert "is-invalid" in row and 'data-error-for="depends_on"' in row and "no-such-key" in row
    assert draft.__class__.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


# --- the draft editor ----------------------------------------------------------------------------


def test_the_editor_shows_one_row_per_task(browser_of, alice, mini_template, draft):
    r = browser_of(alice).get(url("template_version_edit", mini_template.pk, 2))
    html = r.content.decode()
    assert r.status_code == 200
    for bp in MINI_TASKS:
        assert f'data-key="{bp["key"]}"' in html
    assert 'id="task-row-template"' in html
    assert f'name="version" value="{draft.version}"' in html


def test_saving_the_editor_replaces_the_tasks_in_the_order_posted(
    browser_of, alice, mini_template, draft
):
    tasks = saved_tasks(draft)
    tasks[0]["title"] = "Collect every document"
    tasks[0]["checklist"] = ["licence", "id card", "bank statement"]
    tasks[0]["document_types"] = ["business_license", "bank_statement"]
    del tasks[4]  # announce
    tasks.insert(1, {"key": "translate", "title": "Translate", "phase": "documents"})
    tasks[2], tasks[3] = tasks[3], tasks[2]  # check after submit: order only
    r = browser_of(alice).post(
        url("template_version_edit", mini_template.pk, 2), editor_data(tasks, version=draft.version)
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert r["Location"] == url("template_version_edit", mini_template.pk, 2)
    saved = saved_tasks(draft)
    assert [t["key"] for t in saved] == ["collect", "translate", "submit", "check", "go-live"]
    assert saved[0]["title"] == "Collect every document"
    assert saved[0]["checklist"] == ["licence", "id card", "bank statement"]
    assert saved[0]["document_types"] == ["business_license", "bank_statement"]
    assert saved[3]["depends_on"] == ["collect"]
    assert TemplateVersion.objects.get(pk=draft.pk).version == draft.version + 1


def test_a_cell_that_is_not_a_number_is_marked_and_nothing_is_saved(
    browser_of, alice, mini_template, draft
):
    tasks = saved_tasks(draft)
    data = editor_data(tasks, version=draft.version)
    data["tr1-duration_days"] = "two"
    data["tr1-title"] = "Typed but not saved"
    r = browser_of(alice).post(url("template_version_edit", mini_template.pk, 2), data)
    assert r.status_code == 422
    row = row_html(r.content.decode(), "check")
    assert 'data-error-for="duration_days"' in row
    assert 'value="Typed but not saved"' in row
    assert saved_tasks(draft) == tasks


def test_field_errors_at_save_are_shown_on_their_row_and_cell(
    browser_of, alice, mini_template, draft
):
    tasks = saved_tasks(draft)
    data = editor_data(tasks, version=draft.version)
    data["tr3-document_types"] = ["passport", "no_such_document"]
    data["tr0-title"] = ""
    r = browser_of(alice).post(url("template_version_edit", mini_template.pk, 2), data)
    assert r.status_code == 422
    html = r.content.decode()
    assert 'data-error-for="document_types"' in row_html(html, "go-live")
    assert "no_such_document" in row_html(html, "go-live")
    assert 'data-error-for="title"' in row_html(html, "collect")
    assert 'data-error-for="title"' not in row_html(html, "check")
    assert 'id="editor-errors"' in html
    assert saved_tasks(draft) == tasks


def test_save_and_publish_with_an_unknown_dependency_keeps_the_draft_and_marks_the_cell(
    browser_of, alice, mini_template, draft
):
    tasks = saved_tasks(draft)
    tasks.append({"key": "extra", "title": "Extra", "phase": "launch", "depends_on": ["nope"]})
    data = editor_data(tasks, version=draft.version, action="publish")
    r = browser_of(alice).post(url("template_version_edit", mini_template.pk, 2), data)
    assert r.status_code == 422
    html = r.content.decode()
    row = row_html(html, "extra")
    assert 'data-error-for="depends_on"' in row and "nope" in row
    assert 'id="editor-notice"' in html
    version = TemplateVersion.objects.get(pk=draft.pk)
    assert version.status == VersionStatus.DRAFT
    assert [t["key"] for t in saved_tasks(version)][-1] == "extra"  # saved, not published
    assert f'name="version" value="{version.version}"' in html
    data = editor_data(
        [*tasks[:-1], {**tasks[-1], "depends_on": ["go-live"]}],
        version=version.version,
        action="publish",
    )
    r = browser_of(alice).post(url("template_version_edit", mini_template.pk, 2), data)
    assert r.status_code == 302 and r["Location"] == url("template_detail", mini_template.pk)
    assert TemplateVersion.objects.get(pk=draft.pk).status == VersionStatus.PUBLISHED


def test_a_stale_save_keeps_the_input_and_says_why(
    browser_of, alice, as_alice, mini_template, draft
):
    tasks = saved_tasks(draft)
    stale = draft.version
    replace_draft_tasks(actor=as_alice, version=draft, tasks=tasks[:3])  # someone else saves
    data = editor_data(tasks, version=stale)
    data["tr0-title"] = "My own title"
    r = browser_of(alice).post(url("template_version_edit", mini_template.pk, 2), data)
    assert r.status_code == 409
    html = r.content.decode()
    assert 'id="editor-notice"' in html
    assert 'value="My own title"' in html
    assert 'data-key="announce"' in html  # all five rows kept
    assert len(saved_tasks(draft)) == 3


def test_a_published_version_is_not_edited(browser_of, alice, mini_template):
    r = browser_of(alice).get(url("template_version_edit", mini_template.pk, 1))
    assert r.status_code == 302 and r["Location"] == url("template_version", mini_template.pk, 1)


def test_the_editor_is_refused_to_a_manager_and_on_a_builtin_with_the_reason(
    browser_of, alice, bob, mini_template, draft, amazon_na
):
    r = browser_of(bob).get(url("template_version_edit", mini_template.pk, 2))
    assert r.status_code == 403 and "只有管理员可以修改模板" in r.content.decode()
    before = saved_tasks(draft)
    r = browser_of(bob).post(
        url("template_version_edit", mini_template.pk, 2),
        editor_data(before[:1], version=draft.version),
    )
    assert r.status_code == 403
    assert saved_tasks(draft) == before
    number = amazon_na.versions.order_by("-number").first().number
    r = browser_of(alice).get(url("template_version_edit", amazon_na.pk, number))
    assert r.status_code == 403 and 'id="denied-reason"' in r.content.decode()


@pytest.mark.parametrize("action", ["template_version_publish", "template_version_retire"])
def test_a_manager_cannot_publish_or_retire(browser_of, bob, mini_template, draft, action):
    number = 2 if action == "template_version_publish" else 1
    page = url("template_detail", mini_template.pk)
    r = browser_of(bob).post(url(action, mini_template.pk, number), HTTP_REFERER=page)
    assert r.status_code == 403 and 'id="denied-reason"' in r.content.decode()
    statuses = dict(mini_template.versions.values_list("number", "status"))
    assert statuses == {1: "published", 2: "draft"}


# --- the version diff ----------------------------------------------------------------------------


def test_the_diff_defaults_to_the_latest_version_against_the_one_before(
    browser_of, carol, mini_template, mini_project, v2
):
    r = browser_of(carol).get(url("template_diff", mini_template.pk))
    assert r.status_code == 200
    html = r.content.decode()
    added = html[html.index('id="diff-added"') : html.index('id="diff-removed"')]
    removed = html[html.index('id="diff-removed"') : html.index('id="diff-changed"')]
    changed = html[html.index('id="diff-changed"') :]
    assert 'data-key="kyc"' in added
    assert 'data-key="announce"' in removed
    assert 'data-key="check"' in changed and 'data-field="title"' in changed
    assert "Check the pack twice" in changed and "Check the pack" in changed
    assert 'data-key="collect"' not in changed


def test_the_diff_between_any_two_versions(browser_of, carol, as_alice, mini_template, v2):
    tasks = next_tasks()
    tasks[0]["duration_days"] = 5
    publish_next(as_alice, mini_template, tasks)
    html = browser_of(carol).get(url("template_diff", mini_template.pk), {"a": 1, "b": 3})
    html = html.content.decode()
    changed = html[html.index('id="diff-changed"') :]
    assert 'data-key="collect"' in changed and 'data-field="duration_days"' in changed
    assert 'data-key="check"' in changed
    html = browser_of(carol).get(url("template_diff", mini_template.pk), {"a": 2, "b": 2})
    assert 'id="diff-empty"' in html.content.decode()


def test_a_template_with_one_version_has_nothing_to_compare(browser_of, carol, mini_template):
    html = browser_of(carol).get(url("template_diff", mini_template.pk)).content.decode()
    assert 'id="diff-none"' in html


# --- the project upgrade -----------------------------------------------------------------------


def test_the_upgrade_page_previews_each_kind_of_change(browser_of, bob, mini_project, v2):
    r = browser_of(bob).get(url("project_upgrade", mini_project.pk))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-key="kyc"' in html[html.index('id="plan-added"') :]
    assert 'data-key="announce"' in html[html.index('id="plan-skipped"') :]
    assert 'data-key="check"' in html[html.index('id="plan-updated"') :]
    assert 'id="apply-upgrade"' in html
    assert f'name="project_version" value="{mini_project.version}"' in html
    assert StoreProject.objects.get(pk=mini_project.pk).template_version.number == 1


def test_applying_the_upgrade_moves_the_project_and_returns_to_it(
    browser_of, bob, mini_project, v2
):
    r = browser_of(bob).post(
        url("project_upgrade", mini_project.pk), {"version": "2", "project_version": "1"}
    )
    assert r.status_code == 302 and r["Location"] == url("project_detail", mini_project.pk)
    project = StoreProject.objects.get(pk=mini_project.pk)
    assert project.template_version == v2
    assert Task.objects.get(project=project, key="announce").status == "skipped"
    assert Task.objects.filter(project=project, key="kyc").exists()


def test_a_stale_upgrade_is_refused_with_the_reason_and_changes_nothing(
    browser_of, bob, mini_project, v2
):
    page = url("project_upgrade", mini_project.pk)
    client = browser_of(bob)
    r = client.post(page, {"version": "2", "project_version": "9"}, HTTP_REFERER=page)
    assert r.status_code == 302 and r["Location"] == page
    assert StoreProject.objects.get(pk=mini_project.pk).template_version.number == 1
    assert 'class="alert alert-danger' in client.get(page).content.decode()


@pytest.mark.parametrize("who", ["carol", "dave"])
def test_a_member_who_may_not_upgrade_sees_the_reason(request, browser_of, who, mini_project, v2):
    client = browser_of(request.getfixturevalue(who))
    r = client.get(url("project_upgrade", mini_project.pk))
    assert r.status_code == 403
    html = r.content.decode()
    assert 'id="upgrade-reason"' in html and 'id="apply-upgrade"' not in html
    r = client.post(url("project_upgrade", mini_project.pk), {"version": "2"})
    assert r.status_code == 403 and 'id="denied-reason"' in r.content.decode()
    assert StoreProject.objects.get(pk=mini_project.pk).template_version.number == 1


def test_a_project_on_the_newest_version_has_nothing_to_upgrade(browser_of, bob, mini_project):
    html = browser_of(bob).get(url("project_upgrade", mini_project.pk)).content.decode()
    assert 'id="upgrade-none"' in html and 'id="apply-upgrade"' not in html


# --- every URL: another organization, anonymous, query counts ------------------------------------


def _urls(template, project, draft_number=2) -> dict[str, tuple[str, str]]:
    t = template.pk
    return {
        "library": ("get", url("template_library")),
        "create": ("get", url("template_create")),
        "detail": ("get", url("template_detail", t)),
        "clone": ("get", url("template_clone", t)),
        "diff": ("get", url("template_diff", t)),
        "version": ("get", url("template_version", t, 1)),
        "edit": ("get", url("template_version_edit", t, draft_number)),
        "upgrade": ("get", url("project_upgrade", project.pk)),
        "new_draft": ("post", url("template_version_new", t)),
        "publish": ("post", url("template_version_publish", t, draft_number)),
        "retire": ("post", url("template_version_retire", t, 1)),
        "edit_post": ("post", url("template_version_edit", t, draft_number)),
        "upgrade_post": ("post", url("project_upgrade", project.pk)),
    }


def test_another_organizations_member_gets_404_on_every_url(
    browser_of, mallory, as_alice, mini_template, mini_project, v2
):
    create_draft_version(actor=as_alice, template=mini_template)
    client = browser_of(mallory)
    before = (
        AuditEvent.objects.count(),
        list(TemplateVersion.objects.values_list("pk", "status", "version")),
    )
    for name, (method, path) in _urls(mini_template, mini_project, draft_number=3).items():
        r = getattr(client, method)(path, {"version": "2"} if method == "post" else None)
        assert r.status_code == 404, name
        assert b"Mini" not in r.content, name
    assert before == (
        AuditEvent.objects.count(),
        list(TemplateVersion.objects.values_list("pk", "status", "version")),
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, mini_template, mini_project):
    for name, (method, path) in _urls(mini_template, mini_project).items():
        r = getattr(client, method)(path)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], name


# Measured with 500 projects (session, user, membership and the navigation included) plus a
# margin of two for the layout; none of them grows with the number of projects.
QUERY_LIMITS = {
    "library": 10,
    "create": 7,
    "detail": 12,
    "clone": 7,
    "diff": 11,
    "version": 11,
    "edit": 10,
    "upgrade": 17,
}


@pytest.fixture
def five_hundred_projects(as_bob, as_alice, mini_template, mini_project, entity, carol):
    """500 projects on version 1 of the mini template, version 2 published, a draft v3."""
    create_projects_batch(
        actor=as_bob,
        template_id=mini_template.pk,
        rows=[
            ProjectRow(store_name=f"Store {i:03d}", entity_id=entity.pk, members=[carol.pk])
            for i in range(499)
        ],
        start_date=dt.date(2026, 11, 2),
    )
    publish_next(as_alice, mini_template, next_tasks())
    create_draft_version(actor=as_alice, template=mini_template)
    assert StoreProject.objects.count() == 500


@pytest.mark.slow
def test_every_page_costs_a_bounded_number_of_queries_with_500_projects(
    browser_of,
    alice,
    bob,
    mini_template,
    mini_project,
    five_hundred_projects,
    django_assert_max_num_queries,
):
    pages = _urls(mini_template, mini_project, draft_number=3)
    for name, limit in QUERY_LIMITS.items():
        _method, path = pages[name]
        client = browser_of(bob if name == "upgrade" else alice)
        with django_assert_max_num_queries(limit):
            r = client.get(path)
        assert r.status_code == 200, (name, r.status_code)
    html = browser_of(alice).get(pages["detail"][1]).content.decode()
    assert html.count("data-project-id=") == 25  # one page of the 500 outdated projects


def test_a_closed_project_shows_why_it_cannot_be_upgraded(browser_of, bob, mini_project, v2):
    StoreProject.objects.filter(pk=mini_project.pk).update(status="closed")
    r = browser_of(bob).get(url("project_upgrade", mini_project.pk))
    assert r.status_code == 409
    html = r.content.decode()
    assert 'id="upgrade-reason"' in html and mini_project.code in html
    assert 'id="apply-upgrade"' not in html


def test_the_editor_speaks_english_after_the_switch(browser_of, alice, mini_template, draft):
    from django.conf import settings

    client = browser_of(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url("template_version_edit", mini_template.pk, 2)).content.decode()
    assert "Save and publish" in html and "Depends on" in html
    html = browser_of(alice).get(url("template_version_edit", mini_template.pk, 2)).content
    assert "保存并发布" in html.decode() and "前置任务" in html.decode()
