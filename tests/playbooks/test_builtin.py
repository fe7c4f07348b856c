"""The built-in SOP templates: how they load, and what every shipped plan must hold."""

from __future__ import annotations

import json
import re

import pytest
from django.db import transaction

from linkstar.catalog.services import CATALOG_FILE, load_catalog
from linkstar.core.exceptions import InvalidInput
from linkstar.playbooks.models import (
    TaskBlueprint,
    Template,
    TemplateVersion,
    VersionStatus,
    blueprint_as_dict,
)
from linkstar.playbooks.services import BUILTIN_DIR, load_builtin_templates
from linkstar.playbooks.validation import field_errors, plan_errors

pytestmark = pytest.mark.usefixtures("english_messages")

SHIPPED = sorted(BUILTIN_DIR.glob("*.json"))
SHIPPED_KEYS = [json.loads(p.read_text(encoding="utf-8"))["key"] for p in SHIPPED]

# The templates the product must ship, found by what they are called rather than by file. Temu,
# SHEIN, AliExpress and TikTok Shop ship one template per store model or market: each is named.
REQUIRED = {
    "amazon-na": ("amazon", "north america"),
    "amazon-eu": ("amazon", "europe"),
    "amazon-jp": ("amazon", "japan"),
    "ebay": ("ebay",),
    "walmart-us": ("walmart",),
    "shopee-cb": ("shopee",),
    "lazada-cb": ("lazada",),
    "tiktok-shop-cb": ("tiktok", "south-east asia"),
    "tiktok-shop-eu": ("tiktok", "europe"),
    "tiktok-shop-us-cb": ("tiktok", "united states", "cross-border"),
    "tiktok-shop-us-local": ("tiktok", "united states", "local"),
    "tiktok-shop-mx": ("tiktok", "mexico"),
    "tiktok-shop-jp": ("tiktok", "japan"),
    "tiktok-shop-id": ("tiktok", "indonesia"),
    "temu": ("temu", "fully managed"),
    "temu-semi": ("temu", "semi-managed"),
    "shein-full": ("shein", "fully managed"),
    "shein-semi": ("shein", "semi-managed"),
    "aliexpress": ("aliexpress", "pop"),
    "aliexpress-choice": ("aliexpress", "choice"),
    "mercado-libre": ("mercado libre",),
    "ozon": ("ozon",),
}

# A step that has the platform check the seller's identity (KYC); follow-up steps of the same
# check ("await-…", "answer-…") and the postcard address code are not such steps.
IDENTITY_STEP = re.compile(r"kyc|identity|verification|real-name|face-recognition")
NOT_IDENTITY_STEP = re.compile(r"^(await|answer|follow)-|postcard")
# A step that binds the account money is paid out to (or collected from).
BINDING_STEP = re.compile(
    r"^(set|bind|link|register)-.*(deposit-method|payout|payoneer|payment-provider|collection)"
)


def _load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _plan(template: Template) -> list[dict]:
    version = template.versions.get(status=VersionStatus.PUBLISHED)
    return [blueprint_as_dict(bp) for bp in version.blueprints.order_by("position")]


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker) -> dict[str, dict]:
    """Every built-in template as loaded into the database, read once for the module: key →
    {"name", "name_en", "sites", "plan"}. The load is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_catalog()
        load_builtin_templates()
        templates = {
            t.key: {
                "name": t.name,
                "name_en": t.name_en,
                "sites": {s.code for s in t.sites.all()},
                "plan": _plan(t),
            }
            for t in Template.objects.filter(organization__isnull=True)
        }
        transaction.set_rollback(True)
    return templates


@pytest.fixture(scope="module")
def required(shipped) -> dict[str, dict]:
    """The required templates, found by the words in their key and names."""
    found = {}
    for name, keywords in REQUIRED.items():
        matches = [
            key
            for key, t in shipped.items()
            if all(k in f"{key} {t['name']} {t['name_en']}".lower() for k in keywords)
        ]
        assert len(matches) == 1, (keywords, matches)
        found[name] = shipped[matches[0]]
    return found


# --- loading --------------------------------------------------------------------------------


def test_every_shipped_template_loads_as_a_published_version_1(catalog):
    keys = {_load(p)["key"] for p in SHIPPED}
    builtins = Template.objects.filter(organization__isnull=True)
    assert set(builtins.values_list("key", flat=True)) == keys
    for path in SHIPPED:
        data = _load(path)
        template = builtins.get(key=data["key"])
        versions = list(template.versions.all())
        assert [(v.number, v.status) for v in versions] == [(1, VersionStatus.PUBLISHED)]
        assert versions[0].published_at is not None
        assert [bp.key for bp in versions[0].blueprints.order_by("position")] == [
            t["key"] for t in data["tasks"]
        ]
        assert template.site.code == data["site"]
        assert {s.code for s in template.sites.all()} >= set(data.get("sites") or [data["site"]])


def test_at_least_the_required_templates_ship(required):
    assert len(SHIPPED) >= len(REQUIRED)
    assert len({id(t) for t in required.values()}) == len(REQUIRED)


def test_loading_the_built_in_templates_again_changes_nothing(catalog):
    before = (
        list(
            TemplateVersion.objects.order_by("pk").values_list("pk", "number", "status", "version")
        ),
        TaskBlueprint.objects.count(),
        Template.objects.count(),
    )
    outcome = load_builtin_templates()
    assert set(outcome.values()) == {"unchanged"}
    assert len(outcome) == len(SHIPPED)
    after = (
        list(
            TemplateVersion.objects.order_by("pk").values_list("pk", "number", "status", "version")
        ),
        TaskBlueprint.objects.count(),
        Template.objects.count(),
    )
    assert after == before


def test_a_changed_file_becomes_a_published_version_2_and_retires_version_1(catalog, tmp_path):
    data = _load(BUILTIN_DIR / "amazon-na.json")
    data["tasks"][0]["title"] = "准备营业执照（新版）"
    data["tasks"].append(
        {
            "key": "plan-advertising",
            "title": "规划站内广告",
            "phase": "launch",
            "offset_days": 40,
            "duration_days": 3,
            "depends_on": ["first-listing"],
            "role": "operator",
        }
    )
    (tmp_path / "amazon-na.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    other_versions = list(
        TemplateVersion.objects.exclude(template__key="amazon-na").values_list("pk", "status")
    )

    outcome = load_builtin_templates(directory=tmp_path)

    assert outcome == {"amazon-na": "updated to v2"}
    template = Template.objects.get(organization__isnull=True, key="amazon-na")
    v1, v2 = template.versions.order_by("number")
    assert (v1.number, v1.status) == (1, VersionStatus.RETIRED)
    assert (v2.number, v2.status) == (2, VersionStatus.PUBLISHED)
    assert v2.published_at is not None
    assert v1.blueprints.order_by("position").first().title == "准备营业执照"
    assert v2.blueprints.order_by("position").first().title == "准备营业执照（新版）"
    assert v2.blueprints.count() == v1.blueprints.count() + 1
    assert v2.blueprints.get(key="plan-advertising").depends_on == ["first-listing"]
    # The other built-ins were not touched.
    assert (
        list(TemplateVersion.objects.exclude(template__key="amazon-na").values_list("pk", "status"))
        == other_versions
    )
    # …and loading the same changed file again is a no-op.
    assert load_builtin_templates(directory=tmp_path) == {"amazon-na": "unchanged"}
    assert template.versions.count() == 2


def test_a_new_file_becomes_a_new_built_in_template(catalog, tmp_path):
    data = {
        "key": "test-new-site",
        "name": "测试模板",
        "name_en": "Test template",
        "site": "etsy-global",
        "tasks": [
            {"key": "a", "title": "A", "phase": "documents"},
            {"key": "b", "title": "B", "phase": "launch", "depends_on": ["a"]},
        ],
    }
    (tmp_path / "new.json").write_text(json.dumps(data), "utf-8")
    assert load_builtin_templates(directory=tmp_path) == {"test-new-site": "created"}
    template = Template.objects.get(key="test-new-site")
    assert template.builtin
    assert [(v.number, v.status) for v in template.versions.all()] == [(1, "published")]
    assert [s.code for s in template.sites.all()] == ["etsy-global"]


def test_a_changed_file_with_a_broken_plan_is_refused_and_keeps_the_published_version(
    catalog, tmp_path
):
    data = _load(BUILTIN_DIR / "temu.json")
    data["tasks"][0]["depends_on"] = [data["tasks"][-1]["key"]]  # closes a cycle
    (tmp_path / "temu.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(InvalidInput) as info:
        load_builtin_templates(directory=tmp_path)
    assert any("cycle" in e.message.lower() for e in info.value.errors)
    template = Template.objects.get(organization__isnull=True, key="temu")
    assert [(v.number, v.status) for v in template.versions.all()] == [(1, "published")]


# --- what every shipped plan holds ------------------------------------------------------------


@pytest.mark.parametrize("key", SHIPPED_KEYS)
def test_every_built_in_plan_is_valid(shipped, key):
    assert plan_errors(shipped[key]["plan"]) == []


def test_every_built_in_plan_uses_only_catalog_document_types_and_known_codes(shipped):
    codes = [d["code"] for d in json.loads(CATALOG_FILE.read_text("utf-8"))["document_types"]]
    for key, template in shipped.items():
        assert field_errors(template["plan"], document_type_codes=codes) == [], key


@pytest.mark.parametrize("key", SHIPPED_KEYS)
def test_every_built_in_plan_has_one_task_for_under_review_and_one_for_opened(shipped, key):
    plan = shipped[key]["plan"]
    stages = [bp["sets_stage"] for bp in plan if bp["sets_stage"]]
    assert stages.count("under_review") == 1
    assert stages.count("opened") == 1
    keys = [bp["key"] for bp in plan]
    under_review = next(bp["key"] for bp in plan if bp["sets_stage"] == "under_review")
    opened = next(bp["key"] for bp in plan if bp["sets_stage"] == "opened")
    assert keys.index(under_review) < keys.index(opened)


@pytest.mark.parametrize("name", REQUIRED)
def test_identity_and_kyc_steps_need_at_least_one_approval(required, name):
    steps = [
        bp
        for bp in required[name]["plan"]
        if IDENTITY_STEP.search(bp["key"]) and not NOT_IDENTITY_STEP.search(bp["key"])
    ]
    for bp in steps:
        assert bp["approval_levels"] >= 1, bp["key"]


@pytest.mark.parametrize("name", REQUIRED)
def test_the_submission_to_the_platform_waits_for_an_approved_document_review(required, name):
    plan = {bp["key"]: bp for bp in required[name]["plan"]}
    submission = next(bp for bp in plan.values() if bp["sets_stage"] == "under_review")
    upstream, todo = set(), list(submission["depends_on"])
    while todo:
        key = todo.pop()
        if key not in upstream:
            upstream.add(key)
            todo.extend(plan[key]["depends_on"])
    gated = [k for k in upstream if plan[k]["approval_levels"] >= 1]
    assert gated, f"{name}: nothing before {submission['key']} needs an approval"


@pytest.mark.parametrize("name", REQUIRED)
def test_binding_the_payout_account_needs_two_approval_levels(required, name):
    bindings = [bp for bp in required[name]["plan"] if BINDING_STEP.search(bp["key"])]
    assert bindings, f"{name} has no payment/collection binding step"
    assert any(bp["approval_levels"] == 2 for bp in bindings)
    for bp in bindings:
        assert bp["approval_levels"] == 2, bp["key"]


def test_amazon_europe_has_vat_and_epr_steps(required):
    plan = required["amazon-eu"]["plan"]
    vat = [bp for bp in plan if re.search(r"(^|-)vat(-|$)", bp["key"])]
    epr = [bp for bp in plan if re.search(r"(^|-)(epr|lucid)(-|$)", bp["key"])]
    assert vat and epr
    assert any("vat_certificate" in bp["document_types"] for bp in vat)
    assert any("epr_registration" in bp["document_types"] for bp in epr)
    # EU compliance follows the account opening (KYC first, then VAT, then EPR).
    keys = [bp["key"] for bp in plan]
    opened = next(bp["key"] for bp in plan if bp["sets_stage"] == "opened")
    assert all(keys.index(bp["key"]) > keys.index(opened) for bp in vat + epr)


def test_amazon_europe_covers_the_european_sites(required):
    assert {"amazon-de", "amazon-fr", "amazon-it", "amazon-es", "amazon-uk"} <= required[
        "amazon-eu"
    ]["sites"]
