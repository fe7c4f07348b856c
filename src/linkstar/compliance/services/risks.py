"""Association risks (关联风险): detection, acknowledgement, the batch preview.

Two projects of one organization on the same platform (and the same account region, where the
platform's rule is per region, e.g. Amazon North America) whose entities share an identifier
digest (``entities.Identifier``, a keyed blind index) — found without decrypting anything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.catalog.models import Site
from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.compliance.services.common import clean_reason, kind_label, require_manager
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict
from linkstar.entities.models import Identifier
from linkstar.projects.models import Stage, StoreProject


def open_risks(project: StoreProject):
    """Risks of ``project`` that still block: open, and the other project not cancelled."""
    return (
        AssociationRisk.objects.filter(project_id=project.pk, status=RiskStatus.OPEN)
        .exclude(other_project__stage=Stage.CANCELLED)
        .select_related("other_project")
    )


# --- association risks -----------------------------------------------------------------------


def scope_of(rules: dict | None, platform_id: int, site_id: int) -> tuple:
    """Which projects one platform account may be linked with: the whole platform
    (``association_scope: platform``), or the platform's account region (``account_region``,
    e.g. Amazon ``na``). A site without the rule is its own region."""
    rules = rules or {}
    if rules.get("association_scope") == "platform":
        return (platform_id, "*")
    return (platform_id, rules.get("account_region") or f"site:{site_id}")


@dataclass
class _SiteInfo:
    code: str
    scope: tuple


def _sites() -> dict[int, _SiteInfo]:
    return {
        pk: _SiteInfo(code, scope_of(rules, platform_id, pk))
        for pk, code, platform_id, rules in Site.objects.values_list(
            "pk", "code", "platform_id", "rules"
        )
    }


def _max_peers() -> int:
    return max(1, settings.LINKSTAR_ASSOCIATION_RISK_MAX_PEERS)


DIGEST_CHUNK = 5000  # digests per query: well under SQLite's 32,766 variables


class _Peers:
    """The organization's projects on the sources' platforms whose entities hold any of the
    sources' digests, indexed by (scope, digest): the query joining identifiers on their digest.
    The digests are given as values (not a subquery): planners then look each one up in the
    identifier index, even right after a bulk insert, before statistics exist."""

    def __init__(self, organization_id: int, digests, site_ids, sites):
        self.bucket: dict[tuple, list[int]] = defaultdict(list)
        self.idents: dict[int, dict[str, list[tuple[str, str]]]] = defaultdict(dict)
        self.info: dict[int, tuple[str, str, str]] = {}
        digests = sorted(digests)
        for start in range(0, len(digests), DIGEST_CHUNK):
            rows = (
                StoreProject.objects.filter(
                    organization_id=organization_id,
                    site_id__in=sorted(site_ids),
                    entity__identifiers__digest__in=digests[start : start + DIGEST_CHUNK],
                )
                .exclude(stage=Stage.CANCELLED)
                .order_by("pk")
                .values_list(
                    "pk",
                    "site_id",
                    "code",
                    "store_name",
                    "entity__identifiers__kind",
                    "entity__identifiers__digest",
                    "entity__identifiers__masked",
                )
            )
            for pk, site_id, code, store_name, kind, digest, masked in rows:
                site = sites[site_id]
                held = self.idents[pk]
                if digest not in held:
                    held[digest] = []
                    self.bucket[(site.scope, digest)].append(pk)
                held[digest].append((kind, masked))
                self.info[pk] = (code, store_name, site.code)
        if len(digests) > DIGEST_CHUNK:
            for pks in self.bucket.values():
                pks.sort()

    def peers(self, scope: tuple, digests, *, exclude: int | None, limit: int) -> list[int]:
        """Up to ``limit`` projects in ``scope`` sharing any of ``digests``, lowest id first."""
        found: dict[int, None] = {}
        for digest in sorted(digests):
            for pk in self.bucket.get((scope, digest), ()):
                if pk == exclude or pk in found:
                    continue
                if len(found) >= limit:
                    return list(found)
                found[pk] = None
        return list(found)

    def holds(self, pk: int, scope: tuple, digest: str) -> bool:
        return pk in self.bucket.get((scope, digest), ())


def _digests_of(held: dict[int, dict[str, list]]) -> set[str]:
    return {digest for by_digest in held.values() for digest in by_digest}


def _sites_sharing(sites: dict[int, _SiteInfo], sources) -> list[int]:
    """The sites on the platforms of the sources' sites."""
    platforms = {sites[site_id].scope[0] for _pk, site_id, _e in sources if site_id in sites}
    return [pk for pk, info in sites.items() if info.scope[0] in platforms]


def _source_identifiers(organization_id: int, source_entities) -> dict[int, dict[str, list]]:
    out: dict[int, dict[str, list[tuple[str, str]]]] = defaultdict(dict)
    rows = (
        Identifier.objects.filter(organization_id=organization_id, entity_id__in=source_entities)
        .exclude(digest="")
        .order_by("pk")
        .values_list("entity_id", "kind", "digest", "masked")
    )
    for entity_id, kind, digest, masked in rows:
        out[entity_id].setdefault(digest, []).append((kind, masked))
    return out


def detect_risks(*, organization, projects=None) -> list[AssociationRisk]:
    """Find the association risks of ``projects`` (all the organization's projects when None):
    for each, the other projects of the organization on the same platform account scope whose
    entities share an identifier digest. Each match is stored for both projects (one row per
    shared identifier); new rows are returned. Open risks of these projects whose identifiers
    no longer match are removed; acknowledged ones are kept as history. At most
    ``LINKSTAR_ASSOCIATION_RISK_MAX_PEERS`` other projects are recorded per project and run, so
    one identifier shared by thousands of stores costs a bounded number of rows.
    A fixed number of queries (about seven), whatever the number of projects."""
    org_id = getattr(organization, "pk", organization)
    base = StoreProject.objects.filter(organization_id=org_id).exclude(stage=Stage.CANCELLED)
    if projects is None:
        source_qs = base
    else:
        ids = sorted({getattr(p, "pk", p) for p in projects})
        if not ids:
            return []
        source_qs = base.filter(pk__in=ids)
    sources = list(source_qs.order_by("pk").values_list("pk", "site_id", "entity_id"))
    if not sources:
        return []
    sites = _sites()
    source_entities = (
        source_qs.values("entity_id")
        if projects is None
        else sorted({entity_id for _pk, _s, entity_id in sources})
    )
    mine = _source_identifiers(org_id, source_entities)
    others = _Peers(org_id, _digests_of(mine), _sites_sharing(sites, sources), sites)
    limit = _max_peers()

    found: dict[tuple, str] = {}  # (project, other, kind, digest) → masked
    reverse: dict[int, set[int]] = defaultdict(set)
    source_scope: dict[int, tuple] = {}
    source_digests: dict[int, dict[str, list]] = {}
    for pk, site_id, entity_id in sources:
        site = sites.get(site_id)
        held = mine.get(entity_id)
        if site is None or not held:
            continue
        source_scope[pk], source_digests[pk] = site.scope, held
        for other in others.peers(site.scope, held.keys(), exclude=pk, limit=limit):
            back = reverse[other]
            keep_back = pk in back or len(back) < limit
            if keep_back:
                back.add(pk)
            for digest in held.keys() & others.idents[other].keys():
                for kind, masked in held[digest]:
                    found.setdefault((pk, other, kind, digest), masked)
                if keep_back:
                    for kind, masked in others.idents[other][digest]:
                        found.setdefault((other, pk, kind, digest), masked)

    source_ids = source_qs.values("pk")
    existing = list(
        AssociationRisk.objects.filter(organization_id=org_id)
        .filter(Q(project_id__in=source_ids) | Q(other_project_id__in=source_ids))
        .values_list("pk", "project_id", "other_project_id", "kind", "digest", "status")
    )
    known = set()
    stale = []
    for pk, project_id, other_id, kind, digest, status in existing:
        key = (project_id, other_id, kind, digest)
        known.add(key)
        if status != RiskStatus.OPEN or key in found:
            continue
        if project_id in source_scope:
            still = any(k == kind for k, _m in source_digests[project_id].get(digest, ())) and (
                others.holds(other_id, source_scope[project_id], digest)
            )
        elif other_id in source_scope:
            still = (
                digest in source_digests[other_id]
                and any(k == kind for k, _m in others.idents.get(project_id, {}).get(digest, ()))
                and others.holds(project_id, source_scope[other_id], digest)
            )
        else:  # a source without identifiers or site any more
            still = False
        if not still:
            stale.append(pk)
    if stale:
        AssociationRisk.objects.filter(pk__in=stale).delete()
    new = [
        AssociationRisk(
            organization_id=org_id,
            project_id=project_id,
            other_project_id=other_id,
            kind=kind,
            digest=digest,
            masked=masked,
        )
        for (project_id, other_id, kind, digest), masked in found.items()
        if (project_id, other_id, kind, digest) not in known
    ]
    if new:
        try:
            with transaction.atomic():
                AssociationRisk.objects.bulk_create(new)
        except IntegrityError:  # a concurrent detection stored some of them first: keep those
            AssociationRisk.objects.bulk_create(new, ignore_conflicts=True)
        transaction.on_commit(lambda: notify_new_risks(new))
    return new


def notify_new_risks(risks: list[AssociationRisk]) -> None:
    """Publish one ``risk.detected`` event per new pair of projects sharing an identifier (after
    the detecting transaction commits); the notifications app tells the managers of both."""
    from linkstar.accounts.models import Organization
    from linkstar.core.actors import Actor
    from linkstar.notifications import events
    from linkstar.notifications.kinds import EventKind

    # A shared identifier is stored once from each project's side; the event tells the managers
    # of both projects, so one event per pair, kind and value.
    saved, pairs = [], set()
    for risk in risks:
        pair = (frozenset((risk.project_id, risk.other_project_id)), risk.kind, risk.digest)
        if risk.pk is not None and pair not in pairs:
            pairs.add(pair)
            saved.append(risk)
    if not saved:
        return
    actor = Actor.system(Organization.objects.get(pk=saved[0].organization_id))
    with transaction.atomic():
        events.publish_many(
            EventKind.RISK_DETECTED,
            actor=actor,
            items=[
                {
                    "project_id": risk.project_id,
                    "obj": risk,
                    "data": {
                        "kind": risk.kind,
                        "other_project_id": risk.other_project_id,
                        "masked": risk.masked,
                    },
                }
                for risk in saved
            ],
        )


def after_projects_created(*, projects: list[StoreProject]) -> None:
    """Called by project creation (single and batch), in its transaction: one detection for
    all the new projects."""
    if projects:
        detect_risks(organization=projects[0].organization_id, projects=projects)


def on_project_entity_changed(project: StoreProject) -> list[AssociationRisk]:
    """To call when a project's seller entity changes: its risks are found again, the ones of
    the old entity's identifiers removed while still open."""
    return detect_risks(organization=project.organization_id, projects=[project])


def on_identifiers_changed(entity) -> list[AssociationRisk]:
    """To call (in the same transaction) after an entity's ``Identifier`` rows were added,
    changed or removed: the risks of every project of that entity are found again."""
    ids = list(
        StoreProject.objects.filter(organization_id=entity.organization_id, entity_id=entity.pk)
        .exclude(stage=Stage.CANCELLED)
        .values_list("pk", flat=True)
    )
    return detect_risks(organization=entity.organization_id, projects=ids) if ids else []


@transaction.atomic
def acknowledge_risk(*, actor: Actor, risk: AssociationRisk, reason: str) -> AssociationRisk:
    """The project's manager or an admin accepts one association risk with a documented
    business reason (e.g. the same unified account, or the identifier was replaced on the
    platform). Audited. Acknowledged risks no longer block the move to ``under_review``."""
    risk = (
        AssociationRisk.objects.select_for_update()
        .select_related("project", "other_project")
        .get(pk=risk.pk)
    )
    require_manager(
        actor,
        risk.project,
        _("Only the project's manager or an administrator may acknowledge association risks."),
    )
    reason = clean_reason(reason, ask=_("Give the business reason for accepting this risk."))
    if risk.status == RiskStatus.ACKNOWLEDGED:
        raise Conflict(_("This risk was already acknowledged."), code="risk_acknowledged")
    risk.status = RiskStatus.ACKNOWLEDGED
    risk.acknowledged_by = actor.user
    risk.acknowledged_at = timezone.now()
    risk.reason = reason
    risk.save(
        update_fields=["status", "acknowledged_by", "acknowledged_at", "reason", "updated_at"]
    )
    record(
        actor=actor,
        action="risk.acknowledged",
        obj=risk,
        project_id=risk.project_id,
        changes={
            "status": {"before": RiskStatus.OPEN, "after": RiskStatus.ACKNOWLEDGED},
            "reason": {"before": None, "after": reason},
            "identifier": {"before": None, "after": f"{risk.kind}: {risk.masked}"},
            "other_project": {"before": None, "after": risk.other_project.code},
        },
    )
    return risk


# --- batch preview ---------------------------------------------------------------------------


def _default_site_code(template_version_or_site) -> str | None:
    thing = template_version_or_site
    if thing is None:
        return None
    if isinstance(thing, str):
        return thing
    if isinstance(thing, Site):
        return thing.code
    template = getattr(thing, "template", None) or thing  # a version, or a template
    site = getattr(template, "site", None)
    return site.code if site is not None else None


def preview_batch_risks(*, actor: Actor, template_version_or_site, rows) -> dict[int, list[dict]]:
    """What creating these rows would find, per row index: ``[{kind, kind_label, masked,
    other_project: {id, code, store_name, site} | None, other_row: index | None}]`` — matches
    with existing projects and with other rows of the batch. A warning, never an error; reads
    only (a fixed number of queries). Rows are ``projects.services.ProjectRow``; a row without
    a site takes the template's (or the given site's)."""
    org_id = actor.organization.pk
    default_site = _default_site_code(template_version_or_site)
    sites = _sites()
    by_code = {info.code: pk for pk, info in sites.items()}
    entity_ids = {r.entity_id for r in rows if getattr(r, "entity_id", None)}
    if not entity_ids:
        return {}
    visible = policy.visible_entities(actor).filter(pk__in=sorted(entity_ids))
    mine = _source_identifiers(org_id, sorted(visible.values_list("pk", flat=True)))
    placed = []  # (row index, scope, digests)
    for index, row in enumerate(rows):
        site_id = by_code.get(row.site or default_site or "")
        held = mine.get(row.entity_id)
        if site_id is None or not held:
            continue
        placed.append((index, sites[site_id].scope, held))
    if not placed:
        return {}
    platform_ids = {scope[0] for _i, scope, _h in placed}
    site_ids = [pk for pk, info in sites.items() if info.scope[0] in platform_ids]
    others = _Peers(org_id, _digests_of(mine), site_ids, sites)
    limit = _max_peers()
    row_bucket: dict[tuple, list[int]] = defaultdict(list)
    for position, (_index, scope, held) in enumerate(placed):
        for digest in held:
            row_bucket[(scope, digest)].append(position)
    out: dict[int, list[dict]] = {}
    for position, (index, scope, held) in enumerate(placed):
        evidence = []

        def note(kind, masked, other_project=None, other_row=None, evidence=evidence):
            evidence.append(
                {
                    "kind": kind,
                    "kind_label": kind_label(kind),
                    "masked": masked,
                    "other_project": other_project,
                    "other_row": other_row,
                }
            )

        for other in others.peers(scope, held.keys(), exclude=None, limit=limit):
            code, store_name, site_code = others.info[other]
            project = {"id": other, "code": code, "store_name": store_name, "site": site_code}
            for digest in sorted(held.keys() & others.idents[other].keys()):
                for kind, masked in held[digest]:
                    note(kind, masked, other_project=project)
        fellows: dict[int, None] = {}
        for digest in sorted(held):
            for other_position in row_bucket[(scope, digest)]:
                if other_position != position and len(fellows) < limit:
                    fellows.setdefault(other_position, None)
        for other_position in fellows:
            other_index, _scope, other_held = placed[other_position]
            for digest in sorted(held.keys() & other_held.keys()):
                for kind, masked in held[digest]:
                    note(kind, masked, other_row=other_index)
        if evidence:
            out[index] = evidence
    return out
