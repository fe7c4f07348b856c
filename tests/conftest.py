"""Shared fixtures: the catalog, one organization with the named users, and API clients.

alice the admin (owner), bob the manager, carol the operator, dave and erin reviewers, frank the
auditor, grace a client of the "Yunfan" entity; mallory is the admin of another organization.
"""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.accounts.models import Membership, Organization, User, WorkCalendarSettings
from linkstar.accounts.services import add_member, create_organization
from linkstar.catalog.models import Site
from linkstar.catalog.services import load_catalog
from linkstar.entities.services import create_entity
from linkstar.playbooks.models import Template
from linkstar.playbooks.services import load_builtin_templates
from linkstar.projects.models import StoreProject
from tests.support.clients import ApiClient
from tests.support.seed import (
    MINI_TASKS,
    PASSWORD,
    PROJECT_START,
    actor_of,
    build_project,
    make_user,
    publish_template,
)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic in tests: serve static files without the hashed manifest.
    # Uploaded documents go to the test's own folder, never to the data dir.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    # Rate limits count per test: one test's requests never limit another's.
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{tmp_path.name}:{id(tmp_path)}:"
    # Audit checkpoints per test: the file under the data dir is shared by the test processes,
    # whose databases reuse organization ids (a later test's chain would read as rewritten).
    settings.LINKSTAR_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit" / "checkpoints.jsonl")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the catalog and built-in templates once into the test database, committed, so that
    tests do not each load it inside their own transaction."""
    with django_db_blocker.unblock():
        load_catalog()
        load_builtin_templates()


@pytest.fixture
def catalog(db):
    """The shipped catalog and built-in templates (reloaded after a transactional test flushed
    the database)."""
    if not Site.objects.exists():
        load_catalog()
        load_builtin_templates()


@pytest.fixture
def alice(db):
    return make_user("alice", "Alice")


@pytest.fixture
def org(catalog, alice) -> Organization:
    return create_organization(name="Acme 代运营", slug="acme", owner=alice)


@pytest.fixture
def china_calendar(org):
    """The test organization on the calendar a Chinese team sets (the default skips nothing):
    Monday to Friday with China's public holidays and make-up working days."""
    WorkCalendarSettings.objects.create(
        organization=org, weekdays=[0, 1, 2, 3, 4], use_cn_holidays=True
    )
    return org


def _member(org, login: str, role: str) -> User:
    actor = actor_of(org, org.memberships.get(is_owner=True).user)
    membership = add_member(
        actor=actor, email=f"{login}@example.com", role=role, name=login.title(), password=PASSWORD
    )
    return membership.user


@pytest.fixture
def bob(org):
    return _member(org, "bob", "manager")


@pytest.fixture
def carol(org):
    return _member(org, "carol", "operator")


@pytest.fixture
def dave(org):
    return _member(org, "dave", "reviewer")


@pytest.fixture
def erin(org):
    return _member(org, "erin", "reviewer")


@pytest.fixture
def frank(org):
    return _member(org, "frank", "auditor")


@pytest.fixture
def grace(org, entity_yunfan):
    user = _member(org, "grace", "client")
    Membership.objects.filter(organization=org, user=user).update(entity=entity_yunfan)
    return user


@pytest.fixture
def other_org(catalog, db) -> Organization:
    mallory = make_user("mallory", "Mallory")
    return create_organization(name="Evil Corp", slug="evil", owner=mallory)


@pytest.fixture
def mallory(other_org):
    return User.objects.get(email="mallory@example.com")


@pytest.fixture
def as_alice(org, alice):
    return actor_of(org, alice)


@pytest.fixture
def as_bob(org, bob):
    return actor_of(org, bob)


@pytest.fixture
def as_carol(org, carol):
    return actor_of(org, carol)


@pytest.fixture
def as_dave(org, dave):
    return actor_of(org, dave)


@pytest.fixture
def as_erin(org, erin):
    return actor_of(org, erin)


@pytest.fixture
def as_frank(org, frank):
    return actor_of(org, frank)


@pytest.fixture
def as_grace(org, grace):
    return actor_of(org, grace)


@pytest.fixture
def other_manager(org, as_alice):
    """A manager of the organization who does not manage the test projects (as an Actor)."""
    membership = add_member(
        actor=as_alice, email="oscar@example.com", role="manager", name="Oscar", password=PASSWORD
    )
    return actor_of(org, membership.user)


@pytest.fixture
def entity(org, as_alice):
    return create_entity(
        actor=as_alice,
        name="深圳市星河跨境电子商务有限公司",
        name_en="Shenzhen Xinghe",
        registration_number="91440300MA5G8ABCD1",
        legal_rep_name="张伟",
        legal_rep_id_number="440301198805121234",
    )


@pytest.fixture
def entity_yunfan(org, as_alice):
    return create_entity(actor=as_alice, name="杭州云帆贸易有限公司", name_en="Hangzhou Yunfan")


@pytest.fixture
def amazon_na(catalog) -> Template:
    return Template.objects.get(organization__isnull=True, key="amazon-na")


@pytest.fixture
def on_project_start():
    """The project clock frozen at 10:00 (Shanghai) on :data:`PROJECT_START`, for the test."""
    from zoneinfo import ZoneInfo

    from linkstar.core import clock

    moment = dt.datetime.combine(PROJECT_START, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.frozen_at(moment):
        yield moment


@pytest.fixture
def project(as_bob, amazon_na, entity, carol):
    return build_project(
        manager=as_bob,
        template=amazon_na,
        entity=entity,
        members=[carol],
        store_name="Xinghe Home US",
    )


@pytest.fixture
def mini_template(as_alice) -> Template:
    """acme's own small template (:data:`MINI_TASKS`: collect → check → submit → go-live, and
    announce), version 1 published."""
    return publish_template(as_alice, MINI_TASKS)


@pytest.fixture
def mini_project(as_bob, mini_template, entity, carol) -> StoreProject:
    """bob's "Mini Shop US" from the mini template, for the Xinghe entity, carol on the team,
    starting on :data:`PROJECT_START`. Another project: :func:`build_project`."""
    return build_project(manager=as_bob, template=mini_template, entity=entity, members=[carol])


@pytest.fixture
def api():
    """``api(user)`` → an API client authenticated as that user."""
    return ApiClient


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server, run for the module's tests (documents and backups on S3)."""
    from tests.support.s3 import moto_server

    with moto_server() as endpoint:
        yield endpoint


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        return  # xdist workers: the controller compiled them already
    from linkstar.core.i18n import compile_messages

    compile_messages()
