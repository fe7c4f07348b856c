"""The template services: who may write, what each write does, what it refuses, what it audits."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
)
from linkstar.playbooks.models import (
    BLUEPRINT_FIELDS,
    TaskBlueprint,
    Template,
    TemplateVersion,
    VersionStatus,
    blueprint_as_dict,
)
from linkstar.playbooks.selectors import (
    get_version,
    latest_published,
    template_list,
    visible_templates,
)
from linkstar.playbooks.services import (
    create_draft_version,
    create_template,
    get_template_for,
    publish_version,
    replace_draft_tasks,
    retire_version,
)

pytestmark = pytest.mark.usefixtures("english_messages")

COPIED_FIELDS = ("position", *BLUEPRINT_FIELDS)


def _keys(version: TemplateVersion) -> list[str]:
    return list(version.blueprints.order_by("position").values_list("key", flat=True))


def _snapshot(template: Template) -> list[tuple]:
    """Everything a refused write must leave as it was."""
    return [
        (v.number, v.status, v.version, _keys(v))
        for v in TemplateVersion.objects.filter(template=template).order_by("number")
    ]


@pytest.fixture
def draft(acme_template) -> TemplateVersion:
    return acme_template.versions.get(number=1)


@pytest.fixture
def published(as_alice, draft, three_tasks) -> TemplateVersion:
    replace_draft_tasks(actor=as_alice, version=draft, tasks=three_tasks)
    return publish_version(actor=as_alice, version=draft)


# --- create and clone -----------------------------------------------------------------------


def test_admin_creates_an_empty_template_with_a_draft_version_1(as_alice, org, audit_actions):
    template = create_template(actor=as_alice, name="  Acme US  ", site="amazon-us")
    assert template.organization == org
    assert template.name == "Acme US"
    assert template.site.code == "amazon-us"
    assert [s.code for s in template.sites.all()] == ["amazon-us"]
    assert not template.builtin
    assert [(v.number, v.status) for v in template.versions.all()] == [(1, "draft")]
    assert _keys(template.versions.get()) == []
    event = AuditEvent.objects.get(organization=org, action="template.created")
    assert event.object_type == "template"
    assert event.object_id == str(template.pk)
    assert event.actor == as_alice.user
    assert event.changes["site"] == {"before": None, "after": "amazon-us"}
    assert audit_actions()[-1] == "template.created"


@pytest.mark.parametrize("who", ["as_bob", "as_carol", "as_frank"])
def test_only_an_admin_may_create_a_template(request, who, audit_actions):
    actor = request.getfixturevalue(who)
    before = audit_actions()
    with pytest.raises(PermissionDenied) as info:
        create_template(actor=actor, name="Mine", site="amazon-us")
    assert info.value.code == "permission_denied"
    assert not Template.objects.filter(organization__isnull=False).exists()
    assert audit_actions() == before


def test_creating_a_template_for_an_unknown_site_is_refused_naming_the_site(
    as_alice, audit_actions
):
    before = audit_actions()
    with pytest.raises(InvalidInput) as info:
        create_template(actor=as_alice, name="Mars", site="amazon-mars")
    assert [e.field for e in info.value.errors] == ["site"]
    assert "amazon-mars" in info.value.errors[0].message
    assert not Template.objects.filter(organization__isnull=False).exists()
    assert audit_actions() == before


def test_creating_a_template_without_a_name_or_a_site_is_refused(as_alice, audit_actions):
    before = audit_actions()
    with pytest.raises(InvalidInput) as info:
        create_template(actor=as_alice, name="   ", site="amazon-us")
    assert [e.field for e in info.value.errors] == ["name"]
    with pytest.raises(InvalidInput) as info:
        create_template(actor=as_alice, name="No site")
    assert [e.field for e in info.value.errors] == ["site"]
    assert not Template.objects.filter(organization__isnull=False).exists()
    assert audit_actions() == before


def test_cloning_a_built_in_copies_its_tasks_into_a_draft_v1_and_leaves_it_unchanged(
    as_alice, org, amazon_na, audit_actions
):
    source = amazon_na.versions.get(number=1)
    source_before = _snapshot(amazon_na)
    source_rows = list(source.blueprints.order_by("position").values())

    clone = create_template(actor=as_alice, name="Acme 北美", clone_from=amazon_na)

    assert clone.organization == org and not clone.builtin
    assert clone.cloned_from == amazon_na
    assert clone.site == amazon_na.site
    assert {s.code for s in clone.sites.all()} == {s.code for s in amazon_na.sites.all()}
    assert clone.name_en == amazon_na.name_en
    version = clone.versions.get()
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    copied = list(version.blueprints.order_by("position").values())
    assert len(copied) == len(source_rows) > 10
    for original, copy in zip(source_rows, copied, strict=True):
        assert copy["id"] != original["id"]
        assert copy["template_version_id"] == version.pk
        for field in COPIED_FIELDS:
            assert copy[field] == original[field], field
    # The built-in is as it was, and the copy is independent of it.
    assert _snapshot(amazon_na) == source_before
    assert amazon_na.organization_id is None
    event = AuditEvent.objects.get(organization=org, action="template.cloned")
    assert event.object_id == str(clone.pk)
    assert event.changes["clone_from"] == {"before": None, "after": amazon_na.pk}
    assert audit_actions()[-1] == "template.cloned"


def test_a_clone_may_be_for_another_site_of_the_template(as_alice, amazon_na):
    clone = create_template(actor=as_alice, name="Acme CA", site="amazon-ca", clone_from=amazon_na)
    assert clone.site.code == "amazon-ca"
    assert "amazon-ca" in {s.code for s in clone.sites.all()}


def test_editing_a_clone_leaves_the_built_in_untouched(as_alice, amazon_na, three_tasks):
    source_before = _snapshot(amazon_na)
    clone = create_template(actor=as_alice, name="Acme 北美", clone_from=amazon_na)
    replace_draft_tasks(actor=as_alice, version=clone.versions.get(), tasks=three_tasks)
    assert _snapshot(amazon_na) == source_before


def test_an_organization_cannot_clone_another_organizations_template(
    as_alice, evil_template, audit_actions
):
    before = audit_actions()
    with pytest.raises(NotFound):
        get_template_for(as_alice, evil_template.pk)
    with pytest.raises(NotFound):
        create_template(actor=as_alice, name="Stolen", clone_from=evil_template)
    assert not Template.objects.filter(organization__slug="acme").exists()
    assert audit_actions() == before


# --- saving a draft -------------------------------------------------------------------------


def test_saving_a_draft_replaces_its_tasks_and_bumps_its_version(
    as_alice, draft, three_tasks, blueprint, org
):
    replace_draft_tasks(actor=as_alice, version=draft, tasks=three_tasks)
    draft.refresh_from_db()
    assert _keys(draft) == ["prepare", "submit", "open"]
    assert draft.version == 2
    submit = draft.blueprints.get(key="submit")
    assert (submit.phase, submit.approval_levels, submit.sets_stage) == (
        "registration",
        1,
        "under_review",
    )
    assert submit.depends_on == ["prepare"]

    saved = replace_draft_tasks(
        actor=as_alice, version=draft, tasks=[blueprint("only")], expected_version=2
    )
    assert saved.version == 3
    assert _keys(draft) == ["only"]
    assert TaskBlueprint.objects.filter(template_version=draft).count() == 1
    events = AuditEvent.objects.filter(organization=org, action="template.draft_saved")
    assert [e.changes["tasks"] for e in events.order_by("seq")] == [
        {"before": [], "after": ["prepare", "submit", "open"]},
        {"before": ["prepare", "submit", "open"], "after": ["only"]},
    ]
    assert {e.object_type for e in events} == {"templateversion"}


def test_saving_a_draft_against_a_stale_version_is_refused_and_changes_nothing(
    as_alice, draft, three_tasks, blueprint, audit_actions
):
    replace_draft_tasks(actor=as_alice, version=draft, tasks=three_tasks)  # version 1 → 2
    before, actions = _snapshot(draft.template), audit_actions()
    with pytest.raises(StaleVersion) as info:
        replace_draft_tasks(
            actor=as_alice, version=draft, tasks=[blueprint("x")], expected_version=1
        )
    assert info.value.code == "stale_version"
    assert info.value.status == 409
    assert _snapshot(draft.template) == before
    assert audit_actions() == actions


def test_a_draft_may_hold_an_unfinished_plan(as_alice, draft, blueprint):
    """Duplicate keys, cycles and unknown dependencies only block publishing."""
    tasks = [
        blueprint("a", depends_on=["b"]),
        blueprint("b", depends_on=["a", "ghost"]),
        blueprint("a"),
    ]
    replace_draft_tasks(actor=as_alice, version=draft, tasks=tasks)
    assert _keys(draft) == ["a", "b", "a"]


def test_saving_a_draft_with_bad_fields_is_refused_naming_them_and_changes_nothing(
    as_alice, draft, three_tasks, blueprint, audit_actions
):
    replace_draft_tasks(actor=as_alice, version=draft, tasks=three_tasks)
    before, actions = _snapshot(draft.template), audit_actions()
    bad = [
        blueprint("fine"),
        blueprint("odd", phase="shipping", document_types=["selfie"], approval_levels=3),
    ]
    with pytest.raises(InvalidInput) as info:
        replace_draft_tasks(actor=as_alice, version=draft, tasks=bad)
    assert [e.field for e in info.value.errors] == [
        "tasks[1] (odd).phase",
        "tasks[1] (odd).approval_levels",
        "tasks[1] (odd).document_types",
    ]
    assert _snapshot(draft.template) == before
    assert audit_actions() == actions


def test_a_dependency_listed_twice_is_kept_once(as_alice, as_bob, draft, blueprint, entity):
    from linkstar.projects.services import create_project

    tasks = [blueprint("a"), blueprint("b", depends_on=["a", "a"])]
    replace_draft_tasks(actor=as_alice, version=draft, tasks=tasks)
    assert draft.blueprints.get(key="b").depends_on == ["a"]
    publish_version(actor=as_alice, version=draft)
    project = create_project(
        actor=as_bob,
        template_id=draft.template_id,
        store_name="Twice",
        entity_id=entity.pk,
        start_date=dt.date(2026, 11, 2),
    )
    task_b = project.tasks.get(key="b")
    assert list(task_b.depends_on.values_list("key", flat=True)) == ["a"]


def test_a_published_version_cannot_be_edited(as_alice, published, blueprint, audit_actions):
    before, actions = _snapshot(published.template), audit_actions()
    with pytest.raises(Conflict) as info:
        replace_draft_tasks(actor=as_alice, version=published, tasks=[blueprint("x")])
    assert info.value.status == 409
    assert info.value.code == "version_not_draft"
    assert _snapshot(published.template) == before
    assert audit_actions() == actions


def test_a_retired_version_cannot_be_edited(as_alice, published, blueprint):
    retire_version(actor=as_alice, version=published)
    with pytest.raises(Conflict):
        replace_draft_tasks(actor=as_alice, version=published, tasks=[blueprint("x")])
    assert _keys(published) == ["prepare", "submit", "open"]


@pytest.mark.parametrize("who", ["as_bob", "as_carol", "as_frank"])
def test_only_an_admin_may_save_a_draft(request, who, draft, three_tasks, audit_actions):
    actor = request.getfixturevalue(who)
    actions = audit_actions()
    with pytest.raises(PermissionDenied) as info:
        replace_draft_tasks(actor=actor, version=draft, tasks=three_tasks)
    assert info.value.code == "permission_denied"
    assert _keys(draft) == []
    assert audit_actions() == actions


def test_another_organizations_draft_is_not_found(as_alice, evil_template, three_tasks):
    version = evil_template.versions.get()
    with pytest.raises(NotFound):
        replace_draft_tasks(actor=as_alice, version=version, tasks=three_tasks)
    with pytest.raises(NotFound):
        publish_version(actor=as_alice, version=version)
    with pytest.raises(NotFound):
        create_draft_version(actor=as_alice, template=evil_template)
    assert _keys(version) == []
    assert version.status == VersionStatus.DRAFT


# --- built-ins are read-only ----------------------------------------------------------------


def test_a_built_in_template_is_read_only_even_for_an_admin(
    as_alice, amazon_na, blueprint, audit_actions
):
    version = amazon_na.versions.get(number=1)
    before, actions = _snapshot(amazon_na), audit_actions()
    writes = [
        lambda: replace_draft_tasks(actor=as_alice, version=version, tasks=[blueprint("x")]),
        lambda: publish_version(actor=as_alice, version=version),
        lambda: retire_version(actor=as_alice, version=version),
        lambda: create_draft_version(actor=as_alice, template=amazon_na),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied) as info:
            write()
        assert info.value.code == "builtin_readonly"
    assert _snapshot(amazon_na) == before
    assert audit_actions() == actions


# --- publishing -----------------------------------------------------------------------------


def test_publishing_freezes_a_valid_draft(as_alice, draft, three_tasks, org):
    replace_draft_tasks(actor=as_alice, version=draft, tasks=three_tasks)
    version = publish_version(actor=as_alice, version=draft)
    assert version.status == VersionStatus.PUBLISHED
    assert version.published_at is not None
    assert version.published_by == as_alice.user
    assert version.version == 3
    assert latest_published(draft.template) == version
    event = AuditEvent.objects.get(organization=org, action="template.published")
    assert event.object_id == str(version.pk)
    assert event.changes == {"status": {"before": "draft", "after": "published"}}


def test_publishing_refuses_a_dependency_cycle_naming_the_task(
    as_alice, draft, blueprint, audit_actions
):
    tasks = [
        blueprint("start"),
        blueprint("collect", depends_on=["start"]),
        blueprint("a", depends_on=["collect", "c"]),
        blueprint("b", depends_on=["a"]),
        blueprint("c", depends_on=["b"]),
    ]
    replace_draft_tasks(actor=as_alice, version=draft, tasks=tasks)
    before, actions = _snapshot(draft.template), audit_actions()
    with pytest.raises(InvalidInput) as info:
        publish_version(actor=as_alice, version=draft)
    assert info.value.status == 422
    [error] = info.value.errors
    assert error.field == "tasks[2] (a).depends_on"
    assert "a → " in error.message and "b" in error.message and "c" in error.message
    assert _snapshot(draft.template) == before
    assert audit_actions() == actions


@pytest.mark.parametrize(
    ("tasks", "field"),
    [
        ([{"key": "a"}, {"key": "b", "depends_on": ["ghost"]}], "tasks[1] (b).depends_on"),
        ([{"key": "a", "depends_on": ["a"]}], "tasks[0] (a).depends_on"),
        ([{"key": "a"}, {"key": "a"}], "tasks[1] (a).key"),
        ([{"key": "a", "duration_days": -3}], "tasks[0] (a).duration_days"),
        ([{"key": "a", "offset_days": -1}], "tasks[0] (a).offset_days"),
        ([], "tasks"),
    ],
    ids=[
        "unknown-dependency",
        "self-dependency",
        "duplicate-key",
        "negative-duration",
        "negative-offset",
        "empty",
    ],
)
def test_publishing_refuses_a_broken_plan_naming_the_task(
    as_alice, draft, blueprint, audit_actions, tasks, field
):
    replace_draft_tasks(actor=as_alice, version=draft, tasks=[blueprint(**t) for t in tasks])
    actions = audit_actions()
    with pytest.raises(InvalidInput) as info:
        publish_version(actor=as_alice, version=draft)
    assert [e.field for e in info.value.errors] == [field]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert draft.published_at is None
    assert audit_actions() == actions


def test_publishing_twice_is_refused(as_alice, published, audit_actions):
    actions = audit_actions()
    with pytest.raises(TransitionNotAllowed) as info:
        publish_version(actor=as_alice, version=published)
    assert info.value.status == 409
    assert audit_actions() == actions


@pytest.mark.parametrize("who", ["as_bob", "as_carol"])
def test_only_an_admin_may_publish(request, who, as_alice, draft, three_tasks):
    replace_draft_tasks(actor=as_alice, version=draft, tasks=three_tasks)
    with pytest.raises(PermissionDenied):
        publish_version(actor=request.getfixturevalue(who), version=draft)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


# --- new versions and retiring ----------------------------------------------------------------


def test_a_new_draft_is_copied_from_the_latest_version(as_alice, published, org):
    template = published.template
    draft2 = create_draft_version(actor=as_alice, template=template)
    assert (draft2.number, draft2.status) == (2, VersionStatus.DRAFT)
    assert _keys(draft2) == _keys(published) == ["prepare", "submit", "open"]
    assert set(draft2.blueprints.values_list("pk", flat=True)).isdisjoint(
        published.blueprints.values_list("pk", flat=True)
    )
    published.refresh_from_db()
    assert published.status == VersionStatus.PUBLISHED
    event = AuditEvent.objects.get(organization=org, action="template.version_created")
    assert event.object_id == str(draft2.pk)
    assert event.changes == {"number": {"before": None, "after": 2}}


def test_editing_the_new_draft_leaves_the_published_version_frozen(as_alice, published, blueprint):
    draft2 = create_draft_version(actor=as_alice, template=published.template)
    replace_draft_tasks(actor=as_alice, version=draft2, tasks=[blueprint("new")])
    assert _keys(published) == ["prepare", "submit", "open"]
    assert _keys(draft2) == ["new"]


def test_a_second_draft_while_one_exists_is_refused(as_alice, published, audit_actions):
    create_draft_version(actor=as_alice, template=published.template)
    before, actions = _snapshot(published.template), audit_actions()
    with pytest.raises(Conflict) as info:
        create_draft_version(actor=as_alice, template=published.template)
    assert info.value.code == "draft_exists"
    assert _snapshot(published.template) == before
    assert audit_actions() == actions


def test_a_draft_version_1_blocks_a_new_draft(as_alice, draft):
    with pytest.raises(Conflict):
        create_draft_version(actor=as_alice, template=draft.template)
    assert draft.template.versions.count() == 1


def test_retiring_a_published_version(as_alice, published, org):
    version = retire_version(actor=as_alice, version=published)
    assert version.status == VersionStatus.RETIRED
    published.refresh_from_db()
    assert published.status == VersionStatus.RETIRED
    assert latest_published(published.template) is None
    event = AuditEvent.objects.get(organization=org, action="template.retired")
    assert event.changes == {"status": {"before": "published", "after": "retired"}}


def test_only_a_published_version_can_be_retired(as_alice, draft, published, audit_actions):
    draft2 = create_draft_version(actor=as_alice, template=published.template)
    retire_version(actor=as_alice, version=published)
    actions = audit_actions()
    for version in (draft2, published):
        with pytest.raises(TransitionNotAllowed):
            retire_version(actor=as_alice, version=version)
    assert audit_actions() == actions
    draft2.refresh_from_db()
    assert draft2.status == VersionStatus.DRAFT


def test_a_template_lives_through_its_whole_life_with_one_audit_event_per_write(
    as_alice, amazon_na, blueprint, audit_actions
):
    start = len(audit_actions())
    clone = create_template(actor=as_alice, name="Acme 北美", clone_from=amazon_na)
    v1 = clone.versions.get()
    publish_version(actor=as_alice, version=v1)
    v2 = create_draft_version(actor=as_alice, template=clone)
    tasks = [*[dict(bp) for bp in _dicts(v2)], blueprint("extra", phase="launch")]
    replace_draft_tasks(actor=as_alice, version=v2, tasks=tasks)
    publish_version(actor=as_alice, version=v2)
    retire_version(actor=as_alice, version=v1)
    assert audit_actions()[start:] == [
        "template.cloned",
        "template.published",
        "template.version_created",
        "template.draft_saved",
        "template.published",
        "template.retired",
    ]
    assert [(v.number, v.status) for v in clone.versions.order_by("number")] == [
        (1, "retired"),
        (2, "published"),
    ]


def _dicts(version: TemplateVersion) -> list[dict]:
    return [blueprint_as_dict(bp) for bp in version.blueprints.order_by("position")]


# --- reading --------------------------------------------------------------------------------


def test_the_template_list_shows_built_ins_and_own_templates_but_not_another_organizations(
    as_alice, as_mallory, acme_template, evil_template
):
    acme = list(template_list(actor=as_alice))
    assert acme_template in acme
    assert evil_template not in acme
    builtins = Template.objects.filter(organization__isnull=True)
    assert set(builtins) <= set(acme)
    assert len(acme) == builtins.count() + 1
    evil = list(template_list(actor=as_mallory))
    assert evil_template in evil and acme_template not in evil


def test_the_template_list_carries_the_latest_and_published_version_numbers(
    as_alice, published, amazon_na
):
    create_draft_version(actor=as_alice, template=published.template)
    rows = {t.pk: t for t in template_list(actor=as_alice)}
    own = rows[published.template_id]
    assert (own.latest_version_number, own.published_version_number) == (2, 1)
    assert (
        rows[amazon_na.pk].latest_version_number,
        rows[amazon_na.pk].published_version_number,
    ) == (1, 1)


def test_the_template_list_filters_by_site(as_alice, acme_template):
    keys = {t.key or t.name for t in template_list(actor=as_alice, site="amazon-de")}
    assert "amazon-eu" in keys
    assert "amazon-na" not in keys
    assert acme_template.name not in keys
    assert acme_template in template_list(actor=as_alice, site="amazon-us")


def test_another_organizations_template_is_not_found(as_alice, evil_template):
    assert evil_template not in visible_templates(as_alice)
    with pytest.raises(NotFound):
        get_template_for(as_alice, evil_template.pk)


def test_a_missing_version_number_is_not_found(acme_template):
    with pytest.raises(NotFound):
        get_version(acme_template, 7)
