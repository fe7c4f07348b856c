"""Reading and posting the server-rendered pages: htmx headers, page text, the batch wizard's
form."""

from __future__ import annotations

import re

HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


BATCH = "/o/acme/projects/batch/"


def text_of(response) -> str:
    return response.content.decode()


def wizard(template, *, members=(), start_date="2026-11-02", rows=(), **extra) -> dict:
    data = {
        "template": template.pk,
        "start_date": start_date,
        "members": list(members),
        "row_store_name": [r[0] for r in rows],
        "row_site": [r[1] for r in rows],
        "row_entity": [r[2] for r in rows],
        "row_manager": [r[3] for r in rows],
    }
    data.update(extra)
    return data


def row_inputs(html: str) -> list[str]:
    """The store names in the rows table (not in the blank row kept for the script)."""
    html = html.split('<template id="batch-row-template">')[0]
    return re.findall(r'name="row_store_name" value="([^"]*)"', html)
