"""Loading the shipped catalog (``data/catalog.json``) into the database; idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from linkstar.catalog.models import DocumentType, Platform, Site

CATALOG_FILE = Path(__file__).parent / "data" / "catalog.json"


@transaction.atomic
def load_catalog(*, path: Path = CATALOG_FILE) -> dict[str, int]:
    """Create or update every platform, site and document type of the shipped file.

    Rows are matched by their stable code, so running it again changes nothing and a new release
    of the file updates names and rules in place. Each site's ``rules`` take its platform's
    ``accounts.links_across_scopes`` (does the platform link accounts across its account scopes,
    ``account_region``). ``account_rules_changed`` in the answer says whether any site's account
    scope rules differ from what the database held: association risks must then be found again.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    counts = {"platforms": 0, "sites": 0, "document_types": 0}
    before = {
        code: account_rules(rules) for code, rules in Site.objects.values_list("code", "rules")
    }
    changed = False
    for position, item in enumerate(data["document_types"]):
        DocumentType.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "name_en": item.get("name_en", ""),
                "description": item.get("description", ""),
                "description_en": item.get("description_en", ""),
                "position": position,
            },
        )
        counts["document_types"] += 1
    for p_pos, item in enumerate(data["platforms"]):
        platform, _ = Platform.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "name_en": item.get("name_en", ""),
                "code_prefix": item["code_prefix"],
                "position": p_pos,
            },
        )
        counts["platforms"] += 1
        links = bool(item.get("accounts", {}).get("links_across_scopes", False))
        for s_pos, site in enumerate(item["sites"]):
            rules = {**site.get("rules", {}), "links_across_scopes": links}
            changed = changed or before.get(site["code"]) != account_rules(rules)
            Site.objects.update_or_create(
                code=site["code"],
                defaults={
                    "platform": platform,
                    "name": site["name"],
                    "name_en": site.get("name_en", ""),
                    "country": site["country"],
                    "currency": site["currency"],
                    "language": site["language"],
                    "rules": rules,
                    "review_days": site.get("review_days", 7),
                    "position": s_pos,
                },
            )
            counts["sites"] += 1
    return {**counts, "account_rules_changed": changed}


def account_rules(rules: dict) -> tuple:
    """What association-risk detection reads of a site's rules."""
    return (
        rules.get("association_scope"),
        rules.get("account_region"),
        bool(rules.get("links_across_scopes")),
    )
