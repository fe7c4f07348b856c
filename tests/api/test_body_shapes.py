"""Issue 17 §10: a body of the wrong shape answers 422 and changes nothing; an oversized body
answers a JSON 413."""

from __future__ import annotations

import json

from linkstar.projects.models import StoreProject
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient


def _send(client: ApiClient, method: str, path: str, raw: str):
    return getattr(client.client, method)(
        "/api/v1" + path,
        data=raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )


def test_an_array_or_a_bare_value_is_not_an_object(bob, mini_project):
    client = ApiClient(bob)
    before = StoreProject.objects.get(pk=mini_project.pk).version
    for raw in (json.dumps([1, 2]), "3", '"text"', "not json"):
        body = assert_error(
            _send(client, "patch", f"/orgs/acme/projects/{mini_project.pk}", raw), 422, "invalid"
        )
        assert body["errors"][0]["field"] == "body"
    assert StoreProject.objects.get(pk=mini_project.pk).version == before


def test_an_oversized_body_is_a_json_413(bob, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    answer = _send(ApiClient(bob), "post", "/orgs/acme/entities", "x" * (2 * 1024 * 1024))
    body = assert_error(answer, 413, "too_large")
    assert "1 MB" in body["detail"]


def test_a_number_too_large_in_a_body_is_a_422_naming_it(bob, alice, mini_project):
    """Found by the API fuzzing: 2^63 in a list of ids overflowed the database driver (500)."""
    big = 2**63
    answer = ApiClient(alice).post(
        "/orgs/acme/risks/acknowledge", {"risk_ids": [1, big], "reason": "known"}
    )
    body = assert_error(answer, 422, "invalid")
    assert body["errors"][0]["field"] == "risk_ids.1"
    before = StoreProject.objects.get(pk=mini_project.pk).version
    answer = ApiClient(bob).patch(
        f"/orgs/acme/projects/{mini_project.pk}", {"manager_id": -big, "version": before}
    )
    assert assert_error(answer, 422, "invalid")["errors"][0]["field"] == "manager_id"
    assert StoreProject.objects.get(pk=mini_project.pk).version == before
