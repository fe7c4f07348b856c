"""docs/api.md and the OpenAPI document the server publishes list the same endpoints."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`")


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


def documented() -> set[tuple[str, str]]:
    found = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            found.add((match.group(1), _normalise(match.group(2))))
    return found


def published(client) -> set[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return {
        (method.upper(), _normalise(path.removeprefix("/api/v1")))
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_docs_list_every_published_endpoint_and_nothing_else(client, db):
    docs, api = documented(), published(client)
    assert len(docs) > 30
    assert api - docs == set(), "published but not in docs/api.md"
    assert docs - api == set(), "in docs/api.md but not published"


def test_docs_page_and_openapi_document_are_served(client, db):
    assert client.get("/api/v1/openapi.json").status_code == 200
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"swagger" in page.content.lower()
