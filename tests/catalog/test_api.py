"""The catalog endpoints: platforms with their sites, one site with its templates, document types."""

from __future__ import annotations

import pytest

from linkstar.catalog.models import DocumentType, Platform, Site


def test_platforms_are_listed_in_the_list_envelope_with_their_sites(api, carol):
    r = api(carol).get("/platforms")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == Platform.objects.count() == len(body["items"])
    platforms = {p["code"]: p for p in body["items"]}
    assert {"amazon", "ebay", "walmart", "shopee", "lazada", "tiktok-shop", "temu"} <= set(
        platforms
    )
    amazon = platforms["amazon"]
    assert amazon["name"] and amazon["name_en"]
    de = next(s for s in amazon["sites"] if s["code"] == "amazon-de")
    assert {"code", "name", "country", "currency", "rules"} <= set(de)
    assert (de["country"], de["currency"], de["language"]) == ("DE", "EUR", "de")
    assert {"vat_required", "local_entity_required", "invitation_only"} <= set(de["rules"])
    nested = sum(len(p["sites"]) for p in body["items"])
    assert nested == Site.objects.count()


def test_platforms_are_paged(api, carol):
    everything = api(carol).get("/platforms").json()
    page = api(carol).get("/platforms", limit=3, offset=2).json()
    assert page["count"] == everything["count"]
    assert [p["code"] for p in page["items"]] == [p["code"] for p in everything["items"][2:5]]


def test_a_page_size_above_the_maximum_is_422(api, carol):
    r = api(carol).get("/platforms", limit=501)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid"


def test_platforms_cost_a_bounded_number_of_queries(api, carol, django_assert_max_num_queries):
    client = api(carol)
    with django_assert_max_num_queries(6):
        assert client.get("/platforms").status_code == 200


def test_a_site_reads_back_with_its_built_in_templates(api, carol):
    r = api(carol).get("/sites/amazon-de")
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == "amazon-de"
    assert body["platform"] == "amazon"
    assert body["currency"] == "EUR"
    assert body["rules"]["vat_required"] is True
    keys = [t["key"] for t in body["templates"]]
    assert "amazon-eu" in keys
    assert "amazon-na" not in keys
    eu = next(t for t in body["templates"] if t["key"] == "amazon-eu")
    assert eu["latest_version"] == 1
    assert eu["name"] and eu["name_en"]


def test_a_site_lists_only_built_in_templates(api, alice, as_alice):
    from linkstar.playbooks.services import create_template

    create_template(actor=as_alice, name="Acme DE", site="amazon-de")
    keys = [t["key"] for t in api(alice).get("/sites/amazon-de").json()["templates"]]
    assert all(keys)
    assert "amazon-eu" in keys


def test_a_site_without_a_built_in_template_has_none(api, carol):
    # Every shipped site has a built-in template (tests/playbooks/test_builtin_coverage.py): a
    # site added to the catalog later starts with none.
    Site.objects.create(
        platform=Platform.objects.get(code="walmart"),
        code="walmart-cl",
        name="沃尔玛智利站",
        country="CL",
        currency="CLP",
        language="es",
    )
    r = api(carol).get("/sites/walmart-cl")
    assert r.status_code == 200
    assert r.json()["templates"] == []


def test_an_unknown_site_is_404_with_detail_and_code(api, carol):
    r = api(carol).get("/sites/amazon-mars")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "not_found"
    assert body["detail"]


def test_document_types_are_listed(api, carol):
    r = api(carol).get("/document-types", limit=500)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == DocumentType.objects.count() == len(body["items"])
    codes = {d["code"] for d in body["items"]}
    assert {
        "business_license", "legal_rep_id_front", "legal_rep_id_back", "passport", "credit_card",
        "bank_statement", "utility_bill", "brand_authorization", "trademark_certificate",
        "vat_certificate", "epr_registration", "w8ben_e",
    } <= codes  # fmt: skip
    licence = next(d for d in body["items"] if d["code"] == "business_license")
    assert licence["name"] == "营业执照"
    assert licence["name_en"] == "Business licence"


@pytest.mark.parametrize("user", ["alice", "frank", "grace", "mallory"])
def test_any_signed_in_user_may_read_the_catalog(request, api, catalog, user):
    client = api(request.getfixturevalue(user))
    for path in ("/platforms", "/sites/amazon-de", "/document-types"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/platforms", "/sites/amazon-de", "/document-types"])
def test_the_catalog_needs_a_token(api, catalog, path):
    for client in (api(), api(token="wrong")):
        r = client.get(path)
        assert r.status_code == 401
        assert r.json()["code"] == "unauthenticated"
        assert r.json()["detail"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_catalog_is_read_only(api, catalog, alice, method):
    client = api(alice)
    call = getattr(client, method)
    r = call("/sites/amazon-de") if method == "delete" else call("/sites/amazon-de", {})
    assert r.status_code == 405
    assert Site.objects.filter(code="amazon-de").exists()
