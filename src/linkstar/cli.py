"""The ``linkstar`` command: init, serve, worker, user/org/member, audit verify, keys rotate, demo,
backup, restore, manage."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_init(args) -> int:
    _setup()
    from django.core.management import call_command

    from linkstar.catalog.services import load_catalog
    from linkstar.core.i18n import compile_messages
    from linkstar.playbooks.services import load_builtin_templates

    compile_messages()
    call_command("migrate", interactive=False, verbosity=0)
    counts = load_catalog()
    if counts["account_rules_changed"]:
        from linkstar.compliance.services import recheck_all_risks

        rechecked = recheck_all_risks()
        if not args.quiet and any(rechecked.values()):
            print(
                f"Association risks found again under the catalog's account rules: "
                f"{rechecked['opened']} new, {rechecked['closed']} closed (rules changed)."
            )
    outcome = load_builtin_templates()
    call_command("collectstatic", interactive=False, verbosity=0)
    if not args.quiet:
        print(
            f"LinkStar ready: {counts['platforms']} platforms, {counts['sites']} sites, "
            f"{counts['document_types']} document types, {len(outcome)} built-in templates "
            f"({', '.join(f'{k}: {v}' for k, v in outcome.items())})."
        )
    return 0


def cmd_serve(args) -> int:
    cmd_init(argparse.Namespace(quiet=False))
    from django.conf import settings

    env = os.environ.copy()
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "linkstar.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--timeout",
        "120",
        "--graceful-timeout",
        "30",
    ]
    # (process, seconds it may take to stop): the web server finishes its requests, the worker
    # the job it is running, however long (a backup, an import of 10,000 rows).
    children: list[tuple[subprocess.Popen, float]] = [(subprocess.Popen(web, env=env), 35)]
    if not args.no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "linkstar.cli", "worker"], env=env)
        children.append((worker, settings.LINKSTAR_WORKER_STOP_SECONDS))
    print(
        f"LinkStar serving on http://{args.host}:{args.port}/ (data: {settings.DATA_DIR})",
        flush=True,
    )
    return _supervise(children)


def _supervise(children: list[tuple[subprocess.Popen, float]]) -> int:
    """Wait until a signal (SIGTERM, SIGINT) or a child's exit, then stop every child the way
    it stops cleanly (SIGTERM) and wait for each in its own time; a second signal while
    waiting stops them at once (SIGKILL)."""
    signals = []

    def stop(signum, frame):
        signals.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while not signals:
            exited = [child for child, _wait in children if child.poll() is not None]
            if exited:
                code = exited[0].returncode or 1
                break
            time.sleep(0.5)
    finally:
        for child, _wait in children:
            if child.poll() is None:
                child.terminate()
        if any(child.poll() is None for child, _wait in children):
            print("LinkStar stopping: the worker finishes the job it is running…", flush=True)
        count = len(signals)
        start = time.monotonic()
        for child, wait in children:
            while child.poll() is None:
                if len(signals) > max(count, 1) or time.monotonic() - start > wait:
                    child.kill()
                    child.wait()
                    break
                time.sleep(0.2)
    return code


def cmd_worker(args) -> int:
    """The queue worker of the configured backend (database or RQ) and the scheduler of
    periodic jobs. ``--once``: enqueue the periodic jobs that are due, run every job that is
    ready, then exit (for cron, and tests)."""
    _setup()
    import logging

    from linkstar.worker.runner import run_worker

    logging.getLogger("linkstar.worker").setLevel(logging.INFO)
    return run_worker(interval=args.interval, once=args.once)


def cmd_user_create(args) -> int:
    _setup()
    from linkstar.accounts.services import create_user
    from linkstar.core.exceptions import DomainError

    try:
        user = create_user(email=args.email, password=args.password, name=args.name or "")
    except DomainError as exc:
        return _fail(_error_text(exc))
    print(f"user {user.email} created (id {user.pk})")
    return 0


def cmd_user_set_password(args) -> int:
    _setup()
    from linkstar.accounts.services import set_user_password
    from linkstar.core.exceptions import DomainError

    try:
        user = set_user_password(email=args.email, password=args.password)
    except DomainError as exc:
        return _fail(_error_text(exc))
    print(f"password of {user.email} set")
    return 0


def cmd_user_reset_two_factor(args) -> int:
    _setup()
    from linkstar.accounts.models import User
    from linkstar.accounts.twofactor import reset_for

    user = User.objects.filter(email__iexact=args.email.strip(), is_service=False).first()
    if user is None:
        return _fail(f"no user with email {args.email}")
    if not reset_for(user=user):
        print(f"{user.email} has no two-factor sign-in")
        return 0
    print(f"two-factor sign-in of {user.email} turned off; they sign in with the password alone")
    return 0


def _error_text(exc) -> str:
    """A domain error with what is wrong with each field (a password refused by the validators
    says why)."""
    errors = getattr(exc, "errors", None) or []
    if not errors:
        return exc.detail
    return "; ".join(f"{e.field}: {e.message}" for e in errors)


def cmd_org_create(args) -> int:
    _setup()
    from linkstar.accounts.models import User
    from linkstar.accounts.services import create_organization
    from linkstar.core.exceptions import DomainError

    owner = User.objects.filter(email__iexact=args.owner).first()
    if owner is None:
        return _fail(f"no user with email {args.owner}; create it with `linkstar user create`")
    try:
        org = create_organization(name=args.name, slug=args.slug, owner=owner)
    except DomainError as exc:
        return _fail(exc.detail)
    print(f"organization {org.slug} created; {owner.email} is its owner (admin)")
    return 0


def cmd_member_add(args) -> int:
    _setup()
    from linkstar.accounts.models import Organization
    from linkstar.accounts.services import add_member
    from linkstar.core.actors import Actor
    from linkstar.core.exceptions import DomainError

    org = Organization.objects.filter(slug=args.org).first()
    if org is None:
        return _fail(f"no organization {args.org}")
    try:
        m = add_member(
            actor=Actor.system(org, via="cli"),
            email=args.email,
            role=args.role,
            password=args.password,
        )
    except DomainError as exc:
        return _fail(_error_text(exc))
    print(f"{m.user.email} is now {m.role} of {org.slug}")
    return 0


AUDIT_PROVES = {
    "chain_intact": "every event follows the one before it and its hash matches its content",
    "keyed": "the events carry a hash keyed with the audit key (outside the database)",
    "matches_checkpoint": "the events up to the last signed checkpoint are the ones checkpointed",
}
AUDIT_LIMITS = {
    "no_checkpoint": "no signed checkpoint yet: removing the newest events with the chain head, "
    "or the whole chain, would not be noticed",
    "after_checkpoint": "the events after the last checkpoint could be removed back to it "
    "unnoticed",
    "unkeyed": "events with the plain hash of before the keyed hash, not covered by a "
    "checkpoint, could be recomputed by anyone",
    "key_holder": "someone holding the audit key and write access to the database and the "
    "checkpoint file could rewrite everything",
}


def cmd_audit_verify(args) -> int:
    """Every chain against the checkpoint file (or a backup's manifest with ``--archive``);
    then a new signed checkpoint of each intact chain whose head moved."""
    _setup()
    from linkstar.accounts.models import Organization
    from linkstar.audit import checkpoints
    from linkstar.audit.models import AuditEvent
    from linkstar.audit.services import verify_chain, write_checkpoints

    if args.archive:
        from linkstar.backups.archive import verify_archive
        from linkstar.backups.errors import BackupError

        try:
            manifest = verify_archive(Path(args.archive).expanduser())
        except BackupError as exc:
            return _fail(str(exc))
        lines = manifest.get("audit", {}).get("checkpoints")
        if lines is None:
            return _fail(f"{args.archive}: its manifest holds no audit checkpoints")
        ledger = checkpoints.from_lines(lines, source=f"{Path(args.archive).name} manifest")
    else:
        ledger = checkpoints.read()
    names = dict(Organization.objects.values_list("pk", "slug"))
    for org_id in ledger.organization_ids() - set(names):
        last = ledger.last(org_id)
        names[org_id] = f"{last.slug if last else '?'} (organization #{org_id}, no longer here)"
    if args.org:
        names = {pk: slug for pk, slug in names.items() if slug == args.org}
        if not names:
            return _fail(f"no organization {args.org}")
    print(f"checkpoints: {ledger.source}")
    bad, intact = 0, []
    for org_id, slug in sorted(names.items(), key=lambda item: item[1]):
        result = verify_chain(organization_id=org_id, ledger=ledger)
        if result.ok:
            intact.append(org_id)
            print(f"{slug}: ok, {result.checked} events")
            cp = result.checkpoint
            if cp is not None:
                print(f"  last checkpoint: #{cp.seq} at {cp.at}")
            print("  proves: " + "; ".join(AUDIT_PROVES[c] for c in result.proves))
            print("  cannot prove: " + "; ".join(AUDIT_LIMITS[c] for c in result.cannot_prove))
            continue
        bad += 1
        print(f"{slug}: BROKEN — {result.reason}")
        if result.first_bad_id is not None:
            e = AuditEvent.objects.get(pk=result.first_bad_id)
            print(
                f"  first bad event: id {e.pk}, #{e.seq}, {e.at.isoformat()}, {e.actor_label}, "
                f"{e.action} {e.object_type}:{e.object_id}"
            )
    if intact and not args.archive and not args.no_checkpoint:
        run = write_checkpoints(reason="verify", organization_ids=intact)
        print(f"checkpoints written: {len(run.written)}")
    return 1 if bad else 0


def cmd_audit_checkpoint(args) -> int:
    """A signed checkpoint of every chain whose head moved (what the worker does periodically)."""
    _setup()
    from linkstar.audit.services import write_checkpoints

    run = write_checkpoints(reason="command")
    for point in run.written:
        print(f"{point.slug}: checkpoint #{point.seq} at {point.at}")
    for _org_id, slug, reason in run.refused:
        print(f"{slug}: NOT checkpointed — {reason}")
    print(
        f"checkpoints written: {len(run.written)}, unchanged: "
        f"{len(run.latest) - len(run.written) - len(run.refused)}"
    )
    return 1 if run.refused else 0


def cmd_keys_rotate(args) -> int:
    """A new encryption key first, then every encrypted value re-encrypted under it. Keys from
    the key file: the file is updated. Keys from LINKSTAR_ENCRYPTION_KEYS: the new list is
    printed to configure; ``--reencrypt`` re-encrypts once the environment has it."""
    _setup()
    from django.conf import settings

    from linkstar.core import crypto

    key_file = settings.LINKSTAR_ENCRYPTION_KEY_FILE
    if args.batch_size < 1:
        return _fail("--batch-size must be at least 1")
    if not args.reencrypt:
        key = crypto.generate_key()
        if not key_file:
            print(
                "LINKSTAR_ENCRYPTION_KEYS comes from the environment, so this command does not "
                "change it. Configure this list (the new key first, the old ones after it), "
                "restart LinkStar, then run `linkstar keys rotate --reencrypt`:"
            )
            print(",".join([key, *settings.LINKSTAR_ENCRYPTION_KEYS]))
            return 0
        settings.LINKSTAR_ENCRYPTION_KEYS = crypto.add_key_to_file(key_file, key)
        crypto.reset_keys()
        print(f"new key added first in {key_file} ({len(settings.LINKSTAR_ENCRYPTION_KEYS)} keys)")
    report = crypto.reencrypt_all(batch_size=args.batch_size)
    total_rows = total_values = 0
    for label, counts in report.items():
        print(f"{label}: {counts['values']} values in {counts['rows']} rows re-encrypted")
        total_rows += counts["rows"]
        total_values += counts["values"]
    print(f"re-encrypted {total_values} values in {total_rows} rows under the newest key")
    if key_file:
        print(
            f"older keys still decrypt until you remove them from {key_file}; running LinkStar "
            "processes read the new key from it when they meet a value encrypted with it"
        )
    else:
        print("older keys still decrypt until you remove them from LINKSTAR_ENCRYPTION_KEYS")
    return 0


def cmd_demo(args) -> int:
    _setup()
    from linkstar.demo import create_demo

    print(create_demo(slug=args.slug, password=args.password))
    return 0


def cmd_backup(args) -> int:
    _setup()
    from django.conf import settings

    from linkstar.backups.services import BackupError, create_backup

    try:
        result = create_backup(
            to=args.to or settings.LINKSTAR_BACKUP_DIR or ".", include_keys=not args.without_keys
        )
    except BackupError as exc:
        return _fail(str(exc))
    print(result.summary())
    return 0


def cmd_restore(args) -> int:
    # No _setup() here: the restore loads the settings itself once the keys are in place.
    from linkstar.backups.errors import BackupError
    from linkstar.backups.restore import restore_archive

    try:
        return restore_archive(args.archive, data_dir=args.data_dir)
    except BackupError as exc:
        return _fail(str(exc))


def cmd_manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["linkstar manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linkstar", description="LinkStar 联星出海 开店项目管理")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="migrate, load the catalog and built-in templates (idempotent)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="init if needed, then serve the web app with its worker")
    p.add_argument("--host", default=os.environ.get("LINKSTAR_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("LINKSTAR_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("LINKSTAR_WEB_WORKERS", "2")))
    p.add_argument("--no-worker", action="store_true", help="do not start the background worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the background worker alone")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    p.add_argument(
        "--once",
        action="store_true",
        help="enqueue due periodic jobs, run every ready job, then exit",
    )
    p.set_defaults(func=cmd_worker)

    user = sub.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    p = user.add_parser("create")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    p.set_defaults(func=cmd_user_create)
    p = user.add_parser("set-password", help="set a user's password (the password rules apply)")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.set_defaults(func=cmd_user_set_password)
    p = user.add_parser(
        "reset-two-factor",
        help="turn two-factor sign-in off for a user who lost the authenticator and codes",
    )
    p.add_argument("--email", required=True)
    p.set_defaults(func=cmd_user_reset_two_factor)

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="action", required=True)
    p = org.add_parser("create")
    p.add_argument("--name", required=True)
    p.add_argument("--slug", required=True)
    p.add_argument("--owner", required=True, help="email of an existing user")
    p.set_defaults(func=cmd_org_create)

    member = sub.add_parser("member", help="memberships").add_subparsers(
        dest="action", required=True
    )
    p = member.add_parser("add")
    p.add_argument("--org", required=True)
    p.add_argument("--email", required=True)
    p.add_argument(
        "--role",
        required=True,
        choices=["admin", "manager", "operator", "reviewer", "auditor", "client"],
    )
    p.add_argument("--password", help="for a new user")
    p.set_defaults(func=cmd_member_add)

    audit = sub.add_parser("audit", help="audit trail").add_subparsers(dest="action", required=True)
    p = audit.add_parser(
        "verify",
        help="exit 0 when every chain is intact and matches its signed checkpoints, 1 otherwise; "
        "then checkpoint the intact chains",
    )
    p.add_argument("--org")
    p.add_argument(
        "--archive",
        help="check against the checkpoints in this backup's manifest instead of the checkpoint "
        "file (e.g. after a restore)",
    )
    p.add_argument(
        "--no-checkpoint", action="store_true", help="only verify; write no new checkpoint"
    )
    p.set_defaults(func=cmd_audit_verify)
    p = audit.add_parser(
        "checkpoint", help="append a signed checkpoint of every chain whose head moved"
    )
    p.set_defaults(func=cmd_audit_checkpoint)

    keys = sub.add_parser("keys", help="encryption keys of sensitive fields").add_subparsers(
        dest="action", required=True
    )
    p = keys.add_parser(
        "rotate", help="add a new encryption key first and re-encrypt every sensitive value"
    )
    p.add_argument(
        "--reencrypt",
        action="store_true",
        help="only re-encrypt under the newest configured key (after putting a new key first "
        "in LINKSTAR_ENCRYPTION_KEYS)",
    )
    p.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    p.set_defaults(func=cmd_keys_rotate)

    p = sub.add_parser("demo", help="a demo organization with users of every role and ~20 projects")
    p.add_argument("--slug", default="demo")
    p.add_argument("--password", default="open-stores-together")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("backup", help="a consistent backup archive: database, files and keys")
    p.add_argument("--to", help="directory of the archive (default: LINKSTAR_BACKUP_DIR or .)")
    p.add_argument(
        "--without-keys", action="store_true", help="leave the key files out of the archive"
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup archive into an empty data dir/database")
    p.add_argument("archive")
    p.add_argument("--data-dir", help="the empty data dir to restore into (LINKSTAR_DATA_DIR)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("manage", help="Django's own management commands", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
