"""Entity and member imports: each row through ``entities.services.create_entity`` or
``accounts.services.add_member`` (in a savepoint), every row's errors collected; the preview
runs them and rolls back."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.accounts.services import add_member
from linkstar.core.actors import Actor
from linkstar.core.exceptions import DomainError, InvalidInput
from linkstar.entities.selectors import visible_entities
from linkstar.entities.services import create_entity
from linkstar.exchange.fields import norm, parse_date, parse_role
from linkstar.exchange.models import ImportJob, ImportKind
from linkstar.exchange.services.mapping import _column_of, mapped_rows


class _Rollback(Exception):
    pass


def _dry_run(actor: Actor, job: ImportJob) -> list[dict]:
    """Entities and members are checked by running their services and rolling back."""
    errors: list[dict] = []
    try:
        with transaction.atomic():
            errors = _apply_simple(actor, job)
            raise _Rollback()
    except _Rollback:
        pass
    return errors


def _apply_simple(actor: Actor, job: ImportJob, progress=None) -> list[dict]:
    """Run the entity or member service for each row (each in a savepoint), collecting the
    errors of every row; the caller rolls back when there is any."""

    errors: list[dict] = []
    columns = _column_of(job)
    entities = None
    for n, (number, values) in enumerate(mapped_rows(job)):
        fields = {k: v for k, (v, _h) in values.items() if v not in (None, "")}

        def fail(name, message, _number=number):
            errors.append(
                {
                    "row": _number,
                    "column": columns.get(name, ""),
                    "field": name,
                    "message": str(message),
                }
            )

        try:
            with transaction.atomic():
                if job.kind == ImportKind.ENTITIES:
                    if "licence_expiry" in fields:
                        try:
                            fields["licence_expiry"] = parse_date(fields["licence_expiry"])
                        except (ValueError, OverflowError):
                            fail(
                                "licence_expiry",
                                _("%(v)r is not a date.") % {"v": fields["licence_expiry"]},
                            )
                            continue
                    text = {k: str(v) for k, v in fields.items() if k != "licence_expiry"}
                    if "licence_expiry" in fields:
                        text["licence_expiry"] = fields["licence_expiry"]
                    name = text.pop("name", "")
                    create_entity(actor=actor, name=name, **text)
                else:
                    role = fields.get("role")
                    try:
                        role = parse_role(role) if role is not None else ""
                    except ValueError:
                        fail("role", _("Unknown role %(r)r.") % {"r": role})
                        continue
                    entity_id = None
                    if "entity" in fields:
                        if entities is None:
                            entities = {norm(e.name): e.pk for e in visible_entities(actor)}
                        entity_id = entities.get(norm(fields["entity"]))
                        if entity_id is None:
                            fail(
                                "entity",
                                _("Unknown seller entity %(e)r.") % {"e": fields["entity"]},
                            )
                            continue
                    password = fields.get("password")
                    add_member(
                        actor=actor,
                        email=str(fields.get("email", "")),
                        role=role,
                        name=str(fields.get("name", "")),
                        password=str(password) if password is not None else None,
                        entity_id=entity_id,
                    )
        except InvalidInput as exc:
            for e in exc.errors:
                fail(e.field, e.message)
        except DomainError as exc:
            fail("email" if job.kind == ImportKind.MEMBERS else "name", exc.detail)
        if progress and n % 50 == 0:
            progress(n)
    return errors
