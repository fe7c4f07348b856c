"""The administrators' "Background jobs" settings page."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.worker.runner import beat
from tests.support.jobs import run_jobs
from tests.support.seed import PASSWORD
from tests.support.worker_tasks import always_fails

pytestmark = pytest.mark.django_db
PAGE = "/o/acme/settings/jobs/"


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def failed_job(settings, db_backend):
    settings.LINKSTAR_JOB_MAX_ATTEMPTS = 2
    result = always_fails.enqueue()
    run_jobs()
    with clock.travel(hours=1):
        run_jobs()
    return result


def test_an_administrator_sees_queue_workers_periodic_jobs_and_failures(
    org, alice, failed_job, django_assert_max_num_queries
):
    beat("host-1-abc", backend="db")
    client = _client(alice)
    with django_assert_max_num_queries(12):
        response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-tab="jobs"' in html
    assert 'data-periodic="worker.prune"' in html
    assert html.count('data-outcome="retry"') == 1
    assert html.count('data-outcome="failed"') == 1
    assert "tests.support.worker_tasks.always_fails" in html
    assert "robot webhook answered 500" not in html  # messages are for site operators only
    assert 'data-action="retry"' not in html


def test_the_page_costs_the_same_queries_with_many_failures(
    org, alice, settings, db_backend, django_assert_max_num_queries
):
    settings.LINKSTAR_JOB_MAX_ATTEMPTS = 1
    for _ in range(15):
        always_fails.enqueue()
    run_jobs()
    client = _client(alice)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200


def test_a_manager_may_not_open_the_background_jobs_page(org, bob):
    response = _client(bob).get(PAGE)
    assert response.status_code == 403
    assert b'data-tab="jobs"' not in _client(bob).get("/o/acme/settings/members/").content


def test_a_site_operator_retries_a_failed_job_now_and_it_is_audited(org, alice, failed_job):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client = _client(alice)
    html = client.get(PAGE).content.decode()
    assert "robot webhook answered 500" in html
    assert 'data-action="retry"' in html
    response = client.post(f"{PAGE}{failed_job.id}/retry/")
    assert response.status_code == 302
    row = DBTaskResult.objects.get(pk=failed_job.id)
    assert row.status == TaskResultStatus.READY and row.worker_ids == []
    event = AuditEvent.objects.get(action="job.retried")
    assert event.actor_id == alice.pk
    assert run_jobs() == 1  # tried again (and fails again, as the robot is still down)


def test_an_administrator_who_is_not_a_site_operator_cannot_retry_jobs(org, alice, failed_job):
    client = _client(alice)
    response = client.post(f"{PAGE}{failed_job.id}/retry/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response["X-LinkStar-Error"] == "permission_denied"
    assert DBTaskResult.objects.get(pk=failed_job.id).status == TaskResultStatus.FAILED
