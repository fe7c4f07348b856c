"""Platform facts the Asian, Latin-American and managed-marketplace templates must carry (Shopee,
Lazada, TikTok Shop, Temu, SHEIN, AliExpress, Mercado Libre, Ozon): the EU product-safety steps,
what a fully managed store does and does not ask for, the TikTok Shop markets and routes, the
sites platforms have left, and the words sellers use."""

from __future__ import annotations

import json

import pytest

from linkstar.catalog.services import CATALOG_FILE
from linkstar.playbooks.services import BUILTIN_DIR

TEMPLATES = {
    data["key"]: data
    for data in (json.loads(p.read_text(encoding="utf-8")) for p in BUILTIN_DIR.glob("*.json"))
}
CATALOG = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
PLATFORMS = {p["code"]: p for p in CATALOG["platforms"]}
SITES = {s["code"]: {**s, "platform": p["code"]} for p in CATALOG["platforms"] for s in p["sites"]}
OURS = ("shopee", "lazada", "tiktok-shop", "temu", "shein", "aliexpress", "mercado-libre", "ozon")
OUR_TEMPLATES = {
    key: t for key, t in TEMPLATES.items() if SITES[t["site"]]["platform"] in OURS
}  # fmt: skip
EU = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
      "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}  # fmt: skip
# Marketplaces that sell worldwide, the EU included, from one "global" site.
SELLS_INTO_EU_FROM_GLOBAL = {"aliexpress", "shein"}
VAT_AND_EPR = {
    "vat_certificate",
    "eori_certificate",
    "epr_registration",
    "lucid_registration",
    "packaging_scheme_contract",
    "weee_registration",
}
FULLY_MANAGED = ["temu", "shein-full", "aliexpress-choice"]


def _tasks(key: str) -> dict[str, dict]:
    return {t["key"]: t for t in TEMPLATES[key]["tasks"]}


def _upstream(key: str, task_key: str) -> set[str]:
    tasks = _tasks(key)
    seen, todo = set(), list(tasks[task_key]["depends_on"])
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(tasks[dep]["depends_on"])
    return seen


def _sells_into_eu(template: dict) -> bool:
    for code in template["sites"]:
        site = SITES[code]
        if site["country"] in EU:
            return True
        if site["country"] == "GLOBAL" and site["platform"] in SELLS_INTO_EU_FROM_GLOBAL:
            return True
    return False


EU_TEMPLATES = sorted(key for key, t in OUR_TEMPLATES.items() if _sells_into_eu(t))


def test_the_templates_that_sell_into_the_eu_are_found():
    assert {
        "tiktok-shop-eu",
        "temu",
        "temu-semi",
        "shein-full",
        "shein-semi",
        "aliexpress",
        "aliexpress-choice",
    } <= set(EU_TEMPLATES)


@pytest.mark.parametrize("key", EU_TEMPLATES)
def test_a_template_selling_into_the_eu_names_an_eu_responsible_person_and_labels(key):
    tasks = _tasks(key)
    person = [t for t in tasks.values() if "gpsr_responsible_person" in t["document_types"]]
    labels = [t for t in tasks.values() if "product_safety_label" in t["document_types"]]
    assert person and labels, key
    appoint = tasks["appoint-eu-responsible-person"]
    assert appoint["approval_levels"] >= 1
    assert "GPSR" in appoint["description"] and "2024-12-13" in appoint["description"]
    assert "prepare-gpsr-labels" in tasks
    # Goods reach EU buyers (a listing, or stock sent to a managed warehouse) only after the labels.
    last = "stock-up" if "stock-up" in tasks else "first-listing"
    assert "prepare-gpsr-labels" in _upstream(key, last), key


@pytest.mark.parametrize("key", ["tiktok-shop-eu", "temu-semi", "shein-semi"])
def test_a_store_selling_from_eu_stock_prepares_vat_and_epr(key):
    documents = {d for t in TEMPLATES[key]["tasks"] for d in t["document_types"]}
    assert {"vat_certificate", "epr_registration", "lucid_registration"} <= documents


@pytest.mark.parametrize("key", FULLY_MANAGED)
def test_a_fully_managed_store_asks_for_no_vat_epr_or_foreign_collection_account(key):
    tasks = _tasks(key)
    documents = {d for t in tasks.values() for d in t["document_types"]}
    assert not documents & VAT_AND_EPR, key
    binding = tasks["bind-payout-account"]
    assert binding["approval_levels"] == 2
    assert "人民币" in binding["description"] and "不需要境外收款账户" in binding["description"]
    assert "RMB" in binding["description_en"]


@pytest.mark.parametrize("key", FULLY_MANAGED)
def test_a_fully_managed_store_sends_samples_has_prices_checked_stocks_up_and_is_inspected(key):
    tasks = _tasks(key)
    for step, word in [
        ("send-samples", "寄样"),
        ("price-review", "核价"),
        ("stock-up", "备货"),
        ("quality-inspection", "质检"),
    ]:
        assert word in tasks[step]["title"], (key, step)
    assert {"send-samples", "price-review", "stock-up"} <= _upstream(key, "quality-inspection")
    opened = next(k for k, t in tasks.items() if t["sets_stage"] == "opened")
    assert opened in _upstream(key, "send-samples")


def test_temu_keeps_its_key_for_the_fully_managed_store_and_semi_managed_is_its_own():
    full, semi = TEMPLATES["temu"], TEMPLATES["temu-semi"]
    assert "全托管" in full["name"] and "fully managed" in full["name_en"].lower()
    assert "半托管" in semi["name"] and "semi-managed" in semi["name_en"].lower()
    assert set(full["sites"]) == set(semi["sites"]) == {"temu-us", "temu-uk", "temu-de"}
    assert "提交后不可更改" in _tasks("temu-semi")["choose-store-type"]["description"]
    assert "海外仓" in _tasks("temu-semi")["prepare-overseas-warehouse"]["title"]


def test_the_temu_catalog_rules_differ_by_store_model():
    for site in PLATFORMS["temu"]["sites"]:
        models = site["rules"]["store_models"]
        assert models["fully_managed"]["vat_required"] is False
        assert models["fully_managed"]["epr_required"] is False
        assert models["fully_managed"]["foreign_collection_account"] is False
        assert models["semi_managed"]["local_stock_required"] is True
    de = next(s for s in PLATFORMS["temu"]["sites"] if s["code"] == "temu-de")
    assert de["rules"]["store_models"]["semi_managed"]["vat_required"] is True
    assert de["rules"]["store_models"]["semi_managed"]["epr_required"] is True


def test_tiktok_shop_covers_europe_mexico_and_japan_with_their_own_account_scopes():
    sites = {s["code"]: s for s in PLATFORMS["tiktok-shop"]["sites"]}
    for market in ("de", "fr", "it", "es", "ie"):
        site = sites[f"tiktok-shop-{market}"]
        assert site["country"] == market.upper() and site["currency"] == "EUR"
        assert site["rules"]["account_region"] == "eu"
        assert site["rules"]["gpsr_required"] is True
    assert sites["tiktok-shop-mx"]["rules"]["account_region"] == "mx"
    assert sites["tiktok-shop-jp"]["rules"]["account_region"] == "jp"
    scopes = {s["code"] for s in PLATFORMS["tiktok-shop"]["accounts"]["scopes"]}
    assert {s["rules"]["account_region"] for s in sites.values()} <= scopes
    assert set(TEMPLATES["tiktok-shop-eu"]["sites"]) >= {
        "tiktok-shop-de",
        "tiktok-shop-fr",
        "tiktok-shop-it",
        "tiktok-shop-es",
        "tiktok-shop-ie",
    }


def test_tiktok_shop_us_has_a_cross_border_and_a_us_company_route():
    cross_border, local = _tasks("tiktok-shop-us-cb"), _tasks("tiktok-shop-us-local")
    assert TEMPLATES["tiktok-shop-us-cb"]["sites"] == ["tiktok-shop-us"]
    assert TEMPLATES["tiktok-shop-us-local"]["sites"] == ["tiktok-shop-us"]
    assert "prepare-us-warehouse" in cross_border
    assert "US$500" in cross_border["pay-deposit"]["description"]
    assert "US$1,500" in cross_border["pay-deposit"]["description"]
    local_documents = {d for t in local.values() for d in t["document_types"]}
    assert {"us_company_formation", "ein_letter"} <= local_documents
    assert "business_license" not in local_documents


def test_tiktok_shop_indonesia_is_opened_by_an_indonesian_company_only():
    site = SITES["tiktok-shop-id"]
    assert site["rules"]["local_entity_required"] is True
    assert site["rules"]["cross_border_open"] is False
    template = TEMPLATES["tiktok-shop-id"]
    assert template["sites"] == ["tiktok-shop-id"]
    tasks = _tasks("tiktok-shop-id")
    assert tasks["confirm-route"]["depends_on"] == []
    assert "跨境店不再开放" in tasks["confirm-route"]["description"]
    documents = {d for t in tasks.values() for d in t["document_types"]}
    assert "local_company_registration" in documents and "business_license" not in documents


def test_japan_and_mexico_carry_their_market_rules():
    jp = _tasks("tiktok-shop-jp")
    assert "二选一" in jp["choose-fulfilment-mode"]["title"]
    assert "7 万日元" in jp["pay-deposit"]["description"]
    mx = _tasks("tiktok-shop-mx")
    assert "RFC" in mx["check-rfc"]["title"]
    assert "14 天" in mx["check-eligibility"]["description"]


def test_no_catalog_site_is_in_a_market_shopee_has_left():
    left = {"AR", "CL", "CO", "ES", "FR", "IN", "PL"}
    assert not {s["country"] for s in PLATFORMS["shopee"]["sites"]} & left


def test_shein_follows_temu_in_the_catalog_with_an_account_block():
    codes = [p["code"] for p in CATALOG["platforms"]]
    assert codes.index("shein") == codes.index("temu") + 1
    shein = PLATFORMS["shein"]
    assert shein["accounts"]["scopes"]
    for site in shein["sites"]:
        assert site["rules"]["association_scope"] == "platform"
        assert site["rules"]["account_region"] == "global"
    assert {s["code"] for s in shein["sites"]} == set(TEMPLATES["shein-full"]["sites"]) | set(
        TEMPLATES["shein-semi"]["sites"]
    )


def test_new_document_types_come_after_the_deposit_receipt():
    codes = [d["code"] for d in CATALOG["document_types"]]
    new = [
        "product_test_report",
        "us_company_formation",
        "local_company_registration",
    ]
    assert codes.index("deposit_receipt") < min(codes.index(c) for c in new)


def test_every_tiktok_temu_shein_and_aliexpress_site_has_a_template_of_ours():
    covered = {code for t in OUR_TEMPLATES.values() for code in t["sites"]}
    for platform in ("tiktok-shop", "temu", "shein", "aliexpress"):
        for site in PLATFORMS[platform]["sites"]:
            assert site["code"] in covered, site["code"]


@pytest.mark.parametrize("key", sorted(OUR_TEMPLATES))
def test_deposits_and_fees_are_notes_not_rules(key):
    template = OUR_TEMPLATES[key]
    assert "以平台当期要求为准" in template["description"] or "仅作提示" in template["description"]
    for task in template["tasks"]:
        if "deposit_receipt" in task["document_types"]:
            assert "当期" in task["description"] or "以平台要求" in task["description"], task["key"]


@pytest.mark.parametrize("key", sorted(OUR_TEMPLATES))
def test_templates_use_the_words_sellers_use(key):
    text = json.dumps(OUR_TEMPLATES[key], ensure_ascii=False)
    for avoided in ("被拒", "执行人", "项目闭环", "'needs info'"):
        assert avoided not in text, (key, avoided)
