"""The ``linkstar`` console script, run as a person runs it: a subprocess with its own data
directory and SQLite database.

These tests never touch the pytest database. They run in both passes of ``make test``, always on
SQLite: ``DATABASE_URL`` is removed from the subprocess environment, since the CLI's database is
independent from the test database. ``init`` (migrations) runs once per module (per xdist worker);
tests create what they need under their own names so that they can run in any order.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LINKSTAR = Path(sys.executable).with_name("linkstar")
pytestmark = pytest.mark.skipif(
    not LINKSTAR.exists(), reason="the linkstar script is not installed"
)

INIT_LINE = re.compile(
    r"LinkStar ready: (\d+) platforms, (\d+) sites, (\d+) document types, (\d+) built-in templates"
)


def linkstar(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_URL_FILE"}}
    env["LINKSTAR_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "linkstar.settings"
    return subprocess.run(
        [str(LINKSTAR), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def ok(data_dir: Path, *args: str) -> str:
    result = linkstar(data_dir, *args)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def query(data_dir: Path, sql: str, params=()) -> list[tuple]:
    db = sqlite3.connect(data_dir / "linkstar.sqlite3")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """A data directory after a first ``linkstar init``, with that run's output."""
    data_dir = tmp_path_factory.mktemp("linkstar-cli")
    result = linkstar(data_dir, "init")
    assert result.returncode == 0, result.stderr
    return data_dir, result.stdout


@pytest.fixture(scope="module")
def data_dir(cli) -> Path:
    return cli[0]


@pytest.fixture(scope="module")
def acme(data_dir) -> Path:
    """An owner and the organization ``acme``."""
    ok(data_dir, "user", "create", "--email", "owner@acme.test", "--password", "owner-password")
    ok(
        data_dir,
        "org",
        "create",
        "--name",
        "Acme 代运营",
        "--slug",
        "acme",
        "--owner",
        "owner@acme.test",
    )
    return data_dir


def test_init_is_idempotent(cli):
    data_dir, first = cli
    second = ok(data_dir, "init")
    counts = INIT_LINE.search(first).groups()
    assert INIT_LINE.search(second).groups() == counts
    platforms, sites, document_types, templates = map(int, counts)
    assert platforms >= 8 and sites >= 8 and document_types >= 12 and templates >= 8
    assert "amazon-na: created" in first
    assert "amazon-na: unchanged" in second and "created" not in second
    assert query(data_dir, "SELECT count(*) FROM catalog_site") == [(sites,)]
    assert query(
        data_dir,
        "SELECT count(*) FROM playbooks_template t JOIN playbooks_templateversion v"
        " ON v.template_id = t.id WHERE t.organization_id IS NULL",
    ) == [(templates,)]


def test_user_org_and_member_are_created(data_dir):
    out = ok(data_dir, "user", "create", "--email", "Lin@Shop.test", "--password", "lin-password")
    assert "user lin@shop.test created" in out
    out = ok(
        data_dir, "org", "create", "--name", "Shop", "--slug", "shop", "--owner", "lin@shop.test"
    )
    assert "organization shop created; lin@shop.test is its owner (admin)" in out
    out = ok(
        data_dir,
        *("member", "add", "--org", "shop", "--email", "wu@shop.test", "--role", "reviewer"),
        *("--password", "wu-password"),
    )
    assert "wu@shop.test is now reviewer of shop" in out
    rows = query(
        data_dir,
        "SELECT u.email, m.role, m.is_owner FROM accounts_membership m"
        " JOIN accounts_user u ON u.id = m.user_id"
        " JOIN accounts_organization o ON o.id = m.organization_id"
        " WHERE o.slug = 'shop' ORDER BY u.email",
    )
    assert rows == [("lin@shop.test", "admin", 1), ("wu@shop.test", "reviewer", 0)]
    actions = query(
        data_dir,
        "SELECT e.action, e.actor_label FROM audit_auditevent e"
        " JOIN accounts_organization o ON o.id = e.organization_id"
        " WHERE o.slug = 'shop' ORDER BY e.seq",
    )
    assert actions == [
        ("organization.created", "lin@shop.test"),
        ("member.added", "lin@shop.test"),
        ("member.added", "<cli>"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("org", "create", "--name", "X", "--slug", "x-corp", "--owner", "nobody@acme.test"),
            "no user with email nobody@acme.test",
        ),
        (
            ("org", "create", "--name", "Again", "--slug", "acme", "--owner", "owner@acme.test"),
            ("slug", "This slug is taken."),
        ),
        (
            ("member", "add", "--org", "acme", "--email", "x@acme.test", "--role", "boss"),
            "invalid choice: 'boss'",
        ),
        (
            ("member", "add", "--org", "nope", "--email", "x@acme.test", "--role", "operator"),
            "no organization nope",
        ),
        (
            ("member", "add", "--org", "acme", "--email", "new@acme.test", "--role", "operator"),
            ("password", "A new user needs a password."),
        ),
        (
            ("user", "create", "--email", "owner@acme.test", "--password", "another-password"),
            ("email", "A user with this email already exists."),
        ),
    ],
    ids=[
        "unknown-owner",
        "duplicate-slug",
        "bad-role",
        "unknown-org",
        "new-member-without-password",
        "duplicate-user",
    ],
)
def test_bad_input_fails_with_a_clear_message_and_changes_nothing(acme, args, message):
    before = query(
        acme,
        "SELECT (SELECT count(*) FROM accounts_user), (SELECT count(*) FROM accounts_organization),"
        " (SELECT count(*) FROM accounts_membership), (SELECT count(*) FROM audit_auditevent)",
    )
    if isinstance(message, tuple):  # a domain error: "<field>: <message in LANGUAGE_CODE>"
        field, text = message
        with translation.override(settings.LANGUAGE_CODE):
            message = f"{field}: {translation.gettext(text)}"
    result = linkstar(acme, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert (
        query(
            acme,
            "SELECT (SELECT count(*) FROM accounts_user), (SELECT count(*) FROM accounts_organization),"
            " (SELECT count(*) FROM accounts_membership), (SELECT count(*) FROM audit_auditevent)",
        )
        == before
    )


def test_audit_verify_passes_on_an_intact_database(acme):
    result = linkstar(acme, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^acme: ok, \d+ events$", result.stdout, re.M)


def test_audit_verify_fails_after_tampering_with_the_database(acme, tmp_path):
    # A copy, so that the tampering does not leak into the other tests of the module.
    source = sqlite3.connect(acme / "linkstar.sqlite3")
    target = sqlite3.connect(tmp_path / "linkstar.sqlite3")
    with target:
        source.backup(target)
    source.close()
    target.close()
    # The audit key goes with the database: without it the keyed hashes cannot be checked.
    (tmp_path / "keys").mkdir(mode=0o700)
    shutil.copy(acme / "keys" / "audit", tmp_path / "keys" / "audit")
    assert linkstar(tmp_path, "audit", "verify", "--org", "acme").returncode == 0

    [(event_id, org_id)] = query(
        tmp_path,
        "SELECT e.id, e.organization_id FROM audit_auditevent e"
        " JOIN accounts_organization o ON o.id = e.organization_id"
        " WHERE o.slug = 'acme' AND e.seq = 2",
    )
    db = sqlite3.connect(tmp_path / "linkstar.sqlite3")
    with db:
        db.execute(
            "UPDATE audit_auditevent SET changes = ? WHERE seq = 2 AND organization_id = ?",
            ['{"role": {"before": null, "after": "auditor"}}', org_id],
        )
    db.close()

    result = linkstar(tmp_path, "audit", "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "acme: BROKEN — " in result.stdout
    assert f"first bad event: id {event_id}, #2," in result.stdout
    assert "member.added membership:" in result.stdout
    result = linkstar(tmp_path, "audit", "verify", "--org", "acme")
    assert result.returncode == 1


def test_demo_creates_projects_in_various_stages_and_prints_logins(data_dir):
    out = ok(data_dir, "demo", "--slug", "demo")
    for role, login in [
        ("admin", "alice"),
        ("manager", "bob"),
        ("operator", "carol"),
        ("reviewer", "dave"),
        ("auditor", "frank"),
        ("client", "grace"),
    ]:
        assert re.search(rf"^\s+{role}\s+{login}@demo\.linkstar\.local", out, re.M), out
    assert "Password for all: open-stores-together" in out
    stages = dict(
        query(
            data_dir,
            "SELECT p.stage, count(*) FROM projects_storeproject p"
            " JOIN accounts_organization o ON o.id = p.organization_id"
            " WHERE o.slug = 'demo' GROUP BY p.stage",
        )
    )
    assert 18 <= sum(stages.values()) <= 25
    assert set(stages) == {
        "preparing",
        "under_review",
        "needs_info",
        "opened",
        "rejected",
        "cancelled",
    }
    assert query(
        data_dir,
        "SELECT count(*) FROM projects_storeproject p"
        " JOIN accounts_organization o ON o.id = p.organization_id"
        " WHERE o.slug = 'demo' AND p.status = 'closed'",
    ) == [(2,)]
    assert re.search(
        r"^demo: ok, \d+ events$", ok(data_dir, "audit", "verify", "--org", "demo"), re.M
    )

    again = ok(data_dir, "demo", "--slug", "demo")
    assert "Password for all" in again
    assert sum(
        n
        for (n,) in query(
            data_dir,
            "SELECT count(*) FROM projects_storeproject p"
            " JOIN accounts_organization o ON o.id = p.organization_id WHERE o.slug = 'demo'",
        )
    ) == sum(stages.values())


def test_manage_runs_djangos_check(data_dir):
    out = ok(data_dir, "manage", "check")
    assert "System check identified no issues" in out
