"""Clients as the tests use them: a signed-in browser (Django's test client) and the REST API
with a bearer token."""

from __future__ import annotations

import json

from django.test import Client

from linkstar.accounts.models import User
from linkstar.accounts.services import issue_token
from tests.support.seed import PASSWORD


class ApiClient:
    """The REST API as a client program sees it: JSON in and out, a bearer token."""

    def __init__(self, user: User | None = None, token: str | None = None) -> None:
        self.client = Client()
        self.token = token or (issue_token(user=user)[1] if user is not None else None)

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, body=None, **params):
        url = "/api/v1" + path
        kwargs = self._headers()
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params):
        return self.request("get", path, **params)

    def post(self, path: str, body=None):
        return self.request("post", path, body if body is not None else {})

    def put(self, path: str, body):
        return self.request("put", path, body)

    def patch(self, path: str, body):
        return self.request("patch", path, body)

    def delete(self, path: str):
        return self.request("delete", path)


def client_for(user, language: str = "en") -> Client:
    """A signed-in browser; English so that assertions read in the msgids (Chinese is the
    default and is tested on its own)."""
    client = Client()
    client.force_login(user)
    client.cookies["linkstar_language"] = language
    return client


def login(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def signed_in(user) -> Client:
    """A signed-in browser in the site's default language (Chinese)."""
    client = Client()
    client.force_login(user)
    return client
