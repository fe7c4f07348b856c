"""The shipped catalog: the sites and document types the product promises, loaded idempotently."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from linkstar.catalog.models import DocumentType, Platform, Site
from linkstar.catalog.services import CATALOG_FILE, load_catalog

# The sites of the issue, by platform and market. Temu and the global marketplaces are matched by
# platform only.
REQUIRED_SITES = {
    "amazon": ["us", "ca", "mx", "br", "uk", "de", "fr", "it", "es", "nl", "se", "pl", "jp", "au",
               "sg", "ae", "sa"],
    "ebay": ["us", "uk", "de", "au"],
    "walmart": ["us"],
    "shopee": ["sg", "my", "th", "ph", "vn", "tw", "br", "mx"],
    "lazada": ["my", "sg", "th", "id", "ph", "vn"],
    "tiktok-shop": ["us", "uk", "id", "my", "th", "vn", "ph", "sg"],
    "mercado-libre": ["mx", "br"],
}  # fmt: skip
REQUIRED_PLATFORMS = ["temu", "aliexpress", "mercado-libre", "ozon", "etsy", "wish"]
CURRENCIES = {
    "amazon-us": "USD", "amazon-ca": "CAD", "amazon-mx": "MXN", "amazon-br": "BRL",
    "amazon-uk": "GBP", "amazon-de": "EUR", "amazon-se": "SEK", "amazon-pl": "PLN",
    "amazon-jp": "JPY", "amazon-au": "AUD", "amazon-sg": "SGD", "amazon-ae": "AED",
    "amazon-sa": "SAR", "shopee-tw": "TWD", "shopee-vn": "VND", "lazada-id": "IDR",
    "tiktok-shop-th": "THB", "tiktok-shop-ph": "PHP", "shopee-my": "MYR", "mercado-libre-br": "BRL",
}  # fmt: skip
REQUIRED_DOCUMENT_TYPES = [
    "business_license", "legal_rep_id_front", "legal_rep_id_back", "passport", "credit_card",
    "bank_statement", "utility_bill", "brand_authorization", "trademark_certificate",
    "vat_certificate", "epr_registration", "w8ben_e",
]  # fmt: skip
RULE_KEYS = {"vat_required", "local_entity_required", "invitation_only"}
ALL_REQUIRED_CODES = [
    f"{platform}-{market}" for platform, markets in REQUIRED_SITES.items() for market in markets
]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker) -> dict:
    """The catalog as ``load_catalog`` writes it to the database, read once for the module (the
    load is rolled back afterwards): {"sites": code → row, "document_types": code → row}."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_catalog()
        sites = {
            s.code: {
                "platform": s.platform.code,
                "name": s.name,
                "name_en": s.name_en,
                "country": s.country,
                "currency": s.currency,
                "language": s.language,
                "rules": s.rules,
                "review_days": s.review_days,
                "code_prefix": s.code_prefix,
            }
            for s in Site.objects.select_related("platform")
        }
        document_types = {
            d.code: {"name": d.name, "name_en": d.name_en} for d in DocumentType.objects.all()
        }
        transaction.set_rollback(True)
    return {"sites": sites, "document_types": document_types}


def test_every_site_of_the_issue_exists_with_its_market(loaded):
    sites = loaded["sites"]
    missing = [code for code in ALL_REQUIRED_CODES if code not in sites]
    assert missing == []
    for code in ALL_REQUIRED_CODES:
        platform, market = code.rsplit("-", 1)
        assert sites[code]["platform"] == platform
        assert sites[code]["country"] == ("GB" if market == "uk" else market.upper()), code
        assert sites[code]["name"] and sites[code]["name_en"], code


def test_every_platform_of_the_issue_has_a_site(loaded):
    platforms = {site["platform"] for site in loaded["sites"].values()}
    assert set(REQUIRED_PLATFORMS) <= platforms
    assert "temu-us" in loaded["sites"]


def test_every_site_has_a_currency_a_language_and_the_checklist_rules(loaded):
    assert len(loaded["sites"]) >= len(ALL_REQUIRED_CODES) + len(REQUIRED_PLATFORMS) - 1
    for code, site in loaded["sites"].items():
        assert len(site["currency"]) == 3 and site["currency"].isupper(), code
        assert site["language"], code
        assert set(site["rules"]) >= RULE_KEYS, code
        assert all(isinstance(site["rules"][k], bool) for k in RULE_KEYS), code
        assert site["review_days"] > 0, code


def test_sites_carry_their_local_currency(loaded):
    assert {code: loaded["sites"][code]["currency"] for code in CURRENCIES} == CURRENCIES


def test_sites_carry_their_language(loaded):
    languages = {code: site["language"] for code, site in loaded["sites"].items()}
    assert languages["amazon-de"] == "de"
    assert languages["amazon-jp"] == "ja"
    assert languages["amazon-us"] == "en"
    assert languages["shopee-br"] == "pt"
    assert languages["mercado-libre-mx"] == "es"


def test_european_marketplaces_require_vat(loaded):
    for code in ("amazon-de", "amazon-fr", "amazon-uk", "ebay-de"):
        assert loaded["sites"][code]["rules"]["vat_required"] is True, code


def test_site_codes_give_a_project_code_prefix(loaded):
    assert loaded["sites"]["amazon-us"]["code_prefix"] == "AMZ-US"
    assert loaded["sites"]["shopee-br"]["code_prefix"] == "SHP-BR"


def test_every_promised_document_type_exists_with_a_bilingual_name(loaded):
    document_types = loaded["document_types"]
    assert [code for code in REQUIRED_DOCUMENT_TYPES if code not in document_types] == []
    for code in REQUIRED_DOCUMENT_TYPES:
        assert document_types[code]["name"] and document_types[code]["name_en"], code


def test_the_business_licence_is_named_in_chinese_and_english(loaded):
    assert loaded["document_types"]["business_license"] == {
        "name": "营业执照",
        "name_en": "Business licence",
    }


def test_loading_the_catalog_again_changes_nothing(catalog):
    def snapshot():
        return (
            list(Platform.objects.order_by("pk").values()),
            list(Site.objects.order_by("pk").values()),
            list(DocumentType.objects.order_by("pk").values()),
        )

    before = snapshot()
    counts = load_catalog()
    assert snapshot() == before
    assert counts == {
        "platforms": len(before[0]),
        "sites": len(before[1]),
        "document_types": len(before[2]),
        "account_rules_changed": False,
    }


def test_the_catalog_loads_into_an_empty_database(db):
    counts = load_catalog()
    data = json.loads(CATALOG_FILE.read_text("utf-8"))
    assert counts["platforms"] == Platform.objects.count() == len(data["platforms"])
    assert counts["document_types"] == DocumentType.objects.count() == len(data["document_types"])
    assert (
        counts["sites"] == Site.objects.count() == sum(len(p["sites"]) for p in data["platforms"])
    )


def test_a_new_release_of_the_catalog_updates_rows_in_place(catalog, tmp_path):
    data = json.loads(CATALOG_FILE.read_text("utf-8"))
    amazon = next(p for p in data["platforms"] if p["code"] == "amazon")
    de = next(s for s in amazon["sites"] if s["code"] == "amazon-de")
    de["name_en"] = "Amazon Germany"
    de["rules"] = {**de["rules"], "invitation_only": True}
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    pk = Site.objects.get(code="amazon-de").pk
    count = Site.objects.count()

    load_catalog(path=path)

    site = Site.objects.get(code="amazon-de")
    assert site.pk == pk
    assert site.name_en == "Amazon Germany"
    assert site.rules["invitation_only"] is True
    assert Site.objects.count() == count
