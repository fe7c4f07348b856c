"""The administrators' "Background jobs" settings page: queue, workers, periodic jobs and the
record of failed attempts; a site operator may send a failed job back to the queue."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.web import render_in_org_time
from linkstar.worker import selectors, services
from linkstar.worker.runner import backend_kind


def jobs_page(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "worker.view")
    failures = selectors.recent_failures()
    may_retry = policy.can(actor, "worker.manage")
    retryable = (
        selectors.failed_db_job_ids({f.job_id for f in failures if f.outcome == "failed"})
        if may_retry and backend_kind() == "db"
        else set()
    )
    return render_in_org_time(
        request,
        actor,
        "worker/jobs.html",
        {
            "tab": "jobs",
            "backend": backend_kind(),
            "counts": selectors.queue_counts(),
            "workers": selectors.live_workers(),
            "periodics": selectors.periodic_jobs(),
            "failures": failures,
            "show_details": may_retry,
            "retryable": retryable,
            "max_attempts": settings.LINKSTAR_JOB_MAX_ATTEMPTS,
        },
    )


def job_retry(request, org: str, job_id: str):
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    row = services.retry_job_now(actor=actor, job_id=job_id)
    messages.success(
        request, _("The job %(task)s was sent back to the queue.") % {"task": row.task_name}
    )
    return redirect("worker_jobs", org)
