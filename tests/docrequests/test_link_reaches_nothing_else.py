"""Through an upload link (issue 15 §2), nothing but the request's own page: whoever holds the link
and its cookies is anonymous to every other page and endpoint of LinkStar."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from linkstar.docrequests import services
from tests.support.docrequests import ask

pytestmark = pytest.mark.usefixtures("on_project_start")

ALLOWED_ANONYMOUS = {
    "",  # the home page sends to the login
    "healthz",
    "accounts/login/",
    "accounts/logout/",
    "i18n/setlang/",
}


def _patterns(patterns=None, prefix: str = ""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _fill(pattern: str, ids: dict) -> str:
    path = pattern.lstrip("^").rstrip("$")
    path = re.sub(r"\(\?P<kind>[^)]*\)", "projects", path)
    path = re.sub(r"\(\?P<fmt>[^)]*\)", "csv", path)
    path = path.replace("\\.", ".")

    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if name == "org":
            return "acme"
        if converter == "int":
            return str(ids.get(name, ids["default"]))
        return str(ids.get(name, "x"))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, path)


def test_a_link_holder_reaches_no_other_page_nor_endpoint(as_carol, mini_project, carol):
    request = ask(as_carol, mini_project, message="SECRET-MESSAGE-42")
    item = request.items.first()
    _link, token = services.create_link(actor=as_carol, request=request)
    holder = Client()
    assert holder.get(f"/r/{token}/").status_code == 200
    ids = {
        "default": mini_project.pk,
        "request_id": request.pk,
        "item_id": item.pk,
        "project_id": mini_project.pk,
        "token": token,
    }
    opened, tried = {}, 0
    for pattern in _patterns():
        path = _fill(pattern, ids)
        if path.lstrip("/") in ALLOWED_ANONYMOUS or path.startswith("/static/"):
            continue
        if path == f"/r/{token}/":
            continue
        answer = holder.get(path)
        tried += 1
        body = answer.content.decode("utf-8", "replace") if not answer.streaming else ""
        if answer.status_code == 200 or mini_project.store_name in body or "SECRET" in body:
            opened[path] = answer.status_code
    assert tried > 150, tried
    # the API's own pages (schema, docs) describe the API, not the organization
    assert {p for p in opened if not p.startswith("/api/v1/") or "/orgs/" in p} == set()
    # the API answers 401 without a token, whatever cookies the link left
    for path in (
        f"/api/v1/orgs/acme/document-requests/{request.pk}",
        f"/api/v1/orgs/acme/projects/{mini_project.pk}",
    ):
        assert holder.get(path).status_code == 401
