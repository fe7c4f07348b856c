from __future__ import annotations

import pytest

from tests.support.browser import login, screenshot


@pytest.mark.django_db(transaction=True)
def test_workbench_is_chinese_by_default_and_english_after_the_switch(page, org, alice, project):
    login(page, alice)
    assert page.url.endswith("/o/acme/")
    assert "工作台" in page.title()
    assert page.locator("nav").get_by_text("开店项目").count() >= 1
    screenshot(page, "workbench-zh")
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert "Workbench" in page.title()
    assert page.locator("nav").get_by_text("Projects").count() >= 1
    screenshot(page, "workbench-en")


@pytest.mark.django_db(transaction=True)
def test_a_member_of_another_organization_gets_404(page, org, mallory, project):
    login(page, mallory)
    response = page.goto(page.base_url + f"/o/acme/projects/{project.pk}/")
    assert response.status == 404
    response = page.goto(page.base_url + "/o/acme/")
    assert response.status == 404


@pytest.mark.django_db(transaction=True)
def test_signing_out_returns_to_the_sign_in_page(page, org, alice):
    login(page, alice)
    with page.expect_navigation():
        page.click("nav form button[type=submit]:has-text('退出登录')")
    assert "/accounts/login/" in page.url
    response = page.goto(page.base_url + "/o/acme/")
    assert "/accounts/login/" in page.url and response.status == 200
