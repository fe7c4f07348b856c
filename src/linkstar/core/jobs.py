"""Background jobs enqueued by name: ``enqueue("delivery.process_events", ids)``.

A name is ``<app>.<function>``: the ``@task`` function of that app's ``tasks`` module. Services
name the job they want instead of importing a ``tasks`` module, so no service depends on the
worker's modules and no import cycle hides behind one."""

from __future__ import annotations

from importlib import import_module

from django_tasks.base import Task


def job(name: str) -> Task:
    """The job called ``name`` (LookupError when there is none)."""
    app, _, function = name.partition(".")
    if not app or not function:
        raise LookupError(f"a job is named '<app>.<function>', not {name!r}")
    try:
        found = getattr(import_module(f"linkstar.{app}.tasks"), function)
    except (ImportError, AttributeError):
        raise LookupError(f"no job {name!r}") from None
    if not isinstance(found, Task):
        raise LookupError(f"{name!r} is not a job")
    return found


def enqueue(name: str, *args, **kwargs):
    """Queue the job called ``name`` with these arguments; answers the queued result."""
    return job(name).enqueue(*args, **kwargs)
