"""Platform facts the Amazon, eBay, Walmart, Etsy, Wish, Coupang and Allegro templates and catalog
entries must keep (sources are listed in each template's ``sources``)."""

from __future__ import annotations

import json
import re

import pytest

from linkstar.catalog.services import CATALOG_FILE
from linkstar.playbooks.services import BUILTIN_DIR

CATALOG = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
PLATFORMS = {p["code"]: p for p in CATALOG["platforms"]}
SITES = {s["code"]: s for p in CATALOG["platforms"] for s in p["sites"]}
TEMPLATES = {
    data["key"]: data
    for data in (json.loads(p.read_text(encoding="utf-8")) for p in BUILTIN_DIR.glob("*.json"))
}
OURS = [
    "amazon-na", "amazon-eu", "amazon-jp", "amazon-au", "amazon-me", "amazon-sg", "ebay",
    "walmart-us", "etsy", "wish", "coupang", "allegro",
]  # fmt: skip
# The same words as tests/playbooks/test_builtin.py, applied here to every template of ours.
IDENTITY_STEP = re.compile(r"kyc|identity|verification|real-name|face-recognition")
NOT_IDENTITY_STEP = re.compile(r"^(await|answer|follow)-|postcard")
BINDING_STEP = re.compile(
    r"^(set|bind|link|register)-.*(deposit-method|payout|payoneer|payment-provider|collection)"
)


def _tasks(key: str) -> dict[str, dict]:
    return {t["key"]: t for t in TEMPLATES[key]["tasks"]}


def _upstream(tasks: dict[str, dict], key: str) -> set[str]:
    seen, todo = set(), list(tasks[key]["depends_on"])
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(tasks[k]["depends_on"])
    return seen


def _stage_task(tasks: dict[str, dict], stage: str) -> str:
    return next(k for k, t in tasks.items() if t["sets_stage"] == stage)


def _covering(site: str) -> list[str]:
    return [k for k, t in TEMPLATES.items() if site in (t.get("sites") or [t["site"]])]


# --- every template of ours follows the approval rules ------------------------------------------


@pytest.mark.parametrize("key", OURS)
def test_identity_steps_need_an_approval_and_payout_bindings_two(key):
    tasks = _tasks(key)
    for k, t in tasks.items():
        if IDENTITY_STEP.search(k) and not NOT_IDENTITY_STEP.search(k):
            assert t["approval_levels"] >= 1, k
    bindings = [t for k, t in tasks.items() if BINDING_STEP.search(k)]
    assert bindings, f"{key} has no collection/payout binding step"
    assert all(t["approval_levels"] == 2 for t in bindings)


@pytest.mark.parametrize("key", OURS)
def test_the_submission_waits_for_an_approved_review_and_comes_before_the_opening(key):
    tasks = _tasks(key)
    submission = _stage_task(tasks, "under_review")
    assert any(tasks[k]["approval_levels"] >= 1 for k in _upstream(tasks, submission))
    assert submission in _upstream(tasks, _stage_task(tasks, "opened"))


@pytest.mark.parametrize("key", OURS)
def test_our_templates_were_reviewed_in_this_round(key):
    assert TEMPLATES[key]["reviewed_on"] == "2026-12-07"


# --- Amazon North America ---------------------------------------------------------------------


def test_amazon_na_postcard_verification_is_part_of_registration_before_the_account_opens():
    tasks = _tasks("amazon-na")
    postcard = tasks["postcard-address-verification"]
    assert postcard["phase"] == "registration"
    assert "postcard-address-verification" in _upstream(tasks, _stage_task(tasks, "under_review"))
    assert "postcard-address-verification" in _upstream(tasks, _stage_task(tasks, "opened"))
    keys = list(tasks)
    assert keys.index("postcard-address-verification") < keys.index(_stage_task(tasks, "opened"))
    # China-based sellers enter the address in Chinese characters, not pinyin.
    assert "中文汉字" in postcard["description"]
    assert "Chinese characters" in postcard["description_en"]


def test_amazon_brazil_is_in_the_north_america_unified_account():
    assert "amazon-br" in TEMPLATES["amazon-na"]["sites"]
    assert (
        SITES["amazon-br"]["rules"]["account_region"]
        == SITES["amazon-us"]["rules"]["account_region"]
    )


# --- EU General Product Safety Regulation, batteries, WEEE ---------------------------------------


@pytest.mark.parametrize("key", ["amazon-eu", "ebay", "allegro"])
def test_templates_selling_into_the_eu_appoint_a_responsible_person_then_label(key):
    tasks = _tasks(key)
    person = [t for t in tasks.values() if "gpsr_responsible_person" in t["document_types"]]
    labels = [t for t in tasks.values() if "product_safety_label" in t["document_types"]]
    assert person and labels
    assert any(person[0]["key"] in _upstream(tasks, t["key"]) for t in labels)
    opened = _stage_task(tasks, "opened")
    assert all(opened in _upstream(tasks, t["key"]) for t in person + labels)


def test_every_site_flagged_for_gpsr_is_covered_by_a_template_with_a_responsible_person():
    flagged = [code for code, site in SITES.items() if site["rules"].get("gpsr_required")]
    assert {"amazon-de", "amazon-fr", "ebay-de", "allegro-pl"} <= set(flagged)
    for code in flagged:
        owners = [k for k in _covering(code) if k in OURS]
        for key in owners:
            assert any(
                "gpsr_responsible_person" in t["document_types"] for t in TEMPLATES[key]["tasks"]
            ), (code, key)


@pytest.mark.parametrize("key", ["amazon-eu", "ebay"])
def test_germany_has_weee_and_battery_registration_steps(key):
    docs = {d for t in TEMPLATES[key]["tasks"] for d in t["document_types"]}
    assert {"weee_registration", "battery_registration", "lucid_registration"} <= docs


def test_the_new_document_types_follow_weee_registration():
    codes = [d["code"] for d in CATALOG["document_types"]]
    at = codes.index("weee_registration")
    assert codes[at + 1 : at + 4] == [
        "gpsr_responsible_person",
        "product_safety_label",
        "battery_registration",
    ]
    for item in CATALOG["document_types"][at + 1 : at + 4]:
        assert item["name"] and item["name_en"] and item["description"] and item["description_en"]


# --- Amazon Middle East, Australia, Singapore --------------------------------------------------


def test_amazon_middle_east_asks_for_vat_only_when_stock_is_held_locally():
    assert set(TEMPLATES["amazon-me"]["sites"]) == {"amazon-ae", "amazon-sa"}
    for code in ("amazon-ae", "amazon-sa"):
        rules = SITES[code]["rules"]
        assert rules["vat_required"] is False and rules["vat_required_with_local_stock"] is True
    tasks = _tasks("amazon-me")
    vat = [k for k, t in tasks.items() if "vat_certificate" in t["document_types"]]
    assert set(vat) == {"register-vat-uae", "register-vat-ksa"}
    for k in vat:
        assert "assess-vat-stock" in _upstream(tasks, k)


@pytest.mark.parametrize("site", ["amazon-au", "amazon-sg", "amazon-ae", "amazon-sa", "amazon-br"])
def test_every_amazon_site_has_exactly_one_amazon_template(site):
    assert len(_covering(site)) == 1


# --- Walmart, Wish, Etsy ------------------------------------------------------------------------


def test_walmart_canada_and_mexico_are_by_invitation_after_the_us_opening():
    for code in ("walmart-ca", "walmart-mx"):
        assert SITES[code]["rules"]["invitation_only"] is True
        assert _covering(code) == ["walmart-us"]
    tasks = _tasks("walmart-us")
    assert "confirm-account-activation" in _upstream(tasks, "apply-canada-mexico")
    assert "90" in tasks["apply-canada-mexico"]["description"]


def test_wish_starts_by_checking_that_sign_up_is_still_open():
    tasks = _tasks("wish")
    first = next(iter(tasks))
    assert first == "check-onboarding-status"
    for key in tasks:
        if key != first:
            assert first in _upstream(tasks, key), key


def test_etsy_checks_id_and_selfie_before_the_shop_is_submitted():
    tasks = _tasks("etsy")
    assert "identity-verification" in _upstream(tasks, _stage_task(tasks, "under_review"))
    assert "legal_rep_holding_id_photo" in tasks["identity-verification"]["document_types"]


# --- Coupang and Allegro: new platforms ------------------------------------------------------------


@pytest.mark.parametrize(("platform", "site", "currency"), [
    ("coupang", "coupang-kr", "KRW"), ("allegro", "allegro-pl", "PLN"),
])  # fmt: skip
def test_new_platforms_have_account_scopes_and_their_site(platform, site, currency):
    entry = PLATFORMS[platform]
    scopes = {s["code"] for s in entry["accounts"]["scopes"]}
    rules = SITES[site]["rules"]
    assert rules["account_region"] in scopes and rules["association_scope"] == "platform"
    assert SITES[site]["currency"] == currency
    assert [s["code"] for s in entry["sites"]] == [site]
    assert _covering(site) == [platform]


def test_new_platforms_come_last_in_the_catalog():
    assert [p["code"] for p in CATALOG["platforms"]][-2:] == ["coupang", "allegro"]


def test_coupang_withdrawal_needs_kyc_after_opening():
    tasks = _tasks("coupang")
    assert "confirm-account-activation" in _upstream(tasks, "complete-kyc")
    assert tasks["complete-kyc"]["approval_levels"] >= 1
