"""Keyword rules: which phrases of a platform's mail propose which stage, and which sender
domains a platform mails from. Shipped phrases in ``data/rules.json``; an organization adds its
own (``KeywordRule``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from linkstar.projects.rules import stage_move_allowed

RULES_FILE = Path(__file__).parent / "data" / "rules.json"
STAGES = ("needs_info", "opened", "rejected", "under_review")


@lru_cache(maxsize=1)
def shipped() -> dict:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def priority() -> list[str]:
    return list(shipped().get("priority", STAGES))


def sender_domains(platform_code: str) -> list[str]:
    return list(shipped()["platforms"].get(platform_code, {}).get("sender_domains", []))


def platform_of_sender(address: str) -> str:
    """The platform whose domain (or a subdomain of it) sent from ``address``, or ""."""
    domain = (address or "").rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return ""
    best, best_len = "", 0
    for code, data in shipped()["platforms"].items():
        for known in data.get("sender_domains", []):
            if (domain == known or domain.endswith("." + known)) and len(known) > best_len:
                best, best_len = code, len(known)
    return best


def shipped_phrases(platform_code: str) -> list[tuple[str, str]]:
    """(stage, phrase) of the common list and the platform's own."""
    data = shipped()
    own = data["platforms"].get(platform_code, {})
    pairs = []
    for stage in STAGES:
        for phrase in [*data.get("common", {}).get(stage, []), *own.get(stage, [])]:
            pairs.append((stage, phrase))
    return pairs


@dataclass(frozen=True)
class Match:
    stage: str
    phrase: str


def propose(
    *, subject: str, text: str, current_stage: str, phrases: list[tuple[str, str]]
) -> Match | None:
    """The stage the message proposes, if any: the first stage in priority order that one of the
    phrases names (subject or body, case-insensitive) and the stage machine allows from
    ``current_stage``."""
    haystack = f"{subject}\n{text}".casefold()
    found: dict[str, str] = {}
    for stage, phrase in phrases:
        if stage not in found and phrase and phrase.casefold() in haystack:
            found[stage] = phrase
    for stage in priority():
        if stage in found and stage_move_allowed(current_stage, stage):
            return Match(stage=stage, phrase=found[stage])
    return None
