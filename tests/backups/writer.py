"""Run by the backup tests in a separate process: writes through the services (projects,
comments, document uploads) in a loop, as users of the running app would, until the file named
by the first argument exists. Prints the round number after each round."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from linkstar.accounts.models import Membership, Organization  # noqa: E402
from linkstar.catalog.models import DocumentType  # noqa: E402
from linkstar.core.actors import Actor  # noqa: E402
from linkstar.demo import _pdf  # noqa: E402
from linkstar.documents.services import upload_document  # noqa: E402
from linkstar.entities.models import SellerEntity  # noqa: E402
from linkstar.playbooks.models import Template  # noqa: E402
from linkstar.projects.services import ProjectRow, add_comment, create_projects_batch  # noqa: E402

MAX_ROUNDS = 400


def actor(org, login: str) -> Actor:
    membership = Membership.objects.select_related("organization", "user").get(
        organization=org, user__email=f"{login}@demo.linkstar.local"
    )
    return Actor.from_membership(membership, via="cli")


def main() -> None:
    stop = Path(sys.argv[1])
    org = Organization.objects.get(slug="demo")
    alice, bob, carol = actor(org, "alice"), actor(org, "bob"), actor(org, "carol")
    template = Template.objects.get(organization__isnull=True, key="ebay")
    entity = SellerEntity.objects.filter(organization=org).order_by("pk").first()
    doc_type = DocumentType.objects.order_by("code").first()
    for round_number in range(1, MAX_ROUNDS + 1):
        if stop.exists():
            break
        project = create_projects_batch(
            actor=bob,
            template_id=template.pk,
            rows=[
                ProjectRow(
                    store_name=f"Writer store {round_number}",
                    entity_id=entity.pk,
                    site="ebay-us",
                    members=[carol.user.pk],
                )
            ],
        )[0]
        add_comment(
            actor=carol, project=project, body=f"备份进行中 written during backup {round_number}"
        )
        upload_document(
            actor=alice,
            entity=entity,
            document_type=doc_type,
            file=SimpleUploadedFile(
                f"writer-{round_number}.pdf", _pdf(f"writer {round_number}"), "application/pdf"
            ),
            notes=f"round {round_number}",
        )
        print(round_number, flush=True)


if __name__ == "__main__":
    main()
