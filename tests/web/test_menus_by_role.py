"""Menus by role (issue 15 §1): nobody sees a link that would answer 403."""

from __future__ import annotations

import re

import pytest

from tests.support.clients import client_for

ROLES = ["alice", "bob", "carol", "dave", "frank", "grace"]


@pytest.mark.parametrize("who", ROLES)
def test_every_link_of_the_navigation_opens_for_whoever_sees_it(request, who, mini_project):
    client = client_for(request.getfixturevalue(who))
    page = client.get("/o/acme/").content.decode()
    nav = page.split("<nav", 1)[1].split("</nav>", 1)[0]
    links = sorted(set(re.findall(r'href="(/o/acme/[^"#?]*)"', nav)))
    assert links, "the navigation shows no link"
    refused = {link: client.get(link).status_code for link in links}
    assert {link: code for link, code in refused.items() if code != 200} == {}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["/o/acme/", "/o/acme/projects/", "/o/acme/tasks/"])
def test_every_link_of_the_main_pages_opens_for_whoever_sees_it(request, who, page, mini_project):
    client = client_for(request.getfixturevalue(who))
    html = client.get(page).content.decode()
    links = sorted(set(re.findall(r'href="(/o/acme/[^"#]*)"', html)))
    refused = {link: client.get(link).status_code for link in links}
    assert {link: code for link, code in refused.items() if code != 200} == {}
