"""The RQ backend of django-tasks, with LinkStar's retry policy: a failed job is tried again
with exponential backoff (RQ's own ``Retry``) up to ``LINKSTAR_JOB_MAX_ATTEMPTS``, and every
failed attempt is recorded as a ``JobFailure``."""

from __future__ import annotations

from typing import Any

import django_rq
from django_tasks.base import TASK_MAX_PRIORITY, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id
from django_tasks_rq.backend import Job as TasksJob
from django_tasks_rq.backend import RQBackend as TasksRQBackend
from django_tasks_rq.backend import failed_callback, success_callback
from rq.exceptions import NoSuchJobError
from rq.job import Callback, JobStatus, Retry

from linkstar.core import clock
from linkstar.worker.retry import backoff, max_attempts, record_failure


class Job(TasksJob):
    """An RQ job running a django-tasks ``Task``; a failure is recorded before RQ retries it."""

    def _execute(self) -> Any:
        try:
            return super()._execute()
        except Exception as exc:
            allowed = max_attempts()
            left = self.retries_left or 0
            attempt = allowed - left
            retry_at = clock.now() + backoff(attempt) if left > 0 else None
            record_failure(
                job_id=self.id,
                task_path=self.func_name,
                backend="rq",
                attempt=attempt,
                exc=exc,
                retry_at=retry_at,
                worker_id=self.worker_name or "",
            )
            raise


def retry_policy() -> Retry | None:
    allowed = max_attempts()
    if allowed <= 1:
        return None
    return Retry(
        max=allowed - 1,
        interval=[int(backoff(n).total_seconds()) for n in range(1, allowed)],
    )


class RQBackend(TasksRQBackend):
    def enqueue(self, task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        task_result: TaskResult = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        queue = django_rq.get_queue(task.queue_name, job_class=Job)
        job = queue.create_job(
            task.module_path,
            args=args,
            kwargs=kwargs,
            job_id=task_result.id,
            status=JobStatus.SCHEDULED if task.run_after else JobStatus.QUEUED,
            on_failure=Callback(failed_callback),
            on_success=Callback(success_callback),
            meta={"backend_name": self.alias},
            retry=retry_policy(),
        )
        if task.run_after is None:
            job = queue.enqueue_job(job, at_front=task.priority == TASK_MAX_PRIORITY)
        else:
            job = queue.schedule_job(job, task.run_after)
        object.__setattr__(task_result, "enqueued_at", job.enqueued_at)
        task_enqueued.send(type(self), task_result=task_result)
        return task_result

    def _get_job(self, result_id: str):
        try:
            return Job.fetch(result_id, connection=django_rq.get_connection())
        except NoSuchJobError:
            return None
