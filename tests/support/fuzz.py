"""API fuzzing (issue 17, "checks that stay"): schemathesis over the published OpenAPI document
(``/api/v1/openapi.json``), called through the app's own WSGI handler, as several identities.

A finding is:

- any answer of 500 or more (the exception's last lines are kept from Django's
  ``got_request_exception``);
- a 2xx answer to a write (POST, PUT, PATCH, DELETE) by an identity whose ``may_write`` does not
  allow that operation (a read-only token writes nothing; a client writes only its own things).

Every example runs in a savepoint of the test's transaction (``atomic``), rolled back when it
failed, so that one broken request (a PostgreSQL error aborts the transaction) does not spoil the
next ones. Used by ``tests/api/test_fuzz.py`` (bounded, in ``make test``) and ``bench/fuzz.py``
(more examples, figures only).
"""

from __future__ import annotations

import re
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

SCHEMA_PATH = "/api/v1/openapi.json"
BASE_URL = "http://testserver"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Identity:
    """Who calls: a raw bearer token, which writes it may make (None: any), and how many
    examples of each generation mode it sends per operation (None: the run's default)."""

    name: str
    token: str
    may_write: Callable[[str, str], bool] | None = None
    plan: tuple[tuple[GenerationMode, int], ...] | None = None


@dataclass
class FuzzReport:
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    by_identity: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    not_generated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def summary(self) -> str:
        classes = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        return (
            f"fuzz: {self.requests} requests, {len(self.operations)} operations, "
            f"{len(self.failures)} failures, {self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU) "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.by_identity.items()))}; "
            f"{', '.join(f'{k} {v}' for k, v in sorted(classes.items()))}"
            f"{'; not generated: ' + str(len(self.not_generated)) if self.not_generated else ''})"
        )


@contextmanager
def _server_exceptions() -> Iterator[list[str]]:
    """The WSGI handler outside Django's test client: keep the test's connection open (the
    handler closes "old" connections at each request's end) and collect server exceptions."""
    seen: list[str] = []

    def on_exception(sender, request=None, **kwargs):
        seen.append("".join(traceback.format_exc(limit=-4)))

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.got_request_exception.connect(on_exception)
    try:
        yield seen
    finally:
        signals.got_request_exception.disconnect(on_exception)
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class _App:
    """Django's WSGI handler, given the client address a server always gives (werkzeug's test
    environ has none)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return self.handler(environ, start_response)


def load_schema():
    """The OpenAPI document as the app publishes it, read through the app itself."""
    app = _App()
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, app), app


def fuzz(
    identities: Iterable[Identity],
    *,
    path_values: dict[str, list],
    max_examples: int = 5,
    modes: Iterable[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    log: Callable[[str], None] | None = None,
    only: str = "",
) -> FuzzReport:
    """Run ``max_examples`` generated requests per operation, identity and generation mode.

    ``path_values`` gives real objects for path parameters (``{"org": ["acme"], "project_id":
    [3, 7]}``): a path parameter listed there takes one of those values or the generated one
    (``org`` always the listed one), so that most requests reach real objects."""
    identities = list(identities)
    modes = list(modes)
    report = FuzzReport()
    start, cpu = time.perf_counter(), time.process_time()
    with _server_exceptions() as exceptions:
        schema, app = load_schema()
        operations = [result.ok() for result in schema.get_all_operations()]
        for operation in operations:
            label = f"{operation.method.upper()} {operation.path}"
            if only and not re.search(only, label):
                continue
            for identity in identities:
                for mode, examples in identity.plan or [(m, max_examples) for m in modes]:
                    _fuzz_one(
                        operation, label, identity, mode, path_values, examples, app,
                        report, exceptions,
                    )  # fmt: skip
            if log:
                log(f"{label}: {report.requests} requests so far")
    report.seconds = time.perf_counter() - start
    report.cpu_seconds = time.process_time() - cpu
    return report


class _Undo(Exception):
    """Rolls an example's savepoint back."""


def _call(case, app, headers, identity, method, path):
    """(what is wrong or "", the response or None) of one generated request."""
    try:
        response = case.call(app=app, base_url=BASE_URL, headers=headers)
    except Exception:  # a crash of the app or of the transport is a finding like a 500
        return f"raised:\n{traceback.format_exc(limit=-4)}", None
    status = response.status_code
    if status >= 500:
        return f"answered {status}", response
    may_write = identity.may_write
    if (
        method in WRITE_METHODS
        and 200 <= status < 300
        and may_write
        and not may_write(method, path)
    ):
        return f"wrote ({status}) though it may not", response
    return "", response


def _fuzz_one(operation, label, identity, mode, path_values, max_examples, app, report, seen):
    method = operation.method.upper()
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception as exc:
        report.not_generated.append(f"{label} [{mode}]: {type(exc).__name__}")
        return

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        for name in list(case.path_parameters or {}):
            real = path_values.get(name)
            if real:
                # the organization always the test's; an id sometimes the generated one
                choices = real if name == "org" else [*real, case.path_parameters[name]]
                case.path_parameters[name] = data.draw(st.sampled_from(choices))
        headers = {"Authorization": f"Bearer {identity.token}"}
        before = len(seen)
        try:
            with transaction.atomic():  # a savepoint: undone when the example is a finding
                problem, response = _call(case, app, headers, identity, method, operation.path)
                if problem:
                    raise _Undo
        except _Undo:
            pass
        if response is not None:
            report.requests += 1
            report.operations.add(label)
            report.statuses[response.status_code] += 1
            report.by_identity[identity.name] += 1
        if problem:
            where = getattr(case, "formatted_path", operation.path)
            detail = "".join(seen[before:]) or (response.text[:300] if response else "")
            report.failures.append(
                f"{identity.name} {method} {where} [{mode}] {problem}\n"
                f"  query={case.query!r} body={str(case.body)[:300]!r}\n{detail}"
            )

    try:
        run()
    except Exception as exc:
        report.not_generated.append(
            f"{label} {identity.name} [{mode}]: {type(exc).__name__}: {exc}"[:500]
        )
