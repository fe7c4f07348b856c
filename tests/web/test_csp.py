"""Browser hardening (issue 17 §8): every page answers with a Content-Security-Policy that lets
scripts come from the app's static files only; no template holds an inline script or inline
event handler (the policy would refuse them); cookies are ``Secure`` and HSTS is sent when the
base URL is https; behind a TLS proxy, X-Forwarded-Proto is trusted only when told to."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path as url_path

from linkstar.docrequests import services as docrequests
from linkstar.documents.services import upload_document
from linkstar.settings import browser_security
from tests.support.clients import signed_in
from tests.support.docrequests import ask
from tests.support.files import pdf_bytes, upload

SRC = Path(__file__).resolve().parents[2] / "src" / "linkstar"
TEMPLATES = sorted(p for p in SRC.glob("*/templates/**/*.html"))
SCRIPTS = sorted(p for p in SRC.glob("**/static/**/*.js") if "vendor" not in p.parts)

# A <script> element without a src (an inline script). json_script's data blocks come from the
# filter at render time, never from a template's own text.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
# An event-handler attribute (onclick=, onsubmit= …), a javascript: URL, or an htmx attribute
# that evaluates code (hx-on, js: values, hx-vars).
INLINE_HANDLER = re.compile(
    r"""(?:^|[\s"'])on[a-z]+\s*=|javascript:|\bhx-on[:\-]|\bdata-hx-on[:\-]|\bhx-vars\b"""
    r"""|\bhx-vals\s*=\s*['"]\s*js:""",
    re.IGNORECASE,
)


def _tags(text: str) -> list[str]:
    """The HTML start tags of a template (Django tags and comments blanked out first)."""
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", text, flags=re.DOTALL)
    text = re.sub(r"{#.*?#}", " ", text, flags=re.DOTALL)
    return re.findall(r"<[a-zA-Z][^<>]*>", text)


def _broken(request):
    raise RuntimeError("a bug")


# The URLs of the server-error test (ROOT_URLCONF points here): one view that fails.
urlpatterns = [url_path("broken/", _broken)]


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


# --- no inline script anywhere -------------------------------------------------------------------


def test_the_template_scan_finds_what_it_looks_for():
    found = [
        bool(INLINE_SCRIPT.search(t)) or bool(INLINE_HANDLER.search(t))
        for tag in (
            "<script>alert(1)</script>",
            '<button onclick="go()">',
            "<select class='x' onchange=\"this.form.submit()\">",
            '<a href="javascript:void(0)">',
            '<div hx-on:click="go()">',
            "<div hx-vals='js:{a: 1}'>",
            '<form data-confirm="Delete it?">',
            '<script src="/static/app.js">',
            '<option value="done">',
        )
        for t in _tags(tag) or [tag]
    ]
    assert found == [True, True, True, True, True, True, False, False, False]


def test_no_template_holds_an_inline_script_or_handler():
    assert len(TEMPLATES) > 100
    offenders = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for tag in _tags(text):
            if INLINE_SCRIPT.search(tag) or INLINE_HANDLER.search(tag):
                offenders.append(f"{path.relative_to(SRC)}: {tag[:120]}")
    assert offenders == []


def test_the_app_scripts_evaluate_no_strings():
    assert SCRIPTS
    offenders = [
        str(path.relative_to(SRC))
        for path in SCRIPTS
        if re.search(
            r"\beval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*['\"]",
            path.read_text(encoding="utf-8"),
        )
    ]
    assert offenders == []


# --- the header on every page --------------------------------------------------------------------


def _assert_strict(response, *, page: bool = True) -> None:
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"], policy
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:"}
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    if not page:
        return
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_sign_in_page_and_the_error_pages_carry_the_policy(db):
    browser = Client()
    login = browser.get("/accounts/login/")
    assert login.status_code == 200
    _assert_strict(login)
    # htmx is told not to evaluate strings (the policy would refuse them anyway)
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", login.content.decode())
    assert config and json.loads(config.group(1))["allowEval"] is False
    missing = browser.get("/no-such-page/")
    assert missing.status_code == 404
    _assert_strict(missing)


def test_the_server_error_page_carries_the_policy(db, settings):
    settings.ROOT_URLCONF = __name__
    answer = Client(raise_request_exception=False).get("/broken/")
    assert answer.status_code == 500
    _assert_strict(answer)


def test_signed_in_pages_and_the_api_carry_the_policy(org, bob, project):
    browser = signed_in(bob)
    for path in (
        "/o/acme/",
        f"/o/acme/projects/{project.pk}/",
        "/o/acme/kanban/",
        "/o/acme/tasks/",
        f"/o/acme/projects/{project.pk}/requests/new/",
        "/o/acme/settings/members/",
    ):
        page = browser.get(path)
        assert page.status_code == 200, path
        _assert_strict(page)
    answer = browser.get("/api/v1/me")
    assert answer.status_code == 401  # no token: the API's own answer, with the policy too
    assert "Content-Security-Policy" in answer.headers


def test_a_downloaded_document_keeps_its_own_stricter_policy(as_alice, bob, entity):
    document = upload_document(
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=upload("licence.pdf", pdf_bytes(), "application/pdf"),
    )
    answer = signed_in(bob).get(f"/o/acme/documents/{document.pk}/download/")
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.usefixtures("on_project_start")
def test_the_public_upload_link_page_carries_the_policy(as_carol, mini_project):
    request = ask(as_carol, mini_project)
    _link, token = docrequests.create_link(actor=as_carol, request=request)
    page = Client().get(f"/r/{token}/")
    assert page.status_code == 200
    _assert_strict(page)
    refused = Client().get("/r/not-a-token/")
    assert refused.status_code in (403, 404, 410)
    _assert_strict(refused)


def test_a_request_refused_before_it_is_read_carries_the_policy(db, settings):
    answer = Client().post(
        "/accounts/login/",
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(settings.LINKSTAR_REQUEST_MAX_BYTES + 1),
    )
    assert answer.status_code == 413
    _assert_strict(answer, page=False)  # a plain-text refusal: the policy, framing refused


# --- Secure cookies, HSTS and the TLS proxy ------------------------------------------------------


def _derive(base_url: str, *, proxy: bool = False, hsts: int = 31536000, origins=()) -> dict:
    return browser_security(
        base_url=base_url, behind_tls_proxy=proxy, hsts_seconds=hsts, trusted_origins=list(origins)
    )


def test_over_http_cookies_are_not_secure_and_no_hsts():
    values = _derive("http://127.0.0.1:8000")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["LANGUAGE_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8000"]


def test_over_https_cookies_are_secure_and_hsts_is_a_year():
    values = _derive("HTTPS://linkstar.example.com/app")
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    # not behind a proxy: X-Forwarded-Proto is not believed, nor X-Forwarded-Host ever
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["USE_X_FORWARDED_HOST"] is False
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://linkstar.example.com"]
    assert _derive("https://linkstar.example.com", hsts=0)["SECURE_HSTS_SECONDS"] == 0


def test_behind_a_tls_proxy_its_forwarded_proto_is_believed():
    values = _derive(
        "https://linkstar.example.com", proxy=True, origins=["https://linkstar.example.com"]
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://linkstar.example.com"]


def test_the_headers_and_cookies_over_https_behind_a_proxy(db, settings, alice):
    for name, value in _derive("https://linkstar.example.com", proxy=True).items():
        setattr(settings, name, value)
    browser = Client(enforce_csrf_checks=True)
    plain = browser.get("/accounts/login/")
    assert "Strict-Transport-Security" not in plain.headers  # not https: no HSTS
    secure = browser.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.cookies["csrftoken"]["secure"] is True
    # The proxy passed the request on to 127.0.0.1: the base URL's origin is still accepted.
    answer = browser.post(
        "/accounts/login/",
        {
            "username": alice.email,
            "password": "not her password",
            "csrfmiddlewaretoken": secure.cookies["csrftoken"].value,
        },
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_HOST="127.0.0.1:8000",
        HTTP_ORIGIN="https://linkstar.example.com",
    )
    assert answer.status_code == 200  # the form again (wrong password), not a CSRF refusal
    forged = browser.post(
        "/accounts/login/",
        {"username": alice.email, "password": "x", "csrfmiddlewaretoken": "x" * 32},
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_ORIGIN="https://evil.example.net",
    )
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {"LINKSTAR_BASE_URL": "http://127.0.0.1:8000"},
            {"SESSION_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0},
        ),
        (
            {
                "LINKSTAR_BASE_URL": "https://linkstar.example.com",
                "LINKSTAR_BEHIND_TLS_PROXY": "1",
                "LINKSTAR_HSTS_SECONDS": "600",
            },
            {
                "SESSION_COOKIE_SECURE": True,
                "CSRF_COOKIE_SECURE": True,
                "SECURE_HSTS_SECONDS": 600,
                "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
            },
        ),
    ],
    ids=["http", "https-behind-proxy"],
)
def test_the_settings_follow_the_environment(tmp_path, environment, expected):
    names = sorted(expected)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LINKSTAR_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        environment, LINKSTAR_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="linkstar.settings"
    )
    program = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected
