"""``linkstar demo``: a demo agency with users of every role, seller entities and about twenty
projects in various stages, all made through the services (so the audit trail is real)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q

from linkstar.accounts.models import Membership, Organization, User
from linkstar.accounts.services import add_member, create_organization, create_user
from linkstar.approvals.models import ApprovalStatus
from linkstar.approvals.services import decide_approval
from linkstar.catalog.models import DocumentType
from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.compliance.services import acknowledge_risk
from linkstar.core.actors import Actor
from linkstar.docrequests.services import open_request, upload_to_item
from linkstar.documents.services import upload_document
from linkstar.entities.services import create_entity
from linkstar.playbooks.models import Template
from linkstar.projects.models import Stage, StoreProject, TaskStatus
from linkstar.projects.services import (
    ProjectRow,
    add_comment,
    change_stage,
    close_project,
    create_projects_batch,
    org_today,
    skip_task,
    update_task,
)
from linkstar.reports.facts import rebuild_organization

USERS = [
    ("alice", "Alice 王丽", "admin"),
    ("bob", "Bob 李博", "manager"),
    ("carol", "Carol 陈可", "operator"),
    ("dave", "Dave 赵大卫", "reviewer"),
    ("erin", "Erin 周艺琳", "reviewer"),
    ("frank", "Frank 孙福", "auditor"),
    ("grace", "Grace 林格", "client"),
]
ENTITIES = [
    (
        "深圳市星河跨境电子商务有限公司",
        "Shenzhen Xinghe Cross-border E-commerce Co., Ltd.",
        "91440300MA5G8XXXX1",
        "张伟",
        "440301198805120000",
    ),
    (
        "杭州云帆贸易有限公司",
        "Hangzhou Yunfan Trading Co., Ltd.",
        "91330106MA2H3XXXX2",
        "李娜",
        "330106199002150000",
    ),
    (
        "义乌市启明进出口有限公司",
        "Yiwu Qiming Import & Export Co., Ltd.",
        "91330782MA2E4XXXX3",
        "王强",
        "330782198711300000",
    ),
]
# (template key, site, store name, entity index, how far it got)
PROJECTS = [
    ("amazon-na", "amazon-us", "Xinghe Home US", 0, "opened+closed"),
    ("amazon-na", "amazon-ca", "Xinghe Home CA", 0, "under_review"),
    ("amazon-na", "amazon-us", "Yunfan Outdoor US", 1, "preparing-half"),
    ("amazon-eu", "amazon-de", "Xinghe Home DE", 0, "needs_info"),
    ("amazon-eu", "amazon-fr", "Qiming Toys FR", 2, "preparing"),
    ("amazon-jp", "amazon-jp", "Yunfan Outdoor JP", 1, "under_review"),
    ("ebay", "ebay-us", "qiming-deals", 2, "opened"),
    ("ebay", "ebay-uk", "yunfan-outdoor-uk", 1, "preparing-half"),
    ("walmart-us", "walmart-us", "Xinghe Home Walmart", 0, "rejected"),
    ("shopee-cb", "shopee-my", "Qiming Toys MY", 2, "opened"),
    ("shopee-cb", "shopee-sg", "Qiming Toys SG", 2, "preparing"),
    ("shopee-cb", "shopee-br", "Yunfan Outdoor BR", 1, "under_review"),
    ("lazada-cb", "lazada-my", "Xinghe Living MY", 0, "preparing-half"),
    ("lazada-cb", "lazada-th", "Xinghe Living TH", 0, "preparing"),
    ("tiktok-shop-cb", "tiktok-shop-uk", "Yunfan Outdoor TikTok UK", 1, "under_review"),
    ("tiktok-shop-cb", "tiktok-shop-my", "Qiming Toys TikTok MY", 2, "preparing-half"),
    ("temu", "temu-us", "Qiming Deals Temu", 2, "opened+closed"),
    ("temu", "temu-us", "Xinghe Home Temu", 0, "cancelled"),
    ("amazon-eu", "amazon-uk", "Yunfan Outdoor UK", 1, "preparing"),
    ("walmart-us", "walmart-us", "Yunfan Outdoor Walmart", 1, "preparing-half"),
]


def _pdf(title: str) -> bytes:
    """A minimal well-formed one-page PDF (the vault checks content, not names)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({title}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _demo_documents(admin: Actor, entities, today: dt.date) -> None:
    """Every catalog document in each entity's vault, so that the readiness gates let the demo
    projects through; one licence expires soon, to show the warning."""

    for index, entity in enumerate(entities):
        for doc_type in DocumentType.objects.all():
            soon = index == 1 and doc_type.code == "utility_bill"
            upload_document(
                actor=admin,
                entity=entity,
                document_type=doc_type,
                file=SimpleUploadedFile(
                    f"{doc_type.code}.pdf", _pdf(doc_type.code), content_type="application/pdf"
                ),
                expiry_date=today + dt.timedelta(days=20 if soon else 700),
            )


def _accept_risks(bob: Actor, project) -> None:
    """The manager looks at the project's association risks before submitting it."""

    for risk in AssociationRisk.objects.filter(
        Q(project=project) | Q(other_project=project), status=RiskStatus.OPEN
    ):
        acknowledge_risk(
            actor=bob,
            risk=risk,
            reason="演示：已向平台说明两家公司的关系 Demo: the relation was explained to the platform",
        )


def _actor(org: Organization, user: User) -> Actor:
    return Actor.from_membership(
        Membership.objects.select_related("organization", "user").get(organization=org, user=user),
        via="cli",
    )


def _work(project, *, until_stage: str | None, fraction: float | None, people: dict) -> None:
    """Do the project's tasks in plan order, as the team would, until a stage or a share is reached."""
    org = project.organization
    carol, bob = _actor(org, people["carol"]), _actor(org, people["bob"])
    reviewers = [_actor(org, people["dave"]), _actor(org, people["erin"])]
    tasks = list(project.tasks.order_by("position"))
    limit = int(len(tasks) * fraction) if fraction is not None else len(tasks)
    for task in tasks[:limit]:
        project.refresh_from_db()
        if until_stage and project.stage == until_stage:
            return
        worker = bob if task.role == "manager" else carol
        task = update_task(actor=worker, task=task, status=TaskStatus.IN_PROGRESS)
        task = update_task(actor=worker, task=task, status=TaskStatus.DONE)
        if task.status == TaskStatus.AWAITING_APPROVAL:
            approval = task.approval_requests.get(status=ApprovalStatus.PENDING)
            for level in range(approval.levels):
                approval = decide_approval(
                    actor=reviewers[level],
                    approval=approval,
                    decision="approve",
                    comment="资料核对无误 Checked",
                )


def _finish(project, people) -> None:
    bob = _actor(project.organization, people["bob"])
    for task in project.tasks.exclude(status__in=[TaskStatus.DONE, TaskStatus.SKIPPED]):
        skip_task(actor=bob, task=task, reason="演示数据：不适用 Demo: not needed")
    project.refresh_from_db()
    close_project(actor=bob, project=project)


@transaction.atomic
def _demo_requests(org: Organization, people: dict, today: dt.date) -> None:
    """Grace's company (Yunfan) is asked for two documents on one of its stores and has sent
    one, waiting for review; the team left her a message."""
    project = StoreProject.objects.get(organization=org, store_name="Yunfan Outdoor US")
    bob, grace = _actor(org, people["bob"]), _actor(org, people["grace"])
    request = open_request(
        actor=bob,
        project=project,
        items=[
            {"document_type": "utility_bill", "note": "近三个月内的水电费账单，地址与营业执照一致"},
            {"document_type": "bank_statement", "note": "对公账户近三个月流水"},
        ],
        due_date=today + dt.timedelta(days=2),
        message="平台要求补充地址证明和银行流水，请在截止日期前上传。",
    )
    bill = request.items.get(document_type__code="utility_bill")
    upload_to_item(
        actor=grace,
        item=bill,
        file=SimpleUploadedFile("水电费账单.pdf", _pdf("Utility bill"), "application/pdf"),
    )
    add_comment(
        actor=bob,
        project=project,
        body="您好，地址证明已收到，我们今天审核。Thanks, we review the bill today.",
        for_client=True,
    )


def create_demo(*, slug: str = "demo", password: str = "open-stores-together") -> str:
    if not Organization.objects.filter(slug=slug).exists():
        people = {}
        for login, name, _role in USERS:
            email = f"{login}@{slug}.linkstar.local"
            people[login] = User.objects.filter(email=email).first() or create_user(
                email=email, password=password, name=name
            )
        org = create_organization(
            name="联星演示代运营 LinkStar Demo Agency", slug=slug, owner=people["alice"]
        )
        admin = _actor(org, people["alice"])
        for login, _name, role in USERS[1:]:
            add_member(actor=admin, email=people[login].email, role=role)
        entities = [
            create_entity(
                actor=admin,
                name=n,
                name_en=en,
                registration_number=reg,
                country="CN",
                legal_rep_name=rep,
                legal_rep_id_number=idn,
            )
            for n, en, reg, rep, idn in ENTITIES
        ]
        Membership.objects.filter(organization=org, user=people["grace"]).update(entity=entities[1])
        bob = _actor(org, people["bob"])
        today = org_today(org)
        _demo_documents(admin, entities, today)
        for i, (key, site, store, entity_index, plan) in enumerate(PROJECTS):
            template = Template.objects.get(organization__isnull=True, key=key)
            project = create_projects_batch(
                actor=bob,
                template_id=template.pk,
                rows=[
                    ProjectRow(
                        store_name=store,
                        entity_id=entities[entity_index].pk,
                        site=site,
                        members=[people["carol"].pk],
                    )
                ],
                start_date=today - dt.timedelta(days=(i * 3) % 40),
            )[0]
            if plan.startswith(("opened", "under_review", "needs_info", "rejected")):
                _accept_risks(bob, project)
            if plan.startswith("opened"):
                _work(project, until_stage=Stage.OPENED, fraction=None, people=people)
                if plan.endswith("closed"):
                    _finish(project, people)
            elif plan in ("under_review", "needs_info", "rejected"):
                _work(project, until_stage=Stage.UNDER_REVIEW, fraction=None, people=people)
                project.refresh_from_db()
                if plan != "under_review":
                    change_stage(
                        actor=bob,
                        project=project,
                        stage=plan,
                        note="平台要求补充资料 The platform asked for more documents"
                        if plan == "needs_info"
                        else "平台审核未通过 Rejected by the platform",
                    )
            elif plan == "preparing-half":
                _work(project, until_stage=None, fraction=0.4, people=people)
            elif plan == "cancelled":
                change_stage(
                    actor=bob, project=project, stage=Stage.CANCELLED, note="客户暂停 Client paused"
                )
        _demo_requests(org, people, today)
        rebuild_organization(org)  # the report's step and approval figures, as nightly
    lines = [f"Demo organization '{slug}' is ready. Sign in at http://127.0.0.1:8000/ with any of:"]
    for login, name, role in USERS:
        lines.append(f"  {role:<9} {login}@{slug}.linkstar.local  ({name})")
    lines.append(f"Password for all: {password}")
    lines.append(
        'API: POST /api/v1/auth/token with {"email", "password"}, then Authorization: Bearer <token>.'
    )
    return "\n".join(lines)
