"""Association risks (关联风险): detection, acknowledgement, the batch preview.

Platforms link seller accounts through shared identifiers, and each platform's accounts cover a
scope of sites (the catalog's ``account_region``: Amazon's North America unified account covers
US, CA, MX and BR; one Shopee main account covers every cross-border site). The rules:

- projects on different platforms are never a risk;
- the same seller entity on sites of one account scope is one account, and on another scope of the
  same platform a normal, linked account: no risk — but two projects of one entity for the *same
  site* are a second account in that scope: a risk;
- different entities sharing any identifier (the entities' own, and each store's registration
  environment: email, phone, IP / proxy, device profile) on the same platform are a risk in the
  same scope, and in any scope when the platform links accounts across scopes (Amazon).

One risk per pair of projects (``project_id < other_project_id``), listing every shared
identifier, matched on keyed blind indexes without decrypting anything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.translation import gettext as _

from linkstar.accounts.models import Organization
from linkstar.audit.services import Entry, record_many
from linkstar.catalog.models import Site
from linkstar.compliance.models import (
    AssociationRisk,
    CloseReason,
    RiskBasis,
    RiskStatus,
    StoreIdentifier,
    orient,
)
from linkstar.compliance.services.common import clean_reason, kind_label
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from linkstar.entities.models import Identifier
from linkstar.entities.selectors import visible_entities
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects import visibility
from linkstar.projects.models import Stage, StoreProject


def open_risks(project: StoreProject, *, limit: int | None = None) -> list[AssociationRisk]:
    """Risks of ``project`` (from either side) that still block: open, and the other project
    not cancelled; each seen from ``project`` (``other_project`` is the other one)."""
    pk = project.pk
    rows = (
        AssociationRisk.objects.filter(status=RiskStatus.OPEN)
        .filter(
            Q(project_id=pk) & ~Q(other_project__stage=Stage.CANCELLED)
            | Q(other_project_id=pk) & ~Q(project__stage=Stage.CANCELLED)
        )
        .select_related("project", "other_project")
        .order_by("pk")
    )
    return [orient(r, pk) for r in (rows[:limit] if limit is not None else rows)]


# --- association risks -----------------------------------------------------------------------


def scope_of(rules: dict | None, platform_id: int, site_id: int) -> tuple:
    """The platform account scope of a site: the whole platform (``association_scope:
    platform``), or the platform's account region (``account_region``, e.g. Amazon ``na``). A
    site without the rule is its own scope."""
    rules = rules or {}
    if rules.get("association_scope") == "platform":
        return (platform_id, "*")
    return (platform_id, rules.get("account_region") or f"site:{site_id}")


@dataclass
class _SiteInfo:
    code: str
    scope: tuple
    links_across: bool

    @property
    def platform(self) -> int:
        return self.scope[0]


def _sites() -> dict[int, _SiteInfo]:
    return {
        pk: _SiteInfo(
            code,
            scope_of(rules, platform_id, pk),
            bool((rules or {}).get("links_across_scopes")),
        )
        for pk, code, platform_id, rules in Site.objects.values_list(
            "pk", "code", "platform_id", "rules"
        )
    }


def _max_peers() -> int:
    return max(1, settings.LINKSTAR_ASSOCIATION_RISK_MAX_PEERS)


DIGEST_CHUNK = 5000  # digests per query: well under SQLite's 32,766 variables


@dataclass
class _Store:
    """One project as detection sees it."""

    pk: int
    site_id: int
    entity_id: int
    code: str = ""
    store_name: str = ""
    held: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # digest → [(kind, masked)]

    def hold(self, kind: str, digest: str, masked: str) -> None:
        kinds = self.held.setdefault(digest, [])
        if all(k != kind for k, _m in kinds):
            kinds.append((kind, masked))


def _chunks(values):
    values = sorted(values)
    for start in range(0, len(values), DIGEST_CHUNK):
        yield values[start : start + DIGEST_CHUNK]


class _Graph:
    """The organization's live projects on the given platforms that hold any of the given
    digests (through their entity or their own registration environment), or belong to the given
    entities on the given sites — with every identifier each holds among those digests.
    A fixed number of queries per 5,000 digests. Digests are given as values (not a subquery):
    planners then look each one up in the identifier index, even right after a bulk insert."""

    def __init__(self, organization_id: int, *, digests, site_ids, entity_sites=()):
        self.stores: dict[int, _Store] = {}
        self.bucket: dict[tuple[int, str], list[int]] = defaultdict(list)  # (platform, digest)
        self.by_entity_site: dict[tuple[int, int], list[int]] = defaultdict(list)
        live = StoreProject.objects.filter(organization_id=organization_id).exclude(
            stage=Stage.CANCELLED
        )
        fields = ("pk", "site_id", "entity_id", "code", "store_name")
        site_ids = sorted(site_ids)
        for chunk in _chunks(digests):
            rows = (
                live.filter(site_id__in=site_ids, entity__identifiers__digest__in=chunk)
                .order_by("pk")
                .values_list(
                    *fields,
                    "entity__identifiers__kind",
                    "entity__identifiers__digest",
                    "entity__identifiers__masked",
                )
            )
            for *head, kind, digest, masked in rows:
                self._store(*head).hold(kind, digest, masked)
            rows = (
                StoreIdentifier.objects.filter(
                    organization_id=organization_id,
                    digest__in=chunk,
                    project__site_id__in=site_ids,
                )
                .exclude(project__stage=Stage.CANCELLED)
                .order_by("project_id")
                .values_list(
                    "project_id",
                    "project__site_id",
                    "project__entity_id",
                    "project__code",
                    "project__store_name",
                    "kind",
                    "digest",
                    "masked",
                )
            )
            for *head, kind, digest, masked in rows:
                self._store(*head).hold(kind, digest, masked)
        entity_ids = sorted({e for e, _s in entity_sites})
        if entity_ids:
            rows = (
                live.filter(
                    entity_id__in=entity_ids, site_id__in=sorted({s for _e, s in entity_sites})
                )
                .order_by("pk")
                .values_list(*fields)
            )
            for head in rows:
                self._store(*head)

    def _store(self, pk, site_id, entity_id, code, store_name) -> _Store:
        store = self.stores.get(pk)
        if store is None:
            store = self.stores[pk] = _Store(pk, site_id, entity_id, code, store_name)
            self.by_entity_site[(entity_id, site_id)].append(pk)
        return store

    def index(self, sites: dict[int, _SiteInfo]) -> None:
        for store in sorted(self.stores.values(), key=lambda s: s.pk):
            platform = sites[store.site_id].platform
            for digest in store.held:
                self.bucket[(platform, digest)].append(store.pk)


@dataclass
class _Finding:
    basis: str
    identifiers: list[dict]


def judge(me: _Store, other: _Store, sites: dict[int, _SiteInfo]) -> _Finding | None:
    """The rules of the module docstring for two stores: a finding, or None when the platform
    would not link them."""
    mine, theirs = sites[me.site_id], sites[other.site_id]
    if mine.platform != theirs.platform:
        return None
    held = me.held
    shared = [
        {"kind": kind, "digest": digest, "masked": masked}
        for digest in sorted(held.keys() & other.held.keys())
        for kind, masked in held[digest][:1]
    ]
    if me.entity_id == other.entity_id:
        if me.site_id != other.site_id:
            return None  # the same account, or the entity's linked account in another scope
        return _Finding(RiskBasis.SECOND_ACCOUNT, shared)
    if not shared or not (mine.scope == theirs.scope or mine.links_across):
        return None
    return _Finding(RiskBasis.SHARED_IDENTIFIERS, shared)


def _hold_identifiers(
    organization_id: int, stores: dict[int, _Store], *, environment: bool
) -> None:
    """Give each store its entity's identifiers and, with ``environment``, its own registration
    environment's (one query each)."""
    by_entity = defaultdict(list)
    for store in stores.values():
        by_entity[store.entity_id].append(store)
    rows = (
        Identifier.objects.filter(organization_id=organization_id, entity_id__in=sorted(by_entity))
        .exclude(digest="")
        .order_by("pk")
        .values_list("entity_id", "kind", "digest", "masked")
    )
    for entity_id, kind, digest, masked in rows:
        for store in by_entity[entity_id]:
            store.hold(kind, digest, masked)
    if not environment:
        return
    rows = (
        StoreIdentifier.objects.filter(
            organization_id=organization_id, project_id__in=sorted(stores)
        )
        .exclude(digest="")
        .order_by("pk")
        .values_list("project_id", "kind", "digest", "masked")
    )
    for project_id, kind, digest, masked in rows:
        stores[project_id].hold(kind, digest, masked)


def _source_stores(organization_id: int, sources) -> dict[int, _Store]:
    """The sources with their own identifiers: their entity's and their registration
    environment's (two queries)."""
    stores = {pk: _Store(pk, site_id, entity_id) for pk, site_id, entity_id in sources}
    _hold_identifiers(organization_id, stores, environment=True)
    return stores


def _find(
    organization_id: int, stores: dict[int, _Store], sites, truncated: set | None = None
) -> dict[tuple, _Finding]:
    """Every pair (low id, high id) that the rules make a risk, for the given stores against
    the organization's live projects (and each other): at most ``_max_peers()`` others each.
    The stores that had more are added to ``truncated`` (their other pairs were not judged)."""
    placed = {pk: st for pk, st in stores.items() if st.site_id in sites}
    platforms = {sites[st.site_id].platform for st in placed.values()}
    site_ids = [pk for pk, info in sites.items() if info.platform in platforms]
    graph = _Graph(
        organization_id,
        digests={d for st in placed.values() for d in st.held},
        site_ids=site_ids,
        entity_sites={(st.entity_id, st.site_id) for st in placed.values()},
    )
    for pk, st in placed.items():  # a source not stored yet (the preview's rows)
        if pk not in graph.stores:
            graph.stores[pk] = st
            graph.by_entity_site[(st.entity_id, st.site_id)].append(pk)
    graph.index(sites)
    limit = _max_peers()
    found: dict[tuple, _Finding] = {}
    for pk in sorted(placed):
        me = placed[pk]
        platform = sites[me.site_id].platform
        candidates: dict[int, None] = {}
        for other in graph.by_entity_site[(me.entity_id, me.site_id)]:
            candidates.setdefault(other, None)
        for digest in sorted(me.held):
            for other in graph.bucket.get((platform, digest), ()):
                candidates.setdefault(other, None)
        kept = 0
        for other_pk in candidates:
            if other_pk == pk:
                continue
            other = graph.stores[other_pk]
            finding = judge(me, other, sites)
            if finding is None:
                continue
            if kept >= limit:
                if truncated is not None:
                    truncated.add(pk)
                break
            kept += 1
            found.setdefault((min(pk, other_pk), max(pk, other_pk)), finding)
    return found


def _fill(risk: AssociationRisk, finding: _Finding) -> None:
    risk.basis = finding.basis
    risk.identifiers = finding.identifiers
    first = finding.identifiers[0] if finding.identifiers else None
    risk.kind = first["kind"] if first else "entity"
    risk.digest = first["digest"] if first else ""
    risk.masked = first["masked"] if first else ""
    risk.kinds = " " + " ".join(sorted({i["kind"] for i in finding.identifiers})) + " "


def detect_risks(
    *, organization, projects=None, close_reason: str = CloseReason.IDENTIFIERS_CHANGED
) -> list[AssociationRisk]:
    """Find the association risks of ``projects`` (all the organization's projects when None)
    under the rules of this module; store one risk per new pair and return the new (or
    reopened) ones. Open risks of these projects that no longer hold are closed with
    ``close_reason``; acknowledged ones are kept as they are. At most
    ``LINKSTAR_ASSOCIATION_RISK_MAX_PEERS`` other projects are recorded per project and run, so
    one identifier shared by thousands of stores costs a bounded number of rows.
    A fixed number of queries, whatever the number of projects."""
    return _detect(organization=organization, projects=projects, close_reason=close_reason)[0]


def _detect(*, organization, projects, close_reason) -> tuple[list[AssociationRisk], int]:
    org_id = getattr(organization, "pk", organization)
    sources = _source_projects(org_id, projects)
    if not sources:
        return [], 0
    sites = _sites()
    truncated: set[int] = set()
    found = _find(org_id, _source_stores(org_id, sources), sites, truncated)

    existing = _existing_risks(org_id, [pk for pk, _s, _e in sources])
    now = clock.now()
    changed, reopened, closed = _judge_existing(existing, found, truncated, now, close_reason)
    _save_judged([*changed, *closed], now)
    new = _store_new_risks(org_id, found, existing)
    told = [r for r in [*new, *reopened] if r.pk is not None]
    if told:
        transaction.on_commit(lambda: notify_new_risks(told))
    return [*new, *reopened], len(closed)


def _source_projects(org_id: int, projects) -> list[tuple[int, int, int]]:
    """(pk, site id, entity id) of the live projects to judge: ``projects``, or all when None."""
    base = StoreProject.objects.filter(organization_id=org_id).exclude(stage=Stage.CANCELLED)
    if projects is None:
        source_qs = base
    else:
        ids = sorted({getattr(p, "pk", p) for p in projects})
        if not ids:
            return []
        source_qs = base.filter(pk__in=ids)
    return list(source_qs.order_by("pk").values_list("pk", "site_id", "entity_id"))


def _existing_risks(org_id: int, source_ids: list[int]) -> dict[tuple[int, int], AssociationRisk]:
    """(project, other project) → the stored risk of a pair with one of ``source_ids``,
    annotated ``cancelled`` when either project is."""
    return {
        (r.project_id, r.other_project_id): r
        for r in AssociationRisk.objects.filter(organization_id=org_id)
        .filter(Q(project_id__in=source_ids) | Q(other_project_id__in=source_ids))
        .annotate(
            cancelled=ExpressionWrapper(
                Q(project__stage=Stage.CANCELLED) | Q(other_project__stage=Stage.CANCELLED),
                output_field=BooleanField(),
            )
        )
    }


def _judge_existing(existing: dict, found: dict, truncated: set[int], now, close_reason: str):
    """The stored risks against this run's findings: (changed, reopened, closed). An open risk
    found no more is closed (as cancelled when a project is); a closed one found again
    reopened."""
    changed, reopened, closed = [], [], []
    for key, risk in existing.items():
        finding = found.get(key)
        if finding is None:
            # a pair the peer limit kept from being judged again is left as it is
            if risk.status == RiskStatus.OPEN and not (truncated & set(key)):
                risk.status, risk.closed_at = RiskStatus.CLOSED, now
                risk.close_reason = (
                    CloseReason.PROJECT_CANCELLED if risk.cancelled else close_reason
                )
                closed.append(risk)
            continue
        before = (risk.basis, risk.identifiers, risk.status)
        _fill(risk, finding)
        if risk.status == RiskStatus.CLOSED:
            risk.status, risk.closed_at, risk.close_reason = RiskStatus.OPEN, None, ""
            reopened.append(risk)
        if (risk.basis, risk.identifiers, risk.status) != before:
            changed.append(risk)
    return changed, reopened, closed


def _save_judged(update: list[AssociationRisk], now) -> None:
    if update:
        for risk in update:
            risk.updated_at = now
        AssociationRisk.objects.bulk_update(
            update,
            [
                "basis",
                "identifiers",
                "kinds",
                "kind",
                "digest",
                "masked",
                "status",
                "closed_at",
                "close_reason",
                "updated_at",
            ],
        )


def _store_new_risks(org_id: int, found: dict, existing: dict) -> list[AssociationRisk]:
    """A risk stored for each pair found that has none yet."""
    new = []
    for key, finding in found.items():
        if key in existing:
            continue
        risk = AssociationRisk(organization_id=org_id, project_id=key[0], other_project_id=key[1])
        _fill(risk, finding)
        new.append(risk)
    if new:
        try:
            with transaction.atomic():
                AssociationRisk.objects.bulk_create(new)
        except IntegrityError:  # a concurrent detection stored some of them first: keep those
            AssociationRisk.objects.bulk_create(new, ignore_conflicts=True)
    return new


@transaction.atomic
def recheck_all_risks() -> dict[str, int]:
    """Every organization's risks found again (after the catalog's account rules changed):
    risks that no longer hold are closed with the reason "rules changed"; acknowledged ones
    keep their history. Answers ``{"opened", "closed"}``."""
    opened = closed = 0
    org_ids = StoreProject.objects.order_by().values_list("organization_id", flat=True).distinct()
    for org_id in sorted(set(org_ids)):
        new, n_closed = _detect(
            organization=org_id, projects=None, close_reason=CloseReason.RULES_CHANGED
        )
        opened += len(new)
        closed += n_closed
    return {"opened": opened, "closed": closed}


def notify_new_risks(risks: list[AssociationRisk]) -> None:
    """Publish one ``risk.detected`` event per new pair of projects (after the detecting
    transaction commits), all in one publication: the notifications app tells the managers of
    both projects, one summary per person for a batch."""

    saved = [r for r in risks if r.pk is not None]
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
                        "identifiers": len(risk.identifiers),
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


def may_acknowledge(actor: Actor, risk: AssociationRisk) -> bool:
    """An admin, or the manager of either project of the pair (each side is blocked by it)."""
    return any(
        p.status == "active" and policy.can(actor, "project.update", p)
        for p in (risk.project, risk.other_project)
    )


def acknowledge_risk(*, actor: Actor, risk: AssociationRisk, reason: str) -> AssociationRisk:
    """The manager of either project, or an admin, accepts one association risk with a
    documented business reason (e.g. the same unified account, or the identifier was replaced
    on the platform). Audited. Acknowledged risks no longer block the move to
    ``under_review`` for either project."""
    return acknowledge_risks(actor=actor, risk_ids=[risk.pk], reason=reason)[0]


MAX_ACKNOWLEDGE = 500


@transaction.atomic
def acknowledge_risks(*, actor: Actor, risk_ids, reason: str) -> list[AssociationRisk]:
    """Accept several association risks with one business reason: all or nothing (a risk the
    actor may not accept, or one not open, refuses the whole request naming it), each risk
    audited on its own (``risk.acknowledged``, recorded for both projects)."""
    ids = sorted({int(i) for i in risk_ids or []})
    if not ids:
        raise InvalidInput(FieldError("risk_ids", _("Choose at least one risk.")))
    if len(ids) > MAX_ACKNOWLEDGE:
        raise InvalidInput(
            FieldError("risk_ids", _("At most %(n)d risks at once.") % {"n": MAX_ACKNOWLEDGE})
        )
    visible = visibility.visible_projects(actor).values("pk")
    risks = list(
        AssociationRisk.objects.select_for_update()
        .filter(organization_id=actor.organization.pk, pk__in=ids)
        .filter(Q(project__in=visible) | Q(other_project__in=visible))
        .select_related("project", "other_project")
        .order_by("pk")
    )
    missing = sorted(set(ids) - {r.pk for r in risks})
    if missing:
        raise NotFound(
            _("No such association risk: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
        )
    reason = clean_reason(reason, ask=_("Give the business reason for accepting this risk."))
    seen = set(
        visibility.visible_projects(actor)
        .filter(pk__in=sorted({pk for r in risks for pk in (r.project_id, r.other_project_id)}))
        .values_list("pk", flat=True)
    )
    for risk in risks:
        pair = " ~ ".join(
            p.code if p.pk in seen else _("another project")
            for p in (risk.project, risk.other_project)
        )
        if not may_acknowledge(actor, risk):
            raise PermissionDenied(
                _(
                    "Only a manager of one of the two projects or an administrator may "
                    "acknowledge association risks (%(pair)s)."
                )
                % {"pair": pair}
            )
        if risk.status == RiskStatus.ACKNOWLEDGED:
            raise Conflict(
                _("This risk was already acknowledged (%(pair)s).") % {"pair": pair},
                code="risk_acknowledged",
            )
        if risk.status != RiskStatus.OPEN:
            raise Conflict(
                _("This risk no longer holds (%(pair)s).") % {"pair": pair}, code="risk_closed"
            )
    now = clock.now()
    entries = []
    for risk in risks:
        risk.status = RiskStatus.ACKNOWLEDGED
        risk.acknowledged_by = actor.user
        risk.acknowledged_at = now
        risk.reason = reason
        risk.updated_at = now
        shown = ", ".join(f"{kind_label(i['kind'])}: {i['masked']}" for i in risk.identifiers)
        entries.append(
            Entry(
                action="risk.acknowledged",
                object_type=risk._meta.model_name,
                object_id=risk.pk,
                object_repr=str(risk),
                project_id=risk.project_id,
                changes={
                    "status": {"before": RiskStatus.OPEN, "after": RiskStatus.ACKNOWLEDGED},
                    "reason": {"before": None, "after": reason},
                    "identifier": {"before": None, "after": shown or basis_label(risk.basis)},
                    "other_project": {"before": None, "after": risk.other_project.code},
                },
            )
        )
    AssociationRisk.objects.bulk_update(
        risks, ["status", "acknowledged_by", "acknowledged_at", "reason", "updated_at"]
    )
    record_many(actor=actor, entries=entries)
    return risks


def basis_label(basis: str) -> str:
    try:
        return str(RiskBasis(basis).label)
    except ValueError:
        return basis


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
    """What creating these rows would find, per row index: one item per project or row the row
    could be linked with, ``{basis, basis_label, identifiers: [{kind, kind_label, masked}],
    kind, kind_label, masked (the first identifier), other_project: {id, code, store_name,
    site} | None, other_row: index | None}`` — under the same rules as detection, against
    existing projects and the other rows of the batch. A warning, never an error; reads only (a
    fixed number of queries). Rows are ``projects.services.ProjectRow``; a row without a site
    takes the template's (or the given site's)."""
    org_id = actor.organization.pk
    default_site = _default_site_code(template_version_or_site)
    sites = _sites()
    by_code = {info.code: pk for pk, info in sites.items()}
    entity_ids = {r.entity_id for r in rows if getattr(r, "entity_id", None)}
    if not entity_ids:
        return {}
    visible = set(
        visible_entities(actor).filter(pk__in=sorted(entity_ids)).values_list("pk", flat=True)
    )
    stores: dict[int, _Store] = {}
    for index, row in enumerate(rows):
        site_id = by_code.get(row.site or default_site or "")
        if site_id is None or row.entity_id not in visible:
            continue
        pk = -(index + 1)  # a row: not a project yet
        stores[pk] = _Store(pk, site_id, row.entity_id)
    if not stores:
        return {}
    _hold_identifiers(org_id, stores, environment=False)
    found = _find(org_id, stores, sites)
    if not found:
        return {}
    others = {pk for pair in found for pk in pair if pk > 0}
    info = {
        pk: {"id": pk, "code": code, "store_name": name, "site": site_code}
        for pk, code, name, site_code in StoreProject.objects.filter(pk__in=sorted(others))
        .order_by("pk")
        .values_list("pk", "code", "store_name", "site__code")
    }
    out: dict[int, list[dict]] = defaultdict(list)
    for (low, high), finding in sorted(found.items()):
        shown = [
            {"kind": i["kind"], "kind_label": kind_label(i["kind"]), "masked": i["masked"]}
            for i in finding.identifiers
        ]
        first = shown[0] if shown else {"kind": "", "kind_label": "", "masked": ""}
        for me, other in ((low, high), (high, low)):
            if me > 0:
                continue  # only rows are previewed
            out[-me - 1].append(
                {
                    **first,
                    "basis": finding.basis,
                    "basis_label": basis_label(finding.basis),
                    "identifiers": shown,
                    "other_project": info.get(other) if other > 0 else None,
                    "other_row": -other - 1 if other < 0 else None,
                }
            )
    return dict(out)
