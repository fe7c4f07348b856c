"""The mail settings: project mailbox addresses and the IMAP accounts the worker polls."""

from __future__ import annotations

from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput, check_version
from linkstar.platformmail.models import MailAccount, ProjectMailbox, Security
from linkstar.projects.models import StoreProject

# --- settings --------------------------------------------------------------------------------


@transaction.atomic
def set_project_mailbox(*, actor: Actor, project: StoreProject, address: str):
    """Set (or clear, with an empty address) a project's registration mailbox address
    (``mail.address``). Unique in the organization."""
    policy.require(actor, "mail.address", project)
    address = (address or "").strip().lower()
    current = ProjectMailbox.objects.filter(project=project).first()
    before = current.address if current else None
    if not address:
        if current is not None:
            current.delete()
            record(
                actor=actor,
                action="mailbox.cleared",
                obj=project,
                project_id=project.pk,
                changes={"mailbox": {"before": before, "after": None}},
            )
        return None
    try:
        validate_email(address)
    except Exception:
        raise InvalidInput(FieldError("address", _("Enter a valid email address."))) from None
    taken = (
        ProjectMailbox.objects.filter(organization_id=actor.organization.pk, address=address)
        .exclude(project=project)
        .select_related("project")
        .first()
    )
    if taken is not None:
        raise InvalidInput(
            FieldError(
                "address",
                _("%(a)s is already the mailbox of project %(c)s.")
                % {"a": address, "c": taken.project.code},
            )
        )
    if address == before:
        return current
    if current is None:
        current = ProjectMailbox(organization=actor.organization, project=project)
    current.address = address
    current.save()
    record(
        actor=actor,
        action="mailbox.set",
        obj=project,
        project_id=project.pk,
        changes={"mailbox": {"before": before, "after": address}},
    )
    return current


ACCOUNT_FIELDS = ("name", "host", "port", "security", "username", "folder", "enabled")


def _clean_account(data: dict, *, creating: bool) -> dict:
    clean, errors = _clean_account_texts(data, creating=creating)
    if "port" in data and data["port"] is not None:
        clean["port"] = _port_number(data["port"])
        if not 1 <= clean["port"] <= 65535:
            errors.append(FieldError("port", _("A port is a number from 1 to 65535.")))
    if "security" in data and data["security"] is not None:
        if data["security"] not in Security.values:
            errors.append(
                FieldError("security", _("Choose one of: %(v)s.") % {"v": ", ".join(Security)})
            )
        clean["security"] = data["security"]
    if "enabled" in data and data["enabled"] is not None:
        clean["enabled"] = bool(data["enabled"])
    if "password" in data and data["password"] not in (None, ""):
        clean["password"] = str(data["password"])
    elif creating:
        errors.append(FieldError("password", _("This field is required.")))
    if errors:
        raise InvalidInput(errors)
    return clean


def _clean_account_texts(data: dict, *, creating: bool) -> tuple[dict, list[FieldError]]:
    """The text fields given, stripped and no longer than their columns; name, host and user
    required on a new account (and not emptied on an old one); a new account reads INBOX
    unless told another folder."""
    errors = []
    clean = {}
    for key in ("name", "host", "username", "folder"):
        if key in data and data[key] is not None:
            clean[key] = str(data[key]).strip()
            limit = MailAccount._meta.get_field(key).max_length
            if len(clean[key]) > limit:
                errors.append(FieldError(key, _("At most %(n)d characters.") % {"n": limit}))
    for key in ("name", "host", "username"):
        if (creating or key in clean) and not clean.get(key):
            errors.append(FieldError(key, _("This field is required.")))
    if creating and not clean.get("folder"):
        clean["folder"] = "INBOX"
    return clean, errors


def _port_number(value) -> int:
    """The port as a number; 0 (refused by the range check) when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _account_changes(before: dict, after: dict) -> dict:
    changes = {}
    for key in ACCOUNT_FIELDS:
        if before.get(key) != after.get(key):
            changes[key] = {"before": before.get(key), "after": after.get(key)}
    return changes


@transaction.atomic
def create_mail_account(*, actor: Actor, **data) -> MailAccount:
    """Add an IMAP mailbox for the worker to poll (``mail.settings``: administrators). The
    password is stored encrypted; the audit trail records that it was set, never its value."""
    policy.require(actor, "mail.settings")
    clean = _clean_account(data, creating=True)
    account = MailAccount.objects.create(organization=actor.organization, **clean)
    changes = _account_changes({}, {k: getattr(account, k) for k in ACCOUNT_FIELDS})
    changes["password"] = {"before": None, "after": "(set)"}
    record(actor=actor, action="mail_account.created", obj=account, changes=changes)
    return account


@transaction.atomic
def update_mail_account(
    *, actor: Actor, account: MailAccount, version: int | None = None, **data
) -> MailAccount:
    """Change an IMAP account (``mail.settings``). A new host, user or folder starts the
    mailbox afresh (duplicates are still imported once)."""
    policy.require(actor, "mail.settings", account)
    account = MailAccount.objects.select_for_update().get(pk=account.pk)
    check_version(account, version)
    clean = _clean_account(data, creating=False)
    before = {k: getattr(account, k) for k in ACCOUNT_FIELDS}
    for key, value in clean.items():
        setattr(account, key, value)
    after = {k: getattr(account, k) for k in ACCOUNT_FIELDS}
    changes = _account_changes(before, after)
    if "password" in clean:
        changes["password"] = {"before": "(set)", "after": "(changed)"}
    if any(k in changes for k in ("host", "port", "username", "folder")):
        account.uid_validity, account.last_uid = None, 0
    if changes:
        account.version += 1
        account.save()
        record(actor=actor, action="mail_account.updated", obj=account, changes=changes)
    return account


@transaction.atomic
def delete_mail_account(*, actor: Actor, account: MailAccount) -> None:
    """Stop polling a mailbox; the messages it brought in stay."""
    policy.require(actor, "mail.settings", account)
    record(
        actor=actor,
        action="mail_account.deleted",
        obj=account,
        changes={k: {"before": getattr(account, k), "after": None} for k in ("name", "host")},
    )
    account.delete()
